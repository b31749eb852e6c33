// Tests of ANN->SNN conversion of an average-pooling CNN (exactly linear pooling, so the
// converted network approaches the ANN as the run grows), of the accuracy-vs-timesteps
// curve against separate runs, and of the convert command's errors.
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "sf/core/error.hpp"
#include "sf/reference/ann.hpp"
#include "sf/reference/ann_train.hpp"
#include "sf/reference/convert.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/snn.hpp"

using namespace sf;
namespace fs = std::filesystem;

namespace {

// A small CNN on the 8x8 digits: conv 3x3x8, ReLU, average (or max) pooling 2, dense 10.
AnnModel trained_avgpool_cnn(const fs::path& dir, const Dataset& train,
                             const std::string& pool = "avgpool") {
    {
        std::ofstream f(dir / "cnn.yaml");
        f << R"(name: digits-cnn
input_shape: [1, 8, 8]
dataset: digits
layers:
  - {kind: conv2d, name: conv1, out_channels: 8, kernel: 3, padding: 1}
  - {kind: relu}
  - {kind: )"
          << pool << R"(, kernel: 2}
  - {kind: flatten}
  - {kind: dense, name: fc, units: 10}
  - {kind: softmax}
training: {optimizer: adam, lr: 0.01, batch: 32, epochs: 10}
)";
    }
    AnnModel m = load_ann((dir / "cnn.yaml").string());
    init_ann(m, 3);
    AnnOptimizer opt;
    opt.kind = "adam";
    AnnFitOptions fo;
    fo.epochs = 10;
    fit_ann(m, train, opt, fo);
    return m;
}

using sf_test::Ran;
using sf_test::run_cli;

}  // namespace

