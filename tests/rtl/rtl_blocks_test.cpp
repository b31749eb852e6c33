// Block benches of the RTL (rtl/): the Verilated neuron, STDP and trace units against sf::fx
// (docs/chip-spec.md sections 5 and 6) on millions of random and edge vectors, and a 3x3
// router mesh under random traffic with random backpressure against a scoreboard (every
// flit delivered exactly once, in order per source-destination pair, to the right place).
// The model is built with --assert, so the RTL's own assertions (FIFO never pushed when
// full nor popped when empty, one-hot grants) run in every cycle of these benches.
#include <catch2/catch.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "Vsf_tb_blocks.h"
#include "verilated.h"
#include "sf/core/fixed_point.hpp"

namespace {

// Bits [lo, lo + n) of a Verilator wide value (n <= 64), and their update.
template <class W>
uint64_t get_bits(const W& w, int lo, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t((w[(lo + i) / 32] >> ((lo + i) % 32)) & 1u) << i;
    return v;
}
template <class W>
void set_bits(W& w, int lo, int n, uint64_t v) {
    for (int i = 0; i < n; ++i) {
        const uint32_t m = 1u << ((lo + i) % 32);
        if ((v >> i) & 1) w[(lo + i) / 32] |= m;
        else w[(lo + i) / 32] &= ~m;
    }
}

int64_t sext(uint64_t v, int bits) {
    const uint64_t m = uint64_t(1) << (bits - 1);
    v &= (bits == 64) ? ~uint64_t(0) : ((uint64_t(1) << bits) - 1);
    return int64_t((v ^ m) - m);
}

struct Bench {
    Bench() {
        ctx = std::make_unique<VerilatedContext>();
        ctx->fatalOnError(true);
        top = std::make_unique<Vsf_tb_blocks>(ctx.get(), "tb");
        top->clk_i = 0;
        top->rst_ni = 0;
        top->eval();
        for (int i = 0; i < 2; ++i) tick();
        top->rst_ni = 1;
        top->eval();
    }
    ~Bench() { top->final(); }
    void tick() {
        top->clk_i = 1;
        top->eval();
        top->clk_i = 0;
        top->eval();
    }
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vsf_tb_blocks> top;
};

// A random value drawn from edges and ranges, the way hardware bugs like them.
struct Gen {
    std::mt19937_64 rng;
    explicit Gen(uint64_t seed) : rng(seed) {}
    uint64_t u(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); }
    int64_t range(int64_t lo, int64_t hi) {
        return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    }
    // Mostly uniform in [lo, hi], often an edge (lo, hi, 0, +-1, near the ends).
    int64_t edgy(int64_t lo, int64_t hi) {
        switch (u(8)) {
            case 0: {
                const int64_t e[] = {lo, hi, 0, 1, -1, lo + 1, hi - 1};
                const int64_t v = e[u(7)];
                return v < lo ? lo : (v > hi ? hi : v);
            }
            case 1: return range(lo, lo + (hi - lo) / 64 + 1 > hi ? hi : lo + (hi - lo) / 64 + 1);
            case 2: return range(hi - (hi - lo) / 64 - 1 < lo ? lo : hi - (hi - lo) / 64 - 1, hi);
            case 3: return range(-64 < lo ? lo : -64, 64 > hi ? hi : 64);
            default: return range(lo, hi);
        }
    }
};

struct NeuronCase {
    int32_t u = 0, v = 0, refr = 0;
    int32_t a_in = 0;
    sf::NeuronProfile p;
    int32_t bias = 0;
};

