// The chip backends compare and sweep can run, each a function from (ChipImage, SpikeInput,
// RunOptions) to a RunResult (core/include/sf/core/run_result.hpp), so that comparison
// never cares which backend ran. "reference" (the float simulator) is not a chip backend:
// compare runs it on the Graph IR, not on the image.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sf/core/chip_image.hpp"
#include "sf/core/run_result.hpp"
#include "sf/functional/functional.hpp"

namespace sf {

using ChipBackendFn = std::function<RunResult(const ChipImage&, const SpikeInput&,
                                              const RunOptions&, const ProgressFn&)>;

struct ChipBackend {
    std::string name;
    bool built = false;      // false: named but not in this build
    bool counts_cycles = false;
    ChipBackendFn run;
    // Cycle-level backends elaborate SystemC once per process: one that runs both builds
    // every chip first (prepare_systemc / prepare_rtl). Empty when nothing is needed.
    std::function<void(const ChipConfig&)> prepare;
};

// Before a process runs more than one cycle-level backend on `chip`: prepares each.
void prepare_chip_backends(const std::vector<std::string>& names, const ChipConfig& chip);

// functional, systemc, rtl (in that order), built or not.
const std::vector<ChipBackend>& chip_backends();

// The backend of that name. Throws InputError for an unknown name (listing the known
// ones) and for a backend not built yet ("backend systemc is not built yet").
const ChipBackend& chip_backend(const std::string& name);

// Splits "reference,functional,systemc" and checks every name (chip_backend's errors, and
// duplicates); the result keeps the order given. `reference` is accepted as well.
std::vector<std::string> parse_backend_list(const std::string& list);

}  // namespace sf
