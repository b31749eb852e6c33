// The cross-model suite's shared parts (used for the SystemC chip now and the Verilated RTL
// chip later): a seeded generator of random chip images and inputs that covers every
// neuron mode, saturation and wrap edges, recurrence and self-loops, multicast, several
// events on one axon, STDP on and off, every preset's mesh and congested traffic; and a
// lockstep comparison of two RunResults that names the first mismatch (sample, timestep,
// core, neuron or synapse, and both values).
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sf/core/chip_config.hpp"
#include "sf/core/chip_image.hpp"
#include "sf/core/run_result.hpp"

#include "../functional/functional_test_util.hpp"

namespace sf_xm {

// Hand-built image pieces, shared with the functional model's tests.
using sf_test::host_out;
using sf_test::make_core;
using sf_test::set_input_routes;
using sf_test::set_routes;

// One output map entry per host output (the generator leaves the map empty; the image
// checks want one entry per output).
inline sf::ChipImage with_output_map(sf::ChipImage img) {
    if (img.output_core.size() != size_t(img.num_outputs)) {
        img.output_core.assign(size_t(img.num_outputs), 0);
        img.output_neuron.assign(size_t(img.num_outputs), 0);
    }
    return img;
}

// The worked example of docs/microarchitecture.md section 9 on `chip` (the document's chip is
// 2 x 2 tiles, S = 16, D_r = 4, D_h = 16): one host input spike to axon 0 of core (1, 1),
// whose LIF neuron 0 (threshold 0) fires to host output 0. 19 cycles on that chip.
inline sf::ChipImage worked_example(const sf::ChipConfig& chip) {
    sf::ChipImage img;
    img.chip = chip;
    img.network = "worked-example";
    img.timesteps = 1;
    img.num_inputs = 1;
    img.num_outputs = 1;
    sf::NeuronProfile p;  // LIF, vth 0: spike when v > 0
    p.du = 0;
    p.dv = 0;
    p.vth = 0;
    sf::CoreImage c = make_core(1, 1, 1, 1, p);
    c.weights = {1};
    set_routes(c, {{host_out(0)}});
    img.cores.push_back(c);
    set_input_routes(img, {{sf::Destination{1, 1, 0}}});
    return with_output_map(img);
}

// What a random case stresses; the generator mixes them by seed.
struct GenOptions {
    sf::ChipConfig chip;        // preset (mesh size, core sizes, FIFO depths)
    int max_cores = 6;
    int max_neurons = 40;       // per core, also capped by the chip
    int max_axons = 48;
    bool congested = false;     // many cores (and the host) sending to one core
};

// A random image on `o.chip`: random profiles (LIF, IF, LI, both resets, refractory, bias),
// big weights that saturate v and wrap u, recurrent routes and self-loops, host outputs,
// several sources on one axon, learning cores with random STDP constants.
inline sf::ChipImage random_image(uint64_t seed, const GenOptions& o) {
    std::mt19937_64 rng(seed);
    auto uni = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    sf::ChipImage img;
    img.chip = o.chip;
    img.network = "crossmodel-" + std::to_string(seed);
    img.timesteps = 8;
    const sf::ChipConfig& c = img.chip;
    const int W = c.mesh_w, H = c.mesh_h;
    img.num_inputs = uni(1, 24);
    img.num_outputs = uni(1, 6);
    std::vector<std::pair<int, int>> tiles;
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) tiles.push_back({x, y});
    std::shuffle(tiles.begin(), tiles.end(), rng);
    const int ncores = uni(1, std::min<int>(o.max_cores, int(tiles.size())));
    const int vmax = (1 << c.threshold_bits) - 1;
    const int bmax = (1 << (c.bias_mant_bits - 1)) - 1;
    const int rmax = (1 << c.refractory_bits) - 1;
    const int wmaxc = c.weight_max();
    for (int k = 0; k < ncores; ++k) {
        const int n = uni(1, std::min(o.max_neurons, c.neurons_per_core));
        const int a = uni(1, std::min(o.max_axons, c.axons_per_core));
        sf::CoreImage core = make_core(tiles[size_t(k)].first, tiles[size_t(k)].second, n, a, {});
        core.profiles.clear();
        const int np = uni(1, c.profiles_per_core);
        for (int p = 0; p < np; ++p) {
            sf::NeuronProfile q;
            switch (uni(0, 3)) {
                case 0: q.du = 4095; q.dv = 0; break;                          // IF
                case 1: q.du = uni(0, 4095); q.dv = uni(0, 4095); break;       // LIF
                case 2: q.du = uni(0, 4095); q.dv = uni(0, 4095); q.spiking = false; break;  // LI
                default: q.du = uni(0, 64); q.dv = uni(0, 64); break;         // slow leak: wraps
            }
            q.vth = uni(0, 3) == 0 ? 0 : uni(0, std::min(vmax, uni(0, 1) ? 3000 : vmax));
            q.bias_exp = uni(0, c.bias_exp_max);
            q.reset = uni(0, 1) ? sf::ResetMode::Zero : sf::ResetMode::Subtract;
            q.refractory = uni(0, 2) == 0 ? uni(1, rmax) : 0;
            core.profiles.push_back(q);
        }
        for (int i = 0; i < n; ++i) {
            core.profile_of[size_t(i)] = uint8_t(uni(0, np - 1));
            core.bias_mant[size_t(i)] = uni(0, 3) == 0 ? uni(-bmax - 1, bmax) : 0;
        }
        const int wmax = uni(0, 1) ? wmaxc : std::min(20, wmaxc);
        const int density = uni(1, 4);
        for (auto& w : core.weights)
            w = int16_t(uni(0, 4) < density ? uni(-wmax - 1, wmax) : 0);
        if (c.learning && uni(0, 1)) {
            core.plastic.resize(core.weights.size());
            for (auto& m : core.plastic) m = uint8_t(uni(0, 3) != 0);
            auto& l = core.learning;
            l.enabled = true;
            l.a_plus = uni(-64, 128);
            l.a_minus = uni(-64, 128);
            l.shift = uni(0, 8);
            l.x_decay = uni(0, 4095);
            l.y_decay = uni(0, 4095);
            const int tmax = (1 << c.trace_bits) - 1;
            l.x_inc = uni(0, tmax);
            l.y_inc = uni(0, tmax);
            l.w_min = uni(c.weight_min(), 0);
            l.w_max = uni(0, wmaxc);
        }
        img.cores.push_back(std::move(core));
    }
    const int sink = 0;  // the congested case's target core
    for (size_t ci = 0; ci < img.cores.size(); ++ci) {
        auto& core = img.cores[ci];
        std::vector<std::vector<sf::Destination>> dst(size_t(core.num_neurons));
        for (int i = 0; i < core.num_neurons; ++i) {
            auto& d = dst[size_t(i)];
            const int f = uni(0, c.fanout);
            for (int k = 0; k < f; ++k) {
                const int kind = uni(0, 9);
                if (kind == 0) {
                    d.push_back(host_out(uni(0, img.num_outputs - 1)));
                } else if (kind == 1) {  // self-loop: back to this core, maybe this neuron's axon
                    d.push_back(sf::Destination{core.x, core.y, uni(0, core.num_axons - 1)});
                } else {
                    const auto& t = img.cores[o.congested && uni(0, 1) ? size_t(sink)
                                                                       : size_t(uni(0, ncores - 1))];
                    d.push_back(sf::Destination{t.x, t.y, uni(0, t.num_axons - 1)});
                }
            }
        }
        set_routes(core, dst);
    }
    std::vector<std::vector<sf::Destination>> in(size_t(img.num_inputs));
    for (auto& d : in) {
        const int f = uni(1, c.fanout);
        for (int k = 0; k < f; ++k) {
            const auto& t = img.cores[o.congested && uni(0, 1) ? size_t(sink)
                                                               : size_t(uni(0, ncores - 1))];
            // Few axons: several events land on one axon in a step.
            d.push_back(sf::Destination{t.x, t.y, uni(0, std::min(3, t.num_axons - 1))});
        }
    }
    set_input_routes(img, in);
    for (int k = 0; k < img.num_outputs; ++k) {
        const int ci = uni(0, ncores - 1);
        img.output_core.push_back(ci);
        img.output_neuron.push_back(uni(0, img.cores[size_t(ci)].num_neurons - 1));
    }
    if (uni(0, 3) == 0) {  // read the class from LI output membranes (chip-spec §7)
        sf::PopulationInfo p;
        p.name = "out";
        p.kind = sf::NeuronKind::LI;
        p.shape = {img.num_outputs};
        p.output = true;
        img.populations.push_back(p);
    }
    return img;
}

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

