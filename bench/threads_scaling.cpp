// Thread scaling over samples of the float simulator (SnnSimulator::run) and the functional
// emulator (run_functional), in one process, on samples encoded once (issue 13, item 4).
//
// The machine this was written on has 2 cores shared with other jobs, so wall time alone
// says little. For each engine the program prints:
//   - wall and CPU time (process user + sys) of the sample loop with 1 and 2 threads, and
//     that the two results are identical;
//   - a projection for k = 2, 4, 8, 16 threads: the samples are cut into the k contiguous
//     chunks the library would use (whole batches for the simulator), each chunk is run
//     alone on one thread and its thread CPU time taken; the projected speed-up is the
//     total CPU time over the largest chunk's. It is an upper bound: it leaves out memory
//     bandwidth shared between cores and the (small) cost of starting threads and merging.
//
//   bench_threads_scaling [network_dir=networks/fmnist-snn] [data=fashion-mnist] [samples=2048]
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "sf/compiler/compile.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/graph.hpp"
#include "sf/core/parallel.hpp"
#include "sf/functional/functional.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/encoders.hpp"
#include "sf/reference/snn.hpp"

namespace {

double process_cpu_s() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

sf::SpikeInput slice(const sf::SpikeInput& in, int64_t b, int64_t e) {
    sf::SpikeInput s;
    s.num_inputs = in.num_inputs;
    s.samples.assign(in.samples.begin() + b, in.samples.begin() + e);
    return s;
}

// fn(input, threads) runs the engine; unit: chunk boundaries are multiples of it.
template <class F>
void measure(const char* name, const sf::SpikeInput& in, int64_t unit, F fn) {
    double w0 = now_s(), c0 = process_cpu_s();
    const std::string r1 = fn(in, 1);
    const double w1 = now_s() - w0, cpu1 = process_cpu_s() - c0;
    w0 = now_s();
    c0 = process_cpu_s();
    const std::string r2 = fn(in, 2);
    const double w2 = now_s() - w0, cpu2 = process_cpu_s() - c0;
    std::printf(
        "%-10s 1 thread: wall %.3f s, cpu %.3f s | 2 threads: wall %.3f s, cpu %.3f s | "
        "wall speed-up %.2fx | results %s\n",
        name, w1, cpu1, w2, cpu2, w1 / w2, r1 == r2 ? "identical" : "DIFFER");
    const int64_t N = int64_t(in.samples.size());
    const int64_t units = (N + unit - 1) / unit;
    std::printf("%-10s projection (chunks run alone, thread CPU time):", name);
    for (int k : {2, 4, 8, 16}) {
        const int chunks = sf::parallel_chunk_count(units, k);
        double total = 0, biggest = 0;
        for (int c = 0; c < chunks; ++c) {
            const int64_t b = std::min(N, sf::chunk_begin(units, chunks, c) * unit);
            const int64_t e = std::min(N, sf::chunk_begin(units, chunks, c + 1) * unit);
            const sf::SpikeInput part = slice(in, b, e);
            const double t0 = thread_cpu_s();
            fn(part, 1);
            const double t = thread_cpu_s() - t0;
            total += t;
            biggest = std::max(biggest, t);
        }
        std::printf("  %d: %.2fx", k, total / biggest);
    }
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    const std::string net = argc > 1 ? argv[1] : "networks/fmnist-snn";
    const std::string data = argc > 2 ? argv[2] : "fashion-mnist";
    const int64_t samples = argc > 3 ? std::stoll(argv[3]) : 2048;
    const sf::Graph g = sf::load_network(net);
    const sf::Dataset ds = sf::load_dataset(data, sf::Split::Test, samples);
    const int64_t n = std::min<int64_t>(samples, ds.size());
    double t0 = now_s();
    const sf::SpikeInput in = sf::encode(ds, g.encoder, g.timesteps, 0, n);
    std::printf("%s on %s: %lld samples x %d steps (encoding, serial: %.3f s wall)\n",
                g.name.c_str(), data.c_str(), (long long)n, g.timesteps, now_s() - t0);

    sf::SnnSimulator sim(g);
    measure("simulate", in, 64, [&](const sf::SpikeInput& x, int threads) {
        sf::SnnRunOptions o;
        o.threads = threads;
        const sf::SnnResult r = sim.run(x, o);
        std::string key;
        for (const auto& s : r.run.samples) key += std::to_string(s.predicted) + ",";
        return key + std::to_string(r.run.counters.spikes) + "," +
               std::to_string(r.run.counters.syn_ops);
    });

    const sf::CompileResult c = sf::compile(g, sf::load_chip("sf1"), {});
    measure("functional", in, 1, [&](const sf::SpikeInput& x, int threads) {
        sf::RunOptions o;
        o.threads = threads;
        const sf::RunResult r = sf::run_functional(c.image, x, o);
        std::string key;
        for (const auto& s : r.samples) key += std::to_string(s.predicted) + ",";
        return key + std::to_string(r.counters.spikes) + "," + std::to_string(r.counters.syn_ops);
    });
    return 0;
}
