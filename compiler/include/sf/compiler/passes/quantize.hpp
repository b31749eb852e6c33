// Pass `quantize`: float parameters to the chip's fixed point. Every projection into one
// population adds into the same u, so each target population gets one scale
// s = weight_max / max|w| over its incoming weights; int weight = round(w * s) clamped,
// vth = round(threshold * s) (s is lowered if vth would not fit threshold_bits),
// bias * s * 64 = bias_mant << bias_exp with the smallest exponent that fits,
// du + 1 = round(4096 decay_u), dv = round(4096 decay_v), STDP constants scaled by s.
//
//   in:  dense 'fc' weights [[0.5, -1.0]], threshold 1.0, chip weight_bits 8
//   out: s = 127, weights [[64, -127]], vth 127
//
// Statistics: weight error per projection (max_rel_err_<proj>, rms_rel_err_<proj>, worst
// over all: max_rel_err), clamped weights, populations whose scale was lowered, bias error.
#pragma once

#include <string>

#include "sf/compiler/compile.hpp"
#include "sf/compiler/ir.hpp"

namespace sf::passes {

ir::Ir quantize(ir::Ir ir, PassStats& st, int threads = 1);
std::string dump_quantize(const ir::Ir& ir);

}  // namespace sf::passes
