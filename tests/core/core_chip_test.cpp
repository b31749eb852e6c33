// Chip presets, chip YAML errors and round trips (chip_config.cpp).
#include <catch2/catch.hpp>

#include <cstdlib>

#include "core_test_util.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/error.hpp"

using namespace sf;
using sf_test::TempDir;

namespace {

// Every field compared, except `source` (where it was read from).
void check_same_chip(const ChipConfig& a, const ChipConfig& b) {
    CHECK(a.name == b.name);
    CHECK(a.mesh_w == b.mesh_w);
    CHECK(a.mesh_h == b.mesh_h);
    CHECK(a.neurons_per_core == b.neurons_per_core);
    CHECK(a.axons_per_core == b.axons_per_core);
    CHECK(a.weight_bits == b.weight_bits);
    CHECK(a.word_synapses == b.word_synapses);
    CHECK(a.profiles_per_core == b.profiles_per_core);
    CHECK(a.fanout == b.fanout);
    CHECK(a.learning == b.learning);
    CHECK(a.state_bits == b.state_bits);
    CHECK(a.decay_bits == b.decay_bits);
    CHECK(a.threshold_bits == b.threshold_bits);
    CHECK(a.bias_mant_bits == b.bias_mant_bits);
    CHECK(a.bias_exp_max == b.bias_exp_max);
    CHECK(a.refractory_bits == b.refractory_bits);
    CHECK(a.trace_bits == b.trace_bits);
    CHECK(a.router_fifo_depth == b.router_fifo_depth);
    CHECK(a.host_fifo_depth == b.host_fifo_depth);
    CHECK(a.clock_mhz == b.clock_mhz);
    CHECK(a.energy.source == b.energy.source);
    CHECK(a.energy.syn_op_pj == b.energy.syn_op_pj);
    CHECK(a.energy.row_read_pj == b.energy.row_read_pj);
    CHECK(a.energy.neuron_update_active_pj == b.energy.neuron_update_active_pj);
    CHECK(a.energy.neuron_update_idle_pj == b.energy.neuron_update_idle_pj);
    CHECK(a.energy.spike_pj == b.energy.spike_pj);
    CHECK(a.energy.hop_ew_pj == b.energy.hop_ew_pj);
    CHECK(a.energy.hop_ns_pj == b.energy.hop_ns_pj);
    CHECK(a.energy.learn_update_pj == b.energy.learn_update_pj);
    CHECK(a.energy.static_mw == b.energy.static_mw);
}

// Loads YAML text from a temp file and returns the InputError it raises.
InputError chip_error(const std::string& yaml) {
    TempDir dir;
    sf_test::write_text(dir / "chip.yaml", yaml);
    try {
        load_chip(dir / "chip.yaml");
    } catch (const InputError& e) {
        return e;
    }
    FAIL("expected an InputError for:\n" << yaml);
    return InputError("unreachable");
}

}  // namespace

TEST_CASE("Preset sf1 equals the defaults of ChipConfig", "[core][chip]") {
    const ChipConfig c = load_chip("sf1");
    const ChipConfig d;
    check_same_chip(c, d);
    CHECK_THAT(c.energy.source, Catch::Contains("Davies"));
    CHECK_THAT(c.source, Catch::Contains("sf1.yaml"));
}

TEST_CASE("Every preset loads, validates and carries its published numbers", "[core][chip]") {
    const ChipConfig small = load_chip("sf1-small");
    CHECK(small.mesh_w == 2);
    CHECK(small.mesh_h == 2);
    CHECK(small.neurons_per_core == 64);
    CHECK(small.axons_per_core == 256);
    CHECK(small.weight_bits == 8);
    CHECK(small.energy.syn_op_pj == 23.6);

    const ChipConfig loihi = load_chip("loihi-like");
    CHECK(loihi.num_cores() == 128);
    CHECK(loihi.neurons_per_core == 1024);
    CHECK(loihi.axons_per_core == 4096);
    CHECK(loihi.energy.syn_op_pj == 23.6);
    CHECK(loihi.energy.learn_update_pj == 120);
    CHECK(loihi.energy.neuron_update_active_pj == 81);
    CHECK(loihi.energy.neuron_update_idle_pj == 52);
    CHECK(loihi.energy.spike_pj == 1.7);
    CHECK(loihi.energy.hop_ew_pj == 3.0);
    CHECK(loihi.energy.hop_ns_pj == 4.0);

    const ChipConfig odin = load_chip("odin-like");
    CHECK(odin.num_cores() == 1);
    CHECK(odin.neurons_per_core == 256);
    CHECK(odin.axons_per_core == 256);
    CHECK(odin.weight_bits == 4);
    CHECK(odin.weight_max() == 7);
    CHECK(odin.weight_min() == -8);
    CHECK(odin.energy.syn_op_pj == 12.7);
    CHECK_THAT(odin.energy.source, Catch::Contains("Frenkel"));

    CHECK(load_chip("odin-like.yaml").weight_bits == 4);  // file name of a preset
    for (const char* name : {"sf1", "sf1-small", "loihi-like", "odin-like"}) {
        INFO(name);
        const ChipConfig c = load_chip(name);
        CHECK(c.name == name);
        CHECK_NOTHROW(validate_chip(c));
    }
}

