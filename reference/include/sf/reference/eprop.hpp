// e-prop (eligibility propagation; Bellec et al. 2020, Nat. Commun. 11:3625) for a recurrent
// LIF network, beside BPTT on the same network. e-prop is the local, forward-in-time rule
// that suits on-chip learning: each synapse keeps an eligibility trace (its presynaptic
// trace times the postsynaptic pseudo-derivative, low-pass filtered by the readout's time
// constant) and a learning signal broadcast from the output error, B (pi - y*), turns it
// into a weight change, with no backward pass through time. Symmetric e-prop uses
// B = W_out^T; random e-prop a fixed random B.
//
// The network, per step t (reset by subtraction, treated as a constant in the gradients
// of both rules, as in the e-prop paper's LIF derivation):
//   v^t = alpha v^{t-1} + W_in x^t + W_rec z^{t-1} - v_th z^{t-1},  z^t = H(v^t - v_th)
//   y^t = kappa y^{t-1} + W_out z^t + b
// with the pseudo-derivative psi = (gamma / v_th) max(0, 1 - |v - v_th| / v_th). The loss is
// the cross-entropy of softmax(y^t) against the label, averaged over the last `window` steps;
// the prediction is the argmax of y averaged over that window.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "sf/reference/datasets.hpp"

namespace sf {

struct RecurrentLif {
    Eigen::MatrixXf w_in, w_rec, w_out;  // [H x I], [H x H] (zero diagonal), [K x H]
    Eigen::VectorXf b_out;               // [K]
    Eigen::MatrixXf b_feedback;          // [H x K] random e-prop; empty = W_out^T
    float alpha = 0.95f;                 // membrane decay per step, exp(-dt / 20 ms) at dt 1 ms
    float kappa = 0.95f;                 // readout decay per step
    float v_th = 1.0f;
    float gamma = 0.3f;                  // pseudo-derivative height
    int window = 8;                      // [steps] at the end of a sample
};

// Seeded initial weights: inputs, recurrent (zero diagonal) and readout scaled by fan-in.
RecurrentLif make_recurrent_lif(int inputs, int hidden, int classes, uint64_t seed,
                                bool random_feedback = false);

enum class GradientRule {
    EProp,          // online, forward in time, eligibility traces
    EPropBackward,  // the same gradient by a backward pass with the recurrent term dropped
    Bptt,           // backpropagation through time (surrogate gradient)
};

struct RnnGradients {
    Eigen::MatrixXf w_in, w_rec, w_out;
    Eigen::VectorXf b_out;
    double loss = 0.0;
    int predicted = -1;
    int64_t spikes = 0;
};

// One sample: x is [T x I] (one step per row), label in [0, K).
RnnGradients rnn_gradients(const RecurrentLif& net, const Eigen::MatrixXf& x, int label,
                           GradientRule rule);

// Cosine between two gradients (all weights together, b_out included).
double gradient_cosine(const RnnGradients& a, const RnnGradients& b);

// The 8x8 digits as sequences: row r of the image is the input at steps r*repeat ..
// (r+1)*repeat - 1, scaled by gain; T = 8 * repeat, I = 8.
Eigen::MatrixXf digit_sequence(const Dataset& ds, int64_t i, int repeat, float gain);

struct RnnTrainOptions {
    GradientRule rule = GradientRule::EProp;
    int hidden = 64, epochs = 5, batch = 16, repeat = 4;
    float gain = 1.0f, learning_rate = 2e-3f;  // Adam
    bool random_feedback = false;
    uint64_t seed = 1;
};
struct RnnEpoch {
    double train_loss = 0.0, test_accuracy = 0.0, spikes_per_step = 0.0;
};
std::vector<RnnEpoch> train_recurrent_digits(const Dataset& train, const Dataset& test,
                                             const RnnTrainOptions& o);

}  // namespace sf
