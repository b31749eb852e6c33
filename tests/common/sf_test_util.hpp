// Helpers shared by every test binary: a scratch directory that cleans up after itself,
// writing a text file, and running the spikeforge command line to capture what it printed.
#pragma once

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "sf/core/error.hpp"

namespace sf_test {

// A fresh directory under the system temp dir, removed with its contents on destruction
// (even where a test took away its write permission).
class ScratchDir {
public:
    ScratchDir() {
        static std::atomic<int> n{0};
        path = std::filesystem::temp_directory_path() /
               ("sf-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::permissions(path, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
        std::filesystem::remove_all(path, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    std::string str() const { return path.string(); }
    std::string operator/(const std::string& name) const { return (path / name).string(); }

    std::filesystem::path path;
};

inline void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// What a spikeforge run printed (stdout and stderr together) and its exit code; 128 when
// it did not exit normally (a crash).
struct Ran {
    int code = -1;
    std::string output;
};

inline Ran run_cli(const std::string& args) {
    Ran r;
    const std::string cmd = std::string(SF_SPIKEFORGE_BIN) + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return r;
}

// `text` with `from` (which must occur in it) replaced by `to`: one edit of a good file.
inline std::string edit(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

// The message and fix of the InputError that f throws; empty when it throws none.
struct Caught {
    std::string what, fix;
};

template <class F>
Caught error_of(F&& f) {
    try {
        f();
    } catch (const sf::InputError& e) {
        return {e.what(), e.fix()};
    }
    return {};
}

}  // namespace sf_test
