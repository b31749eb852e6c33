// Helpers shared by the functional-emulator tests: small chip images built in code, a
// seeded random image generator (all neuron modes, saturation, recurrence, learning) and
// an exact comparison of two RunResults that names the first difference.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sf/core/chip_image.hpp"
#include "sf/core/run_result.hpp"

namespace sf_test {

// An image with no cores yet on a w x h mesh, with `inputs` host inputs and `outputs`
// host outputs; input routes are filled by add_input_route.
inline sf::ChipImage empty_image(int w, int h, int inputs, int outputs) {
    sf::ChipImage img;
    img.chip.mesh_w = w;
    img.chip.mesh_h = h;
    img.network = "test";
    img.timesteps = 10;
    img.num_inputs = inputs;
    img.input_ptr.assign(size_t(inputs) + 1, 0);
    img.num_outputs = outputs;
    return img;
}

// A core with n neurons, a axons, one profile, zero weights, no routes.
inline sf::CoreImage make_core(int x, int y, int n, int a, const sf::NeuronProfile& p) {
    sf::CoreImage c;
    c.x = x;
    c.y = y;
    c.num_neurons = n;
    c.num_axons = a;
    c.profiles = {p};
    c.profile_of.assign(size_t(n), 0);
    c.bias_mant.assign(size_t(n), 0);
    c.weights.assign(size_t(n) * a, 0);
    c.route_ptr.assign(size_t(n) + 1, 0);
    return c;
}

// Set the routes of every neuron of a core at once: dst[n] lists neuron n's destinations.
inline void set_routes(sf::CoreImage& c, const std::vector<std::vector<sf::Destination>>& dst) {
    c.route_ptr.assign(size_t(c.num_neurons) + 1, 0);
    c.route_dst.clear();
    for (int n = 0; n < c.num_neurons; ++n) {
        if (size_t(n) < dst.size())
            for (const auto& d : dst[size_t(n)]) c.route_dst.push_back(d);
        c.route_ptr[size_t(n) + 1] = int32_t(c.route_dst.size());
    }
}

inline void set_input_routes(sf::ChipImage& img,
                             const std::vector<std::vector<sf::Destination>>& dst) {
    img.input_ptr.assign(size_t(img.num_inputs) + 1, 0);
    img.input_dst.clear();
    for (int i = 0; i < img.num_inputs; ++i) {
        if (size_t(i) < dst.size())
            for (const auto& d : dst[size_t(i)]) img.input_dst.push_back(d);
        img.input_ptr[size_t(i) + 1] = int32_t(img.input_dst.size());
    }
}

inline sf::Destination host_out(int k) {
    return sf::Destination{-1, -1, k};
}

// One sample whose steps[t] are the given input indices.
inline sf::SpikeInput one_sample(int num_inputs, const std::vector<std::vector<int32_t>>& steps) {
    sf::SpikeInput in;
    in.num_inputs = num_inputs;
    in.samples.resize(1);
    in.samples[0].steps = steps;
    return in;
}

// A random image exercising every feature: several cores on a 3x3 mesh, random profiles
// (both reset modes, refractory, LI readouts, big weights that saturate v and wrap u),
// recurrent and cross-core routes, several sources on one axon, learning cores.
inline sf::ChipImage random_image(uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    sf::ChipImage img = empty_image(3, 3, uni(4, 24), uni(1, 6));
    img.chip.word_synapses = uni(0, 1) ? 16 : 4;
    std::vector<std::pair<int, int>> tiles;
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 3; ++x) tiles.push_back({x, y});
    std::shuffle(tiles.begin(), tiles.end(), rng);
    const int ncores = uni(1, 5);
    for (int c = 0; c < ncores; ++c) {
        sf::NeuronProfile p;
        const int n = uni(1, 40), a = uni(1, 48);
        sf::CoreImage core = make_core(tiles[size_t(c)].first, tiles[size_t(c)].second, n, a, p);
        core.profiles.clear();
        const int np = uni(1, 4);
        for (int k = 0; k < np; ++k) {
            sf::NeuronProfile q;
            q.du = uni(0, 1) ? 4095 : uni(0, 4095);
            q.dv = uni(0, 2) == 0 ? 0 : uni(0, 4095);
            q.vth = uni(0, 3) == 0 ? 0 : uni(0, 3000);
            q.bias_exp = uni(0, 7);
            q.reset = uni(0, 1) ? sf::ResetMode::Zero : sf::ResetMode::Subtract;
            q.refractory = uni(0, 2) == 0 ? uni(1, 5) : 0;
            q.spiking = uni(0, 7) != 0;
            core.profiles.push_back(q);
        }
        for (int i = 0; i < n; ++i) {
            core.profile_of[size_t(i)] = uint8_t(uni(0, np - 1));
            core.bias_mant[size_t(i)] = uni(0, 3) == 0 ? uni(-4096, 4095) : 0;
        }
        const int wmax = uni(0, 1) ? 127 : 20;
        for (auto& w : core.weights) w = int16_t(uni(0, 2) == 0 ? 0 : uni(-wmax - 1, wmax));
        if (uni(0, 1)) {
            core.plastic.resize(core.weights.size());
            for (auto& m : core.plastic) m = uint8_t(uni(0, 3) != 0);
            auto& l = core.learning;
            l.enabled = true;
            l.a_plus = uni(-64, 128);
            l.a_minus = uni(-64, 128);
            l.shift = uni(0, 8);
            l.x_decay = uni(0, 4095);
            l.y_decay = uni(0, 4095);
            l.x_inc = uni(0, 300);
            l.y_inc = uni(0, 300);
            l.w_min = uni(-128, 0);
            l.w_max = uni(0, 127);
        }
        img.cores.push_back(std::move(core));
    }
    for (auto& core : img.cores) {
        std::vector<std::vector<sf::Destination>> dst(size_t(core.num_neurons));
        for (auto& d : dst) {
            const int f = uni(0, 4);
            for (int k = 0; k < f; ++k) {
                if (uni(0, 5) == 0) {
                    d.push_back(host_out(uni(0, img.num_outputs - 1)));
                } else {
                    const auto& t = img.cores[size_t(uni(0, ncores - 1))];
                    d.push_back(sf::Destination{t.x, t.y, uni(0, t.num_axons - 1)});
                }
            }
        }
        set_routes(core, dst);
    }
    std::vector<std::vector<sf::Destination>> in(size_t(img.num_inputs));
    for (auto& d : in) {
        const int f = uni(1, 3);
        for (int k = 0; k < f; ++k) {
            const auto& t = img.cores[size_t(uni(0, ncores - 1))];
            d.push_back(sf::Destination{t.x, t.y, uni(0, t.num_axons - 1)});
        }
    }
    set_input_routes(img, in);
    return img;
}

