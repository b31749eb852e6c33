// The command line against bad arguments, found by the audit of 2026-11-30: every case
// exits non-zero (never by a signal) with one "spikeforge: error:" message and a fix, and
// writes nothing. Before, CLI11's own errors had neither prefix nor fix, negative seeds
// and counts were taken as "all", and train checked -o only after training.
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

using sf_test::Ran;

Ran spikeforge(const std::string& args) {
    return sf_test::run_cli(args);
}

int count(const std::string& s, const std::string& part) {
    int n = 0;
    for (size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
    return n;
}

std::string src(const std::string& rel) {
    return std::string(SF_SOURCE_DIR) + "/" + rel;
}

struct Scratch {
    fs::path dir;
    Scratch() {
        dir = fs::temp_directory_path() / ("sf-cli-bad-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        std::ofstream(dir / "afile") << "not a directory\n";
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::string p(const std::string& rel) const { return (dir / rel).string(); }
};

}  // namespace

TEST_CASE("Bad command-line arguments give one message with a fix and write nothing",
          "[functional][cli][errors][audit]") {
    Scratch s;
    const std::string logreg = src("networks/digits-logreg/model.yaml");
    const std::string snn = src("networks/digits-snn");
    struct Case {
        std::string args, message, must_not_exist;
    };
    const Case cases[] = {
        // CLI11's own parse errors, now in the one-message form.
        {"compile " + snn + " -o " + s.p("o1") + " --seed abc", "--seed", s.p("o1")},
        {"compile " + snn + " -o " + s.p("o2") + " --seed -1", "--seed", s.p("o2")},
        {"simulate " + snn + " --record bogus", "--record", ""},
        {"train " + logreg + " --data digits --seed -1 -o " + s.p("o3"), "--seed", s.p("o3")},
        // Output paths, checked before any work.
        {"compile " + snn + " -o ''", "--output: the value is empty", ""},
        {"train " + logreg + " --data digits -o " + s.p("afile"),
         "'" + s.p("afile") + "' exists and is not a directory", ""},
        {"train " + logreg + " --data digits -o " + s.p("nope/t"),
         "the parent directory of '" + s.p("nope/t") + "' does not exist",
         s.p("nope")},
        {"run " + s.p("img") + " --out " + s.p("nope/r.json"), "does not exist", s.p("nope")},
        {"simulate " + snn + " --samples 2 --out " + s.p("nope/s.npz"), "does not exist",
         s.p("nope")},
        {"simulate " + snn + " --samples 2 --out " + s.p(""), "is a directory", ""},
        // Counts that used to mean "all" or nothing.
        {"train " + logreg + " --data digits --epochs -5 -o " + s.p("o4"),
         "--epochs: must be a whole number from 0 to 2147483647, got '-5'", s.p("o4")},
        {"train " + logreg + " --data digits --max-train -5 -o " + s.p("o5"),
         "--max-train: must be a whole number from 1 to", s.p("o5")},
        {"train " + logreg + " --data digits --max-test 0 -o " + s.p("o6"),
         "--max-test: must be a whole number from 1 to", s.p("o6")},
        {"train " + logreg + " --data digits --checkpoint-every -1 -o " + s.p("o7"),
         "--checkpoint-every: must be a whole number from 1 to", s.p("o7")},
        {"eval " + src("networks/digits-logreg") + " --samples -5",
         "--samples: must be a whole number from 1 to 9223372036854775807, got '-5'", ""},
        {"eval " + snn + " --samples 0", "--samples: must be a whole number from 1 to 9223372036854775807, got '0'", ""},
        {"simulate " + snn + " --samples -5", "--samples: must be a whole number from 1 to", ""},
        {"simulate " + snn + " --steps 0", "--steps: must be a whole number from 1 to 16777216", ""},
        {"simulate " + snn + " --steps 2000000000", "--steps: must be a whole number from 1 to 16777216", ""},
        {"run " + s.p("img") + " --steps 2000000000", "--steps: must be a whole number from 1 to 16777216",
         ""},
    };
    for (const Case& c : cases) {
        INFO("spikeforge " << c.args);
        const Ran r = spikeforge(c.args);
        INFO(r.output);
        CHECK(r.code != 0);
        CHECK(r.code < 128);  // an exit, not a signal
        CHECK(count(r.output, "spikeforge: error:") == 1);
        CHECK(count(r.output, "\n  fix: ") == 1);
        CHECK(count(r.output, c.message) >= 1);
        CHECK(count(r.output, "epoch ") == 0);  // failed before training
        if (!c.must_not_exist.empty()) CHECK_FALSE(fs::exists(c.must_not_exist));
    }
    CHECK(fs::is_regular_file(s.p("afile")));
}

TEST_CASE("A pooling projection with a huge kernel fails to compile at once instead of hanging",
          "[functional][cli][errors][audit]") {
    Scratch s;
    fs::create_directories(s.dir / "net");
    std::ofstream(s.dir / "net/network.yaml") << R"(name: pool
timesteps: 4
populations:
  - {name: in, kind: input, shape: [1, 4, 4]}
  - {name: c, kind: lif, shape: [1, 2, 2], threshold: 1}
projections:
  - {name: p, kind: sum_pool, from: in, to: c, kernel: 1000000000, padding: 1000000000}
)";
    const Ran r = spikeforge("compile " + s.p("net") + " -o " + s.p("img"));
    INFO(r.output);
    CHECK(r.code == 1);
    CHECK(count(r.output, "network.yaml:7 (projection 'p')") == 1);
    CHECK_FALSE(fs::exists(s.p("img")));
}
