// Random chip images through the SystemC chip and the functional model, compared in
// lockstep: output spikes and rasters per timestep, u and v per step, final u, v,
// refractory counts and weights, and every counter except cycles. The bounded CI set runs a
// few hundred images; "[.long]" runs 10,000 (see README).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <numeric>

#include "crossmodel_util.hpp"
#include "sf/core/error.hpp"
#include "sf/functional/functional.hpp"
#include "sf/systemc/systemc_backend.hpp"

using namespace sf_xm;

namespace {

// Case `seed` of the suite: a preset (every preset's mesh), FIFO depths from 1 up (so
// backpressure happens), congested traffic in some cases, recording in others.
void run_case(uint64_t seed) {
    static const char* presets[] = {"sf1-small", "sf1", "odin-like", "loihi-like"};
    std::mt19937_64 rng(seed * 7919 + 17);
    auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    GenOptions g;
    g.chip = sf::load_chip(presets[seed % 4]);
    g.chip.router_fifo_depth = uni(1, 4);
    g.chip.host_fifo_depth = uni(1, 3) == 1 ? 1 : uni(2, 16);
    if (uni(0, 2) == 0) g.chip.word_synapses = uni(0, 1) ? 4 : 5;
    if (uni(0, 3) == 0) g.chip.fanout = uni(1, 8);
    g.congested = uni(0, 2) == 0;
    g.max_cores = uni(1, 8);
    const sf::ChipImage img = random_image(seed, g);
    const int steps = uni(1, 10), samples = uni(1, 3);
    const sf::SpikeInput in = random_input(img, seed + 1000, samples, steps, uni(1, 6) / 10.0);
    sf::RunOptions opt;
    opt.steps = steps;
    opt.reset_between_samples = uni(0, 3) != 0;
    if (uni(0, 1)) opt.record = sf::RecordSpikes | sf::RecordU | sf::RecordV;
    if (uni(0, 3) == 0) opt.record |= sf::RecordWeights;
    sf::SystemCOptions so;
    so.fast = uni(0, 3) != 0;
    INFO("case " << seed << " on " << img.chip.name << " (" << img.chip.mesh_w << "x"
                 << img.chip.mesh_h << ", D_r " << img.chip.router_fifo_depth << ", D_h "
                 << img.chip.host_fifo_depth << ", S " << img.chip.word_synapses << "), "
                 << img.cores.size() << " cores, " << samples << " x " << steps << " steps"
                 << (g.congested ? ", congested" : "") << (so.fast ? "" : ", no cycle skipping"));
    const sf::RunResult want = sf::run_functional(img, in, opt);
    const sf::RunResult got = sf::run_systemc(img, in, opt, so);
    REQUIRE(compare(img, want, got, true) == "");
    // Cycle skipping (§10) is exact: the other setting gives the same cycles and counts.
    so.fast = !so.fast;
    const sf::RunResult other = sf::run_systemc(img, in, opt, so);
    REQUIRE(compare(img, got, other, true) == "");
    CHECK(other.counters == got.counters);
    for (size_t i = 0; i < got.samples.size(); ++i)
        CHECK(other.samples[i].cycles_per_step == got.samples[i].cycles_per_step);
    CHECK(other.cycle_stats.busy_cycles == got.cycle_stats.busy_cycles);
    CHECK(other.cycle_stats.stall_cycles == got.cycle_stats.stall_cycles);
    uint64_t sum = 0;
    for (const auto& s : got.samples) sum += std::accumulate(s.cycles_per_step.begin(), s.cycles_per_step.end(), uint64_t(0));
    CHECK(got.counters.cycles == sum);
    CHECK(got.counters.cycles >= uint64_t(3 * 3 * steps * samples));
}

void run_range(uint64_t first, uint64_t count) {
    for (uint64_t s = first; s < first + count; ++s) run_case(s);
}

}  // namespace

TEST_CASE("random images 1-100 give the functional model's results on the SystemC chip",
          "[crossmodel][systemc]") {
    run_range(1, 100);
}

TEST_CASE("random images 101-200 give the functional model's results on the SystemC chip",
          "[crossmodel][systemc]") {
    run_range(101, 100);
}

TEST_CASE("random images 201-300 give the functional model's results on the SystemC chip",
          "[crossmodel][systemc]") {
    run_range(201, 100);
}

// Opt-in: 10,000 images (SF_CROSSMODEL_IMAGES overrides the count).
TEST_CASE("ten thousand random images give the functional model's results on the SystemC chip",
          "[crossmodel][systemc][.long]") {
    uint64_t count = 10000;
    if (const char* e = std::getenv("SF_CROSSMODEL_IMAGES")) count = std::strtoull(e, nullptr, 10);
    run_range(100000, count);
}