// Check one RTL neuron unit's outputs against sf::fx::neuron_step for state width `bits`.
void check_neuron(const NeuronCase& c, int bits, int vth_bits, uint32_t rtl_u, uint32_t rtl_v,
                  uint32_t rtl_refr, bool rtl_spike, bool rtl_wrap, const char* unit,
                  uint64_t& fails) {
    sf::NeuronProfile p = c.p;
    p.vth &= (1 << vth_bits) - 1;
    const int64_t half = int64_t(1) << (bits - 1);
    // Inputs as the unit sees them: u in its B_s + 1 bits, v in B_s bits.
    sf::fx::NeuronState s;
    s.u = int32_t(sext(uint32_t(c.u), bits + 1 > 32 ? 32 : bits + 1));
    s.v = int32_t(sext(uint32_t(c.v), bits));
    s.refractory = c.refr;
    if (s.u <= -half || s.u > half) return;  // not a state the chip can hold
    if (s.v < -(half - 1) || s.v > half - 1) return;
    bool wrapped = false;
    const bool spike = sf::fx::neuron_step(s, p, c.bias, c.a_in, bits, &wrapped);
    const int32_t got_u = int32_t(rtl_u), got_v = int32_t(rtl_v);
    if (got_u != s.u || got_v != s.v || int32_t(rtl_refr) != s.refractory || rtl_spike != spike ||
        rtl_wrap != wrapped) {
        if (++fails <= 10)
            FAIL_CHECK(unit << " (state_bits " << bits << "): u " << c.u << " v " << c.v
                            << " refr " << c.refr << " a_in " << c.a_in << " du " << p.du
                            << " dv " << p.dv << " vth " << p.vth << " bias " << c.bias << " << "
                            << p.bias_exp << " reset " << (p.reset == sf::ResetMode::Subtract)
                            << " spiking " << p.spiking << " refr_set " << p.refractory
                            << ": expected u " << s.u << " v " << s.v << " refr " << s.refractory
                            << " spike " << spike << " wrapped " << wrapped << ", RTL u "
                            << got_u << " v " << got_v << " refr " << rtl_refr << " spike "
                            << rtl_spike << " wrapped " << rtl_wrap);
    }
}

NeuronCase random_neuron(Gen& g, int bits) {
    NeuronCase c;
    const int64_t half = int64_t(1) << (bits - 1);
    c.u = int32_t(g.edgy(-half + 1, half));
    c.v = int32_t(g.edgy(-half + 1, half - 1));
    c.refr = g.u(3) == 0 ? int32_t(g.u(16)) : 0;
    switch (g.u(4)) {
        case 0: c.a_in = int32_t(g.range(INT32_MIN, INT32_MAX)); break;
        case 1: c.a_in = 0; break;
        default: c.a_in = int32_t(g.edgy(-(int64_t(1) << (bits - 5)), int64_t(1) << (bits - 5)));
    }
    c.p.du = int(g.edgy(0, 4095));
    c.p.dv = int(g.edgy(0, 4095));
    c.p.vth = int(g.u(4) == 0 ? g.u(2) : g.edgy(0, (1 << 17) - 1));
    c.p.bias_exp = int(g.u(8));
    c.p.reset = g.u(2) ? sf::ResetMode::Zero : sf::ResetMode::Subtract;
    c.p.spiking = g.u(8) != 0;
    c.p.refractory = int(g.u(16));
    c.bias = int32_t(g.edgy(-4096, 4095));
    return c;
}

void drive_neuron(Vsf_tb_blocks& t, const NeuronCase& c) {
    t.nu_en_i = 1;
    t.nu_u_i = uint32_t(c.u);
    t.nu_v_i = uint32_t(c.v);
    t.nu_refr_i = uint32_t(c.refr);
    t.nu_a_in_i = uint32_t(c.a_in);
    t.nu_du_i = uint32_t(c.p.du);
    t.nu_dv_i = uint32_t(c.p.dv);
    t.nu_vth_i = uint32_t(c.p.vth);
    t.nu_bias_i = uint32_t(c.bias) & 0x1FFF;
    t.nu_bias_exp_i = uint32_t(c.p.bias_exp);
    t.nu_reset_sub_i = c.p.reset == sf::ResetMode::Subtract;
    t.nu_spiking_i = c.p.spiking;
    t.nu_refr_set_i = uint32_t(c.p.refractory);
}

void check_neuron_vectors(Bench& b, Gen& g, int64_t count, int bits_for_inputs) {
    uint64_t fails = 0;
    Vsf_tb_blocks& t = *b.top;
    for (int64_t k = 0; k < count; ++k) {
        const NeuronCase c = random_neuron(g, bits_for_inputs);
        drive_neuron(t, c);
        t.eval();
        const bool active = c.a_in != 0 || c.u != 0 || c.v != 0 || c.refr != 0;
        if (bits_for_inputs == 24) {
            check_neuron(c, 24, 17, t.nu_a_u_o, t.nu_a_v_o, t.nu_a_refr_o, t.nu_a_spike_o,
                         t.nu_a_wrap_o, "24-bit unit", fails);
            if (bool(t.nu_a_active_o) != active && ++fails <= 10)
                FAIL_CHECK("active flag: u " << c.u << " v " << c.v << " a_in " << c.a_in);
        } else if (bits_for_inputs == 8) {
            check_neuron(c, 8, 1, t.nu_b_u_o, t.nu_b_v_o, t.nu_b_refr_o, t.nu_b_spike_o,
                         t.nu_b_wrap_o, "8-bit unit", fails);
        } else {
            check_neuron(c, 31, 17, t.nu_c_u_o, t.nu_c_v_o, t.nu_c_refr_o, t.nu_c_spike_o,
                         t.nu_c_wrap_o, "31-bit unit", fails);
        }
    }
    CHECK(fails == 0);
}

}  // namespace

