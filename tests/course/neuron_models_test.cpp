// Course neuron models (reference/src/neurons) against published or hand-computed
// references: the analytic LIF f-I curve, AdEx's rheobase, Izhikevich's firing patterns,
// the Hodgkin-Huxley squid axon's threshold current and spike shape, conductance synapses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "sf/core/error.hpp"
#include "sf/reference/neuron_models.hpp"
#include "sf/reference/spike_stats.hpp"

using namespace sf;
using namespace sf::neurons;
using Catch::Matchers::Contains;

namespace {

// Bursts: runs of >= 2 ISIs shorter than 10 ms (the burst criterion of this test: spikes
// within a burst of Izhikevich 2003, Fig. 2, are 2-6 ms apart, tonic ISIs 30-50 ms at I = 10).
int count_bursts(const std::vector<double>& isi) {
    int bursts = 0, run = 0;
    for (double x : isi) {
        if (x < 10.0) {
            if (++run == 2) ++bursts;
        } else {
            run = 0;
        }
    }
    return bursts;
}

Trace izh(const std::string& preset) {
    return run_izhikevich(izhikevich_preset(preset), constant_current(10.0), 500.0, 0.1);
}

}  // namespace

TEST_CASE("The LIF f-I curve matches the analytic rate 1/(t_ref + tau ln(...))",
          "[course][neurons]") {
    AlifParams p;  // tau 20 ms, R 10 MOhm, threshold 20 mV above rest: rheobase 2 nA
    const std::vector<double> currents{1.5, 2.1, 2.5, 3.0, 4.0, 6.0};
    const auto rates = fi_curve(
        [&](double i) { return run_alif(p, constant_current(i), 2000.0, 0.01).spike_times_ms; },
        currents, 0.0, 2000.0);
    for (size_t k = 0; k < currents.size(); ++k) {
        const double expected = lif_rate_hz(p, currents[k]);
        INFO("I = " << currents[k] << " nA: simulated " << rates[k] << " Hz, analytic "
                    << expected << " Hz");
        // Spikes land on the 0.01 ms grid and the count is cut at 2 s: within 1 Hz or 1.5%.
        CHECK(std::fabs(rates[k] - expected) <= std::max(1.0, 0.015 * expected));
    }
    CHECK(lif_rate_hz(p, 1.5) == 0.0);
    // By hand at 3 nA: v_inf = -40 mV; ISI = 2 + 20 ln(30/10) = 23.97 ms -> 41.7 Hz.
    CHECK(lif_rate_hz(p, 3.0) == Approx(1000.0 / (2.0 + 20.0 * std::log(3.0))));
}

TEST_CASE("Threshold adaptation lengthens the ISIs of the adaptive LIF and lowers its rate",
          "[course][neurons]") {
    AlifParams p;
    p.delta_theta_mV = 2.0;
    p.tau_theta_ms = 200.0;
    const Trace tr = run_alif(p, constant_current(4.0), 1000.0, 0.05);
    const auto isi = inter_spike_intervals(tr.spike_times_ms);
    REQUIRE(isi.size() > 5);
    CHECK(isi.back() > 1.5 * isi.front());
    AlifParams plain = p;
    plain.delta_theta_mV = 0.0;
    CHECK(firing_rate_hz(tr.spike_times_ms, 1000.0) <
          0.8 * firing_rate_hz(run_alif(plain, constant_current(4.0), 1000.0, 0.05).spike_times_ms,
                               1000.0));
}

TEST_CASE("AdEx with a = 0 starts firing at its analytic rheobase g_L (V_T - E_L - D_T)",
          "[course][neurons]") {
    AdexParams p;  // Brette & Gerstner 2005, Table 1
    p.a_nS = 0.0;
    const double rh = adex_rheobase_nA(p);
    CHECK(rh == Approx(0.030 * (20.2 - 2.0)));  // 0.546 nA by hand
    CHECK(run_adex(p, constant_current(0.98 * rh), 3000.0, 0.01).spike_times_ms.empty());
    CHECK(run_adex(p, constant_current(1.02 * rh), 3000.0, 0.01).spike_times_ms.size() >= 2);
}

TEST_CASE("AdEx with the published parameters adapts: its ISIs grow under a step current",
          "[course][neurons]") {
    const Trace tr = run_adex(AdexParams{}, constant_current(0.8), 1000.0, 0.01, true);
    const auto isi = inter_spike_intervals(tr.spike_times_ms);
    REQUIRE(isi.size() > 5);
    CHECK(isi[4] > 1.5 * isi[0]);
    CHECK(*std::max_element(tr.v_mV.begin(), tr.v_mV.end()) == Approx(20.0));
}

