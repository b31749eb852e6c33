// The compiler driver: Graph IR in, ChipImage out, through the passes of DESIGN.md §4
// (validate -> quantize -> lower -> partition -> place -> route -> emit). Each pass
// records statistics and can dump its result as text.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "sf/core/chip_config.hpp"
#include "sf/core/chip_image.hpp"
#include "sf/core/graph.hpp"

namespace sf {

struct CompileOptions {
    uint64_t seed = 1;
    std::string dump_after;           // pass name, or "" for none; "all" dumps after each
    std::ostream* dump = nullptr;     // where dumps go (required when dump_after is set)
    // Worker threads for the passes that split into independent pieces (quantize, lower,
    // partition's tiling, emit and the report; sf/core/parallel.hpp). The image is
    // byte-identical for any count; < 1 counts as 1. The CLI's default is every core.
    int threads = 1;
};

struct PassStats {
    std::string pass;
    double wall_s = 0;
    std::map<std::string, double> stats;  // counts and measures, named in snake_case
    std::vector<std::string> warnings;    // things that compiled but will not run as in float
    int threads = 1;                      // most threads the pass ran on (not in the report)
};

struct CompileResult {
    ChipImage image;
    std::vector<PassStats> passes;
    int threads = 1;  // most threads any pass (or the report) ran on
};

// Names of the passes in pipeline order, for --dump-after.
const std::vector<std::string>& pass_names();

// Throws InputError for a bad network, CapacityError when it does not fit the chip.
CompileResult compile(const Graph& g, const ChipConfig& chip, const CompileOptions& opt = {});

}  // namespace sf
