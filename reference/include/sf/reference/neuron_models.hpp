// Neuron and synapse models of a neuroscience course, in the float reference simulator:
// adaptive LIF (threshold adaptation), AdEx, Izhikevich, Hodgkin-Huxley (squid axon) and
// conductance-based synapses. Each model is split into Parameters (with units in every
// name) and State, validates its parameters before running, and names its integration
// method. They run single neurons driven by an injected current, which is what a course
// asks of them (firing patterns, f-I curves, spike shapes); the chip runs only the CUBA
// LIF family, and chip_neuron_for() says so with the nearest chip neuron.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace sf::neurons {

// The result of driving one neuron: spike times and, when asked, the membrane trace.
struct Trace {
    std::vector<double> spike_times_ms;
    std::vector<double> v_mV;  // one value per step when record_v, else empty
    double dt_ms = 0.0;
};

// Injected current as a function of time: [nA] for the point models (LIF, AdEx),
// [dimensionless] for Izhikevich, [uA/cm^2] for Hodgkin-Huxley.
using Current = std::function<double(double t_ms)>;
Current constant_current(double amplitude, double onset_ms = 0.0);

// --- adaptive LIF: tau_m dv/dt = -(v - E_L) + R I; spike when v >= theta, then v = v_reset
// and theta += delta_theta; tau_theta dtheta/dt = -(theta - v_th). Integration: exact
// exponential update for input constant over a step (v and theta), spike detected at the
// end of the step, refractory time counted in whole steps. delta_theta = 0 gives plain LIF.
struct AlifParams {
    double tau_m_ms = 20.0;
    double r_MOhm = 10.0;
    double e_l_mV = -70.0;
    double v_th_mV = -50.0;
    double v_reset_mV = -70.0;
    double t_ref_ms = 2.0;
    double delta_theta_mV = 0.0;
    double tau_theta_ms = 100.0;
};
void validate(const AlifParams& p);
Trace run_alif(const AlifParams& p, const Current& i_nA, double t_ms, double dt_ms,
               bool record_v = false);
// Analytic firing rate of the plain LIF (delta_theta = 0) under a constant current:
// 1 / (t_ref + tau_m ln((R I + E_L - v_reset) / (R I + E_L - v_th))), 0 below rheobase.
double lif_rate_hz(const AlifParams& p, double i_nA);

// --- AdEx (Brette & Gerstner 2005): C dV/dt = -g_L (V - E_L) + g_L D_T exp((V - V_T)/D_T)
// - w + I; tau_w dw/dt = a (V - E_L) - w; at V >= V_peak: V = V_r, w += b.
// Integration: forward Euler (dt <= 0.05 ms is asked for: the exponential term is stiff).
// Defaults: the published cortical pyramidal cell of Brette & Gerstner 2005, Table 1.
struct AdexParams {
    double c_pF = 281.0;
    double g_l_nS = 30.0;
    double e_l_mV = -70.6;
    double v_t_mV = -50.4;
    double delta_t_mV = 2.0;
    double tau_w_ms = 144.0;
    double a_nS = 4.0;
    double b_nA = 0.0805;
    double v_reset_mV = -70.6;
    double v_peak_mV = 20.0;
};
void validate(const AdexParams& p);
Trace run_adex(const AdexParams& p, const Current& i_nA, double t_ms, double dt_ms,
               bool record_v = false);
// Rheobase of AdEx with a = 0 (a saddle-node at V = V_T): g_L (V_T - E_L - D_T) [nA].
double adex_rheobase_nA(const AdexParams& p);

// --- Izhikevich (2003): v' = 0.04 v^2 + 5 v + 140 - u + I, u' = a (b v - u); at v >= 30 mV:
// v = c, u += d. Time in ms, v in mV. Integration: forward Euler with step dt (the paper's
// own code takes two 0.5 ms half-steps for v; 0.1 ms here is finer).
struct IzhikevichParams {
    double a = 0.02;  // [1/ms]
    double b = 0.2;   // [1/ms, per mV]
    double c_mV = -65.0;
    double d = 8.0;   // [mV/ms]
    double v_peak_mV = 30.0;
};
// The standard patterns of Izhikevich 2003, Fig. 2.
IzhikevichParams izhikevich_preset(const std::string& name);  // rs, ib, ch, fs, lts
void validate(const IzhikevichParams& p);
Trace run_izhikevich(const IzhikevichParams& p, const Current& i, double t_ms, double dt_ms,
                     bool record_v = false);

// --- Hodgkin-Huxley (1952) squid giant axon at 6.3 C, membrane potential with rest at
// -65 mV (the convention of Dayan & Abbott 2001, ch. 5): C = 1 uF/cm^2, g_Na = 120,
// g_K = 36, g_L = 0.3 mS/cm^2, E_Na = 50, E_K = -77, E_L = -54.387 mV.
// Integration: classical 4th-order Runge-Kutta; a spike is an upward crossing of 0 mV.
struct HhParams {
    double c_uF_per_cm2 = 1.0;
    double g_na_mS_per_cm2 = 120.0;
    double g_k_mS_per_cm2 = 36.0;
    double g_l_mS_per_cm2 = 0.3;
    double e_na_mV = 50.0;
    double e_k_mV = -77.0;
    double e_l_mV = -54.387;
};
void validate(const HhParams& p);
Trace run_hh(const HhParams& p, const Current& i_uA_per_cm2, double t_ms, double dt_ms,
             bool record_v = false);

// --- conductance-based synapse onto a passive (or LIF) membrane: g(t) jumps by w at each
// presynaptic spike and decays with tau_syn; I_syn = g (E_rev - V). The membrane:
// C dV/dt = -g_L (V - E_L) + sum_s g_s (E_rev,s - V) + I. Integration: exact exponential
// decay of g, then an exact exponential update of V with g frozen over the step (the
// membrane is linear in V for fixed g).
struct CondSynapse {
    double e_rev_mV = 0.0;
    double tau_syn_ms = 5.0;
    std::vector<double> spike_times_ms;  // presynaptic
    double weight_nS = 1.0;              // conductance jump per spike
};
struct CondMembrane {
    double c_pF = 200.0;
    double g_l_nS = 10.0;
    double e_l_mV = -70.0;
    double v_th_mV = 1e9;  // no spiking unless set
    double v_reset_mV = -70.0;
};
void validate(const CondMembrane& m, const std::vector<CondSynapse>& syn);
Trace run_cond(const CondMembrane& m, const std::vector<CondSynapse>& syn, const Current& i_nA,
               double t_ms, double dt_ms, bool record_v = true);

// The chip runs CUBA LIF, IF and LI neurons only (docs/chip-spec.md). For a course model
// kind ("alif", "adex", "izhikevich", "hh", "coba") this throws InputError naming the
// nearest chip neuron; for "lif", "if" and "li" it returns the kind.
std::string chip_neuron_for(const std::string& kind);

}  // namespace sf::neurons
