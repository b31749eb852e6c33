// `spikeforge run` from the outside: bad arguments and unreadable images give one clear
// message and a non-zero exit code, never a crash; a saved image runs end to end.
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

#include "functional_test_util.hpp"
#include "sf/compiler/compile.hpp"
#include "sf/core/chip_image.hpp"
#include "sf/core/graph.hpp"
#include "sf/functional/functional.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/encoders.hpp"

namespace {

using sf_test::Ran;
using sf_test::run_cli;

bool has(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("spikeforge run rejects bad arguments with one clear message each", "[functional][cli]") {
    struct Case {
        const char* args;
        const char* message;
    };
    const Case cases[] = {
        {"run", "image"},  // the image directory is required
        {"run some_dir --backend quantum", "unknown backend 'quantum'"},
        {"run some_dir --samples 0", "--samples: must be a whole number from 1 to"},
        {"run some_dir --samples -3", "--samples: must be a whole number from 1 to"},
        {"run some_dir --steps 0", "--steps: must be a whole number from 1 to 16777216"},
        {"run some_dir --data digits --input spikes.txt", "--data and --input both given"},
        {"run some_dir --record spikes bogus", "unknown --record value 'bogus'"},
        {"run some_dir --backend systemc", "chip image directory not found"},
        // Built with Verilator and SystemC the missing image is named, else the missing backend.
        {"run some_dir --backend rtl", nullptr},
    };
    for (const Case& c : cases) {
        INFO("spikeforge " << c.args);
        const Ran r = run_cli(c.args);
        CHECK(r.code != 0);
        CHECK(r.code < 128);  // an exit, not a signal
        if (c.message)
            CHECK(has(r.output, c.message));
        else
            CHECK((has(r.output, "chip image directory not found") ||
                   has(r.output, "backend 'rtl' is not built into this spikeforge")));
        CHECK_FALSE(has(r.output, "terminate called"));
    }
}

TEST_CASE("spikeforge run on a missing image directory names it and fails cleanly",
          "[functional][cli]") {
    const Ran r = run_cli("run /nonexistent/spikeforge-image --data digits --samples 2");
    CHECK(r.code != 0);
    CHECK(r.code < 128);
    CHECK(has(r.output, "/nonexistent/spikeforge-image"));
    CHECK(has(r.output, "error"));
}

namespace {

// A scratch directory removed on scope exit.
struct Scratch {
    std::filesystem::path path;
    Scratch() {
        static int n = 0;
        path = std::filesystem::temp_directory_path() /
               ("sf-functional-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~Scratch() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// The one-neuron chip of the engine test: fires at steps 3, 7, 11 under constant input.
sf::ChipImage one_neuron_image() {
    sf::ChipImage img = sf_test::empty_image(2, 3, 1, 1);
    sf::NeuronProfile p;
    p.du = 4095;
    p.dv = 0;
    p.vth = 10;
    sf::CoreImage c = sf_test::make_core(1, 2, 1, 1, p);
    c.weights = {3};
    sf_test::set_routes(c, {{sf_test::host_out(0)}});
    img.cores.push_back(c);
    sf_test::set_input_routes(img, {{sf::Destination{1, 2, 0}}});
    img.timesteps = 12;
    img.populations = {sf::PopulationInfo{}, sf::PopulationInfo{}};
    img.populations[0].name = "in";
    img.populations[0].kind = sf::NeuronKind::Input;
    img.populations[0].shape = {1};
    img.populations[1].name = "out";
    img.populations[1].shape = {1};
    img.populations[1].output = true;
    img.populations[1].core_of = {0};
    img.populations[1].neuron_of = {0};
    img.output_core = {0};
    img.output_neuron = {0};
    return img;
}

}  // namespace

TEST_CASE("spikeforge run executes a saved image on a spike file and reports JSON",
          "[functional][cli]") {
    Scratch dir;
    const sf::ChipImage img = one_neuron_image();
    sf::save_chip_image(img, dir / "image");
    sf::SpikeInput in = sf_test::one_sample(1, std::vector<std::vector<int32_t>>(12, {0}));
    in.samples.push_back(in.samples[0]);
    in.samples[0].label = 0;
    in.samples[1].label = 0;
    sf::write_spike_file(dir / "spikes.npz", in);

    const Ran r = run_cli("run " + dir / "image" + " --input " + dir / "spikes.npz" + " --json");
    INFO(r.output);
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.output);
    CHECK(j["backend"] == "functional");
    CHECK(j["steps"] == 12);
    CHECK(j["samples"] == 2);
    CHECK(j["spikes_total"] == 6);
    CHECK(j["accuracy"] == 1.0);
    CHECK(j["output_counts"] == nlohmann::json::parse("[[3], [3]]"));
    CHECK(j["counters"]["packets"] == 30);
    CHECK(j["counters"]["syn_ops"] == 24);
    // sf1 table: 24 x 23.6 + 24 x 81 (active) + 6 x 1.7 + 60 x 3.0 + 60 x 4.0 pJ.
    CHECK(j["energy_pj"]["total"].get<double>() ==
          Approx(24 * 23.6 + 24 * 81 + 6 * 1.7 + 60 * 3.0 + 60 * 4.0));
    CHECK(j["energy_pj"]["by_kind"]["syn_ops"].get<double>() == Approx(24 * 23.6));
    CHECK(j["wall_s"].get<double>() >= 0);
    CHECK(j["state_wraps"] == 0);
    CHECK(j["warnings"].empty());

    // --record with --out writes the recorded data atomically, and --first/--samples slice.
    const Ran rec = run_cli("run " + dir / "image" + " --input " + dir / "spikes.npz" +
                            " --samples 1 --steps 4 --record spikes v --out " + dir / "rec.json");
    INFO(rec.output);
    REQUIRE(rec.code == 0);
    CHECK(has(rec.output, "spikes"));
    CHECK(has(rec.output, "energy"));
    std::ifstream f(dir / "rec.json");
    REQUIRE(f.good());
    const auto jr = nlohmann::json::parse(f);
    CHECK(jr["samples"] == 1);
    CHECK(jr["recorded"]["samples"][0]["raster"] ==
          nlohmann::json::parse("[[], [], [], [[0, 0]]]"));
    CHECK(jr["recorded"]["samples"][0]["v"] ==
          nlohmann::json::parse("[[[192]], [[384]], [[576]], [[0]]]"));
}

TEST_CASE("spikeforge run warns when the neuron state is too narrow and u wraps round",
          "[functional][cli]") {
    // Weight 100 into a u that barely decays overflows a 16-bit state within 6 steps.
    Scratch dir;
    sf::ChipImage img = one_neuron_image();
    img.cores[0].weights = {100};
    img.cores[0].profiles[0].du = 0;
    img.chip.state_bits = 16;
    img.chip.threshold_bits = 10;
    sf::save_chip_image(img, dir / "image");
    sf::write_spike_file(dir / "spikes.npz",
                         sf_test::one_sample(1, std::vector<std::vector<int32_t>>(12, {0})));

    const Ran j = run_cli("run " + dir / "image" + " --input " + dir / "spikes.npz" + " --json");
    INFO(j.output);
    REQUIRE(j.code == 0);
    const auto r = nlohmann::json::parse(j.output);
    CHECK(r["state_wraps"].get<int>() >= 1);
    REQUIRE(r["warnings"].size() == 1);
    CHECK(has(r["warnings"][0].get<std::string>(), "neuron.state_bits"));

    const Ran t = run_cli("run " + dir / "image" + " --input " + dir / "spikes.npz");
    REQUIRE(t.code == 0);
    CHECK(has(t.output, "warning: the neuron current u overflowed its 16-bit state"));
}

TEST_CASE("spikeforge run on a damaged image or mismatched input fails with a clear error",
          "[functional][cli]") {
    Scratch dir;
    std::filesystem::create_directories(dir / "broken");
    std::ofstream(dir / "broken/image.yaml") << "format_version: [not, a, number\n";
    const Ran r = run_cli("run " + dir / "broken" + " --data digits --samples 1");
    CHECK(r.code != 0);
    CHECK(r.code < 128);
    CHECK(has(r.output, "broken"));

    // A spike file made for another network: its input count does not match the image.
    sf::save_chip_image(one_neuron_image(), dir / "image");
    sf::SpikeInput in = sf_test::one_sample(5, {{4}});
    sf::write_spike_file(dir / "five.npz", in);
    const Ran m = run_cli("run " + dir / "image" + " --input " + dir / "five.npz");
    CHECK(m.code == 1);
    CHECK(has(m.output, "it is for 5 inputs, the network has 1"));
}

TEST_CASE("spikeforge run on the compiled digits network agrees with the library run",
          "[functional][cli]") {
    // The example network of networks/digits-snn, compiled in process, then run through the
    // CLI with its own data set and encoder: the CLI must give the same output counts as
    // run_functional on the same encoded samples, and a sensible accuracy.
    Scratch dir;
    const sf::Graph g = sf::load_network(std::string(SF_SOURCE_DIR) + "/networks/digits-snn");
    const sf::CompileResult cr = sf::compile(g, sf::load_chip("sf1"));
    sf::save_chip_image(cr.image, dir / "image");

    const Ran r = run_cli("run " + dir / "image" + " --samples 30 --first 5 --json");
    INFO(r.output);
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.output);
    REQUIRE(j["samples"] == 30);

    const sf::Dataset ds = sf::load_dataset("digits", sf::Split::Test, 35);
    const sf::SpikeInput in = sf::encode(ds, cr.image.encoder, cr.image.timesteps, 5, 30);
    sf::RunOptions opt;
    const sf::RunResult lib = sf::run_functional(cr.image, in, opt);
    for (size_t s = 0; s < 30; ++s) {
        INFO("sample " << s);
        CHECK(j["output_counts"][s] == nlohmann::json(lib.samples[s].output_counts));
    }
    CHECK(j["spikes_total"] == lib.counters.spikes);
    CHECK(j["accuracy"].get<double>() == Approx(lib.accuracy()));
    CHECK(lib.accuracy() > 0.7);
}
