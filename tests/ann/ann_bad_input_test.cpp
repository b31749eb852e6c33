// Bad ANN and Hopfield model files found by the command-line audit of 2026-11-30. Before,
// they escaped as bare yaml-cpp exceptions ("bad conversion" with no file), were silently
// ignored (typos, NaN settings, `training:` as a list), or crashed (recall flip: 2).
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "sf/core/error.hpp"
#include "sf/reference/ann.hpp"
#include "sf/reference/ann_hopfield.hpp"
#include "sf/reference/train_api.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using sf::InputError;

namespace {

using Dir = sf_test::ScratchDir;

using sf_test::write_text;

const std::string kLogreg = R"(name: lr
type: ann
input_shape: [1, 8, 8]
dataset: digits
layers:
  - {kind: flatten}
  - {kind: dense, name: fc, units: 10}
training: {optimizer: sgd, lr: 0.05, momentum: 0.9, batch: 32, epochs: 2}
)";

using sf_test::Caught;
using sf_test::edit;
using sf_test::error_of;

const std::string kHopfield = R"(name: hop
type: hopfield
n: 64
patterns: {source: random, count: 4}
recall: {flip: 0.1, min_overlap: 0.95, mode: async}
)";

}  // namespace

TEST_CASE("ANN model files with wrong types name the file, line and key", "[ann][errors][audit]") {
    Dir d;
    struct Case {
        std::string yaml, message;
    };
    const Case cases[] = {
        {edit(kLogreg, "{kind: flatten}", "{kind: {a: 1}}"),
         "m.yaml:6 (kind): 'kind' must be a string"},
        {edit(kLogreg, "{kind: flatten}", "{kind: [flatten]}"),
         "m.yaml:6 (kind): 'kind' must be a string"},
        {edit(kLogreg, "units: 10", "units: abc"),
         "m.yaml:7 (units): 'units' must be an integer, got 'abc'"},
        {edit(kLogreg, "lr: 0.05", "lr: .nan"), "(lr): 'lr' must be a finite number, got '.nan'"},
        {edit(kLogreg, "momentum: 0.9", "momentum: .inf"), "'momentum' must be a finite number"},
        {edit(kLogreg, "name: lr", "name: {a: 1}"), "m.yaml:1 (name): 'name' must be a string"},
    };
    for (const Case& c : cases) {
        INFO(c.yaml);
        write_text(d / "m.yaml", c.yaml);
        const Caught e = error_of([&] { sf::load_ann(d / "m.yaml"); });
        CHECK_THAT(e.what, Contains(c.message));
        CHECK_FALSE(e.fix.empty());
    }
}

