// train_ann / eval_ann: the CLI's entry points for ANN models and Hopfield networks.
// Loads the model and data, trains with checkpoints, measures the test split, writes the
// trained network and returns everything as JSON.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <type_traits>

#include <fmt/format.h>

#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/core/temp_dir.hpp"
#include "sf/core/tensor.hpp"
#include "sf/core/yaml_file.hpp"
#include "sf/reference/ann.hpp"
#include "sf/reference/ann_hopfield.hpp"
#include "sf/reference/ann_train.hpp"
#include "sf/reference/batching.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/feedback_alignment.hpp"
#include "sf/reference/train_api.hpp"
#include "checkpoint_state.hpp"
#include "yaml_value.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace sf {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string yaml_type(const std::string& path) {
    fs::path file(path);
    if (fs::is_directory(file)) file /= "network.yaml";
    if (!fs::exists(file))
        throw InputError("model file not found: " + file.string(), "",
                         "give a model .yaml file or a network directory holding network.yaml");
    const YAML::Node root = load_yaml_file(file.string(), "model file");
    if (!root.IsMap())
        throw InputError("model file is not a YAML map", file.string(),
                         "see docs/reference-ann.md");
    const YAML::Node t = root["type"];
    if (t && !t.IsScalar())
        throw InputError("'type' must be a string",
                         at_file(file.string(), t.Mark().line + 1, "type"),
                         "write type: ann or type: hopfield");
    return t ? t.Scalar() : "ann";
}

// Typed, checked reads of a Hopfield model file: every error names the file, the line and
// the key, and says what the value must be.
struct HopfieldReader {
    std::string file;

    std::string at(const YAML::Node& n, const std::string& key) const {
        return at_file(file, n.Mark().line + 1, key);
    }

    // A section (patterns:, recall:, capacity:) that must be a mapping if it is there.
    YAML::Node section(const YAML::Node& root, const char* key,
                       const std::set<std::string>& allowed) const {
        const YAML::Node n = root[key];
        if (!n) return n;
        if (!n.IsMap())
            throw InputError(
                std::string("'") + key + "' must be a mapping", at(n, key),
                std::string("write ") + key + ": {key: value, ...} (see docs/reference-ann.md)");
        keys(n, allowed, key);
        return n;
    }

    void keys(const YAML::Node& m, const std::set<std::string>& allowed,
              const std::string& node) const {
        std::set<std::string> seen;
        for (const auto& kv : m) {
            const std::string k = kv.first.Scalar();
            if (!seen.insert(k).second)
                throw InputError("key '" + k + "' appears twice", at(kv.first, node),
                                 "keep one of the two entries");
            if (!allowed.count(k)) {
                std::string list;
                for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
                throw InputError("unknown key '" + k + "' in a Hopfield model", at(kv.first, node),
                                 "known keys here: " + list);
            }
        }
    }

    template <class T>
    T get(const YAML::Node& m, const char* key, T dflt, const char* want) const {
        return detail::yaml_value<T>(m, key, dflt, file, want);
    }

    template <class T>
    T in_range(const YAML::Node& m, const char* key, T dflt, T lo, T hi, const char* want) const {
        if (!m || !m[key]) return dflt;
        const T x = get<T>(m, key, dflt, want);
        if (x < lo || x > hi)
            throw InputError(fmt::format("'{}' = {} must be {}", key, x, want), at(m[key], key),
                             fmt::format("give a value in [{}, {}]", lo, hi));
        return x;
    }
};

// Recall settings of a Hopfield model or trained network (recall: {flip, min_overlap, mode}).
json hopfield_recall_settings(const HopfieldReader& r, const YAML::Node& root) {
    const YAML::Node rc = r.section(root, "recall", {"flip", "min_overlap", "mode"});
    const std::string mode = r.get<std::string>(rc, "mode", "async", "async or sync");
    if (mode != "async" && mode != "sync")
        throw InputError("unknown recall mode '" + mode + "'", r.at(rc["mode"], "mode"),
                         "use 'mode: async' or 'mode: sync'");
    return {{"flip", r.in_range<double>(rc, "flip", 0.1, 0.0, 1.0, "a fraction in [0, 1]")},
            {"min_overlap",
             r.in_range<double>(rc, "min_overlap", 0.95, 0.0, 1.0, "a fraction in [0, 1]")},
            {"mode", mode}};
}