TEST_CASE("Izhikevich's regular spiking neuron fires tonically with adaptation, no bursts",
          "[course][neurons][izhikevich]") {
    const auto isi = inter_spike_intervals(izh("rs").spike_times_ms);
    REQUIRE(isi.size() >= 5);
    CHECK(count_bursts(isi) == 0);
    CHECK(isi.back() > 1.5 * isi.front());  // spike-frequency adaptation
}

TEST_CASE("Izhikevich's intrinsically bursting neuron opens with a burst, then fires tonically",
          "[course][neurons][izhikevich]") {
    const auto isi = inter_spike_intervals(izh("ib").spike_times_ms);
    REQUIRE(isi.size() >= 5);
    CHECK(isi[0] < 10.0);
    CHECK(isi[1] < 10.0);
    CHECK(count_bursts(isi) == 1);
    CHECK(std::all_of(isi.begin() + 2, isi.end(), [](double x) { return x > 20.0; }));
}

TEST_CASE("Izhikevich's chattering neuron fires repeated high-frequency bursts",
          "[course][neurons][izhikevich]") {
    const auto isi = inter_spike_intervals(izh("ch").spike_times_ms);
    CHECK(count_bursts(isi) >= 5);  // 500 ms at roughly 20 bursts per second
    CHECK(std::count_if(isi.begin(), isi.end(), [](double x) { return x > 20.0; }) >= 5);
}

TEST_CASE("Izhikevich's fast spiking neuron fires fast with almost no adaptation",
          "[course][neurons][izhikevich]") {
    const Trace fs = izh("fs");
    const Trace rs = izh("rs");
    CHECK(firing_rate_hz(fs.spike_times_ms, 500.0) > 4.0 * firing_rate_hz(rs.spike_times_ms, 500.0));
    std::vector<double> late;
    for (double t : fs.spike_times_ms)
        if (t > 100.0) late.push_back(t);
    CHECK(isi_cv(late) < 0.05);  // periodic
    CHECK(firing_rate_hz(fs.spike_times_ms, 100.0, 500.0) > 100.0);
}

TEST_CASE("Hodgkin-Huxley: repetitive firing starts near 6.3 uA/cm^2 at about 50 Hz",
          "[course][neurons][hh]") {
    // Published: the squid-axon model has periodic solutions from I = 6.26 uA/cm^2
    // (Rinzel & Miller 1980, Math. Biosci. 49:27; also Hassard 1978), where the rate jumps
    // from 0 to about 50 Hz (type II excitability; Dayan & Abbott 2001, Fig. 5.11; Gerstner
    // et al., Neuronal Dynamics, Fig. 2.4).
    const HhParams p;
    auto rate = [&](double i) {
        return firing_rate_hz(run_hh(p, constant_current(i), 700.0, 0.01).spike_times_ms, 200.0,
                              700.0);
    };
    double lo = 4.0, hi = 10.0;  // bisection on the sustained rate
    REQUIRE(rate(lo) == 0.0);
    REQUIRE(rate(hi) > 0.0);
    for (int k = 0; k < 7; ++k) {
        const double mid = 0.5 * (lo + hi);
        (rate(mid) > 0.0 ? hi : lo) = mid;
    }
    INFO("threshold current between " << lo << " and " << hi << " uA/cm^2");
    CHECK(hi == Approx(6.26).margin(0.3));
    const double f_onset = rate(hi);
    CHECK(f_onset > 40.0);  // discontinuous onset: no low rates
    CHECK(f_onset < 65.0);
    // The f-I curve rises with current above onset.
    CHECK(rate(10.0) > f_onset);
    CHECK(rate(40.0) > rate(10.0));
}

TEST_CASE("Hodgkin-Huxley: one spike overshoots 0 mV with an amplitude of about 100 mV",
          "[course][neurons][hh]") {
    // HH 1952 (J. Physiol. 117:500, Fig. 12): the computed membrane action potential rises
    // about 100 mV above rest; with rest at -65 mV the peak is near +40 mV (Dayan & Abbott
    // 2001, Fig. 5.11). Brief pulse: 20 uA/cm^2 for 1 ms.
    auto pulse = [](double t) { return (t >= 5.0 && t < 6.0) ? 20.0 : 0.0; };
    const Trace tr = run_hh(HhParams{}, pulse, 40.0, 0.01, true);
    REQUIRE(tr.spike_times_ms.size() == 1);
    const double rest = tr.v_mV[400];  // 4 ms
    const double peak = *std::max_element(tr.v_mV.begin(), tr.v_mV.end());
    const double trough = *std::min_element(tr.v_mV.begin(), tr.v_mV.end());
    CHECK(rest == Approx(-65.0).margin(0.1));
    CHECK(peak > 30.0);
    CHECK(peak < 50.0);
    CHECK(peak - rest == Approx(100.0).margin(12.0));
    CHECK(trough < rest - 5.0);   // after-hyperpolarisation towards E_K
    CHECK(trough > -77.0);        // never below E_K
    // Below threshold a brief pulse fails: 2 uA/cm^2 for 1 ms.
    auto weak = [](double t) { return (t >= 5.0 && t < 6.0) ? 2.0 : 0.0; };
    CHECK(run_hh(HhParams{}, weak, 40.0, 0.01).spike_times_ms.empty());
}

