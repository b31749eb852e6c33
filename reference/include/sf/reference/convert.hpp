// ANN -> SNN conversion of trained ReLU networks (Rueckauer et al. 2017): every dense or
// conv2d layer followed by ReLU becomes a population of IF neurons with reset by
// subtraction and threshold 1, whose firing rate approximates the ReLU activation divided
// by a per-layer scale lambda (a high percentile of that layer's activations on training
// data). Weights become W * lambda_prev / lambda, biases b / lambda (per step). Pooling
// becomes an avg_pool projection onto IF neurons (max pooling is approximated by average
// pooling, scaled by the ratio of max to average on the data, and says so). The last linear layer feeds an LI integrator (membrane readout)
// or IF neurons (spike-count readout). Input pixels drive a direct encoder (gain 1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sf/core/graph.hpp"
#include "sf/reference/ann.hpp"
#include "sf/reference/datasets.hpp"

namespace sf {

struct ConvertOptions {
    int timesteps = 64;                 // steps per sample of the converted network
    float percentile = 99.9f;           // of the positive activations of each layer
    int64_t norm_samples = 1000;        // training samples used to measure activations
    std::string readout = "membrane";   // membrane (LI output) or spike_count (IF output)
    std::string name;                   // network name ("" = the ANN's name + "-snn")
};

struct ConvertLayerInfo {
    std::string ann_layer;   // the ANN layer that became this population
    std::string population;
    float lambda = 1.0f;     // activation scale of the layer
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

}  // namespace sf
