// Analysis of a network's run for a neuroscience course: per output neuron the firing
// rate, the tuning curve over the stimulus classes and the mutual information between the
// class and its spike count; and ablation, which silences a population (or a seeded
// fraction of it) by cutting its outgoing synapses and measures the accuracy drop.
// analyse_run reads a RunResult, which the float reference and every chip backend return
// alike; ablate_graph returns a Graph, which either can then run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sf/core/graph.hpp"
#include "sf/core/run_result.hpp"

namespace sf {

struct NeuronInfo {
    double rate_per_step = 0.0;     // mean spikes per step over all samples
    std::vector<double> tuning;     // mean count per class
    int preferred_class = -1;       // argmax of tuning
    double mi_bits = 0.0;           // I(class; count), bias corrected
    double mi_plugin_bits = 0.0;    // the plug-in estimate
};

struct RunAnalysis {
    double accuracy = -1.0;
    int num_classes = 0;
    int64_t samples = 0;
    double count_entropy_bits = 0.0;  // of the summed output count, bias corrected
    std::vector<NeuronInfo> outputs;
    // I(class; predicted class) in bits, bias corrected: what the readout carries.
    double mi_prediction_bits = 0.0;
};

// Needs labels (>= 0) on every sample and output counts; num_classes = max label + 1.
RunAnalysis analyse_run(const RunResult& run);
nlohmann::json to_json(const RunAnalysis& a);

// A copy of g in which a seeded fraction (0, 1] of `population`'s neurons sends nothing:
// its outgoing dense, one-to-one and sparse weights are set to 0. An output population
// has no outgoing synapses to cut, so it is refused; so are convolutional or pooling
// projections out of it. `silenced` receives the neuron indices, ascending.
Graph ablate_graph(const Graph& g, const std::string& population, double fraction,
                   uint64_t seed, std::vector<int64_t>* silenced = nullptr);

}  // namespace sf
