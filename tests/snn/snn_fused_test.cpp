// The fused surrogate-gradient trainer (snn_loss_fused) against the plain one (snn_loss):
// the same loss, readout and weight gradients up to float rounding, on chains with both
// reset modes, both surrogates, both readouts, more than 64 steps (several words per spike
// train) and inputs that share spike trains (what the grouping exploits).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "sf/core/error.hpp"
#include "sf/reference/encoders.hpp"
#include "sf/reference/snn_train.hpp"

using namespace sf;

namespace {

Population make_pop(const std::string& name, NeuronKind kind, int64_t n) {
    Population p;
    p.name = name;
    p.kind = kind;
    p.shape = {n};
    return p;
}

Projection make_dense(const std::string& name, const std::string& pre, const std::string& post,
                      int64_t npost, int64_t npre, float scale, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> nd(0.0f, scale);
    std::vector<float> w(size_t(npost * npre));
    for (float& x : w) x = nd(rng);
    Projection pr;
    pr.name = name;
    pr.kind = ProjectionKind::Dense;
    pr.pre = pre;
    pr.post = post;
    pr.weights = Tensor::from<float>(w, {npost, npre});
    return pr;
}

// Inputs [T * B, n]: half the inputs take one of four intensities and fire like the direct
// encoder (so many share a train), the rest fire at random.
Eigen::MatrixXf make_input(int T, int B, int n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> level(0, 4);
    std::bernoulli_distribution bit(0.3);
    Eigen::MatrixXf x = Eigen::MatrixXf::Zero(T * B, n);
    for (int b = 0; b < B; ++b)
        for (int j = 0; j < n; ++j) {
            if (j % 2 == 0) {
                const float p = 0.25f * float(level(rng));
                float acc = 0;
                for (int t = 0; t < T; ++t) {
                    acc += p;
                    if (acc >= 1.0f) {
                        x(t * B + b, j) = 1.0f;
                        acc -= 1.0f;
                    }
                }
            } else {
                for (int t = 0; t < T; ++t) x(t * B + b, j) = bit(rng) ? 1.0f : 0.0f;
            }
        }
    return x;
}

// in -> h1 (LIF, subtract) -> h2 (LIF, reset to zero) -> out (LI or LIF).
Graph make_chain(int T, bool spiking_out) {
    Graph g;
    g.name = "fused";
    g.timesteps = T;
    g.populations.push_back(make_pop("in", NeuronKind::Input, 70));
    Population h1 = make_pop("h1", NeuronKind::LIF, 100);
    h1.params.decay_u = 0.5f;
    h1.params.decay_v = 0.2f;
    h1.params.threshold = 0.6f;
    h1.params.reset = ResetMode::Subtract;
    g.populations.push_back(h1);
    Population h2 = make_pop("h2", NeuronKind::LIF, 80);
    h2.params.decay_u = 0.3f;
    h2.params.decay_v = 0.1f;
    h2.params.threshold = 0.5f;
    h2.params.reset = ResetMode::Zero;
    h2.params.bias = 0.02f;
    g.populations.push_back(h2);
    Population out = make_pop("out", spiking_out ? NeuronKind::LIF : NeuronKind::LI, 5);
    out.params.decay_u = 0.4f;
    out.params.decay_v = 0.1f;
    out.params.threshold = 0.4f;
    out.output = true;
    g.populations.push_back(out);
    g.projections.push_back(make_dense("a", "in", "h1", 100, 70, 0.25f, 11));
    g.projections.push_back(make_dense("b", "h1", "h2", 80, 100, 0.3f, 12));
    g.projections.push_back(make_dense("c", "h2", "out", 5, 80, 0.4f, 13));
    return g;
}

void check_close(const Eigen::MatrixXf& got, const Eigen::MatrixXf& want) {
    REQUIRE(got.rows() == want.rows());
    REQUIRE(got.cols() == want.cols());
    const float scale = std::max(want.cwiseAbs().maxCoeff(), 1e-6f);
    const float err = (got - want).cwiseAbs().maxCoeff();
    INFO("largest difference " << err << " of largest value " << scale);
    CHECK(err <= 2e-5f * scale + 1e-7f);
}

void compare(int T, bool spiking_out, const SnnTraining& tr) {
    const int B = 6;
    const Graph g = make_chain(T, spiking_out);
    const SnnChain c = snn_chain(g);
    const Eigen::MatrixXf x = make_input(T, B, 70, 5);
    const std::vector<int32_t> labels{0, 3, 1, 4, 2, 0};
    std::vector<Eigen::MatrixXf> want, got;
    Eigen::MatrixXf want_logits, got_logits;
    const float want_loss = snn_loss(g, c, tr, x, T, labels, &want, &want_logits);
    const SnnSpikeBatch in = spike_batch_from_dense(x, T, B);
    const float got_loss = snn_loss_fused(g, c, tr, in, labels, &got, &got_logits);
    CHECK(got_loss == Approx(want_loss).epsilon(1e-5));
    check_close(got_logits, want_logits);
    REQUIRE(got.size() == want.size());
    for (size_t l = 0; l < want.size(); ++l) {
        INFO("layer " << l);
        CHECK(want[l].norm() > 0);
        check_close(got[l], want[l]);
    }
    // Without gradients the loss and readout are the same.
    Eigen::MatrixXf logits_only;
    CHECK(snn_loss_fused(g, c, tr, in, labels, nullptr, &logits_only) == got_loss);
    CHECK(logits_only == got_logits);
}

}  // namespace

