// Graph IR → NIR graph. Each population becomes a neuron node whose NIR equations,
// discretized by forward Euler with dt = dt_ms / 1000 (docs/nir.md), give back its decays;
// r and w_in are chosen so that every incoming weight passes with gain 1. Each projection
// becomes one weight node (Linear, Conv2d, SumPool2d, AvgPool2d, Scale), followed by a Scale
// for a pooling scale and a Delay for a delay above one step.
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "sf/core/error.hpp"
#include "sf/nir/nir_import.hpp"

namespace sf::nir {

namespace {

std::vector<double> broadcast(double v, int64_t n) {
    return std::vector<double>(std::size_t(n), v);
}

Array shaped(std::vector<double> v, const std::vector<int64_t>& shape, bool f32 = false) {
    return Array::vec(std::move(v), shape, f32);
}

std::vector<double> to_double(const Tensor& t) {
    std::vector<float> f = t.to<float>();
    return std::vector<double>(f.begin(), f.end());
}

}  // namespace

ExportResult export_nir(const Graph& g) {
    validate_graph(g);
    ExportResult res;
    // dt_ms is a float: take its shortest decimal form, so 0.1 ms is 1e-4 s, not 1.0000000149e-4.
    const double dt = std::stod(fmt::format("{}", g.dt_ms)) / 1000.0;
    res.dt = dt;
    Node graph;
    graph.type = "NIRGraph";
    std::set<std::string> used;
    for (const auto& p : g.populations) used.insert(p.name);
    auto unique = [&](std::string base) {
        std::string u = base;
        for (int k = 2; used.count(u); ++k) u = base + "_" + std::to_string(k);
        used.insert(u);
        return u;
    };
    auto where = [&](const std::string& what, const std::string& name) {
        return at_file(g.file, 0, what + " '" + name + "'");
    };

    // Bias that must ride on an incoming weight node (IF and I have no leak term).
    std::map<std::string, std::vector<double>> carried_bias;
    bool first_spiking = true;
    for (const Population& p : g.populations) {
        const int64_t n = p.size();
        Node node;
        if (p.kind == NeuronKind::Input) {
            node.type = "Input";
            node.fields["shape"] = Array::ints(p.shape);
            graph.nodes.emplace_back(p.name, node);
            continue;
        }
        const NeuronParams& np = p.params;
        std::vector<double> bias = p.bias ? to_double(*p.bias) : broadcast(np.bias, n);
        const double du = p.kind == NeuronKind::IF ? 1.0 : double(np.decay_u);
        const double dv = p.kind == NeuronKind::IF ? 0.0 : double(np.decay_v);
        const bool spiking = p.kind != NeuronKind::LI;
        bool any_bias = false;
        for (double b : bias) any_bias |= b != 0.0;
        if (spiking) {
            if (first_spiking) {
                res.reset = np.reset;
                res.refractory_steps = np.refractory_steps;
                first_spiking = false;
            } else if (np.reset != res.reset || np.refractory_steps != res.refractory_steps) {
                res.warnings.push_back(
                    "population '" + p.name + "' resets by " + to_string(np.reset) +
                    " with refractory " + std::to_string(np.refractory_steps) +
                    "; NIR carries neither, and an import gives every population the same "
                    "--reset and --refractory");
            }
        }
        if (du < 1.0 && (du <= 0.0 || dv <= 0.0))
            throw InputError("population '" + p.name + "' has decay_u " + std::to_string(du) +
                                 " and decay_v " + std::to_string(dv) +
                                 ", which NIR's CubaLIF/CubaLI cannot express",
                             where("population", p.name),
                             "NIR's current-based neurons need a finite tau_syn and tau_mem: give "
                             "decay_u and decay_v > 0");
        auto set_common = [&]() {
            if (spiking) {
                node.fields["v_threshold"] = shaped(broadcast(np.threshold, n), p.shape);
                node.fields["v_reset"] = shaped(broadcast(0.0, n), p.shape);
            }
        };
        std::vector<double> v_leak(bias);
        for (double& v : v_leak) v /= (dv > 0 ? dv : 1.0);
        if (dv == 0.0) {
            // IF (spiking) or I: dv/dt = r I, so dt * r = 1 passes weights unchanged.
            node.type = spiking ? "IF" : "I";
            node.fields["r"] = shaped(broadcast(1.0 / dt, n), p.shape);
            if (any_bias) carried_bias[p.name] = bias;
        } else if (du >= 1.0) {
            node.type = spiking ? "LIF" : "LI";
            node.fields["tau"] = shaped(broadcast(dt / dv, n), p.shape);
            node.fields["r"] = shaped(broadcast(1.0 / dv, n), p.shape);
            node.fields["v_leak"] = shaped(v_leak, p.shape);
        } else {
            node.type = spiking ? "CubaLIF" : "CubaLI";
            node.fields["tau_syn"] = shaped(broadcast(dt / du, n), p.shape);
            node.fields["tau_mem"] = shaped(broadcast(dt / dv, n), p.shape);
            node.fields["r"] = shaped(broadcast(1.0 / dv, n), p.shape);
            node.fields["w_in"] = shaped(broadcast(1.0 / du, n), p.shape);
            node.fields["v_leak"] = shaped(v_leak, p.shape);
        }
        set_common();
        graph.nodes.emplace_back(p.name, node);
    }

    for (const Projection& pr : g.projections) {
        const Population* pre = g.find_population(pr.pre);
        const Population* post = g.find_population(pr.post);
        const int64_t n_pre = pre->size(), n_post = post->size();
        Node op;
        const std::string name = unique(pr.name);
        std::vector<double> bias_here;
        auto take_bias = [&]() {
            auto it = carried_bias.find(pr.post);
            if (it == carried_bias.end()) return false;
            bias_here = it->second;
            carried_bias.erase(it);
            return true;
        };
        if (pr.stdp)
            res.warnings.push_back(
                "projection '" + pr.name +
                "' learns by STDP; NIR has no plasticity, its current weights are written");
        switch (pr.kind) {
            case ProjectionKind::Dense:
            case ProjectionKind::Sparse: {
                std::vector<double> w;
                if (pr.kind == ProjectionKind::Dense) {
                    w = to_double(pr.weights);
                } else {
                    res.warnings.push_back(
                        "projection '" + pr.name +
                        "' is sparse; NIR has no sparse weights, it is written as a dense Linear");
                    w.assign(std::size_t(n_pre * n_post), 0.0);
                    const std::vector<int64_t> idx = pr.indices.to<int64_t>();
                    const std::vector<float> val = pr.weights.to<float>();
                    for (std::size_t k = 0; k < val.size(); ++k)
                        w[std::size_t(idx[2 * k + 1] * n_pre + idx[2 * k])] += val[k];
                }
                op.fields["weight"] = shaped(w, {n_post, n_pre}, true);
                if (take_bias()) {
                    op.type = "Affine";
                    op.fields["bias"] = shaped(bias_here, {n_post}, true);
                } else {
                    op.type = "Linear";
                }
                break;
            }
            case ProjectionKind::Conv2d: {
                op.type = "Conv2d";
                op.fields["weight"] = shaped(to_double(pr.weights), pr.weights.shape, true);
                op.fields["stride"] = Array::ints({pr.stride[0], pr.stride[1]});
                op.fields["padding"] = Array::ints({pr.padding[0], pr.padding[1]});
                op.fields["dilation"] = Array::ints({1, 1});
                op.fields["groups"] = Array::ints({1}, true);
                op.fields["input_shape"] = Array::ints({pre->shape[1], pre->shape[2]});
                const int64_t co = post->shape[0], hw = n_post / co;
                std::vector<double> b(std::size_t(co), 0.0);
                auto it = carried_bias.find(pr.post);
                if (it != carried_bias.end()) {
                    bool per_channel = true;
                    for (int64_t c = 0; c < co; ++c)
                        for (int64_t i = 0; i < hw; ++i)
                            per_channel &= it->second[std::size_t(c * hw + i)] ==
                                           it->second[std::size_t(c * hw)];
                    if (per_channel) {
                        for (int64_t c = 0; c < co; ++c)
                            b[std::size_t(c)] = it->second[std::size_t(c * hw)];
                        carried_bias.erase(it);
                    }
                }
                op.fields["bias"] = shaped(b, {co}, true);
                break;
            }
            case ProjectionKind::SumPool:
            case ProjectionKind::AvgPool:
                op.type = pr.kind == ProjectionKind::SumPool ? "SumPool2d" : "AvgPool2d";
                op.fields["kernel_size"] = Array::ints({pr.kernel[0], pr.kernel[1]});
                op.fields["stride"] = Array::ints({pr.stride[0], pr.stride[1]});
                op.fields["padding"] = Array::ints({pr.padding[0], pr.padding[1]});
                break;
            case ProjectionKind::OneToOne:
                op.type = "Scale";
                op.fields["scale"] = shaped(
                    pr.weights.bytes.empty() ? broadcast(pr.scale, n_post) : to_double(pr.weights),
                    post->shape, true);
                break;
        }
        graph.nodes.emplace_back(name, op);
        std::string last = name;
        auto chain = [&](const std::string& suffix, Node node) {
            const std::string nn = unique(pr.name + suffix);
            graph.nodes.emplace_back(nn, node);
            graph.edges.emplace_back(last, nn);
            last = nn;
        };
        graph.edges.emplace_back(pr.pre, name);
        if ((pr.kind == ProjectionKind::SumPool || pr.kind == ProjectionKind::AvgPool) &&
            pr.scale != 1.0f) {
            Node s;
            s.type = "Scale";
            s.fields["scale"] = shaped(broadcast(pr.scale, n_post), post->shape, true);
            chain(".scale", s);
        }
        if (pr.delay > 1) {
            Node d;
            d.type = "Delay";
            d.fields["delay"] = shaped(broadcast((pr.delay - 1) * dt, n_post), post->shape);
            chain(".delay", d);
        }
        graph.edges.emplace_back(last, pr.post);
    }

    // Biases no incoming weight node could carry: an Affine with zero weights from the
    // first input population (the importer drops zero weights and keeps the bias).
    const Population* src = g.inputs().empty() ? nullptr : g.inputs()[0];
    for (const auto& [pop, bias] : carried_bias) {
        const Population* post = g.find_population(pop);
        if (!src)
            throw InputError(
                "population '" + pop + "' has a bias but the network has no input to carry it",
                where("population", pop), "add an input population");
        Node a;
        a.type = "Affine";
        a.fields["weight"] =
            shaped(std::vector<double>(std::size_t(post->size() * src->size()), 0.0),
                   {post->size(), src->size()}, true);
        a.fields["bias"] = shaped(bias, {post->size()}, true);
        const std::string nn = unique(pop + ".bias");
        graph.nodes.emplace_back(nn, a);
        graph.edges.emplace_back(src->name, nn);
        graph.edges.emplace_back(nn, pop);
    }

    const auto outs = g.outputs();
    for (const Population* p : outs) {
        Node o;
        o.type = "Output";
        o.fields["shape"] = Array::ints(p->shape);
        const std::string nn = unique(outs.size() == 1 ? "output" : "output." + p->name);
        graph.nodes.emplace_back(nn, o);
        graph.edges.emplace_back(p->name, nn);
    }
    res.file.version = kNirVersion;
    res.file.graph = std::move(graph);
    return res;
}

}  // namespace sf::nir
