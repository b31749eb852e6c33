// Float STDP with the chip's rule form (DESIGN.md §3), and an unsupervised learning
// example in the style of Diehl & Cook (2015): an excitatory LIF layer with lateral
// inhibition and adaptive thresholds learns MNIST digits from rate-coded input; neurons
// are labelled by the class they answer most, and classify by a vote of their spikes.
//
// The rule, per step, after the neuron update (the simulator's learn step is the same):
//   x_pre *= exp(-1/tau_pre); y_post *= exp(-1/tau_post)
//   for each arriving pre spike j:  w[i][j] -= a_minus * y_post[i]   (every post i)
//   x_pre[j] += 1 for the pre spikes
//   for each post spike i:          w[i][j] += a_plus * x_pre[j]    (every pre j)
//   y_post[i] += 1 for the post spikes; clamp w into [w_min, w_max].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sf/core/graph.hpp"
#include "sf/reference/datasets.hpp"

namespace sf {

// STDP state of one dense projection: w is [post][pre] row-major like the IR's weights.
struct StdpDense {
    StdpParams p;
    int64_t n_pre = 0, n_post = 0;
    std::vector<float> w, x_pre, y_post;

    StdpDense(const StdpParams& params, int64_t pre, int64_t post, std::vector<float> weights);
    void reset_traces();
    // One step: pre = indices of the pre spikes arriving this step, post = post spikes of it.
    void step(const std::vector<int32_t>& pre, const std::vector<int32_t>& post);
};

struct DiehlCookOptions {
    int neurons = 100;
    int timesteps = 150;          // steps per sample (1 ms each)
    float max_rate = 0.25f;       // input spike probability per step at intensity 1
    int epochs = 1;
    float decay_v = 0.05f;        // excitatory membrane leak per step
    float threshold = 20.0f;      // base threshold
    float theta_plus = 0.05f;     // threshold increase per spike
    float tau_theta = 1e5f;       // [steps] decay time constant of the threshold increase
    float inhibition = 30.0f;     // lateral inhibition weight (to every other neuron)
    float weight_sum = 78.0f;     // incoming weights of a neuron normalised to this sum
    StdpParams stdp{0.02f, 0.004f, 20.0f, 20.0f, 0.0f, 1.0f};
    uint64_t seed = 1;
    int64_t max_train = -1;
    bool progress = false;
};

struct DiehlCookResult {
    Graph network;                 // in -> exc (+ inhibition) -> class (LI vote readout)
    std::vector<int> assignment;   // class of each excitatory neuron (-1: never fired)
    double train_seconds = 0;
    double accuracy = 0;           // on the test split, by the simulator
    int64_t test_samples = 0;
};

// Train on mnist's training split, label the neurons, fold the adaptive thresholds into
// the weights (a neuron with threshold th + theta behaves exactly like one with threshold
// th and every incoming weight scaled by th / (th + theta)), and test in the simulator.
DiehlCookResult train_diehl_cook(const Dataset& train, const Dataset& test,
                                 const DiehlCookOptions& opt);

}  // namespace sf