// Random input: `samples` samples of `steps` steps, each input spiking with probability p.
inline sf::SpikeInput random_input(const sf::ChipImage& img, uint64_t seed, int samples, int steps,
                                   double p) {
    std::mt19937_64 rng(seed);
    std::bernoulli_distribution on(p);
    sf::SpikeInput in;
    in.num_inputs = img.num_inputs;
    in.samples.resize(size_t(samples));
    for (auto& s : in.samples) {
        s.steps.resize(size_t(steps));
        for (auto& st : s.steps)
            for (int i = 0; i < img.num_inputs; ++i)
                if (on(rng)) st.push_back(i);
        s.label = int(rng() % 3);
    }
    return in;
}

// "" when equal, else a description of the first difference.
inline std::string diff_results(const sf::RunResult& a, const sf::RunResult& b) {
    if (a.steps != b.steps || a.num_outputs != b.num_outputs) return "steps or outputs differ";
    if (!(a.counters == b.counters)) return "counters differ";
    if (a.final_u != b.final_u) return "final u differs";
    if (a.final_v != b.final_v) return "final v differs";
    if (a.final_weights != b.final_weights) return "final weights differ";
    if (a.samples.size() != b.samples.size()) return "sample count differs";
    for (size_t s = 0; s < a.samples.size(); ++s) {
        const auto& x = a.samples[s];
        const auto& y = b.samples[s];
        const std::string at = "sample " + std::to_string(s) + ": ";
        if (x.output_counts != y.output_counts) return at + "output counts differ";
        if (x.predicted != y.predicted) return at + "prediction differs";
        for (size_t t = 0; t < x.output_spikes.size() && t < y.output_spikes.size(); ++t)
            if (x.output_spikes[t] != y.output_spikes[t])
                return at + "output spikes differ at step " + std::to_string(t);
        if (x.output_spikes.size() != y.output_spikes.size())
            return at + "output spike steps differ";
        for (size_t t = 0; t < x.raster.size() && t < y.raster.size(); ++t)
            if (!(x.raster[t] == y.raster[t]))
                return at + "raster differs at step " + std::to_string(t);
        if (x.raster.size() != y.raster.size()) return at + "raster length differs";
        if (x.u_trace != y.u_trace) return at + "u trace differs";
        if (x.v_trace != y.v_trace) return at + "v trace differs";
    }
    return "";
}

}  // namespace sf_test
