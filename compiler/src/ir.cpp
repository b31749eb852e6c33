#include "sf/compiler/ir.hpp"

#include <algorithm>

namespace sf::ir {

int Ir::pop_of(int64_t gid) const {
    auto it = std::upper_bound(pop_offset.begin(), pop_offset.end(), gid);
    return int(it - pop_offset.begin()) - 1;
}

std::string Ir::neuron_name(int64_t gid) const {
    const int p = pop_of(gid);
    return graph->populations[p].name + "[" + std::to_string(gid - pop_offset[p]) + "]";
}

Ir make_ir(const Graph& g, const ChipConfig& chip) {
    Ir ir;
    ir.graph = &g;
    ir.chip = chip;
    ir.pop_offset.push_back(0);
    for (const auto& p : g.populations) ir.pop_offset.push_back(ir.pop_offset.back() + p.size());
    return ir;
}

}  // namespace sf::ir