TEST_CASE("ANN model files with unknown keys or out-of-range training settings are rejected",
          "[ann][errors][audit]") {
    Dir d;
    struct Case {
        std::string yaml, message;
    };
    const Case cases[] = {
        {edit(kLogreg, "units: 10", "unit: 10"), "m.yaml:7 (layer 'fc'): unknown key 'unit'"},
        {edit(kLogreg, "units: 10", "units: 10, activation: relu"), "unknown key 'activation'"},
        {kLogreg + "optimiser: adam\n", "m.yaml:9 (model): unknown key 'optimiser'"},
        {edit(kLogreg, "epochs: 2", "epochs: 2, epoch: 3"), "(training): unknown key 'epoch'"},
        {edit(kLogreg, "epochs: 2", "epochs: 2, epochs: 3"), "key 'epochs' appears twice"},
        {edit(kLogreg, "training: {optimizer: sgd, lr: 0.05, momentum: 0.9, batch: 32, epochs: 2}",
              "training: [sgd]"),
         "m.yaml:8 (training): 'training' must be a mapping"},
        {edit(kLogreg, "training: {optimizer: sgd, lr: 0.05, momentum: 0.9, batch: 32, epochs: 2}",
              "training: fast"),
         "'training' must be a mapping"},
        {edit(kLogreg, "epochs: 2", "epochs: -3"), "epochs = -3 must be >= 0"},
        {edit(kLogreg, "momentum: 0.9", "momentum: 1.5"), "momentum = 1.500000 must lie in [0, 1)"},
        {edit(kLogreg, "epochs: 2", "epochs: 2, weight_decay: -1"),
         "weight_decay = -1.000000 must be >= 0"},
        {edit(kLogreg, "epochs: 2", "epochs: 2, noise: -0.5"), "noise = -0.500000 must be >= 0"},
        {edit(kLogreg, "epochs: 2", "epochs: 2, lr_decay: 0"),
         "lr_decay = 0.000000 must lie in (0, 1]"},
        {edit(kLogreg, "batch: 32", "batch: 1000000000000"),
         "batch = 1000000000000 is larger than 2^24"},
        {edit(kLogreg, "units: 10", "units: 10000000000000"), "must be at most 2^24"},
        {edit(kLogreg, "units: 10", "units: 10000000"),
         "would hold 640000000 values, more than 2^28"},
        {edit(kLogreg, "units: 10", "units: 10, weight: 12"),
         "m.yaml:7 (layer 'fc'): cannot load weight '12'"},
    };
    for (const Case& c : cases) {
        INFO(c.yaml);
        write_text(d / "m.yaml", c.yaml);
        const Caught e = error_of([&] { sf::load_ann(d / "m.yaml"); });
        CHECK_THAT(e.what, Contains(c.message));
        CHECK_FALSE(e.fix.empty());
    }
    // The unedited model still loads.
    write_text(d / "m.yaml", kLogreg);
    CHECK_NOTHROW(sf::load_ann(d / "m.yaml"));
}

