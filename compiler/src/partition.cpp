#include "sf/compiler/passes/partition.hpp"

#include <dirent.h>
#include <algorithm>
#include <sstream>

#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"

namespace sf::passes {

namespace {

std::string where_of(const Graph& g, const Population& p) {
    return at_file(p.loc.file.empty() ? g.file : p.loc.file, p.loc.line,
                   "population '" + p.name + "'");
}

// The first chip preset (by file name) that satisfies `fits`, for the "fix" of a capacity
// error; "" when none does or the presets cannot be read.
template <class Pred>
std::string preset_that_fits(Pred fits) {
    std::vector<std::string> names;
    try {
        const std::string dir = chip_preset_dir();
        if (DIR* d = opendir(dir.c_str())) {
            while (dirent* e = readdir(d)) {
                std::string f = e->d_name;
                if (f.size() > 5 && f.substr(f.size() - 5) == ".yaml")
                    names.push_back(f.substr(0, f.size() - 5));
            }
            closedir(d);
        }
        std::sort(names.begin(), names.end());
        for (const auto& n : names) {
            try {
                if (fits(load_chip(n))) return n;
            } catch (const std::exception&) {
            }
        }
    } catch (const std::exception&) {
    }
    return {};
}

std::string or_preset(const std::string& name) {
    return name.empty() ? "" : ", or use preset " + name;
}

bool same_profile(const NeuronProfile& a, const NeuronProfile& b) {
    return a.du == b.du && a.dv == b.dv && a.vth == b.vth && a.bias_exp == b.bias_exp &&
           a.reset == b.reset && a.refractory == b.refractory && a.spiking == b.spiking;
}

int64_t union_size(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
    int64_t n = 0;
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i] < b[j])
            ++i;
        else if (b[j] < a[i])
            ++j;
        else {
            ++i;
            ++j;
        }
        ++n;
    }
    return n + int64_t(a.size() - i) + int64_t(b.size() - j);
}

std::string ranges(const std::vector<int32_t>& v) {
    std::string s;
    for (size_t i = 0; i < v.size();) {
        size_t j = i;
        while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
        if (!s.empty()) s += ",";
        s += std::to_string(v[i]);
        if (j > i) s += "-" + std::to_string(v[j]);
        i = j + 1;
    }
    return s;
}

// Distinct sources of a set of neurons, counted with a stamp array over global ids (one
// int per network neuron, reused across calls by bumping the stamp).
struct AxonCounter {
    std::vector<int32_t> mark;
    int32_t stamp = 0;
    explicit AxonCounter(int64_t n) : mark(size_t(n), 0) {}
    void next() { ++stamp; }
    // New sources neuron i would add to the current set.
    int64_t added(const ir::SynapseList& sl, int64_t i) const {
        int64_t c = 0;
        for (int64_t k = sl.post_ptr[i]; k < sl.post_ptr[i + 1]; ++k) c += mark[sl.pre[k]] != stamp;
        return c;
    }
    void add(const ir::SynapseList& sl, int64_t i, std::vector<int32_t>* out) {
        for (int64_t k = sl.post_ptr[i]; k < sl.post_ptr[i + 1]; ++k)
            if (mark[sl.pre[k]] != stamp) {
                mark[sl.pre[k]] = stamp;
                if (out) out->push_back(sl.pre[k]);
            }
    }
};

bool has_spatial_input(const Graph& g, int t) {
    for (const auto& pr : g.projections)
        if (g.population_index(pr.post) == t &&
            (pr.kind == ProjectionKind::Conv2d || pr.kind == ProjectionKind::SumPool ||
             pr.kind == ProjectionKind::AvgPool))
            return true;
    return false;
}

