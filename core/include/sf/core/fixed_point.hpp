// The chip's fixed-point arithmetic: the neuron update and the STDP update exactly as
// docs/chip-spec.md defines them. The functional emulator calls these; the SystemC model
// and the RTL implement the same equations, and tests check all of them against a plain
// transcription of the spec.
#pragma once

#include <cstdint>
#include <cstdlib>

#include "sf/core/chip_image.hpp"

namespace sf::fx {

constexpr int DECAY_SHIFT = 12;             // decays are fractions of 4096
constexpr int32_t DECAY_UNITY = 1 << DECAY_SHIFT;
constexpr int ACT_SHIFT = 6;                // synaptic input a_in enters u as a_in << 6
constexpr int VTH_SHIFT = 6;                // threshold is vth << 6

// Multiply a signed state by (4096 - d) and shift the magnitude right by 12: the result
// rounds toward zero, as Loihi does.
inline int64_t decay(int64_t x, int32_t d) {
    int64_t p = x * (DECAY_UNITY - d);
    return p < 0 ? -((-p) >> DECAY_SHIFT) : (p >> DECAY_SHIFT);
}

// Wrap into (-2^(bits-1), 2^(bits-1)]: Loihi's u wraps this way (its upper bound is
// inclusive, its lower bound exclusive).
inline int32_t wrap_state(int64_t x, int bits) {
    const int64_t half = int64_t(1) << (bits - 1);
    const int64_t span = half * 2;
    int64_t r = x % span;          // (-span, span)
    if (r > half) r -= span;
    if (r <= -half) r += span;
    return int32_t(r);
}

// Saturate into [-(2^(bits-1) - 1), 2^(bits-1) - 1] (symmetric, as Loihi's v).
inline int32_t saturate_state(int64_t x, int bits) {
    const int64_t lim = (int64_t(1) << (bits - 1)) - 1;
    return int32_t(x > lim ? lim : (x < -lim ? -lim : x));
}

struct NeuronState {
    int32_t u = 0, v = 0;
    int32_t refractory = 0;  // steps left
};

// One timestep of one neuron. a_in is the wide sum of this step's synaptic input (weights
// of the spikes delivered to it). Returns true if the neuron spikes.
//   u := wrap(decay(u, du + 1) + (a_in << 6))
//   if refractory > 0: refractory -= 1, v stays 0, no spike
//   else v := sat(decay(v, dv) + u + (bias_mant << bias_exp))
//        spike if spiking and v > vth << 6: v := 0 (Zero) or v - (vth << 6) (Subtract),
//        refractory := profile.refractory
// `wrapped`, when given, is set when u left its range and wrapped round (a diagnostic for
// state widths too narrow for the weights; the arithmetic is the same either way).
inline bool neuron_step(NeuronState& s, const NeuronProfile& p, int32_t bias_mant, int64_t a_in,
                        int state_bits = 24, bool* wrapped = nullptr) {
    const int64_t u = decay(s.u, p.du + 1) + a_in * (int64_t(1) << ACT_SHIFT);
    s.u = wrap_state(u, state_bits);
    if (wrapped) *wrapped = s.u != u;
    if (s.refractory > 0) {
        s.refractory -= 1;
        s.v = 0;
        return false;
    }
    const int64_t bias = int64_t(bias_mant) * (int64_t(1) << p.bias_exp);
    s.v = saturate_state(decay(s.v, p.dv) + s.u + bias, state_bits);
    const int64_t vth = int64_t(p.vth) << VTH_SHIFT;
    if (!p.spiking || s.v <= vth) return false;
    s.v = p.reset == ResetMode::Zero ? 0 : int32_t(s.v - vth);
    s.refractory = p.refractory;
    return true;
}

// STDP trace decay: unsigned trace times (4096 - d), floor shift by 12.
inline int32_t trace_decay(int32_t x, int32_t d) {
    return int32_t((int64_t(x) * (DECAY_UNITY - d)) >> DECAY_SHIFT);
}

inline int32_t trace_add(int32_t x, int32_t inc, int trace_bits) {
    const int32_t max = (1 << trace_bits) - 1;
    int64_t r = int64_t(x) + inc;
    return int32_t(r > max ? max : r);
}

// New weight of one plastic synapse at the end of a step (docs/chip-spec.md "Learning"):
//   w' = clamp(w - (pre ? (a_minus * y_post) >> shift : 0)
//                + (post ? (a_plus * x_pre) >> shift : 0), w_min, w_max)
// where y_post is the post trace before this step's post spikes are added and x_pre the
// pre trace after this step's pre spikes are added. >> is arithmetic (floor).
inline int32_t stdp_weight(int32_t w, bool pre, bool post, int32_t x_pre, int32_t y_post,
                           const LearningProfile& l) {
    int64_t r = w;
    if (pre) r -= (int64_t(l.a_minus) * y_post) >> l.shift;
    if (post) r += (int64_t(l.a_plus) * x_pre) >> l.shift;
    if (r < l.w_min) r = l.w_min;
    if (r > l.w_max) r = l.w_max;
    return int32_t(r);
}

}  // namespace sf::fx
