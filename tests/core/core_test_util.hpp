// Helpers shared by the core tests: a scratch directory removed at scope exit, and
// small file utilities.
#pragma once

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>

namespace sf_test {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed (with contents) on destruction.
class TempDir {
public:
    TempDir() {
        static std::atomic<int> n{0};
        path_ = fs::temp_directory_path() /
                ("sf-core-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::string str() const { return path_.string(); }
    std::string operator/(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

inline void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

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