// Units and patterns a Hopfield model may ask for: the weights are n x n floats, so 2^14
// units are 1 GiB.
constexpr int64_t kMaxHopfieldUnits = int64_t(1) << 14;
constexpr int64_t kMaxHopfieldPatterns = int64_t(1) << 16;

json eval_to_json(const AnnEvalResult& r) {
    json j;
    if (r.reconstruction) {
        j["reconstruction_mse"] = r.reconstruction_mse;
    } else {
        j["accuracy"] = r.accuracy;
        j["confusion"] = r.confusion;
        j["per_class"] = r.per_class;
    }
    j["samples"] = r.samples;
    return j;
}

// Optimiser state <-> npz (m.L.K / v.L.K arrays) for checkpoints.
void save_optimizer(const AnnOptimizer& o, const std::string& path) {
    std::map<std::string, Tensor> a;
    for (size_t i = 0; i < o.m.size(); ++i)
        for (size_t k = 0; k < o.m[i].size(); ++k) {
            a["m." + std::to_string(i) + "." + std::to_string(k)] =
                Tensor::from(o.m[i][k], {int64_t(o.m[i][k].size())});
            if (i < o.v.size() && k < o.v[i].size())
                a["v." + std::to_string(i) + "." + std::to_string(k)] =
                    Tensor::from(o.v[i][k], {int64_t(o.v[i][k].size())});
        }
    write_npz(path, a);
}

void load_optimizer(AnnOptimizer& o, const AnnModel& m, const std::string& path) {
    const auto a = read_npz(path);
    if (a.empty()) return;
    o.m.assign(m.layers.size(), {});
    o.v.assign(m.layers.size(), {});
    for (size_t i = 0; i < m.layers.size(); ++i)
        for (size_t k = 0; k < m.layers[i].params.size(); ++k) {
            const std::string key = std::to_string(i) + "." + std::to_string(k);
            auto it = a.find("m." + key);
            if (it == a.end())
                throw InputError("checkpoint optimiser state lacks " + key, path,
                                 "start again without --resume");
            o.m[i].push_back(it->second.to<float>());
            auto iv = a.find("v." + key);
            if (iv != a.end()) o.v[i].push_back(iv->second.to<float>());
        }
}

