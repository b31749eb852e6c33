// Synaptic operations per second of the functional emulator on one thread. A chip of
// dense cores (1024 axons x 256 neurons, every synapse present) is driven from the host,
// once at high input activity (half the axons spike every step) and once sparse (2%).
// The whole run is timed (delivery, accumulation, neuron updates, routing), not only the
// accumulation loop. Results are recorded in docs/benchmarks.md.
//
//   bench_functional_synops [steps]   (default 200)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "sf/core/chip_image.hpp"
#include "sf/functional/functional.hpp"

namespace {

sf::ChipImage dense_chip(int mesh, int axons, int neurons, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> wdist(-20, 20);
    sf::ChipImage img;
    img.chip.mesh_w = img.chip.mesh_h = mesh;
    img.chip.neurons_per_core = neurons;
    img.chip.axons_per_core = axons;
    img.network = "bench";
    img.timesteps = 1;
    for (int y = 0; y < mesh; ++y)
        for (int x = 0; x < mesh; ++x) {
            sf::CoreImage c;
            c.x = x;
            c.y = y;
            c.num_neurons = neurons;
            c.num_axons = axons;
            sf::NeuronProfile p;
            p.du = 4095;
            p.dv = 4095;
            p.vth = (1 << 17) - 1;  // high threshold: the bench measures synapses, not spikes
            c.profiles = {p};
            c.profile_of.assign(size_t(neurons), 0);
            c.bias_mant.assign(size_t(neurons), 0);
            c.weights.resize(size_t(axons) * neurons);
            for (auto& w : c.weights) {
                int v = wdist(rng);
                w = int16_t(v == 0 ? 1 : v);  // every synapse present
            }
            c.route_ptr.assign(size_t(neurons) + 1, 0);
            img.cores.push_back(std::move(c));
        }
    // One host input per (core, axon).
    img.num_inputs = int(img.cores.size()) * axons;
    img.input_ptr.resize(size_t(img.num_inputs) + 1);
    for (int i = 0; i < img.num_inputs; ++i) {
        const auto& c = img.cores[size_t(i / axons)];
        img.input_dst.push_back(sf::Destination{c.x, c.y, i % axons});
        img.input_ptr[size_t(i) + 1] = i + 1;
    }
    return img;
}

sf::SpikeInput activity(const sf::ChipImage& img, int steps, double p, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::bernoulli_distribution on(p);
    sf::SpikeInput in;
    in.num_inputs = img.num_inputs;
    in.samples.resize(1);
    in.samples[0].steps.resize(size_t(steps));
    for (auto& st : in.samples[0].steps)
        for (int i = 0; i < img.num_inputs; ++i)
            if (on(rng)) st.push_back(i);
    return in;
}

void run_case(const char* name, const sf::ChipImage& img, int steps, double p) {
    const sf::SpikeInput in = activity(img, steps, p, 7);
    sf::RunOptions opt;
    opt.steps = steps;
    // Best of 3 runs, to be robust to a noisy shared machine.
    double best = 1e30;
    sf::RunResult r;
    for (int rep = 0; rep < 3; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        r = sf::run_functional(img, in, opt);
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (s < best) best = s;
    }
    const double synops = double(r.counters.syn_ops);
    std::printf(
        "%-8s cores %zu, %d axons x %d neurons, activity %.0f%%, %d steps: %.3g synops in %.4f s "
        "-> %.1f M synops/s (%.2f ms/step, %llu spikes)\n",
        name, img.cores.size(), img.cores[0].num_axons, img.cores[0].num_neurons, 100 * p, steps,
        synops, best, synops / best / 1e6, 1e3 * best / steps,
        (unsigned long long)r.counters.spikes);
}

}  // namespace

int main(int argc, char** argv) {
    const int steps = argc > 1 ? std::atoi(argv[1]) : 200;
    if (steps <= 0) {
        std::fprintf(stderr, "usage: bench_functional_synops [steps > 0]\n");
        return 2;
    }
    const sf::ChipImage img = dense_chip(2, 1024, 256, 1);
    run_case("dense", img, steps, 0.5);
    run_case("sparse", img, steps, 0.02);
    return 0;
}
