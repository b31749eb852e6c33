// ANN model files: YAML reading and writing, shape inference, weight loading and
// checking, seeded initialisation and the inference forward pass.
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <type_traits>

#include "../yaml_value.hpp"
#include "ann_ops.hpp"
#include "sf/core/error.hpp"
#include "sf/core/temp_dir.hpp"
#include "sf/core/tensor.hpp"
#include "sf/core/yaml_file.hpp"
#include "sf/reference/ann.hpp"

namespace fs = std::filesystem;

namespace sf {

using ann_detail::shape_size;

namespace {

struct KindName {
    AnnLayerKind kind;
    const char* name;
};
const KindName kKinds[] = {
    {AnnLayerKind::Dense, "dense"},     {AnnLayerKind::Conv2d, "conv2d"},
    {AnnLayerKind::MaxPool, "maxpool"}, {AnnLayerKind::AvgPool, "avgpool"},
    {AnnLayerKind::Flatten, "flatten"}, {AnnLayerKind::ReLU, "relu"},
    {AnnLayerKind::Sigmoid, "sigmoid"}, {AnnLayerKind::Tanh, "tanh"},
    {AnnLayerKind::Softmax, "softmax"}, {AnnLayerKind::Dropout, "dropout"},
    {AnnLayerKind::Rnn, "rnn"},         {AnnLayerKind::Lstm, "lstm"},
};

std::string shape_str(const std::vector<int64_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

void set_param(AnnLayer& l, const std::string& name, std::vector<int64_t> shape) {
    for (auto& p : l.params)
        if (p.name == name) {
            p.shape = std::move(shape);
            return;
        }
    l.params.push_back({name, std::move(shape), {}});
}

}  // namespace

const char* ann_layer_kind_name(AnnLayerKind k) {
    for (const auto& kn : kKinds)
        if (kn.kind == k) return kn.name;
    return "?";
}

AnnLayerKind parse_ann_layer_kind(const std::string& name) {
    for (const auto& kn : kKinds)
        if (name == kn.name) return kn.kind;
    std::string all;
    for (const auto& kn : kKinds) all += std::string(all.empty() ? "" : ", ") + kn.name;
    throw InputError("unknown layer kind '" + name + "'", "", "use one of: " + all);
}

const AnnParam* AnnLayer::param(const std::string& n) const {
    for (const auto& p : params)
        if (p.name == n) return &p;
    return nullptr;
}
AnnParam* AnnLayer::param(const std::string& n) {
    for (auto& p : params)
        if (p.name == n) return &p;
    return nullptr;
}

std::vector<int64_t> AnnModel::output_shape() const {
    return layers.empty() ? input_shape : layers.back().out_shape;
}
int64_t AnnModel::input_size() const { return shape_size(input_shape); }
int64_t AnnModel::num_params() const {
    int64_t n = 0;
    for (const auto& l : layers)
        for (const auto& p : l.params) n += shape_size(p.shape);
    return n;
}

namespace ann_detail {

void infer_layer(AnnLayer& l, const std::vector<int64_t>& in, const std::string& where) {
    l.in_shape = in;
    const int64_t n = shape_size(in);
    auto need = [&](bool ok, const std::string& what, const std::string& fix) {
        if (!ok) throw InputError(what, where, fix);
    };
    switch (l.kind) {
    case AnnLayerKind::Dense:
        need(l.units > 0, "dense layer needs units > 0", "set 'units: N'");
        l.out_shape = {l.units};
        set_param(l, "weight", {l.units, n});
        set_param(l, "bias", {l.units});
        break;
    case AnnLayerKind::Conv2d: {
        need(in.size() == 3,
             "conv2d needs a [channels, height, width] input, got " + shape_str(in),
             "set input_shape to [C, H, W] or remove the flatten before this layer");
        need(l.out_channels > 0 && l.kernel > 0 && l.stride > 0 && l.padding >= 0,
             "conv2d needs out_channels > 0, kernel > 0, stride > 0, padding >= 0",
             "set out_channels, kernel (and optionally stride, padding)");
        const int64_t oh = (in[1] + 2 * l.padding - l.kernel) / l.stride + 1;
        const int64_t ow = (in[2] + 2 * l.padding - l.kernel) / l.stride + 1;
        need(oh > 0 && ow > 0, "conv2d kernel larger than its padded input " + shape_str(in),
             "use a smaller kernel or more padding");
        l.out_shape = {l.out_channels, oh, ow};
        set_param(l, "weight", {l.out_channels, in[0], l.kernel, l.kernel});
        set_param(l, "bias", {l.out_channels});
        break;
    }
    case AnnLayerKind::MaxPool:
    case AnnLayerKind::AvgPool: {
        need(in.size() == 3, "pooling needs a [channels, height, width] input, got " + shape_str(in),
             "pool before flattening");
        need(l.kernel > 0 && l.stride > 0, "pooling needs kernel > 0 and stride > 0",
             "set 'kernel: 2'");
        const int64_t oh = (in[1] - l.kernel) / l.stride + 1;
        const int64_t ow = (in[2] - l.kernel) / l.stride + 1;
        need(oh > 0 && ow > 0, "pooling window larger than its input " + shape_str(in),
             "use a smaller kernel");
        l.out_shape = {in[0], oh, ow};
        break;
    }
    case AnnLayerKind::Flatten: l.out_shape = {n}; break;
    case AnnLayerKind::Dropout:
        need(l.rate >= 0.0f && l.rate < 1.0f, "dropout rate must be in [0, 1)", "set 'rate: 0.5'");
        l.out_shape = in;
        break;
    case AnnLayerKind::ReLU:
    case AnnLayerKind::Sigmoid:
    case AnnLayerKind::Tanh:
    case AnnLayerKind::Softmax: l.out_shape = in; break;
    case AnnLayerKind::Rnn:
    case AnnLayerKind::Lstm: {
        need(in.size() >= 2, "rnn/lstm needs a sequence input [T, features], got " + shape_str(in),
             "give the layer a [T, I] input, e.g. input_shape [1, 28, 28] reads 28 rows of 28");
        need(l.units > 0, "rnn/lstm needs units > 0", "set 'units: N'");
        const int64_t I = in.back(), T = n / I;
        const int64_t g = l.kind == AnnLayerKind::Lstm ? 4 : 1;
        l.out_shape = l.return_sequences ? std::vector<int64_t>{T, l.units}
                                         : std::vector<int64_t>{l.units};
        set_param(l, "weight_ih", {g * l.units, I});
        set_param(l, "weight_hh", {g * l.units, l.units});
        set_param(l, "bias", {g * l.units});
        break;
    }
    }
}

}  // namespace ann_detail

namespace {

std::string model_file_of(const std::string& path) {
    fs::path p(path);
    if (fs::is_directory(p)) p /= "network.yaml";
    if (!fs::exists(p))
        throw InputError("model file not found: " + p.string(), "",
                         "give a model .yaml file or a network directory holding network.yaml");
    return p.string();
}

template <class T>
T get(const YAML::Node& n, const char* key, T dflt, const std::string& file) {
    return detail::yaml_value<T>(n, key, dflt, file);
}

// Keys the ANN loader reads; anything else is a typo that would be silently ignored.
void check_keys(const YAML::Node& m, const std::set<std::string>& allowed, const std::string& file,
                const std::string& node) {
    std::set<std::string> seen;
    for (const auto& kv : m) {
        const std::string k = kv.first.Scalar();
        const std::string where = at_file(file, kv.first.Mark().line + 1, node);
        if (!seen.insert(k).second)
            throw InputError("key '" + k + "' appears twice", where, "keep one of the two entries");
        if (!allowed.count(k)) {
            std::string list;
            for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
            throw InputError("unknown key '" + k + "'", where, "known keys here: " + list);
        }
    }
}

// The most units, channels or batch size the loader accepts, and the most values one
// parameter tensor may hold (1 GiB of float32): beyond them a typo would exhaust memory.
constexpr int64_t kMaxUnits = int64_t(1) << 24;
constexpr int64_t kMaxParamValues = int64_t(1) << 28;

}  // namespace

AnnModel load_ann(const std::string& path) {
    const std::string file = model_file_of(path);
    const std::string base = fs::path(file).parent_path().string();
    const YAML::Node root = load_yaml_file(file, "model file");
    if (!root.IsMap()) throw InputError("model file is not a YAML map", file, "see docs/reference-ann.md");
    check_keys(root, {"name", "type", "dataset", "input_shape", "layers", "training"}, file,
               "model");
    const std::string type = get<std::string>(root, "type", "ann", file);
    if (type != "ann")
        throw InputError("model type is '" + type + "', expected 'ann'", file,
                         "this loader reads ANN models (type: ann)");
    if (!root["layers"] || !root["layers"].IsSequence() || root["layers"].size() == 0)
        throw InputError("model has no 'layers:' list", file, "add a list of layers");
    AnnModel m;
    m.name = get<std::string>(root, "name", fs::path(file).parent_path().filename().string(), file);
    m.dataset = get<std::string>(root, "dataset", "", file);
    m.input_shape = get<std::vector<int64_t>>(root, "input_shape", {}, file);
    if (m.input_shape.empty())
        throw InputError("model has no input_shape", file, "add e.g. 'input_shape: [1, 28, 28]'");
    for (auto v : m.input_shape)
        if (v <= 0) throw InputError("input_shape has a non-positive size", file, "fix input_shape");
    if (auto t = root["training"]) {
        if (!t.IsMap())
            throw InputError("'training' must be a mapping",
                             at_file(file, t.Mark().line + 1, "training"),
                             "write training: {optimizer: adam, lr: 0.001, ...}");
        check_keys(t,
                   {"optimizer", "lr", "momentum", "weight_decay", "batch", "epochs", "loss",
                    "target", "noise", "augmentation", "lr_decay", "rule", "feedback_seed"},
                   file, "training");
        auto& tr = m.training;
        tr.optimizer = get<std::string>(t, "optimizer", tr.optimizer, file);
        tr.lr = get<float>(t, "lr", tr.lr, file);
        tr.momentum = get<float>(t, "momentum", tr.momentum, file);
        tr.weight_decay = get<float>(t, "weight_decay", tr.weight_decay, file);
        tr.batch = get<int64_t>(t, "batch", tr.batch, file);
        tr.epochs = get<int>(t, "epochs", tr.epochs, file);
        tr.loss = get<std::string>(t, "loss", tr.loss, file);
        tr.target = get<std::string>(t, "target", tr.target, file);
        tr.noise = get<float>(t, "noise", tr.noise, file);
        tr.augmentation = get<std::string>(t, "augmentation", tr.augmentation, file);
        tr.lr_decay = get<float>(t, "lr_decay", tr.lr_decay, file);
        tr.rule = get<std::string>(t, "rule", tr.rule, file);
        if (tr.rule == "bp") tr.rule = "backprop";
        if (tr.rule != "backprop" && tr.rule != "fa" && tr.rule != "dfa")
            throw InputError("unknown training rule '" + tr.rule + "'",
                             at_file(file, t["rule"].Mark().line + 1, "training.rule"),
                             "use rule: backprop, fa (feedback alignment) or dfa (direct "
                             "feedback alignment)");
        if (t["feedback_seed"]) {
            const int64_t fseed = get<int64_t>(t, "feedback_seed", 1, file);
            if (fseed < 0)
                throw InputError("feedback_seed = " + std::to_string(fseed) + " must be >= 0",
                                 at_file(file, t["feedback_seed"].Mark().line + 1,
                                         "training.feedback_seed"),
                                 "use e.g. feedback_seed: 1");
            if (tr.rule == "backprop")
                throw InputError("feedback_seed is set but rule is backprop, which has no "
                                 "random feedback",
                                 at_file(file, t["feedback_seed"].Mark().line + 1,
                                         "training.feedback_seed"),
                                 "add rule: fa or rule: dfa, or remove feedback_seed");
            tr.feedback_seed = uint64_t(fseed);
        }
        const std::string w = at_file(file, t.Mark().line + 1, "training");
        if (tr.optimizer != "sgd" && tr.optimizer != "adam")
            throw InputError("unknown optimizer '" + tr.optimizer + "'", w, "use sgd or adam");
        if (tr.loss != "cross_entropy" && tr.loss != "mse" && tr.loss != "perceptron")
            throw InputError("unknown loss '" + tr.loss + "'", w, "use cross_entropy, mse or perceptron");
        if (tr.target != "labels" && tr.target != "input")
            throw InputError("unknown target '" + tr.target + "'", w, "use labels or input");
        if (tr.batch <= 0 || tr.lr <= 0)
            throw InputError("training needs batch > 0 and lr > 0", w, "fix batch and lr");
        if (tr.batch > kMaxUnits)
            throw InputError("batch = " + std::to_string(tr.batch) + " is larger than 2^24", w,
                             "use a batch of a few hundred at most");
        if (tr.epochs < 0)
            throw InputError("epochs = " + std::to_string(tr.epochs) + " must be >= 0", w,
                             "give a number of epochs, e.g. epochs: 10");
        if (tr.momentum < 0 || tr.momentum >= 1)
            throw InputError("momentum = " + std::to_string(tr.momentum) + " must lie in [0, 1)", w,
                             "use e.g. momentum: 0.9");
        if (tr.weight_decay < 0)
            throw InputError("weight_decay = " + std::to_string(tr.weight_decay) + " must be >= 0",
                             w, "use e.g. weight_decay: 0.0005, or leave it out");
        if (tr.noise < 0)
            throw InputError("noise = " + std::to_string(tr.noise) + " must be >= 0", w,
                             "give the standard deviation of the input noise, e.g. 0.2");
        if (!(tr.lr_decay > 0 && tr.lr_decay <= 1))
            throw InputError("lr_decay = " + std::to_string(tr.lr_decay) + " must lie in (0, 1]", w,
                             "use e.g. lr_decay: 0.9, or leave it out");
        if (!tr.augmentation.empty() && tr.augmentation != "shift")
            throw InputError("unknown augmentation '" + tr.augmentation + "'", w, "use shift or leave it out");
    }
    std::vector<int64_t> shape = m.input_shape;
    bool any_weights = false, all_weights = true;
    std::map<std::string, std::map<std::string, Tensor>> npz_cache;
    for (size_t i = 0; i < root["layers"].size(); ++i) {
        const YAML::Node n = root["layers"][i];
        const int line = n.Mark().line + 1;
        if (!n.IsMap() || !n["kind"])
            throw InputError("layer " + std::to_string(i) + " has no 'kind'", at_file(file, line),
                             "write each layer as {kind: dense, units: 10, ...}");
        AnnLayer l;
        const std::string kind = get<std::string>(n, "kind", "", file);
        l.name = get<std::string>(n, "name", kind + std::to_string(i), file);
        const std::string where = at_file(file, line, "layer '" + l.name + "'");
        check_keys(n,
                   {"kind", "name", "units", "out_channels", "kernel", "stride", "padding", "rate",
                    "return_sequences", "weight", "bias", "weight_ih", "weight_hh"},
                   file, "layer '" + l.name + "'");
        try {
            l.kind = parse_ann_layer_kind(kind);
        } catch (const InputError& e) {
            throw InputError(e.problem(), where, e.fix());
        }
        l.units = get<int64_t>(n, "units", 0, file);
        l.out_channels = get<int64_t>(n, "out_channels", 0, file);
        l.kernel = get<int64_t>(n, "kernel", 0, file);
        l.stride = get<int64_t>(n, "stride", l.kind == AnnLayerKind::Conv2d ? 1 : l.kernel, file);
        l.padding = get<int64_t>(n, "padding", 0, file);
        l.rate = get<float>(n, "rate", 0.0f, file);
        l.return_sequences = get<bool>(n, "return_sequences", false, file);
        for (const auto& ol : m.layers)
            if (ol.name == l.name)
                throw InputError("duplicate layer name '" + l.name + "'", where, "give every layer a unique name");
        for (int64_t x : {l.units, l.out_channels, l.kernel, l.stride, l.padding})
            if (x > kMaxUnits)
                throw InputError(
                    "units, out_channels, kernel, stride and padding must be at most "
                    "2^24, got " +
                        std::to_string(x),
                    where, "check the layer's numbers for a typo");
        ann_detail::infer_layer(l, shape, where);
        for (const auto& p : l.params)
            if (shape_size(p.shape) > kMaxParamValues)
                throw InputError(p.name + " would hold " + std::to_string(shape_size(p.shape)) +
                                     " values, more than 2^28 (1 GiB of float32)",
                                 where, "use fewer units or channels");
        shape = l.out_shape;
        for (auto& p : l.params) {
            if (!n[p.name]) {
                all_weights = false;
                continue;
            }
            any_weights = true;
            const std::string ref = get<std::string>(n, p.name.c_str(), "", file);
            Tensor t;
            const auto colon = ref.find(':');
            if (colon != std::string::npos) {
                const std::string f = ref.substr(0, colon), key = ref.substr(colon + 1);
                auto it = npz_cache.find(f);
                if (it == npz_cache.end())
                    it = npz_cache.emplace(f, read_npz((fs::path(base) / f).string())).first;
                auto k = it->second.find(key);
                if (k == it->second.end())
                    throw InputError("weights file " + f + " has no array '" + key + "'", where,
                                     "re-save the network or fix the reference '" + ref + "'");
                t = k->second;
            } else {
                try {
                    t = load_tensor_ref(base, ref);
                } catch (const InputError& e) {
                    throw InputError("cannot load " + p.name + " '" + ref + "': " + e.problem(),
                                     where, e.fix());
                }
            }
            if (t.shape != p.shape)
                throw InputError(p.name + " has shape " + t.shape_str() + ", the layer needs " +
                                     shape_str(p.shape),
                                 where, "retrain the network or fix the layer's settings");
            p.value = t.to<float>();
            for (float v : p.value)
                if (!std::isfinite(v))
                    throw InputError(p.name + " contains NaN or Inf", where,
                                     "retrain the network (lower the learning rate) or restore the weights");
        }
        m.layers.push_back(std::move(l));
    }
    if (any_weights && !all_weights)
        throw InputError("some layers have weights and others do not", file,
                         "give weights for every parameter, or for none (then training initialises them)");
    if (m.training.rule != "backprop") {
        // Feedback alignment replaces W^T of dense layers by fixed random matrices: a model
        // with any other parametric layer (convolution, pooling, recurrence) has no such rule here.
        const std::string w = at_file(file, root["training"]["rule"].Mark().line + 1, "training.rule");
        int dense = 0;
        for (const auto& l : m.layers) {
            switch (l.kind) {
                case AnnLayerKind::Dense: ++dense; break;
                case AnnLayerKind::Flatten:
                case AnnLayerKind::ReLU:
                case AnnLayerKind::Sigmoid:
                case AnnLayerKind::Tanh:
                case AnnLayerKind::Softmax:
                case AnnLayerKind::Dropout: break;
                default:
                    throw InputError("rule: " + m.training.rule + " trains multilayer perceptrons "
                                         "(dense and elementwise layers), but layer '" + l.name +
                                         "' is " + ann_layer_kind_name(l.kind),
                                     w, "use rule: backprop for this model, or remove its " +
                                            std::string(ann_layer_kind_name(l.kind)) + " layers");
            }
        }
        if (dense < 2)
            throw InputError("rule: " + m.training.rule + " needs a hidden layer (two dense "
                             "layers or more); this model has " + std::to_string(dense),
                             w, "add a hidden dense layer, or use rule: backprop");
    }
    m.initialised = any_weights || m.num_params() == 0;
    return m;
}

void save_ann(const AnnModel& m, const std::string& dir) {
    std::map<std::string, Tensor> arrays;
    YAML::Emitter e;
    e << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value << m.name;
    e << YAML::Key << "type" << YAML::Value << "ann";
    e << YAML::Key << "input_shape" << YAML::Value << YAML::Flow << m.input_shape;
    if (!m.dataset.empty()) e << YAML::Key << "dataset" << YAML::Value << m.dataset;
    e << YAML::Key << "layers" << YAML::Value << YAML::BeginSeq;
    for (const auto& l : m.layers) {
        e << YAML::Flow << YAML::BeginMap;
        e << YAML::Key << "kind" << YAML::Value << ann_layer_kind_name(l.kind);
        e << YAML::Key << "name" << YAML::Value << l.name;
        switch (l.kind) {
        case AnnLayerKind::Dense: e << YAML::Key << "units" << YAML::Value << l.units; break;
        case AnnLayerKind::Conv2d:
            e << YAML::Key << "out_channels" << YAML::Value << l.out_channels;
            e << YAML::Key << "kernel" << YAML::Value << l.kernel;
            e << YAML::Key << "stride" << YAML::Value << l.stride;
            e << YAML::Key << "padding" << YAML::Value << l.padding;
            break;
        case AnnLayerKind::MaxPool:
        case AnnLayerKind::AvgPool:
            e << YAML::Key << "kernel" << YAML::Value << l.kernel;
            e << YAML::Key << "stride" << YAML::Value << l.stride;
            break;
        case AnnLayerKind::Dropout: e << YAML::Key << "rate" << YAML::Value << l.rate; break;
        case AnnLayerKind::Rnn:
        case AnnLayerKind::Lstm:
            e << YAML::Key << "units" << YAML::Value << l.units;
            e << YAML::Key << "return_sequences" << YAML::Value << l.return_sequences;
            break;
        default: break;
        }
        if (m.initialised)
            for (const auto& p : l.params) {
                const std::string key = l.name + "." + p.name;
                e << YAML::Key << p.name << YAML::Value << ("weights.npz:" + key);
                arrays[key] = Tensor::from(p.value, p.shape);
            }
        e << YAML::EndMap;
    }
    e << YAML::EndSeq;
    const auto& t = m.training;
    e << YAML::Key << "training" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "optimizer" << YAML::Value << t.optimizer;
    e << YAML::Key << "lr" << YAML::Value << t.lr;
    e << YAML::Key << "momentum" << YAML::Value << t.momentum;
    e << YAML::Key << "weight_decay" << YAML::Value << t.weight_decay;
    e << YAML::Key << "batch" << YAML::Value << t.batch;
    e << YAML::Key << "epochs" << YAML::Value << t.epochs;
    e << YAML::Key << "loss" << YAML::Value << t.loss;
    e << YAML::Key << "target" << YAML::Value << t.target;
    e << YAML::Key << "noise" << YAML::Value << t.noise;
    e << YAML::Key << "augmentation" << YAML::Value << t.augmentation;
    e << YAML::Key << "lr_decay" << YAML::Value << t.lr_decay;
    if (t.rule != "backprop") {
        e << YAML::Key << "rule" << YAML::Value << t.rule;
        e << YAML::Key << "feedback_seed" << YAML::Value << t.feedback_seed;
    }
    e << YAML::EndMap;
    e << YAML::EndMap;
    // Built beside the target and moved in only when complete, weights before the YAML that
    // refers to them, so a failure never leaves a half-written network (temp_dir.hpp).
    const fs::path parent = fs::path(dir).parent_path();
    if (!parent.empty()) fs::create_directories(parent);
    TempSiblingDir staging(dir, OutputKind::Network);
    std::vector<std::string> files;
    if (m.initialised) {
        write_npz((staging.path() / "weights.npz").string(), arrays);
        files.push_back("weights.npz");
    }
    {
        std::ofstream f(staging.path() / "network.yaml");
        f << "# spikeforge ANN model (docs/reference-ann.md)\n" << e.c_str() << "\n";
        if (!f) throw InputError("cannot write network.yaml", dir, "check free disk space");
    }
    files.push_back("network.yaml");
    staging.commit_files(files);
}

void init_ann(AnnModel& m, uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (size_t i = 0; i < m.layers.size(); ++i) {
        auto& l = m.layers[i];
        if (l.params.empty()) continue;
        // He init when a ReLU follows (possibly after pooling/dropout/flatten), else Glorot.
        bool relu = false;
        for (size_t j = i + 1; j < m.layers.size(); ++j) {
            auto k = m.layers[j].kind;
            if (k == AnnLayerKind::ReLU) { relu = true; break; }
            if (k != AnnLayerKind::MaxPool && k != AnnLayerKind::AvgPool &&
                k != AnnLayerKind::Dropout && k != AnnLayerKind::Flatten)
                break;
        }
        for (auto& p : l.params) {
            p.value.assign(size_t(shape_size(p.shape)), 0.0f);
            float limit = 0;
            if (l.kind == AnnLayerKind::Rnn || l.kind == AnnLayerKind::Lstm) {
                limit = 1.0f / std::sqrt(float(l.units));
                if (p.name == "bias") {
                    // Forget-gate bias 1 lets an LSTM carry memory from the start.
                    if (l.kind == AnnLayerKind::Lstm)
                        for (int64_t j = l.units; j < 2 * l.units; ++j) p.value[size_t(j)] = 1.0f;
                    continue;
                }
            } else {
                if (p.name == "bias") continue;
                const int64_t fan_out = p.shape[0] * (p.shape.size() == 4 ? p.shape[2] * p.shape[3] : 1);
                const int64_t fan_in = shape_size(p.shape) / p.shape[0];
                limit = relu ? std::sqrt(6.0f / float(fan_in))
                             : std::sqrt(6.0f / float(fan_in + fan_out));
            }
            std::uniform_real_distribution<float> u(-limit, limit);
            for (auto& v : p.value) v = u(rng);
        }
    }
    m.initialised = true;
}

std::vector<AnnMatrix> forward_all(const AnnModel& m, const AnnMatrix& x) {
    if (x.cols() != m.input_size())
        throw InputError("input has " + std::to_string(x.cols()) + " features, model '" + m.name +
                             "' expects " + std::to_string(m.input_size()) + " " +
                             shape_str(m.input_shape),
                         "", "use the data set the model was trained on");
    if (!m.initialised)
        throw InputError("model '" + m.name + "' has no weights", "", "train it first (spikeforge train)");
    std::vector<AnnMatrix> acts(m.layers.size() + 1);
    acts[0] = x;
    for (size_t i = 0; i < m.layers.size(); ++i)
        ann_detail::layer_forward(m.layers[i], acts[i], acts[i + 1], nullptr, false, nullptr);
    return acts;
}

AnnMatrix forward(const AnnModel& m, const AnnMatrix& x) {
    if (x.cols() != m.input_size() || !m.initialised) return forward_all(m, x).back();
    AnnMatrix a = x, b;
    for (size_t i = 0; i < m.layers.size(); ++i) {
        if (ann_detail::conv_block_fuses(m.layers, i)) {
            ann_detail::conv_block_infer(m.layers[i], m.layers[i + 2], a, b);
            i += 2;
        } else {
            ann_detail::layer_forward(m.layers[i], a, b, nullptr, false, nullptr);
        }
        std::swap(a, b);
    }
    return a;
}

}  // namespace sf
