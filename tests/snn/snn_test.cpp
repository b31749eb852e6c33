// Tests of the float SNN reference: neuron dynamics against closed forms, every projection
// kind against a naive loop, reset, refractory and delays, the surrogate-gradient trainer
// (gradients, agreement with the simulator, a short training run), ANN->SNN conversion
// and float STDP against hand-computed values.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

#include "sf/core/error.hpp"
#include "sf/core/tensor.hpp"
#include "sf_test_util.hpp"
#include "sf/reference/ann.hpp"
#include "sf/reference/ann_train.hpp"
#include "sf/reference/convert.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/snn.hpp"
#include "sf/reference/snn_train.hpp"
#include "sf/reference/stdp.hpp"
#include "sf/reference/train_api.hpp"

using namespace sf;
namespace fs = std::filesystem;

namespace {

Population pop(const std::string& name, NeuronKind kind, std::vector<int64_t> shape) {
    Population p;
    p.name = name;
    p.kind = kind;
    p.shape = std::move(shape);
    return p;
}

Projection dense(const std::string& name, const std::string& pre, const std::string& post,
                 const std::vector<float>& w, int64_t npost, int64_t npre) {
    Projection pr;
    pr.name = name;
    pr.kind = ProjectionKind::Dense;
    pr.pre = pre;
    pr.post = post;
    pr.weights = Tensor::from<float>(w, {npost, npre});
    return pr;
}

// One sample whose input spikes are given per step.
SpikeInput one_sample(int n_in, std::vector<std::vector<int32_t>> steps) {
    SpikeInput in;
    in.num_inputs = n_in;
    SampleInput s;
    s.steps = std::move(steps);
    in.samples.push_back(s);
    return in;
}

SpikeInput random_input(int n_in, int T, int samples, float p, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::bernoulli_distribution bit(p);
    SpikeInput in;
    in.num_inputs = n_in;
    for (int s = 0; s < samples; ++s) {
        SampleInput si;
        si.steps.resize(size_t(T));
        for (int t = 0; t < T; ++t)
            for (int j = 0; j < n_in; ++j)
                if (bit(rng)) si.steps[size_t(t)].push_back(j);
        in.samples.push_back(si);
    }
    return in;
}

// A graph input -> probe, where probe is an LI population with decay_u = decay_v = 1, so
// its v at step t is exactly the synaptic input arriving at step t.
Graph probe_graph(std::vector<int64_t> in_shape, std::vector<int64_t> out_shape, Projection pr) {
    Graph g;
    g.name = "probe";
    g.timesteps = 6;
    g.populations.push_back(pop("in", NeuronKind::Input, in_shape));
    Population out = pop("probe", NeuronKind::LI, out_shape);
    out.params.decay_u = 1.0f;
    out.params.decay_v = 1.0f;
    out.output = true;
    g.populations.push_back(out);
    pr.pre = "in";
    pr.post = "probe";
    g.projections.push_back(pr);
    return g;
}

std::vector<float> random_vec(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = nd(rng);
    return v;
}

// Runs the probe graph and checks v against expected(t, sample, flat input spikes).
void check_probe(const Graph& g, const SpikeInput& in,
                 const std::function<std::vector<float>(const std::vector<float>&)>& naive) {
    SnnSimulator sim(g);
    SnnRunOptions o;
    o.record_v = true;
    o.record_populations = {"probe"};
    o.batch = 3;
    const SnnResult r = sim.run(in, o);
    const int64_t n_in = g.populations[0].size(), n_out = g.populations[1].size();
    for (size_t s = 0; s < in.samples.size(); ++s)
        for (int t = 0; t < g.timesteps; ++t) {
            std::vector<float> x(size_t(n_in), 0.0f);
            for (int32_t j : in.samples[s].steps[size_t(t)]) x[size_t(j)] = 1.0f;
            const std::vector<float> want = naive(x);
            for (int64_t i = 0; i < n_out; ++i)
                REQUIRE(r.records[s].v[1][size_t(t * n_out + i)] ==
                        Approx(want[size_t(i)]).margin(1e-4));
        }
}

}  // namespace

