#include "sf/compiler/passes/emit.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sf/core/parallel.hpp"

namespace sf::passes {

namespace {

bool same_profile(const NeuronProfile& a, const NeuronProfile& b) {
    return a.du == b.du && a.dv == b.dv && a.vth == b.vth && a.bias_exp == b.bias_exp &&
           a.reset == b.reset && a.refractory == b.refractory && a.spiking == b.spiking;
}

int bits_for(int64_t n) {  // bits to number n things (at least 1)
    int b = 1;
    while ((int64_t(1) << b) < n) ++b;
    return b;
}

int64_t core_synapses(const CoreImage& c) {
    int64_t s = 0;
    for (size_t k = 0; k < c.weights.size(); ++k)
        s += c.weights[k] != 0 || (!c.plastic.empty() && c.plastic[k]);
    return s;
}

struct CoreMemory {
    int64_t crossbar = 0, neuron = 0, routing = 0;
};

// Bytes a core's memories need at the chip's widths: the used part of the crossbar (plus a
// plastic bit per synapse on learning cores), per-neuron state and parameters, routing.
CoreMemory core_memory(const ChipImage& img, const CoreImage& c) {
    const ChipConfig& chip = img.chip;
    CoreMemory m;
    const int64_t cells = int64_t(c.num_axons) * c.num_neurons;
    m.crossbar = (cells * (chip.weight_bits + (c.plastic.empty() ? 0 : 1)) + 7) / 8;
    const int64_t per_neuron = 2 * chip.state_bits + chip.bias_mant_bits + chip.refractory_bits +
                               bits_for(chip.profiles_per_core) +
                               (c.learning.enabled ? chip.trace_bits : 0);
    m.neuron = (c.num_neurons * per_neuron +
                (c.learning.enabled ? int64_t(c.num_axons) * chip.trace_bits : 0) + 7) /
               8;
    const int64_t entry =
        bits_for(chip.mesh_w + 1) + bits_for(chip.mesh_h + 1) + bits_for(chip.axons_per_core) + 1;
    m.routing = (int64_t(c.route_dst.size()) * entry + 7) / 8;
    return m;
}

}  // namespace

ChipImage emit(const ir::Ir& ir, uint64_t seed, PassStats& st, int threads) {
    const Graph& g = *ir.graph;
    ChipImage img;
    img.chip = ir.chip;
    img.network = g.name;
    img.seed = seed;
    img.timesteps = g.timesteps;
    img.encoder = g.encoder;
    img.dataset = g.dataset;

    // Cores in mesh order (row by row), so the image reads like the chip.
    const int S = int(ir.slots.size());
    std::vector<int> order(static_cast<size_t>(S));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) {
        return std::make_pair(ir.slots[a].y, ir.slots[a].x) <
               std::make_pair(ir.slots[b].y, ir.slots[b].x);
    });
    std::vector<int> core_of_slot(static_cast<size_t>(S));
    for (int c = 0; c < S; ++c) core_of_slot[order[c]] = c;

    img.populations.resize(g.populations.size());
    for (size_t p = 0; p < g.populations.size(); ++p) {
        const auto& pop = g.populations[p];
        auto& pi = img.populations[p];
        pi.name = pop.name;
        pi.kind = pop.kind;
        pi.shape = pop.shape;
        pi.output = pop.output;
        if (ir.pops[p].on_chip) {
            pi.core_of.assign(size_t(pop.size()), -1);
            pi.neuron_of.assign(size_t(pop.size()), -1);
        }
    }

    // Cores are independent: each is filled (crossbar, provenance, profiles, routing table)
    // by one thread, the cores split over the threads in contiguous runs of mesh order.
    // A neuron lives on one core, so the population maps are written at distinct places;
    // the counts go to each core's own slot and are added in core order.
    img.cores.resize(size_t(S));
    std::vector<int64_t> core_syn(static_cast<size_t>(S), 0);
    std::vector<int64_t> core_entries(static_cast<size_t>(S), 0);
    parallel_chunks(S, threads, [&](int, int64_t cb, int64_t ce) {
        // Axon id of a source on the core being filled: one int per network neuron (one
        // array per thread), set from the core's axon list, so each synapse finds its
        // crossbar row in O(1).
        std::vector<int32_t> axon_of(size_t(ir.total_neurons()), -1);
        for (int c = int(cb); c < int(ce); ++c) {
            const ir::Slot& sl = ir.slots[order[c]];
            CoreImage& core = img.cores[c];
            core.x = sl.x;
            core.y = sl.y;
            core.num_neurons = sl.neurons;
            core.num_axons = int(sl.axons.size());
            const size_t A = sl.axons.size(), N = size_t(sl.neurons);
            core.weights.assign(A * N, 0);
            for (size_t a = 0; a < A; ++a) axon_of[sl.axons[a]] = int32_t(a);
            for (int32_t a : sl.axons) {
                const int p = ir.pop_of(a);
                core.axon_pop.push_back(p);
                core.axon_index.push_back(int32_t(a - ir.pop_offset[p]));
            }
            bool plastic = false;
            int n = 0;
            int64_t synapses = 0;
            for (int k : sl.groups) {
                const ir::Group& gr = ir.groups[k];
                const ir::PopQuant& q = ir.pops[gr.pop];
                const ir::SynapseList& syn = ir.syn[gr.pop];
                size_t prof = 0;
                while (prof < core.profiles.size() && !same_profile(core.profiles[prof], q.profile))
                    ++prof;
                if (prof == core.profiles.size()) core.profiles.push_back(q.profile);
                if (q.learning) core.learning = q.learn;
                for (int32_t i : gr.neurons) {
                    core.profile_of.push_back(uint8_t(prof));
                    core.bias_mant.push_back(q.bias_mant[i]);
                    core.neuron_pop.push_back(gr.pop);
                    core.neuron_index.push_back(i);
                    img.populations[gr.pop].core_of[i] = c;
                    img.populations[gr.pop].neuron_of[i] = n;
                    for (int64_t e = syn.post_ptr[i]; e < syn.post_ptr[i + 1]; ++e) {
                        const size_t a = size_t(axon_of[syn.pre[e]]);
                        core.weights[a * N + size_t(n)] = syn.weight[e];
                        if (syn.plastic[e]) {
                            if (!plastic) core.plastic.assign(A * N, 0);
                            plastic = true;
                            core.plastic[a * N + size_t(n)] = 1;
                        }
                    }
                    synapses += syn.post_ptr[i + 1] - syn.post_ptr[i];
                    ++n;
                }
            }
            core_syn[size_t(c)] = synapses;
            for (int32_t a : sl.axons) axon_of[a] = -1;

            // Routing table from the route pass; chip neurons in core order.
            core.route_ptr.assign(size_t(core.num_neurons + 1), 0);
            for (int m = 0; m < core.num_neurons; ++m) {
                const int64_t gid = ir.pop_offset[core.neuron_pop[m]] + core.neuron_index[m];
                for (int64_t k = ir.route_ptr[gid]; k < ir.route_ptr[gid + 1]; ++k) {
                    const int d = ir.route_slot[k];
                    if (d < 0)
                        core.route_dst.push_back({-1, -1, ir.route_axon[k]});
                    else
                        core.route_dst.push_back({ir.slots[d].x, ir.slots[d].y, ir.route_axon[k]});
                }
                core.route_ptr[m + 1] = int32_t(core.route_dst.size());
            }
            core_entries[size_t(c)] = int64_t(core.route_dst.size());
        }
    });
    st.threads = parallel_chunk_count(S, threads);
    int64_t synapses = 0, cells = 0, entries = 0;
    for (int c = 0; c < S; ++c) {
        synapses += core_syn[size_t(c)];
        cells += int64_t(img.cores[c].num_axons) * img.cores[c].num_neurons;
        entries += core_entries[size_t(c)];
    }

    // Host maps: inputs in population order, then outputs in population order.
    img.input_ptr.push_back(0);
    for (int t = 0; t < ir.num_pops(); ++t) {
        if (ir.pops[t].on_chip) {
            if (!g.populations[t].output) continue;
            for (int64_t i = 0; i < g.populations[t].size(); ++i) {
                img.output_core.push_back(img.populations[t].core_of[i]);
                img.output_neuron.push_back(img.populations[t].neuron_of[i]);
            }
            continue;
        }
        for (int64_t gid = ir.pop_offset[t]; gid < ir.pop_offset[t + 1]; ++gid) {
            for (int64_t k = ir.route_ptr[gid]; k < ir.route_ptr[gid + 1]; ++k) {
                const auto& s = ir.slots[ir.route_slot[k]];
                img.input_dst.push_back({s.x, s.y, ir.route_axon[k]});
            }
            img.input_ptr.push_back(int32_t(img.input_dst.size()));
            ++img.num_inputs;
        }
    }
    img.num_outputs = int(img.output_core.size());

    int64_t mem = 0;
    for (const auto& c : img.cores) {
        const CoreMemory m = core_memory(img, c);
        mem += m.crossbar + m.neuron + m.routing;
    }
    st.stats["cores_used"] = double(S);
    st.stats["synapses"] = double(synapses);
    st.stats["crossbar_cells"] = double(cells);
    st.stats["crossbar_fill"] = cells ? double(synapses) / double(cells) : 0.0;
    st.stats["memory_bytes"] = double(mem);
    st.stats["routing_entries"] = double(entries);
    st.stats["input_entries"] = double(img.input_dst.size());
    return img;
}

