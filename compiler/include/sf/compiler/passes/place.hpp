// Pass `place`: core slots onto the W x H mesh, minimising sum of traffic(i, j) *
// hops(i, j), where traffic is the synapse count between slots (a proxy for spikes) and
// the host sits west of (0, 0), so a slot at (x, y) is 1 + x + y hops from it. A greedy
// placement (each slot, in order, to the free tile that is cheapest given those already
// placed) is improved by simulated annealing (swaps and moves, std::mt19937_64 seeded from
// the compile seed, iterations scaled to the problem): same seed, same placement.
//
//   in:  2 slots, host -> s0 (784 synapses), s0 -> s1 (300)
//   out: s0 at (0, 0), s1 at (1, 0), cost 784 * 1 + 300 * 1
//
// Statistics: cost_greedy, cost_final, iterations, accepted, mean_hops.
#pragma once

#include <cstdint>
#include <string>

#include "sf/compiler/compile.hpp"
#include "sf/compiler/ir.hpp"

namespace sf::passes {

ir::Ir place(ir::Ir ir, uint64_t seed, PassStats& st);
std::string dump_place(const ir::Ir& ir);

}  // namespace sf::passes
