// Pass `partition`: split every chip population into groups that fit one core (neurons
// <= N, distinct source axons <= A) and pack groups into core slots (several small groups
// share a core when neurons, axons and profiles fit together, and their learning
// constants agree). Populations {C, H, W} fed by conv2d or pooling are cut into spatial
// tiles of the output (all channels of a rectangle) so receptive fields share axons;
// others into contiguous chunks, as large as the binding limit allows.
//
//   in:  dense 784 -> 300 on sf1 (N 256, A 1024)
//   out: groups h[0..255] and h[256..299], 784 axons each, 2 slots
//
// Raises CapacityError when one neuron needs more axons than a core has, when more cores
// are needed than the mesh has, or when a neuron's fan-out (destination cores plus host)
// exceeds the routing table; each names the layer, limit, amount and the chip setting
// that would fit.
// Statistics: groups, cores_used, spatial_tiles, max_axons, max_fanout, neuron_fill.
#pragma once

#include <string>

#include "sf/compiler/compile.hpp"
#include "sf/compiler/ir.hpp"

namespace sf::passes {

ir::Ir partition(ir::Ir ir, PassStats& st, int threads = 1);
std::string dump_partition(const ir::Ir& ir);

}  // namespace sf::passes