TEST_CASE("chip_to_yaml round-trips every preset and an edited config", "[core][chip]") {
    TempDir dir;
    ChipConfig edited = load_chip("sf1");
    edited.name = "custom \"quoted\"";
    edited.mesh_w = 3;
    edited.word_synapses = 7;
    edited.learning = false;
    edited.clock_mhz = 123.456789;
    edited.energy.static_mw = 0.1 + 0.2;  // a value that needs all 17 digits
    edited.energy.source = "my lab: bench \\ measurement";
    std::vector<ChipConfig> configs = {edited};
    for (const char* name : {"sf1", "sf1-small", "loihi-like", "odin-like"})
        configs.push_back(load_chip(name));
    for (const auto& c : configs) {
        INFO(c.name);
        const std::string path = dir / "rt.yaml";
        sf_test::write_text(path, chip_to_yaml(c));
        const ChipConfig back = load_chip(path);
        check_same_chip(c, back);
        CHECK(chip_to_yaml(back) == chip_to_yaml(c));
    }
}

TEST_CASE("Chip files may give only some keys; the rest are the sf1 defaults", "[core][chip]") {
    TempDir dir;
    sf_test::write_text(dir / "partial.yaml", "name: tiny\nmesh: {width: 1, height: 2}\n");
    const ChipConfig c = load_chip(dir / "partial.yaml");
    CHECK(c.name == "tiny");
    CHECK(c.mesh_w == 1);
    CHECK(c.mesh_h == 2);
    CHECK(c.neurons_per_core == 256);
    CHECK(c.energy.syn_op_pj == 23.6);
    CHECK_THAT(c.energy.source, Catch::Contains("Davies"));  // the defaults' own source

    // Energy numbers of one's own without a source are not labelled as Loihi's.
    sf_test::write_text(dir / "own.yaml", "name: own\nenergy: {syn_op_pj: 5}\n");
    const ChipConfig own = load_chip(dir / "own.yaml");
    CHECK(own.energy.syn_op_pj == 5);
    CHECK_THAT(own.energy.source, Catch::Contains("not given") && Catch::Contains("own.yaml"));
}