TEST_CASE("The RTL neuron unit matches sf::fx::neuron_step on 2 million random and edge vectors "
          "(24-bit state)",
          "[rtl][neuron]") {
    Bench b;
    Gen g(20261201);
    check_neuron_vectors(b, g, 2000000, 24);
}

TEST_CASE("The RTL neuron unit outputs zeros and no spike while not enabled", "[rtl][neuron]") {
    // The core enables the unit only in stage 2 of the update pass and ignores its outputs
    // otherwise; disabled, the unit computes nothing (so a simulator skips it).
    Bench b;
    Gen g(31);
    Vsf_tb_blocks& t = *b.top;
    int nonzero = 0, enabled_spikes = 0;
    for (int k = 0; k < 20000; ++k) {
        const NeuronCase c = random_neuron(g, 24);
        drive_neuron(t, c);
        t.eval();
        enabled_spikes += t.nu_a_spike_o ? 1 : 0;
        t.nu_en_i = 0;
        t.eval();
        if (t.nu_a_u_o || t.nu_a_v_o || t.nu_a_refr_o || t.nu_a_spike_o || t.nu_a_active_o ||
            t.nu_a_wrap_o || t.nu_b_spike_o || t.nu_c_spike_o)
            ++nonzero;
    }
    CHECK(nonzero == 0);
    CHECK(enabled_spikes > 0);  // the same vectors do spike when enabled
}

TEST_CASE("The RTL neuron unit wraps u and saturates v like sf::fx at 8 and 31 state bits",
          "[rtl][neuron]") {
    Bench b;
    Gen g(77);
    check_neuron_vectors(b, g, 1000000, 8);
    check_neuron_vectors(b, g, 500000, 31);
}

TEST_CASE("The RTL neuron unit: edge cases of wrap, saturation, thresholds, refractory and resets",
          "[rtl][neuron]") {
    Bench b;
    Vsf_tb_blocks& t = *b.top;
    uint64_t fails = 0;
    const int32_t half = 1 << 23;
    const int32_t us[] = {0, 1, -1, half, -half + 1, half - 1, 12345, -777};
    const int32_t vs[] = {0, 1, -1, half - 1, -(half - 1), 64, 65, -64};
    const int32_t as[] = {0, 1, -1, (1 << 17), -(1 << 17), INT32_MAX, INT32_MIN, 1 << 25, 131072 - 1};
    const int vths[] = {0, 1, 2, (1 << 17) - 1, 1000};
    for (int32_t u : us)
        for (int32_t v : vs)
            for (int32_t a : as)
                for (int vth : vths)
                    for (int refr : {0, 1, 15})
                        for (int mode = 0; mode < 8; ++mode) {
                            NeuronCase c;
                            c.u = u;
                            c.v = v;
                            c.a_in = a;
                            c.refr = refr;
                            c.p.vth = vth;
                            c.p.du = (mode & 1) ? 4095 : 0;
                            c.p.dv = (mode & 2) ? 4095 : 0;
                            c.p.reset = (mode & 4) ? sf::ResetMode::Subtract : sf::ResetMode::Zero;
                            c.p.refractory = 15;
                            c.p.spiking = true;
                            c.bias = (mode & 1) ? -4096 : 4095;
                            c.p.bias_exp = (mode & 2) ? 7 : 0;
                            drive_neuron(t, c);
                            t.eval();
                            check_neuron(c, 24, 17, t.nu_a_u_o, t.nu_a_v_o, t.nu_a_refr_o,
                                         t.nu_a_spike_o, t.nu_a_wrap_o, "24-bit unit", fails);
                        }
    CHECK(fails == 0);
    // u = +2^23 exactly, the one value a signed 24-bit field cannot hold (chip-spec section 2).
    NeuronCase c;
    c.u = 0;
    c.a_in = 1 << 17;  // 2^17 << 6 = 2^23
    c.p.du = 4095;
    c.p.vth = (1 << 17) - 1;
    drive_neuron(t, c);
    t.eval();
    CHECK(int32_t(t.nu_a_u_o) == (1 << 23));
}