TEST_CASE("Conductance synapses: exact decay, no current at the reversal potential, shunting",
          "[course][neurons][synapse]") {
    CondMembrane m;  // tau_m = C / g_L = 20 ms
    CondSynapse exc{0.0, 5.0, {10.0}, 2.0};
    const Trace one = run_cond(m, {exc}, constant_current(0.0), 100.0, 0.1);
    const double peak = *std::max_element(one.v_mV.begin(), one.v_mV.end());
    CHECK(peak > m.e_l_mV + 0.5);
    // Membrane and synapse with tau 20 and 5 ms, small g: the PSP of the current-based
    // approximation peaks at t* = ln(tau_m/tau_s) tau_m tau_s / (tau_m - tau_s) = 9.24 ms.
    const auto it = std::max_element(one.v_mV.begin(), one.v_mV.end());
    const double t_peak = (it - one.v_mV.begin() + 1) * 0.1 - 10.0;
    CHECK(t_peak == Approx(std::log(4.0) * 100.0 / 15.0).margin(0.3));
    // An inhibitory synapse with E_rev = E_L leaves the resting membrane where it is ...
    CondSynapse shunt{m.e_l_mV, 50.0, {10.0}, 20.0};
    const Trace s = run_cond(m, {shunt}, constant_current(0.0), 100.0, 0.1);
    CHECK(*std::max_element(s.v_mV.begin(), s.v_mV.end()) == Approx(m.e_l_mV).margin(1e-9));
    // ... but it shrinks the excitatory PSP it coincides with (divisive, shunting inhibition).
    const Trace both = run_cond(m, {exc, shunt}, constant_current(0.0), 100.0, 0.1);
    CHECK(*std::max_element(both.v_mV.begin(), both.v_mV.end()) - m.e_l_mV <
          0.7 * (peak - m.e_l_mV));
    // A membrane held at E_rev gets nothing from that synapse: drive v to 0 mV = E_exc.
    CondMembrane held = m;
    held.e_l_mV = 0.0;
    const Trace h = run_cond(held, {exc}, constant_current(0.0), 50.0, 0.1);
    CHECK(*std::max_element(h.v_mV.begin(), h.v_mV.end()) == Approx(0.0).margin(1e-9));
}

TEST_CASE("Course neuron parameters out of range get one clear error", "[course][neurons]") {
    AlifParams a;
    a.tau_m_ms = 0.0;
    CHECK_THROWS_WITH(run_alif(a, constant_current(1.0), 10.0, 0.1), Contains("tau_m_ms"));
    AdexParams x;
    x.v_peak_mV = -60.0;
    CHECK_THROWS_WITH(run_adex(x, constant_current(1.0), 10.0, 0.01), Contains("v_peak_mV"));
    CHECK_THROWS_WITH(run_adex(AdexParams{}, constant_current(1.0), 10.0, 0.5),
                      Contains("too coarse"));
    CHECK_THROWS_WITH(izhikevich_preset("xx"), Contains("unknown preset"));
    HhParams h;
    h.e_na_mV = -90.0;
    CHECK_THROWS_WITH(run_hh(h, constant_current(1.0), 10.0, 0.01), Contains("e_na_mV"));
    CondSynapse neg{0.0, 5.0, {}, -1.0};
    CHECK_THROWS_WITH(run_cond(CondMembrane{}, {neg}, constant_current(0.0), 10.0, 0.1),
                      Contains("weight_nS"));
}

TEST_CASE("Neuron kinds the chip cannot run are refused, naming the nearest chip neuron",
          "[course][neurons]") {
    CHECK(chip_neuron_for("lif") == "lif");
    CHECK(chip_neuron_for("li") == "li");
    for (const char* k : {"alif", "adex", "izhikevich", "hh", "coba"}) {
        INFO(k);
        try {
            chip_neuron_for(k);
            FAIL("no error");
        } catch (const InputError& e) {
            CHECK_THAT(e.problem(), Contains("chip cannot run"));
            CHECK_THAT(e.fix(), Contains(std::string(k) == "coba"
                                             ? "nearest chip synapse is current-based"
                                             : "nearest chip neuron is kind: lif"));
        }
    }
    CHECK_THROWS_WITH(chip_neuron_for("quadratic"), Contains("unknown neuron kind"));
}
