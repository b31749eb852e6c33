// Speed of the Verilated RTL chip (--backend rtl; docs/benchmarks.md, "RTL"): simulated
// cycles per second for the sf1 chip (4 x 4 tiles) on fmnist-snn, and for one core alone (a
// 1 x 1 chip with sf1's core, Verilated on first use through the model cache) on digits-snn.
// CPU time is the figure to quote on a shared machine; wall time is printed too. Results are
// checked against the functional model (spikes and counters).
//
//   bench_rtl_speed [fmnist_samples=4] [digits_samples=20]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>

#include "sf/compiler/compile.hpp"
#include "sf/core/graph.hpp"
#include "sf/functional/functional.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/encoders.hpp"
#include "sf/rtl/rtl_backend.hpp"

namespace {

struct Work {
    std::string name;
    sf::ChipImage img;
    sf::SpikeInput in;
};

Work make(const std::string& net, const sf::ChipConfig& chip, int64_t samples) {
    Work w;
    w.name = net + " on " + chip.name;
    const sf::Graph g = sf::load_network(std::string(SF_SOURCE_NETWORKS_DIR) + "/" + net);
    w.img = sf::compile(g, chip).image;
    const sf::Dataset ds = sf::load_dataset(w.img.dataset, sf::Split::Test, samples);
    w.in = sf::encode(ds, w.img.encoder, w.img.timesteps, 0, ds.size());
    return w;
}

void bench(const Work& w) {
    sf::RunOptions opt;
    const sf::RunResult f = sf::run_functional(w.img, w.in, opt);
    const std::clock_t c0 = std::clock();
    const sf::RunResult r = sf::run_rtl(w.img, w.in, opt);
    const double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
    sf::EventCounters fc = f.counters;
    fc.cycles = r.counters.cycles;  // only the cycle-level chips count cycles
    bool same = fc == r.counters && f.accuracy() == r.accuracy() &&
                f.state_wraps == r.state_wraps && f.samples.size() == r.samples.size();
    for (size_t s = 0; same && s < f.samples.size(); ++s)
        same = f.samples[s].output_spikes == r.samples[s].output_spikes;
    std::printf("%-28s %3zu samples x %d steps, %zu cores used: %llu cycles, %.2f s wall, %.2f s "
                "CPU: %.1f k cycles per CPU second (%.1f k per wall second); results %s\n",
                w.name.c_str(), w.in.samples.size(), r.steps, w.img.cores.size(),
                (unsigned long long)r.counters.cycles, r.wall_s, cpu,
                double(r.counters.cycles) / cpu / 1e3, double(r.counters.cycles) / r.wall_s / 1e3,
                same ? "agree with the functional model" : "DIFFER");
}

}  // namespace

int main(int argc, char** argv) {
    const int64_t fm_n = argc > 1 ? std::atoll(argv[1]) : 4;
    const int64_t dg_n = argc > 2 ? std::atoll(argv[2]) : 20;
    const sf::ChipConfig sf1 = sf::load_chip("sf1");
    sf::ChipConfig one = sf1;  // one sf1 core alone
    one.name = "sf1-one-core";
    one.mesh_w = 1;
    one.mesh_h = 1;
    const Work fm = make("fmnist-snn", sf1, fm_n);
    const Work dg = make("digits-snn", one, dg_n);
    sf::prepare_rtl(sf1);
    const auto t0 = std::chrono::steady_clock::now();
    sf::prepare_rtl(one);  // built into the model cache on first use
    std::printf("one-core model ready in %.1f s (cache: a first build includes Verilator)\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    bench(dg);
    bench(fm);
    return 0;
}