TEST_CASE("A bias-driven LIF neuron follows the closed form of its discretisation and spikes on time",
          "[snn][neuron]") {
    // v[t] = (1 - d) v[t-1] + b from v = 0 gives v[t] = b (1 - (1 - d)^(t+1)) / d until it
    // crosses the threshold; after a reset to zero the same trajectory starts again.
    const float d = 0.1f, b = 0.3f, th = 2.0f;
    Graph g;
    g.name = "lif";
    g.timesteps = 40;
    Population p = pop("n", NeuronKind::LIF, {1});
    p.params.decay_u = 1.0f;
    p.params.decay_v = d;
    p.params.bias = b;
    p.params.threshold = th;
    p.output = true;
    g.populations = {p};
    SnnSimulator sim(g);
    SnnRunOptions o;
    o.record_v = o.record_spikes = true;
    const SnnResult r = sim.run(one_sample(0, {}), o);
    // First crossing: smallest t with b (1 - (1-d)^(t+1)) / d > th.
    int first = 0;
    while (!(b * (1 - std::pow(1 - d, first + 1)) / d > th)) ++first;
    const int period = first + 1;
    for (int t = 0; t < g.timesteps; ++t) {
        const int k = t % period;  // steps since the last reset
        const bool spikes = k == first;
        const float closed = spikes ? 0.0f : b * (1 - std::pow(1 - d, k + 1)) / d;
        CHECK(r.records[0].v[0][size_t(t)] == Approx(closed).margin(1e-5));
        CHECK(r.records[0].spikes[0][size_t(t)].size() == (spikes ? 1u : 0u));
    }
}

TEST_CASE("A CUBA LIF neuron with constant input matches the closed-form current and membrane",
          "[snn][neuron]") {
    // One input spike every step through weight w: u[t] = w (1 - a^(t+1)) / (1 - a) with
    // a = 1 - decay_u, and v[t] = sum_k c^(t-k) u[k] with c = 1 - decay_v (no threshold hit).
    const float du = 0.2f, dv = 0.05f, w = 0.5f;
    Graph g;
    g.name = "cuba";
    g.timesteps = 30;
    g.populations.push_back(pop("in", NeuronKind::Input, {1}));
    Population p = pop("n", NeuronKind::LIF, {1});
    p.params.decay_u = du;
    p.params.decay_v = dv;
    p.params.threshold = 1e6f;
    p.output = true;
    g.populations.push_back(p);
    g.projections.push_back(dense("w", "in", "n", {w}, 1, 1));
    std::vector<std::vector<int32_t>> steps(30, std::vector<int32_t>{0});
    SnnSimulator sim(g);
    SnnRunOptions o;
    o.record_u = o.record_v = true;
    const SnnResult r = sim.run(one_sample(1, steps), o);
    const double a = 1 - du, c = 1 - dv;
    for (int t = 0; t < 30; ++t) {
        const double u = w * (1 - std::pow(a, t + 1)) / (1 - a);
        // Closed form of the double geometric sum.
        const double v = w / (1 - a) * ((1 - std::pow(c, t + 1)) / (1 - c) -
                                        a * (std::pow(a, t + 1) - std::pow(c, t + 1)) / (a - c));
        CHECK(r.records[0].u[1][size_t(t)] == Approx(u).epsilon(1e-5));
        CHECK(r.records[0].v[1][size_t(t)] == Approx(v).epsilon(1e-4));
    }
}

TEST_CASE("Reset by subtraction keeps the overshoot and refractory steps hold v at zero",
          "[snn][neuron]") {
    Graph g;
    g.name = "reset";
    g.timesteps = 12;
    Population p = pop("n", NeuronKind::IF, {1});
    p.params.decay_u = 1.0f;
    p.params.decay_v = 0.0f;
    p.params.bias = 0.7f;
    p.params.threshold = 1.0f;
    p.params.reset = ResetMode::Subtract;
    p.output = true;
    g.populations = {p};
    SnnRunOptions o;
    o.record_v = o.record_spikes = true;
    {
        SnnSimulator sim(g);
        const SnnResult r = sim.run(one_sample(0, {}), o);
        // 0.7, 1.4 -> spike, 0.4 + 0.7 = 1.1 -> spike, 0.1 + 0.7 = 0.8, 1.5 -> spike, 0.5 ...
        const std::vector<float> v{0.7f, 0.4f, 0.1f, 0.8f, 0.5f, 0.2f, 0.9f};
        const std::vector<int> s{0, 1, 1, 0, 1, 1, 0};
        for (size_t t = 0; t < v.size(); ++t) {
            CHECK(r.records[0].v[0][t] == Approx(v[t]).margin(1e-5));
            CHECK(int(r.records[0].spikes[0][t].size()) == s[t]);
        }
    }
    g.populations[0].params.reset = ResetMode::Zero;
    g.populations[0].params.refractory_steps = 2;
    {
        SnnSimulator sim(g);
        const SnnResult r = sim.run(one_sample(0, {}), o);
        // 0.7, 1.4 -> spike (v = 0), two refractory steps at 0, then 0.7, 1.4 -> spike ...
        const std::vector<float> v{0.7f, 0.0f, 0.0f, 0.0f, 0.7f, 0.0f, 0.0f, 0.0f, 0.7f};
        const std::vector<int> s{0, 1, 0, 0, 0, 1, 0, 0, 0};
        for (size_t t = 0; t < v.size(); ++t) {
            CHECK(r.records[0].v[0][t] == Approx(v[t]).margin(1e-5));
            CHECK(int(r.records[0].spikes[0][t].size()) == s[t]);
        }
    }
}

