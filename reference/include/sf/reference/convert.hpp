// ANN -> SNN conversion of trained ReLU networks (Rueckauer et al. 2017): every dense or
// conv2d layer followed by ReLU becomes a population of IF neurons with reset by
// subtraction and threshold 1, whose firing rate approximates the ReLU activation divided
// by a per-layer scale lambda (a high percentile of that layer's activations on training
// data). Weights become W * lambda_prev / lambda, biases b / lambda (per step). Average
// pooling becomes an avg_pool projection onto IF neurons, exact in the limit; max pooling
// is approximated by average pooling scaled by the ratio of max to average on the data (the
// report says so). The last linear layer feeds LI neurons with decay_u = decay_v = 1, whose
// mean membrane is W r + b, the ANN's logits on the mean rates (membrane readout), or IF
// neurons (spike-count readout). Input pixels drive a direct encoder (gain 1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sf/core/graph.hpp"
#include "sf/reference/ann.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/snn.hpp"

namespace sf {

struct ConvertOptions {
    int timesteps = 64;                // steps per sample of the converted network
    float percentile = 99.9f;          // of the positive activations of each layer
    int64_t norm_samples = 1000;       // training samples used to measure activations
    std::string readout = "membrane";  // membrane (LI output) or spike_count (IF output)
    std::string name;                  // network name ("" = the ANN's name + "-snn")
    // Threads for the calibration forward pass: fixed blocks of 128 samples, so every
    // product sees the same rows and the result is the same for any count.
    int threads = 1;
};

struct ConvertLayerInfo {
    std::string ann_layer;  // the ANN layer that became this population
    std::string population;
    float lambda = 1.0f;  // activation scale of the layer
};

struct ConvertReport {
    std::vector<ConvertLayerInfo> layers;
    bool max_pool_as_avg = false;  // a max-pooling layer was replaced by average pooling
    float max_pool_gain = 1.0f;    // scale of the last such average (sum of max / sum of avg)
};

// Convert a trained model. norm: training samples (their first norm_samples are used).
// Throws InputError naming the layer for layers that have no spiking equivalent (sigmoid,
// tanh, RNN, LSTM, ...).
Graph convert_ann(const AnnModel& model, const Dataset& norm, const ConvertOptions& opt,
                  ConvertReport* report = nullptr);

// Accuracy after T steps for several T, from one run of max(steps) steps: a converted
// network's readout after T steps (summed LI membranes, or output spike counts) depends
// only on the first T steps, because the simulation and the direct, rate and spike-file
// inputs are causal, so each point equals a separate run of T steps (tested).
struct TimestepPoint {
    int steps = 0;
    int64_t correct = 0;
    double accuracy = 0.0;
    std::vector<int> predicted;  // per sample (-1: no output spike)
};

struct TimestepCurve {
    std::vector<TimestepPoint> points;  // ascending steps
    int64_t samples = 0;
    int max_steps = 0;
    uint64_t spikes = 0;  // non-input spikes of the whole run of max_steps steps
    double wall_s = 0.0;
};

// Simulate samples [first, first + count) of ds (count < 0: to the end) for max(steps)
// steps, in chunks of `chunk` samples to bound the recorded traces. Throws InputError
// for an empty step list or a step count < 1. The encoder must not depend on the run
// length (latency coding does; the curve refuses it).
TimestepCurve accuracy_vs_timesteps(SnnSimulator& sim, const Dataset& ds, int64_t first,
                                    int64_t count, std::vector<int> steps,
                                    const SnnRunOptions& base = {}, int64_t chunk = 1000);

}  // namespace sf
