// NIR graph → Graph IR. The steps, in order (docs/nir.md):
//  1. flatten nested NIRGraphs (inner nodes become "<graph>.<node>", inner Input/Output
//     nodes pass their signal through);
//  2. classify nodes: populations (Input, I, IF, LI, LIF, CubaLI, CubaLIF, Threshold),
//     operators on the signal (Affine, Linear, Scale, Conv1d, Conv2d, SumPool2d,
//     AvgPool2d, Flatten, Delay), and Output; refuse unknown kinds and algebraic loops;
//  3. infer every node's shape from Input shapes and parameter shapes;
//  4. discretize each neuron node: decays, the gain its input gets, its bias, threshold;
//  5. every path population → operators… → population becomes one projection (the
//     operators folded into one dense/conv2d/pool/one-to-one projection, or multiplied
//     out into a dense matrix when they do not fold).
#include "sf/nir/nir_import.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "sf/core/error.hpp"
#include "sf/core/temp_dir.hpp"

namespace sf::nir {

namespace {

// Dense matrices made from operator chains that do not fold are limited to this many
// entries (64 MiB of float32); a bigger one is refused with the chain named.
constexpr int64_t kMaxDense = int64_t(1) << 24;
constexpr int kMaxPaths = 100000;

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

std::string shape_str(const Shape& s) {
    std::string r = "[";
    for (std::size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

std::string num(double v) {
    return fmt::format("{:.6g}", v);
}

const std::set<std::string> kPopulationKinds = {"Input", "I",      "IF",      "LI",
                                                "LIF",   "CubaLI", "CubaLIF", "Threshold"};
const std::set<std::string> kOperatorKinds = {"Affine", "Linear",    "Scale",     "Conv1d",
                                              "Conv2d", "SumPool2d", "AvgPool2d", "Flatten",
                                              "Delay",  "Identity"};
const char* kAllKinds =
    "Input, Output, Affine, Linear, Scale, Conv1d, Conv2d, SumPool2d, AvgPool2d, Flatten, Delay, "
    "Threshold, I, IF, LI, LIF, CubaLI, CubaLIF and NIRGraph";

// Fields each kind needs (NIR 1.0, nir/serialization.py read_node); optional ones are
// handled where they are read.
const std::map<std::string, std::vector<std::string>> kRequired = {
    {"Input", {"shape"}},
    {"Output", {}},
    {"Affine", {"weight", "bias"}},
    {"Linear", {"weight"}},
    {"Scale", {"scale"}},
    {"Conv1d", {"weight", "stride", "padding", "dilation", "groups", "bias"}},
    {"Conv2d", {"weight", "stride", "padding", "dilation", "groups", "bias"}},
    {"SumPool2d", {"kernel_size", "stride", "padding"}},
    {"AvgPool2d", {"kernel_size", "stride", "padding"}},
    {"Flatten", {"start_dim", "end_dim"}},
    {"Delay", {"delay"}},
    {"Threshold", {"threshold"}},
    {"I", {"r"}},
    {"IF", {"r", "v_threshold"}},
    {"LI", {"tau", "r", "v_leak"}},
    {"LIF", {"tau", "r", "v_leak", "v_threshold"}},
    {"CubaLI", {"tau_syn", "tau_mem", "r", "v_leak"}},
    {"CubaLIF", {"tau_syn", "tau_mem", "r", "v_leak", "v_threshold"}},
};

struct FlatNode {
    std::string name;  // flattened NIR name
    std::string type;  // NIR type, or "Identity" for inner Input/Output nodes
    const Node* node = nullptr;
    std::string where;            // HDF5 path
    Shape in, out;                // inferred shapes
    bool known = false;           // out is known
    std::vector<int> succ, pred;  // edge indices into nodes (in edge order, repeated edges kept)
};

// One operator on the signal, with its shapes made concrete.
struct LinOp {
    enum Kind { Dense, Conv, SumPool, AvgPool, Scale, Reshape } kind = Reshape;
    Shape in, out;          // conv/pool: 3-D [C, H, W]
    std::vector<double> w;  // Dense [out, in]; Conv [Cout, Cin, kh, kw]; Scale [n] or [1]
    int kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
    std::vector<double> bias;  // per output element; empty = none
    int delay = 0;             // [steps] Delay nodes
    std::string node;
};

// What a population node becomes (before projections are attached).
struct PopModel {
    int node = -1;  // index into nodes, -1 for a readout made for an Output
    std::string ir_name;
    NeuronKind kind = NeuronKind::LIF;
    Shape shape;
    double du = 1, dv = 0, threshold = 1;
    std::vector<double> gain;  // per neuron: factor on every incoming weight
    std::vector<double> bias;  // per neuron [weight units per step]
    bool cuba_bias_warned = false;
    bool output = false;
    std::string nir_type;
};

class Importer {
  public:
    Importer(const File& f, const ImportOptions& opt) : f_(f), opt_(opt) {}

    ImportResult run();

  private:
    const File& f_;
    const ImportOptions& opt_;
    std::vector<FlatNode> nodes_;
    std::map<std::string, int> index_;
    std::vector<std::pair<int, int>> edges_;
    ImportResult res_;

    [[noreturn]] void fail(int n, const std::string& what, const std::string& fix) const {
        const std::string node =
            n < 0 ? std::string() : "node '" + nodes_[std::size_t(n)].name + "'";
        throw InputError(what, at_file(f_.path, 0, node), fix);
    }
    std::string label(int n) const {
        return "'" + nodes_[std::size_t(n)].name + "' (" + nodes_[std::size_t(n)].type + ")";
    }

    // ---- 1. flatten -------------------------------------------------------------------
    struct SubIO {
        std::vector<std::string> inputs, outputs;
    };
    std::map<std::string, SubIO> sub_;

    int add_node(const std::string& name, const std::string& type, const Node* node,
                 const std::string& where) {
        if (index_.count(name))
            throw InputError("two nodes are named '" + name + "' after flattening nested graphs",
                             at_file(f_.path, 0, where), "rename one of them");
        FlatNode fn;
        fn.name = name;
        fn.type = type;
        fn.node = node;
        fn.where = where;
        index_[name] = int(nodes_.size());
        nodes_.push_back(std::move(fn));
        return int(nodes_.size()) - 1;
    }

    void flatten(const Node& g, const std::string& prefix, bool top) {
        for (const auto& [name, child] : g.nodes) {
            const std::string full = prefix + name;
            if (child.type == "NIRGraph") {
                flatten(child, full + ".", false);
                SubIO io;
                for (const auto& [cn, cc] : child.nodes) {
                    if (cc.type == "Input") io.inputs.push_back(full + "." + cn);
                    if (cc.type == "Output") io.outputs.push_back(full + "." + cn);
                }
                sub_[full] = io;
            } else if (!top && (child.type == "Input" || child.type == "Output")) {
                add_node(full, "Identity", &child, child.where);
            } else {
                add_node(full, child.type, &child, child.where);
            }
        }
        auto resolve = [&](const std::string& ref, bool source,
                           const std::pair<std::string, std::string>& e) {
            const std::string full = prefix + ref;
            auto s = sub_.find(full);
            if (s != sub_.end()) {
                const auto& list = source ? s->second.outputs : s->second.inputs;
                if (list.size() != 1)
                    throw InputError("edge (" + e.first + ", " + e.second +
                                         ") names the nested graph '" + full + "', which has " +
                                         std::to_string(list.size()) +
                                         (source ? " Output" : " Input") + " nodes",
                                     at_file(f_.path, 0, g.where + "/edges"),
                                     "name the inner node instead, as '" + full + ".<node>'");
                return index_.at(list[0]);
            }
            auto it = index_.find(full);
            if (it == index_.end())
                throw InputError("edge (" + e.first + ", " + e.second + ") names '" + ref +
                                     "', which is not a node of this graph",
                                 at_file(f_.path, 0, g.where + "/edges"),
                                 "every edge joins two names listed under `nodes`; fix the name or "
                                 "add the node");
            return it->second;
        };
        for (const auto& e : g.edges) {
            const int a = resolve(e.first, true, e), b = resolve(e.second, false, e);
            edges_.emplace_back(a, b);
        }
    }

    // ---- 2. fields --------------------------------------------------------------------
    const Array& field(int n, const std::string& name) const {
        const FlatNode& fn = nodes_[std::size_t(n)];
        auto it = fn.node->fields.find(name);
        if (it == fn.node->fields.end()) fail(n, "field '" + name + "' is missing", "add it");
        return it->second;
    }
    bool has(int n, const std::string& name) const {
        const FlatNode& fn = nodes_[std::size_t(n)];
        return fn.node && fn.node->fields.count(name);
    }
    const Array& numeric(int n, const std::string& name) const {
        const Array& a = field(n, name);
        if (a.is_string)
            fail(n, "field '" + name + "' of " + label(n) + " is a string, not numbers",
                 "write it as a numeric array");
        return a;
    }
    void check_finite(int n, const std::string& name, const Array& a,
                      bool allow_pos_inf = false) const {
        for (double v : a.data)
            if (std::isnan(v) || (std::isinf(v) && !(allow_pos_inf && v > 0)))
                fail(n, "field '" + name + "' of " + label(n) + " holds " + num(v),
                     "every NIR parameter must be a finite number" +
                         std::string(allow_pos_inf ? " (a time constant may be +inf)" : ""));
    }
    // A parameter broadcast to the node's n neurons: one value, or one per neuron.
    std::vector<double> param(int n, const std::string& name, int64_t size,
                              bool allow_inf = false) const {
        const Array& a = numeric(n, name);
        check_finite(n, name, a, allow_inf);
        if (a.size() == 1) return std::vector<double>(std::size_t(size), a.data[0]);
        if (a.size() != size)
            fail(n,
                 "field '" + name + "' has shape " + a.shape_str() + " but " + label(n) + " has " +
                     std::to_string(size) + " neurons (shape " +
                     shape_str(nodes_[std::size_t(n)].out) + ")",
                 "give one value for all neurons or one per neuron");
        return a.data;
    }
    std::vector<double> param_or(int n, const std::string& name, int64_t size, double dflt) const {
        if (!has(n, name)) return std::vector<double>(std::size_t(size), dflt);
        return param(n, name, size);
    }
    // A pair of integers given as a scalar or [a, b].
    std::pair<int, int> pair_of(int n, const std::string& name, int min) const {
        const Array& a = numeric(n, name);
        check_finite(n, name, a);
        if (a.size() != 1 && a.size() != 2)
            fail(n, "field '" + name + "' of " + label(n) + " has shape " + a.shape_str(),
                 "give one integer or two (height, width)");
        const double x = a.data[0], y = a.size() == 2 ? a.data[1] : a.data[0];
        for (double v : {x, y})
            if (v != std::floor(v) || v < min || v > 1e6)
                fail(n, "field '" + name + "' of " + label(n) + " is " + num(v),
                     "give whole numbers >= " + std::to_string(min));
        return {int(x), int(y)};
    }
    int int_of(int n, const std::string& name, int min) const {
        const Array& a = numeric(n, name);
        check_finite(n, name, a);
        if (a.size() != 1)
            fail(n, "field '" + name + "' of " + label(n) + " is not one number",
                 "give one integer");
        const double v = a.data[0];
        if (v != std::floor(v) || v < min || v > 1e6)
            fail(n, "field '" + name + "' of " + label(n) + " is " + num(v),
                 "give a whole number >= " + std::to_string(min));
        return int(v);
    }

    void check_fields() {
        for (int n = 0; n < int(nodes_.size()); ++n) {
            const FlatNode& fn = nodes_[std::size_t(n)];
            if (fn.type == "Identity") continue;
            auto req = kRequired.find(fn.type);
            if (req == kRequired.end())
                fail(n, "node type '" + fn.type + "' is not a NIR 1.0 node kind",
                     std::string("spikeforge reads ") + kAllKinds +
                         "; export the model with a NIR 1.0 exporter");
            for (const auto& r : req->second)
                if (!fn.node->fields.count(r)) {
                    std::string all;
                    for (const auto& x : req->second) all += (all.empty() ? "" : ", ") + x;
                    fail(n, label(n) + " has no field '" + r + "'",
                         "a " + fn.type + " node needs " + all + " (NIR 1.0)");
                }
        }
    }

    // ---- structure checks ---------------------------------------------------------------
    bool is_pop(int n) const { return kPopulationKinds.count(nodes_[std::size_t(n)].type) != 0; }
    bool is_op(int n) const { return kOperatorKinds.count(nodes_[std::size_t(n)].type) != 0; }
    bool is_output(int n) const { return nodes_[std::size_t(n)].type == "Output"; }
    bool continuous(int n) const {
        const std::string& t = nodes_[std::size_t(n)].type;
        return t == "LI" || t == "I" || t == "CubaLI";
    }

    void check_structure() {
        for (auto [a, b] : edges_) {
            nodes_[std::size_t(a)].succ.push_back(b);
            nodes_[std::size_t(b)].pred.push_back(a);
        }
        bool any_input = false;
        for (int n = 0; n < int(nodes_.size()); ++n) {
            const FlatNode& fn = nodes_[std::size_t(n)];
            if (fn.type == "Input") {
                any_input = true;
                if (!fn.pred.empty())
                    fail(n,
                         "Input node has an incoming edge from '" +
                             nodes_[std::size_t(fn.pred[0])].name + "'",
                         "Input nodes take data from outside the graph; remove the edge");
            }
            if (fn.type == "Output" && !fn.succ.empty())
                fail(n,
                     "Output node has an outgoing edge to '" +
                         nodes_[std::size_t(fn.succ[0])].name + "'",
                     "Output nodes end the graph; remove the edge");
            if (continuous(n))
                for (int s : fn.succ)
                    if (!is_output(s))
                        fail(n,
                             label(n) + " feeds " + label(s) +
                                 ", but its output is a continuous membrane value and spikeforge "
                                 "projections carry spikes",
                             "use a spiking neuron (LIF, CubaLIF, IF) there; LI, I and CubaLI "
                             "nodes may only feed Output");
            if (fn.type == "Output")
                for (int p : fn.pred)
                    if (nodes_[std::size_t(p)].type == "Input")
                        fail(n,
                             "Output node is fed directly by Input '" +
                                 nodes_[std::size_t(p)].name + "'",
                             "put a layer between them, or remove the Output");
        }
        if (!any_input)
            throw InputError("the graph has no Input node", at_file(f_.path, 0, "/node"),
                             "add an Input node with the shape of the data and an edge from it");
        // Loops of operators alone: nothing with state breaks them.
        std::vector<int> color(nodes_.size(), 0);
        std::vector<int> stack;
        std::function<void(int)> dfs = [&](int n) {
            color[std::size_t(n)] = 1;
            stack.push_back(n);
            for (int s : nodes_[std::size_t(n)].succ) {
                if (!is_op(s)) continue;
                if (color[std::size_t(s)] == 1) {
                    std::string cyc;
                    bool delay = false;
                    auto it = std::find(stack.begin(), stack.end(), s);
                    for (; it != stack.end(); ++it) {
                        cyc += nodes_[std::size_t(*it)].name + " → ";
                        delay |= nodes_[std::size_t(*it)].type == "Delay";
                    }
                    cyc += nodes_[std::size_t(s)].name;
                    fail(s,
                         "the cycle " + cyc + " has no neuron in it" +
                             (delay ? " (a Delay alone holds no state spikeforge can map)"
                                    : ": each pass round it would feed back in the same instant "
                                      "(no delay, no state)"),
                         "put a neuron node (LIF, CubaLIF, IF, ...) in the loop, or remove the "
                         "edge that closes it");
                }
                if (color[std::size_t(s)] == 0) dfs(s);
            }
            stack.pop_back();
            color[std::size_t(n)] = 2;
        };
        for (int n = 0; n < int(nodes_.size()); ++n)
            if (is_op(n) && color[std::size_t(n)] == 0) dfs(n);
    }

    // ---- 3. shapes --------------------------------------------------------------------
    // A node's own shape from its parameters: the shape of its largest parameter array.
    bool own_shape(int n, Shape& s) const {
        const FlatNode& fn = nodes_[std::size_t(n)];
        static const std::map<std::string, std::vector<std::string>> params = {
            {"I", {"r"}},
            {"IF", {"r", "v_threshold", "v_reset"}},
            {"LI", {"tau", "r", "v_leak"}},
            {"LIF", {"tau", "r", "v_leak", "v_threshold", "v_reset"}},
            {"CubaLI", {"tau_syn", "tau_mem", "r", "v_leak", "w_in"}},
            {"CubaLIF", {"tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"}},
            {"Threshold", {"threshold"}},
            {"Scale", {"scale"}},
            {"Delay", {"delay"}},
        };
        auto it = params.find(fn.type);
        if (it == params.end()) return false;
        int64_t best = 1;
        for (const auto& p : it->second) {
            if (!fn.node->fields.count(p)) continue;
            const Array& a = numeric(n, p);
            if (a.size() > best) best = a.size(), s = a.shape;
        }
        return best > 1;
    }

    Shape conv_in_shape(int n, const Shape& in, int rank, int64_t cin) const {
        const FlatNode& fn = nodes_[std::size_t(n)];
        if (int(in.size()) == rank) return in;
        if (has(n, "input_shape")) {
            const Array& a = numeric(n, "input_shape");
            Shape s{cin};
            for (double v : a.data) s.push_back(int64_t(v));
            if (int(s.size()) == rank && numel(s) == numel(in)) return s;
        }
        fail(n,
             fn.type + " needs a " + (rank == 3 ? "[C, H, W]" : "[C, L]") + " input, but gets " +
                 shape_str(in),
             "give the node an input_shape field, or the Input node the full shape");
    }

    Shape out_shape(int n, const Shape& in) {
        FlatNode& fn = nodes_[std::size_t(n)];
        const std::string& t = fn.type;
        Shape own;
        if (t == "Input") {
            const Array& a = numeric(n, "shape");
            check_finite(n, "shape", a);
            Shape s;
            for (double v : a.data) {
                if (v < 1 || v != std::floor(v) || v > 2147483647.0)
                    fail(n, "Input shape holds " + num(v), "give whole dimensions >= 1");
                s.push_back(int64_t(v));
            }
            if (s.empty()) s = {1};
            if (numel(s) > 2147483647) fail(n, "Input shape " + shape_str(s) + " is too large", "");
            return s;
        }
        if (t == "Linear" || t == "Affine") {
            const Array& w = numeric(n, "weight");
            if (w.shape.size() != 2)
                fail(n, label(n) + " weight has shape " + w.shape_str(),
                     "give a 2-D weight [out, in]");
            if (numel(in) != w.shape[1])
                fail(n,
                     label(n) + " weight " + w.shape_str() + " takes " +
                         std::to_string(w.shape[1]) + " inputs but gets " + shape_str(in) + " (" +
                         std::to_string(numel(in)) + ")",
                     "make the weight's second dimension equal the size of its input");
            if (t == "Affine") {
                const Array& b = numeric(n, "bias");
                if (b.size() != w.shape[0] && b.size() != 1)
                    fail(n,
                         "Affine bias has shape " + b.shape_str() + " for " +
                             std::to_string(w.shape[0]) + " outputs",
                         "give one bias per output");
            }
            return {w.shape[0]};
        }
        if (t == "Conv2d" || t == "Conv1d") {
            const int rank = t == "Conv2d" ? 3 : 2;
            const Array& w = numeric(n, "weight");
            if (int(w.shape.size()) != rank + 1)
                fail(n, label(n) + " weight has shape " + w.shape_str(),
                     t == "Conv2d" ? "give [C_out, C_in/groups, kH, kW]"
                                   : "give [C_out, C_in/groups, k]");
            const int groups = int_of(n, "groups", 1);
            const Shape s = conv_in_shape(n, in, rank, w.shape[1] * groups);
            if (s[0] != w.shape[1] * groups)
                fail(n,
                     label(n) + " gets " + std::to_string(s[0]) + " channels but its weight " +
                         w.shape_str() + " with groups " + std::to_string(groups) + " takes " +
                         std::to_string(w.shape[1] * groups),
                     "match the weight to the input's channels");
            if (w.shape[0] % groups != 0)
                fail(n, "C_out is not a multiple of groups", "fix groups or the weight");
            fn.in = s;
            LinOp op = conv_op(n, s);
            return rank == 3 ? op.out : Shape{op.out[0], op.out[2]};
        }
        if (t == "SumPool2d" || t == "AvgPool2d") {
            if (in.size() != 3)
                fail(n, label(n) + " needs a [C, H, W] input, but gets " + shape_str(in),
                     "pool the output of a Conv2d or of neurons with a [C, H, W] shape");
            fn.in = in;
            return pool_op(n, in).out;
        }
        if (t == "Flatten") {
            Shape s = in;
            if (has(n, "input_type")) {
                const Array& a = numeric(n, "input_type");
                Shape it;
                for (double v : a.data) it.push_back(int64_t(v));
                if (!it.empty() && numel(it) == numel(in)) s = it;
            }
            const int r = int(s.size());
            int a = int(std::lround(numeric(n, "start_dim").data.at(0)));
            int b = int(std::lround(numeric(n, "end_dim").data.at(0)));
            if (a < 0) a += r;
            if (b < 0) b += r;
            if (a < 0 || b >= r || a > b)
                fail(n,
                     "Flatten dims " + std::to_string(a) + ".." + std::to_string(b) +
                         " do not fit an input of shape " + shape_str(s),
                     "give start_dim <= end_dim within the input's dimensions (without a batch "
                     "dimension)");
            Shape o(s.begin(), s.begin() + a);
            int64_t m = 1;
            for (int i = a; i <= b; ++i) m *= s[std::size_t(i)];
            o.push_back(m);
            o.insert(o.end(), s.begin() + b + 1, s.end());
            return o;
        }
        if (t == "Output") {
            if (has(n, "shape")) {
                const Array& a = numeric(n, "shape");
                int64_t m = 1;
                for (double v : a.data) m *= int64_t(v);
                if (!a.data.empty() && m != numel(in))
                    fail(n,
                         "Output shape " + a.shape_str() + " = " + std::to_string(m) +
                             " values, but it receives " + shape_str(in),
                         "make the Output's shape match the node feeding it");
            }
            return in;
        }
        // Elementwise nodes: neurons, Scale, Delay, Threshold, Identity.
        if (own_shape(n, own)) {
            if (!in.empty() && numel(in) != numel(own))
                fail(n,
                     label(n) + " has parameters of shape " + shape_str(own) + " but receives " +
                         shape_str(in),
                     "give the parameters one value per input element, or one value for all");
            return own;
        }
        return in;
    }

    void infer_shapes() {
        for (int n = 0; n < int(nodes_.size()); ++n)
            if (nodes_[std::size_t(n)].type == "Input") {
                nodes_[std::size_t(n)].out = out_shape(n, {});
                nodes_[std::size_t(n)].known = true;
            }
        bool changed = true;
        int rounds = 0;
        while (changed && rounds++ < int(nodes_.size()) + 2) {
            changed = false;
            for (int n = 0; n < int(nodes_.size()); ++n) {
                FlatNode& fn = nodes_[std::size_t(n)];
                if (fn.known || fn.type == "Input") continue;
                Shape in;
                int from = -1;
                for (int p : fn.pred) {
                    const FlatNode& pn = nodes_[std::size_t(p)];
                    if (!pn.known) continue;
                    if (from >= 0 && numel(pn.out) != numel(in))
                        fail(n,
                             label(n) + " receives " + shape_str(in) + " from '" +
                                 nodes_[std::size_t(from)].name + "' and " + shape_str(pn.out) +
                                 " from '" + pn.name + "'",
                             "inputs of one node are summed and must have the same size");
                    if (from < 0) in = pn.out, from = p;
                }
                if (from < 0) {
                    Shape own;
                    if (is_pop(n) && own_shape(n, own)) {
                        fn.out = own;
                        fn.known = true;
                        changed = true;
                    }
                    continue;
                }
                if (fn.in.empty()) fn.in = in;
                fn.out = out_shape(n, in);
                fn.known = true;
                changed = true;
            }
        }
        for (int n = 0; n < int(nodes_.size()); ++n) {
            FlatNode& fn = nodes_[std::size_t(n)];
            if (fn.known) continue;
            if (is_pop(n)) {
                // Unreached neurons with scalar parameters: one neuron.
                fn.out = {1};
                fn.known = true;
                res_.warnings.push_back("node '" + fn.name +
                                        "' is reached from no Input; it becomes one neuron");
            } else {
                fail(n, "the shape of " + label(n) + " cannot be inferred: no Input reaches it",
                     "connect it to the graph, or remove it");
            }
        }
    }

    // ---- operators ----------------------------------------------------------------------
    LinOp conv_op(int n, const Shape& in_nir) const {
        const FlatNode& fn = nodes_[std::size_t(n)];
        const bool one_d = fn.type == "Conv1d";
        const Array& wa = numeric(n, "weight");
        check_finite(n, "weight", wa);
        const int groups = int_of(n, "groups", 1);
        const int64_t cout = wa.shape[0], cin_g = wa.shape[1];
        const int kh0 = one_d ? 1 : int(wa.shape[2]),
                  kw0 = one_d ? int(wa.shape[2]) : int(wa.shape[3]);
        auto [sh, sw] =
            one_d ? std::pair<int, int>{1, int_of(n, "stride", 1)} : pair_of(n, "stride", 1);
        auto [dh, dw] =
            one_d ? std::pair<int, int>{1, int_of(n, "dilation", 1)} : pair_of(n, "dilation", 1);
        const int kh = (kh0 - 1) * dh + 1, kw = (kw0 - 1) * dw + 1;
        int ph = 0, pw = 0;
        const Array& pa = field(n, "padding");
        if (pa.is_string) {
            const std::string p = pa.strings.empty() ? "" : pa.strings[0];
            if (p == "valid") {
            } else if (p == "same") {
                if (sh != 1 || sw != 1)
                    fail(n, "padding 'same' with stride " + std::to_string(std::max(sh, sw)),
                         "'same' needs stride 1 (as in PyTorch); give the padding as numbers");
                if ((kh - 1) % 2 || (kw - 1) % 2)
                    fail(n, "padding 'same' with an even kernel pads one side more than the other",
                         "spikeforge's conv2d pads symmetrically; use an odd kernel or explicit "
                         "padding");
                ph = (kh - 1) / 2, pw = (kw - 1) / 2;
            } else {
                fail(n, "padding '" + p + "' is not 'same', 'valid' or numbers",
                     "use one of those");
            }
        } else {
            auto pr =
                one_d ? std::pair<int, int>{0, int_of(n, "padding", 0)} : pair_of(n, "padding", 0);
            ph = pr.first, pw = pr.second;
        }
        Shape in = in_nir.size() == 2 ? Shape{in_nir[0], 1, in_nir[1]} : in_nir;
        const int64_t cin = in[0], H = in[1], W = in[2];
        const int64_t Ho = (H + 2 * ph - kh) / sh + 1, Wo = (W + 2 * pw - kw) / sw + 1;
        if (H + 2 * ph < kh || W + 2 * pw < kw || Ho < 1 || Wo < 1)
            fail(n,
                 "the kernel " + std::to_string(kh) + "x" + std::to_string(kw) +
                     " (after dilation) is larger than the padded input " + shape_str(in_nir),
                 "use a smaller kernel or more padding");
        LinOp op;
        op.kind = LinOp::Conv;
        op.node = fn.name;
        op.in = in;
        op.out = {cout, Ho, Wo};
        op.kh = kh, op.kw = kw, op.sh = sh, op.sw = sw, op.ph = ph, op.pw = pw;
        // Groups and dilation are written out: zero weights across groups and between taps.
        if (numel({cout, cin, kh, kw}) > kMaxDense)
            fail(n, "the convolution's expanded weights are too large",
                 "use fewer groups or a smaller dilation");
        op.w.assign(std::size_t(cout * cin * kh * kw), 0.0);
        const int64_t cout_g = cout / groups;
        for (int64_t o = 0; o < cout; ++o) {
            const int64_t g = o / cout_g;
            for (int64_t c = 0; c < cin_g; ++c)
                for (int y = 0; y < kh0; ++y)
                    for (int x = 0; x < kw0; ++x) {
                        const double v =
                            wa.data[std::size_t(((o * cin_g + c) * kh0 + y) * kw0 + x)];
                        const int64_t ci = g * cin_g + c;
                        op.w[std::size_t(((o * cin + ci) * kh + y * dh) * kw + x * dw)] = v;
                    }
        }
        const Array& b = numeric(n, "bias");
        check_finite(n, "bias", b);
        if (b.size() != cout && b.size() != 1)
            fail(n,
                 "bias has shape " + b.shape_str() + " for " + std::to_string(cout) +
                     " output channels",
                 "give one bias per output channel");
        bool any = false;
        for (double v : b.data) any |= v != 0.0;
        if (any) {
            op.bias.resize(std::size_t(cout * Ho * Wo));
            for (int64_t o = 0; o < cout; ++o)
                for (int64_t i = 0; i < Ho * Wo; ++i)
                    op.bias[std::size_t(o * Ho * Wo + i)] =
                        b.data[b.size() == 1 ? 0 : std::size_t(o)];
        }
        return op;
    }

    LinOp pool_op(int n, const Shape& in) const {
        const FlatNode& fn = nodes_[std::size_t(n)];
        auto [kh, kw] = pair_of(n, "kernel_size", 1);
        auto [sh, sw] = pair_of(n, "stride", 1);
        auto [ph, pw] = pair_of(n, "padding", 0);
        const int64_t Ho = (in[1] + 2 * ph - kh) / sh + 1, Wo = (in[2] + 2 * pw - kw) / sw + 1;
        if (in[1] + 2 * ph < kh || in[2] + 2 * pw < kw || Ho < 1 || Wo < 1)
            fail(n,
                 "the pooling window " + std::to_string(kh) + "x" + std::to_string(kw) +
                     " is larger than the padded input " + shape_str(in),
                 "use a smaller kernel_size");
        LinOp op;
        op.kind = fn.type == "SumPool2d" ? LinOp::SumPool : LinOp::AvgPool;
        op.node = fn.name;
        op.in = in;
        op.out = {in[0], Ho, Wo};
        op.kh = kh, op.kw = kw, op.sh = sh, op.sw = sw, op.ph = ph, op.pw = pw;
        return op;
    }

    LinOp make_op(int n) {
        const FlatNode& fn = nodes_[std::size_t(n)];
        const std::string& t = fn.type;
        LinOp op;
        op.node = fn.name;
        op.in = fn.in;
        op.out = fn.out;
        if (t == "Linear" || t == "Affine") {
            const Array& w = numeric(n, "weight");
            check_finite(n, "weight", w);
            op.kind = LinOp::Dense;
            op.in = {w.shape[1]};
            op.out = {w.shape[0]};
            op.w = w.data;
            if (t == "Affine") {
                const Array& b = numeric(n, "bias");
                check_finite(n, "bias", b);
                bool any = false;
                for (double v : b.data) any |= v != 0.0;
                if (any)
                    op.bias = b.size() == 1
                                  ? std::vector<double>(std::size_t(w.shape[0]), b.data[0])
                                  : b.data;
            }
        } else if (t == "Conv2d" || t == "Conv1d") {
            op = conv_op(n, fn.in);
        } else if (t == "SumPool2d" || t == "AvgPool2d") {
            op = pool_op(n, fn.in);
        } else if (t == "Scale") {
            op.kind = LinOp::Scale;
            op.w = param(n, "scale", numel(fn.out));
        } else if (t == "Delay") {
            const std::vector<double> d = param(n, "delay", numel(fn.out));
            const double first = d[0];
            for (double v : d)
                if (v != first)
                    fail(n,
                         "Delay holds different delays per element (" + num(first) + " and " +
                             num(v) + ")",
                         "spikeforge delays whole projections; give one delay for all elements");
            const double steps = first / opt_.dt;
            if (first < 0 || std::fabs(steps - std::round(steps)) > 1e-6 * std::max(1.0, steps) ||
                steps > 1e6)
                fail(n,
                     "delay " + num(first) +
                         " is not a whole number of time steps of dt = " + num(opt_.dt),
                     "pass a --dt that divides the delay");
            op.kind = LinOp::Reshape;
            op.delay = int(std::lround(steps));
        } else {
            op.kind = LinOp::Reshape;  // Flatten, Identity
        }
        return op;
    }

    static std::vector<double> apply(const LinOp& op, const std::vector<double>& x) {
        switch (op.kind) {
            case LinOp::Reshape:
                return x;
            case LinOp::Scale: {
                std::vector<double> y(x.size());
                for (std::size_t i = 0; i < x.size(); ++i)
                    y[i] = x[i] * op.w[op.w.size() == 1 ? 0 : i];
                return y;
            }
            case LinOp::Dense: {
                const int64_t no = op.out[0], ni = op.in[0];
                std::vector<double> y(std::size_t(no), 0.0);
                for (int64_t i = 0; i < ni; ++i) {
                    const double xi = x[std::size_t(i)];
                    if (xi == 0.0) continue;
                    for (int64_t o = 0; o < no; ++o)
                        y[std::size_t(o)] += op.w[std::size_t(o * ni + i)] * xi;
                }
                return y;
            }
            case LinOp::Conv:
            case LinOp::SumPool:
            case LinOp::AvgPool: {
                const int64_t C = op.in[0], H = op.in[1], W = op.in[2];
                const int64_t Co = op.out[0], Ho = op.out[1], Wo = op.out[2];
                std::vector<double> y(std::size_t(Co * Ho * Wo), 0.0);
                const bool conv = op.kind == LinOp::Conv;
                const double pool_w = op.kind == LinOp::AvgPool ? 1.0 / (op.kh * op.kw) : 1.0;
                for (int64_t c = 0; c < C; ++c)
                    for (int64_t h = 0; h < H; ++h)
                        for (int64_t w = 0; w < W; ++w) {
                            const double xi = x[std::size_t((c * H + h) * W + w)];
                            if (xi == 0.0) continue;
                            // Output positions whose window holds (h, w).
                            for (int ky = 0; ky < op.kh; ++ky) {
                                const int64_t ny = h + op.ph - ky;
                                if (ny < 0 || ny % op.sh) continue;
                                const int64_t oy = ny / op.sh;
                                if (oy >= Ho) continue;
                                for (int kx = 0; kx < op.kw; ++kx) {
                                    const int64_t nx = w + op.pw - kx;
                                    if (nx < 0 || nx % op.sw) continue;
                                    const int64_t ox = nx / op.sw;
                                    if (ox >= Wo) continue;
                                    if (conv) {
                                        for (int64_t o = 0; o < Co; ++o)
                                            y[std::size_t((o * Ho + oy) * Wo + ox)] +=
                                                op.w[std::size_t(
                                                    ((o * C + c) * op.kh + ky) * op.kw + kx)] *
                                                xi;
                                    } else {
                                        y[std::size_t((c * Ho + oy) * Wo + ox)] += pool_w * xi;
                                    }
                                }
                            }
                        }
                return y;
            }
        }
        return x;
    }

    // ---- 4. neurons ---------------------------------------------------------------------
    double decay_of(int n, const std::string& name, double tau) const {
        if (tau <= 0)
            fail(n, "time constant " + name + " = " + num(tau) + " is not positive",
                 "give time constants > 0");
        if (std::isinf(tau)) return 0.0;
        if (opt_.method == Method::Exp) return 1.0 - std::exp(-opt_.dt / tau);
        const double a = opt_.dt / tau;
        if (a > 1.0 + 1e-12)
            fail(n,
                 name + " = " + num(tau) + " is shorter than dt = " + num(opt_.dt) +
                     ": the forward-Euler decay dt/tau would exceed 1",
                 "pass a smaller --dt, or --method exp");
        return std::min(a, 1.0);
    }

    double uniform(int n, const std::string& name, const std::vector<double>& v) const {
        float first = float(v[0]);
        for (double x : v)
            if (float(x) != first) {
                auto [lo, hi] = std::minmax_element(v.begin(), v.end());
                fail(n,
                     label(n) + " has different " + name + " values per neuron (" + num(*lo) +
                         " to " + num(*hi) + "), but a spikeforge population shares one decay",
                     "split the node into one node per time constant");
            }
        return v[0];
    }

    PopModel neuron_model(int n) {
        const FlatNode& fn = nodes_[std::size_t(n)];
        const std::string& t = fn.type;
        const int64_t size = numel(fn.out);
        PopModel m;
        m.node = n;
        m.nir_type = t;
        m.shape = fn.out;
        m.gain.assign(std::size_t(size), 1.0);
        m.bias.assign(std::size_t(size), 0.0);
        if (t == "Input") {
            m.kind = NeuronKind::Input;
            return m;
        }
        std::vector<double> thr;  // in the frame shifted by v_reset
        auto reset_frame = [&](const std::vector<double>& vth) {
            const std::vector<double> vr = param_or(n, "v_reset", size, 0.0);
            thr.resize(static_cast<std::size_t>(size));
            for (int64_t i = 0; i < size; ++i)
                thr[std::size_t(i)] = vth[std::size_t(i)] - vr[std::size_t(i)];
            return vr;
        };
        if (t == "LIF" || t == "LI" || t == "CubaLIF" || t == "CubaLI") {
            const bool cuba = t == "CubaLIF" || t == "CubaLI";
            const std::vector<double> tm = param(n, cuba ? "tau_mem" : "tau", size, true);
            const std::vector<double> r = param(n, "r", size), vl = param(n, "v_leak", size);
            std::vector<double> am(static_cast<std::size_t>(size)), as(std::size_t(size), 1.0),
                w_in(std::size_t(size), 1.0);
            for (int64_t i = 0; i < size; ++i)
                am[std::size_t(i)] = decay_of(n, cuba ? "tau_mem" : "tau", tm[std::size_t(i)]);
            if (cuba) {
                const std::vector<double> ts = param(n, "tau_syn", size, true);
                for (int64_t i = 0; i < size; ++i)
                    as[std::size_t(i)] = decay_of(n, "tau_syn", ts[std::size_t(i)]);
                w_in = param_or(n, "w_in", size, 1.0);
            }
            m.dv = uniform(n, cuba ? "tau_mem" : "tau", am);
            m.du = uniform(n, "tau_syn", as);
            std::vector<double> vr(std::size_t(size), 0.0);
            const bool spiking = t == "LIF" || t == "CubaLIF";
            if (spiking) vr = reset_frame(param(n, "v_threshold", size));
            for (int64_t i = 0; i < size; ++i) {
                const std::size_t k = std::size_t(i);
                m.gain[k] = am[k] * r[k] * as[k] * w_in[k];
                m.bias[k] = am[k] * (vl[k] - vr[k]);
            }
            m.kind = spiking ? NeuronKind::LIF : NeuronKind::LI;
        } else if (t == "IF" || t == "I") {
            const std::vector<double> r = param(n, "r", size);
            for (int64_t i = 0; i < size; ++i) m.gain[std::size_t(i)] = opt_.dt * r[std::size_t(i)];
            m.du = 1, m.dv = 0;
            if (t == "IF") {
                reset_frame(param(n, "v_threshold", size));
                m.kind = NeuronKind::IF;
            } else {
                m.kind = NeuronKind::LI;
            }
        } else if (t == "Threshold") {
            thr = param(n, "threshold", size);
            m.du = 1, m.dv = 1;
            m.kind = NeuronKind::LIF;
        }
        if (!thr.empty()) {
            for (double v : thr)
                if (!(v > 0))
                    fail(n,
                         label(n) +
                             (t == "Threshold" ? " has a threshold of "
                                               : " has v_threshold - v_reset = ") +
                             num(v) + ", not above 0",
                         "spikeforge neurons fire above a positive threshold; give v_threshold > "
                         "v_reset");
            bool same = true;
            for (double v : thr) same &= float(v) == float(thr[0]);
            if (same) {
                m.threshold = thr[0];
            } else {
                // Per-neuron thresholds: measure each v in units of its own threshold.
                for (int64_t i = 0; i < size; ++i) {
                    m.gain[std::size_t(i)] /= thr[std::size_t(i)];
                    m.bias[std::size_t(i)] /= thr[std::size_t(i)];
                }
                m.threshold = 1.0;
                res_.warnings.push_back(
                    "node '" + fn.name +
                    "' has per-neuron thresholds; spikeforge measures each membrane in units of "
                    "its threshold (threshold 1, inputs and bias divided by it)");
            }
        }
        return m;
    }

    std::string ir_name(const std::string& nir, std::set<std::string>& used) const {
        std::string s;
        for (char c : nir)
            s += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')
                     ? c
                     : '_';
        if (s.empty()) s = "node";
        std::string u = s;
        for (int k = 2; used.count(u); ++k) u = s + "." + std::to_string(k);
        used.insert(u);
        return u;
    }
};

ImportResult Importer::run() {
    if (!(opt_.dt > 0) || !std::isfinite(opt_.dt))
        throw InputError("dt must be a positive number, got " + num(opt_.dt), "--dt",
                         "pass the time step in the file's time unit (seconds), e.g. --dt 1e-3");
    if (opt_.refractory_steps < 0)
        throw InputError("the refractory period must be >= 0 steps", "--refractory",
                         "pass 0 or more");
    flatten(f_.graph, "", true);
    check_fields();
    check_structure();
    infer_shapes();

    // Populations in the order a breadth-first walk from the inputs reaches them.
    std::vector<int> order;
    std::vector<char> seen(nodes_.size(), 0);
    std::deque<int> q;
    for (int n = 0; n < int(nodes_.size()); ++n)
        if (nodes_[std::size_t(n)].type == "Input") q.push_back(n), seen[std::size_t(n)] = 1;
    while (!q.empty()) {
        const int n = q.front();
        q.pop_front();
        order.push_back(n);
        for (int s : nodes_[std::size_t(n)].succ)
            if (!seen[std::size_t(s)]) seen[std::size_t(s)] = 1, q.push_back(s);
    }
    for (int n = 0; n < int(nodes_.size()); ++n)
        if (!seen[std::size_t(n)]) {
            order.push_back(n);
            if (is_op(n))
                res_.warnings.push_back("node '" + nodes_[std::size_t(n)].name +
                                        "' is reached from no Input; ignored");
        }

    std::vector<PopModel> pops;
    std::map<int, int> pop_of;  // node -> index in pops (populations and readouts)
    std::set<std::string> used;
    // Outputs fed through operators get a readout population (LI, v = this step's input).
    auto needs_readout = [&](int out) {
        for (int p : nodes_[std::size_t(out)].pred)
            if (!is_pop(p)) return true;
        return false;
    };
    for (int n : order) {
        if (is_pop(n)) {
            PopModel m = neuron_model(n);
            m.ir_name = ir_name(nodes_[std::size_t(n)].name, used);
            pop_of[n] = int(pops.size());
            pops.push_back(std::move(m));
        } else if (is_output(n) && needs_readout(n)) {
            PopModel m;
            m.node = n;
            m.nir_type = "Output";
            m.kind = NeuronKind::LI;
            m.du = 1, m.dv = 1;
            m.shape = nodes_[std::size_t(n)].out;
            m.gain.assign(std::size_t(numel(m.shape)), 1.0);
            m.bias.assign(std::size_t(numel(m.shape)), 0.0);
            m.ir_name = ir_name(nodes_[std::size_t(n)].name, used);
            pop_of[n] = int(pops.size());
            pops.push_back(std::move(m));
        }
    }

    // Paths population → operators… → population or Output.
    struct Path {
        int from, to;
        std::vector<int> ops;
    };
    std::vector<Path> paths;
    for (int n : order) {
        if (!is_pop(n)) continue;
        std::vector<int> ops;
        std::function<void(int)> walk = [&](int at) {
            for (int s : nodes_[std::size_t(at)].succ) {
                if (is_pop(s) || is_output(s)) {
                    if (int(paths.size()) >= kMaxPaths)
                        fail(n,
                             "the graph has more than " + std::to_string(kMaxPaths) +
                                 " paths between neurons",
                             "simplify the graph");
                    paths.push_back({n, s, ops});
                } else {
                    ops.push_back(s);
                    walk(s);
                    ops.pop_back();
                }
            }
        };
        walk(n);
    }

    // Conv1d projections run as conv2d over [C, 1, L]: give their populations that shape.
    for (const Path& p : paths) {
        int mains = 0, conv1 = -1;
        for (int o : p.ops) {
            const std::string& t = nodes_[std::size_t(o)].type;
            if (t != "Scale" && t != "Flatten" && t != "Delay" && t != "Identity") ++mains;
            if (t == "Conv1d") conv1 = o;
        }
        if (mains != 1 || conv1 < 0 || !pop_of.count(p.to)) continue;
        for (int end : {p.from, p.to}) {
            Shape& s = pops[std::size_t(pop_of.at(end))].shape;
            if (s.size() == 2) s = {s[0], 1, s[1]};
        }
    }

    Graph g;
    g.name = opt_.name.empty() ? std::filesystem::path(f_.path).stem().string() : opt_.name;
    if (g.name.empty()) g.name = "nir";
    g.dt_ms = float(opt_.dt * 1000.0);
    g.timesteps = opt_.timesteps;
    g.encoder = opt_.encoder;
    g.dataset = opt_.dataset;

    std::vector<std::vector<double>> extra_bias(pops.size());
    for (std::size_t i = 0; i < pops.size(); ++i) extra_bias[i].assign(pops[i].gain.size(), 0.0);

    std::set<std::string> proj_used = used;
    std::vector<std::string> proj_lines;
    std::map<std::string, int> op_uses;
    for (const Path& p : paths)
        for (int o : p.ops) ++op_uses[nodes_[std::size_t(o)].name];

    for (const Path& p : paths) {
        const PopModel& pre = pops[std::size_t(pop_of.at(p.from))];
        if (is_output(p.to) && !pop_of.count(p.to)) {
            // Population → Output directly: the population is a network output.
            pops[std::size_t(pop_of.at(p.from))].output = true;
            continue;
        }
        const int ti = pop_of.at(p.to);
        PopModel& post = pops[std::size_t(ti)];
        if (is_output(p.to)) post.output = true;
        if (pre.kind == NeuronKind::LI)
            fail(p.from, label(p.from) + " cannot feed other nodes",
                 "LI, I and CubaLI nodes may only feed Output");

        std::vector<LinOp> ops;
        int delay = 0;
        for (int o : p.ops) {
            ops.push_back(make_op(o));
            delay += ops.back().delay;
        }
        const int64_t n_pre = numel(pre.shape), n_post = numel(post.shape);
        const std::vector<double>& gain = post.gain;

        // Constant inputs (Affine and conv biases) carried to the target.
        std::vector<double> c;
        for (const LinOp& op : ops) {
            if (!c.empty()) c = apply(op, c);
            if (!op.bias.empty()) {
                if (c.empty()) c.assign(op.bias.size(), 0.0);
                for (std::size_t i = 0; i < c.size(); ++i) c[i] += op.bias[i];
            }
        }
        if (!c.empty()) {
            const bool filtered = post.du < 1.0;
            if (filtered && post.du <= 0.0)
                fail(p.to,
                     label(p.to) +
                         " has tau_syn = inf and receives a constant bias from the path from '" +
                         nodes_[std::size_t(p.from)].name +
                         "': its current would grow without bound",
                     "give a finite tau_syn, or remove the bias");
            for (int64_t i = 0; i < n_post; ++i)
                extra_bias[std::size_t(ti)][std::size_t(i)] +=
                    gain[std::size_t(i)] * c[std::size_t(i)] / (filtered ? post.du : 1.0);
            if (filtered && !post.cuba_bias_warned) {
                post.cuba_bias_warned = true;
                res_.warnings.push_back("node '" + nodes_[std::size_t(p.to)].name +
                                        "': the bias of its input passes through the synaptic "
                                        "current; spikeforge adds the current's "
                                        "steady state (bias / decay_u) to v from the first step, "
                                        "which differs during the first ~tau_syn");
            }
        }

        Projection pr;
        pr.pre = pre.ir_name;
        pr.post = post.ir_name;
        pr.delay = 1 + delay;
        // Name: the one weight node of the path when it has one, else the two ends.
        std::vector<int> mains;
        for (std::size_t k = 0; k < ops.size(); ++k)
            if (ops[k].kind != LinOp::Scale && ops[k].kind != LinOp::Reshape)
                mains.push_back(int(k));
        std::string base;
        if (mains.size() == 1 && op_uses[ops[std::size_t(mains[0])].node] == 1)
            base = ops[std::size_t(mains[0])].node;
        else if (p.ops.size() == 1 && op_uses[nodes_[std::size_t(p.ops[0])].name] == 1)
            base = nodes_[std::size_t(p.ops[0])].name;
        else
            base = nodes_[std::size_t(p.from)].name + "-" + nodes_[std::size_t(p.to)].name;
        pr.name = ir_name(base, proj_used);

        // Elementwise factors before the first and after the last weight operator.
        std::vector<double> pre_s(std::size_t(n_pre), 1.0), post_s(gain);
        const std::size_t first = mains.empty() ? ops.size() : std::size_t(mains.front());
        for (std::size_t k = 0; k < ops.size(); ++k) {
            if (ops[k].kind != LinOp::Scale) continue;
            std::vector<double>& v = k < first ? pre_s : post_s;
            for (std::size_t i = 0; i < v.size(); ++i)
                v[i] *= ops[k].w[ops[k].w.size() == 1 ? 0 : i];
        }
        auto uniform_vec = [](const std::vector<double>& v) {
            for (double x : v)
                if (x != v[0]) return false;
            return true;
        };
        // Per channel of a [C, H, W] vector: the channel's value, if constant over (H, W).
        auto per_channel = [](const std::vector<double>& v, const Shape& s,
                              std::vector<double>& out) {
            const int64_t C = s[0], hw = s[1] * s[2];
            out.assign(std::size_t(C), 0.0);
            for (int64_t ch = 0; ch < C; ++ch) {
                out[std::size_t(ch)] = v[std::size_t(ch * hw)];
                for (int64_t i = 0; i < hw; ++i)
                    if (v[std::size_t(ch * hw + i)] != out[std::size_t(ch)]) return false;
            }
            return true;
        };
        bool done = false;
        if (mains.empty()) {
            pr.kind = ProjectionKind::OneToOne;
            std::vector<double> w(static_cast<std::size_t>(n_post));
            for (int64_t i = 0; i < n_post; ++i)
                w[std::size_t(i)] = pre_s[std::size_t(i)] * post_s[std::size_t(i)];
            if (uniform_vec(w)) {
                pr.scale = float(w[0]);
            } else {
                std::vector<float> wf(w.begin(), w.end());
                pr.weights = Tensor::from<float>(wf, {n_post});
            }
            done = true;
        } else if (mains.size() == 1) {
            const LinOp& m = ops[std::size_t(mains[0])];
            if (m.kind == LinOp::Dense) {
                pr.kind = ProjectionKind::Dense;
                std::vector<float> w(std::size_t(n_post * n_pre));
                for (int64_t o = 0; o < n_post; ++o)
                    for (int64_t i = 0; i < n_pre; ++i)
                        w[std::size_t(o * n_pre + i)] =
                            float(post_s[std::size_t(o)] * m.w[std::size_t(o * n_pre + i)] *
                                  pre_s[std::size_t(i)]);
                pr.weights = Tensor::from<float>(w, {n_post, n_pre});
                done = true;
            } else if (pre.shape == m.in && post.shape == m.out && m.ph < m.kh && m.pw < m.kw &&
                       m.ph <= m.in[1] && m.pw <= m.in[2]) {
                std::vector<double> pc, oc;
                if (m.kind == LinOp::Conv && per_channel(pre_s, m.in, pc) &&
                    per_channel(post_s, m.out, oc)) {
                    pr.kind = ProjectionKind::Conv2d;
                    const int64_t Co = m.out[0], Ci = m.in[0];
                    std::vector<float> w(m.w.size());
                    for (int64_t o = 0; o < Co; ++o)
                        for (int64_t ci = 0; ci < Ci; ++ci)
                            for (int64_t k = 0; k < int64_t(m.kh) * m.kw; ++k) {
                                const std::size_t idx =
                                    std::size_t((o * Ci + ci) * m.kh * m.kw + k);
                                w[idx] = float(oc[std::size_t(o)] * m.w[idx] * pc[std::size_t(ci)]);
                            }
                    pr.weights = Tensor::from<float>(w, {Co, Ci, m.kh, m.kw});
                    done = true;
                } else if (m.kind != LinOp::Conv && uniform_vec(pre_s) && uniform_vec(post_s)) {
                    pr.kind = m.kind == LinOp::SumPool ? ProjectionKind::SumPool
                                                       : ProjectionKind::AvgPool;
                    pr.scale = float(pre_s[0] * post_s[0]);
                    done = true;
                }
                if (done) {
                    pr.kernel = {m.kh, m.kw};
                    pr.stride = {m.sh, m.sw};
                    pr.padding = {m.ph, m.pw};
                }
            }
        }
        if (!done) {
            // Multiply the chain out into one dense matrix.
            if (n_pre * n_post > kMaxDense)
                fail(p.to,
                     "the path from '" + nodes_[std::size_t(p.from)].name + "' to '" +
                         nodes_[std::size_t(p.to)].name +
                         "' does not fold into one spikeforge projection, and as a dense matrix it "
                         "would hold " +
                         std::to_string(n_pre * n_post) + " weights",
                     "put a neuron node between its weight operators (e.g. after a convolution "
                     "before pooling)");
            pr.kind = ProjectionKind::Dense;
            std::vector<float> w(std::size_t(n_post * n_pre));
            std::vector<double> x(std::size_t(n_pre), 0.0);
            for (int64_t i = 0; i < n_pre; ++i) {
                x.assign(std::size_t(n_pre), 0.0);
                x[std::size_t(i)] = 1.0;
                std::vector<double> y = x;
                for (const LinOp& op : ops) y = apply(op, y);
                for (int64_t o = 0; o < n_post; ++o)
                    w[std::size_t(o * n_pre + i)] = float(y[std::size_t(o)] * gain[std::size_t(o)]);
            }
            pr.weights = Tensor::from<float>(w, {n_post, n_pre});
            proj_lines.push_back("path " + nodes_[std::size_t(p.from)].name + " → " +
                                 nodes_[std::size_t(p.to)].name +
                                 " multiplied out into the dense projection '" + pr.name + "'");
        }
        if (pr.kind == ProjectionKind::Dense) {
            // A weight matrix of zeros carries nothing (the exporter uses one to carry a bias).
            bool zero = true;
            for (float v : pr.weights.to<float>()) zero &= v == 0.0f;
            if (zero) continue;
        }
        std::string via = nodes_[std::size_t(p.from)].name;
        for (int o : p.ops)
            via += " → " + nodes_[std::size_t(o)].name + " (" + nodes_[std::size_t(o)].type + ")";
        proj_lines.push_back(
            via + " → " + nodes_[std::size_t(p.to)].name + ": " + to_string(pr.kind) +
            " projection '" + pr.name + "'" +
            (pr.delay > 1 ? ", delay " + std::to_string(pr.delay) : std::string()));
        g.projections.push_back(std::move(pr));
    }

    for (std::size_t i = 0; i < pops.size(); ++i) {
        const PopModel& m = pops[i];
        Population p;
        p.name = m.ir_name;
        p.kind = m.kind;
        p.shape = m.shape;
        p.output = m.output;
        if (m.kind != NeuronKind::Input) {
            NeuronParams& np = p.params;
            np.decay_u = float(m.du);
            np.decay_v = float(m.dv);
            np.threshold = float(m.threshold);
            const bool spiking = m.kind == NeuronKind::LIF || m.kind == NeuronKind::IF;
            const bool heaviside = m.node >= 0 && nodes_[std::size_t(m.node)].type == "Threshold";
            np.reset = spiking && !heaviside ? opt_.reset : ResetMode::Zero;
            np.refractory_steps = spiking && !heaviside ? opt_.refractory_steps : 0;
            std::vector<float> b(m.bias.size());
            for (std::size_t k = 0; k < b.size(); ++k) b[k] = float(m.bias[k] + extra_bias[i][k]);
            bool same = true;
            for (float v : b) same &= v == b[0];
            if (same)
                np.bias = b.empty() ? 0.0f : b[0];
            else
                p.bias = Tensor::from<float>(b, {int64_t(b.size())});
            std::string line = (m.node >= 0 ? nodes_[std::size_t(m.node)].name : std::string("?")) +
                               " (" + m.nir_type + ", " + shape_str(m.shape) + ") → population '" +
                               p.name + "' " + to_string(p.kind);
            if (m.kind != NeuronKind::IF)
                line += ", decay_u " + num(np.decay_u) + ", decay_v " + num(np.decay_v);
            if (spiking)
                line += ", threshold " + num(np.threshold) + ", reset " + to_string(np.reset);
            if (m.nir_type == "Output")
                line = nodes_[std::size_t(m.node)].name +
                       " (Output fed by weights) → readout population '" + p.name +
                       "' li, v = this step's input";
            res_.mapping.push_back(line);
        } else {
            res_.mapping.push_back(nodes_[std::size_t(m.node)].name + " (Input, " +
                                   shape_str(m.shape) + ") → input population '" + p.name + "'");
        }
        g.populations.push_back(std::move(p));
    }
    res_.mapping.insert(res_.mapping.end(), proj_lines.begin(), proj_lines.end());
    bool any_out = false;
    for (const auto& p : g.populations) any_out |= p.output;
    if (!any_out) {
        for (auto it = g.populations.rbegin(); it != g.populations.rend(); ++it)
            if (it->kind != NeuronKind::Input) {
                it->output = true;
                res_.warnings.push_back("the graph has no Output node; population '" + it->name +
                                        "' is the output");
                break;
            }
    }
    for (const auto& pr : g.projections)
        if (pr.delay > 1)
            res_.warnings.push_back(
                "projection '" + pr.name + "' has delay " + std::to_string(pr.delay) +
                " steps: the reference runs it, the chip supports delay 1 only");
    try {
        validate_graph(g);
    } catch (const InputError& e) {
        throw InputError("the imported network is not valid: " + e.problem(),
                         at_file(f_.path, 0, e.where()), e.fix());
    }
    res_.graph = std::move(g);
    return std::move(res_);
}

}  // namespace

const char* to_string(Method m) {
    return m == Method::Euler ? "euler" : "exp";
}

ImportResult import_nir(const File& f, const ImportOptions& opt) {
    return Importer(f, opt).run();
}

ImportResult import_nir(const std::string& path, const ImportOptions& opt) {
    return import_nir(read_nir(path), opt);
}

void save_imported(const ImportResult& r, const ImportOptions& opt, const std::string& source,
                   const std::string& dir) {
    namespace fs = std::filesystem;
    TempSiblingDir staging(dir);
    const fs::path tmp = staging.path();
    // save_network writes network.yaml and weights.npz atomically into a directory of its
    // own; build that inside the staging directory and lift the two files out of it.
    const fs::path inner = tmp / "network";
    save_network(r.graph, inner.string());
    for (const char* name : {"network.yaml", "weights.npz"}) fs::rename(inner / name, tmp / name);
    fs::remove_all(inner);
    {
        auto quoted = [](const std::string& t) {
            std::string q = "\"";
            for (char c : t) q += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
            return q + "\"";
        };
        std::ofstream out(tmp / "nir-import.yaml", std::ios::binary);
        out << "# How this network was made from a NIR file (spikeforge import; docs/nir.md).\n";
        out << "# NIR leaves these open; they are the discretization spikeforge used.\n";
        out << "source: " << quoted(fs::path(source).filename().string()) << "\n";
        out << "dt: " << fmt::format("{}", opt.dt)
            << "          # [s, the file's time unit] dt_ms in network.yaml\n";
        out << "method: " << to_string(opt.method) << "       # decay = "
            << (opt.method == Method::Euler ? "dt / tau" : "1 - exp(-dt / tau)") << "\n";
        out << "reset: " << to_string(opt.reset) << "\n";
        out << "refractory: " << opt.refractory_steps << "        # [steps]\n";
        out << "timesteps: " << opt.timesteps << "\n";
        out << "# Bit widths are the chip's (spikeforge compile --chip); the float network above "
               "is\n";
        out << "# what the compiler quantizes.\n";
        out << "mapping:\n";
        for (const auto& m : r.mapping) out << "  - " << quoted(m) << "\n";
        out << "warnings:" << (r.warnings.empty() ? " []\n" : "\n");
        for (const auto& w : r.warnings) out << "  - " << quoted(w) << "\n";
        out.flush();
        if (!out)
            throw InputError("cannot write nir-import.yaml", tmp.string(), "check free disk space");
    }
    staging.commit_files({"weights.npz", "nir-import.yaml", "network.yaml"});
}

}  // namespace sf::nir
