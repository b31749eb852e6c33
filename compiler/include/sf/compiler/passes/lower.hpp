// Pass `lower`: every projection (dense, conv2d with stride and padding, sum/avg pooling,
// one-to-one, sparse, recurrent) becomes explicit synapses (pre, post, int weight,
// plastic), stored per target population as CSR by post neuron with pre ids ascending.
// Two synapses with the same (pre, post), from two projections or repeated sparse
// indices, are summed (clamped to the weight range) and counted in the statistics.
//
//   in:  conv2d 1->1 channel, kernel 3x3, padding 1, on a 4x4 map
//   out: 16 post neurons, 4 corner neurons with 4 synapses, ... 100 synapses in all
//
// Statistics: synapses, synapses_<target>, duplicates_merged, duplicates_clamped,
// zero_weight_synapses (kept: they may be plastic or matter for routing), bytes.
#pragma once

#include <string>

#include "sf/compiler/compile.hpp"
#include "sf/compiler/ir.hpp"

namespace sf::passes {

ir::Ir lower(ir::Ir ir, PassStats& st, int threads = 1);
std::string dump_lower(const ir::Ir& ir);

}  // namespace sf::passes
