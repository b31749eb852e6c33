// Helpers shared by the core tests: a scratch directory removed at scope exit, and
// small file utilities.
#pragma once

#include "sf_test_util.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

namespace sf_test {

namespace fs = std::filesystem;

using TempDir = sf_test::ScratchDir;


inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Debian's python with numpy, used to cross-check files; "" when unavailable.
inline bool have_numpy() {
    static int state = -1;
    if (state < 0) {
        state = std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0 ? 1 : 0;
    }
    return state == 1;
}

inline std::string source_dir() { return SF_SOURCE_DIR; }

}  // namespace sf_test
