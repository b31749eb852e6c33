// Pass `route`: axon ids at each destination core (ascending global source id, i.e.
// sorted by (source population, source neuron)), one routing entry per (source neuron,
// destination core), host input maps (no fan-out limit) and output entries
// Destination{-1, -1, k} for output neuron k (counted against the fan-out F).
//
//   in:  in[0] feeds neurons on slots 0 and 1, h[3] is output 3
//   out: in[0] -> (s0, axon 0), (s1, axon 0); h[3] -> host 3
//
// Statistics: routing_entries (chip neurons), input_entries (host), output_entries,
// max_fanout, mean_hops (over routing entries).
#pragma once

#include <string>

#include "sf/compiler/compile.hpp"
#include "sf/compiler/ir.hpp"

namespace sf::passes {

ir::Ir route(ir::Ir ir, PassStats& st);
std::string dump_route(const ir::Ir& ir);

}  // namespace sf::passes