std::string make_report(const ChipImage& img, const std::vector<PassStats>& passes, int threads,
                        int* threads_used) {
    nlohmann::json r;
    r["network"] = img.network;
    r["chip"] = img.chip.name;
    r["mesh"] = {img.chip.mesh_w, img.chip.mesh_h};
    r["seed"] = img.seed;
    r["cores_used"] = img.cores.size();
    r["cores_total"] = img.chip.num_cores();
    int64_t syn = 0, cells = 0, entries = 0, hops = 0, neurons = 0;
    CoreMemory tot;
    // Counting each crossbar's synapses reads every cell: cores over the threads, each
    // count in its core's slot; the JSON is then built in core order.
    const int64_t S = int64_t(img.cores.size());
    std::vector<int64_t> core_syn(img.cores.size(), 0);
    parallel_chunks(S, threads, [&](int, int64_t b, int64_t e) {
        for (int64_t c = b; c < e; ++c) core_syn[size_t(c)] = core_synapses(img.cores[size_t(c)]);
    });
    if (threads_used) *threads_used = parallel_chunk_count(S, threads);
    nlohmann::json cores = nlohmann::json::array();
    for (size_t ci = 0; ci < img.cores.size(); ++ci) {
        const CoreImage& c = img.cores[ci];
        const int64_t s = core_syn[ci];
        const int64_t cc = int64_t(c.num_axons) * c.num_neurons;
        const CoreMemory m = core_memory(img, c);
        syn += s;
        cells += cc;
        neurons += c.num_neurons;
        entries += int64_t(c.route_dst.size());
        for (const auto& d : c.route_dst)
            hops += d.is_host() ? 1 + c.x + c.y : std::abs(d.x - c.x) + std::abs(d.y - c.y);
        tot.crossbar += m.crossbar;
        tot.neuron += m.neuron;
        tot.routing += m.routing;
        cores.push_back(
            {{"x", c.x},
             {"y", c.y},
             {"neurons", c.num_neurons},
             {"axons", c.num_axons},
             {"profiles", c.profiles.size()},
             {"synapses", s},
             {"fill", cc ? double(s) / double(cc) : 0.0},
             {"learning", c.learning.enabled},
             {"memory_bytes",
              {{"crossbar", m.crossbar}, {"neuron", m.neuron}, {"routing", m.routing}}}});
    }
    int64_t in_hops = 0;
    for (const auto& d : img.input_dst) in_hops += 1 + d.x + d.y;
    r["neurons"] = neurons;
    r["synapses"] = syn;
    r["crossbar_fill"] = cells ? double(syn) / double(cells) : 0.0;
    r["memory_bytes"] = {{"crossbar", tot.crossbar},
                         {"neuron", tot.neuron},
                         {"routing", tot.routing},
                         {"total", tot.crossbar + tot.neuron + tot.routing}};
    const int64_t all = entries + int64_t(img.input_dst.size());
    r["traffic"] = {{"routing_entries", entries},
                    {"input_entries", img.input_dst.size()},
                    {"mean_hops", all ? double(hops + in_hops) / double(all) : 0.0}};
    r["cores"] = cores;
    nlohmann::json ps = nlohmann::json::array();
    nlohmann::json warnings = nlohmann::json::array();
    for (const auto& p : passes) {
        ps.push_back({{"pass", p.pass}, {"wall_s", p.wall_s}, {"stats", p.stats}});
        for (const auto& w : p.warnings) warnings.push_back(w);
    }
    r["passes"] = ps;
    r["warnings"] = warnings;
    return r.dump(2);
}