TEST_CASE("Input spikes arrive in their own step and neuron spikes one step later", "[snn][timing]") {
    // in -> a (IF, fires on any input) -> b (LI probe): in at step 2, a fires at 2, b sees it at 3.
    Graph g;
    g.name = "timing";
    g.timesteps = 6;
    g.populations.push_back(pop("in", NeuronKind::Input, {1}));
    Population a = pop("a", NeuronKind::IF, {1});
    a.params.threshold = 0.5f;
    g.populations.push_back(a);
    Population b = pop("b", NeuronKind::LI, {1});
    b.params.decay_u = 1.0f;
    b.params.decay_v = 1.0f;
    b.output = true;
    g.populations.push_back(b);
    g.projections.push_back(dense("ia", "in", "a", {1.0f}, 1, 1));
    g.projections.push_back(dense("ab", "a", "b", {1.0f}, 1, 1));
    SnnRunOptions o;
    o.record_v = o.record_spikes = true;
    std::vector<std::vector<int32_t>> steps(6);
    steps[2] = {0};
    {
        SnnSimulator sim(g);
        const SnnResult r = sim.run(one_sample(1, steps), o);
        CHECK(r.records[0].spikes[1][2].size() == 1);
        for (int t = 0; t < 6; ++t) CHECK(r.records[0].v[2][size_t(t)] == (t == 3 ? 1.0f : 0.0f));
    }
    g.projections[1].delay = 3;  // neuron spike at 2 arrives at 5
    {
        SnnSimulator sim(g);
        const SnnResult r = sim.run(one_sample(1, steps), o);
        for (int t = 0; t < 6; ++t) CHECK(r.records[0].v[2][size_t(t)] == (t == 5 ? 1.0f : 0.0f));
    }
}

TEST_CASE("Dense, one-to-one and sparse projections add what a naive loop adds", "[snn][projection]") {
    const SpikeInput in = random_input(7, 6, 5, 0.4f, 3);
    SECTION("dense") {
        const auto w = random_vec(5 * 7, 1);
        Projection pr = dense("d", "", "", w, 5, 7);
        check_probe(probe_graph({7}, {5}, pr), in, [&](const std::vector<float>& x) {
            std::vector<float> y(5, 0.0f);
            for (int i = 0; i < 5; ++i)
                for (int j = 0; j < 7; ++j) y[size_t(i)] += w[size_t(i * 7 + j)] * x[size_t(j)];
            return y;
        });
    }
    SECTION("one_to_one with weights and with a scale") {
        const auto w = random_vec(7, 2);
        Projection pr;
        pr.name = "o";
        pr.kind = ProjectionKind::OneToOne;
        pr.weights = Tensor::from<float>(w, {7});
        check_probe(probe_graph({7}, {7}, pr), in, [&](const std::vector<float>& x) {
            std::vector<float> y(7);
            for (int i = 0; i < 7; ++i) y[size_t(i)] = w[size_t(i)] * x[size_t(i)];
            return y;
        });
        pr.weights = Tensor{};
        pr.scale = -0.75f;
        check_probe(probe_graph({7}, {7}, pr), in, [&](const std::vector<float>& x) {
            std::vector<float> y(7);
            for (int i = 0; i < 7; ++i) y[size_t(i)] = -0.75f * x[size_t(i)];
            return y;
        });
    }
    SECTION("sparse, with a repeated (pre, post) pair") {
        const std::vector<int64_t> idx{0, 1, 3, 1, 6, 0, 2, 4, 0, 1, 5, 3};
        const std::vector<float> w{0.5f, -1.0f, 2.0f, 0.25f, 0.75f, 1.5f};
        Projection pr;
        pr.name = "s";
        pr.kind = ProjectionKind::Sparse;
        pr.indices = Tensor::from<int64_t>(idx, {6, 2});
        pr.weights = Tensor::from<float>(w, {6});
        check_probe(probe_graph({7}, {5}, pr), in, [&](const std::vector<float>& x) {
            std::vector<float> y(5, 0.0f);
            for (size_t k = 0; k < 6; ++k) y[size_t(idx[2 * k + 1])] += w[k] * x[size_t(idx[2 * k])];
            return y;
        });
    }
}

