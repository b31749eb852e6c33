// Helpers for the command-line tests: a sandbox holding a tiny network (6 inputs, 5 + 3 LIF
// neurons) and a spike file for it, and a runner that captures stdout, stderr and how the
// process ended (exit code, or the signal that killed it), with extra environment variables.
#pragma once

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sf/core/tensor.hpp"
#include "sf/reference/encoders.hpp"

namespace sf_cli_test {

namespace fs = std::filesystem;

struct Run {
    int rc = -1;      // exit code, or -1 when killed
    int signal = 0;   // the signal that killed it
    std::string out, err;
};

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Sandbox {
    fs::path dir;
    Sandbox() {
        static int n = 0;
        dir = fs::temp_directory_path() /
              ("sf_cli_io_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
        fs::remove_all(dir);
        fs::create_directories(dir / "net");
        std::ofstream(dir / "net/network.yaml") << R"(
name: cli
timesteps: 8
populations:
  - {name: in, kind: input, size: 6}
  - {name: h, kind: lif, size: 5, threshold: 1.0, decay_u: 0.5, decay_v: 0.1}
  - {name: out, kind: lif, size: 3, threshold: 1.0, output: true}
projections:
  - {name: fc1, kind: dense, from: in, to: h, weights: w.npz:fc1}
  - {name: fc2, kind: dense, from: h, to: out, weights: w.npz:fc2}
)";
        std::vector<float> w1(30), w2(15);
        for (size_t i = 0; i < w1.size(); ++i) w1[i] = float(int(i % 7) - 1) / 2.0f;
        for (size_t i = 0; i < w2.size(); ++i) w2[i] = float(int(i % 5)) / 2.0f;
        sf::write_npz((dir / "net/w.npz").string(), {{"fc1", sf::Tensor::from(w1, {5, 6})},
                                                     {"fc2", sf::Tensor::from(w2, {3, 5})}});
        // Two samples of 8 steps, every input spiking every step.
        sf::SpikeInput in;
        in.num_inputs = 6;
        for (int s = 0; s < 2; ++s) {
            sf::SampleInput smp;
            smp.steps.assign(8, {0, 1, 2, 3, 4, 5});
            smp.label = s;
            in.samples.push_back(smp);
        }
        sf::write_spike_file((dir / "spikes.npz").string(), in);
    }
    ~Sandbox() {
        std::error_code ec;
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(dir, ec);
    }
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;

    // Runs spikeforge with args in directory `cwd` (default: the sandbox), with `env`
    // ("NAME=value ...") prepended.
    Run run(const std::string& args, const std::string& env = "", const fs::path& cwd = {}) const {
        Run r;
        const fs::path wd = cwd.empty() ? dir : cwd;
        const std::string cmd = "cd '" + wd.string() + "' && " + env + " " +
                                std::string(SF_SPIKEFORGE_BIN) + " " + args + " > '" +
                                (dir / ".stdout").string() + "' 2> '" + (dir / ".stderr").string() +
                                "'; echo $? > '" + (dir / ".rc").string() + "'";
        std::system(cmd.c_str());
        // The shell reports a child killed by signal s as 128 + s.
        const int code = std::atoi(slurp(dir / ".rc").c_str());
        if (code > 128) {
            r.signal = code - 128;
        } else {
            r.rc = code;
        }
        r.out = slurp(dir / ".stdout");
        r.err = slurp(dir / ".stderr");
        fs::remove(dir / ".stdout");
        fs::remove(dir / ".stderr");
        fs::remove(dir / ".rc");
        return r;
    }
    std::string p(const std::string& rel) const { return (dir / rel).string(); }
};

// Entries of d whose names start with '.', other than the output marker.
inline int hidden_entries(const fs::path& d) {
    int n = 0;
    for (const auto& e : fs::directory_iterator(d)) {
        const std::string name = e.path().filename().string();
        if (name[0] == '.' && name != ".spikeforge-output") ++n;
    }
    return n;
}

}  // namespace sf_cli_test