TEST_CASE("The RTL STDP unit matches sf::fx::stdp_weight on every lane of random words",
          "[rtl][stdp]") {
    Bench b;
    Vsf_tb_blocks& t = *b.top;
    Gen g(4242);
    uint64_t fails = 0;
    for (int k = 0; k < 300000; ++k) {
        sf::LearningProfile l;
        l.a_plus = int(g.u(4) == 0 ? g.edgy(-300, 300) : g.edgy(-128, 127));
        l.a_minus = int(g.u(4) == 0 ? g.edgy(-300, 300) : g.edgy(-128, 127));
        l.shift = int(g.u(4) == 0 ? g.u(32) : g.u(9));
        int lo = int(g.edgy(-128, 127)), hi = int(g.edgy(-128, 127));
        if (lo > hi) std::swap(lo, hi);
        l.w_min = lo;
        l.w_max = hi;
        const bool pre = g.u(2);
        const int32_t x = int32_t(g.edgy(0, 255));
        int32_t w[16], y[16];
        bool post[16], en[16];
        for (int j = 0; j < 16; ++j) {
            w[j] = int32_t(g.edgy(-128, 127));
            y[j] = int32_t(g.edgy(0, 255));
            post[j] = g.u(3) == 0;
            en[j] = g.u(5) != 0;
            set_bits(t.st_w_i, j * 8, 8, uint64_t(uint32_t(w[j])));
            set_bits(t.st_y_i, j * 8, 8, uint64_t(y[j]));
        }
        uint32_t postm = 0, enm = 0;
        for (int j = 0; j < 16; ++j) {
            postm |= uint32_t(post[j]) << j;
            enm |= uint32_t(en[j]) << j;
        }
        t.st_post_i = postm;
        t.st_lane_en_i = enm;
        t.st_pre_i = pre;
        t.st_x_i = uint32_t(x);
        t.st_a_plus_i = uint32_t(l.a_plus) & 0xFFFF;
        t.st_a_minus_i = uint32_t(l.a_minus) & 0xFFFF;
        t.st_shift_i = uint32_t(l.shift);
        t.st_w_min_i = uint32_t(l.w_min) & 0xFF;
        t.st_w_max_i = uint32_t(l.w_max) & 0xFF;
        t.eval();
        for (int j = 0; j < 16; ++j) {
            const bool upd = en[j] && (pre || post[j]);
            // A weight outside [w_min, w_max] is clamped only when it is updated.
            const int32_t want = upd ? sf::fx::stdp_weight(w[j], pre, post[j], x, y[j], l) : w[j];
            const int32_t got = int32_t(sext(get_bits(t.st_w_o, j * 8, 8), 8));
            const bool got_upd = (t.st_upd_o >> j) & 1;
            if ((got != want || got_upd != upd) && ++fails <= 10)
                FAIL_CHECK("lane " << j << ": w " << w[j] << " pre " << pre << " post " << post[j]
                                   << " x " << x << " y " << y[j] << " a+ " << l.a_plus << " a- "
                                   << l.a_minus << " shift " << l.shift << " [" << l.w_min << ", "
                                   << l.w_max << "]: expected " << want << ", RTL " << got);
        }
    }
    CHECK(fails == 0);
}

TEST_CASE("The RTL trace unit decays and adds like sf::fx::trace_decay and trace_add",
          "[rtl][stdp]") {
    Bench b;
    Vsf_tb_blocks& t = *b.top;
    uint64_t fails = 0;
    Gen g(9);
    for (int k = 0; k < 400000; ++k) {
        const int32_t x = int32_t(k < 256 ? k : g.edgy(0, 255));
        const int32_t d = int32_t(g.edgy(0, 4095));
        const int32_t inc = int32_t(g.edgy(0, 255));
        const bool de = g.u(4) != 0, ae = g.u(2);
        t.tr_x_i = uint32_t(x);
        t.tr_decay_i = uint32_t(d);
        t.tr_inc_i = uint32_t(inc);
        t.tr_decay_en_i = de;
        t.tr_add_en_i = ae;
        t.eval();
        int32_t want = de ? sf::fx::trace_decay(x, d) : x;
        if (ae) want = sf::fx::trace_add(want, inc, 8);
        if (int32_t(t.tr_x_o) != want && ++fails <= 10)
            FAIL_CHECK("x " << x << " decay " << de << " " << d << " add " << ae << " " << inc
                            << ": expected " << want << ", RTL " << t.tr_x_o);
    }
    CHECK(fails == 0);
}

