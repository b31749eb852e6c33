// The network loader, and so `spikeforge compile`, refuses each course model the chip
// cannot run (adaptive LIF, AdEx, Izhikevich, Hodgkin-Huxley, conductance synapses) with
// one message: what the chip lacks, where in the file, and the nearest chip neuron.
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "sf/core/error.hpp"
#include "sf/core/graph.hpp"

using Catch::Matchers::Contains;

namespace {

std::string digits_yaml() {
    std::ifstream in(std::string(SF_SOURCE_DIR) + "/networks/digits-snn/network.yaml");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// digits-snn with one edit, beside a copy of its weights.
std::string edited_network(const sf_test::ScratchDir& dir, const std::string& from,
                           const std::string& to) {
    sf_test::write_text(dir / "network.yaml", sf_test::edit(digits_yaml(), from, to));
    std::filesystem::copy_file(std::string(SF_SOURCE_DIR) + "/networks/digits-snn/weights.npz",
                               dir / "weights.npz");
    return dir.str();
}

}  // namespace

TEST_CASE(
    "The loader refuses each course neuron kind, naming the nearest chip neuron and "
    "the line",
    "[course][chipkinds]") {
    struct Case {
        const char* kind;
        const char* lacks;     // in the problem
        const char* settings;  // in the fix
    };
    for (const Case c : {Case{"alif", "adaptive threshold", "resting threshold"},
                         Case{"adex", "exponential upswing", "tau_mem_ms = C / g_L"},
                         Case{"izhikevich", "quadratic membrane", "reset: zero"},
                         Case{"hh", "sodium and potassium", "tau_mem_ms = C_m / g_L"}}) {
        INFO(c.kind);
        sf_test::ScratchDir dir;
        const std::string net = edited_network(dir, "{name: hidden, kind: if",
                                               std::string("{name: hidden, kind: ") + c.kind);
        try {
            sf::load_network(net);
            FAIL("loaded");
        } catch (const sf::InputError& e) {
            CHECK_THAT(e.problem(), Contains(std::string("cannot run '") + c.kind + "'"));
            CHECK_THAT(e.problem(), Contains(c.lacks));
            CHECK_THAT(e.where(), Contains("network.yaml:"));
            CHECK_THAT(e.where(), Contains("hidden"));
            CHECK_THAT(e.fix(), Contains("nearest chip neuron is kind: lif"));
            CHECK_THAT(e.fix(), Contains(c.settings));
            CHECK_THAT(e.fix(), Contains(std::string("--model ") + c.kind));
        }
    }
}

TEST_CASE("The loader refuses conductance-based synapses, naming the current-based one",
          "[course][chipkinds]") {
    for (const char* key : {"synapse: conductance", "e_rev_mV: 0", "synapse: coba"}) {
        INFO(key);
        sf_test::ScratchDir dir;
        const std::string net = edited_network(dir, "{name: fc1, kind: dense",
                                               std::string("{name: fc1, kind: dense, ") + key);
        try {
            sf::load_network(net);
            FAIL("loaded");
        } catch (const sf::InputError& e) {
            CHECK_THAT(e.problem(), Contains("conductance-based"));
            CHECK_THAT(e.where(), Contains("fc1"));
            CHECK_THAT(e.fix(), Contains("nearest chip synapse is current-based"));
            CHECK_THAT(e.fix(), Contains("tau_syn_ms"));
        }
    }
    // A population kind 'coba' gets the same message.
    CHECK_THAT(sf::nearest_chip_neuron("coba").problem, Contains("conductance-based"));
    CHECK(sf::nearest_chip_neuron("lif").problem.empty());
    CHECK(sf::nearest_chip_neuron("quadratic").problem.empty());
}

TEST_CASE("spikeforge compile refuses every course kind in one message with exit 1",
          "[course][chipkinds][cli]") {
    for (const char* kind : {"alif", "adex", "izhikevich", "hh"}) {
        INFO(kind);
        sf_test::ScratchDir dir;
        const std::string net = edited_network(dir, "{name: hidden, kind: if",
                                               std::string("{name: hidden, kind: ") + kind);
        const auto r = sf_test::run_cli("compile " + net + " -o " + (dir / "img"));
        CHECK(r.code == 1);
        CHECK_THAT(r.output, Contains(std::string("cannot run '") + kind + "'"));
        CHECK_THAT(r.output, Contains("nearest chip neuron is kind: lif"));
        CHECK_FALSE(std::filesystem::exists(dir.path / "img"));
    }
    sf_test::ScratchDir dir;
    const std::string net = edited_network(dir, "{name: fc1, kind: dense",
                                           "{name: fc1, kind: dense, synapse: conductance");
    const auto r = sf_test::run_cli("compile " + net + " -o " + (dir / "img"));
    CHECK(r.code == 1);
    CHECK_THAT(r.output, Contains("nearest chip synapse is current-based"));
}
