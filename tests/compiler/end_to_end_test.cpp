// End to end through the functional emulator: how a network is cut into cores must not
// change what it computes. The same network compiled onto sf1 (few large cores) and onto
// a chip of 16-neuron cores (many cores, spatial tiles, shared cores, long routes) gives
// the same output spikes at every step for the same input.
#include <catch2/catch.hpp>

#include "compiler_helpers.hpp"
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