TEST_CASE("Conv2d and pooling projections add what a naive loop adds", "[snn][projection]") {
    const int C = 2, H = 6, W = 5;
    const SpikeInput in = random_input(C * H * W, 6, 4, 0.3f, 9);
    auto at = [&](const std::vector<float>& x, int c, int y, int xx) -> float {
        if (y < 0 || y >= H || xx < 0 || xx >= W) return 0.0f;
        return x[size_t((c * H + y) * W + xx)];
    };
    SECTION("conv2d with stride 2 and padding 1") {
        const int OC = 3, K = 3, S = 2, P = 1;
        const int OH = (H + 2 * P - K) / S + 1, OW = (W + 2 * P - K) / S + 1;
        const auto w = random_vec(size_t(OC * C * K * K), 4);
        Projection pr;
        pr.name = "c";
        pr.kind = ProjectionKind::Conv2d;
        pr.weights = Tensor::from<float>(w, {OC, C, K, K});
        pr.kernel = {K, K};
        pr.stride = {S, S};
        pr.padding = {P, P};
        check_probe(probe_graph({C, H, W}, {OC, OH, OW}, pr), in, [&](const std::vector<float>& x) {
            std::vector<float> y(size_t(OC * OH * OW), 0.0f);
            for (int o = 0; o < OC; ++o)
                for (int oy = 0; oy < OH; ++oy)
                    for (int ox = 0; ox < OW; ++ox)
                        for (int c = 0; c < C; ++c)
                            for (int ky = 0; ky < K; ++ky)
                                for (int kx = 0; kx < K; ++kx)
                                    y[size_t((o * OH + oy) * OW + ox)] +=
                                        w[size_t(((o * C + c) * K + ky) * K + kx)] *
                                        at(x, c, oy * S - P + ky, ox * S - P + kx);
            return y;
        });
    }
    for (bool avg : {false, true}) {
        SECTION(avg ? "avg_pool 2x2" : "sum_pool 2x2 with scale") {
            const int OH = H / 2, OW = W / 2;
            Projection pr;
            pr.name = "p";
            pr.kind = avg ? ProjectionKind::AvgPool : ProjectionKind::SumPool;
            pr.kernel = {2, 2};
            pr.stride = {2, 2};
            pr.scale = 1.5f;
            const float f = avg ? 1.5f / 4 : 1.5f;
            check_probe(probe_graph({C, H, W}, {C, OH, OW}, pr), in, [&](const std::vector<float>& x) {
                std::vector<float> y(size_t(C * OH * OW), 0.0f);
                for (int c = 0; c < C; ++c)
                    for (int oy = 0; oy < OH; ++oy)
                        for (int ox = 0; ox < OW; ++ox)
                            for (int ky = 0; ky < 2; ++ky)
                                for (int kx = 0; kx < 2; ++kx)
                                    y[size_t((c * OH + oy) * OW + ox)] += f * at(x, c, oy * 2 + ky, ox * 2 + kx);
                return y;
            });
        }
    }
}

TEST_CASE("A recurrent projection feeds a population's spikes back one step later", "[snn][projection]") {
    // Two IF neurons; in drives n0 only; n0 -> n1 through the recurrent matrix.
    Graph g;
    g.name = "rec";
    g.timesteps = 8;
    g.populations.push_back(pop("in", NeuronKind::Input, {1}));
    Population n = pop("n", NeuronKind::IF, {2});
    n.params.threshold = 0.5f;
    n.output = true;
    g.populations.push_back(n);
    g.projections.push_back(dense("in_n", "in", "n", {1.0f, 0.0f}, 2, 1));
    g.projections.push_back(dense("rec", "n", "n", {0.0f, 0.0f, 1.0f, 0.0f}, 2, 2));
    std::vector<std::vector<int32_t>> steps(8);
    steps[1] = {0};
    steps[4] = {0};
    SnnSimulator sim(g);
    SnnRunOptions o;
    o.record_spikes = true;
    const SnnResult r = sim.run(one_sample(1, steps), o);
    const auto& sp = r.records[0].spikes[1];
    for (int t = 0; t < 8; ++t) {
        std::vector<int32_t> want;
        if (t == 1 || t == 4) want.push_back(0);
        if (t == 2 || t == 5) want.push_back(1);
        CHECK(sp[size_t(t)] == want);
    }
    CHECK(r.population_spikes[1] == 4);
}

