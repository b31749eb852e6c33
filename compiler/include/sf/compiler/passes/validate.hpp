// Pass `validate`: the network is well formed (sf::validate_graph) and this chip can run
// it: supported node kinds, delay 1, thresholds and refractory periods that fit the chip's
// fixed point, learning only on a chip with learning cores.
//
//   in:  Graph with a LIF population whose refractory_steps = 40, chip refractory_bits 4
//   out: InputError "refractory period 40 steps does not fit refractory_bits = 4 (max 15)"
//
// Statistics: populations, projections, neurons, chip_neurons (non-input), inputs.
// Dump: one line per population and projection.
#pragma once

#include <string>

#include "sf/compiler/compile.hpp"
#include "sf/compiler/ir.hpp"

namespace sf::passes {

ir::Ir validate(ir::Ir ir, PassStats& st);
std::string dump_validate(const ir::Ir& ir);

}  // namespace sf::passes