std::string dump_emit(const ChipImage& img) {
    std::ostringstream o;
    auto name = [&](int pop, int idx) {
        return img.populations[pop].name + "[" + std::to_string(idx) + "]";
    };
    for (const auto& c : img.cores) {
        o << "core (" << c.x << ", " << c.y << ") neurons " << c.num_neurons << " axons "
          << c.num_axons << " profiles " << c.profiles.size() << " synapses " << core_synapses(c)
          << (c.learning.enabled ? " learning" : "") << "\n";
        for (size_t p = 0; p < c.profiles.size(); ++p) {
            const auto& f = c.profiles[p];
            o << "  profile " << p << " du " << f.du << " dv " << f.dv << " vth " << f.vth
              << " bias_exp " << f.bias_exp << " reset " << to_string(f.reset) << " refractory "
              << f.refractory << (f.spiking ? "" : " non-spiking") << "\n";
        }
        for (int n = 0; n < c.num_neurons; ++n) {
            o << "  n" << n << " " << name(c.neuron_pop[n], c.neuron_index[n]) << " profile "
              << int(c.profile_of[n]) << " bias " << c.bias_mant[n] << " ->";
            for (int32_t k = c.route_ptr[n]; k < c.route_ptr[n + 1]; ++k) {
                const auto& d = c.route_dst[k];
                if (d.is_host())
                    o << " host:" << d.axon;
                else
                    o << " (" << d.x << ", " << d.y << "):" << d.axon;
            }
            o << "\n";
            if (n >= 63) {
                o << "  ...\n";
                break;
            }
        }
        if (int64_t(c.num_axons) * c.num_neurons <= 1024) {
            for (int a = 0; a < c.num_axons; ++a) {
                o << "  a" << a << " " << name(c.axon_pop[a], c.axon_index[a]) << ":";
                for (int n = 0; n < c.num_neurons; ++n) {
                    o << " " << c.weight(a, n);
                    if (!c.plastic.empty() && c.plastic[size_t(a) * c.num_neurons + n]) o << "p";
                }
                o << "\n";
            }
        }
    }
    o << "inputs " << img.num_inputs << " entries " << img.input_dst.size() << " outputs "
      << img.num_outputs << "\n";
    return o.str();
}

}  // namespace sf::passes