TEST_CASE("Batched simulation gives the same result as one sample at a time", "[snn][batch]") {
    const auto w1 = random_vec(20 * 12, 5), w2 = random_vec(4 * 20, 6);
    Graph g;
    g.name = "batch";
    g.timesteps = 15;
    g.populations.push_back(pop("in", NeuronKind::Input, {12}));
    Population h = pop("h", NeuronKind::LIF, {20});
    h.params.decay_u = 0.3f;
    h.params.decay_v = 0.1f;
    h.params.threshold = 0.8f;
    g.populations.push_back(h);
    Population out = pop("out", NeuronKind::LIF, {4});
    out.params.threshold = 0.5f;
    out.output = true;
    g.populations.push_back(out);
    g.projections.push_back(dense("a", "in", "h", w1, 20, 12));
    g.projections.push_back(dense("b", "h", "out", w2, 4, 20));
    const SpikeInput in = random_input(12, 15, 9, 0.5f, 11);
    SnnSimulator sim(g);
    SnnRunOptions one, many;
    one.batch = 1;
    many.batch = 9;
    const SnnResult a = sim.run(in, one), b = sim.run(in, many);
    for (size_t s = 0; s < 9; ++s) {
        CHECK(a.run.samples[s].output_spikes == b.run.samples[s].output_spikes);
        CHECK(a.run.samples[s].predicted == b.run.samples[s].predicted);
    }
    CHECK(a.population_spikes == b.population_spikes);
    CHECK(a.population_spikes[1] > 0);
}

TEST_CASE("A wide CUBA population follows a literal loop over the documented update",
          "[snn][neuron]") {
    // 150 neurons (several blocks of the vectorised update), reset by subtraction, two
    // refractory steps, a bias, batches of 2 over 5 samples: every u, v and spike must be
    // what a plain per-neuron loop over docs/reference-snn.md's equations gives.
    const int n_in = 30, n = 150, T = 25;
    const float du = 0.4f, dv = 0.15f, th = 1.0f, bias = 0.05f;
    std::vector<float> w = random_vec(size_t(n * n_in), 21);
    for (float& x : w) x *= 0.5f;
    Graph g;
    g.name = "wide";
    g.timesteps = T;
    g.populations.push_back(pop("in", NeuronKind::Input, {n_in}));
    Population h = pop("h", NeuronKind::LIF, {n});
    h.params.decay_u = du;
    h.params.decay_v = dv;
    h.params.threshold = th;
    h.params.bias = bias;
    h.params.reset = ResetMode::Subtract;
    h.params.refractory_steps = 2;
    h.output = true;
    g.populations.push_back(h);
    g.projections.push_back(dense("w", "in", "h", w, n, n_in));
    const SpikeInput in = random_input(n_in, T, 5, 0.3f, 22);
    SnnSimulator sim(g);
    SnnRunOptions o;
    o.record_u = o.record_v = o.record_spikes = true;
    o.record_populations = {"h"};
    o.batch = 2;
    const SnnResult r = sim.run(in, o);
    REQUIRE(r.records.size() == 5);
    int64_t spikes = 0, refractory_steps = 0;
    for (size_t s = 0; s < 5; ++s) {
        std::vector<float> u(size_t(n), 0.0f), v(size_t(n), 0.0f);
        std::vector<int> refr(size_t(n), 0);
        for (int t = 0; t < T; ++t) {
            std::vector<int32_t> fired;
            for (int i = 0; i < n; ++i) {
                float current = 0.0f;
                for (int32_t j : in.samples[s].steps[size_t(t)]) current += w[size_t(i * n_in + j)];
                u[size_t(i)] = (1.0f - du) * u[size_t(i)] + current;
                if (refr[size_t(i)] > 0) {
                    v[size_t(i)] = 0.0f;
                    --refr[size_t(i)];
                    ++refractory_steps;
                } else {
                    v[size_t(i)] = (1.0f - dv) * v[size_t(i)] + u[size_t(i)] + bias;
                    if (v[size_t(i)] > th) {
                        v[size_t(i)] -= th;
                        refr[size_t(i)] = 2;
                        fired.push_back(i);
                    }
                }
                INFO("sample " << s << " step " << t << " neuron " << i);
                REQUIRE(r.records[s].u[1][size_t(t * n + i)] == Approx(u[size_t(i)]).margin(1e-4));
                REQUIRE(r.records[s].v[1][size_t(t * n + i)] == Approx(v[size_t(i)]).margin(1e-4));
            }
            INFO("sample " << s << " step " << t);
            REQUIRE(r.records[s].spikes[1][size_t(t)] == fired);
            spikes += int64_t(fired.size());
        }
    }
    CHECK(spikes > 500);  // the comparison covered many spikes and refractory periods
    CHECK(refractory_steps > 500);
}

