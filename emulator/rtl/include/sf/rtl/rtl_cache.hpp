// The RTL model cache: a chip configuration with no prebuilt Verilated model is built on
// first use into a shared library, kept in a directory named by a hash of everything that
// goes into it, and loaded by the RTL backend with dlopen() (docs/rtl.md, "Other chips").
//
//   root:  $SPIKEFORGE_RTL_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/spikeforge/rtl
//   entry: root/<hash>/ holding libsf_chip.so, params.txt and build.log
//   hash:  the sf_chip parameters, the RTL sources (rtl/*.sv, *.vlt), the model wrapper
//          headers, the Verilator and compiler versions and the flags
//
// A build runs in root/<hash>.tmp.<pid>/ and becomes the entry with one rename(), so a
// killed build leaves only a temporary directory that no later run reads. Tools: verilator
// ($SPIKEFORGE_VERILATOR or PATH), the C++ compiler ($CXX or c++ on PATH), the SystemC
// headers; the RTL sources are read from the source tree this binary was built from
// ($SPIKEFORGE_SOURCE_DIR overrides). Compilation runs $SPIKEFORGE_RTL_JOBS (default: the
// number of CPUs) compilers at once.
#pragma once

#include <iosfwd>
#include <string>

#include "sf/core/chip_config.hpp"

namespace sf::rtl {

struct CachedModel {
    std::string dir;        // the cache entry
    std::string library;    // dir/libsf_chip.so
    bool built_now = false; // false: found in the cache
    double build_seconds = 0;
};

// The cache root directory (see above).
std::string cache_root();

// Throws InputError when the RTL cannot represent the chip (names the setting and why).
void check_chip_buildable(const ChipConfig& chip);

// Find the chip's model library in the cache, or build it (a message on `log` says so and
// how long it may take). Throws InputError when a tool is missing or the build fails.
CachedModel cached_model(const ChipConfig& chip, std::ostream& log);

}  // namespace sf::rtl
