// The standard ANN models of the float reference (perceptron, logistic regression, MLP,
// CNN, simple RNN, LSTM, autoencoders): a model is a straight chain of layers, each with
// its kind, per-sample input/output shapes and its parameter tensors. Model files are YAML
// (docs/reference-ann.md) with weights in an .npz next to them; a model file without
// weights is initialised (seeded He/Glorot) by training. Batches are row-major matrices,
// one sample per row, features in C order of the sample shape (channels, rows, columns).
// The ANN->SNN converter reads trained models through load_ann and forward_all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

namespace sf {

// One sample per row; columns are the flattened per-sample features.
using AnnMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class AnnLayerKind {
    Dense,    // y = x W^T + b; weight [out, in], bias [out]
    Conv2d,   // weight [out_c, in_c, k, k], bias [out_c]; stride, padding; input [c, h, w]
    MaxPool,  // kernel x kernel windows, stride (default = kernel)
    AvgPool,
    Flatten,  // shape change only ([c, h, w] -> [c*h*w]); data are already flat in memory
    ReLU,
    Sigmoid,
    Tanh,
    Softmax,  // fused with cross-entropy in training
    Dropout,  // rate; identity at inference
    Rnn,      // simple tanh RNN over a sequence input [T, in]: weight_ih [H, in],
              // weight_hh [H, H], bias [H]; output [H] (last step) or [T, H]
    Lstm,     // weight_ih [4H, in], weight_hh [4H, H], bias [4H]; gate order i, f, g, o
              // (PyTorch's); output [H] (last step) or [T, H] (return_sequences)
};

// "dense", "conv2d", ...; parse throws InputError for an unknown name.
const char* ann_layer_kind_name(AnnLayerKind k);
AnnLayerKind parse_ann_layer_kind(const std::string& name);

// A parameter tensor of a layer, float32, C order.
struct AnnParam {
    std::string name;              // "weight", "bias", "weight_ih", "weight_hh"
    std::vector<int64_t> shape;
    std::vector<float> value;      // product(shape) elements
};

struct AnnLayer {
    std::string name;              // unique within the model, e.g. "fc1"
    AnnLayerKind kind = AnnLayerKind::Dense;
    std::vector<int64_t> in_shape;   // per sample, e.g. {1, 28, 28}
    std::vector<int64_t> out_shape;  // per sample
    // Kind-specific settings (0 where not used).
    int64_t units = 0;             // dense outputs; rnn/lstm hidden size
    int64_t out_channels = 0;      // conv2d
    int64_t kernel = 0;            // conv2d, pooling
    int64_t stride = 1;            // conv2d, pooling
    int64_t padding = 0;           // conv2d (zero padding on every side)
    float rate = 0.0f;             // dropout probability
    bool return_sequences = false; // rnn/lstm
    std::vector<AnnParam> params;  // empty for parameter-free layers

    const AnnParam* param(const std::string& n) const;
    AnnParam* param(const std::string& n);
};

struct AnnTraining {
    std::string optimizer = "adam";  // "sgd" (with momentum) or "adam"
    float lr = 1e-3f;
    float momentum = 0.9f;           // sgd
    float weight_decay = 0.0f;       // L2, added to the gradient
    int64_t batch = 64;
    int epochs = 10;
    std::string loss = "cross_entropy";  // or "mse"
    std::string target = "labels";   // or "input" (autoencoders)
    float noise = 0.0f;              // std of Gaussian input noise (denoising autoencoders)
    std::string augmentation;        // "" or "shift" (random shifts by up to 2 pixels)
    float lr_decay = 1.0f;           // lr multiplied by this after every epoch
    // How the error reaches the hidden layers (feedback_alignment.hpp): "backprop", "fa"
    // (feedback alignment) or "dfa" (direct feedback alignment; both for models of dense
    // and elementwise layers only), with the seed of the fixed random feedback matrices.
    std::string rule = "backprop";
    uint64_t feedback_seed = 1;
};

struct AnnModel {
    std::string name;
    std::vector<int64_t> input_shape;  // per sample, e.g. {1, 28, 28}
    std::string dataset;               // default data set, e.g. "fashion-mnist"
    std::vector<AnnLayer> layers;
    AnnTraining training;
    bool initialised = false;          // all parameters hold values (loaded or initialised)

    std::vector<int64_t> output_shape() const;
    int64_t input_size() const;        // product of input_shape
    int64_t num_params() const;
};

// Read a model: a YAML file or a directory holding network.yaml. Shapes are inferred and
// checked layer by layer; weights referenced as "weights.npz:key" are loaded and checked
// (shape, NaN/Inf). Throws InputError with the file, layer and a fix on any problem.
AnnModel load_ann(const std::string& path);

// Write dir/network.yaml and dir/weights.npz (atomically: temporary names, then rename).
// The directory is created if needed; other files in it (README.md) are left alone.
void save_ann(const AnnModel& model, const std::string& dir);

// Fill every parameter with seeded random values (He for ReLU layers, Glorot otherwise;
// biases zero, LSTM forget-gate bias one). Sets initialised.
void init_ann(AnnModel& model, uint64_t seed);

// Inference forward pass of a batch x (rows = samples, cols = input_size()). Returns one
// matrix per layer boundary: result[0] = x, result[i + 1] = output of layers[i].
// Dropout is the identity here. Throws InputError if x has the wrong width.
std::vector<AnnMatrix> forward_all(const AnnModel& model, const AnnMatrix& x);

// Only the final output (same as forward_all(...).back(), less memory).
AnnMatrix forward(const AnnModel& model, const AnnMatrix& x);

}  // namespace sf
