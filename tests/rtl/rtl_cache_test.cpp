// The RTL model cache (emulator/rtl/src/rtl_cache.cpp): a chip YAML that is no prebuilt preset
// is Verilated on first use, cached, loaded with dlopen() and runs bit-exact against the
// functional model; the second use finds it; missing tools, a failing build and a chip the RTL
// cannot represent each give one clear error and leave no cache entry behind.
// Each TEST_CASE runs in its own process under ctest (SystemC elaborates once per process,
// and the cases change the environment).
#include <catch2/catch.hpp>

#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crossmodel_util.hpp"
#include "sf/core/error.hpp"
#include "sf/functional/functional.hpp"
#include "sf/rtl/rtl_backend.hpp"
#include "sf/rtl/rtl_cache.hpp"

namespace fs = std::filesystem;
using namespace sf_xm;

namespace {

// A 2 x 2 chip unlike both presets: smaller cores, 8-synapse words, 16-bit state, FIFO
// depths 2 and 3, two profiles and two routes per neuron.
const char* kChipYaml = R"(name: rtl-cache-2x2
mesh:
  width: 2
  height: 2
core:
  neurons: 24
  axons: 40
  weight_bits: 6
  word_synapses: 8
  profiles: 2
  fanout: 2
  learning: true
neuron:
  state_bits: 16
  threshold_bits: 10
  bias_mant_bits: 9
  bias_exp_max: 5
  refractory_bits: 3
  trace_bits: 7
noc:
  router_fifo_depth: 2
  host_fifo_depth: 3
)";

std::string scratch_dir(const std::string& name) {
    const char* t = std::getenv("TMPDIR");
    const std::string d = std::string(t ? t : "/tmp") + "/sf-rtl-cache-test-" + name + "-" +
                          std::to_string(::getpid());
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

sf::ChipConfig test_chip(const std::string& dir) {
    const std::string file = dir + "/rtl-cache-2x2.yaml";
    std::ofstream(file) << kChipYaml;
    return sf::load_chip(file);
}

// Entries of a cache root: published entries, temporary build directories, failure logs.
struct Listing {
    int entries = 0, temporaries = 0, failure_logs = 0;
};
Listing list_cache(const std::string& root) {
    Listing l;
    if (!fs::exists(root)) return l;
    for (const auto& e : fs::directory_iterator(root)) {
        const std::string n = e.path().filename().string();
        if (n.find(".tmp.") != std::string::npos) ++l.temporaries;
        else if (n.rfind("failed-", 0) == 0) ++l.failure_logs;
        else if (e.is_directory()) ++l.entries;
    }
    return l;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const sf::Error& e) {
        return e.problem() + " | " + e.where() + " | " + e.fix();
    }
    return "";
}

}  // namespace

