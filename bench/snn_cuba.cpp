// The Vogels & Abbott (2005) CUBA benchmark network in the float reference simulator:
// 4000 LIF neurons (3200 excitatory, 800 inhibitory), 2% random connectivity, exponential
// synaptic currents, dt 0.1 ms, 1 s of biological time. Prints the wall and CPU time and
// the real-time factors (time / simulated time) as one JSON line; bench/snn_vs_brian2.sh
// runs Brian2 on the same network (bench/peers/brian2_cuba.py) for comparison.
// Usage: bench_snn_cuba [duration_ms [repeats]]. With repeats > 1 the same simulation runs
// again and the best (smallest) wall and CPU times are reported, which on a shared machine
// are the ones least disturbed by other jobs. "raster_hash" (FNV-1a over the excitatory
// spike raster and both populations' spike counts) identifies the result bit for bit: a
// change to the simulator that keeps it kept every spike at the same step.
//
// Model (both sides, docs/reference-snn.md): membrane relative to the reset potential,
// v' = v - Vr, tau_m = 20 ms, rest El - Vr = 11 mV, threshold Vt - Vr = 10 mV, reset to
// 0, refractory 5 ms; synaptic current with tau_s = 5 ms; weights we = 1.62 mV and
// wi = -18 mV. One synaptic time constant is all the IR's CUBA neuron has, so the
// inhibitory weight is doubled from the original -9 mV (tau_i = 10 ms) to keep the charge
// each inhibitory spike delivers.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>

#include "sf/core/graph.hpp"
#include "sf/reference/snn.hpp"

using namespace sf;

