// Bad spiking model files for `spikeforge train` found by the command-line audit of
// 2026-11-30. Errors in a model's network part used to name the model file without line or
// node (the loader read a temporary copy); bad training values said only "bad conversion";
// Diehl & Cook settings were not checked at all (NaN, tau 0, w_min > w_max trained anyway).
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <unistd.h>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include "sf/core/error.hpp"
#include "sf/reference/train_api.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

using Dir = sf_test::ScratchDir;

const std::string kModel = R"(name: m
timesteps: 4
dataset: digits
encoder: {kind: direct, gain: 1.0}
populations:
  - {name: in, kind: input, shape: [64]}
  - {name: hidden, kind: lif, size: 8, decay_u: 1.0, decay_v: 0.1, threshold: 1.0}
  - {name: out, kind: li, size: 10, decay_u: 1.0, decay_v: 0.1, output: true}
projections:
  - {name: fc1, kind: dense, from: in, to: hidden}
  - {name: fc2, kind: dense, from: hidden, to: out}
training:
  lr: 0.001
  batch: 16
  epochs: 1
  readout: membrane
)";

const std::string kStdp = R"(type: snn
method: diehl_cook
neurons: 10
timesteps: 10
threshold: 40.0
tau_theta: 300000
stdp: {a_plus: 0.002, a_minus: 0.0005, tau_pre: 20, tau_post: 20, w_min: 0.0, w_max: 1.0}
)";

using sf_test::Caught;
using sf_test::edit;

Caught train_error(const Dir& d, const std::string& yaml) {
    std::ofstream(d / "model.yaml") << yaml;
    sf::TrainOptions o;
    o.out_dir = d / "out";
    o.max_train = 8;
    o.max_test = 8;
    return sf_test::error_of([&] { sf::train_snn(d / "model.yaml", o); });
}

}  // namespace

TEST_CASE("Errors in a spiking model's network part name the model's own line and node",
          "[snn][train][errors][audit]") {
    Dir d;
    struct Case {
        std::string yaml, message;
    };
    const Case cases[] = {
        {edit(kModel, "threshold: 1.0}", "threshold: -1.0}"),
         "model.yaml:7 (population 'hidden'): threshold = -1.0 must be > 0"},
        {edit(kModel, "size: 8,", "size: abc,"),
         "model.yaml:7 (population 'hidden'): 'size' must be an integer"},
        {edit(kModel, "{name: fc2, kind: dense,", "{name: fc2, kind: {a: 1},"),
         "model.yaml:11 (projection 'fc2'): 'kind' must be a string"},
        {edit(kModel, "{name: fc2, kind: dense, from: hidden, to: out}",
              "{name: fc2, kind: dense, from: hidden, to: out, weights: {a: 1}}"),
         "model.yaml:11 (projection 'fc2'): 'weights' must be a string"},
        {edit(kModel, "size: 8,", "size: 2000000000,"),
         "model.yaml:10 (projection 'fc1'): dense projection from 'in' (64) to 'hidden' "
         "(2000000000) "
         "would hold more than 2^28 weights"},
    };
    for (const Case& c : cases) {
        INFO(c.yaml);
        const Caught e = train_error(d, c.yaml);
        CHECK_THAT(e.what, Contains(c.message));
        CHECK_THAT(e.what, !Contains(".sf-model"));  // never the temporary file
        CHECK_FALSE(e.fix.empty());
        CHECK_FALSE(fs::exists(d / "out"));
    }
    // No temporary files are left next to the model.
    for (const auto& f : fs::directory_iterator(d.path))
        CHECK(f.path().filename().string().rfind(".sf-", 0) == std::string::npos);
}