TEST_CASE("A chip YAML without a prebuilt RTL model is Verilated on first use, cached, and runs "
          "random images and the worked example like the functional model",
          "[rtl][cache][build]") {
    const std::string dir = scratch_dir("build");
    const std::string root = dir + "/cache";
    ::setenv("SPIKEFORGE_RTL_CACHE", root.c_str(), 1);
    const sf::ChipConfig chip = test_chip(dir);
    REQUIRE(sf::rtl_params_key(chip) != sf::rtl_params_key(sf::load_chip("sf1-small")));

    std::ostringstream log;
    const sf::rtl::CachedModel first = sf::rtl::cached_model(chip, log);
    CHECK(first.built_now);
    CHECK(fs::exists(first.library));
    CHECK(log.str().find("building one with Verilator") != std::string::npos);
    CHECK(log.str().find(first.dir) != std::string::npos);
    WARN("first-use build of the 2x2 test chip: " << first.build_seconds << " s");
    const Listing l = list_cache(root);
    CHECK(l.entries == 1);
    CHECK(l.temporaries == 0);

    // Second use: the same entry, found without building.
    std::ostringstream log2;
    const auto t0 = std::chrono::steady_clock::now();
    const sf::rtl::CachedModel again = sf::rtl::cached_model(chip, log2);
    const double hit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK_FALSE(again.built_now);
    CHECK(again.dir == first.dir);
    CHECK(log2.str().empty());
    CHECK(hit_s < 5.0);

    // The backend loads it (no message: it is cached) and runs it.
    std::ostringstream log3;
    sf::prepare_rtl(chip, &log3);
    CHECK(log3.str().empty());
    GenOptions o;
    o.chip = chip;
    o.max_neurons = 24;
    o.max_axons = 40;
    uint64_t wraps = 0;
    for (uint64_t seed = 1; seed <= 12; ++seed) {
        o.congested = seed % 3 == 0;
        const sf::ChipImage img = with_output_map(random_image(seed, o));
        const sf::SpikeInput in = random_input(img, seed * 5, 2, 5, seed % 2 ? 0.3 : 0.8);
        sf::RunOptions opt;
        opt.steps = 5;
        opt.record = sf::RecordSpikes | sf::RecordU | sf::RecordV | sf::RecordWeights;
        opt.reset_between_samples = seed % 4 != 0;
        INFO("seed " << seed);
        const sf::RunResult f = sf::run_functional(img, in, opt);
        const sf::RunResult r = sf::run_rtl(img, in, opt);
        CHECK(r.backend == "rtl");
        CHECK(compare(img, f, r) == "");
        CHECK(r.state_wraps == f.state_wraps);
        wraps += f.state_wraps;
    }
    WARN("random images: " << wraps << " wrapped neuron updates, the same in both models");

    // state_wraps on a known case (as tests/crossmodel's SystemC edge test): the largest
    // 6-bit weight adds 31 << 6 = 1984 per step to a 16-bit u that keeps 4095/4096 of itself,
    // so u passes 2^15 and wraps round within 20 steps.
    {
        sf::ChipImage w;
        w.chip = chip;
        w.network = "wraps";
        w.timesteps = 8;
        w.num_inputs = 1;
        w.num_outputs = 1;
        sf::NeuronProfile p;
        p.du = 0;
        p.dv = 4095;
        p.vth = 1000;
        sf::CoreImage c = make_core(1, 1, 1, 1, p);
        c.weights = {31};
        set_routes(c, {{host_out(0)}});
        w.cores.push_back(c);
        set_input_routes(w, {{sf::Destination{1, 1, 0}}});
        w = with_output_map(w);
        sf::SpikeInput in;
        in.num_inputs = 1;
        in.samples.resize(1);
        in.samples[0].steps.assign(20, std::vector<int32_t>{0});
        sf::RunOptions opt;
        opt.steps = 20;
        const sf::RunResult f = sf::run_functional(w, in, opt);
        const sf::RunResult r = sf::run_rtl(w, in, opt);
        CHECK(f.state_wraps >= 1);
        CHECK(r.state_wraps == f.state_wraps);
        CHECK(compare(w, f, r, true) == "");
    }

    // microarchitecture.md section 9 on this chip: same S-independent path, 19 cycles.
    const sf::ChipImage img = worked_example(chip);
    sf::SpikeInput in;
    in.num_inputs = 1;
    in.samples.resize(1);
    in.samples[0].steps = {{0}};
    sf::RunOptions opt;
    opt.steps = 1;
    const sf::RunResult r = sf::run_rtl(img, in, opt);
    CHECK(r.samples[0].cycles_per_step == std::vector<uint64_t>{19});
    CHECK(r.samples[0].output_spikes == std::vector<std::vector<int32_t>>{{0}});
    fs::remove_all(dir);
}

TEST_CASE("Without Verilator a chip with no prebuilt RTL model gets one clear error",
          "[rtl][cache][errors]") {
    const std::string dir = scratch_dir("noverilator");
    ::setenv("SPIKEFORGE_RTL_CACHE", (dir + "/cache").c_str(), 1);
    ::unsetenv("SPIKEFORGE_VERILATOR");
    const sf::ChipConfig chip = test_chip(dir);
    fs::create_directories(dir + "/emptybin");
    const std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::setenv("PATH", (dir + "/emptybin").c_str(), 1);
    std::ostringstream log;
    const std::string e = error_of([&] { sf::prepare_rtl(chip, &log); });
    ::setenv("PATH", path.c_str(), 1);
    CHECK(e.find("Verilator") != std::string::npos);
    CHECK(e.find("not installed") != std::string::npos);
    CHECK(e.find("rtl-cache-2x2") != std::string::npos);
    CHECK(e.find("apt-get install verilator") != std::string::npos);
    CHECK(list_cache(dir + "/cache").entries == 0);
    // A prebuilt preset needs no Verilator.
    CHECK(error_of([&] {
              ::setenv("PATH", (dir + "/emptybin").c_str(), 1);
              sf::prepare_rtl(sf::load_chip("sf1-small"), &log);
              ::setenv("PATH", path.c_str(), 1);
          }) == "");
    ::setenv("PATH", path.c_str(), 1);
    fs::remove_all(dir);
}

