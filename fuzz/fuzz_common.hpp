// Shared by the fuzz targets (docs/fuzzing.md). Each target feeds its input to one of
// spikeforge's loaders the way a user's file would reach it, and accepts exactly two
// outcomes: the loader returns, or it throws sf::Error (InputError, CapacityError) — the
// one clear message the CLI prints. Anything else (another exception, a crash, a
// sanitizer report, a hang, a leak) is a finding. The same sources build with libFuzzer
// (clang, SF_FUZZ=ON) and, with replay_main.cpp, as plain CTest replays of the corpora.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "sf/core/error.hpp"

namespace sf_fuzz {

namespace fs = std::filesystem;

// A scratch directory of this process, removed at exit; in /dev/shm when there is one, so
// the file-based loaders cost no disk I/O.
inline const fs::path& scratch() {
    static const fs::path dir = [] {
        const std::string base = fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
        std::string tmpl = base + "/sf-fuzz-XXXXXX";
        if (!mkdtemp(tmpl.data())) std::abort();
        static struct Remover {
            fs::path p;
            ~Remover() {
                std::error_code ec;
                fs::remove_all(p, ec);
            }
        } remover{tmpl};
        return fs::path(tmpl);
    }();
    return dir;
}

inline void write_bytes(const fs::path& p, const uint8_t* data, size_t n) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), std::streamsize(n));
    if (!out) std::abort();
}

// Runs fn; the loaders' documented failure (sf::Error) is an accepted outcome.
template <class F>
void expect_clean(F&& fn) {
    try {
        fn();
    } catch (const sf::Error& e) {
        // Every message must say what went wrong.
        if (e.problem().empty()) std::abort();
    }
}

}  // namespace sf_fuzz
