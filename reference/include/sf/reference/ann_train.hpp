// Backpropagation for the ANN models of ann.hpp: loss and gradients of a batch (used by
// the trainer and checked against finite differences in tests/ann), the optimisers (SGD
// with momentum, Adam) and the training loop on a data set. Everything is seeded: the
// same model, data and seed give the same bits, for any thread count (Eigen itself runs
// single-threaded; the trainer and the evaluation split fixed blocks of samples over
// threads, parallel.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sf/reference/ann.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/train_api.hpp"

namespace sf {

// Gradients in the layout of the model: params[layer][param] has the same size as
// model.layers[layer].params[param].value.
struct AnnGradients {
    std::vector<std::vector<std::vector<float>>> params;
    AnnMatrix input;  // d loss / d x (only if want_input)
    bool want_input = true;  // training sets it false: the input gradient costs a product
    // Learning without backprop (feedback_alignment.hpp): if set, called after layer i's
    // backward pass with the output error (the loss gradient where the backward pass
    // starts), the gradient at the layer's output dy and its input gradient dx as backprop
    // computed it, which the function may replace before it flows on to layer i - 1.
    std::function<void(size_t i, const AnnMatrix& output_error, const AnnMatrix& dy, AnnMatrix& dx)>
        feedback;
    // The trainer's blocks (ann_train.cpp): when set, a dense layer whose weight gradient
    // the dense kernels compute in one block of terms adds it into (*add_to)[layer][0],
    // which holds the sum of the blocks before this one, and leaves params[layer][0]
    // empty. The sum has the bits of adding the blocks' own gradients in block order.
    std::vector<std::vector<std::vector<float>>>* add_to = nullptr;
};

// Mean loss of a batch. loss: "cross_entropy" (targets one-hot rows; applies softmax to
// the output unless the last layer is a softmax, fused with it), "mse" (mean over all
// elements), "perceptron" (multiclass perceptron criterion: the classic perceptron rule).
// If grads is not null it receives the gradients. train = true enables dropout, whose
// masks come from dropout_seed. If output is not null it receives the model's output.
float ann_loss(const AnnModel& model, const AnnMatrix& x, const AnnMatrix& target,
               const std::string& loss, AnnGradients* grads, bool train = false,
               uint64_t dropout_seed = 0, AnnMatrix* output = nullptr);

// Optimiser state for one model (SGD momentum buffers, or Adam moments and step count).
struct AnnOptimizer {
    std::string kind;  // "sgd" or "adam"
    int64_t step = 0;
    std::vector<std::vector<std::vector<float>>> m, v;

    // Apply one update with learning rate lr.
    void apply(AnnModel& model, const AnnGradients& g, const AnnTraining& t, float lr);
};

// Where a fit's time goes: seconds in each layer's forward and backward pass (summed over
// the blocks of every batch and over the threads that ran them; a fused conv block,
// conv2d + ReLU + 2x2 pooling, is booked whole on its conv2d layer) and in the optimiser
// steps. What is left of an epoch's time is the batches' assembly and their losses.
struct AnnLayerTimes {
    std::vector<double> forward, backward;  // [layer]
    double step = 0;                        // adding the blocks' gradients and updating
};

struct AnnFitOptions {
    int first_epoch = 0;       // > 0 when resuming
    int epochs = 10;
    uint64_t seed = 1;
    int64_t max_train = -1;
    bool progress = false;
    // Called after every epoch (epoch index, train loss, train accuracy); checkpoints.
    std::function<void(int, float, float, const AnnOptimizer&)> on_epoch;
    // Passed to every training batch's gradients (AnnGradients::feedback). With it set,
    // each batch runs as one pass on the calling thread (the angle sums are per batch).
    decltype(AnnGradients::feedback) feedback;
    // Worker threads. A batch runs in fixed blocks of 32 rows whose gradients are added in
    // block order, so the trained bits are the same for any count.
    int threads = 1;
    // When set, receives where the time went (added to what it holds). Timing changes no
    // result.
    AnnLayerTimes* layer_times = nullptr;
};

struct AnnEpochStat {
    int epoch = 0;
    float loss = 0, accuracy = 0;
    double seconds = 0;
};

// Train the model (initialised first if it is not) on the data set's training split.
std::vector<AnnEpochStat> fit_ann(AnnModel& model, const Dataset& train, AnnOptimizer& opt,
                                  const AnnFitOptions& o);

// Evaluation on a data set: classification (accuracy, confusion, per-class accuracy) or
// reconstruction (reconstruction_mse) depending on model.training.target.
struct AnnEvalResult {
    bool reconstruction = false;
    double accuracy = 0;
    double reconstruction_mse = 0;
    int64_t samples = 0;
    std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
    std::vector<double> per_class;
};
// The samples run in blocks of 256 over `threads` (parallel.hpp); the result has the same
// bits for any count.
AnnEvalResult evaluate_ann(const AnnModel& model, const Dataset& ds, int64_t samples = -1,
                           uint64_t noise_seed = 12345, int threads = 1);

}  // namespace sf