TEST_CASE("Bad training settings of a spiking model name the key and its range",
          "[snn][train][errors][audit]") {
    Dir d;
    struct Case {
        std::string yaml, message;
    };
    const Case cases[] = {
        {edit(kModel, "lr: 0.001", "lr: abc"),
         "model.yaml:13 (training.lr): 'lr' must be a finite number, got 'abc'"},
        {edit(kModel, "lr: 0.001", "lr: .nan"), "'lr' must be a finite number, got '.nan'"},
        {edit(kModel, "lr: 0.001", "lr: 0.001\n  lr_decay: .nan"),
         "'lr_decay' must be a finite number"},
        {edit(kModel, "lr: 0.001", "lr: 0.001\n  lr_decay: 2"), "'lr_decay' = 2 is out of range"},
        {edit(kModel, "lr: 0.001", "lr: 0.001\n  init_gain: .nan"),
         "'init_gain' must be a finite number"},
        {edit(kModel, "lr: 0.001", "lr: 0.001\n  count_scale: .inf"),
         "'count_scale' must be a finite number"},
        {edit(kModel, "lr: 0.001", "lr: 0.001\n  slope: .inf"), "'slope' must be a finite number"},
        {edit(kModel, "epochs: 1", "epochs: -2"),
         "model.yaml:15 (training.epochs): 'epochs' = -2 is out of range"},
        {edit(kModel, "batch: 16", "batch: 100000000000000"),
         "'batch' = 100000000000000 is out of range"},
        {edit(kModel, "lr: 0.001", "lr: [0.001]"), "'lr' must be a finite number"},
    };
    for (const Case& c : cases) {
        INFO(c.yaml);
        const Caught e = train_error(d, c.yaml);
        CHECK_THAT(e.what, Contains(c.message));
        CHECK_FALSE(e.fix.empty());
    }
}

TEST_CASE("Diehl & Cook model settings are checked before training", "[snn][stdp][errors][audit]") {
    Dir d;
    struct Case {
        std::string yaml, message;
    };
    const Case cases[] = {
        {edit(kStdp, "neurons: 10", "neurons: -100"),
         "model.yaml:3 (model.neurons): 'neurons' = -100 is out of range [10, 65536]"},
        {edit(kStdp, "neurons: 10", "neurons: abc"), "'neurons' must be an integer, got 'abc'"},
        {edit(kStdp, "timesteps: 10", "timesteps: 0"), "'timesteps' = 0 is out of range"},
        {edit(kStdp, "threshold: 40.0", "threshold: -40"), "'threshold' = -40 is out of range"},
        {edit(kStdp, "tau_theta: 300000", "tau_theta: 0"), "'tau_theta' = 0 is out of range"},
        {kStdp + "max_rate: .nan\n", "'max_rate' must be a finite number"},
        {kStdp + "epochs: -1\n", "'epochs' = -1 is out of range"},
        {edit(kStdp, "a_plus: 0.002", "a_plus: .nan"),
         "model.yaml:7 (stdp.a_plus): 'a_plus' must be a finite number"},
        {edit(kStdp, "a_plus: 0.002", "a_pluss: 0.002"),
         "model.yaml:7 (stdp): unknown key 'a_pluss' in stdp:"},
        {edit(kStdp, "w_min: 0.0", "w_min: 2.0"), "stdp w_min = 2 exceeds w_max = 1"},
        {edit(kStdp, "tau_pre: 20", "tau_pre: 0"), "'tau_pre' = 0 is out of range"},
        {edit(kStdp,
              "stdp: {a_plus: 0.002, a_minus: 0.0005, tau_pre: 20, tau_post: 20, w_min: 0.0, "
              "w_max: 1.0}",
              "stdp: [1]"),
         "model.yaml:7 (stdp): 'stdp' must be a mapping"},
    };
    for (const Case& c : cases) {
        INFO(c.yaml);
        const Caught e = train_error(d, c.yaml);
        CHECK_THAT(e.what, Contains(c.message));
        CHECK_FALSE(e.fix.empty());
        CHECK_FALSE(fs::exists(d / "out"));
    }
}