int main(int argc, char** argv) {
    double duration_ms = 1000.0;
    int repeats = 1;
    try {
        size_t used = 0;
        if (argc > 1) duration_ms = std::stod(argv[1], &used);
        if (argc > 1 && (argv[1][used] != '\0' || !(duration_ms >= 0.1))) throw 0;
        if (argc > 2) repeats = std::stoi(argv[2], &used);
        if (argc > 2 && (argv[2][used] != '\0' || repeats < 1)) throw 0;
        if (argc > 3) throw 0;
    } catch (...) {
        std::fprintf(stderr,
                     "bench_snn_cuba: bad arguments; usage: bench_snn_cuba [duration_ms [repeats]] "
                     "with duration_ms >= 0.1 (one step) and repeats >= 1, e.g. "
                     "bench_snn_cuba 1000 5\n");
        return 2;
    }
    const double dt_ms = 0.1;
    const int NE = 3200, NI = 800;
    const float tau_m = 20.0f, tau_s = 5.0f;
    const float dv = float(1.0 - std::exp(-dt_ms / tau_m)),
                du = float(1.0 - std::exp(-dt_ms / tau_s));
    // A jump of g mV in the synaptic variable moves v by about g * dt / tau_m per step.
    const float we = 1.62f * dv, wi = -18.0f * dv;
    Graph g;
    g.name = "cuba";
    g.dt_ms = float(dt_ms);
    g.timesteps = int(duration_ms / dt_ms + 0.5);
    for (auto [name, n] : {std::pair<const char*, int>{"exc", NE}, {"inh", NI}}) {
        Population p;
        p.name = name;
        p.kind = NeuronKind::LIF;
        p.shape = {n};
        p.params.decay_u = du;
        p.params.decay_v = dv;
        p.params.threshold = 10.0f;
        p.params.bias = 11.0f * dv;  // leak towards El - Vr = 11 mV
        p.params.reset = ResetMode::Zero;
        p.params.refractory_steps = int(5.0 / dt_ms + 0.5);
        p.output = std::string(name) == "exc";
        g.populations.push_back(p);
    }
    std::mt19937_64 rng(2005);
    std::bernoulli_distribution link(0.02);
    uint64_t synapses = 0;
    for (auto [pre, npre, w] :
         {std::tuple<const char*, int, float>{"exc", NE, we}, {"inh", NI, wi}})
        for (auto [post, npost] : {std::pair<const char*, int>{"exc", NE}, {"inh", NI}}) {
            std::vector<int64_t> idx;
            std::vector<float> ws;
            for (int j = 0; j < npre; ++j)
                for (int i = 0; i < npost; ++i)
                    if (link(rng)) {
                        idx.push_back(j);
                        idx.push_back(i);
                        ws.push_back(w);
                    }
            Projection pr;
            pr.name = std::string(pre) + "_" + post;
            pr.kind = ProjectionKind::Sparse;
            pr.pre = pre;
            pr.post = post;
            pr.indices = Tensor::from<int64_t>(idx, {int64_t(ws.size()), 2});
            pr.weights = Tensor::from<float>(ws, {int64_t(ws.size())});
            synapses += ws.size();
            g.projections.push_back(pr);
        }
    SnnSimulator sim(g);
    SnnRunOptions o;
    o.batch = 1;
    std::uniform_real_distribution<float> v0(0.0f, 10.0f);
    for (auto [name, n] : {std::pair<const char*, int>{"exc", NE}, {"inh", NI}}) {
        std::vector<float> v(static_cast<size_t>(n));
        for (float& x : v) x = v0(rng);
        o.initial_v[name] = v;
    }
    SpikeInput in;
    in.samples.resize(1);
    // CPU time too: on a shared machine the wall time includes waiting for a core.
    auto cpu_now = [] {
        timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
    };
    // FNV-1a over (step, neuron) of every excitatory spike, then the population counts.
    auto raster_hash = [](const SnnResult& r) {
        uint64_t h = 1469598103934665603ull;
        auto mix = [&h](uint64_t x) {
            for (int k = 0; k < 8; ++k) {
                h ^= (x >> (8 * k)) & 0xffu;
                h *= 1099511628211ull;
            }
        };
        const auto& steps = r.run.samples[0].output_spikes;
        for (size_t t = 0; t < steps.size(); ++t)
            for (int32_t i : steps[t]) mix((uint64_t(t) << 32) | uint32_t(i));
        for (uint64_t c : r.population_spikes) mix(c);
        return h;
    };
    double best_wall = 1e30, best_cpu = 1e30;
    uint64_t spikes = 0, hash = 0;
    for (int rep = 0; rep < repeats; ++rep) {
        const double c0 = cpu_now();
        const auto t0 = std::chrono::steady_clock::now();
        const SnnResult r = sim.run(in, o);
        const double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double cpu = cpu_now() - c0;
        best_wall = std::min(best_wall, wall);
        best_cpu = std::min(best_cpu, cpu);
        const uint64_t h = raster_hash(r);
        if (rep > 0 && h != hash) {
            std::fprintf(stderr,
                         "bench_snn_cuba: run %d gave a different raster (not deterministic)\n",
                         rep);
            return 1;
        }
        hash = h;
        spikes = r.population_spikes[0] + r.population_spikes[1];
    }
    const double sim_s = duration_ms / 1000.0;
    std::printf(
        "{\"simulator\": \"spikeforge-reference\", \"neurons\": %d, \"synapses\": %llu, "
        "\"dt_ms\": %.2f, \"duration_s\": %.3f, \"repeats\": %d, \"wall_s\": %.4f, "
        "\"cpu_s\": %.4f, \"realtime_factor\": %.4f, \"realtime_factor_cpu\": %.4f, "
        "\"spikes\": %llu, \"mean_rate_hz\": %.2f, \"raster_hash\": \"%016llx\"}\n",
        NE + NI, (unsigned long long)synapses, dt_ms, sim_s, repeats, best_wall, best_cpu,
        best_wall / sim_s, best_cpu / sim_s, (unsigned long long)spikes,
        double(spikes) / (NE + NI) / sim_s, (unsigned long long)hash);
    return 0;
}