json train_hopfield(const std::string& path, const TrainOptions& opt) {
    fs::path file(path);
    if (fs::is_directory(file)) file /= "network.yaml";
    const YAML::Node root = load_yaml_file(file.string(), "model file");
    const auto t0 = std::chrono::steady_clock::now();
    const HopfieldReader hr{file.string()};
    hr.keys(root, {"name", "type", "n", "patterns", "recall", "rule", "capacity", "dataset"},
            "model");
    if (root["patterns"] && !root["patterns"].IsMap())
        throw InputError("'patterns' must be a mapping", hr.at(root["patterns"], "patterns"),
                         "write patterns: {source: random, count: 20}");
    const YAML::Node pat = hr.section(root, "patterns", {"source", "count", "threshold"});
    const std::string source = hr.get<std::string>(pat, "source", "random", "random or dataset");
    const int64_t count = hr.get<int64_t>(pat, "count", 0, "an integer");
    if (source != "random" && source != "dataset")
        throw InputError("unknown pattern source '" + source + "'", hr.at(pat["source"], "source"),
                         "use 'source: random' or 'source: dataset'");
    if (count <= 0 || count > kMaxHopfieldPatterns)
        throw InputError(
            "Hopfield model needs patterns.count in [1, 2^16], got " + std::to_string(count),
            pat && pat["count"] ? hr.at(pat["count"], "count") : file.string(),
            "add 'count: 20' under patterns:");
    const std::string name = hr.get<std::string>(root, "name", "hopfield", "a string");
    const json recall = hopfield_recall_settings(hr, root);
    const std::string rule_name = hr.get<std::string>(root, "rule", "hebbian", "a string");
    if (rule_name != "hebbian" && rule_name != "pseudo_inverse")
        throw InputError("unknown Hopfield storage rule '" + rule_name + "'",
                         hr.at(root["rule"], "rule"),
                         "use 'rule: hebbian' or 'rule: pseudo_inverse'");
    const YAML::Node c = hr.section(root, "capacity", {"n", "trials", "loads"});
    const int64_t n_given =
        hr.in_range<int64_t>(root, "n", 0, 1, kMaxHopfieldUnits, "an integer in [1, 2^14]");
    const float level =
        hr.in_range<float>(pat, "threshold", 0.5f, 0.0f, 1.0f, "a pixel level in [0, 1]");
    std::vector<double> loads;
    int trials = 3;
    int64_t cap_n = 0;
    if (c) {
        if (!c["loads"] || !c["loads"].IsSequence() || c["loads"].size() == 0)
            throw InputError("capacity needs a non-empty list 'loads'", hr.at(c, "capacity"),
                             "add loads: [0.05, 0.1, 0.15] (patterns per unit)");
        for (const auto& l : c["loads"]) {
            double x = 0;
            if (!l.IsScalar() || !YAML::convert<double>::decode(l, x) || !(x > 0 && x <= 1))
                throw InputError("capacity loads must be numbers in (0, 1]" +
                                     (l.IsScalar() ? ", got '" + l.Scalar() + "'" : std::string()),
                                 hr.at(l, "loads"), "give loads P/N such as 0.05");
            loads.push_back(x);
        }
        trials = hr.in_range<int>(c, "trials", 3, 1, 1000, "an integer in [1, 1000]");
        cap_n = hr.in_range<int64_t>(c, "n", 0, 1, kMaxHopfieldUnits, "an integer in [1, 2^14]");
    }
    AnnMatrix patterns;
    std::string data;
    if (source == "dataset") {
        data = !opt.data.empty() ? opt.data
                                 : hr.get<std::string>(root, "dataset", "", "a data set name");
        if (data.empty())
            throw InputError("patterns from a data set need one", file.string(),
                             "pass --data SET or add 'dataset: mnist'");
        patterns = hopfield_dataset_patterns(load_dataset(data, Split::Train), count, level);
    }
    const int64_t n = root["n"] ? n_given : patterns.cols();
    if (n <= 0) throw InputError("Hopfield model needs n > 0 units", file.string(), "add 'n: 400'");
    if (source == "dataset" && n != patterns.cols())
        throw InputError(
            fmt::format("n is {} but a sample of '{}' has {} pixels", n, data, patterns.cols()),
            file.string(), "leave n out to take it from the data set");
    if (count * n > (int64_t(1) << 28))
        throw InputError(fmt::format("{} patterns of {} units are more than 2^28 values", count, n),
                         hr.at(pat["count"], "count"), "store fewer patterns or use fewer units");
    if (source == "random") patterns = hopfield_random_patterns(count, n, opt.seed);
    const HopfieldRule rule =
        rule_name == "hebbian" ? HopfieldRule::Hebbian : HopfieldRule::PseudoInverse;
    auto net = hopfield_store(patterns, rule);
    double mean_overlap = 0;
    const double rate =
        hopfield_recall_rate(net, recall["flip"], recall["min_overlap"], recall["mode"] == "sync",
                             opt.seed + 99, &mean_overlap, opt.threads);
    // Threads split the recalls (patterns); storing is one matrix product.
    int threads_used = std::max(1, parallel_chunk_count(count, opt.threads));
    json cap = json::array();
    if (c) {
        const int64_t cn = cap_n > 0 ? cap_n : n;
        std::vector<int64_t> counts;
        for (double l : loads) counts.push_back(std::max<int64_t>(1, std::llround(l * double(cn))));
        for (int64_t k : counts)
            threads_used = std::max(threads_used, parallel_chunk_count(k, opt.threads));
        for (const auto& p :
             hopfield_capacity(cn, counts, recall["flip"], recall["min_overlap"], trials, opt.seed,
                               opt.threads))
            cap.push_back({{"n", cn},
                           {"patterns", p.patterns},
                           {"load", p.load},
                           {"recall_rate", p.recall_rate},
                           {"mean_overlap", p.mean_overlap}});
    }
    if (!opt.out_dir.empty()) save_hopfield(net, opt.out_dir, recall, name);
    return {{"model", "hopfield"},
            {"n", n},
            {"patterns", count},
            {"source", source == "dataset" ? data : source},
            {"rule", rule_name},
            {"recall_rate", rate},
            {"mean_overlap", mean_overlap},
            {"recall", recall},
            {"capacity", cap},
            {"seed", opt.seed},
            {"threads", threads_used},
            {"train_seconds", seconds_since(t0)},
            {"out", opt.out_dir}};
}

}  // namespace