TEST_CASE("Surrogate derivatives are the derivatives of their smooth stand-ins", "[snn][train]") {
    const float k = 4.0f, h = 1e-3f;
    for (float x : {-1.0f, -0.3f, 0.05f, 0.4f, 2.0f}) {
        auto fs_prim = [&](float z) { return z / (1 + k * std::fabs(z)); };
        auto at_prim = [&](float z) { return std::atan(1.5707963f * k * z) / 3.14159265f; };
        CHECK(surrogate_grad("fast_sigmoid", k, x) ==
              Approx((fs_prim(x + h) - fs_prim(x - h)) / (2 * h)).epsilon(1e-2));
        CHECK(surrogate_grad("arctan", k, x) ==
              Approx((at_prim(x + h) - at_prim(x - h)) / (2 * h)).epsilon(1e-2));
    }
}

TEST_CASE("BPTT gradients of the readout weights match finite differences and the trainer's "
          "forward pass matches the simulator",
          "[snn][train]") {
    const int T = 10, B = 3, NI = 6, NH = 8, K = 3;
    Graph g;
    g.name = "grad";
    g.timesteps = T;
    g.populations.push_back(pop("in", NeuronKind::Input, {NI}));
    Population h = pop("h", NeuronKind::LIF, {NH});
    h.params.decay_u = 0.5f;
    h.params.decay_v = 0.2f;
    h.params.threshold = 0.6f;
    h.params.reset = ResetMode::Subtract;
    g.populations.push_back(h);
    Population out = pop("out", NeuronKind::LI, {K});
    out.params.decay_u = 0.4f;
    out.params.decay_v = 0.1f;
    out.output = true;
    g.populations.push_back(out);
    g.projections.push_back(dense("a", "in", "h", random_vec(NH * NI, 21), NH, NI));
    g.projections.push_back(dense("b", "h", "out", random_vec(K * NH, 22), K, NH));
    SnnChain c = snn_chain(g);
    SnnTraining tr;
    tr.readout = "membrane";
    const SpikeInput in = random_input(NI, T, B, 0.5f, 23);
    Eigen::MatrixXf x = Eigen::MatrixXf::Zero(T * B, NI);
    for (int b = 0; b < B; ++b)
        for (int t = 0; t < T; ++t)
            for (int32_t j : in.samples[size_t(b)].steps[size_t(t)]) x(t * B + b, j) = 1.0f;
    const std::vector<int32_t> labels{0, 2, 1};
    std::vector<Eigen::MatrixXf> grads;
    Eigen::MatrixXf logits;
    snn_loss(g, c, tr, x, T, labels, &grads, &logits);

    // The readout of the simulator is the same mean LI membrane.
    SnnSimulator sim(g);
    const SnnResult r = sim.run(in);
    for (int b = 0; b < B; ++b)
        for (int k = 0; k < K; ++k) CHECK(r.readout[size_t(b)][size_t(k)] == Approx(logits(b, k)).margin(1e-4));

    // The readout layer is smooth in its weights (hidden spikes do not depend on them).
    const double eps = 1e-2;
    for (int j = 0; j < NH; ++j)
        for (int k = 0; k < K; ++k) {
            SnnChain p = c, m = c;
            p.wt[1](j, k) += float(eps);
            m.wt[1](j, k) -= float(eps);
            const double fd = (double(snn_loss(g, p, tr, x, T, labels, nullptr)) -
                               double(snn_loss(g, m, tr, x, T, labels, nullptr))) / (2 * eps);
            CHECK(grads[1](j, k) == Approx(fd).epsilon(2e-3).margin(1e-4));
        }
    // The hidden layer gets a surrogate gradient: nonzero, finite.
    CHECK(grads[0].allFinite());
    CHECK(grads[0].norm() > 0);
}

TEST_CASE("A short surrogate-gradient training run on the 8x8 digits beats chance by far",
          "[snn][train]") {
    const fs::path dir = fs::temp_directory_path() / ("sf_snn_train_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
        std::ofstream f(dir / "model.yaml");
        f << R"(name: digits-sg
timesteps: 8
dataset: digits
encoder: {kind: direct, gain: 1.0}
populations:
  - {name: in, kind: input, shape: [64]}
  - {name: h, kind: lif, size: 64, decay_u: 1.0, decay_v: 0.1, threshold: 1.0, reset: subtract}
  - {name: out, kind: li, size: 10, decay_u: 1.0, decay_v: 0.1, output: true}
projections:
  - {name: fc1, kind: dense, from: in, to: h}
  - {name: fc2, kind: dense, from: h, to: out}
training: {optimizer: adam, lr: 0.003, batch: 32, epochs: 3, surrogate: arctan, slope: 2, readout: membrane}
)";
    }
    TrainOptions o;
    o.seed = 3;
    o.out_dir = (dir / "net").string();
    const auto r = train_snn((dir / "model.yaml").string(), o);
    CHECK(r["accuracy"].get<double>() > 0.6);  // chance is 0.1
    // The saved network evaluates to the same accuracy in the simulator.
    EvalOptions e;
    const auto ev = eval_snn(o.out_dir, e);
    CHECK(ev["accuracy"].get<double>() == Approx(r["accuracy"].get<double>()));
    CHECK(fs::exists(dir / "net" / "training.yaml"));
    fs::remove_all(dir);
}