TEST_CASE("A missing C++ compiler gets one clear error", "[rtl][cache][errors]") {
    const std::string dir = scratch_dir("nocxx");
    ::setenv("SPIKEFORGE_RTL_CACHE", (dir + "/cache").c_str(), 1);
    ::setenv("CXX", (dir + "/no-such-compiler").c_str(), 1);
    const sf::ChipConfig chip = test_chip(dir);
    std::ostringstream log;
    const std::string e = error_of([&] { sf::prepare_rtl(chip, &log); });
    ::unsetenv("CXX");
    CHECK(e.find("no C++ compiler") != std::string::npos);
    CHECK(list_cache(dir + "/cache").entries == 0);
    fs::remove_all(dir);
}

TEST_CASE("A chip the RTL cannot represent is refused with the reason", "[rtl][cache][errors]") {
    const std::string dir = scratch_dir("unbuildable");
    ::setenv("SPIKEFORGE_RTL_CACHE", (dir + "/cache").c_str(), 1);
    std::ofstream(dir + "/wide-decay.yaml") << R"(name: wide-decay
mesh: {width: 2, height: 2}
neuron:
  decay_bits: 16
)";
    const sf::ChipConfig chip = sf::load_chip(dir + "/wide-decay.yaml");
    std::ostringstream log;
    const std::string e = error_of([&] { sf::prepare_rtl(chip, &log); });
    CHECK(e.find("cannot build chip 'wide-decay'") != std::string::npos);
    CHECK(e.find("decay_bits = 16") != std::string::npos);
    CHECK(e.find("decay_bits <= 12") != std::string::npos);
    CHECK(log.str().empty());
    // A crossbar word wider than the configuration port reaches (256 chunks of 64 bits).
    sf::ChipConfig wide = sf::load_chip("sf1-small");
    wide.name = "wide-words";
    wide.word_synapses = 4096;
    const std::string e2 = error_of([&] { sf::prepare_rtl(wide, &log); });
    CHECK(e2.find("cannot build chip 'wide-words'") != std::string::npos);
    CHECK(e2.find("32768 bits") != std::string::npos);
    CHECK(log.str().empty());
    CHECK(list_cache(dir + "/cache").entries == 0);
    fs::remove_all(dir);
}

TEST_CASE("A failing RTL build names the error, keeps its log and leaves no cache entry",
          "[rtl][cache][errors]") {
    // A copy of the sources with a broken neuron unit (SPIKEFORGE_SOURCE_DIR).
    const std::string dir = scratch_dir("broken");
    const std::string src = dir + "/src";
    for (const char* d : {"rtl", "emulator/rtl/include/sf/rtl", "emulator/harness/include/sf/harness"}) {
        fs::create_directories(src + "/" + d);
        fs::copy(std::string(SF_SOURCE_DIR) + "/" + d, src + "/" + d, fs::copy_options::recursive);
    }
    std::ofstream(src + "/rtl/sf_neuron_unit.sv", std::ios::app) << "\nthis is not verilog;\n";
    ::setenv("SPIKEFORGE_SOURCE_DIR", src.c_str(), 1);
    const std::string root = dir + "/cache";
    ::setenv("SPIKEFORGE_RTL_CACHE", root.c_str(), 1);
    const sf::ChipConfig chip = test_chip(dir);
    std::ostringstream log;
    const std::string e = error_of([&] { (void)sf::rtl::cached_model(chip, log); });
    ::unsetenv("SPIKEFORGE_SOURCE_DIR");
    CHECK(e.find("Verilator could not build the RTL for chip 'rtl-cache-2x2'") != std::string::npos);
    CHECK(e.find("sf_neuron_unit.sv") != std::string::npos);
    const Listing l = list_cache(root);
    CHECK(l.entries == 0);
    CHECK(l.temporaries == 0);
    CHECK(l.failure_logs == 1);
    fs::remove_all(dir);
}
