// Helpers for the compiler tests: graphs built in code (seeded random networks of every
// projection kind), the compiler's own lowered synapse lists for comparison, and checks
// that read a ChipImage back into "which source reaches which target with what weight".
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "sf/compiler/compile.hpp"
#include "sf/compiler/ir.hpp"
#include "sf/compiler/passes/lower.hpp"
#include "sf/compiler/passes/quantize.hpp"
#include "sf/compiler/passes/validate.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/graph.hpp"

namespace sf::test {

inline Population make_pop(const std::string& name, NeuronKind kind, std::vector<int64_t> shape,
                           bool output = false) {
    Population p;
    p.name = name;
    p.kind = kind;
    p.shape = std::move(shape);
    p.output = output;
    // IF neurons are the no-leak, one-step-current case of the same unit.
    p.params.decay_u = kind == NeuronKind::IF ? 1.0f : 0.5f;
    p.params.decay_v = kind == NeuronKind::IF ? 0.0f : 0.25f;
    p.params.threshold = 1.0f;
    return p;
}

inline std::vector<float> random_weights(std::mt19937_64& rng, int64_t n, double zero_frac = 0.2) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<float> w(static_cast<size_t>(n));
    for (auto& x : w) x = u(rng) < zero_frac ? 0.0f : float(u(rng) * 2.0 - 1.0);
    return w;
}

inline Projection make_dense(std::mt19937_64& rng, const Graph& g, const std::string& name,
                             const std::string& pre, const std::string& post) {
    Projection p;
    p.name = name;
    p.kind = ProjectionKind::Dense;
    p.pre = pre;
    p.post = post;
    const int64_t a = g.find_population(pre)->size(), b = g.find_population(post)->size();
    p.weights = Tensor::from(random_weights(rng, a * b), {b, a});
    return p;
}

inline Projection make_sparse(std::mt19937_64& rng, const Graph& g, const std::string& name,
                              const std::string& pre, const std::string& post, int64_t nnz) {
    Projection p;
    p.name = name;
    p.kind = ProjectionKind::Sparse;
    p.pre = pre;
    p.post = post;
    const int64_t a = g.find_population(pre)->size(), b = g.find_population(post)->size();
    std::vector<int64_t> idx;
    for (int64_t k = 0; k < nnz; ++k) {
        idx.push_back(int64_t(rng() % uint64_t(a)));
        idx.push_back(int64_t(rng() % uint64_t(b)));
    }
    p.indices = Tensor::from(idx, {nnz, 2});
    p.weights = Tensor::from(random_weights(rng, nnz, 0.0), {nnz});
    return p;
}

inline Projection make_conv(std::mt19937_64& rng, const std::string& name, const std::string& pre,
                            const std::string& post, int64_t oc, int64_t ic, int k, int stride,
                            int pad) {
    Projection p;
    p.name = name;
    p.kind = ProjectionKind::Conv2d;
    p.pre = pre;
    p.post = post;
    p.weights =
        Tensor::from(random_weights(rng, oc * ic * k * k, 0.1), {oc, ic, int64_t(k), int64_t(k)});
    p.kernel = {k, k};
    p.stride = {stride, stride};
    p.padding = {pad, pad};
    return p;
}

inline Projection make_pool(const std::string& name, const std::string& pre,
                            const std::string& post, bool avg, int k) {
    Projection p;
    p.name = name;
    p.kind = avg ? ProjectionKind::AvgPool : ProjectionKind::SumPool;
    p.pre = pre;
    p.post = post;
    p.kernel = {k, k};
    p.stride = {k, k};
    p.scale = 0.75f;
    return p;
}

