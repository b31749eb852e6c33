// Course neuron and synapse models (see neuron_models.hpp). Each run validates its
// parameters and the step size first, so a bad value fails with one message, not a NaN.
#include "sf/reference/neuron_models.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "sf/core/error.hpp"
#include "sf/core/graph.hpp"

namespace sf::neurons {
namespace {

std::string num(double x) {
    char b[64];
    std::snprintf(b, sizeof b, "%g", x);
    return b;
}

void require(bool ok, const std::string& model, const std::string& what, const std::string& fix) {
    if (!ok) throw InputError(model + ": " + what, {}, fix);
}

void require_positive(double x, const std::string& model, const std::string& name) {
    require(x > 0.0 && std::isfinite(x), model, name + " = " + num(x) + " must be > 0",
            "give a positive, finite " + name);
}

void require_finite(double x, const std::string& model, const std::string& name) {
    require(std::isfinite(x), model, name + " = " + num(x) + " must be finite",
            "give a finite " + name);
}

void check_run(double t_ms, double dt_ms, double max_dt_ms, const std::string& model) {
    require_positive(t_ms, model, "duration t_ms");
    require_positive(dt_ms, model, "dt_ms");
    require(dt_ms <= max_dt_ms, model,
            "dt_ms = " + num(dt_ms) + " is too coarse for its integration method",
            "use dt_ms <= " + num(max_dt_ms));
}

int64_t steps_of(double t_ms, double dt_ms) { return int64_t(std::llround(t_ms / dt_ms)); }

}  // namespace

Current constant_current(double amplitude, double onset_ms) {
    return [=](double t) { return t >= onset_ms ? amplitude : 0.0; };
}

// ---------------------------------------------------------------- adaptive LIF
void validate(const AlifParams& p) {
    const std::string m = "alif";
    require_positive(p.tau_m_ms, m, "tau_m_ms");
    require_positive(p.r_MOhm, m, "r_MOhm");
    require_positive(p.tau_theta_ms, m, "tau_theta_ms");
    require_finite(p.e_l_mV, m, "e_l_mV");
    require_finite(p.v_reset_mV, m, "v_reset_mV");
    require(p.t_ref_ms >= 0.0 && std::isfinite(p.t_ref_ms), m,
            "t_ref_ms = " + num(p.t_ref_ms) + " must be >= 0", "use 0 for no refractory time");
    require(p.delta_theta_mV >= 0.0 && std::isfinite(p.delta_theta_mV), m,
            "delta_theta_mV = " + num(p.delta_theta_mV) + " must be >= 0",
            "threshold adaptation raises the threshold; use 0 to turn it off");
    require(p.v_th_mV > p.v_reset_mV && std::isfinite(p.v_th_mV), m,
            "v_th_mV = " + num(p.v_th_mV) + " must lie above v_reset_mV = " + num(p.v_reset_mV),
            "raise v_th_mV or lower v_reset_mV");
}

Trace run_alif(const AlifParams& p, const Current& i_nA, double t_ms, double dt_ms, bool record_v) {
    validate(p);
    check_run(t_ms, dt_ms, 1.0, "alif");
    Trace tr;
    tr.dt_ms = dt_ms;
    const double kv = std::exp(-dt_ms / p.tau_m_ms);        // computed once per run
    const double kth = std::exp(-dt_ms / p.tau_theta_ms);
    double v = p.e_l_mV, theta = p.v_th_mV, ref_left_ms = 0.0;
    const int64_t n = steps_of(t_ms, dt_ms);
    for (int64_t s = 0; s < n; ++s) {
        const double t = s * dt_ms;
        theta = p.v_th_mV + (theta - p.v_th_mV) * kth;
        if (ref_left_ms > 0.5 * dt_ms) {
            ref_left_ms -= dt_ms;
            v = p.v_reset_mV;
        } else {
            const double v_inf = p.e_l_mV + p.r_MOhm * i_nA(t);  // MOhm * nA = mV
            v = v_inf + (v - v_inf) * kv;
            if (v >= theta) {
                tr.spike_times_ms.push_back(t + dt_ms);
                v = p.v_reset_mV;
                theta += p.delta_theta_mV;
                ref_left_ms = p.t_ref_ms;
            }
        }
        if (record_v) tr.v_mV.push_back(v);
    }
    return tr;
}

double lif_rate_hz(const AlifParams& p, double i_nA) {
    validate(p);
    const double v_inf = p.e_l_mV + p.r_MOhm * i_nA;
    if (v_inf <= p.v_th_mV) return 0.0;
    const double isi_ms =
        p.t_ref_ms + p.tau_m_ms * std::log((v_inf - p.v_reset_mV) / (v_inf - p.v_th_mV));
    return 1000.0 / isi_ms;
}

// ---------------------------------------------------------------- AdEx
void validate(const AdexParams& p) {
    const std::string m = "adex";
    require_positive(p.c_pF, m, "c_pF");
    require_positive(p.g_l_nS, m, "g_l_nS");
    require_positive(p.delta_t_mV, m, "delta_t_mV");
    require_positive(p.tau_w_ms, m, "tau_w_ms");
    require_finite(p.a_nS, m, "a_nS");
    require_finite(p.b_nA, m, "b_nA");
    require_finite(p.e_l_mV, m, "e_l_mV");
    require_finite(p.v_reset_mV, m, "v_reset_mV");
    require(p.v_peak_mV > p.v_t_mV && std::isfinite(p.v_peak_mV), m,
            "v_peak_mV = " + num(p.v_peak_mV) + " must lie above v_t_mV = " + num(p.v_t_mV),
            "v_peak is where the upswing is cut; use e.g. 20 mV or v_t + 5 delta_t");
}

Trace run_adex(const AdexParams& p, const Current& i_nA, double t_ms, double dt_ms, bool record_v) {
    validate(p);
    check_run(t_ms, dt_ms, 0.05, "adex");
    Trace tr;
    tr.dt_ms = dt_ms;
    double v = p.e_l_mV, w = 0.0;  // w in nA
    const int64_t n = steps_of(t_ms, dt_ms);
    for (int64_t s = 0; s < n; ++s) {
        const double t = s * dt_ms;
        // nS * mV = pA; currents in nA are scaled by 1000 to pA; pA / pF = mV/ms.
        const double i_pA = 1000.0 * (i_nA(t) - w);
        const double spike_term =
            p.g_l_nS * p.delta_t_mV * std::exp(std::min((v - p.v_t_mV) / p.delta_t_mV, 50.0));
        const double dv = (-p.g_l_nS * (v - p.e_l_mV) + spike_term + i_pA) / p.c_pF;
        const double dw = (p.a_nS * (v - p.e_l_mV) / 1000.0 - w) / p.tau_w_ms;
        v += dt_ms * dv;
        w += dt_ms * dw;
        if (v >= p.v_peak_mV) {
            tr.spike_times_ms.push_back(t + dt_ms);
            if (record_v) tr.v_mV.push_back(p.v_peak_mV);
            v = p.v_reset_mV;
            w += p.b_nA;
            continue;
        }
        if (record_v) tr.v_mV.push_back(v);
    }
    return tr;
}

double adex_rheobase_nA(const AdexParams& p) {
    validate(p);
    return p.g_l_nS * (p.v_t_mV - p.e_l_mV - p.delta_t_mV) / 1000.0;
}

// ---------------------------------------------------------------- Izhikevich
IzhikevichParams izhikevich_preset(const std::string& name) {
    // Izhikevich, "Simple model of spiking neurons", IEEE TNN 14(6), 2003, Fig. 2.
    if (name == "rs") return {0.02, 0.2, -65.0, 8.0, 30.0};   // regular spiking
    if (name == "ib") return {0.02, 0.2, -55.0, 4.0, 30.0};   // intrinsically bursting
    if (name == "ch") return {0.02, 0.2, -50.0, 2.0, 30.0};   // chattering
    if (name == "fs") return {0.1, 0.2, -65.0, 2.0, 30.0};    // fast spiking
    if (name == "lts") return {0.02, 0.25, -65.0, 2.0, 30.0}; // low-threshold spiking
    throw InputError("izhikevich: unknown preset '" + name + "'", {},
                     "use rs, ib, ch, fs or lts (Izhikevich 2003, Fig. 2)");
}

void validate(const IzhikevichParams& p) {
    const std::string m = "izhikevich";
    require_positive(p.a, m, "a");
    require_finite(p.b, m, "b");
    require_finite(p.d, m, "d");
    require(p.c_mV < p.v_peak_mV && std::isfinite(p.c_mV), m,
            "c_mV = " + num(p.c_mV) + " must lie below v_peak_mV = " + num(p.v_peak_mV),
            "c is the reset potential, e.g. -65 mV");
}

Trace run_izhikevich(const IzhikevichParams& p, const Current& i, double t_ms, double dt_ms,
                     bool record_v) {
    validate(p);
    check_run(t_ms, dt_ms, 0.5, "izhikevich");
    Trace tr;
    tr.dt_ms = dt_ms;
    double v = -70.0, u = p.b * v;
    const int64_t n = steps_of(t_ms, dt_ms);
    for (int64_t s = 0; s < n; ++s) {
        const double t = s * dt_ms;
        const double dv = 0.04 * v * v + 5.0 * v + 140.0 - u + i(t);
        const double du = p.a * (p.b * v - u);
        v += dt_ms * dv;
        u += dt_ms * du;
        if (v >= p.v_peak_mV) {
            tr.spike_times_ms.push_back(t + dt_ms);
            if (record_v) tr.v_mV.push_back(p.v_peak_mV);
            v = p.c_mV;
            u += p.d;
            continue;
        }
        if (record_v) tr.v_mV.push_back(v);
    }
    return tr;
}

// ---------------------------------------------------------------- Hodgkin-Huxley
void validate(const HhParams& p) {
    const std::string m = "hh";
    require_positive(p.c_uF_per_cm2, m, "c_uF_per_cm2");
    require(p.g_na_mS_per_cm2 >= 0 && p.g_k_mS_per_cm2 >= 0 && p.g_l_mS_per_cm2 > 0 &&
                std::isfinite(p.g_na_mS_per_cm2 + p.g_k_mS_per_cm2 + p.g_l_mS_per_cm2),
            m, "conductances must be >= 0 (g_l > 0)", "the squid axon: 120, 36, 0.3 mS/cm^2");
    require(p.e_na_mV > p.e_k_mV && std::isfinite(p.e_na_mV + p.e_k_mV + p.e_l_mV), m,
            "e_na_mV = " + num(p.e_na_mV) + " must lie above e_k_mV = " + num(p.e_k_mV),
            "the squid axon: E_Na = 50 mV, E_K = -77 mV");
}

namespace {
// Rate functions in 1/ms, V in mV (Dayan & Abbott 2001, eqs. 5.22, 5.24, 5.25; HH 1952
// shifted to rest at -65 mV). The removable singularities take their limits.
double vtrap(double x, double y) {  // x / (1 - exp(-x / y))
    return std::fabs(x / y) < 1e-6 ? y * (1.0 + x / (2.0 * y)) : x / (1.0 - std::exp(-x / y));
}
double alpha_n(double v) { return 0.01 * vtrap(v + 55.0, 10.0); }
double beta_n(double v) { return 0.125 * std::exp(-(v + 65.0) / 80.0); }
double alpha_m(double v) { return 0.1 * vtrap(v + 40.0, 10.0); }
double beta_m(double v) { return 4.0 * std::exp(-(v + 65.0) / 18.0); }
double alpha_h(double v) { return 0.07 * std::exp(-(v + 65.0) / 20.0); }
double beta_h(double v) { return 1.0 / (1.0 + std::exp(-(v + 35.0) / 10.0)); }

struct HhState {
    double v, m, h, n;
};
HhState hh_deriv(const HhParams& p, const HhState& s, double i) {
    const double i_ion = p.g_na_mS_per_cm2 * s.m * s.m * s.m * s.h * (s.v - p.e_na_mV) +
                         p.g_k_mS_per_cm2 * s.n * s.n * s.n * s.n * (s.v - p.e_k_mV) +
                         p.g_l_mS_per_cm2 * (s.v - p.e_l_mV);
    return {(i - i_ion) / p.c_uF_per_cm2,  // uA/cm^2 / uF/cm^2 = mV/ms
            alpha_m(s.v) * (1 - s.m) - beta_m(s.v) * s.m,
            alpha_h(s.v) * (1 - s.h) - beta_h(s.v) * s.h,
            alpha_n(s.v) * (1 - s.n) - beta_n(s.v) * s.n};
}
HhState axpy(const HhState& a, double k, const HhState& d) {
    return {a.v + k * d.v, a.m + k * d.m, a.h + k * d.h, a.n + k * d.n};
}
}  // namespace

Trace run_hh(const HhParams& p, const Current& i_uA, double t_ms, double dt_ms, bool record_v) {
    validate(p);
    check_run(t_ms, dt_ms, 0.05, "hh");
    Trace tr;
    tr.dt_ms = dt_ms;
    const double v0 = -65.0;  // gates start at their steady state at rest
    HhState s{v0, alpha_m(v0) / (alpha_m(v0) + beta_m(v0)), alpha_h(v0) / (alpha_h(v0) + beta_h(v0)),
              alpha_n(v0) / (alpha_n(v0) + beta_n(v0))};
    const int64_t n = steps_of(t_ms, dt_ms);
    for (int64_t st = 0; st < n; ++st) {
        const double t = st * dt_ms;
        const double i0 = i_uA(t), ih = i_uA(t + 0.5 * dt_ms), i1 = i_uA(t + dt_ms);
        const HhState k1 = hh_deriv(p, s, i0);
        const HhState k2 = hh_deriv(p, axpy(s, 0.5 * dt_ms, k1), ih);
        const HhState k3 = hh_deriv(p, axpy(s, 0.5 * dt_ms, k2), ih);
        const HhState k4 = hh_deriv(p, axpy(s, dt_ms, k3), i1);
        const double v_prev = s.v;
        s.v += dt_ms / 6.0 * (k1.v + 2 * k2.v + 2 * k3.v + k4.v);
        s.m += dt_ms / 6.0 * (k1.m + 2 * k2.m + 2 * k3.m + k4.m);
        s.h += dt_ms / 6.0 * (k1.h + 2 * k2.h + 2 * k3.h + k4.h);
        s.n += dt_ms / 6.0 * (k1.n + 2 * k2.n + 2 * k3.n + k4.n);
        if (!std::isfinite(s.v))
            throw InputError("hh: the membrane potential diverged at t = " + num(t) + " ms", {},
                             "use a smaller dt_ms");
        if (v_prev < 0.0 && s.v >= 0.0) tr.spike_times_ms.push_back(t + dt_ms);
        if (record_v) tr.v_mV.push_back(s.v);
    }
    return tr;
}

// ---------------------------------------------------------------- conductance synapses
void validate(const CondMembrane& m, const std::vector<CondSynapse>& syn) {
    require_positive(m.c_pF, "coba", "c_pF");
    require_positive(m.g_l_nS, "coba", "g_l_nS");
    require_finite(m.e_l_mV, "coba", "e_l_mV");
    for (const auto& s : syn) {
        require_positive(s.tau_syn_ms, "coba", "tau_syn_ms");
        require_finite(s.e_rev_mV, "coba", "e_rev_mV");
        require(s.weight_nS >= 0.0 && std::isfinite(s.weight_nS), "coba",
                "weight_nS = " + num(s.weight_nS) + " must be >= 0",
                "a conductance is never negative; make a synapse inhibitory with its "
                "reversal potential (e_rev_mV below rest)");
    }
}

Trace run_cond(const CondMembrane& m, const std::vector<CondSynapse>& syn, const Current& i_nA,
               double t_ms, double dt_ms, bool record_v) {
    validate(m, syn);
    check_run(t_ms, dt_ms, 1.0, "coba");
    Trace tr;
    tr.dt_ms = dt_ms;
    std::vector<double> g(syn.size(), 0.0), decay(syn.size());
    std::vector<size_t> next(syn.size(), 0);
    for (size_t k = 0; k < syn.size(); ++k) decay[k] = std::exp(-dt_ms / syn[k].tau_syn_ms);
    double v = m.e_l_mV;
    const int64_t n = steps_of(t_ms, dt_ms);
    for (int64_t s = 0; s < n; ++s) {
        const double t = s * dt_ms;
        double g_tot = m.g_l_nS, ge = m.g_l_nS * m.e_l_mV;
        for (size_t k = 0; k < syn.size(); ++k) {
            const auto& times = syn[k].spike_times_ms;
            while (next[k] < times.size() && times[next[k]] < t + 0.5 * dt_ms) {
                g[k] += syn[k].weight_nS;
                ++next[k];
            }
            g_tot += g[k];
            ge += g[k] * syn[k].e_rev_mV;
        }
        // With g frozen: C dV/dt = -g_tot (V - V_inf), V_inf = (sum g E + I) / g_tot.
        const double v_inf = (ge + 1000.0 * i_nA(t)) / g_tot;  // pA / nS = mV
        v = v_inf + (v - v_inf) * std::exp(-dt_ms * g_tot / m.c_pF);  // nS / pF = 1/ms
        for (size_t k = 0; k < syn.size(); ++k) g[k] *= decay[k];
        if (v >= m.v_th_mV) {
            tr.spike_times_ms.push_back(t + dt_ms);
            v = m.v_reset_mV;
        }
        if (record_v) tr.v_mV.push_back(v);
    }
    return tr;
}

std::string chip_neuron_for(const std::string& kind) {
    if (kind == "lif" || kind == "if" || kind == "li") return kind;
    // One table of what the chip lacks, shared with the network loader (core/graph.cpp).
    const ChipNeuronHint h = nearest_chip_neuron(kind);
    if (!h.problem.empty()) throw InputError(h.problem, {}, h.fix);
    throw InputError("unknown neuron kind '" + kind + "'", {},
                     "use lif, if or li on the chip; alif, adex, izhikevich, hh or coba in the "
                     "float reference");
}

}  // namespace sf::neurons
