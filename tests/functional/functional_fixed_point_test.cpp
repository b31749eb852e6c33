// The chip's fixed-point neuron and STDP helpers (core/include/sf/core/fixed_point.hpp)
// against literal transcriptions of docs/chip-spec.md, written here independently: sign
// and magnitude spelled out, Lava's single-step wrap, floor division by explicit
// remainder correction. Millions of random cases, biased toward the edges.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>

#include "sf/core/fixed_point.hpp"

namespace {

// Spec "Neuron", decay: multiply by (4096 - d), then shift the magnitude right by 12.
int64_t lit_decay(int64_t x, int64_t d) {
    const int64_t prod = x * (4096 - d);
    int64_t sign = 0;
    if (prod > 0) sign = 1;
    if (prod < 0) sign = -1;
    const int64_t mag = prod < 0 ? -prod : prod;
    return sign * (mag >> 12);
}

// Spec: u wraps into (-2^(b-1), 2^(b-1)]. Lava subtracts or adds 2^b once; repeating it
// gives the same answer where Lava's single step suffices and extends it beyond.
int64_t lit_wrap(int64_t x, int bits) {
    const int64_t half = int64_t(1) << (bits - 1);
    while (x > half) x -= 2 * half;
    while (x <= -half) x += 2 * half;
    return x;
}

int64_t lava_single_wrap(int64_t x, int bits) {
    const int64_t m = int64_t(1) << (bits - 1);
    int64_t w = x > m ? x - 2 * m : x;
    if (w <= -m) w = x + 2 * m;
    return w;
}

struct LitNeuron {
    int64_t u, v, refr;
};

// One literal step of docs/chip-spec.md "Neuron update". Returns the spike.
bool lit_step(LitNeuron& s, const sf::NeuronProfile& p, int64_t bias_mant, int64_t a_in, int bits) {
    const int64_t vlim = (int64_t(1) << (bits - 1)) - 1;
    s.u = lit_wrap(lit_decay(s.u, p.du + 1) + a_in * 64, bits);
    if (s.refr > 0) {
        s.refr = s.refr - 1;
        s.v = 0;
        return false;
    }
    int64_t bias = bias_mant;
    for (int i = 0; i < p.bias_exp; ++i) bias = bias * 2;
    int64_t v = lit_decay(s.v, p.dv) + s.u + bias;
    if (v > vlim) v = vlim;
    if (v < -vlim) v = -vlim;
    s.v = v;
    const int64_t theta = int64_t(p.vth) * 64;
    if (!p.spiking) return false;
    if (!(s.v > theta)) return false;
    if (p.reset == sf::ResetMode::Zero)
        s.v = 0;
    else
        s.v = s.v - theta;
    s.refr = p.refractory;
    return true;
}

// floor(p / 2^s) by truncating division and a correction for negative remainders.
int64_t lit_floor_shift(int64_t p, int s) {
    const int64_t d = int64_t(1) << s;
    int64_t q = p / d;
    if (p % d != 0 && p < 0) q -= 1;
    return q;
}

}  // namespace

