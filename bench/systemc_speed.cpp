// Speed of the cycle-accurate SystemC chip (docs/benchmarks.md, "SystemC model"):
// simulated cycles per second and wall time for fmnist-snn on sf1 over Fashion-MNIST test
// images and digits-snn on its 355 test digits, next to the functional model on the same
// input; with the RTL backend in this build, both cycle-level chips on the same first
// samples in one run (cycles must agree, and the speed ratio is printed).
//
//   bench_systemc_speed [fmnist_samples=1000] [rtl_samples=10]
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sf/compiler/compile.hpp"
#include "sf/core/graph.hpp"
#include "sf/functional/functional.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/encoders.hpp"
#include "sf/systemc/systemc_backend.hpp"
#ifdef SF_HAVE_RTL
#include "sf/rtl/rtl_backend.hpp"
#endif

namespace {

struct Work {
    std::string name;
    sf::ChipImage img;
    sf::SpikeInput in;
};

Work make(const std::string& net, const std::string& chip, int64_t samples) {
    Work w;
    w.name = net + " on " + chip;
    const sf::Graph g = sf::load_network(std::string(SF_SOURCE_NETWORKS_DIR) + "/" + net);
    w.img = sf::compile(g, sf::load_chip(chip)).image;
    const sf::Dataset ds = sf::load_dataset(w.img.dataset, sf::Split::Test, samples);
    w.in = sf::encode(ds, w.img.encoder, w.img.timesteps, 0, ds.size());
    return w;
}

sf::SpikeInput first(const sf::SpikeInput& in, size_t k) {
    sf::SpikeInput out = in;
    if (out.samples.size() > k) out.samples.resize(k);
    return out;
}

void bench(const Work& w, int rtl_samples) {
    sf::RunOptions opt;
    const sf::RunResult f = sf::run_functional(w.img, w.in, opt);
    // CPU time as well as wall time: on a shared machine the wall clock also counts others.
    const std::clock_t c0 = std::clock();
    const sf::RunResult s = sf::run_systemc(w.img, w.in, opt);
    const double cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
    const bool same = f.counters.spikes == s.counters.spikes && f.accuracy() == s.accuracy();
    std::printf("%-24s %5zu samples x %d steps: systemc %.2f s wall (%.2f s CPU), %llu cycles, "
                "%.2f M cycles/s wall (%.2f M per CPU second, %.1f samples/s); functional %.3f s; "
                "accuracy %.2f%%; results %s\n",
                w.name.c_str(), w.in.samples.size(), s.steps, s.wall_s, cpu,
                (unsigned long long)s.counters.cycles, double(s.counters.cycles) / s.wall_s / 1e6,
                double(s.counters.cycles) / cpu / 1e6,
                double(s.samples.size()) / s.wall_s, f.wall_s, 100.0 * s.accuracy(),
                same ? "agree" : "DIFFER");
#ifdef SF_HAVE_RTL
    if (rtl_samples > 0) {
        const sf::SpikeInput few = first(w.in, size_t(rtl_samples));
        const sf::RunResult s2 = sf::run_systemc(w.img, few, opt);
        const sf::RunResult r = sf::run_rtl(w.img, few, opt);
        std::printf("%-24s %5zu samples: systemc %.3f s (%.2f M cycles/s), rtl %.3f s (%.3f M "
                    "cycles/s): systemc %.1fx faster; cycles %s (%llu)\n",
                    w.name.c_str(), few.samples.size(), s2.wall_s,
                    double(s2.counters.cycles) / s2.wall_s / 1e6, r.wall_s,
                    double(r.counters.cycles) / r.wall_s / 1e6, r.wall_s / s2.wall_s,
                    r.counters.cycles == s2.counters.cycles ? "agree" : "DIFFER",
                    (unsigned long long)s2.counters.cycles);
    }
#else
    (void)rtl_samples;
    (void)first;
#endif
}

}  // namespace

int main(int argc, char** argv) {
    const int64_t fmnist = argc > 1 ? std::atoll(argv[1]) : 1000;
    const int rtl = argc > 2 ? std::atoi(argv[2]) : 10;
    const Work fm = make("fmnist-snn", "sf1", fmnist);
    const Work dg = make("digits-snn", "sf1", -1);
#ifdef SF_HAVE_RTL
    if (rtl > 0) sf::prepare_rtl(fm.img.chip);
#endif
    sf::prepare_systemc(fm.img.chip);
    bench(fm, rtl);
    bench(dg, rtl);
    return 0;
}
