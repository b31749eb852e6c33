// The cycle-level part of `spikeforge run`'s output (--backend systemc | rtl): total cycles,
// cycles and latency per step, load and clear cycles, per-core busy fraction and the NoC
// statistics (flit-hops, stall cycles, maximum FIFO occupancy per router, link loads).
// Energy by kind, static included, comes from sf::energy_of like every backend's.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sf/core/run_result.hpp"

namespace sf::harness {

// Empty object when the result has no cycle statistics (functional backend). With
// `all_steps`, "cycles_per_step" also lists every step's cycles per sample.
nlohmann::json cycle_report_json(const RunResult& r, bool all_steps);

// Lines for the text report, each ending in a newline; "" without cycle statistics.
std::string cycle_report_text(const RunResult& r, bool all_steps);

}  // namespace sf::harness