// Spatial tiles of a {C, H, W} population: every tile holds all channels of a th x tw
// rectangle. Picks the largest tile area (squarest first) whose every tile fits A axons;
// returns false when even the best does not fit, and the caller chunks instead.
bool tile_population(const ir::Ir& ir, int t, AxonCounter& ac, std::vector<ir::Group>& out) {
    const Population& pop = ir.graph->populations[t];
    const ir::SynapseList& sl = ir.syn[t];
    const int64_t C = pop.shape[0], H = pop.shape[1], W = pop.shape[2];
    const int64_t N = ir.chip.neurons_per_core, A = ir.chip.axons_per_core;
    if (C > N) return false;
    std::vector<std::pair<int64_t, int64_t>> cand;
    for (int64_t th = 1; th <= H; ++th) {
        const int64_t tw = std::min<int64_t>(W, N / (C * th));
        if (tw >= 1) cand.push_back({th, tw});
    }
    std::sort(cand.begin(), cand.end(), [](auto a, auto b) {
        const int64_t aa = a.first * a.second, ba = b.first * b.second;
        if (aa != ba) return aa > ba;
        const int64_t da = std::abs(a.first - a.second), db = std::abs(b.first - b.second);
        if (da != db) return da < db;
        return a.first < b.first;
    });
    for (auto [th, tw] : cand) {
        bool ok = true;
        for (int64_t y0 = 0; y0 < H && ok; y0 += th)
            for (int64_t x0 = 0; x0 < W && ok; x0 += tw) {
                ac.next();
                int64_t axons = 0;
                for (int64_t c = 0; c < C; ++c)
                    for (int64_t y = y0; y < std::min(H, y0 + th); ++y)
                        for (int64_t x = x0; x < std::min(W, x0 + tw); ++x) {
                            const int64_t i = (c * H + y) * W + x;
                            axons += ac.added(sl, i);
                            ac.add(sl, i, nullptr);
                        }
                ok = axons <= A;
            }
        if (!ok) continue;
        for (int64_t y0 = 0; y0 < H; y0 += th)
            for (int64_t x0 = 0; x0 < W; x0 += tw) {
                ir::Group gr;
                gr.pop = t;
                ac.next();
                for (int64_t c = 0; c < C; ++c)
                    for (int64_t y = y0; y < std::min(H, y0 + th); ++y)
                        for (int64_t x = x0; x < std::min(W, x0 + tw); ++x) {
                            const int64_t i = (c * H + y) * W + x;
                            gr.neurons.push_back(int32_t(i));
                            ac.add(sl, i, &gr.axons);
                        }
                std::sort(gr.axons.begin(), gr.axons.end());
                gr.tile = "rows " + std::to_string(y0) + "-" +
                          std::to_string(std::min(H, y0 + th) - 1) + " cols " + std::to_string(x0) +
                          "-" + std::to_string(std::min(W, x0 + tw) - 1);
                out.push_back(std::move(gr));
            }
        return true;
    }
    return false;
}

// Contiguous chunks in flat order, each closed when the next neuron would break N or A.
void chunk_population(const ir::Ir& ir, int t, AxonCounter& ac, std::vector<ir::Group>& out) {
    const int64_t n = ir.graph->populations[t].size();
    const ir::SynapseList& sl = ir.syn[t];
    const int64_t N = ir.chip.neurons_per_core, A = ir.chip.axons_per_core;
    ir::Group gr;
    gr.pop = t;
    ac.next();
    for (int64_t i = 0; i < n; ++i) {
        const int64_t add = ac.added(sl, i);
        if (!gr.neurons.empty() &&
            (int64_t(gr.neurons.size()) + 1 > N || int64_t(gr.axons.size()) + add > A)) {
            std::sort(gr.axons.begin(), gr.axons.end());
            out.push_back(std::move(gr));
            gr = ir::Group{};
            gr.pop = t;
            ac.next();
        }
        gr.neurons.push_back(int32_t(i));
        ac.add(sl, i, &gr.axons);
    }
    std::sort(gr.axons.begin(), gr.axons.end());
    out.push_back(std::move(gr));
}

}  // namespace

// The chip YAML allows meshes of at most 64 x 64 tiles (core/src/chip_config.cpp).
constexpr int64_t kMaxMesh = 64;

