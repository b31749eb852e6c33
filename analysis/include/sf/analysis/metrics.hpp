// The arithmetic of comparison and the metrics the field reports, kept apart from any run
// so that each figure can be checked by hand on small cases (tests/compare/).
//
// NeuroBench's definitions (Yik et al., "NeuroBench", 2023/2025, "complexity metrics"):
//   footprint            bytes of parameters and state a model needs;
//   connection sparsity  zero weights / all weights (biases excluded);
//   activation sparsity  zero activations / all activations (for an SNN: neuron-steps
//                        without a spike over all neuron-steps, input neurons excluded);
//   synaptic operations  Dense: every connection computed once per step (SNN) or once per
//                        inference (ANN); Effective_MACs (ANN): multiply-accumulates whose
//                        input activation and weight are both nonzero; Effective_ACs (SNN):
//                        accumulations actually done, one per spike per present synapse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sf/core/graph.hpp"

namespace sf {

// Pearson correlation accumulated one pair at a time (no sample kept), in long double so
// that millions of small integer counts do not lose digits.
class Correlation {
public:
    void add(double x, double y);
    int64_t count() const { return n_; }
    // Undefined (nullopt) without pairs or when either side is constant.
    std::optional<double> value() const;

private:
    int64_t n_ = 0;
    long double sx_ = 0, sy_ = 0, sxx_ = 0, syy_ = 0, sxy_ = 0;
};

// Fraction of positions where a and b hold the same value (sizes must agree; 0 for empty).
double fraction_identical(const std::vector<int>& a, const std::vector<int>& b);

// Points that no other point beats on both axes: higher `better` and lower `cost`
// (accuracy and energy). A point equal to another on both axes stays on the front.
std::vector<bool> pareto_front(const std::vector<double>& better, const std::vector<double>& cost);

// Per-layer agreement of spike counts between the float network and the chip, built from
// (sample, neuron) pairs of counts; steps per sample give rates.
struct LayerAgreement {
    Correlation corr;
    int64_t pairs = 0, identical = 0;
    uint64_t float_spikes = 0, chip_spikes = 0;
    long double abs_diff = 0;  // sum over pairs of |chip - float|

    void add(int64_t float_count, int64_t chip_count);
    // Spikes per neuron per step.
    double float_rate(int steps) const;
    double chip_rate(int steps) const;
    // Mean |chip - float| spike count per neuron per step (0 when no pairs).
    double rate_error(int steps) const;
    double identical_fraction() const { return pairs ? double(identical) / double(pairs) : 0.0; }
};

// Static NeuroBench-style figures of a spiking network (Graph IR) in float.
struct SnnStaticMetrics {
    int64_t neurons = 0;         // non-input neurons
    int64_t weights = 0;         // weight parameters (dense, conv kernels, one-to-one tensors, sparse)
    int64_t zero_weights = 0;
    int64_t connections = 0;     // synapses incl. pooling taps, padding taps excluded
    int64_t parameter_bytes = 0; // float32 weights and biases
    int64_t state_bytes = 0;     // float32 u and v per non-input neuron
    double connection_sparsity() const {
        return weights ? double(zero_weights) / double(weights) : 0.0;
    }
};

SnnStaticMetrics snn_static_metrics(const Graph& g);

// Connections of one projection (post neurons x the taps that land inside the input).
int64_t projection_connections(const Graph& g, const Projection& p);

}  // namespace sf