// Seeded random networks; kind is one of dense, conv, pooling, sparse, recurrent, mixed.
inline Graph random_network(const std::string& kind, uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto r = [&](int lo, int hi) { return lo + int(rng() % uint64_t(hi - lo + 1)); };
    Graph g;
    g.name = kind + "_" + std::to_string(seed);
    g.file = "random.yaml";
    if (kind == "dense") {
        g.populations.push_back(make_pop("in", NeuronKind::Input, {r(10, 60)}));
        g.populations.push_back(make_pop("h", NeuronKind::LIF, {r(10, 90)}));
        g.populations.push_back(make_pop("out", NeuronKind::LIF, {r(2, 10)}, true));
        g.projections.push_back(make_dense(rng, g, "fc1", "in", "h"));
        g.projections.push_back(make_dense(rng, g, "fc2", "h", "out"));
    } else if (kind == "conv" || kind == "pooling") {
        const int64_t c = r(1, 3), hw = 2 * r(3, 6), oc = r(2, 4);
        g.populations.push_back(make_pop("in", NeuronKind::Input, {c, hw, hw}));
        g.populations.push_back(make_pop("c1", NeuronKind::LIF, {oc, hw, hw}));
        g.projections.push_back(make_conv(rng, "conv1", "in", "c1", oc, c, 3, 1, 1));
        g.populations.push_back(make_pop("p1", NeuronKind::IF, {oc, hw / 2, hw / 2}));
        g.projections.push_back(make_pool("pool1", "c1", "p1", kind == "pooling", 2));
        if (kind == "conv") {
            const int64_t o2 = (hw / 2 - 3) / 2 + 1;
            g.populations.push_back(make_pop("c2", NeuronKind::LIF, {2, o2, o2}));
            g.projections.push_back(make_conv(rng, "conv2", "p1", "c2", 2, oc, 3, 2, 0));
            g.populations.push_back(make_pop("out", NeuronKind::LI, {5}, true));
            g.projections.push_back(make_dense(rng, g, "fc", "c2", "out"));
        } else {
            g.populations.push_back(make_pop("out", NeuronKind::LIF, {5}, true));
            g.projections.push_back(make_dense(rng, g, "fc", "p1", "out"));
        }
    } else if (kind == "sparse") {
        g.populations.push_back(make_pop("in", NeuronKind::Input, {r(20, 80)}));
        g.populations.push_back(make_pop("h", NeuronKind::LIF, {r(20, 80)}, true));
        g.projections.push_back(make_sparse(rng, g, "sp", "in", "h", r(50, 400)));
    } else if (kind == "recurrent") {
        g.populations.push_back(make_pop("in", NeuronKind::Input, {r(5, 40)}));
        g.populations.push_back(make_pop("r", NeuronKind::LIF, {r(10, 60)}, true));
        g.projections.push_back(make_dense(rng, g, "fin", "in", "r"));
        g.projections.push_back(make_sparse(rng, g, "rec", "r", "r", r(20, 200)));
    } else {  // mixed: duplicates from two projections, one-to-one, STDP, bias, subtract reset
        g.populations.push_back(make_pop("in", NeuronKind::Input, {r(10, 40)}));
        g.populations.push_back(make_pop("h", NeuronKind::LIF, {r(10, 40)}));
        g.populations.push_back(make_pop("o", NeuronKind::LIF, {g.populations[1].shape[0]}, true));
        g.populations[1].params.bias = 0.05f;
        g.populations[1].params.reset = ResetMode::Subtract;
        g.populations[2].params.refractory_steps = 2;
        g.projections.push_back(make_dense(rng, g, "a", "in", "h"));
        g.projections.push_back(make_sparse(rng, g, "b", "in", "h", r(20, 100)));
        Projection o2o;
        o2o.name = "copy";
        o2o.kind = ProjectionKind::OneToOne;
        o2o.pre = "h";
        o2o.post = "o";
        o2o.scale = 0.5f;
        g.projections.push_back(o2o);
        Projection learn = make_dense(rng, g, "learn", "in", "o");
        learn.stdp = StdpParams{};
        learn.stdp->w_min = -1.0f;
        g.projections.push_back(learn);
    }
    return g;
}

// (source global id, target population, target index) -> (weight, plastic)
using SynKey = std::tuple<int64_t, int, int64_t>;
using SynMap = std::map<SynKey, std::pair<int, bool>>;

// The compiler's lowered lists (validate, quantize, lower run directly).
inline SynMap lowered_synapses(const Graph& g, const ChipConfig& chip) {
    PassStats st;
    ir::Ir ir = passes::lower(passes::quantize(passes::validate(ir::make_ir(g, chip), st), st), st);
    SynMap m;
    for (int t = 0; t < ir.num_pops(); ++t) {
        const auto& sl = ir.syn[t];
        for (size_t i = 0; i + 1 < sl.post_ptr.size(); ++i)
            for (int64_t k = sl.post_ptr[i]; k < sl.post_ptr[i + 1]; ++k)
                m[{sl.pre[k], t, int64_t(i)}] = {sl.weight[k], sl.plastic[k] != 0};
    }
    return m;
}

inline std::vector<int64_t> pop_offsets(const Graph& g) {
    std::vector<int64_t> off{0};
    for (const auto& p : g.populations) off.push_back(off.back() + p.size());
    return off;
}

}  // namespace sf::test