json train_ann(const std::string& model_path, const TrainOptions& opt) {
    if (yaml_type(opt.resume_dir.empty() ? model_path : opt.resume_dir) == "hopfield") {
        if (opt.checkpoint_every > 0 || !opt.resume_dir.empty())
            throw InputError("--checkpoint-every and --resume do not apply to Hopfield networks",
                             model_path, "leave them out; storing the patterns takes one step");
        if (opt.validation != 0)
            throw InputError(
                "--validation does not apply to Hopfield networks", model_path,
                "leave --validation out; Hopfield storage has no hyper-parameters to tune");
        return train_hopfield(model_path, opt);
    }
    const auto t0 = std::chrono::steady_clock::now();
    AnnModel m;
    AnnOptimizer optim;
    AnnFitOptions fo;
    double validation = opt.validation;  // kept in checkpoints so a resumed run holds out the same
    fo.seed = opt.seed;
    fo.max_train = opt.max_train;
    fo.progress = opt.progress;
    fo.threads = opt.threads;
    if (!opt.resume_dir.empty()) {
        const json s = detail::read_checkpoint_state(opt.resume_dir, "ann");
        m = load_ann(opt.resume_dir);
        fo.first_epoch = s["epochs_done"].get<int>();
        fo.seed = s["seed"].get<uint64_t>();
        fo.max_train = s.value("max_train", opt.max_train);
        validation = s.value("validation", opt.validation);
        optim.kind = m.training.optimizer;
        optim.step = s["step"].get<int64_t>();
        load_optimizer(optim, m, (fs::path(opt.resume_dir) / "optimizer.npz").string());
    } else {
        m = load_ann(model_path);
    }
    const std::string data = !opt.data.empty() ? opt.data : m.dataset;
    if (data.empty())
        throw InputError("no data set given", model_path,
                         "pass --data SET or set 'dataset:' in the model");
    if (m.dataset.empty()) m.dataset = data;
    fo.epochs = opt.epochs >= 0 ? opt.epochs : m.training.epochs;
    m.training.epochs = fo.epochs;
    const TrainData d = load_train_data(data, fo.max_train, opt.max_test, validation);
    const Dataset& train = d.train;
    const Dataset& test = d.eval;
    json history = json::array();
    // training.rule fa or dfa: fixed random feedback in place of W^T (feedback_alignment.hpp).
    std::optional<AnnFeedback> feedback;
    if (m.training.rule != "backprop") {
        feedback.emplace(m);
        fo.feedback = *feedback;
    }
    fo.on_epoch = [&](int e, float loss, float acc, const AnnOptimizer& o) {
        json h = {{"epoch", e + 1}, {"loss", loss}};
        if (m.training.target != "input") h["train_accuracy"] = acc;
        if (feedback) {
            h["weight_angle_deg"] = feedback->weight_angles_deg(m);
            h["signal_angle_deg"] = feedback->take_signal_angles_deg();
        }
        history.push_back(h);
        if (opt.checkpoint_every > 0 && !opt.out_dir.empty() && (e + 1) % opt.checkpoint_every == 0) {
            // Build the checkpoint beside its final place, then swap it in (temp_dir.hpp).
            ensure_output_dir(opt.out_dir, OutputKind::Network);
            TempSiblingDir staging((fs::path(opt.out_dir) / "checkpoint").string(),
                                   OutputKind::Checkpoint);
            const fs::path& tmp = staging.path();
            save_ann(m, tmp.string());
            save_optimizer(o, (tmp / "optimizer.npz").string());
            std::ofstream state(tmp / "state.json");
            state << json{{"kind", "ann"},           {"epochs_done", e + 1},
                          {"seed", fo.seed},         {"step", o.step},
                          {"max_train", fo.max_train}, {"validation", validation},
                          {"model", model_path}}
                         .dump(2);
            state.close();
            if (!state)
                throw InputError("cannot write the checkpoint state", tmp.string(),
                                 "check free disk space");
            staging.commit_replace();
        }
    };
    const auto tt = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    fit_ann(m, train, optim, fo);
    const double train_s = seconds_since(tt);
    // Processor time of all threads: the machine may be shared, and then wall time says little.
    const double train_cpu_s = double(std::clock() - c0) / CLOCKS_PER_SEC;
    const auto te = std::chrono::steady_clock::now();
    const AnnEvalResult r = evaluate_ann(m, test, -1, 12345, opt.threads);
    json j = eval_to_json(r);
    j["eval_seconds"] = seconds_since(te);
    j["evaluated_on"] = d.eval_split;
    if (!opt.out_dir.empty()) save_ann(m, opt.out_dir);
    j["model"] = m.name;
    j["dataset"] = data;
    j["epochs"] = fo.epochs;
    j["seed"] = fo.seed;
    j["rule"] = m.training.rule;
    if (feedback) j["feedback_seed"] = m.training.feedback_seed;
    j["train_samples"] =
        fo.max_train >= 0 ? std::min<int64_t>(fo.max_train, train.size()) : train.size();
    j["params"] = m.num_params();
    j["train_seconds"] = train_s;
    j["train_cpu_seconds"] = train_cpu_s;
    j["wall_s"] = seconds_since(t0);
    // Training with fa/dfa runs each batch as one pass on one thread (ann_train.hpp); its
    // final evaluation still uses every thread.
    j["threads"] = opt.threads;
    j["history"] = history;
    j["out"] = opt.out_dir;
    return j;
}