ir::Ir partition(ir::Ir ir, PassStats& st, int threads) {
    const Graph& g = *ir.graph;
    const ChipConfig& chip = ir.chip;
    const int64_t N = chip.neurons_per_core, A = chip.axons_per_core;
    ir.groups.clear();
    ir.slots.clear();
    // Each population is cut into groups on its own (its own stamp array, its own list of
    // groups), so the populations run on the threads in contiguous runs and their groups
    // are appended in population order: the same groups, in the same order, for any count.
    // A capacity error comes from the lowest population first, as in a serial loop.
    const int P = ir.num_pops();
    std::vector<std::vector<ir::Group>> pop_groups(static_cast<size_t>(P));
    std::vector<char> pop_spatial(static_cast<size_t>(P), 0);
    parallel_chunks(P, threads, [&](int, int64_t b, int64_t e) {
        AxonCounter ac(ir.total_neurons());
        for (int t = int(b); t < int(e); ++t) {
            if (!ir.pops[t].on_chip) continue;
            const Population& pop = g.populations[t];
            const ir::SynapseList& sl = ir.syn[t];
            // One neuron's sources all need an axon on its core: no cut can help then.
            int64_t worst = 0, worst_i = 0;
            for (int64_t i = 0; i < pop.size(); ++i) {
                const int64_t fi = sl.post_ptr[i + 1] - sl.post_ptr[i];
                if (fi > worst) {
                    worst = fi;
                    worst_i = i;
                }
            }
            if (worst > A) {
                const std::string preset = preset_that_fits(
                    [&](const ChipConfig& c) { return c.axons_per_core >= worst; });
                throw CapacityError(
                    "layer '" + pop.name + "': neuron " + std::to_string(worst_i) + " needs " +
                        std::to_string(worst) + " axons, the core has " + std::to_string(A),
                    where_of(g, pop),
                    "set core.axons >= " + std::to_string(worst) + " in the chip YAML" +
                        or_preset(preset) + ", or reduce the fan-in of '" + pop.name + "'");
            }
            std::vector<ir::Group>& out = pop_groups[size_t(t)];
            if (pop.shape.size() == 3 && has_spatial_input(g, t) && tile_population(ir, t, ac, out))
                pop_spatial[size_t(t)] = 1;
            else
                chunk_population(ir, t, ac, out);
        }
    });
    st.threads = parallel_chunk_count(P, threads);
    int spatial = 0;
    int64_t max_axons = 0;
    for (int t = 0; t < P; ++t) {
        spatial += pop_spatial[size_t(t)];
        for (ir::Group& gr : pop_groups[size_t(t)]) {
            max_axons = std::max<int64_t>(max_axons, int64_t(gr.axons.size()));
            ir.groups.push_back(std::move(gr));
        }
    }

    // Pack groups into core slots, first fit over the last few open slots: small groups
    // (readouts, small layers) share cores while the search stays linear in the groups.
    constexpr size_t WINDOW = 16;
    std::vector<std::vector<int>> slot_pops;  // distinct profiles are per population
    std::vector<int> slot_learn;              // learning population of a slot, or -1
    for (size_t k = 0; k < ir.groups.size(); ++k) {
        ir::Group& gr = ir.groups[k];
        const ir::PopQuant& q = ir.pops[gr.pop];
        int chosen = -1;
        const size_t first = ir.slots.size() > WINDOW ? ir.slots.size() - WINDOW : 0;
        for (size_t s = first; s < ir.slots.size() && chosen < 0; ++s) {
            ir::Slot& sl = ir.slots[s];
            if (sl.neurons + int64_t(gr.neurons.size()) > N) continue;
            if (q.learning && slot_learn[s] >= 0 && slot_learn[s] != gr.pop) continue;
            // Distinct profiles among the slot's populations, and whether this one is new.
            std::vector<NeuronProfile> distinct;
            for (int p : slot_pops[s])
                if (std::none_of(distinct.begin(), distinct.end(), [&](const NeuronProfile& d) {
                        return same_profile(d, ir.pops[p].profile);
                    }))
                    distinct.push_back(ir.pops[p].profile);
            const bool have =
                std::any_of(distinct.begin(), distinct.end(),
                            [&](const NeuronProfile& d) { return same_profile(d, q.profile); });
            if (!have && int(distinct.size()) + 1 > chip.profiles_per_core) continue;
            if (union_size(sl.axons, gr.axons) > A) continue;
            chosen = int(s);
        }
        if (chosen < 0) {
            ir.slots.push_back({});
            slot_pops.push_back({});
            slot_learn.push_back(-1);
            chosen = int(ir.slots.size()) - 1;
        }
        ir::Slot& sl = ir.slots[chosen];
        sl.groups.push_back(int(k));
        sl.neurons += int(gr.neurons.size());
        std::vector<int32_t> u;
        u.reserve(sl.axons.size() + gr.axons.size());
        std::set_union(sl.axons.begin(), sl.axons.end(), gr.axons.begin(), gr.axons.end(),
                       std::back_inserter(u));
        sl.axons.swap(u);
        if (std::find(slot_pops[chosen].begin(), slot_pops[chosen].end(), gr.pop) ==
            slot_pops[chosen].end())
            slot_pops[chosen].push_back(gr.pop);
        if (q.learning) slot_learn[chosen] = gr.pop;
        gr.slot = chosen;
    }

    const int64_t cores = int64_t(ir.slots.size());
    if (cores > chip.num_cores()) {
        std::string per;
        std::vector<int64_t> per_pop(size_t(ir.num_pops()), 0);
        for (const auto& gr : ir.groups) ++per_pop[gr.pop];
        for (int t = 0; t < ir.num_pops(); ++t)
            if (per_pop[t])
                per += (per.empty() ? "" : ", ") + g.populations[t].name + ": " +
                       std::to_string(per_pop[t]) + " groups";
        int64_t w = chip.mesh_w, h = chip.mesh_h;
        while (w * h < cores) (w <= h ? w : h) += 1;
        const std::string preset = preset_that_fits([&](const ChipConfig& c) {
            return c.num_cores() >= cores && c.neurons_per_core >= N && c.axons_per_core >= A;
        });
        throw CapacityError(
            "the network needs " + std::to_string(cores) + " cores, the " +
                std::to_string(chip.mesh_w) + "x" + std::to_string(chip.mesh_h) + " mesh has " +
                std::to_string(chip.num_cores()) + " (" + per + ")",
            at_file(g.file),
            (w <= kMaxMesh && h <= kMaxMesh
                 ? "set mesh.width: " + std::to_string(w) +
                       " and mesh.height: " + std::to_string(h) + " (or more) in the chip YAML"
                 : "the mesh is at most " + std::to_string(kMaxMesh) + " x " +
                       std::to_string(kMaxMesh) + " tiles: raise core.neurons (now " +
                       std::to_string(N) + ") and core.axons (now " + std::to_string(A) +
                       ") in the chip YAML") +
                or_preset(preset));
    }

    // Fan-out: one routing entry per destination core, plus one for the host if output.
    std::vector<int32_t> fan(size_t(ir.total_neurons()), 0);
    for (const auto& sl : ir.slots)
        for (int32_t a : sl.axons) ++fan[a];
    int64_t max_fan = 0, worst_gid = -1;
    for (int t = 0; t < ir.num_pops(); ++t) {
        if (!ir.pops[t].on_chip) continue;
        const int extra = g.populations[t].output ? 1 : 0;
        for (int64_t gid = ir.pop_offset[t]; gid < ir.pop_offset[t + 1]; ++gid)
            if (fan[gid] + extra > max_fan) {
                max_fan = fan[gid] + extra;
                worst_gid = gid;
            }
    }
    if (max_fan > chip.fanout) {
        const int t = ir.pop_of(worst_gid);
        const std::string preset = preset_that_fits(
            [&](const ChipConfig& c) { return c.fanout >= max_fan && c.num_cores() >= cores; });
        throw CapacityError("layer '" + g.populations[t].name + "': neuron " +
                                std::to_string(worst_gid - ir.pop_offset[t]) + " sends to " +
                                std::to_string(max_fan) + " destinations (cores" +
                                (g.populations[t].output ? " + host" : "") +
                                "), the routing table holds " + std::to_string(chip.fanout),
                            where_of(g, g.populations[t]),
                            "set core.fanout >= " + std::to_string(max_fan) + " in the chip YAML" +
                                or_preset(preset) +
                                ", or use more neurons per core so its targets share cores");
    }

    int64_t used_neurons = 0;
    for (const auto& sl : ir.slots) used_neurons += sl.neurons;
    st.stats["groups"] = double(ir.groups.size());
    st.stats["cores_used"] = double(cores);
    st.stats["spatial_populations"] = double(spatial);
    st.stats["max_axons"] = double(max_axons);
    st.stats["max_fanout"] = double(max_fan);
    st.stats["neuron_fill"] = cores ? double(used_neurons) / double(cores * N) : 0.0;
    return ir;
}

std::string dump_partition(const ir::Ir& ir) {
    std::ostringstream o;
    for (size_t k = 0; k < ir.groups.size(); ++k) {
        const auto& gr = ir.groups[k];
        o << "group " << k << " " << ir.graph->populations[gr.pop].name << " neurons "
          << ranges(gr.neurons) << " (" << gr.neurons.size() << ") axons " << gr.axons.size();
        if (!gr.tile.empty()) o << " tile " << gr.tile;
        o << " slot " << gr.slot << "\n";
    }
    for (size_t s = 0; s < ir.slots.size(); ++s) {
        const auto& sl = ir.slots[s];
        o << "slot " << s << " groups";
        for (int k : sl.groups) o << " " << k;
        o << " neurons " << sl.neurons << " axons " << sl.axons.size() << "\n";
    }
    return o.str();
}

}  // namespace sf::passes