namespace {

constexpr int MW = 3, MH = 3, NT = MW * MH, FW = 33, HOST = NT;

uint64_t flit(bool host, int x, int y, uint32_t axon) {
    return (uint64_t(host) << 32) | (uint64_t(x) << 24) | (uint64_t(y) << 16) | axon;
}

// Random traffic between every pair of the 9 tiles and the host, with random backpressure
// at every core; returns the number of flits delivered.
uint64_t run_traffic(uint64_t seed, int cycles, double inject_p, double ready_p) {
    Bench b;
    Vsf_tb_blocks& t = *b.top;
    Gen g(seed);
    std::vector<std::deque<uint64_t>> pending(NT + 1);  // per source (tiles, then host)
    uint32_t next_seq[NT + 1][NT + 1] = {};              // [src][dst]
    uint32_t want_seq[NT + 1][NT + 1] = {};
    uint64_t sent = 0, got = 0, bad = 0;
    auto deliver = [&](int at, uint64_t f) {
        const uint32_t axon = uint32_t(f & 0xFFFF);
        const int src = int(axon >> 12);
        const uint32_t seq = axon & 0xFFF;
        const bool host = (f >> 32) & 1;
        const int dst = host ? HOST : int(((f >> 16) & 0xFF) * MW + ((f >> 24) & 0xFF));
        if (dst != at || src > NT || seq != (want_seq[src][dst] & 0xFFF)) {
            if (++bad <= 10)
                FAIL_CHECK("flit " << std::hex << f << std::dec << " from source " << src
                                   << " arrived at " << at << " (destination " << dst
                                   << "), sequence " << seq << ", expected "
                                   << (want_seq[src][dst] & 0xFFF));
            return;
        }
        ++want_seq[src][dst];
        ++got;
    };
    int c = 0;
    for (; c < cycles || sent != got; ++c) {
        REQUIRE(c < cycles + 200000);  // the mesh drains: no deadlock, no lost flit
        const bool injecting = c < cycles;
        // New traffic.
        if (injecting)
            for (int s = 0; s <= NT; ++s)
                if (g.u(1000) < uint64_t(inject_p * 1000) && pending[s].size() < 8) {
                    int d = int(g.u(NT + 1));
                    if (s == HOST && d == HOST) d = int(g.u(NT));
                    const uint32_t axon = (uint32_t(s) << 12) | (next_seq[s][d]++ & 0xFFF);
                    pending[s].push_back(d == HOST ? flit(true, 0, 0, axon)
                                                   : flit(false, d % MW, d / MW, axon));
                    ++sent;
                }
        // Inputs of this cycle, from register outputs (full flags).
        uint32_t lv = 0, ready = 0;
        for (int tile = 0; tile < NT; ++tile) {
            const bool full = (t.l_in_full_o >> tile) & 1;
            if (!pending[tile].empty() && !full) {
                lv |= 1u << tile;
                set_bits(t.l_in_flit_i, tile * FW, FW, pending[tile].front());
                pending[tile].pop_front();
            }
            if (g.u(1000) < uint64_t(ready_p * 1000)) ready |= 1u << tile;
        }
        t.l_in_valid_i = lv;
        t.l_out_ready_i = ready;
        t.h_in_valid_i = 0;
        if (!pending[HOST].empty() && !t.h_in_full_o) {
            t.h_in_valid_i = 1;
            t.h_in_flit_i = pending[HOST].front();
            pending[HOST].pop_front();
        }
        t.eval();
        // The flits that leave the mesh at this edge.
        for (int tile = 0; tile < NT; ++tile)
            if ((t.l_out_valid_o >> tile) & 1) deliver(tile, get_bits(t.l_out_flit_o, tile * FW, FW));
        if (t.h_out_valid_o) deliver(HOST, t.h_out_flit_o);
        b.tick();
    }
    t.l_in_valid_i = 0;
    t.h_in_valid_i = 0;
    t.eval();
    CHECK(bad == 0);
    CHECK(got == sent);
    CHECK(t.idle_o);
    return got;
}

}  // namespace

TEST_CASE("The RTL router mesh delivers every flit exactly once and in order per source and "
          "destination under random traffic and backpressure",
          "[rtl][router]") {
    uint64_t total = 0;
    total += run_traffic(1, 50000, 0.3, 0.7);   // moderate load
    total += run_traffic(2, 50000, 0.9, 0.3);   // congested, heavy backpressure
    total += run_traffic(3, 20000, 1.0, 1.0);   // saturated, no backpressure
    total += run_traffic(4, 20000, 0.5, 0.05);  // cores almost never ready
    CHECK(total > 100000);
}
