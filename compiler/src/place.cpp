#include "sf/compiler/passes/place.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

namespace sf::passes {

namespace {

struct Edge {
    int a, b;  // slots; the host is slot index S
    double w;  // packets from a to b when every source neuron spikes once
};

// Traffic between slots (host = S). A spike travels once to each core that holds an axon
// for its neuron, however many synapses it has there, so the traffic from slot a to slot
// b is the number of distinct source neurons in a that b's axons list.
std::vector<Edge> traffic_edges(const ir::Ir& ir) {
    const int S = int(ir.slots.size());
    std::vector<int32_t> slot_of(size_t(ir.total_neurons()), S);
    for (const auto& gr : ir.groups)
        for (int32_t i : gr.neurons) slot_of[ir.pop_offset[gr.pop] + i] = gr.slot;
    std::vector<double> acc(size_t(S + 1), 0.0);
    std::vector<int> touched;
    std::vector<Edge> edges;
    for (int s = 0; s < S; ++s) {
        touched.clear();
        for (int32_t gid : ir.slots[s].axons) {
            const int src = slot_of[gid];
            if (acc[src] == 0) touched.push_back(src);
            acc[src] += 1;
        }
        std::sort(touched.begin(), touched.end());
        for (int src : touched) {
            if (src != s) edges.push_back({src, s, acc[src]});
            acc[src] = 0;
        }
    }
    return edges;
}

}  // namespace

ir::Ir place(ir::Ir ir, uint64_t seed, PassStats& st) {
    const int S = int(ir.slots.size());
    const int W = ir.chip.mesh_w, H = ir.chip.mesh_h, P = W * H;
    const std::vector<Edge> edges = traffic_edges(ir);
    std::vector<std::vector<std::pair<int, double>>> adj(size_t(S + 1));
    double total = 0;
    for (const auto& e : edges) {
        adj[e.a].push_back({e.b, e.w});
        adj[e.b].push_back({e.a, e.w});
        total += e.w;
    }
    // Positions are tile indices y * W + x; the host is the virtual tile west of (0, 0).
    std::vector<int> pos(size_t(S + 1), -1), at(size_t(P), -1);
    auto px = [&](int node) { return node == S ? -1 : pos[node] % W; };
    auto py = [&](int node) { return node == S ? 0 : pos[node] / W; };
    auto node_cost = [&](int n) {
        double c = 0;
        for (auto [m, w] : adj[n])
            if (m == S || pos[m] >= 0)
                c += w * double(std::abs(px(n) - px(m)) + std::abs(py(n) - py(m)));
        return c;
    };
    auto total_cost = [&]() {
        double c = 0;
        for (const auto& e : edges)
            c += e.w * double(std::abs(px(e.a) - px(e.b)) + std::abs(py(e.a) - py(e.b)));
        return c;
    };

    // Greedy: each slot in order to the free tile cheapest against those already placed
    // (ties to the tile nearest the host). Large problems take tiles in order instead,
    // which keeps consecutive layers adjacent, and leave the rest to annealing.
    std::vector<int> order(static_cast<size_t>(P));
    for (int p = 0; p < P; ++p) order[p] = p;
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return a % W + a / W < b % W + b / W; });
    const bool exhaustive = double(S) * double(P) <= 4e6;
    size_t next_free = 0;
    for (int s = 0; s < S; ++s) {
        int best = -1;
        if (exhaustive) {
            double best_c = 0;
            for (int p : order) {
                if (at[p] >= 0) continue;
                pos[s] = p;
                const double c = node_cost(s);
                if (best < 0 || c < best_c) {
                    best = p;
                    best_c = c;
                }
            }
        } else {
            while (at[order[next_free]] >= 0) ++next_free;
            best = order[next_free];
        }
        pos[s] = best;
        at[best] = s;
    }
    const double greedy = total_cost();

    // Annealing: move a slot to a random tile (swapping with its occupant).
    std::mt19937_64 rng(seed);
    auto uniform = [&]() { return double(rng() >> 11) * (1.0 / 9007199254740992.0); };
    const int64_t iters =
        S > 1 || (S == 1 && P > 1) ? std::clamp<int64_t>(int64_t(S) * 300, 2000, 1000000) : 0;
    std::vector<int> best_pos = pos;
    double cur = greedy, best_cost = greedy;
    int64_t accepted = 0;
    double t0 = 0;
    if (iters > 0 && !edges.empty()) {
        t0 = std::max(1.0, total / double(edges.size()));
        for (int64_t it = 0; it < iters; ++it) {
            const double temp = t0 * std::pow(1e-3, double(it) / double(iters));
            const int a = int(rng() % uint64_t(S));
            const int p = int(rng() % uint64_t(P));
            const int pa = pos[a];
            if (p == pa) continue;
            const int b = at[p];
            double before = node_cost(a) + (b >= 0 ? node_cost(b) : 0.0);
            pos[a] = p;
            at[p] = a;
            at[pa] = b;
            if (b >= 0) pos[b] = pa;
            double after = node_cost(a) + (b >= 0 ? node_cost(b) : 0.0);
            const double d = after - before;
            if (d <= 0 || uniform() < std::exp(-d / temp)) {
                cur += d;
                ++accepted;
                if (cur < best_cost - 1e-9) {
                    best_cost = cur;
                    best_pos = pos;
                }
            } else {
                pos[a] = pa;
                at[pa] = a;
                at[p] = b;
                if (b >= 0) pos[b] = p;
            }
        }
        pos = best_pos;
    }
    for (int s = 0; s < S; ++s) {
        ir.slots[s].x = pos[s] % W;
        ir.slots[s].y = pos[s] / W;
    }
    ir.placement_cost = total_cost();
    st.stats["cost_greedy"] = greedy;
    st.stats["cost_final"] = ir.placement_cost;
    st.stats["iterations"] = double(iters);
    st.stats["accepted"] = double(accepted);
    st.stats["traffic"] = total;
    st.stats["mean_hops"] = total > 0 ? ir.placement_cost / total : 0.0;
    return ir;
}

std::string dump_place(const ir::Ir& ir) {
    std::ostringstream o;
    for (size_t s = 0; s < ir.slots.size(); ++s)
        o << "slot " << s << " at (" << ir.slots[s].x << ", " << ir.slots[s].y << ")\n";
    const auto edges = traffic_edges(ir);
    const int S = int(ir.slots.size());
    auto name = [&](int n) { return n == S ? std::string("host") : "slot " + std::to_string(n); };
    for (const auto& e : edges) {
        const int ax = e.a == S ? -1 : ir.slots[e.a].x, ay = e.a == S ? 0 : ir.slots[e.a].y;
        const int hops = std::abs(ax - ir.slots[e.b].x) + std::abs(ay - ir.slots[e.b].y);
        o << "traffic " << name(e.a) << " -> " << name(e.b) << " " << e.w << " packets, " << hops
          << " hops\n";
    }
    o << "cost " << ir.placement_cost << "\n";
    return o.str();
}

}  // namespace sf::passes