TEST_CASE(
    "The fused SNN trainer gives the plain trainer's loss and gradients with a membrane "
    "readout",
    "[snn][train][fused]") {
    SnnTraining tr;
    tr.readout = "membrane";
    tr.surrogate = "fast_sigmoid";
    tr.slope = 5.0f;
    compare(20, false, tr);
}

TEST_CASE(
    "The fused SNN trainer gives the plain trainer's loss and gradients with spike "
    "counts, the arctan surrogate and more than 64 steps",
    "[snn][train][fused]") {
    SnnTraining tr;
    tr.readout = "spike_count";
    tr.surrogate = "arctan";
    tr.slope = 2.0f;
    tr.count_scale = 0.5f;
    compare(70, true, tr);
}

TEST_CASE("The fused SNN trainer's readout gradient matches finite differences",
          "[snn][train][fused]") {
    const int T = 12, B = 4;
    const Graph g = make_chain(T, false);
    const SnnChain c = snn_chain(g);
    SnnTraining tr;
    tr.readout = "membrane";
    const SnnSpikeBatch in = spike_batch_from_dense(make_input(T, B, 70, 9), T, B);
    const std::vector<int32_t> labels{1, 0, 4, 2};
    std::vector<Eigen::MatrixXf> grads;
    snn_loss_fused(g, c, tr, in, labels, &grads);
    // The readout layer is smooth in its own weights (no spike above it depends on them).
    const double eps = 1e-2;
    int checked = 0;
    for (int j = 0; j < 80; j += 7)
        for (int k = 0; k < 5; ++k) {
            SnnChain p = c, m = c;
            p.wt[2](j, k) += float(eps);
            m.wt[2](j, k) -= float(eps);
            const double fd = (double(snn_loss_fused(g, p, tr, in, labels, nullptr)) -
                               double(snn_loss_fused(g, m, tr, in, labels, nullptr))) /
                              (2 * eps);
            CHECK(grads[2](j, k) == Approx(fd).epsilon(2e-3).margin(1e-4));
            ++checked;
        }
    CHECK(checked == 60);
}

TEST_CASE("A spike batch that does not match the labels is refused", "[snn][train][fused]") {
    const Graph g = make_chain(5, false);
    const SnnChain c = snn_chain(g);
    SnnTraining tr;
    tr.readout = "membrane";
    const SnnSpikeBatch in = spike_batch_from_dense(make_input(5, 3, 70, 1), 5, 3);
    CHECK_THROWS_AS(snn_loss_fused(g, c, tr, in, {0, 1}, nullptr), InputError);
}

TEST_CASE("The trainer's batch encoder gives encode()'s spikes for the direct and rate encoders",
          "[snn][train][fused]") {
    const Dataset ds = load_dataset("digits", Split::Train, 40);
    const std::vector<int64_t> idx{3, 0, 17, 39, 8};
    for (const EncoderKind kind : {EncoderKind::Direct, EncoderKind::Rate}) {
        for (const float gain : {1.0f, 0.37f, 1.3f}) {
            EncoderSpec enc;
            enc.kind = kind;
            enc.gain = gain;
            enc.max_rate = 0.5f;
            const int T = 70;  // two words per train
            const SnnSpikeBatch x = encode_spike_batch(ds, enc, T, idx, ds.sample_size());
            REQUIRE(x.words == 2);
            int64_t spikes = 0, differing = 0;
            for (size_t b = 0; b < idx.size(); ++b) {
                const SpikeInput in = encode(ds, enc, T, idx[b], 1);
                std::vector<uint64_t> want(size_t(ds.sample_size() * 2), 0);
                for (int t = 0; t < T; ++t)
                    for (int32_t j : in.samples[0].steps[size_t(t)]) {
                        want[size_t(j * 2 + t / 64)] |= uint64_t(1) << (t % 64);
                        ++spikes;
                    }
                for (size_t k = 0; k < want.size(); ++k)
                    if (want[k] != x.bits[b * want.size() + k]) ++differing;
            }
            INFO("encoder " << int(kind) << " gain " << gain);
            CHECK(spikes > 0);
            CHECK(differing == 0);
        }
    }
}