// "" when `got` (a cycle-level backend) matches `want` (the functional model) in every
// output spike, raster entry, u and v per step, final u, v, refractory count and weight, and
// every counter except cycles; else the first mismatch. `state_wraps`: also compare the
// diagnostic count of wrapped neuron updates (the SystemC chip counts it; the RTL does not
// yet and answers 0).
inline std::string compare(const sf::ChipImage& img, const sf::RunResult& want,
                           const sf::RunResult& got, bool state_wraps = false) {
    std::ostringstream m;
    auto core_name = [&](size_t ci) {
        std::ostringstream s;
        s << "core " << ci << " at (" << img.cores[ci].x << ", " << img.cores[ci].y << ")";
        return s.str();
    };
    if (want.samples.size() != got.samples.size()) return "the number of samples differs";
    for (size_t s = 0; s < want.samples.size(); ++s) {
        const auto& a = want.samples[s];
        const auto& b = got.samples[s];
        const size_t steps = std::max(a.output_spikes.size(), b.output_spikes.size());
        for (size_t t = 0; t < steps; ++t) {
            const std::string at = "sample " + std::to_string(s) + ", step " + std::to_string(t);
            if (t >= a.output_spikes.size() || t >= b.output_spikes.size())
                return at + ": one backend has no such step";
            if (t < a.raster.size() && t < b.raster.size() && !(a.raster[t] == b.raster[t])) {
                std::vector<sf::ChipSpike> x = a.raster[t], y = b.raster[t], only_a, only_b;
                std::set_difference(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(only_a));
                std::set_difference(y.begin(), y.end(), x.begin(), x.end(), std::back_inserter(only_b));
                const bool fa = !only_a.empty();
                const sf::ChipSpike sp = fa ? only_a[0] : only_b[0];
                m << at << ", " << core_name(size_t(sp.core)) << ", neuron " << sp.neuron
                  << ": functional " << (fa ? "fired" : "did not fire") << ", cycle-level "
                  << (fa ? "did not fire" : "fired");
                return m.str();
            }
            for (int uv = 0; uv < 2; ++uv) {
                const auto& ta = uv ? a.v_trace : a.u_trace;
                const auto& tb = uv ? b.v_trace : b.u_trace;
                if (t >= ta.size() || t >= tb.size()) continue;
                for (size_t ci = 0; ci < ta[t].size() && ci < tb[t].size(); ++ci)
                    for (size_t i = 0; i < ta[t][ci].size() && i < tb[t][ci].size(); ++i)
                        if (ta[t][ci][i] != tb[t][ci][i]) {
                            m << at << ", " << core_name(ci) << ", neuron " << i << ": "
                              << (uv ? "v" : "u") << " functional " << ta[t][ci][i]
                              << ", cycle-level " << tb[t][ci][i];
                            return m.str();
                        }
            }
            if (a.output_spikes[t] != b.output_spikes[t]) {
                m << at << ": output spikes differ (functional " << a.output_spikes[t].size()
                  << " spikes, cycle-level " << b.output_spikes[t].size() << ")";
                return m.str();
            }
        }
        if (a.output_counts != b.output_counts) return "sample " + std::to_string(s) + ": output counts differ";
        if (a.output_v_sum != b.output_v_sum) return "sample " + std::to_string(s) + ": output v sums differ";
        if (a.predicted != b.predicted) return "sample " + std::to_string(s) + ": prediction differs";
    }
    struct Field {
        const char* name;
        const std::vector<std::vector<int32_t>>* a;
        const std::vector<std::vector<int32_t>>* b;
    };
    for (const Field& f : {Field{"u", &want.final_u, &got.final_u},
                           Field{"v", &want.final_v, &got.final_v},
                           Field{"refractory count", &want.final_refractory, &got.final_refractory}}) {
        if (f.a->size() != f.b->size()) return std::string("final ") + f.name + ": core count differs";
        for (size_t ci = 0; ci < f.a->size(); ++ci)
            for (size_t i = 0; i < (*f.a)[ci].size(); ++i)
                if (i >= (*f.b)[ci].size() || (*f.a)[ci][i] != (*f.b)[ci][i]) {
                    m << "final " << f.name << ", " << core_name(ci) << ", neuron " << i
                      << ": functional " << (*f.a)[ci][i] << ", cycle-level "
                      << (i < (*f.b)[ci].size() ? std::to_string((*f.b)[ci][i]) : "missing");
                    return m.str();
                }
    }
    if (want.final_weights.size() != got.final_weights.size()) return "final weights: core count differs";
    for (size_t ci = 0; ci < want.final_weights.size(); ++ci) {
        const int n = img.cores[ci].num_neurons;
        for (size_t k = 0; k < want.final_weights[ci].size(); ++k)
            if (k >= got.final_weights[ci].size() || want.final_weights[ci][k] != got.final_weights[ci][k]) {
                m << "final weight, " << core_name(ci) << ", synapse (axon " << k / size_t(n)
                  << ", neuron " << k % size_t(n) << "): functional " << want.final_weights[ci][k]
                  << ", cycle-level "
                  << (k < got.final_weights[ci].size() ? std::to_string(got.final_weights[ci][k]) : "missing");
                return m.str();
            }
    }
    if (state_wraps && want.state_wraps != got.state_wraps) {
        m << "state_wraps: functional " << want.state_wraps << ", cycle-level " << got.state_wraps;
        return m.str();
    }
    const auto ca = want.counters.by_name(), cb = got.counters.by_name();
    for (const auto& kv : ca) {
        if (kv.first == "cycles") continue;
        if (cb.at(kv.first) != kv.second) {
            m << "counter " << kv.first << ": functional " << kv.second << ", cycle-level "
              << cb.at(kv.first);
            return m.str();
        }
    }
    return "";
}

// "" when two cycle-level runs count the same cycles in every step of every sample, the
// same event counters and the same CLEAR cycles; else the first difference.
inline std::string same_cycles(const sf::RunResult& a, const sf::RunResult& b) {
    if (a.samples.size() != b.samples.size()) return "sample counts differ";
    for (size_t s = 0; s < a.samples.size(); ++s) {
        const auto& x = a.samples[s].cycles_per_step;
        const auto& y = b.samples[s].cycles_per_step;
        for (size_t t = 0; t < x.size() || t < y.size(); ++t)
            if (t >= x.size() || t >= y.size() || x[t] != y[t])
                return "sample " + std::to_string(s) + ", step " + std::to_string(t) + ": " +
                       (t < x.size() ? std::to_string(x[t]) : "-") + " cycles, then " +
                       (t < y.size() ? std::to_string(y[t]) : "-");
    }
    if (!(a.counters == b.counters)) return "event counters differ";
    if (a.cycle_stats.clear_cycles != b.cycle_stats.clear_cycles) return "clear cycles differ";
    return "";
}

}  // namespace sf_xm
