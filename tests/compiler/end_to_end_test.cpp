// End to end through the functional emulator: how a network is cut into cores must not
// change what it computes. The same network compiled onto sf1 (few large cores) and onto
// a chip of 16-neuron cores (many cores, spatial tiles, shared cores, long routes) gives
// the same output spikes at every step for the same input.
#include <catch2/catch.hpp>

#include "compiler_helpers.hpp"
#include "sf/core/error.hpp"
#include "sf/functional/functional.hpp"

using namespace sf;
using namespace sf::test;

namespace {

SpikeInput random_input(int num_inputs, int steps, int samples, uint64_t seed) {
    std::mt19937_64 rng(seed);
    SpikeInput in;
    in.num_inputs = num_inputs;
    for (int s = 0; s < samples; ++s) {
        SampleInput si;
        si.steps.resize(size_t(steps));
        for (int t = 0; t < steps; ++t)
            for (int i = 0; i < num_inputs; ++i)
                if (rng() % 10 < 3) si.steps[t].push_back(i);
        in.samples.push_back(std::move(si));
    }
    return in;
}

}  // namespace

TEST_CASE("Output spikes do not depend on how the network was partitioned and placed",
          "[compiler][functional][end-to-end]") {
    ChipConfig small;
    small.name = "many-small-cores";
    small.mesh_w = small.mesh_h = 8;
    small.neurons_per_core = 16;
    small.axons_per_core = 128;
    small.fanout = 8;
    small.profiles_per_core = 2;
    int64_t spikes = 0;
    for (const std::string kind : {"dense", "conv", "pooling", "sparse", "recurrent", "mixed"})
        for (uint64_t seed = 1; seed <= 2; ++seed) {
            CAPTURE(kind, seed);
            const Graph g = random_network(kind, seed);
            const ChipImage big = compile(g, ChipConfig{}).image;
            CompileOptions opt;
            opt.seed = seed + 100;
            const ChipImage many = compile(g, small, opt).image;
            REQUIRE(big.num_inputs == many.num_inputs);
            REQUIRE(big.num_outputs == many.num_outputs);
            CHECK(many.cores.size() >= big.cores.size());
            const SpikeInput in = random_input(big.num_inputs, 16, 2, seed);
            RunOptions ro;
            ro.steps = 16;
            const RunResult a = run_functional(big, in, ro);
            const RunResult b = run_functional(many, in, ro);
            REQUIRE(a.samples.size() == b.samples.size());
            for (size_t s = 0; s < a.samples.size(); ++s) {
                for (size_t t = 0; t < a.samples[s].output_spikes.size(); ++t) {
                    INFO("sample " << s << " step " << t);
                    CHECK(a.samples[s].output_spikes[t] == b.samples[s].output_spikes.at(t));
                }
            }
            CHECK(a.counters.spikes == b.counters.spikes);
            CHECK(a.counters.syn_ops == b.counters.syn_ops);
            spikes += int64_t(a.counters.spikes);
        }
    CHECK(spikes > 0);  // the comparison saw activity
}

TEST_CASE("Every chip width at either end of its allowed range compiles to an image the "
          "emulator runs",
          "[compiler][functional][end-to-end]") {
    // A setting the chip file accepts must not produce an image the emulator refuses (the
    // chip file once allowed 32-bit state, which the emulator cannot hold).
    struct Knob {
        const char* name;
        int ChipConfig::*field;
        int lo, hi;
    };
    const Knob knobs[] = {
        {"weight_bits", &ChipConfig::weight_bits, 2, 16},
        {"state_bits", &ChipConfig::state_bits, 8, 31},
        {"decay_bits", &ChipConfig::decay_bits, 1, 16},
        {"threshold_bits", &ChipConfig::threshold_bits, 1, 24},
        {"bias_mant_bits", &ChipConfig::bias_mant_bits, 2, 31},
        {"bias_exp_max", &ChipConfig::bias_exp_max, 0, 31},
        {"refractory_bits", &ChipConfig::refractory_bits, 1, 16},
        {"trace_bits", &ChipConfig::trace_bits, 1, 16},
        {"word_synapses", &ChipConfig::word_synapses, 1, 65536},
        {"fanout", &ChipConfig::fanout, 1, 64},
        {"profiles", &ChipConfig::profiles_per_core, 1, 256},
    };
    const Graph g = random_network("mixed", 3);
    int ran = 0;
    for (const Knob& k : knobs)
        for (int v : {k.lo, k.hi}) {
            CAPTURE(k.name, v);
            ChipConfig chip;
            chip.*(k.field) = v;
            try {
                validate_chip(chip);  // some ends conflict with other defaults
            } catch (const InputError&) {
                continue;
            }
            CompileResult r;
            try {
                r = compile(g, chip);
            } catch (const Error&) {
                continue;  // a clear "does not fit" (one profile per core, 1-bit refractory)
            }
            const SpikeInput in = random_input(r.image.num_inputs, 8, 1, 7);
            RunOptions ro;
            ro.steps = 8;
            CHECK_NOTHROW(run_functional(r.image, in, ro));
            ++ran;
        }
    CHECK(ran >= 16);
}
