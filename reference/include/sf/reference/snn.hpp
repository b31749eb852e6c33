// The float32 spiking simulator of the reference: it runs any Graph IR network with the
// same discrete-time semantics the chip approximates in fixed point (DESIGN.md §3,
// graph.hpp), so a float run is the yardstick for every chip run of the same file.
//
// Per step t, for every neuron population (docs/reference-snn.md):
//   I[t] = sum over incoming projections of the weighted spikes arriving at step t
//   u[t] = (1 - decay_u) u[t-1] + I[t]
//   if refractory: v[t] = 0, no spike, one refractory step used up
//   else v[t] = (1 - decay_v) v[t-1] + u[t] + bias; spike if v[t] > threshold (strict),
//        then v := 0 (reset zero) or v - threshold (reset subtract), refractory := R.
// Input spikes of step t arrive at step t + delay - 1; a neuron's spike at step t arrives
// at step t + delay (delay 1 everywhere on the chip). LI populations never spike.
// Samples are simulated in batches (rows of Eigen matrices); weights are float32.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sf/core/graph.hpp"
#include "sf/core/run_result.hpp"
#include "sf/reference/datasets.hpp"

namespace sf {

struct SnnRunOptions {
    int steps = 0;                 // steps per sample; 0 = the graph's timesteps
    bool record_spikes = false;    // spike raster of the recorded populations
    bool record_u = false;         // u per step of the recorded populations
    bool record_v = false;         // v per step of the recorded populations
    std::vector<std::string> record_populations;  // empty = every population
    bool learn = false;            // apply float STDP on projections that carry stdp:
    int64_t batch = 64;            // samples simulated together (1 when learning)
    bool progress = false;         // progress bar on stderr
    // Worker threads over sample batches (sf/core/parallel.hpp): bit-identical results for
    // any count; a learning run stays serial. SnnResult::run.threads says what was used.
    int threads = 1;
    // Initial membrane values per population name ([size] values), e.g. random starts.
    std::map<std::string, std::vector<float>> initial_v;
};

// Recorded traces of one sample, indexed by the graph's population index; populations
// that were not recorded hold empty vectors.
struct SnnSampleRecord {
    std::vector<std::vector<std::vector<int32_t>>> spikes;  // [pop][step] flat neuron indices
    std::vector<std::vector<float>> u, v;                   // [pop][step * size + neuron]
};

struct SnnResult {
    // backend "reference": per sample output_spikes, output_counts, predicted, label; the
    // output is the concatenation of the output populations. counters.spikes counts the
    // spikes of non-input neurons, counters.syn_ops the weighted inputs added.
    RunResult run;
    std::vector<uint64_t> population_spikes;  // per population index, all samples
    std::vector<std::vector<float>> readout;  // per sample: counts, or mean v of LI outputs
    std::vector<SnnSampleRecord> records;     // per sample, when anything was recorded
};

// Prediction of one readout vector: argmax (lowest index on ties); -1 when all are zero
// for a spike-count readout (no output spikes).
int snn_predict(const std::vector<float>& readout, bool membrane);

class SnnSimulator {
public:
    // Validates the graph (validate_graph) and prepares the projections.
    explicit SnnSimulator(const Graph& g);
    ~SnnSimulator();
    SnnSimulator(SnnSimulator&&) noexcept;
    SnnSimulator& operator=(SnnSimulator&&) noexcept;

    // Simulate every sample of `in` (num_inputs = total size of the input populations, in
    // graph order). State (and STDP traces) reset between samples; learned weights persist.
    SnnResult run(const SpikeInput& in, const SnnRunOptions& opt = {});

    // The graph with the current (possibly learned) weights.
    Graph graph() const;
    // True if the output is read from LI membranes instead of spike counts.
    bool membrane_readout() const;
    // The graph as loaded (weights before any learning); no copy.
    const Graph& loaded_graph() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Encode samples [first, first + count) of ds with the graph's encoder (sf::encode, the
// same spikes the chip sees) and simulate them. Throws InputError when the data set's
// sample size differs from the input population's size.
SnnResult simulate_dataset(SnnSimulator& sim, const Dataset& ds, int64_t first, int64_t count,
                           const SnnRunOptions& opt = {});

}  // namespace sf
