#include "sf/compiler/passes/route.hpp"

#include <algorithm>
#include <sstream>

namespace sf::passes {

ir::Ir route(ir::Ir ir, PassStats& st) {
    const Graph& g = *ir.graph;
    const int64_t n = ir.total_neurons();
    // Each destination core numbers its axons by ascending global source id (the slot's
    // axon list is sorted), so axon ids do not depend on the order groups were packed.
    ir.route_ptr.assign(size_t(n + 1), 0);
    for (const auto& sl : ir.slots)
        for (int32_t src : sl.axons) ++ir.route_ptr[src + 1];
    for (int t = 0; t < ir.num_pops(); ++t)
        if (ir.pops[t].on_chip && g.populations[t].output)
            for (int64_t gid = ir.pop_offset[t]; gid < ir.pop_offset[t + 1]; ++gid)
                ++ir.route_ptr[gid + 1];
    for (int64_t i = 0; i < n; ++i) ir.route_ptr[i + 1] += ir.route_ptr[i];
    const int64_t m = ir.route_ptr[n];
    ir.route_slot.assign(size_t(m), 0);
    ir.route_axon.assign(size_t(m), 0);
    std::vector<int64_t> cur(ir.route_ptr.begin(), ir.route_ptr.end() - 1);
    for (size_t s = 0; s < ir.slots.size(); ++s) {
        const auto& ax = ir.slots[s].axons;
        for (size_t a = 0; a < ax.size(); ++a) {
            const int64_t k = cur[ax[a]]++;
            ir.route_slot[k] = int32_t(s);
            ir.route_axon[k] = int32_t(a);
        }
    }
    int32_t out = 0;
    for (int t = 0; t < ir.num_pops(); ++t)
        if (ir.pops[t].on_chip && g.populations[t].output)
            for (int64_t gid = ir.pop_offset[t]; gid < ir.pop_offset[t + 1]; ++gid) {
                const int64_t k = cur[gid]++;
                ir.route_slot[k] = -1;
                ir.route_axon[k] = out++;
            }

    // Hops per entry, for the traffic estimate; the host is west of (0, 0).
    std::vector<int32_t> slot_of(size_t(n), -1);
    for (const auto& gr : ir.groups)
        for (int32_t i : gr.neurons) slot_of[ir.pop_offset[gr.pop] + i] = gr.slot;
    int64_t chip_entries = 0, input_entries = 0, max_fan = 0;
    double hops = 0;
    for (int64_t gid = 0; gid < n; ++gid) {
        const int src = slot_of[gid];
        const int sx = src < 0 ? -1 : ir.slots[src].x, sy = src < 0 ? 0 : ir.slots[src].y;
        const int64_t cnt = ir.route_ptr[gid + 1] - ir.route_ptr[gid];
        if (src < 0)
            input_entries += cnt;
        else {
            chip_entries += cnt;
            max_fan = std::max(max_fan, cnt);
        }
        for (int64_t k = ir.route_ptr[gid]; k < ir.route_ptr[gid + 1]; ++k) {
            const int d = ir.route_slot[k];
            const int dx = d < 0 ? -1 : ir.slots[d].x, dy = d < 0 ? 0 : ir.slots[d].y;
            hops += std::abs(sx - dx) + std::abs(sy - dy);
        }
    }
    st.stats["routing_entries"] = double(chip_entries);
    st.stats["input_entries"] = double(input_entries);
    st.stats["output_entries"] = double(out);
    st.stats["max_fanout"] = double(max_fan);
    st.stats["mean_hops"] = m ? hops / double(m) : 0.0;
    return ir;
}

std::string dump_route(const ir::Ir& ir) {
    std::ostringstream o;
    for (size_t s = 0; s < ir.slots.size(); ++s) {
        const auto& sl = ir.slots[s];
        o << "core (" << sl.x << ", " << sl.y << ") slot " << s << " axons " << sl.axons.size()
          << ":";
        for (size_t a = 0; a < sl.axons.size() && a < 64; ++a)
            o << " " << ir.neuron_name(sl.axons[a]);
        if (sl.axons.size() > 64) o << " ...";
        o << "\n";
    }
    if (ir.total_neurons() > 512) return o.str();
    for (int64_t gid = 0; gid < ir.total_neurons(); ++gid) {
        if (ir.route_ptr[gid] == ir.route_ptr[gid + 1]) continue;
        o << ir.neuron_name(gid) << " ->";
        for (int64_t k = ir.route_ptr[gid]; k < ir.route_ptr[gid + 1]; ++k) {
            const int d = ir.route_slot[k];
            if (d < 0)
                o << " host:" << ir.route_axon[k];
            else
                o << " (" << ir.slots[d].x << ", " << ir.slots[d].y << "):" << ir.route_axon[k];
        }
        o << "\n";
    }
    return o.str();
}

}  // namespace sf::passes
