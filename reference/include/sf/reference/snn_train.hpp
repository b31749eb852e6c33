// Surrogate-gradient BPTT for spiking networks of the Graph IR: a chain of populations
// (input -> LIF/IF ... -> LIF or LI readout) joined by dense projections, trained with the
// simulator's exact forward dynamics (snn.hpp) and a smooth stand-in for the derivative
// of the spike (fast sigmoid or arctan). Readout by output spike counts or by the mean LI
// membrane. Model files and the training: section are described in docs/reference-snn.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "sf/core/graph.hpp"
#include "sf/reference/datasets.hpp"

namespace sf {

struct SnnTraining {
    std::string optimizer = "adam";       // adam or sgd (momentum 0.9)
    float lr = 1e-3f;
    float lr_decay = 1.0f;                // lr multiplied by this after every epoch
    int64_t batch = 128;
    int epochs = 10;
    std::string surrogate = "fast_sigmoid";  // or "arctan"
    float slope = 10.0f;                  // steepness of the surrogate
    std::string readout = "spike_count";  // or "membrane" (the output population is LI)
    std::string loss = "cross_entropy";
    float init_gain = 1.0f;               // initial weights ~ N(0, (gain / sqrt(fan_in))^2)
    float count_scale = 1.0f;             // logits = count_scale * spike counts
};

// Surrogate derivative d spike / d v at x = v - threshold.
float surrogate_grad(const std::string& kind, float slope, float x);

// The trainable view of a graph: layer l maps population chain[l] to chain[l + 1] with a
// dense weight wt[l] of shape [pre, post] (transposed from the IR's [post, pre]).
struct SnnChain {
    std::vector<int> pops;  // population indices, input first
    std::vector<int> projs; // projection index of each layer
    std::vector<Eigen::MatrixXf> wt;
};

// Checks that the graph is a trainable chain (throws InputError naming the node if not).
SnnChain snn_chain(const Graph& g);

// Loss of one batch and gradients of the chain weights. x: input spikes [T * B, n_in],
// time-major (row t * B + b). labels: B class indices. grads (if not null) receive
// d loss / d wt[l]. logits (if not null) receive the readout [B, classes].
float snn_loss(const Graph& g, const SnnChain& c, const SnnTraining& tr,
               const Eigen::MatrixXf& x, int T, const std::vector<int32_t>& labels,
               std::vector<Eigen::MatrixXf>* grads, Eigen::MatrixXf* logits = nullptr);

// Input spikes of a batch as one spike train per sample and input: bit t % 64 of word
// t / 64 of bits[(b * n + j) * words + ...] is set when input j of sample b fires at step t.
struct SnnSpikeBatch {
    int T = 0;
    int words = 0;  // (T + 63) / 64
    int64_t B = 0, n = 0;
    std::vector<uint64_t> bits;
};

// The batch of x (rows t * B + b, nonzero = spike), as snn_loss reads it.
SnnSpikeBatch spike_batch_from_dense(const Eigen::MatrixXf& x, int T, int64_t B);

// Samples idx of ds through the encoder (encoders.hpp), the same spikes as encode() gives;
// inputs beyond n_in are dropped. Samples split over `threads` (the same bits for any count).
SnnSpikeBatch encode_spike_batch(const Dataset& ds, const EncoderSpec& enc, int T,
                                 const std::vector<int64_t>& idx, int64_t n_in, int threads = 1);

// snn_loss computed the fast way (snn_fused.cpp): inputs grouped by spike train, the time
// loop fused per tile of neurons, tiles split over `threads`. Equal to snn_loss up to
// float rounding (the sums run in another order); bit-identical for any thread count.
float snn_loss_fused(const Graph& g, const SnnChain& c, const SnnTraining& tr,
                     const SnnSpikeBatch& in, const std::vector<int32_t>& labels,
                     std::vector<Eigen::MatrixXf>* grads, Eigen::MatrixXf* logits = nullptr,
                     int threads = 1);

// Writes the chain weights back into the graph's dense projections.
void snn_store_chain(Graph& g, const SnnChain& c);

}  // namespace sf