TEST_CASE("Hopfield model files with bad values give InputErrors, not crashes",
          "[ann][hopfield][errors][audit]") {
    Dir d;
    struct Case {
        std::string yaml, message;
    };
    const Case cases[] = {
        {edit(kHopfield, "count: 4", "count: abc"),
         "m.yaml:4 (count): 'count' must be an integer, got 'abc'"},
        {edit(kHopfield, "patterns: {source: random, count: 4}", "patterns: 20"),
         "m.yaml:4 (patterns): 'patterns' must be a mapping"},
        {edit(kHopfield, "n: 64", "n: abc"),
         "m.yaml:3 (n): 'n' must be an integer in [1, 2^14], got 'abc'"},
        {edit(kHopfield, "n: 64", "n: 10000000000"),
         "'n' = 10000000000 must be an integer in [1, 2^14]"},
        {edit(kHopfield, "count: 4", "count: 10000000000"), "patterns.count in [1, 2^16]"},
        // flip: 2 flipped more bits than a pattern has and crashed with SIGSEGV.
        {edit(kHopfield, "flip: 0.1", "flip: 2"),
         "m.yaml:5 (flip): 'flip' = 2 must be a fraction in [0, 1]"},
        {edit(kHopfield, "flip: 0.1", "flip: .nan"),
         "'flip' must be a fraction in [0, 1], got '.nan'"},
        {edit(kHopfield, "min_overlap: 0.95", "min_overlap: -3"),
         "'min_overlap' = -3 must be a fraction"},
        {edit(kHopfield, "mode: async", "mode: sideways"),
         "m.yaml:5 (mode): unknown recall mode 'sideways'"},
        {kHopfield + "foo: 1\n", "m.yaml:6 (model): unknown key 'foo' in a Hopfield model"},
        {kHopfield + "rule: [hebbian]\n", "m.yaml:6 (rule): 'rule' must be a string"},
        {edit(kHopfield, "source: random", "source: camera"),
         "m.yaml:4 (source): unknown pattern source 'camera'"},
        {kHopfield + "capacity: {trials: 2, loads: [abc]}\n",
         "capacity loads must be numbers in (0, 1], got 'abc'"},
        {kHopfield + "capacity: {trials: 2, lods: [0.1]}\n", "unknown key 'lods'"},
        {kHopfield + "capacity: {trials: 2}\n", "capacity needs a non-empty list 'loads'"},
        {kHopfield + "capacity: {trials: 0, loads: [0.1]}\n",
         "'trials' = 0 must be an integer in [1, 1000]"},
        {kHopfield + "capacity: {trials: 2, loads: [-0.1]}\n",
         "capacity loads must be numbers in (0, 1]"},
    };
    sf::TrainOptions opt;
    opt.out_dir = d / "out";
    for (const Case& c : cases) {
        INFO(c.yaml);
        write_text(d / "m.yaml", c.yaml);
        const Caught e = error_of([&] { sf::train_ann(d / "m.yaml", opt); });
        CHECK_THAT(e.what, Contains(c.message));
        CHECK_FALSE(e.fix.empty());
        CHECK_FALSE(fs::exists(d / "out"));
    }
    // The unedited model trains, and a trained network with edited recall settings is
    // rejected by eval.
    write_text(d / "m.yaml", kHopfield);
    REQUIRE_NOTHROW(sf::train_ann(d / "m.yaml", opt));
    std::string saved;
    {
        std::ifstream in(d / "out/network.yaml");
        saved.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const size_t at = saved.find("flip: ");
    REQUIRE(at != std::string::npos);
    saved.replace(at, saved.find('\n', at) - at, "flip: 7");
    write_text(d / "out/network.yaml", saved);
    const Caught e = error_of([&] { sf::eval_ann(d / "out", sf::EvalOptions{}); });
    CHECK_THAT(e.what, Contains("network.yaml:"));
    CHECK_THAT(e.what, Contains("'flip' = 7 must be a fraction in [0, 1]"));

    // Storing patterns is one step: checkpoint options are refused, not ignored.
    sf::TrainOptions with_checkpoints = opt;
    with_checkpoints.checkpoint_every = 1;
    with_checkpoints.out_dir = d / "out2";
    CHECK_THAT(error_of([&] { sf::train_ann(d / "m.yaml", with_checkpoints); }).what,
               Contains("do not apply to Hopfield networks"));

    // Recall uses the stored patterns: --data and --samples are refused, not ignored.
    sf::EvalOptions with_data;
    with_data.data = "digits";
    CHECK_THAT(error_of([&] { sf::eval_ann(d / "out", with_data); }).what,
               Contains("--data does not apply"));
    sf::EvalOptions with_samples;
    with_samples.samples = 3;
    CHECK_THAT(error_of([&] { sf::eval_ann(d / "out", with_samples); }).what,
               Contains("--samples does not apply"));
}

TEST_CASE("ANN and Hopfield model files: a key given twice, a directory or a FIFO is refused "
          "naming the file",
          "[ann][errors][io]") {
    Dir d;
    // yaml-cpp keeps one of two equal keys silently; the loader refuses them with the line.
    write_text(d / "m.yaml", edit(kLogreg, "dataset: digits", "dataset: digits\nname: again"));
    Caught e = error_of([&] { sf::load_ann(d / "m.yaml"); });
    CHECK_THAT(e.what, Contains("m.yaml:5") && Contains("'name' appears twice"));
    CHECK_FALSE(e.fix.empty());
    fs::create_directories(d / "h");
    write_text(d / "h/network.yaml", edit(kHopfield, "n: 64", "n: 64\nn: 32"));
    e = error_of([&] { sf::load_hopfield(d / "h"); });
    CHECK_THAT(e.what, Contains("'n' appears twice"));
    // A directory where network.yaml should be, and a FIFO (would block or read forever).
    fs::create_directories(d / "net/network.yaml");
    CHECK_THAT(error_of([&] { sf::load_ann(d / "net"); }).what, Contains("directory"));
    const std::string fifo = d / "fifo.yaml";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THAT(error_of([&] { sf::load_ann(fifo); }).what, Contains("not a regular file"));
}