TEST_CASE("The fixed-point neuron matches a literal transcription of the spec over random states",
          "[functional][fixed_point]") {
    std::mt19937_64 rng(20261123);
    auto uni = [&](int64_t lo, int64_t hi) {
        return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    const int64_t H = int64_t(1) << 23;
    // Values that sit on the edges of each field, picked often.
    auto pick_state = [&](bool is_u) -> int64_t {
        switch (uni(0, 5)) {
            case 0:
                return is_u ? H : H - 1;
            case 1:
                return -(H - 1);
            case 2:
                return uni(H - 300, H - (is_u ? 0 : 1));
            case 3:
                return uni(-(H - 1), -(H - 300));
            case 4:
                return uni(-300, 300);
            default:
                return uni(-(H - 1), H - (is_u ? 0 : 1));
        }
    };
    auto pick_decay = [&]() -> int {
        int k = int(uni(0, 4));
        return k == 0 ? 0 : k == 1 ? 4095 : int(uni(0, 4095));
    };

    int64_t spikes = 0, wraps = 0, sats = 0, lava_domain = 0;
    const int N = 1500000;
    for (int i = 0; i < N; ++i) {
        sf::NeuronProfile p;
        p.du = pick_decay();
        p.dv = pick_decay();
        switch (uni(0, 3)) {
            case 0:
                p.vth = 0;
                break;
            case 1:
                p.vth = (1 << 17) - 1;
                break;
            default:
                p.vth = int(uni(0, (1 << 17) - 1));
        }
        p.bias_exp = uni(0, 2) == 0 ? int(uni(0, 1) ? 0 : 7) : int(uni(0, 7));
        p.reset = uni(0, 1) ? sf::ResetMode::Zero : sf::ResetMode::Subtract;
        p.refractory = uni(0, 1) ? 0 : int(uni(1, 15));
        p.spiking = uni(0, 9) != 0;
        const int64_t bias = uni(0, 2) == 0 ? (uni(0, 1) ? 4095 : -4096) : uni(-4096, 4095);
        int64_t a_in;
        switch (uni(0, 4)) {
            case 0:
                a_in = 0;
                break;
            case 1:
                a_in = uni(-(int64_t(1) << 26), int64_t(1) << 26);
                break;  // far beyond 24 bits
            case 2:
                a_in = uni(-(int64_t(1) << 17), int64_t(1) << 17);
                break;  // a full 1024-row sum
            default:
                a_in = uni(-2000, 2000);
        }
        const int64_t u0 = pick_state(true), v0 = pick_state(false);
        const int64_t r0 = uni(0, 2) == 0 ? uni(1, 15) : 0;

        LitNeuron lit{u0, v0, r0};
        const bool lit_spk = lit_step(lit, p, bias, a_in, 24);
        sf::fx::NeuronState s{int32_t(u0), int32_t(v0), int32_t(r0)};
        const bool spk = sf::fx::neuron_step(s, p, int32_t(bias), a_in);

        const int64_t raw_u = lit_decay(u0, p.du + 1) + a_in * 64;
        if (raw_u > H || raw_u <= -H) ++wraps;
        if (raw_u < 3 * H && raw_u > -3 * H) {
            ++lava_domain;
            if (lava_single_wrap(raw_u, 24) != lit_wrap(raw_u, 24))
                FAIL("Lava's single wrap differs at " << raw_u);
        }
        if (lit.v == H - 1 || lit.v == -(H - 1)) ++sats;
        spikes += lit_spk ? 1 : 0;
        if (spk != lit_spk || s.u != lit.u || s.v != lit.v || s.refractory != lit.refr) {
            INFO("case " << i << ": u0 " << u0 << " v0 " << v0 << " refr " << r0 << " a_in " << a_in
                         << " du " << p.du << " dv " << p.dv << " vth " << p.vth << " bias " << bias
                         << "<<" << p.bias_exp << " reset " << int(p.reset) << " refractory "
                         << p.refractory);
            CHECK(spk == lit_spk);
            CHECK(s.u == lit.u);
            CHECK(s.v == lit.v);
            REQUIRE(s.refractory == lit.refr);
        }
    }
    // The random cases really reached the edges the spec talks about.
    CHECK(spikes > N / 20);
    CHECK(wraps > N / 50);
    CHECK(sats > N / 50);
    CHECK(lava_domain > N / 2);
}

TEST_CASE("The fixed-point neuron wraps u and saturates v at narrower state widths too",
          "[functional][fixed_point]") {
    std::mt19937_64 rng(7);
    auto uni = [&](int64_t lo, int64_t hi) {
        return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    int64_t wraps = 0;
    for (int bits : {12, 16, 20}) {
        const int64_t H = int64_t(1) << (bits - 1);
        for (int i = 0; i < 100000; ++i) {
            sf::NeuronProfile p;
            p.du = int(uni(0, 4095));
            p.dv = int(uni(0, 4095));
            p.vth = int(uni(0, 200));
            p.bias_exp = int(uni(0, 3));
            p.reset = uni(0, 1) ? sf::ResetMode::Zero : sf::ResetMode::Subtract;
            const int64_t u0 = uni(-(H - 1), H), v0 = uni(-(H - 1), H - 1), a_in = uni(-5000, 5000);
            const int64_t bias = uni(-100, 100);
            LitNeuron lit{u0, v0, 0};
            const int64_t u_unwrapped = lit_decay(u0, p.du + 1) + a_in * 64;
            const bool lit_spk = lit_step(lit, p, bias, a_in, bits);
            sf::fx::NeuronState s{int32_t(u0), int32_t(v0), 0};
            bool wrapped = true;
            const bool spk = sf::fx::neuron_step(s, p, int32_t(bias), a_in, bits, &wrapped);
            REQUIRE(spk == lit_spk);
            REQUIRE(s.u == lit.u);
            REQUIRE(s.v == lit.v);
            // The wrap flag says exactly whether u left (-2^(b-1), 2^(b-1)].
            REQUIRE(wrapped == (u_unwrapped > H || u_unwrapped <= -H));
            wraps += wrapped;
        }
    }
    CHECK(wraps > 1000);  // the random states do exercise the wrap
}

TEST_CASE("Known neuron values: decay rounds toward zero, u wraps at +2^23 inclusive, v saturates",
          "[functional][fixed_point]") {
    using sf::fx::decay;
    CHECK(decay(4097, 1) == 4095);    // 16777215 >> 12
    CHECK(decay(-4097, 1) == -4095);  // symmetric: the magnitude is shifted
    CHECK(decay(-1, 0) == -1);
    CHECK(decay(-1, 1) == 0);  // toward zero, where a floor shift would give -1
    CHECK(sf::fx::wrap_state(int64_t(1) << 23, 24) == (1 << 23));
    CHECK(sf::fx::wrap_state((int64_t(1) << 23) + 1, 24) == -(1 << 23) + 1);
    CHECK(sf::fx::wrap_state(-(int64_t(1) << 23), 24) == (1 << 23));
    CHECK(sf::fx::saturate_state(int64_t(1) << 30, 24) == (1 << 23) - 1);
    CHECK(sf::fx::saturate_state(-(int64_t(1) << 30), 24) == -(1 << 23) + 1);

    // IF neuron (du = 4095: u is this step's input; dv = 0: no leak), vth 10 -> 640.
    sf::NeuronProfile p;
    p.du = 4095;
    p.dv = 0;
    p.vth = 10;
    sf::fx::NeuronState s;
    int fired_at = -1;
    for (int t = 0; t < 5 && fired_at < 0; ++t)
        if (sf::fx::neuron_step(s, p, 0, 3)) fired_at = t;  // 192 per step: 192, 384, 576, 768
    CHECK(fired_at == 3);
    CHECK(s.v == 0);

    // Reset by subtraction keeps the excess; refractory holds v at 0 for its steps.
    p.reset = sf::ResetMode::Subtract;
    p.refractory = 2;
    s = {};
    CHECK(sf::fx::neuron_step(s, p, 0, 11));  // v = 704 > 640
    CHECK(s.v == 64);
    CHECK(s.refractory == 2);
    CHECK_FALSE(sf::fx::neuron_step(s, p, 0, 100));
    CHECK(s.v == 0);
    CHECK(s.refractory == 1);
    CHECK(s.u == 6400);
    CHECK_FALSE(sf::fx::neuron_step(s, p, 0, 100));
    CHECK(s.refractory == 0);
    CHECK(sf::fx::neuron_step(s, p, 0, 100));
}

TEST_CASE("STDP weight and trace helpers match a literal transcription of the spec",
          "[functional][fixed_point][learning]") {
    std::mt19937_64 rng(99);
    auto uni = [&](int64_t lo, int64_t hi) {
        return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    int64_t clamped_lo = 0, clamped_hi = 0, negative_floor = 0;
    for (int i = 0; i < 1000000; ++i) {
        sf::LearningProfile l;
        l.enabled = true;
        l.a_plus = int(uni(-255, 255));
        l.a_minus = int(uni(-255, 255));
        l.shift = int(uni(0, 12));
        l.w_min = int(uni(-128, 0));
        l.w_max = int(uni(0, 127));
        const int trace_bits = int(uni(1, 12));
        const int32_t tmax = (1 << trace_bits) - 1;
        const int32_t x = int32_t(uni(0, tmax)), y = int32_t(uni(0, tmax));
        const int32_t w = int32_t(uni(l.w_min, l.w_max));
        const bool pre = uni(0, 1), post = uni(0, 1);

        int64_t r = w;
        if (pre) r = r - lit_floor_shift(int64_t(l.a_minus) * y, l.shift);
        if (post) r = r + lit_floor_shift(int64_t(l.a_plus) * x, l.shift);
        if ((pre && int64_t(l.a_minus) * y < 0) || (post && int64_t(l.a_plus) * x < 0))
            ++negative_floor;
        if (r < l.w_min) {
            r = l.w_min;
            ++clamped_lo;
        }
        if (r > l.w_max) {
            r = l.w_max;
            ++clamped_hi;
        }
        REQUIRE(sf::fx::stdp_weight(w, pre, post, x, y, l) == r);

        const int32_t d = int32_t(uni(0, 4096));
        REQUIRE(sf::fx::trace_decay(x, d) == int32_t((int64_t(x) * (4096 - d)) / 4096));
        const int32_t inc = int32_t(uni(0, 2 * tmax));
        REQUIRE(sf::fx::trace_add(x, inc, trace_bits) == std::min<int64_t>(int64_t(x) + inc, tmax));
    }
    CHECK(clamped_lo > 1000);
    CHECK(clamped_hi > 1000);
    CHECK(negative_floor > 1000);
}