TEST_CASE("Surrogate-gradient training resumes from a checkpoint bit for bit",
          "[snn][train][checkpoint]") {
    const fs::path dir = fs::temp_directory_path() / ("sf_snn_ckpt_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string yaml = R"(name: digits-ck
timesteps: 6
dataset: digits
encoder: {kind: rate, max_rate: 0.8, seed: 4}
populations:
  - {name: in, kind: input, shape: [64]}
  - {name: h, kind: lif, size: 24, decay_u: 1.0, decay_v: 0.1, threshold: 1.0, reset: subtract}
  - {name: out, kind: li, size: 10, decay_u: 1.0, decay_v: 0.1, output: true}
projections:
  - {name: fc1, kind: dense, from: in, to: h}
  - {name: fc2, kind: dense, from: h, to: out}
training: {optimizer: adam, lr: 0.003, lr_decay: 0.9, batch: 50, epochs: 3, readout: membrane}
)";
    const std::string model = (dir / "model.yaml").string();
    sf_test::write_text(model, yaml);
    TrainOptions o;
    o.seed = 11;
    o.max_train = 300;
    o.max_test = 40;
    o.out_dir = (dir / "full").string();
    const auto full = train_snn(model, o);
    // Interrupted after 2 of 3 epochs, then resumed: the same bits and the whole history.
    o.epochs = 2;
    o.checkpoint_every = 1;
    o.out_dir = (dir / "part").string();
    train_snn(model, o);
    REQUIRE(fs::exists(dir / "part/checkpoint/state.json"));
    o.epochs = 3;
    o.checkpoint_every = 0;
    o.seed = 99;        // ignored: a resumed run keeps the checkpoint's seed
    o.max_train = -1;   // and its sample limit
    o.resume_dir = (dir / "part/checkpoint").string();
    o.out_dir = (dir / "resumed").string();
    const auto resumed = train_snn(model, o);
    const auto a = read_npz((dir / "full/weights.npz").string());
    const auto b = read_npz((dir / "resumed/weights.npz").string());
    for (const char* k : {"fc1.weights", "fc2.weights"}) {
        INFO(k);
        CHECK(a.at(k).bytes == b.at(k).bytes);
    }
    CHECK(resumed["epochs"].size() == 3);
    CHECK(resumed["epochs"][0]["loss"] == full["epochs"][0]["loss"]);
    CHECK(resumed["seed"] == 11);

    // A checkpoint of another model, or none at all, is refused with a clear error.
    sf_test::write_text((dir / "other.yaml").string(), sf_test::edit(yaml, "size: 24", "size: 25"));
    CHECK_THAT(sf_test::error_of([&] { train_snn((dir / "other.yaml").string(), o); }).what,
               Catch::Contains("does not match this model"));
    o.resume_dir = (dir / "full").string();  // a trained network, not a checkpoint
    CHECK_THAT(sf_test::error_of([&] { train_snn(model, o); }).what,
               Catch::Contains("no state.json"));
    // STDP learning is one pass over the data: checkpoints are refused, not ignored.
    sf_test::write_text((dir / "stdp.yaml").string(), "name: s\nmethod: diehl_cook\n");
    o.resume_dir.clear();
    o.checkpoint_every = 1;
    CHECK_THAT(sf_test::error_of([&] { train_snn((dir / "stdp.yaml").string(), o); }).what,
               Catch::Contains("not to an STDP model"));
    fs::remove_all(dir);
}

TEST_CASE("The trainer rejects networks it cannot train with clear errors", "[snn][train][errors]") {
    Graph g = probe_graph({1, 4, 4}, {1, 2, 2}, [] {
        Projection pr;
        pr.name = "p";
        pr.kind = ProjectionKind::SumPool;
        pr.kernel = {2, 2};
        pr.stride = {2, 2};
        return pr;
    }());
    try {
        snn_chain(g);
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        CHECK(std::string(e.what()).find("dense") != std::string::npos);
    }
    SnnSimulator sim(g);
    CHECK_THROWS_AS(sim.run(one_sample(5, {})), InputError);  // 5 inputs for 16 neurons
}

TEST_CASE("A converted ReLU MLP stays close to the ANN's accuracy on the digits", "[snn][convert]") {
    const fs::path dir = fs::temp_directory_path() / ("sf_snn_conv_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
        std::ofstream f(dir / "mlp.yaml");
        f << R"(name: digits-mlp
input_shape: [64]
dataset: digits
layers:
  - {kind: dense, units: 48}
  - {kind: relu}
  - {kind: dense, units: 10}
training: {optimizer: adam, lr: 0.01, batch: 32, epochs: 15}
)";
    }
    AnnModel m = load_ann((dir / "mlp.yaml").string());
    const Dataset train = load_dataset("digits", Split::Train);
    const Dataset test = load_dataset("digits", Split::Test);
    init_ann(m, 1);
    AnnOptimizer opt;
    opt.kind = "adam";
    AnnFitOptions fo;
    fo.epochs = 15;
    fit_ann(m, train, opt, fo);
    const double ann_acc = evaluate_ann(m, test).accuracy;
    REQUIRE(ann_acc > 0.85);
    ConvertOptions co;
    co.timesteps = 64;
    ConvertReport rep;
    const Graph g = convert_ann(m, train, co, &rep);
    CHECK(rep.layers.size() == 2);
    CHECK(g.populations[1].kind == NeuronKind::IF);
    CHECK(g.populations[1].params.reset == ResetMode::Subtract);
    SnnSimulator sim(g);
    const SnnResult r = simulate_dataset(sim, test, 0, -1);
    CHECK(r.run.accuracy() > ann_acc - 0.04);
    fs::remove_all(dir);
}

