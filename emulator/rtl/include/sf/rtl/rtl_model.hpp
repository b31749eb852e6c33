// One Verilated sf_chip as the RTL backend sees it, whether it was compiled into this binary
// (the presets of SF_RTL_PRESETS) or built on first use into a shared library of the model
// cache (rtl_cache.hpp) and loaded with dlopen(). The library's only entry point is
// SF_RTL_MAKE_CHIP_SYMBOL; it returns a ChipModel whose sf_chip is bound to the harness's
// wires (chip_ports.hpp). A library carries its own copy of the Verilator runtime, so the
// waveform file is opened through the model, never by the caller. Change this file and
// SF_RTL_MODEL_ABI together: the cache key hashes this file, so old libraries are rebuilt.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sf/harness/chip_ports.hpp"

namespace sf::rtl {

constexpr int SF_RTL_MODEL_ABI = 1;

class ChipModel {
public:
    virtual ~ChipModel() = default;
    // Start FST waveforms into `path`. `scopes` lists (levels, scope) pairs for Verilator's
    // dumpvars; empty: the whole chip.
    virtual void trace_open(const std::string& path,
                            const std::vector<std::pair<int, std::string>>& scopes) = 0;
    // Flush and close the waveforms (nothing when none are open).
    virtual void trace_close() = 0;
};

// extern "C" ChipModel* sf_rtl_make_chip(const char* name, harness::ChipSignals* sig, int abi):
// nullptr when abi differs from the library's SF_RTL_MODEL_ABI.
using MakeChipFn = ChipModel* (*)(const char*, harness::ChipSignals*, int);

}  // namespace sf::rtl

#define SF_RTL_MAKE_CHIP_SYMBOL "sf_rtl_make_chip"
