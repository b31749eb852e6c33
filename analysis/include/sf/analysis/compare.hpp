// `spikeforge compare`: compile a spiking network for a chip, run it on the float
// reference and on chip backends over the same encoded test samples, and answer in one
// JSON object (docs/compare.md has every field): accuracy per backend; whether the chip
// backends agree exactly (and the first difference if not); float against chip, overall and
// per layer, with the likely cause of each layer's loss taken from the compiler's and the
// emulator's own diagnostics; energy per inference by event kind; latency; NeuroBench-style
// metrics; the ANN counterpart on a conventional accelerator; the mesh with its link load;
// a traced sample (raster, membranes) for the report page.
//
// The terminal table and the HTML page are both drawn from this JSON (report.hpp), so the
// three always show the same numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sf/core/chip_config.hpp"
#include "sf/core/graph.hpp"
#include "sf/core/run_result.hpp"

namespace sf {

struct CompareOptions {
    std::string network;               // directory or network.yaml
    std::string chip = "sf1";          // preset or YAML path (used when chip_config is empty)
    std::optional<ChipConfig> chip_config;
    std::string data;                  // "" = the network's data set
    int64_t samples = 100;
    int steps = 0;                     // 0 = the network's timesteps
    uint64_t seed = 1;                 // compile (placement) seed
    // "reference" and chip backends; empty = reference and functional (for an ANN model
    // only its own figures: no chip backend runs it).
    std::vector<std::string> backends;
    std::string ann;                   // "" = the link recorded by convert, if any
    bool no_ann = false;
    std::string energy_table = "horowitz-45nm";
    // Neurons whose membranes the report traces, as "population:index"; empty = the most
    // active neuron of each layer (the label's neuron for the output).
    std::vector<std::string> trace_neurons;
    bool trace = true;                 // trace sample 0 (raster, membranes) for the report
    bool progress = false;             // progress bar on stderr
    // Worker threads for the compiler's passes, the float reference (batches of samples)
    // and the functional emulator (samples); the results are the same for any count, and
    // the JSON's "threads" says the most any of them used. The cycle-level backends, the
    // ANN counterpart and learning runs stay on one thread.
    int threads = 1;
    // An already loaded network to use instead of reading `network` (sweep changes it).
    std::optional<Graph> graph;
};

// Throws InputError for bad input (unknown or unbuilt backend, no data set, a data set
// that does not fit the network, an ANN network given where a spiking one is needed).
nlohmann::json run_compare(const CompareOptions& opt);

// The first place where chip backend b's result of a run departs from a's (the reference
// among the chip backends), as {sample, step, what, core, neuron, expected, got}, or null
// when they agree: rasters step by step, output spikes, membrane sums, predictions, cycles
// per step (when compare_cycles), counters (cycles only when compare_cycles), and final
// weights, u and v. Sample numbers are offset by first_sample.
nlohmann::json first_difference(const RunResult& a, const RunResult& b, int64_t first_sample,
                                bool compare_cycles);

// The quantization scale the compiler gives a population (docs/compiler.md, quantize):
// weight_max / max |incoming weight|, lowered when the threshold would not fit. Chip u and
// v are in units of (1 / (64 * scale)) of the float network's. 0 for input populations.
double population_scale(const Graph& g, const ChipConfig& chip, int pop);

}  // namespace sf