json eval_ann(const std::string& network_path, const EvalOptions& opt) {
    const auto t0 = std::chrono::steady_clock::now();
    if (yaml_type(network_path) == "hopfield") {
        // Recall is measured on the stored patterns themselves; a data set or a sample count
        // would be silently ignored, so say so instead.
        if (!opt.data.empty() || opt.samples >= 0)
            throw InputError("a Hopfield network is evaluated on the patterns it stores, so " +
                                 std::string(!opt.data.empty() ? "--data" : "--samples") +
                                 " does not apply",
                             network_path, "run `spikeforge eval " + network_path + "` alone");
        const auto net = load_hopfield(network_path);
        fs::path file(network_path);
        if (fs::is_directory(file)) file /= "network.yaml";
        const json rc =
            hopfield_recall_settings(HopfieldReader{file.string()},
                                     load_yaml_file(file.string(), "network file"));
        const double flip = rc["flip"], mo = rc["min_overlap"];
        const bool sync = rc["mode"] == "sync";
        double mean = 0;
        const double rate = hopfield_recall_rate(net, flip, mo, sync, 4242, &mean, opt.threads);
        return {{"recall_rate", rate},
                {"threads", std::max(1, parallel_chunk_count(net.patterns.rows(), opt.threads))},
                {"accuracy", rate},
                {"mean_overlap", mean},
                {"samples", net.patterns.rows()},
                {"flip", flip},
                {"min_overlap", mo},
                {"wall_s", seconds_since(t0)}};
    }
    const AnnModel m = load_ann(network_path);
    if (!m.initialised)
        throw InputError("network '" + m.name + "' has no trained weights", network_path,
                         "train it first: spikeforge train MODEL.yaml --data SET -o DIR");
    const std::string data = !opt.data.empty() ? opt.data : m.dataset;
    if (data.empty()) throw InputError("no data set given", network_path, "pass --data SET");
    const Dataset test = load_dataset(data, Split::Test, opt.samples);
    json j = eval_to_json(evaluate_ann(m, test, opt.samples, 12345, opt.threads));
    j["model"] = m.name;
    j["dataset"] = data;
    j["wall_s"] = seconds_since(t0);
    j["threads"] = opt.threads;
    return j;
}

}  // namespace sf
