// Speed of the Verilated RTL chip (--backend rtl; docs/benchmarks.md, "RTL"): simulated
// cycles per second for the sf1 chip (4 x 4 tiles) on fmnist-snn, and for one core alone (a
// 1 x 1 chip with sf1's core, Verilated on first use through the model cache) on digits-snn.
// CPU time is the figure to quote on a shared machine; wall time is printed too. Results are
// checked against the functional model (spikes and counters). With a list of process counts
// (third argument) each workload runs once per count, its samples split over that many
// forked copies of the chip (--threads): cycles per wall second is then the throughput of
// the whole run, and CPU time counts the workers too; results must equal the 1-process run.
//
//   bench_rtl_speed [fmnist_samples=4] [digits_samples=20] [processes=1[,2,...]]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <sys/resource.h>

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

// CPU seconds of this process and of its finished children (the workers).
double cpu_seconds() {
    double t = 0;
    for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
        rusage u{};
        getrusage(who, &u);
        t += double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
             1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
    }
    return t;
}

void bench(const Work& w, const std::vector<int>& processes) {
    sf::RunOptions opt;
    const sf::RunResult f = sf::run_functional(w.img, w.in, opt);
    sf::RunResult one;
    for (int p : processes) {
        opt.threads = p;
        const double c0 = cpu_seconds();
        const sf::RunResult r = sf::run_rtl(w.img, w.in, opt);
        const double cpu = cpu_seconds() - c0;
        sf::EventCounters fc = f.counters;
        fc.cycles = r.counters.cycles;  // only the cycle-level chips count cycles
        bool same = fc == r.counters && f.accuracy() == r.accuracy() &&
                    f.state_wraps == r.state_wraps && f.samples.size() == r.samples.size();
        for (size_t s = 0; same && s < f.samples.size(); ++s)
            same = f.samples[s].output_spikes == r.samples[s].output_spikes;
        if (one.samples.empty()) one = r;
        for (size_t s = 0; same && s < r.samples.size(); ++s)
            same = one.samples[s].cycles_per_step == r.samples[s].cycles_per_step;
        std::printf("%-28s %3zu samples x %d steps, %zu cores used, %d process%s: %llu cycles, "
                    "%.2f s wall, %.2f s CPU: %.1f k cycles per CPU second (%.1f k per wall "
                    "second); results %s\n",
                    w.name.c_str(), w.in.samples.size(), r.steps, w.img.cores.size(), r.threads,
                    r.threads == 1 ? "" : "es", (unsigned long long)r.counters.cycles, r.wall_s,
                    cpu, double(r.counters.cycles) / cpu / 1e3,
                    double(r.counters.cycles) / r.wall_s / 1e3,
                    same ? "agree with the functional model and the 1-process run" : "DIFFER");
    }
}

}  // namespace

int main(int argc, char** argv) {
    const int64_t fm_n = argc > 1 ? std::atoll(argv[1]) : 4;
    const int64_t dg_n = argc > 2 ? std::atoll(argv[2]) : 20;
    std::vector<int> processes;
    for (const char* p = argc > 3 ? argv[3] : "1"; *p;) {
        char* end = nullptr;
        const long v = std::strtol(p, &end, 10);
        if (end == p || v < 1) {
            std::fprintf(stderr, "bench_rtl_speed: processes must be a list like 1,2\n");
            return 2;
        }
        processes.push_back(int(v));
        p = *end == ',' ? end + 1 : end;
    }
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
    bench(dg, processes);
    bench(fm, processes);
    return 0;
}
