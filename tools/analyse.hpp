// The analysis of a network run shared by `spikeforge simulate --analyse` and `spikeforge
// course analyse`: output tuning and mutual information (analyse_run), rate, ISI, entropy,
// information and f-I statistics of every recorded population (analyse_population), and
// ablation; on the float reference, on a chip backend, or on a chip run recorded by
// `spikeforge run --record spikes,u --out FILE`. JSON first; the text and the HTML page
// are drawn from the JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sf/core/graph.hpp"
#include "sf/core/run_result.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/run_analysis.hpp"

namespace sf::cli {

// One run of a (possibly ablated) network: the RunResult with labels, and the spikes of
// the recorded populations (when `record` was asked for).
struct AnalysedRun {
    RunResult run;
    std::vector<PopulationSpikes> populations;
    // The float reference's membrane readout (mean v of LI outputs) per sample, when the
    // network reads out the membrane; empty otherwise (a chip run has output_v_sum).
    std::vector<std::vector<double>> membrane;
};
using NetworkRunner = std::function<AnalysedRun(const Graph& g, bool record)>;

// The float reference on the data set (in chunks of samples, so that u is reduced to its
// mean per sample as it goes).
NetworkRunner float_runner(const Dataset& ds, int threads);
// A chip backend (functional, systemc, rtl): compile for the chip, run the same encoded
// spikes, read the recorded spikes and u through `spikeforge run`'s recorded JSON.
// `threads` splits the samples where the backend can (RunOptions::threads).
NetworkRunner chip_runner(const Dataset& ds, const std::string& backend, const std::string& chip,
                          int threads = 1);

// Runs g, analyses outputs and populations, and with `ablate` ("POP:FRACTION", option
// names the flag for errors) reruns the ablated network and reports the accuracy drop.
// "threads" is the most worker threads a run used (RunResult::threads).
nlohmann::json analyse_network(const Graph& g, const NetworkRunner& run, const std::string& ablate,
                               const std::string& option, uint64_t seed);

// The same analysis of a run written by `spikeforge run --record spikes[,u] --out FILE`.
nlohmann::json analyse_recorded_run(const std::string& path);

// The populations of a `recorded` object (docs/formats.md); `where` names it in errors.
std::vector<PopulationSpikes> recorded_populations(const nlohmann::json& recorded, int steps,
                                                   const std::string& where);

// A terminal summary of an analysis object.
void print_analysis(const nlohmann::json& j);

}  // namespace sf::cli
