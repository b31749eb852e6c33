// Surrogate-gradient BPTT (snn_train.hpp). The forward pass is the simulator's step
// equations with whole time series in matrices, so the input of a layer is one GEMM over
// all steps and samples; only the neuron recurrence loops over time.
#include <cmath>

#include <fmt/format.h>

#include "sf/core/error.hpp"
#include "sf/reference/snn_train.hpp"

namespace sf {

using Eigen::MatrixXf;

float surrogate_grad(const std::string& kind, float slope, float x) {
    if (kind == "arctan") {
        // d/dx of atan(pi/2 * slope * x) / pi + 1/2
        const float a = 1.5707963f * slope * x;
        return 0.5f * slope / (1.0f + a * a);
    }
    // fast sigmoid: d/dx of x / (1 + slope |x|) scaled to peak 1 (Zenke & Ganguli 2018)
    const float d = 1.0f + slope * std::fabs(x);
    return 1.0f / (d * d);
}

SnnChain snn_chain(const Graph& g) {
    SnnChain c;
    const auto ins = g.inputs();
    if (ins.size() != 1)
        throw InputError(fmt::format("the trainer needs exactly one input population, found {}",
                                     ins.size()),
                         g.file, "use one input population");
    int cur = g.population_index(ins[0]->name);
    c.pops.push_back(cur);
    std::vector<bool> used(g.projections.size(), false);
    for (;;) {
        int next = -1;
        for (size_t k = 0; k < g.projections.size(); ++k) {
            const Projection& pr = g.projections[k];
            if (g.population_index(pr.pre) != cur) continue;
            if (next >= 0)
                throw InputError("population '" + pr.pre + "' feeds more than one projection",
                                 at_file(pr.loc.file, pr.loc.line, "projection '" + pr.name + "'"),
                                 "the trainer handles a chain input -> hidden ... -> output");
            next = int(k);
        }
        if (next < 0) break;
        const Projection& pr = g.projections[size_t(next)];
        const std::string where = at_file(pr.loc.file, pr.loc.line, "projection '" + pr.name + "'");
        if (pr.kind != ProjectionKind::Dense)
            throw InputError(std::string("the trainer supports dense projections only, got ") +
                                 to_string(pr.kind),
                             where, "use kind: dense");
        if (pr.pre == pr.post)
            throw InputError("recurrent projections are not trained by the surrogate-gradient "
                             "trainer", where, "remove the recurrent projection");
        if (pr.delay != 1)
            throw InputError("the trainer supports delay 1 only", where, "use delay: 1");
        used[size_t(next)] = true;
        c.projs.push_back(next);
        cur = g.population_index(pr.post);
        c.pops.push_back(cur);
        const Population& post = g.populations[size_t(cur)];
        if (post.params.refractory_steps != 0)
            throw InputError("the trainer does not model refractory periods",
                             at_file(post.loc.file, post.loc.line, "population '" + post.name + "'"),
                             "use refractory: 0");
        const int64_t npre = g.populations[size_t(c.pops[c.pops.size() - 2])].size();
        const auto w = pr.weights.to<float>();
        MatrixXf wt(npre, post.size());
        for (int64_t i = 0; i < post.size(); ++i)
            for (int64_t j = 0; j < npre; ++j) wt(j, i) = w[size_t(i * npre + j)];
        c.wt.push_back(std::move(wt));
        if (c.pops.size() > g.populations.size()) break;
    }
    for (size_t k = 0; k < used.size(); ++k)
        if (!used[k])
            throw InputError("projection '" + g.projections[k].name + "' is not on the chain "
                             "input -> ... -> output",
                             at_file(g.projections[k].loc.file, g.projections[k].loc.line), "");
    if (c.projs.empty())
        throw InputError("the network has no projection to train", g.file, "add dense projections");
    const Population& out = g.populations[size_t(c.pops.back())];
    if (!out.output)
        throw InputError("the chain ends at '" + out.name + "', which is not the output", g.file,
                         "mark the last population output: true");
    for (size_t l = 1; l + 1 < c.pops.size(); ++l)
        if (g.populations[size_t(c.pops[l])].kind == NeuronKind::LI)
            throw InputError("hidden population '" + g.populations[size_t(c.pops[l])].name +
                                 "' is LI and never spikes",
                             g.file, "use lif or if for hidden layers");
    return c;
}

void snn_store_chain(Graph& g, const SnnChain& c) {
    for (size_t l = 0; l < c.projs.size(); ++l) {
        const MatrixXf& wt = c.wt[l];
        std::vector<float> w(size_t(wt.size()));
        for (int64_t i = 0; i < wt.cols(); ++i)
            for (int64_t j = 0; j < wt.rows(); ++j) w[size_t(i * wt.rows() + j)] = wt(j, i);
        g.projections[size_t(c.projs[l])].weights = Tensor::from<float>(w, {wt.cols(), wt.rows()});
    }
}

namespace {

struct LayerTape {
    MatrixXf a;  // input arriving [T*B, n_in]
    MatrixXf v;  // membrane before reset [T*B, n]
    MatrixXf s;  // spikes [T*B, n]
};

std::vector<float> bias_of(const Population& p) {
    if (p.bias) return p.bias->to<float>();
    return std::vector<float>(size_t(p.size()), p.params.bias);
}

}  // namespace

float snn_loss(const Graph& g, const SnnChain& c, const SnnTraining& tr, const MatrixXf& x,
               int T, const std::vector<int32_t>& labels, std::vector<MatrixXf>* grads,
               MatrixXf* logits_out) {
    const int64_t B = int64_t(labels.size());
    const size_t L = c.projs.size();
    std::vector<LayerTape> tape(L);
    MatrixXf input = x;
    for (size_t l = 0; l < L; ++l) {
        const Population& p = g.populations[size_t(c.pops[l + 1])];
        const int64_t n = p.size();
        const float ku = 1.0f - p.params.decay_u, kv = 1.0f - p.params.decay_v;
        const float th = p.params.threshold;
        const bool spiking = p.kind != NeuronKind::LI;
        const bool sub = p.params.reset == ResetMode::Subtract;
        const auto bias = bias_of(p);
        LayerTape& tp = tape[l];
        tp.a = std::move(input);
        MatrixXf cur = tp.a * c.wt[l];
        tp.v.resize(T * B, n);
        tp.s.setZero(T * B, n);
        MatrixXf u = MatrixXf::Zero(B, n), v = MatrixXf::Zero(B, n);
        for (int t = 0; t < T; ++t) {
            u = ku * u + cur.middleRows(t * B, B);
            for (int64_t i = 0; i < n; ++i)
                for (int64_t b = 0; b < B; ++b) {
                    float vv = kv * v(b, i) + u(b, i) + bias[size_t(i)];
                    tp.v(t * B + b, i) = vv;
                    if (spiking && vv > th) {
                        tp.s(t * B + b, i) = 1.0f;
                        vv = sub ? vv - th : 0.0f;
                    }
                    v(b, i) = vv;
                }
        }
        // The next layer sees these spikes one step later.
        input = MatrixXf::Zero(T * B, n);
        if (T > 1) input.bottomRows((T - 1) * B) = tp.s.topRows((T - 1) * B);
    }

    // Readout and cross-entropy.
    const Population& out = g.populations[size_t(c.pops.back())];
    const int64_t K = out.size();
    const bool membrane = tr.readout == "membrane";
    MatrixXf logits = MatrixXf::Zero(B, K);
    const LayerTape& last = tape.back();
    for (int t = 0; t < T; ++t) {
        if (membrane) logits += last.v.middleRows(t * B, B) / float(T);
        else logits += tr.count_scale * last.s.middleRows(t * B, B);
    }
    float loss = 0;
    MatrixXf dlog(B, K);
    for (int64_t b = 0; b < B; ++b) {
        const float mx = logits.row(b).maxCoeff();
        double z = 0;
        for (int64_t k = 0; k < K; ++k) z += std::exp(double(logits(b, k) - mx));
        const int y = labels[size_t(b)];
        if (y < 0 || y >= K)
            throw InputError(fmt::format("label {} is outside the {} outputs", y, K), g.file,
                             "give the output population one neuron per class");
        loss += float(std::log(z) - double(logits(b, y) - mx));
        for (int64_t k = 0; k < K; ++k)
            dlog(b, k) = float(std::exp(double(logits(b, k) - mx)) / z) / float(B);
        dlog(b, y) -= 1.0f / float(B);
    }
    loss /= float(B);
    if (logits_out) *logits_out = logits;
    if (!grads) return loss;

    grads->assign(L, MatrixXf());
    MatrixXf gs;  // d loss / d spikes of the current layer [T*B, n]
    for (size_t li = L; li-- > 0;) {
        const Population& p = g.populations[size_t(c.pops[li + 1])];
        const int64_t n = p.size();
        const float ku = 1.0f - p.params.decay_u, kv = 1.0f - p.params.decay_v;
        const float th = p.params.threshold;
        const bool spiking = p.kind != NeuronKind::LI;
        const bool sub = p.params.reset == ResetMode::Subtract;
        const LayerTape& tp = tape[li];
        MatrixXf gi(T * B, n);  // d loss / d input current
        MatrixXf gv_next = MatrixXf::Zero(B, n), gu_next = MatrixXf::Zero(B, n);
        for (int t = T - 1; t >= 0; --t) {
            for (int64_t i = 0; i < n; ++i)
                for (int64_t b = 0; b < B; ++b) {
                    const int64_t r = t * B + b;
                    // v[t+1] depends on the post-reset v[t]; the reset itself is detached.
                    float carry = kv * gv_next(b, i);
                    float gv;
                    if (spiking) {
                        if (!sub && tp.s(r, i) != 0.0f) carry = 0.0f;
                        const float ds = li + 1 == L ? (membrane ? 0.0f : tr.count_scale * dlog(b, i))
                                                     : gs(r, i);
                        gv = ds * surrogate_grad(tr.surrogate, tr.slope, tp.v(r, i) - th) + carry;
                    } else {
                        gv = (li + 1 == L ? dlog(b, i) / float(T) : 0.0f) + carry;
                    }
                    const float gu = gv + ku * gu_next(b, i);
                    gi(r, i) = gu;
                    gv_next(b, i) = gv;
                    gu_next(b, i) = gu;
                }
        }
        (*grads)[li].noalias() = tp.a.transpose() * gi;
        if (li > 0) {
            // a[t] of this layer = s[t-1] of the previous one.
            MatrixXf ga = gi * c.wt[li].transpose();
            gs = MatrixXf::Zero(T * B, ga.cols());
            if (T > 1) gs.topRows((T - 1) * B) = ga.bottomRows((T - 1) * B);
        }
    }
    return loss;
}

}  // namespace sf