TEST_CASE("A converted average-pooling CNN approaches the ANN as the run grows", "[snn][convert]") {
    const fs::path dir = fs::temp_directory_path() / ("sf_conv_cnn_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const Dataset train = load_dataset("digits", Split::Train);
    const Dataset test = load_dataset("digits", Split::Test);
    const AnnModel m = trained_avgpool_cnn(dir, train);
    const double ann_acc = evaluate_ann(m, test).accuracy;
    REQUIRE(ann_acc > 0.85);

    ConvertOptions co;
    co.timesteps = 100;
    ConvertReport rep;
    const Graph g = convert_ann(m, train, co, &rep);
    CHECK_FALSE(rep.max_pool_as_avg);
    REQUIRE(g.populations.size() == 4);  // input, conv1, pool, fc
    CHECK(g.populations[2].kind == NeuronKind::IF);
    CHECK(g.populations[3].kind == NeuronKind::LI);
    CHECK(g.populations[3].params.decay_v == 1.0f);  // mean v = W r + b, steps weighted alike
    REQUIRE(g.projections.size() == 3);
    CHECK(g.projections[1].kind == ProjectionKind::AvgPool);
    CHECK(g.projections[1].scale == 1.0f);  // an average of rates is exact: no gain

    // One run of 100 steps gives the whole curve; short runs lose accuracy to the
    // quantisation of rates (a rate is a multiple of 1/T), long runs approach the ANN.
    SnnSimulator sim(g);
    const TimestepCurve c = accuracy_vs_timesteps(sim, test, 0, -1, {100, 5, 40});
    REQUIRE(c.points.size() == 3);
    CHECK(c.points[0].steps == 5);
    CHECK(c.points[2].steps == 100);
    CHECK(c.samples == test.size());
    CHECK(c.spikes > 0);
    CHECK(c.points[2].accuracy > ann_acc - 0.02);
    CHECK(c.points[0].accuracy < c.points[2].accuracy);

    // Every point equals a separate run of that many steps (the readout is causal).
    for (const TimestepPoint& p : c.points) {
        SnnRunOptions ro;
        ro.steps = p.steps;
        const SnnResult r = simulate_dataset(sim, test, 0, -1, ro);
        int64_t ok = 0;
        for (const auto& s : r.run.samples) ok += s.predicted == s.label;
        INFO("steps " << p.steps);
        CHECK(ok == p.correct);
    }
    fs::remove_all(dir);
}

TEST_CASE("Max pooling converts to a rescaled average and the report says so", "[snn][convert]") {
    const fs::path dir = fs::temp_directory_path() / ("sf_conv_max_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const Dataset train = load_dataset("digits", Split::Train);
    const AnnModel m = trained_avgpool_cnn(dir, train, "maxpool");
    ConvertReport rep;
    const Graph g = convert_ann(m, train, ConvertOptions{}, &rep);
    CHECK(rep.max_pool_as_avg);
    REQUIRE(g.projections.size() == 3);
    CHECK(g.projections[1].kind == ProjectionKind::AvgPool);
    // The max of a window of ReLU outputs is at least its average, so the gain is >= 1.
    CHECK(rep.max_pool_gain > 1.0f);
    CHECK(g.projections[1].scale == rep.max_pool_gain);
    fs::remove_all(dir);
}

TEST_CASE("The timestep curve agrees with separate runs for a spike-count readout and chunks",
          "[snn][convert]") {
    const fs::path dir = fs::temp_directory_path() / ("sf_conv_sc_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const Dataset train = load_dataset("digits", Split::Train);
    const Dataset test = load_dataset("digits", Split::Test);
    const AnnModel m = trained_avgpool_cnn(dir, train);
    ConvertOptions co;
    co.readout = "spike_count";
    co.timesteps = 30;
    const Graph g = convert_ann(m, train, co);
    SnnSimulator sim(g);
    // Samples 100..199 in chunks of 7 (uneven on purpose).
    const TimestepCurve c = accuracy_vs_timesteps(sim, test, 100, 100, {12, 30}, {}, 7);
    REQUIRE(c.points.size() == 2);
    for (const TimestepPoint& p : c.points) {
        SnnRunOptions ro;
        ro.steps = p.steps;
        const SnnResult r = simulate_dataset(sim, test, 100, 100, ro);
        int64_t ok = 0;
        for (const auto& s : r.run.samples) ok += s.predicted == s.label;
        INFO("steps " << p.steps);
        CHECK(ok == p.correct);
        CHECK(p.accuracy == Approx(double(ok) / 100.0));
    }
    CHECK_THROWS_AS(accuracy_vs_timesteps(sim, test, 0, 10, {}), InputError);
    CHECK_THROWS_AS(accuracy_vs_timesteps(sim, test, 0, 10, {10, 0}), InputError);
    Graph lat = g;
    lat.encoder.kind = EncoderKind::Latency;
    SnnSimulator sim_lat(lat);
    CHECK_THROWS_AS(accuracy_vs_timesteps(sim_lat, test, 0, 10, {10}), InputError);
    fs::remove_all(dir);
}

TEST_CASE("spikeforge convert reports a timestep curve and rejects bad requests",
          "[snn][convert][cli]") {
    const fs::path dir = fs::temp_directory_path() / ("sf_conv_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const Dataset train = load_dataset("digits", Split::Train);
    AnnModel m = trained_avgpool_cnn(dir, train);
    save_ann(m, (dir / "ann").string());
    const std::string ann = (dir / "ann").string(), out = (dir / "snn").string();

    const Ran ok = run_cli("convert " + ann + " --data digits -o " + out +
                           " --timesteps 20 --curve 5,10 --samples 50 --json");
    INFO(ok.output);
    REQUIRE(ok.code == 0);
    const auto j = nlohmann::json::parse(ok.output);
    REQUIRE(j["curve"].size() == 3);
    CHECK(j["curve"][2]["steps"] == 20);
    CHECK(j["accuracy"].get<double>() == j["curve"][2]["accuracy"].get<double>());
    CHECK(j["samples"] == 50);
    CHECK(j["split"] == "test");
    CHECK(fs::exists(dir / "snn" / "network.yaml"));

    // The end of the training split, disjoint from the normalisation samples.
    const Ran tr = run_cli("convert " + ann + " --data digits -o " + out +
                           " --timesteps 20 --split train --samples 100 --norm-samples 200 --json");
    INFO(tr.output);
    REQUIRE(tr.code == 0);
    CHECK(nlohmann::json::parse(tr.output)["split"] == "train");

    struct Bad {
        std::string args, message;
    };
    const Bad bad[] = {
        {" --curve 0,10 --samples 5", "--curve: must be a whole number from 1"},
        {" --split train --samples 1400 --norm-samples 1000", "overlaps"},
        {" --split validation --samples 5", "split"},
    };
    for (const Bad& b : bad) {
        const Ran r =
            run_cli("convert " + ann + " --data digits -o " + (dir / "bad").string() + b.args);
        INFO(b.args << "\n" << r.output);
        CHECK(r.code != 0);
        CHECK(r.code < 128);
        CHECK(r.output.find(b.message) != std::string::npos);
        CHECK(r.output.find("terminate called") == std::string::npos);
    }
    // Files that are not trained ANNs: each named for what it is.
    const std::string src = SF_SOURCE_DIR;
    const Bad wrong_kind[] = {
        {src + "/networks/digits-snn", "already a spiking network"},
        {src + "/networks/hopfield", "Hopfield networks have no spiking conversion"},
        {(dir / "cnn.yaml").string(), "has no trained weights"},
    };
    for (const Bad& b : wrong_kind) {
        const Ran r = run_cli("convert " + b.args + " --data digits -o " + (dir / "bad").string());
        INFO(b.args << "\n" << r.output);
        CHECK(r.code == 1);
        CHECK(r.output.find(b.message) != std::string::npos);
        CHECK(r.output.find(b.args) != std::string::npos);  // names the file
    }
    CHECK_FALSE(fs::exists(dir / "bad"));
    fs::remove_all(dir);
}
