// Analysis of a network's run for a neuroscience course: per output neuron the firing
// rate, the tuning curve over the stimulus classes and the mutual information between the
// class and its spike count; and ablation, which silences a population (or a seeded
// fraction of it) by cutting its outgoing synapses and measures the accuracy drop.
// analyse_run reads a RunResult, which the float reference and every chip backend return
// alike; ablate_graph returns a Graph, which either can then run.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
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
    // A membrane readout (LI outputs): the outputs do not spike, so the tuning curves and
    // preferred classes are of each output's membrane value, and the per-output
    // information (of a spike count) is not given (NaN, null in JSON).
    bool membrane = false;
};

// Needs labels (>= 0) on every sample and output counts; num_classes = max label + 1.
// membrane: per sample the outputs' membrane readout (the float reference's mean v of LI
// outputs); without it, a chip run's output_v_sum when its samples hold one.
RunAnalysis analyse_run(const RunResult& run,
                        const std::vector<std::vector<double>>* membrane = nullptr);
nlohmann::json to_json(const RunAnalysis& a);

// The spikes of one population over a run, from the float reference or from a chip run's
// recorded data alike: per sample the (step, neuron) of every spike; optionally the mean
// input current u of every neuron over the sample (for the f-I curve), in the run's units
// (float for the reference, the chip's fixed point for a chip run).
struct PopulationSpikes {
    std::string name;
    int64_t size = 0;
    std::vector<std::vector<std::pair<int32_t, int32_t>>> samples;  // [sample] (step, neuron)
    std::vector<std::vector<double>> mean_u;                        // [sample][neuron] or empty
};

struct PopulationAnalysis {
    std::string name;
    int64_t size = 0, samples = 0, spikes = 0;
    double rate_per_step = 0.0;     // mean over neurons, samples and steps
    double rate_hz = -1.0;          // the same per second when dt is known, else -1
    double silent_fraction = 0.0;   // neurons that never spiked in any sample
    double max_neuron_rate_per_step = 0.0;
    // ISI statistics over the spike trains (one per sample and neuron) with >= 3 spikes,
    // intervals in steps: their number, the mean ISI and the mean coefficient of variation.
    int64_t isi_trains = 0;
    double isi_mean_steps = 0.0, isi_cv_mean = 0.0;
    // The population's summed count per sample: its entropy and I(class; count), bias
    // corrected (the plug-in value beside it), and its tuning curve (mean per class).
    double count_entropy_bits = 0.0, mi_bits = 0.0, mi_plugin_bits = 0.0;
    std::vector<double> tuning;
    // Per neuron: I(class; its count), bias corrected; the mean and the largest, and how
    // many neurons prefer each class (argmax of the neuron's tuning curve; silent ones none).
    double neuron_mi_bits_mean = 0.0, neuron_mi_bits_max = 0.0;
    std::vector<int64_t> preferred_class_neurons;
    // f-I curve, when mean_u was given: (sample, neuron) pairs binned by mean u into equal
    // bins; per bin its centre, the mean rate per step and the number of pairs.
    std::vector<double> fi_input, fi_rate_per_step;
    std::vector<int64_t> fi_pairs;
};

// labels: one class >= 0 per sample; steps: steps per sample; dt_ms <= 0 when unknown.
PopulationAnalysis analyse_population(const PopulationSpikes& p, const std::vector<int>& labels,
                                      int steps, double dt_ms = 0.0, int fi_bins = 10);
nlohmann::json to_json(const PopulationAnalysis& a);

// A copy of g in which a seeded fraction (0, 1] of `population`'s neurons sends nothing:
// its outgoing dense, one-to-one and sparse weights are set to 0. An output population
// has no outgoing synapses to cut, so it is refused; so are convolutional or pooling
// projections out of it. `silenced` receives the neuron indices, ascending.
Graph ablate_graph(const Graph& g, const std::string& population, double fraction,
                   uint64_t seed, std::vector<int64_t>* silenced = nullptr);

}  // namespace sf
