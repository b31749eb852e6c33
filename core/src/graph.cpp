// Network YAML reading, checking and writing (see graph.hpp, docs/formats.md "Network YAML").
// Loading is two steps: parse (syntax, key names, value types, tensor files) into a Graph
// that remembers where each node came from, then validate_graph (references, shapes,
// ranges), so that files and graphs built in memory get exactly the same checks.
#include "sf/core/graph.hpp"

#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <unistd.h>

#include "sf/core/error.hpp"
#include "sf/core/input_file.hpp"
#include "sf/core/temp_dir.hpp"

namespace fs = std::filesystem;

namespace sf {

// ----------------------------------------------------------------------------- names

const char* to_string(NeuronKind k) {
    switch (k) {
        case NeuronKind::Input: return "input";
        case NeuronKind::LIF: return "lif";
        case NeuronKind::IF: return "if";
        case NeuronKind::LI: return "li";
    }
    return "?";
}

ChipNeuronHint nearest_chip_neuron(const std::string& kind) {
    const std::string lif = "the nearest chip neuron is kind: lif (CUBA LIF, docs/chip-spec.md)";
    const std::string course = "; the full model runs in the float reference: spikeforge course "
                               "neuron --model ";
    if (kind == "alif")
        return {"the chip cannot run 'alif' (adaptive LIF) neurons: it has no adaptive threshold",
                lif + " with the same tau_mem_ms and the resting threshold (the threshold "
                      "adaptation, delta_theta, is dropped)" + course + "alif"};
    if (kind == "adex")
        return {"the chip cannot run 'adex' (adaptive exponential) neurons: it has neither the "
                "exponential upswing nor the adaptation current w",
                lif + " with tau_mem_ms = C / g_L and the threshold at V_T - E_L (spike "
                      "initiation and adaptation are dropped)" + course + "adex"};
    if (kind == "izhikevich")
        return {"the chip cannot run 'izhikevich' neurons: it has no quadratic membrane and no "
                "recovery variable u",
                lif + " with reset: zero; regular spiking is the closest pattern (bursting, "
                      "chattering and adaptation are lost)" + course + "izhikevich"};
    if (kind == "hh")
        return {"the chip cannot run 'hh' (Hodgkin-Huxley) neurons: it has no voltage-gated "
                "sodium and potassium channels",
                lif + " with tau_mem_ms = C_m / g_L (3.3 ms for the squid axon) and a threshold "
                      "about 10 mV above rest (spike shape and type II onset are lost)" +
                    course + "hh"};
    if (kind == "coba")
        return {"the chip cannot run conductance-based ('coba') synapses: its synapses inject "
                "a current, with no driving force (E_rev - V)",
                "the nearest chip synapse is current-based: use kind: lif and set tau_syn_ms to "
                "the conductance's decay time; the float model is sf::neurons::run_cond "
                "(docs/course.md, step 5)"};
    return {};
}

const char* to_string(ResetMode m) {
    switch (m) {
        case ResetMode::Zero: return "zero";
        case ResetMode::Subtract: return "subtract";
    }
    return "?";
}

const char* to_string(ProjectionKind k) {
    switch (k) {
        case ProjectionKind::Dense: return "dense";
        case ProjectionKind::Conv2d: return "conv2d";
        case ProjectionKind::SumPool: return "sum_pool";
        case ProjectionKind::AvgPool: return "avg_pool";
        case ProjectionKind::OneToOne: return "one_to_one";
        case ProjectionKind::Sparse: return "sparse";
    }
    return "?";
}

const char* to_string(EncoderKind k) {
    switch (k) {
        case EncoderKind::Rate: return "rate";
        case EncoderKind::Direct: return "direct";
        case EncoderKind::Latency: return "latency";
    }
    return "?";
}

// ----------------------------------------------------------------------------- Graph

int64_t Population::size() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

const Population* Graph::find_population(const std::string& n) const {
    for (const auto& p : populations)
        if (p.name == n) return &p;
    return nullptr;
}

Population* Graph::find_population(const std::string& n) {
    for (auto& p : populations)
        if (p.name == n) return &p;
    return nullptr;
}

int Graph::population_index(const std::string& n) const {
    for (size_t i = 0; i < populations.size(); ++i)
        if (populations[i].name == n) return int(i);
    return -1;
}

std::vector<const Population*> Graph::inputs() const {
    std::vector<const Population*> r;
    for (const auto& p : populations)
        if (p.kind == NeuronKind::Input) r.push_back(&p);
    return r;
}

std::vector<const Population*> Graph::outputs() const {
    std::vector<const Population*> r;
    for (const auto& p : populations)
        if (p.output) r.push_back(&p);
    // No population marked: the last one is the output (docs/formats.md).
    if (r.empty() && !populations.empty()) r.push_back(&populations.back());
    return r;
}

namespace {

constexpr int64_t kMaxNeurons = 2147483647;  // per population
// Longest refractory period: the chip's counter is at most 16 bits (chip.refractory_bits).
constexpr int kMaxRefractory = 65535;
// Largest magnitude of an STDP constant (weight units, or steps for the time constants).
constexpr float kMaxStdpMagnitude = 1e6f;

// A tensor is absent when it was never set (default: scalar shape, no bytes).
bool has_tensor(const Tensor& t) { return !t.shape.empty() || !t.bytes.empty(); }

std::string shape_string(const std::vector<int64_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

bool valid_name(const std::string& n) {
    if (n.empty()) return false;
    for (char c : n) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

std::string pop_node(const std::string& n) { return "population '" + n + "'"; }
std::string proj_node(const std::string& n) { return "projection '" + n + "'"; }

// ----------------------------------------------------------------------------- validation

struct Checker {
    const Graph& g;

    std::string where(const SourceLoc& loc, const std::string& node) const {
        return at_file(loc.file.empty() ? g.file : loc.file, loc.line, node);
    }
    std::string where_graph() const { return at_file(g.file, 0, "network"); }

    void finite_tensor(const Tensor& t, const std::string& what, const std::string& w) const {
        std::vector<double> v;
        try {
            v = t.to<double>();
        } catch (const InputError& e) {
            throw InputError(what + ": " + e.problem(), w, e.fix());
        }
        for (size_t i = 0; i < v.size(); ++i) {
            if (!std::isfinite(v[i])) {
                throw InputError(fmt::format("{} holds a non-finite value ({}) at flat index {}",
                                             what, v[i], i),
                                 w, "replace NaN/Inf values before saving the tensor");
            }
        }
    }

    void expect_shape(const Tensor& t, const std::vector<int64_t>& want, const std::string& what,
                      const std::string& layout, const std::string& w) const {
        if (t.shape != want) {
            throw InputError(what + " have shape " + t.shape_str() + ", expected " +
                                 shape_string(want) + " " + layout,
                             w, "save the tensor with the expected shape");
        }
    }

    void graph_params() const {
        const std::string w = where_graph();
        if (!(std::isfinite(g.dt_ms) && g.dt_ms > 0))
            throw InputError(fmt::format("dt_ms = {} must be > 0", g.dt_ms), w, "use e.g. dt_ms: 1.0");
        if (g.timesteps < 1 || g.timesteps > kMaxTimesteps)
            throw InputError(fmt::format("timesteps = {} must lie in [1, 2^24]", g.timesteps), w,
                             "use e.g. timesteps: 32");
        const EncoderSpec& e = g.encoder;
        if (!(std::isfinite(e.max_rate) && e.max_rate >= 0 && e.max_rate <= 1))
            throw InputError(fmt::format("encoder max_rate = {} must lie in [0, 1]", e.max_rate), w,
                             "it is a spike probability per step");
        if (!(std::isfinite(e.gain) && e.gain >= 0))
            throw InputError(fmt::format("encoder gain = {} must be >= 0", e.gain), w,
                             "give a finite gain >= 0, e.g. gain: 1.0");
        if (!(std::isfinite(e.min_intensity) && e.min_intensity >= 0 && e.min_intensity <= 1))
            throw InputError(
                fmt::format("encoder min_intensity = {} must lie in [0, 1]", e.min_intensity), w,
                "it is an intensity in [0, 1]");
    }

    void population(const Population& p) const {
        const std::string w = where(p.loc, pop_node(p.name));
        if (!valid_name(p.name))
            throw InputError("population name '" + p.name + "' is empty or has characters other "
                             "than letters, digits, '_', '-', '.'",
                             w, "rename it, e.g. 'hidden1'");
        if (p.shape.empty())
            throw InputError("population has no shape", w, "give shape: [n] or size: n");
        int64_t total = 1;
        for (int64_t d : p.shape) {
            if (d < 1)
                throw InputError("population shape " + shape_string(p.shape) +
                                     " has a dimension < 1",
                                 w, "every dimension must be >= 1");
            if (d > kMaxNeurons || total > kMaxNeurons / d)
                throw InputError("population shape " + shape_string(p.shape) +
                                     " holds more than 2^31 - 1 neurons",
                                 w, "use a smaller population");
            total *= d;
        }
        if (p.kind == NeuronKind::Input) {
            if (p.bias)
                throw InputError("an input population has no bias", w, "remove the bias");
            if (p.output)
                throw InputError("an input population cannot be the network's output", w,
                                 "mark a neuron population with output: true");
            return;
        }
        const NeuronParams& np = p.params;
        auto in01 = [](float x) { return std::isfinite(x) && x >= 0.0f && x <= 1.0f; };
        if (!in01(np.decay_u))
            throw InputError(fmt::format("decay_u = {} must lie in [0, 1]", np.decay_u), w,
                             "give a fraction per step, or tau_syn_ms > 0");
        if (!in01(np.decay_v))
            throw InputError(fmt::format("decay_v = {} must lie in [0, 1]", np.decay_v), w,
                             "give a fraction per step, or tau_mem_ms > 0");
        if (p.kind == NeuronKind::IF && (np.decay_u != 1.0f || np.decay_v != 0.0f))
            throw InputError(fmt::format("an 'if' population has decay_u = 1 and decay_v = 0, "
                                         "got decay_u = {}, decay_v = {}",
                                         np.decay_u, np.decay_v),
                             w, "use kind: lif for leaky neurons");
        if (!std::isfinite(np.threshold))
            throw InputError("threshold is not finite", w, "give a number > 0");
        if (p.kind != NeuronKind::LI && !(np.threshold > 0))
            throw InputError(fmt::format("threshold = {} must be > 0 for spiking neurons",
                                         np.threshold),
                             w, "use a positive threshold, e.g. 1.0");
        if (np.refractory_steps < 0 || np.refractory_steps > kMaxRefractory)
            throw InputError(fmt::format("refractory = {} is out of range [0, 65535]",
                                         np.refractory_steps),
                             w, "give a number of steps (the chip's counter is at most 16 bits)");
        if (!std::isfinite(np.bias))
            throw InputError("bias is not finite", w, "give a finite number");
        if (p.bias) {
            // Flat [size] or the population's own shape: both are C-order the same.
            if (p.bias->shape != p.shape)
                expect_shape(*p.bias, {p.size()}, "bias values",
                             "([population size] or the population shape)", w);
            finite_tensor(*p.bias, "bias", w);
        }
    }

    void stdp(const StdpParams& s, const std::string& w) const {
        for (float x : {s.a_plus, s.a_minus, s.tau_pre, s.tau_post, s.w_min, s.w_max}) {
            if (!std::isfinite(x))
                throw InputError("stdp parameters must be finite", w, "give finite numbers");
        }
        if (!(s.tau_pre > 0) || !(s.tau_post > 0))
            throw InputError(fmt::format("stdp tau_pre = {} and tau_post = {} must be > 0",
                                         s.tau_pre, s.tau_post),
                             w, "give trace time constants in steps, e.g. 20");
        if (s.w_min > s.w_max)
            throw InputError(fmt::format("stdp w_min = {} exceeds w_max = {}", s.w_min, s.w_max),
                             w, "swap them");
        // Weight-unit constants: beyond 10^6 they are typing errors, and their products with
        // the weight scale would overflow the quantizer's arithmetic.
        const std::pair<const char*, float> bounded[] = {
            {"a_plus", s.a_plus}, {"a_minus", s.a_minus}, {"w_min", s.w_min}, {"w_max", s.w_max}};
        for (const auto& [key, x] : bounded)
            if (!(std::fabs(x) <= kMaxStdpMagnitude))
                throw InputError(fmt::format("stdp {} = {} is out of range [-1e6, 1e6]", key, x),
                                 w, "give STDP constants in weight units, e.g. a_plus: 0.01");
        if (!(s.tau_pre <= kMaxStdpMagnitude) || !(s.tau_post <= kMaxStdpMagnitude))
            throw InputError(fmt::format("stdp tau_pre = {} or tau_post = {} is out of range "
                                         "(0, 1e6] steps",
                                         s.tau_pre, s.tau_post),
                             w, "give trace time constants in steps, e.g. 20");
    }

    void projection(const Projection& pr) const {
        const std::string w = where(pr.loc, proj_node(pr.name));
        if (!valid_name(pr.name))
            throw InputError("projection name '" + pr.name + "' is empty or has characters "
                             "other than letters, digits, '_', '-', '.'",
                             w, "rename it, e.g. 'fc1'");
        const Population* pre = g.find_population(pr.pre);
        const Population* post = g.find_population(pr.post);
        auto known = [&] {
            std::string s;
            for (const auto& p : g.populations) s += (s.empty() ? "" : ", ") + p.name;
            return "known populations: " + s;
        };
        if (!pre) throw InputError("unknown population '" + pr.pre + "' in from:", w, known());
        if (!post) throw InputError("unknown population '" + pr.post + "' in to:", w, known());
        if (post->kind == NeuronKind::Input)
            throw InputError("projection targets input population '" + post->name +
                                 "'; input populations are driven by the host only",
                             w, "target a neuron population (lif, if, li)");
        if (pr.delay < 1)
            throw InputError(fmt::format("delay = {} must be >= 1 step", pr.delay), w, "use delay: 1");
        // A longer delay never arrives within a sample, and the simulator keeps a ring of
        // `delay` spike matrices.
        if (pr.delay > g.timesteps)
            throw InputError(fmt::format("delay = {} exceeds the network's timesteps = {}: its "
                                         "spikes would never arrive within a sample",
                                         pr.delay, g.timesteps),
                             w, "use a delay of at most timesteps steps (the chip supports 1)");
        if (pr.stdp) {
            if (pr.kind != ProjectionKind::Dense && pr.kind != ProjectionKind::Sparse &&
                pr.kind != ProjectionKind::OneToOne)
                throw InputError(std::string("stdp is not supported on ") + to_string(pr.kind) +
                                     " projections (shared weights)",
                                 w, "learn on dense, sparse or one_to_one projections");
            stdp(*pr.stdp, w);
        }
        if (!std::isfinite(pr.scale))
            throw InputError("scale is not finite", w, "give a finite number");
        const int64_t npre = pre->size(), npost = post->size();
        auto pair_ok = [&](const std::vector<int>& v, int lo, const char* what) {
            if (v.size() != 2 || v[0] < lo || v[1] < lo)
                throw InputError(fmt::format("{} must be two integers >= {}", what, lo), w,
                                 fmt::format("write {}: k or {}: [h, w]", what, what));
        };
        switch (pr.kind) {
            case ProjectionKind::Dense:
                if (!has_tensor(pr.weights))
                    throw InputError("dense projection has no weights", w,
                                     "add weights: file.npz:key");
                expect_shape(pr.weights, {npost, npre}, "dense weights", "([post_size, pre_size])", w);
                finite_tensor(pr.weights, "weights", w);
                break;
            case ProjectionKind::OneToOne:
                if (npre != npost)
                    throw InputError(fmt::format("one_to_one joins populations of different sizes "
                                                 "({} and {})", npre, npost),
                                     w, "use a dense or sparse projection");
                if (has_tensor(pr.weights)) {
                    if (pr.weights.shape != post->shape)
                        expect_shape(pr.weights, {npost}, "one_to_one weights",
                                     "([size] or the population shape)", w);
                    finite_tensor(pr.weights, "weights", w);
                }
                break;
            case ProjectionKind::Sparse: {
                if (!has_tensor(pr.weights) || !has_tensor(pr.indices))
                    throw InputError("sparse projection needs indices and weights", w,
                                     "add indices: file.npz:idx (int [nnz, 2]) and weights: "
                                     "file.npz:w ([nnz])");
                if (pr.weights.shape.size() != 1)
                    throw InputError("sparse weights have shape " + pr.weights.shape_str() +
                                         ", expected [nnz]",
                                     w, "save a 1-D array");
                const int64_t nnz = pr.weights.shape[0];
                expect_shape(pr.indices, {nnz, 2}, "sparse indices", "([nnz, 2] of (pre, post))", w);
                finite_tensor(pr.weights, "weights", w);
                const std::vector<int64_t> idx = pr.indices.to<int64_t>();
                for (int64_t k = 0; k < nnz; ++k) {
                    const int64_t a = idx[size_t(2 * k)], b = idx[size_t(2 * k + 1)];
                    if (a < 0 || a >= npre || b < 0 || b >= npost)
                        throw InputError(fmt::format("sparse entry {} = (pre {}, post {}) is out of "
                                                     "range: pre < {}, post < {}",
                                                     k, a, b, npre, npost),
                                         w, "fix the indices array");
                }
                break;
            }
            case ProjectionKind::Conv2d:
            case ProjectionKind::SumPool:
            case ProjectionKind::AvgPool: {
                const bool conv = pr.kind == ProjectionKind::Conv2d;
                if (pre->shape.size() != 3 || post->shape.size() != 3)
                    throw InputError(fmt::format("{} needs 3-D populations [C, H, W]; got from {} "
                                                 "to {}",
                                                 to_string(pr.kind), shape_string(pre->shape),
                                                 shape_string(post->shape)),
                                     w, "give the populations shape: [channels, height, width]");
                pair_ok(pr.kernel, 1, "kernel");
                pair_ok(pr.stride, 1, "stride");
                pair_ok(pr.padding, 0, "padding");
                // A window of padding only means nothing, and a padding wider than the input
                // bounds nothing: both would let huge kernels pass the shape check below.
                for (int d = 0; d < 2; ++d) {
                    if (pr.padding[size_t(d)] >= pr.kernel[size_t(d)] ||
                        pr.padding[size_t(d)] > pre->shape[size_t(d + 1)])
                        throw InputError(
                            fmt::format("padding [{}, {}] must be smaller than the kernel [{}, {}] "
                                        "and no larger than the input [{}, {}]",
                                        pr.padding[0], pr.padding[1], pr.kernel[0], pr.kernel[1],
                                        pre->shape[1], pre->shape[2]),
                            w,
                            "use a padding of at most (kernel - 1) / 2, e.g. 1 for a 3x3 kernel");
                }
                const int64_t C = pre->shape[0], H = pre->shape[1], W = pre->shape[2];
                int64_t oc = C;
                if (conv) {
                    if (!has_tensor(pr.weights) || pr.weights.shape.size() != 4)
                        throw InputError("conv2d weights have shape " + pr.weights.shape_str() +
                                             ", expected [out_ch, in_ch, kh, kw]",
                                         w, "save a 4-D array");
                    oc = pr.weights.shape[0];
                    expect_shape(pr.weights, {post->shape[0], C, pr.kernel[0], pr.kernel[1]},
                                 "conv2d weights", "([out_ch, in_ch, kh, kw])", w);
                    finite_tensor(pr.weights, "weights", w);
                } else if (has_tensor(pr.weights)) {
                    throw InputError("pooling projections have no weights tensor", w,
                                     "remove weights; use scale");
                }
                const int64_t oh = (H + 2 * pr.padding[0] - pr.kernel[0]) / pr.stride[0] + 1;
                const int64_t ow = (W + 2 * pr.padding[1] - pr.kernel[1]) / pr.stride[1] + 1;
                const bool fits = H + 2 * pr.padding[0] >= pr.kernel[0] &&
                                  W + 2 * pr.padding[1] >= pr.kernel[1];
                const std::vector<int64_t> want{oc, oh, ow};
                if (!fits || post->shape != want)
                    throw InputError(fmt::format("{} output shape is {} (floor((H + 2p - k) / s) + "
                                                 "1 from input {}, kernel [{}, {}], stride [{}, {}], "
                                                 "padding [{}, {}]) but population '{}' has shape {}",
                                                 to_string(pr.kind),
                                                 fits ? shape_string(want) : std::string("empty"),
                                                 shape_string(pre->shape), pr.kernel[0],
                                                 pr.kernel[1], pr.stride[0], pr.stride[1],
                                                 pr.padding[0], pr.padding[1], post->name,
                                                 shape_string(post->shape)),
                                     w, "declare the target population with the computed shape");
                break;
            }
        }
    }

    void run() const {
        graph_params();
        if (g.populations.empty())
            throw InputError("the network has no populations", where_graph(),
                             "add a populations: list");
        std::set<std::string> names;
        for (const auto& p : g.populations) {
            population(p);
            if (!names.insert(p.name).second)
                throw InputError("duplicate population name '" + p.name + "'",
                                 where(p.loc, pop_node(p.name)), "give every population its own name");
        }
        names.clear();
        for (const auto& pr : g.projections) {
            projection(pr);
            if (!names.insert(pr.name).second)
                throw InputError("duplicate projection name '" + pr.name + "'",
                                 where(pr.loc, proj_node(pr.name)), "give every projection its own name");
        }
        const auto outs = g.outputs();
        if (outs.size() == 1 && outs[0]->kind == NeuronKind::Input)
            throw InputError("the network has no output population (the last population, '" +
                                 outs[0]->name + "', is an input)",
                             where_graph(), "mark a neuron population with output: true");
    }
};

// ----------------------------------------------------------------------------- parsing

struct Parser {
    std::string file, base_dir;

    int line(const YAML::Node& n) const { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }
    std::string at(const YAML::Node& n, const std::string& node) const {
        return at_file(file, line(n), node);
    }

    // Rejects keys outside `allowed`, naming the key's own line.
    void check_keys(const YAML::Node& m, const std::set<std::string>& allowed,
                    const std::string& node, const std::string& context) const {
        std::set<std::string> seen;
        for (const auto& kv : m) {
            const std::string k = kv.first.Scalar();
            // yaml-cpp keeps the first of two equal keys; the user meant one of them.
            if (!seen.insert(k).second)
                throw InputError("key '" + k + "' appears twice" + context, at(kv.first, node),
                                 "keep one of the two '" + k + "' entries");
            if (!allowed.count(k)) {
                std::string list;
                for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
                throw InputError("unknown key '" + k + "'" + context, at(kv.first, node),
                                 "known keys here: " + list);
            }
        }
    }

    const YAML::Node require(const YAML::Node& m, const char* key, const std::string& node) const {
        const YAML::Node v = m[key];
        if (!v)
            throw InputError(
                std::string("missing required key '") + key + "'", at(m, node),
                std::string("add '") + key + ": ...' (see docs/formats.md, \"Network YAML\")");
        return v;
    }

    [[noreturn]] void type_error(const YAML::Node& v, const std::string& key, const char* want,
                                 const std::string& node) const {
        throw InputError("'" + key + "' must be " + want +
                             (v.IsScalar() ? ", got '" + v.Scalar() + "'" : std::string()),
                         at(v, node), std::string("write ") + want + " here");
    }

    double number(const YAML::Node& v, const std::string& key, const std::string& node) const {
        if (!v.IsScalar()) type_error(v, key, "a number", node);
        double x;
        try {
            x = v.as<double>();
        } catch (const YAML::BadConversion&) {
            type_error(v, key, "a number", node);
        }
        if (!std::isfinite(x))
            throw InputError("'" + key + "' is not finite (" + v.Scalar() + ")", at(v, node),
                             "give a finite number");
        // Every number of a network is held as float32: larger magnitudes do not fit.
        if (std::fabs(x) > double(std::numeric_limits<float>::max()))
            throw InputError("'" + key + "' = " + v.Scalar() + " is out of range", at(v, node),
                             "give a number of magnitude at most 3.4e38 (float32)");
        return x;
    }

    long long integer(const YAML::Node& v, const std::string& key, const std::string& node) const {
        if (!v.IsScalar()) type_error(v, key, "an integer", node);
        try {
            return v.as<long long>();
        } catch (const YAML::BadConversion&) {
            type_error(v, key, "an integer", node);
        }
    }

    int small_int(const YAML::Node& v, const std::string& key, const std::string& node) const {
        const long long x = integer(v, key, node);
        if (x < -(1LL << 30) || x > (1LL << 30))
            throw InputError("'" + key + "' = " + std::to_string(x) + " is out of range",
                             at(v, node), "give a value between -2^30 and 2^30");
        return int(x);
    }

    bool boolean(const YAML::Node& v, const std::string& key, const std::string& node) const {
        if (!v.IsScalar()) type_error(v, key, "true or false", node);
        try {
            return v.as<bool>();
        } catch (const YAML::BadConversion&) {
            type_error(v, key, "true or false", node);
        }
    }

    std::string string(const YAML::Node& v, const std::string& key, const std::string& node) const {
        if (!v.IsScalar()) type_error(v, key, "a string", node);
        return v.Scalar();
    }

    // An int k (meaning [k, k]) or a pair [h, w].
    std::vector<int> int_pair(const YAML::Node& v, const std::string& key,
                              const std::string& node) const {
        if (v.IsScalar()) {
            const int k = small_int(v, key, node);
            return {k, k};
        }
        if (v.IsSequence() && v.size() == 2)
            return {small_int(v[0], key, node), small_int(v[1], key, node)};
        type_error(v, key, "an integer or a pair [h, w]", node);
    }

    std::vector<int64_t> shape(const YAML::Node& v, const std::string& node) const {
        if (!v.IsSequence() || v.size() == 0) type_error(v, "shape", "a non-empty list of integers", node);
        std::vector<int64_t> s;
        int64_t total = 1;
        for (const auto& d : v) {
            const long long x = integer(d, "shape", node);
            if (x < 1)
                throw InputError("shape dimension " + std::to_string(x) + " must be >= 1",
                                 at(d, node), "every dimension must be >= 1");
            // Neuron indices are int32 everywhere downstream.
            if (x > kMaxNeurons || total > kMaxNeurons / x)
                throw InputError("shape holds more than 2^31 - 1 neurons", at(v, node),
                                 "use a smaller population");
            total *= x;
            s.push_back(x);
        }
        return s;
    }

    // decay = 1 - exp(-dt / tau): the fraction lost per step of an exponential with time
    // constant tau, sampled at dt.
    float decay_from_tau(const YAML::Node& v, const std::string& key, float dt,
                         const std::string& node) const {
        const double tau = number(v, key, node);
        if (!(tau > 0))
            throw InputError("'" + key + "' = " + v.Scalar() + " must be > 0", at(v, node),
                             "give a time constant in ms, or a decay fraction instead");
        return float(1.0 - std::exp(-double(dt) / tau));
    }

    Tensor tensor(const YAML::Node& v, const std::string& key, const std::string& node,
                  bool as_int64) const {
        const std::string ref = string(v, key, node);
        try {
            const Tensor t = load_tensor_ref(base_dir, ref);
            // Everything is float32 in the IR (indices int64), whatever the file holds; a
            // value that does not convert exactly (a fractional or huge index, a float64
            // beyond float32's range) is an error, not a cast.
            if (as_int64) return Tensor::from<int64_t>(t.to<int64_t>(), t.shape);
            if (t.dtype == DType::F32) return t;
            return Tensor::from<float>(t.to<float>(), t.shape);
        } catch (const InputError& e) {
            throw InputError("cannot load " + key + " '" + ref + "': " + e.problem() +
                                 (e.where().empty() ? "" : " (" + e.where() + ")"),
                             at(v, node), e.fix());
        }
    }

    EncoderSpec encoder(const YAML::Node& m) const {
        const std::string node = "encoder";
        EncoderSpec e;
        if (!m.IsMap()) type_error(m, "encoder", "a mapping like {kind: rate, max_rate: 0.5}", node);
        const std::string kind = string(require(m, "kind", node), "kind", node);
        std::set<std::string> allowed{"kind", "seed"};
        if (kind == "rate") {
            e.kind = EncoderKind::Rate;
            allowed.insert("max_rate");
        } else if (kind == "direct") {
            e.kind = EncoderKind::Direct;
            allowed.insert("gain");
        } else if (kind == "latency") {
            e.kind = EncoderKind::Latency;
            allowed.insert("min_intensity");
        } else {
            throw InputError("unknown encoder kind '" + kind + "'", at(m["kind"], node),
                             "use rate, direct or latency");
        }
        check_keys(m, allowed, node, " for a " + kind + " encoder");
        if (m["max_rate"]) e.max_rate = float(number(m["max_rate"], "max_rate", node));
        if (m["gain"]) e.gain = float(number(m["gain"], "gain", node));
        if (m["min_intensity"])
            e.min_intensity = float(number(m["min_intensity"], "min_intensity", node));
        if (m["seed"]) {
            const long long s = integer(m["seed"], "seed", node);
            if (s < 0)
                throw InputError("seed must be >= 0", at(m["seed"], node), "use e.g. seed: 1");
            e.seed = uint64_t(s);
        }
        return e;
    }

    Population population(const YAML::Node& m, float dt) const {
        if (!m.IsMap()) type_error(m, "a population", "a mapping", "populations");
        Population p;
        p.loc = SourceLoc{file, line(m)};
        p.name = string(require(m, "name", "population"), "name", "population");
        const std::string node = pop_node(p.name);
        const std::string kind = string(require(m, "kind", node), "kind", node);
        if (kind == "input") p.kind = NeuronKind::Input;
        else if (kind == "lif") p.kind = NeuronKind::LIF;
        else if (kind == "if") p.kind = NeuronKind::IF;
        else if (kind == "li") p.kind = NeuronKind::LI;
        else if (const ChipNeuronHint h = nearest_chip_neuron(kind); !h.problem.empty())
            throw InputError(h.problem, at(m["kind"], node), h.fix);
        else
            throw InputError("unknown population kind '" + kind + "'", at(m["kind"], node),
                             "use input, lif, if or li");
        std::set<std::string> allowed{"name", "kind", "shape", "size", "output"};
        if (p.kind != NeuronKind::Input) {
            allowed.insert({"threshold", "reset", "refractory", "bias"});
            if (p.kind != NeuronKind::IF)
                allowed.insert({"tau_mem_ms", "decay_v", "tau_syn_ms", "decay_u"});
        }
        check_keys(m, allowed, node, " for a '" + kind + "' population");
        if (m["shape"] && m["size"])
            throw InputError("give either shape or size, not both", at(m, node),
                             "remove one of them");
        if (m["shape"]) p.shape = shape(m["shape"], node);
        else if (m["size"]) {
            const long long n = integer(m["size"], "size", node);
            if (n < 1 || n > kMaxNeurons)
                throw InputError("size = " + std::to_string(n) + " must lie in [1, 2^31 - 1]",
                                 at(m["size"], node), "give the number of neurons, e.g. size: 100");
            p.shape = {n};
        } else {
            throw InputError("missing required key 'shape' (or 'size')", at(m, node),
                             "add shape: [n] or size: n");
        }
        if (m["output"]) p.output = boolean(m["output"], "output", node);
        if (p.kind == NeuronKind::Input) return p;

        NeuronParams& np = p.params;
        auto exclusive = [&](const char* a, const char* b) {
            if (m[a] && m[b])
                throw InputError(std::string("give either ") + a + " or " + b + ", not both",
                                 at(m[b], node), std::string("remove ") + a + " or " + b);
        };
        exclusive("tau_mem_ms", "decay_v");
        exclusive("tau_syn_ms", "decay_u");
        if (m["tau_mem_ms"]) np.decay_v = decay_from_tau(m["tau_mem_ms"], "tau_mem_ms", dt, node);
        if (m["decay_v"]) np.decay_v = float(number(m["decay_v"], "decay_v", node));
        if (m["tau_syn_ms"]) np.decay_u = decay_from_tau(m["tau_syn_ms"], "tau_syn_ms", dt, node);
        if (m["decay_u"]) np.decay_u = float(number(m["decay_u"], "decay_u", node));
        // Range errors point at the key's own line; validate_graph repeats them for
        // graphs built in memory.
        for (const char* k : {"decay_u", "decay_v"}) {
            if (m[k]) {
                const double x = number(m[k], k, node);
                if (x < 0 || x > 1)
                    throw InputError(std::string(k) + " = " + m[k].Scalar() + " must lie in [0, 1]",
                                     at(m[k], node), "give a fraction lost per step");
            }
        }
        if (m["threshold"]) {
            np.threshold = float(number(m["threshold"], "threshold", node));
            if (p.kind != NeuronKind::LI && !(np.threshold > 0))
                throw InputError("threshold = " + m["threshold"].Scalar() + " must be > 0",
                                 at(m["threshold"], node), "use a positive threshold");
        }
        if (m["reset"]) {
            const std::string r = string(m["reset"], "reset", node);
            if (r == "zero") np.reset = ResetMode::Zero;
            else if (r == "subtract") np.reset = ResetMode::Subtract;
            else
                throw InputError("unknown reset '" + r + "'", at(m["reset"], node),
                                 "use zero or subtract");
        }
        if (m["refractory"]) {
            np.refractory_steps = small_int(m["refractory"], "refractory", node);
            if (np.refractory_steps < 0 || np.refractory_steps > kMaxRefractory)
                throw InputError("refractory = " + std::to_string(np.refractory_steps) +
                                     " steps is out of range [0, 65535]",
                                 at(m["refractory"], node),
                                 "give a number of steps, e.g. refractory: 2 (the chip's "
                                 "refractory counter is at most 16 bits)");
        }
        if (const YAML::Node b = m["bias"]) {
            // A number is a scalar bias; anything else is a tensor reference.
            double x = 0;
            if (b.IsScalar() && YAML::convert<double>::decode(b, x))
                np.bias = float(number(b, "bias", node));
            else
                p.bias = tensor(b, "bias", node, false);
        }
        return p;
    }

    StdpParams stdp(const YAML::Node& m, const std::string& node) const {
        if (!m.IsMap()) type_error(m, "stdp", "a mapping", node);
        check_keys(m, {"a_plus", "a_minus", "tau_pre", "tau_post", "w_min", "w_max"}, node,
                   " in stdp");
        StdpParams s;
        if (m["a_plus"]) s.a_plus = float(number(m["a_plus"], "a_plus", node));
        if (m["a_minus"]) s.a_minus = float(number(m["a_minus"], "a_minus", node));
        if (m["tau_pre"]) s.tau_pre = float(number(m["tau_pre"], "tau_pre", node));
        if (m["tau_post"]) s.tau_post = float(number(m["tau_post"], "tau_post", node));
        if (m["w_min"]) s.w_min = float(number(m["w_min"], "w_min", node));
        if (m["w_max"]) s.w_max = float(number(m["w_max"], "w_max", node));
        return s;
    }

    Projection projection(const YAML::Node& m) const {
        if (!m.IsMap()) type_error(m, "a projection", "a mapping", "projections");
        Projection pr;
        pr.loc = SourceLoc{file, line(m)};
        pr.name = string(require(m, "name", "projection"), "name", "projection");
        const std::string node = proj_node(pr.name);
        const std::string kind = string(require(m, "kind", node), "kind", node);
        std::set<std::string> allowed{"name", "kind", "from", "to", "delay"};
        if (kind == "dense") {
            pr.kind = ProjectionKind::Dense;
            allowed.insert({"weights", "stdp"});
        } else if (kind == "conv2d") {
            pr.kind = ProjectionKind::Conv2d;
            allowed.insert({"weights", "kernel", "stride", "padding"});
        } else if (kind == "sum_pool" || kind == "avg_pool") {
            pr.kind = kind == "sum_pool" ? ProjectionKind::SumPool : ProjectionKind::AvgPool;
            allowed.insert({"kernel", "stride", "padding", "scale"});
        } else if (kind == "one_to_one") {
            pr.kind = ProjectionKind::OneToOne;
            allowed.insert({"weights", "scale", "stdp"});
        } else if (kind == "sparse") {
            pr.kind = ProjectionKind::Sparse;
            allowed.insert({"weights", "indices", "stdp"});
        } else {
            throw InputError("unknown projection kind '" + kind + "'", at(m["kind"], node),
                             "use dense, conv2d, sum_pool, avg_pool, one_to_one or sparse");
        }
        // A conductance-based synapse (the course's run_cond) named on a projection.
        if (m["synapse"] || m["e_rev_mV"]) {
            const YAML::Node k = m["synapse"] ? m["synapse"] : m["e_rev_mV"];
            const std::string v = m["synapse"] && m["synapse"].IsScalar() ? m["synapse"].Scalar() : "";
            if (m["e_rev_mV"] || v == "conductance" || v == "coba") {
                const ChipNeuronHint h = nearest_chip_neuron("coba");
                throw InputError(h.problem, at(k, node), h.fix + ", and remove the key");
            }
        }
        check_keys(m, allowed, node, " for a " + kind + " projection");
        pr.pre = string(require(m, "from", node), "from", node);
        pr.post = string(require(m, "to", node), "to", node);
        if (m["delay"]) pr.delay = small_int(m["delay"], "delay", node);
        if (m["stdp"]) pr.stdp = stdp(m["stdp"], node);
        if (m["scale"]) pr.scale = float(number(m["scale"], "scale", node));
        if (pr.kind == ProjectionKind::OneToOne && m["scale"] && m["weights"])
            throw InputError("give either weights or scale, not both", at(m["scale"], node),
                             "remove weights or scale");
        const bool needs_weights = pr.kind == ProjectionKind::Dense ||
                                   pr.kind == ProjectionKind::Conv2d ||
                                   pr.kind == ProjectionKind::Sparse;
        if (needs_weights) require(m, "weights", node);
        if (m["weights"]) pr.weights = tensor(m["weights"], "weights", node, false);
        if (pr.kind == ProjectionKind::Sparse)
            pr.indices = tensor(require(m, "indices", node), "indices", node, true);
        if (pr.kind == ProjectionKind::Conv2d) {
            // The kernel comes from the weights; a kernel key, if given, must agree.
            if (pr.weights.shape.size() == 4)
                pr.kernel = {int(pr.weights.shape[2]), int(pr.weights.shape[3])};
            if (m["kernel"]) {
                const auto k = int_pair(m["kernel"], "kernel", node);
                if (pr.weights.shape.size() == 4 && k != pr.kernel)
                    throw InputError(fmt::format("kernel [{}, {}] disagrees with the weights' "
                                                 "shape {}",
                                                 k[0], k[1], pr.weights.shape_str()),
                                     at(m["kernel"], node), "drop kernel: or fix it");
                pr.kernel = k;
            }
        }
        if (pr.kind == ProjectionKind::SumPool || pr.kind == ProjectionKind::AvgPool) {
            pr.kernel = int_pair(require(m, "kernel", node), "kernel", node);
            pr.stride = pr.kernel;  // pooling windows tile the input unless told otherwise
        }
        if (m["stride"]) pr.stride = int_pair(m["stride"], "stride", node);
        if (m["padding"]) pr.padding = int_pair(m["padding"], "padding", node);
        return pr;
    }

    Graph graph(const std::string& text) const {
        YAML::Node root;
        try {
            root = YAML::Load(text);
        } catch (const YAML::ParserException& e) {
            throw InputError("malformed YAML: " + e.msg, at_file(file, e.mark.line + 1),
                             "fix the YAML syntax at that line");
        }
        if (!root.IsMap())
            throw InputError("a network file must be a YAML mapping (name:, populations:, ...)",
                             at_file(file, 1), "see docs/formats.md, \"Network YAML\"");
        const std::string node = "network";
        // ANN models share the file name network.yaml but say `type: ann`; name that
        // instead of listing every ANN key as unknown.
        if (const YAML::Node t = root["type"]) {
            const std::string type = string(t, "type", node);
            if (type == "hopfield")
                throw InputError("this is a Hopfield network (type 'hopfield'), not a spiking "
                                     "network",
                                 at(t, node),
                                 "use it with `spikeforge train` and `spikeforge eval`; a "
                                 "Hopfield network has no spiking form to compile or convert");
            if (type != "snn")
                throw InputError("this is a model of type '" + type +
                                     "' (an ANN model), not a spiking network",
                                 at(t, node),
                                 "use it with the ANN commands (train/eval), or convert it to "
                                 "an SNN with `spikeforge convert`; spiking networks have no "
                                 "type key or type: snn");
        }
        check_keys(root, {"name", "type", "dt_ms", "timesteps", "dataset", "encoder",
                          "populations", "projections"},
                   node, " at the top level");
        Graph g;
        g.file = file;
        g.base_dir = base_dir;
        g.name = string(require(root, "name", node), "name", node);
        if (root["dt_ms"]) {
            g.dt_ms = float(number(root["dt_ms"], "dt_ms", node));
            if (!(g.dt_ms > 0))
                throw InputError("dt_ms must be > 0", at(root["dt_ms"], node), "use e.g. dt_ms: 1.0");
        }
        if (root["timesteps"]) {
            g.timesteps = small_int(root["timesteps"], "timesteps", node);
            if (g.timesteps < 1 || g.timesteps > kMaxTimesteps)
                throw InputError(
                    "timesteps = " + std::to_string(g.timesteps) + " must lie in [1, 2^24]",
                    at(root["timesteps"], node), "use e.g. timesteps: 32");
        }
        if (root["dataset"]) g.dataset = string(root["dataset"], "dataset", node);
        if (root["encoder"]) {
            g.encoder = encoder(root["encoder"]);
            const YAML::Node mr = root["encoder"]["max_rate"];
            if (mr && !(g.encoder.max_rate >= 0 && g.encoder.max_rate <= 1))
                throw InputError("max_rate must lie in [0, 1]", at(mr, "encoder"),
                                 "it is a spike probability per step");
        }
        const YAML::Node pops = require(root, "populations", node);
        if (!pops.IsSequence() || pops.size() == 0)
            type_error(pops, "populations", "a non-empty list", node);
        for (const auto& m : pops) g.populations.push_back(population(m, g.dt_ms));
        if (const YAML::Node prs = root["projections"]) {
            if (!prs.IsSequence() && !prs.IsNull()) type_error(prs, "projections", "a list", node);
            if (prs.IsSequence())
                for (const auto& m : prs) g.projections.push_back(projection(m));
        }
        // No population marked: the last one is the output; recording it makes the choice
        // explicit for every later consumer and in saved files.
        bool any = false;
        for (const auto& p : g.populations) any = any || p.output;
        if (!any && g.populations.back().kind != NeuronKind::Input) g.populations.back().output = true;
        return g;
    }
};

// ----------------------------------------------------------------------------- writing

std::string q(const std::string& s) {
    std::string r = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') r += '\\';
        if (c == '\n') { r += "\\n"; continue; }
        r += c;
    }
    return r + "\"";
}

// Shortest text that reads back to the same float.
std::string f(float x) { return fmt::format("{}", x); }

std::string pair(const std::vector<int>& v) {
    return "[" + std::to_string(v.at(0)) + ", " + std::to_string(v.at(1)) + "]";
}


}  // namespace

void validate_graph(const Graph& g) { Checker{g}.run(); }

Graph load_network(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw InputError("network not found (tried '" + path + "')", path,
                         "give a directory holding network.yaml, or the YAML file");
    std::string file = path;
    if (fs::is_directory(path, ec)) {
        file = (fs::path(path) / "network.yaml").string();
        if (!fs::is_regular_file(file, ec))
            throw InputError("directory has no network.yaml (tried '" + file + "')", path,
                             "give the YAML file itself, or add network.yaml");
    }
    const std::string text = read_input_text(file, "network file");
    std::string base = fs::path(file).parent_path().string();
    if (base.empty()) base = ".";
    Graph g;
    try {
        g = Parser{file, base}.graph(text);
    } catch (const YAML::Exception& e) {
        // yaml-cpp's own errors on odd structure (a list where a key was expected, ...).
        throw InputError("malformed network YAML: " + e.msg, at_file(file, e.mark.line + 1),
                         "see docs/formats.md, \"Network YAML\"");
    }
    validate_graph(g);
    return g;
}

void save_network(const Graph& g, const std::string& dir,
                  const std::map<std::string, std::string>& extra_files) {
    validate_graph(g);
    std::map<std::string, Tensor> arrays;
    auto as_f32 = [](const Tensor& t) {
        return t.dtype == DType::F32 ? t : Tensor::from<float>(t.to<float>(), t.shape);
    };
    std::string y;
    y += "# Written by spikeforge (save_network); format: docs/formats.md \"Network YAML\".\n";
    y += "name: " + q(g.name) + "\n";
    y += "dt_ms: " + f(g.dt_ms) + "\n";
    y += "timesteps: " + std::to_string(g.timesteps) + "\n";
    if (!g.dataset.empty()) y += "dataset: " + q(g.dataset) + "\n";
    const EncoderSpec& e = g.encoder;
    y += std::string("encoder: {kind: ") + to_string(e.kind);
    switch (e.kind) {
        case EncoderKind::Rate: y += ", max_rate: " + f(e.max_rate); break;
        case EncoderKind::Direct: y += ", gain: " + f(e.gain); break;
        case EncoderKind::Latency: y += ", min_intensity: " + f(e.min_intensity); break;
    }
    y += ", seed: " + std::to_string(e.seed) + "}\n";
    y += "populations:\n";
    for (const auto& p : g.populations) {
        y += "  - name: " + q(p.name) + "\n";
        y += std::string("    kind: ") + to_string(p.kind) + "\n";
        std::string s;
        for (int64_t d : p.shape) s += (s.empty() ? "" : ", ") + std::to_string(d);
        y += "    shape: [" + s + "]\n";
        if (p.kind != NeuronKind::Input) {
            const NeuronParams& np = p.params;
            // Decays are written, not time constants, so the file reads back bit-exact.
            if (p.kind != NeuronKind::IF) {
                y += "    decay_u: " + f(np.decay_u) + "\n";
                y += "    decay_v: " + f(np.decay_v) + "\n";
            }
            y += "    threshold: " + f(np.threshold) + "\n";
            y += std::string("    reset: ") + to_string(np.reset) + "\n";
            y += "    refractory: " + std::to_string(np.refractory_steps) + "\n";
            if (p.bias) {
                arrays[p.name + ".bias"] = as_f32(*p.bias);
                y += "    bias: " + q("weights.npz:" + p.name + ".bias") + "\n";
            } else {
                y += "    bias: " + f(np.bias) + "\n";
            }
        }
        y += std::string("    output: ") + (p.output ? "true" : "false") + "\n";
    }
    y += g.projections.empty() ? "projections: []\n" : "projections:\n";
    for (const auto& pr : g.projections) {
        y += "  - name: " + q(pr.name) + "\n";
        y += std::string("    kind: ") + to_string(pr.kind) + "\n";
        y += "    from: " + q(pr.pre) + "\n";
        y += "    to: " + q(pr.post) + "\n";
        if (has_tensor(pr.weights)) {
            arrays[pr.name + ".weights"] = as_f32(pr.weights);
            y += "    weights: " + q("weights.npz:" + pr.name + ".weights") + "\n";
        }
        if (pr.kind == ProjectionKind::Sparse) {
            arrays[pr.name + ".indices"] = Tensor::from<int64_t>(pr.indices.to<int64_t>(),
                                                                 pr.indices.shape);
            y += "    indices: " + q("weights.npz:" + pr.name + ".indices") + "\n";
        }
        switch (pr.kind) {
            case ProjectionKind::Conv2d:
                y += "    stride: " + pair(pr.stride) + "\n";
                y += "    padding: " + pair(pr.padding) + "\n";
                break;
            case ProjectionKind::SumPool:
            case ProjectionKind::AvgPool:
                y += "    kernel: " + pair(pr.kernel) + "\n";
                y += "    stride: " + pair(pr.stride) + "\n";
                y += "    padding: " + pair(pr.padding) + "\n";
                y += "    scale: " + f(pr.scale) + "\n";
                break;
            case ProjectionKind::OneToOne:
                if (!has_tensor(pr.weights)) y += "    scale: " + f(pr.scale) + "\n";
                break;
            default: break;
        }
        y += "    delay: " + std::to_string(pr.delay) + "\n";
        if (pr.stdp) {
            const StdpParams& s = *pr.stdp;
            y += "    stdp: {a_plus: " + f(s.a_plus) + ", a_minus: " + f(s.a_minus) +
                 ", tau_pre: " + f(s.tau_pre) + ", tau_post: " + f(s.tau_post) +
                 ", w_min: " + f(s.w_min) + ", w_max: " + f(s.w_max) + "}\n";
        }
    }

    // Build everything in a sibling temp directory first, so a failure leaves the target
    // untouched; an existing target keeps its other files (a README, training logs).
    TempSiblingDir staging(dir);
    const fs::path& tmp = staging.path();
    write_npz((tmp / "weights.npz").string(), arrays);
    {
        std::ofstream out(tmp / "network.yaml", std::ios::binary);
        out << y;
        out.flush();
        if (!out) throw InputError("cannot write network.yaml", tmp.string(), "check free disk space");
    }
    std::vector<std::string> names{"weights.npz", "network.yaml"};
    for (const auto& [name, text] : extra_files) {
        std::ofstream out(tmp / name, std::ios::binary);
        out << text;
        out.flush();
        if (!out) throw InputError("cannot write " + name, tmp.string(), "check free disk space");
        names.push_back(name);
    }
    staging.commit_files(names);
}

}  // namespace sf
