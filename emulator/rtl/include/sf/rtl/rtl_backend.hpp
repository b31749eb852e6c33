// `--backend rtl`: run a ChipImage on the Verilated RTL chip (rtl/sf_chip.sv, compiled by
// Verilator as a SystemC module) through the harness shared with the SystemC model
// (sf/harness/harness.hpp), so host, input, output and result code are the same.
//
// Verilator fixes a chip's sizes when it compiles the RTL: the presets of this build
// (SF_RTL_PRESETS, by default sf1-small and sf1) are Verilated at build time, and any other
// chip configuration is Verilated on first use into the model cache (rtl_cache.hpp) and
// loaded from there; a chip the RTL cannot represent is refused with the reason. SystemC
// elaborates once per process: every chip must exist before the first simulation starts,
// so a process that runs both cycle-level backends calls prepare_rtl first.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "sf/core/chip_image.hpp"
#include "sf/core/run_result.hpp"

namespace sf {

struct RtlOptions {
    uint64_t watchdog_cycles = 100000000;  // a step longer than this is reported as stuck
    std::string trace_file;                // waveforms of this run: NAME.fst or NAME.vcd; "" none
    std::vector<int> trace_tiles;          // tiles (y * W + x) to trace; empty: the whole chip
    bool check_image = true;               // refuse images the chip cannot hold
    std::ostream* build_log = nullptr;     // messages of a model build; nullptr: std::cerr
};

// The sf_chip parameters of a chip configuration, "MeshW=4,MeshH=4,..." (rtl/chip_params.sh).
std::string rtl_params_key(const ChipConfig& chip);

// Names of the chips Verilated into this build (e.g. "sf1-small", "sf1").
std::vector<std::string> rtl_prebuilt_chips();

// Build (if not yet built) the Verilated chip for this configuration without running it:
// a prebuilt preset, or a model of the cache, built now when missing (the message of the
// build goes to build_log, std::cerr when nullptr). Throws InputError when the RTL cannot
// represent the chip or a tool to build it is missing.
void prepare_rtl(const ChipConfig& chip, std::ostream* build_log = nullptr);

RunResult run_rtl(const ChipImage& img, const SpikeInput& input, const RunOptions& opt,
                  const RtlOptions& ro = {},
                  const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace sf