TEST_CASE("Float STDP follows the chip's rule order on hand-computed values", "[snn][stdp]") {
    StdpParams p;
    p.a_plus = 0.1f;
    p.a_minus = 0.05f;
    p.tau_pre = 10.0f;
    p.tau_post = 5.0f;
    p.w_min = 0.0f;
    p.w_max = 1.0f;
    StdpDense s(p, 2, 1, {0.5f, 0.5f});
    const float ex = std::exp(-0.1f), ey = std::exp(-0.2f);
    // step 0: pre 0 spikes; y_post = 0 so no depression; x = [1, 0].
    s.step({0}, {});
    CHECK(s.w[0] == Approx(0.5f));
    CHECK(s.x_pre[0] == Approx(1.0f));
    // step 1: post spikes: x decays to ex, w0 += 0.1 * ex; then y = 1.
    s.step({}, {0});
    CHECK(s.w[0] == Approx(0.5f + 0.1f * ex));
    CHECK(s.w[1] == Approx(0.5f));
    CHECK(s.y_post[0] == Approx(1.0f));
    // step 2: pre 1 and post spike together: y decays to ey, w1 -= 0.05 * ey (depression uses
    // y before this step's post spike), x1 becomes 1, then w1 += 0.1 * 1 and w0 += 0.1 * ex^2.
    s.step({1}, {0});
    CHECK(s.w[1] == Approx(0.5f - 0.05f * ey + 0.1f));
    CHECK(s.w[0] == Approx(0.5f + 0.1f * ex + 0.1f * ex * ex));
    CHECK(s.y_post[0] == Approx(ey + 1.0f));

    // The simulator's learning step applies the same rule to a dense projection.
    Graph g;
    g.name = "stdp";
    g.timesteps = 3;
    g.populations.push_back(pop("in", NeuronKind::Input, {2}));
    Population n = pop("n", NeuronKind::IF, {1});
    n.params.threshold = 100.0f;
    n.params.bias = 0.0f;
    n.output = true;
    g.populations.push_back(n);
    Projection pr = dense("w", "in", "n", {0.5f, 0.5f}, 1, 2);
    pr.stdp = p;
    g.projections.push_back(pr);
    // Drive the post neuron with a one-to-one kick so it spikes at steps 1 and 2.
    g.populations.push_back(pop("kick", NeuronKind::Input, {1}));
    Projection k;
    k.name = "kick_n";
    k.kind = ProjectionKind::OneToOne;
    k.pre = "kick";
    k.post = "n";
    k.scale = 1000.0f;
    g.projections.push_back(k);
    SnnSimulator sim(g);
    SnnRunOptions o;
    o.learn = true;
    // inputs: flat [in0, in1, kick]
    sim.run(one_sample(3, {{0}, {2}, {1, 2}}), o);
    const auto w = sim.graph().projections[0].weights.to<float>();
    CHECK(w[0] == Approx(s.w[0]));
    CHECK(w[1] == Approx(s.w[1]));
}