TEST_CASE("Chip YAML errors name the file, line and key", "[core][chip]") {
    SECTION("unknown key in a section") {
        const auto e = chip_error("name: x\ncore:\n  neurons: 8\n  nuerons: 9\n");
        CHECK_THAT(e.where(), Catch::Contains("chip.yaml:4"));
        CHECK_THAT(e.where(), Catch::Contains("core.nuerons"));
        CHECK_THAT(e.fix(), Catch::Contains("neurons"));
    }
    SECTION("unknown top-level key") {
        const auto e = chip_error("name: x\nmeshes: {}\n");
        CHECK_THAT(e.where(), Catch::Contains("chip.yaml:2"));
    }
    SECTION("wrong type") {
        const auto e = chip_error("mesh:\n  width: four\n");
        CHECK_THAT(e.where(), Catch::Contains("chip.yaml:2"));
        CHECK_THAT(e.problem(), Catch::Contains("integer"));
    }
    SECTION("a fraction where an integer is needed") {
        const auto e = chip_error("core:\n  weight_bits: 7.5\n");
        CHECK_THAT(e.where(), Catch::Contains("core.weight_bits"));
    }
    SECTION("a section that is not a mapping") {
        const auto e = chip_error("core: 5\n");
        CHECK_THAT(e.where(), Catch::Contains("chip.yaml:1"));
    }
    SECTION("a value that is a list") {
        const auto e = chip_error("timing:\n  clock_mhz: [1, 2]\n");
        CHECK_THAT(e.where(), Catch::Contains("timing.clock_mhz"));
    }
    SECTION("out of range values, each on its line") {
        CHECK_THAT(chip_error("mesh:\n  width: 65\n").where(), Catch::Contains("chip.yaml:2"));
        CHECK_THAT(chip_error("core:\n  weight_bits: 1\n").problem(), Catch::Contains("weight_bits"));
        CHECK_THAT(chip_error("core:\n  weight_bits: 17\n").problem(), Catch::Contains("[2, 16]"));
        CHECK_THAT(chip_error("core:\n  word_synapses: 0\n").where(), Catch::Contains("word_synapses"));
        CHECK_THAT(chip_error("core:\n  fanout: 65\n").where(), Catch::Contains("fanout"));
        CHECK_THAT(chip_error("noc:\n  router_fifo_depth: 0\n").where(), Catch::Contains("router_fifo_depth"));
        CHECK_THAT(chip_error("timing:\n  clock_mhz: 0\n").where(), Catch::Contains("clock_mhz"));
        CHECK_THAT(chip_error("energy:\n  spike_pj: -1\n").where(), Catch::Contains("energy.spike_pj"));
        CHECK_THAT(chip_error("neuron:\n  state_bits: 40\n").where(), Catch::Contains("state_bits"));
        // u wraps into (-2^31, 2^31] at 32 bits, which an int32 cannot hold: 31 is the most.
        CHECK_THAT(chip_error("neuron:\n  state_bits: 32\n").problem(), Catch::Contains("[8, 31]"));
        CHECK_THAT(chip_error("\n\nneuron:\n  state_bits: 7\n").where(), Catch::Contains("chip.yaml:4"));
    }
    SECTION("malformed YAML") {
        const auto e = chip_error("name: x\nmesh: {width: 4\ncore: [\n");
        CHECK_THAT(e.problem(), Catch::Contains("YAML"));
        CHECK_THAT(e.where(), Catch::Contains("chip.yaml:"));
    }
    SECTION("not a mapping at all") {
        CHECK_THAT(chip_error("- 1\n- 2\n").where(), Catch::Contains("chip.yaml"));
    }
}

TEST_CASE("validate_chip rejects out-of-range configs built in memory", "[core][chip]") {
    ChipConfig c;
    CHECK_NOTHROW(validate_chip(c));
    c.mesh_h = 0;
    CHECK_THROWS_AS(validate_chip(c, "mine"), InputError);
    c = ChipConfig{};
    c.energy.syn_op_pj = std::nan("");
    CHECK_THROWS_AS(validate_chip(c), InputError);
    c = ChipConfig{};
    c.state_bits = 16;  // threshold 17 + 6 bits no longer fits
    try {
        validate_chip(c, "mine");
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.where(), Catch::Contains("mine"));
        CHECK_THAT(e.where(), Catch::Contains("threshold_bits"));
    }
}

TEST_CASE("An unknown preset lists the available ones; a missing file says the path",
          "[core][chip]") {
    try {
        load_chip("sf9");
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.problem(), Catch::Contains("sf9"));
        CHECK_THAT(e.fix(), Catch::Contains("sf1-small"));
        CHECK_THAT(e.fix(), Catch::Contains("odin-like"));
    }
    try {
        load_chip("/no/such/chip.yaml");
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.problem(), Catch::Contains("/no/such/chip.yaml"));
    }
}

TEST_CASE("SPIKEFORGE_CHIPS overrides the preset directory", "[core][chip]") {
    TempDir dir;
    sf_test::write_text(dir / "mine.yaml", "name: mine\ncore: {neurons: 32}\n");
    const char* old = std::getenv("SPIKEFORGE_CHIPS");
    const std::string saved = old ? old : "";
    ::setenv("SPIKEFORGE_CHIPS", dir.str().c_str(), 1);
    CHECK(chip_preset_dir() == dir.str());
    const ChipConfig c = load_chip("mine");
    CHECK(c.neurons_per_core == 32);
    CHECK_THROWS_AS(load_chip("sf1"), InputError);  // not in the override directory
    if (old) ::setenv("SPIKEFORGE_CHIPS", saved.c_str(), 1);
    else ::unsetenv("SPIKEFORGE_CHIPS");
    CHECK(chip_preset_dir() != dir.str());
}

TEST_CASE("Odd YAML structure in chip files raises InputError", "[core][chip]") {
    TempDir dir;
    for (const char* text : {"[1, 2]: 3\n", "core:\n  [a]: 1\n", "? {a: 1}\n: 2\n", "mesh: [1, 2]\n",
                             "name: [x]\n", "energy:\n  source: {a: b}\n", "\"\n"}) {
        INFO(text);
        sf_test::write_text(dir / "c.yaml", text);
        CHECK_THROWS_AS(load_chip(dir / "c.yaml"), InputError);
    }
}
