// `--backend systemc`: run a ChipImage on the cycle-accurate SystemC chip (chip.hpp) through
// the harness shared with the RTL (sf/harness/harness.hpp).
//
// SystemC elaborates a design once per process, so the chip and its wires are built on the
// first run and rebuilt for each later image's configuration; runs in one process follow
// one another (not thread-safe). Waveforms can be traced only in the first run.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sf/core/chip_image.hpp"
#include "sf/core/run_result.hpp"

namespace sf {

namespace sc {
class Chip;
}

struct SystemCOptions {
    uint64_t watchdog_cycles = 100000000;  // a step longer than this is reported as stuck
    std::string trace_file;                // VCD waveforms of this run, "" for none
    std::vector<int> trace_tiles;          // tiles (y * W + x) to trace; empty: all
    bool fast = true;                      // exact cycle skipping (§10); off gives the same results
    bool check_image = true;               // refuse images the chip cannot hold
    // Called with the chip after it is built and reset, before the run (fault injection).
    std::function<void(sc::Chip&)> before_run;
};

// Build the SystemC chip without running it. A process that runs both cycle-level backends
// must build every chip before the first simulation starts (SystemC elaborates once): call
// this (and prepare_rtl) first.
void prepare_systemc(const ChipConfig& chip);

RunResult run_systemc(const ChipImage& img, const SpikeInput& input, const RunOptions& opt,
                      const SystemCOptions& so = {},
                      const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace sf
