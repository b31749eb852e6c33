// train_snn / eval_snn (train_api.hpp): the CLI entry points for spiking networks.
//
// A spiking model file is a network file (Graph IR) with two extras the network loader
// does not accept, so they are handled here: a `training:` section, and dense projections
// without `weights:` (initialised from the seed). The trained result is a plain network
// directory (network.yaml + weights.npz, via save_network) plus training.yaml, a record
// of the settings used.
#include <yaml-cpp/yaml.h>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <type_traits>

#include <fmt/format.h>

#include "sf/core/error.hpp"
#include "sf/core/progress.hpp"
#include "sf/core/temp_dir.hpp"
#include "sf/core/tensor.hpp"
#include "sf/core/yaml_file.hpp"
#include "sf/reference/batching.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/encoders.hpp"
#include "sf/reference/snn.hpp"
#include "sf/reference/snn_train.hpp"
#include "sf/reference/stdp.hpp"
#include "sf/reference/train_api.hpp"
#include "../checkpoint_state.hpp"

namespace fs = std::filesystem;

namespace sf {

namespace {

// One typed value of a model file; errors name the file, line and key. Numbers must be
// finite and lie in [lo, hi].
template <class T>
void read_value(const YAML::Node& m, const char* key, T& out, const std::string& file,
                const std::string& node, double lo = -1e300, double hi = 1e300) {
    const YAML::Node v = m[key];
    if (!v) return;
    const std::string where = at_file(file, v.Mark().line + 1, node + "." + key);
    const char* want = std::is_same<T, std::string>::value ? "a string"
                       : std::is_integral<T>::value        ? "an integer"
                                                           : "a finite number";
    T x{};
    bool ok = v.IsScalar();
    if (ok) {
        try {
            x = v.as<T>();
        } catch (const YAML::Exception&) {
            ok = false;
        }
    }
    if constexpr (std::is_arithmetic<T>::value) {
        if (ok && !std::isfinite(double(x))) ok = false;
        if (ok && (double(x) < lo || double(x) > hi))
            throw InputError(
                fmt::format("'{}' = {} is out of range [{}, {}]", key, v.Scalar(), lo, hi), where,
                fmt::format("give {} in [{}, {}]", want, lo, hi));
    }
    if (!ok)
        throw InputError(std::string("'") + key + "' must be " + want +
                             (v.IsScalar() ? ", got '" + v.Scalar() + "'" : std::string()),
                         where, std::string("write ") + want + " here");
    out = x;
}

SnnTraining parse_training(const YAML::Node& n, const std::string& file) {
    SnnTraining t;
    if (!n) return t;
    const std::string where = at_file(file, n.Mark().line + 1, "training");
    if (!n.IsMap())
        throw InputError("training: must be a mapping", where,
                         "write training: followed by indented key: value lines (lr, batch, ...)");
    static const char* keys[] = {"optimizer", "lr",       "lr_decay", "batch",      "epochs",
                                 "surrogate", "slope",    "readout",  "loss",       "init_gain",
                                 "count_scale"};
    for (const auto& kv : n) {
        const std::string k = kv.first.Scalar();
        if (std::find_if(std::begin(keys), std::end(keys), [&](const char* x) { return k == x; }) ==
            std::end(keys))
            throw InputError("unknown key '" + k + "' in training:",
                             at_file(file, kv.first.Mark().line + 1, "training"),
                             "known keys: optimizer, lr, lr_decay, batch, epochs, surrogate, slope, "
                             "readout, loss, init_gain, count_scale");
    }
    const std::string tn = "training";
    read_value(n, "optimizer", t.optimizer, file, tn);
    read_value(n, "lr", t.lr, file, tn, 1e-30, 1e6);
    read_value(n, "lr_decay", t.lr_decay, file, tn, 1e-30, 1.0);
    read_value(n, "batch", t.batch, file, tn, 1, double(1 << 24));
    read_value(n, "epochs", t.epochs, file, tn, 0, 1e9);
    read_value(n, "surrogate", t.surrogate, file, tn);
    read_value(n, "slope", t.slope, file, tn, 1e-30, 1e30);
    read_value(n, "readout", t.readout, file, tn);
    read_value(n, "loss", t.loss, file, tn);
    read_value(n, "init_gain", t.init_gain, file, tn, 0.0, 1e30);
    read_value(n, "count_scale", t.count_scale, file, tn, 1e-30, 1e30);
    if (t.optimizer != "adam" && t.optimizer != "sgd")
        throw InputError("unknown optimizer '" + t.optimizer + "'", where, "use adam or sgd");
    if (t.surrogate != "fast_sigmoid" && t.surrogate != "arctan")
        throw InputError("unknown surrogate '" + t.surrogate + "'", where,
                         "use fast_sigmoid or arctan");
    if (t.readout != "spike_count" && t.readout != "membrane")
        throw InputError("unknown readout '" + t.readout + "'", where, "use spike_count or membrane");
    if (t.loss != "cross_entropy")
        throw InputError("unknown loss '" + t.loss + "'", where, "use cross_entropy");
    if (!(t.lr > 0) || t.batch < 1 || t.epochs < 0 || !(t.slope > 0))
        throw InputError("training needs lr > 0, batch >= 1, epochs >= 0 and slope > 0", where, "");
    return t;
}

std::string temp_suffix() {
    static int n = 0;
    return std::to_string(::getpid()) + "." + std::to_string(n++);
}

// Reads a model file: its training settings and its graph, with missing dense weights
// initialised N(0, (init_gain / sqrt(fan_in))^2) from the seed.
std::pair<Graph, SnnTraining> load_snn_model(const std::string& path, uint64_t seed) {
    fs::path file(path);
    if (fs::is_directory(file)) file /= "network.yaml";
    if (!fs::exists(file))
        throw InputError("model file not found: " + file.string(), "",
                         "give a model .yaml file or a network directory");
    YAML::Node root = load_yaml_file(file.string(), "model file");
    SnnTraining tr = parse_training(root["training"], file.string());
    bool needs_init = false;
    std::map<std::string, int64_t> sizes;
    if (root["populations"] && root["populations"].IsSequence())
        for (const auto& p : root["populations"]) {
            if (!p.IsMap() || !p["name"]) continue;
            int64_t n = 1;
            if (p["size"]) n = p["size"].as<int64_t>(1);
            else if (p["shape"] && p["shape"].IsSequence())
                for (const auto& d : p["shape"]) n *= d.as<int64_t>(1);
            sizes[p["name"].as<std::string>("")] = n;
        }
    std::map<std::string, Tensor> init;
    std::mt19937_64 rng(seed);
    if (root["projections"] && root["projections"].IsSequence())
        for (auto pr : root["projections"]) {
            if (!pr.IsMap() || pr["weights"] || pr["kind"].as<std::string>("") != "dense") continue;
            const std::string name = pr["name"].as<std::string>("");
            const std::string from = pr["from"].as<std::string>(""), to = pr["to"].as<std::string>("");
            if (!sizes.count(from) || !sizes.count(to)) continue;  // the loader reports it
            const int64_t npre = sizes[from], npost = sizes[to];
            if (npre > 0 && npost > (int64_t(1) << 28) / npre)
                throw InputError(
                    fmt::format("dense projection from '{}' ({}) to '{}' ({}) would "
                                "hold more than 2^28 weights",
                                from, npre, to, npost),
                    at_file(file.string(), pr.Mark().line + 1, "projection '" + name + "'"),
                    "use smaller populations");
            std::normal_distribution<float> nd(0.0f, tr.init_gain / std::sqrt(float(npre)));
            std::vector<float> w(size_t(npre * npost));
            for (float& x : w) x = nd(rng);
            init[name] = Tensor::from<float>(w, {npost, npre});
            needs_init = true;
        }
    if (!root["training"] && !needs_init) return {load_network(file.string()), tr};

    // Hand the loader a plain network file next to the model, so relative tensor
    // references still resolve; both temporaries are removed whatever happens.
    root.remove("training");
    const std::string sfx = temp_suffix();
    const fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    const fs::path tmp_yaml = dir / (".sf-model." + sfx + ".yaml");
    const fs::path tmp_npz = dir / (".sf-init." + sfx + ".npz");
    if (root["projections"] && root["projections"].IsSequence())
        for (auto pr : root["projections"]) {
            const std::string name = pr["name"].as<std::string>("");
            if (init.count(name) && !pr["weights"]) pr["weights"] = tmp_npz.filename().string() + ":" + name;
        }
    auto cleanup = [&] {
        std::error_code ec;
        fs::remove(tmp_yaml, ec);
        fs::remove(tmp_npz, ec);
    };
    try {
        if (!init.empty()) write_npz(tmp_npz.string(), init);
        {
            std::ofstream out(tmp_yaml);
            YAML::Emitter em;
            em << root;
            out << em.c_str() << "\n";
            if (!out)
                throw InputError("cannot write a temporary file next to the model", dir.string(),
                                 "make the model's directory writable");
        }
        Graph g;
        try {
            g = load_network(tmp_yaml.string());
        } catch (const InputError& e) {
            // The temporary file's lines are not the model's: point at the node's own line
            // in the model file instead, found by the node name the error carries.
            std::string node;
            int line = 0;
            const std::string& w = e.where();
            for (const char* kind : {"population", "projection"}) {
                const std::string tag = std::string("(") + kind + " '";
                const size_t at = w.find(tag);
                if (at == std::string::npos) continue;
                const size_t end = w.find("')", at);
                const std::string name = w.substr(at + tag.size(), end - at - tag.size());
                node = std::string(kind) + " '" + name + "'";
                const YAML::Node list = root[std::string(kind) + "s"];
                if (list && list.IsSequence())
                    for (const auto& item : list)
                        if (item.IsMap() && item["name"] && item["name"].IsScalar() &&
                            item["name"].Scalar() == name)
                            line = item.Mark().line + 1;
            }
            if (node.empty() && w.find("(encoder)") != std::string::npos) node = "encoder";
            throw InputError(e.problem(), at_file(file.string(), line, node), e.fix());
        }
        g.file = file.string();
        cleanup();
        return {std::move(g), tr};
    } catch (...) {
        cleanup();
        throw;
    }
}

std::string data_name(const std::string& opt, const Graph& g, const std::string& file) {
    if (!opt.empty()) return opt;
    if (!g.dataset.empty()) return g.dataset;
    throw InputError("no data set given and the network names none", file,
                     "pass --data fashion-mnist (or mnist, digits)");
}

nlohmann::json eval_graph(const Graph& g, const Dataset& test, int64_t samples, bool progress,
                          int threads = 1) {
    SnnSimulator sim(g);
    SnnRunOptions o;
    o.progress = progress;
    o.threads = threads;
    o.batch = 256;
    const SnnResult r = simulate_dataset(sim, test, 0, samples, o);
    const int K = test.num_classes;
    std::vector<std::vector<int64_t>> conf(size_t(K), std::vector<int64_t>(size_t(K) + 1, 0));
    int64_t correct = 0, n = 0;
    for (const auto& s : r.run.samples) {
        if (s.label < 0 || s.label >= K) continue;
        ++n;
        if (s.predicted == s.label) ++correct;
        // Column K counts samples without any prediction (no output spikes).
        conf[size_t(s.label)][s.predicted >= 0 && s.predicted < K ? size_t(s.predicted) : size_t(K)]++;
    }
    nlohmann::json j;
    j["accuracy"] = n ? double(correct) / double(n) : 0.0;
    j["samples"] = int64_t(r.run.samples.size());
    j["wall_s"] = r.run.wall_s;
    j["spikes_total"] = r.run.counters.spikes;
    j["syn_ops"] = r.run.counters.syn_ops;
    j["threads"] = r.run.threads;
    nlohmann::json pops = nlohmann::json::object();
    for (size_t k = 0; k < g.populations.size(); ++k) pops[g.populations[k].name] = r.population_spikes[k];
    j["population_spikes"] = pops;
    std::vector<double> per;
    nlohmann::json cm = nlohmann::json::array();
    for (int c = 0; c < K; ++c) {
        int64_t tot = 0;
        for (auto v : conf[size_t(c)]) tot += v;
        per.push_back(tot ? double(conf[size_t(c)][size_t(c)]) / double(tot) : 0.0);
        cm.push_back(std::vector<int64_t>(conf[size_t(c)].begin(), conf[size_t(c)].begin() + K));
    }
    j["per_class_accuracy"] = per;
    j["confusion"] = cm;
    j["readout"] = sim.membrane_readout() ? "membrane" : "spike_count";
    return j;
}

// A Diehl & Cook model file (`method: diehl_cook`): options of DiehlCookOptions.
nlohmann::json train_stdp_model(const std::string& file, const YAML::Node& root,
                                const TrainOptions& opt) {
    DiehlCookOptions o;
    const std::set<std::string> known{"type", "method", "name", "neurons", "timesteps", "max_rate",
                                      "epochs", "decay_v", "threshold", "theta_plus", "tau_theta", "inhibition",
                                      "weight_sum", "stdp", "dataset"};
    for (const auto& kv : root)
        if (!known.count(kv.first.Scalar()))
            throw InputError("unknown key '" + kv.first.Scalar() + "' in a diehl_cook model",
                             at_file(file, kv.first.Mark().line + 1), "see docs/reference-snn.md");
    std::string set = "mnist";
    const std::string mn = "model";
    const double big = 1e30;
    read_value(root, "neurons", o.neurons, file, mn, 10, 65536);
    read_value(root, "timesteps", o.timesteps, file, mn, 1, kMaxTimesteps);
    read_value(root, "max_rate", o.max_rate, file, mn, 0, 1);
    read_value(root, "epochs", o.epochs, file, mn, 0, 1e6);
    read_value(root, "decay_v", o.decay_v, file, mn, 0, 1);
    read_value(root, "threshold", o.threshold, file, mn, 1e-30, big);
    read_value(root, "theta_plus", o.theta_plus, file, mn, 0, big);
    read_value(root, "tau_theta", o.tau_theta, file, mn, 1e-30, big);
    read_value(root, "inhibition", o.inhibition, file, mn, 0, big);
    read_value(root, "weight_sum", o.weight_sum, file, mn, 1e-30, big);
    read_value(root, "dataset", set, file, mn);
    if (const YAML::Node s = root["stdp"]) {
        const std::string sn = "stdp";
        if (!s.IsMap())
            throw InputError("'stdp' must be a mapping", at_file(file, s.Mark().line + 1, sn),
                             "write stdp: {a_plus: 0.002, a_minus: 0.0005, tau_pre: 20, ...}");
        const std::set<std::string> sk{"a_plus",   "a_minus", "tau_pre",
                                       "tau_post", "w_min",   "w_max"};
        for (const auto& kv : s)
            if (!sk.count(kv.first.Scalar()))
                throw InputError("unknown key '" + kv.first.Scalar() + "' in stdp:",
                                 at_file(file, kv.first.Mark().line + 1, sn),
                                 "known keys: a_minus, a_plus, tau_post, tau_pre, w_max, w_min");
        read_value(s, "a_plus", o.stdp.a_plus, file, sn, -big, big);
        read_value(s, "a_minus", o.stdp.a_minus, file, sn, -big, big);
        read_value(s, "tau_pre", o.stdp.tau_pre, file, sn, 1e-30, big);
        read_value(s, "tau_post", o.stdp.tau_post, file, sn, 1e-30, big);
        read_value(s, "w_min", o.stdp.w_min, file, sn, -big, big);
        read_value(s, "w_max", o.stdp.w_max, file, sn, -big, big);
        if (o.stdp.w_min > o.stdp.w_max)
            throw InputError(
                fmt::format("stdp w_min = {} exceeds w_max = {}", o.stdp.w_min, o.stdp.w_max),
                at_file(file, s.Mark().line + 1, sn), "swap them");
    }
    if (opt.epochs >= 0) o.epochs = opt.epochs;
    if (!opt.data.empty()) set = opt.data;
    o.seed = opt.seed;
    o.max_train = opt.max_train;
    o.progress = opt.progress;
    if (opt.out_dir.empty()) throw InputError("no output directory given", file, "pass -o NETWORK_DIR");
    const TrainData d = load_train_data(set, opt.max_train, opt.max_test, opt.validation);
    const Dataset& train = d.train;
    DiehlCookResult r = train_diehl_cook(train, d.eval, o);
    save_network(r.network, opt.out_dir);
    nlohmann::json j;
    j["accuracy"] = r.accuracy;
    j["samples"] = r.test_samples;
    j["evaluated_on"] = d.eval_split;
    j["train_seconds"] = r.train_seconds;
    j["train_samples"] = train.size();
    j["assignment"] = r.assignment;
    j["seed"] = opt.seed;
    j["data"] = set;
    return j;
}

// Where a surrogate-gradient run stands after an epoch: with the chain weights and the
// optimiser moments, what the next epoch needs to draw the same batches and take the same
// steps as an uninterrupted run.
struct SnnRunState {
    int epochs_done = 0;
    int64_t step = 0;
    float lr = 0;
    std::mt19937_64 rng;
    std::vector<int64_t> order;                  // sample order after the last shuffle
    std::vector<Eigen::MatrixXf> m, v;           // optimiser moments per layer
    nlohmann::json history = nlohmann::json::array();
};

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Tensor matrix_tensor(const Eigen::MatrixXf& x) {
    const RowMajorF r = x;
    return Tensor::from(std::vector<float>(r.data(), r.data() + r.size()), {r.rows(), r.cols()});
}

// OUT/checkpoint/: network.yaml + weights.npz (the weights reached), optimizer.npz (m.L,
// v.L, order) and state.json; built beside its place and swapped in whole (temp_dir.hpp).
void save_snn_checkpoint(const std::string& out_dir, Graph g, const SnnChain& chain,
                         const SnnRunState& st, nlohmann::json meta) {
    ensure_output_dir(out_dir, OutputKind::Network);
    TempSiblingDir staging((fs::path(out_dir) / "checkpoint").string(), OutputKind::Checkpoint);
    const fs::path& tmp = staging.path();
    snn_store_chain(g, chain);
    save_network(g, tmp.string());
    std::map<std::string, Tensor> a;
    for (size_t l = 0; l < st.m.size(); ++l) {
        a["m." + std::to_string(l)] = matrix_tensor(st.m[l]);
        a["v." + std::to_string(l)] = matrix_tensor(st.v[l]);
    }
    a["order"] = Tensor::from(st.order, {int64_t(st.order.size())});
    write_npz((tmp / "optimizer.npz").string(), a);
    std::ostringstream rng;
    rng << st.rng;
    meta["epochs_done"] = st.epochs_done;
    meta["step"] = st.step;
    meta["lr"] = st.lr;
    meta["rng"] = rng.str();
    meta["history"] = st.history;
    std::ofstream state(tmp / "state.json");
    state << meta.dump(2);
    state.close();
    if (!state)
        throw InputError("cannot write the checkpoint state", tmp.string(), "check free disk space");
    staging.commit_replace();
}

// Loads the weights, moments, order and generator of a checkpoint into a run of the same
// model; shapes must match the model's chain.
void load_snn_checkpoint(const std::string& dir, const nlohmann::json& s, SnnChain& chain,
                         int64_t n_train, SnnRunState& st) {
    const SnnChain ck = snn_chain(load_network(dir));
    const std::string opt_file = (fs::path(dir) / "optimizer.npz").string();
    const auto a = read_npz(opt_file);
    auto mismatch = [&](const std::string& what) {
        return InputError("the checkpoint does not match this model: " + what, dir,
                          "resume with the model file the checkpoint was made from");
    };
    if (ck.wt.size() != chain.wt.size()) throw mismatch("different number of layers");
    st.m.resize(chain.wt.size());
    st.v.resize(chain.wt.size());
    for (size_t l = 0; l < chain.wt.size(); ++l) {
        const auto& w = chain.wt[l];
        if (ck.wt[l].rows() != w.rows() || ck.wt[l].cols() != w.cols())
            throw mismatch("layer " + std::to_string(l) + " has another shape");
        chain.wt[l] = ck.wt[l];
        for (auto* mv : {&st.m, &st.v}) {
            const std::string key = (mv == &st.m ? "m." : "v.") + std::to_string(l);
            auto it = a.find(key);
            if (it == a.end() || it->second.shape != std::vector<int64_t>{w.rows(), w.cols()})
                throw InputError("checkpoint optimiser state lacks " + key + " of shape [" +
                                     std::to_string(w.rows()) + ", " + std::to_string(w.cols()) +
                                     "]",
                                 opt_file, "start again without --resume");
            const std::vector<float> x = it->second.to<float>();
            (*mv)[l] = Eigen::Map<const RowMajorF>(x.data(), w.rows(), w.cols());
        }
    }
    auto io = a.find("order");
    if (io == a.end() || io->second.shape != std::vector<int64_t>{n_train})
        throw mismatch("its sample order is not of the " + std::to_string(n_train) +
                       " training samples");
    st.order = io->second.to<int64_t>();
    std::vector<bool> seen(size_t(n_train), false);
    for (int64_t i : st.order) {
        if (i < 0 || i >= n_train || seen[size_t(i)])
            throw InputError("corrupt sample order in the checkpoint", opt_file,
                             "start again without --resume");
        seen[size_t(i)] = true;
    }
    const std::string state_file = (fs::path(dir) / "state.json").string();
    std::istringstream rng(s["rng"].is_string() ? s["rng"].get<std::string>() : std::string());
    rng >> st.rng;
    if (!rng || !s["lr"].is_number() || !s["history"].is_array())
        throw InputError("corrupt checkpoint state: 'rng', 'lr' or 'history' is damaged",
                         state_file, "start again without --resume");
    st.epochs_done = s["epochs_done"].get<int>();
    st.step = s["step"].get<int64_t>();
    st.lr = s["lr"].get<float>();
    st.history = s["history"];
}

}  // namespace

nlohmann::json train_snn(const std::string& model_path, const TrainOptions& opt) {
    {
        fs::path file(model_path);
        if (fs::is_directory(file)) file /= "network.yaml";
        const YAML::Node root = load_yaml_file(file.string(), "model file");
        if (root.IsMap() && root["method"] && root["method"].as<std::string>("") == "diehl_cook") {
            if (opt.checkpoint_every > 0 || !opt.resume_dir.empty())
                throw InputError("--checkpoint-every and --resume apply to gradient training, not "
                                 "to an STDP model (one pass over the data)",
                                 file.string(), "leave them out");
            nlohmann::json j = train_stdp_model(file.string(), root, opt);
            j["threads"] = 1;  // one pass of online STDP: serial
            return j;
        }
    }
    // A resumed run takes the seed, sample limit and hold-out of the run it continues.
    nlohmann::json resumed;
    uint64_t seed = opt.seed;
    int64_t max_train = opt.max_train;
    double validation = opt.validation;
    if (!opt.resume_dir.empty()) {
        resumed = detail::read_checkpoint_state(opt.resume_dir, "snn", {"lr", "rng", "history"});
        seed = resumed["seed"].get<uint64_t>();
        max_train = resumed.value("max_train", max_train);
        validation = resumed.value("validation", validation);
    }
    auto [g, tr] = load_snn_model(model_path, seed);
    if (opt.epochs >= 0) tr.epochs = opt.epochs;
    SnnChain chain = snn_chain(g);
    const Population& out = g.populations[size_t(chain.pops.back())];
    if (tr.readout == "membrane" && out.kind != NeuronKind::LI)
        throw InputError("readout: membrane needs an LI output population, '" + out.name + "' is " +
                             to_string(out.kind),
                         g.file, "make the output kind: li, or use readout: spike_count");
    if (tr.readout == "spike_count" && out.kind == NeuronKind::LI)
        throw InputError("readout: spike_count needs a spiking output, '" + out.name + "' is LI",
                         g.file, "use readout: membrane, or make the output lif");
    if (opt.out_dir.empty())
        throw InputError("no output directory given", model_path, "pass -o NETWORK_DIR");
    const std::string set = data_name(opt.data, g, model_path);
    const TrainData d = load_train_data(set, max_train, opt.max_test, validation);
    const Dataset& train = d.train;
    const Dataset& test = d.eval;
    const int64_t n_in = g.populations[size_t(chain.pops[0])].size();
    if (train.sample_size() != n_in)
        throw InputError(fmt::format("data set '{}' has {} values per sample, the input "
                                     "population holds {}",
                                     set, train.sample_size(), n_in),
                         g.file, "size the input population like the data set");
    const int T = g.timesteps;

    // Optimiser state, fresh or from the checkpoint.
    const size_t L = chain.wt.size();
    SnnRunState st;
    std::vector<Eigen::MatrixXf>& m = st.m;
    std::vector<Eigen::MatrixXf>& v = st.v;
    std::vector<Eigen::MatrixXf> grads;
    m.resize(L);
    v.resize(L);
    for (size_t l = 0; l < L; ++l) {
        m[l] = Eigen::MatrixXf::Zero(chain.wt[l].rows(), chain.wt[l].cols());
        v[l] = m[l];
    }
    st.lr = tr.lr;
    st.rng.seed(seed ^ 0x5eedULL);
    st.order.resize(size_t(train.size()));
    std::iota(st.order.begin(), st.order.end(), 0);
    if (!opt.resume_dir.empty())
        load_snn_checkpoint(opt.resume_dir, resumed, chain, train.size(), st);
    int64_t& step = st.step;
    float& lr = st.lr;
    std::mt19937_64& rng = st.rng;
    std::vector<int64_t>& order = st.order;
    nlohmann::json& epochs = st.history;
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    for (int e = st.epochs_done; e < tr.epochs; ++e) {
        const auto te = std::chrono::steady_clock::now();
        std::shuffle(order.begin(), order.end(), rng);
        Progress bar(fmt::format("epoch {}/{}", e + 1, tr.epochs), train.size(), opt.progress);
        double loss_sum = 0;
        int64_t correct = 0, seen = 0;
        for (int64_t s = 0; s < train.size(); s += tr.batch) {
            const int64_t B = std::min(tr.batch, train.size() - s);
            std::vector<int64_t> idx(order.begin() + s, order.begin() + s + B);
            std::vector<int32_t> labels;
            for (int64_t i : idx) labels.push_back(train.labels[size_t(i)]);
            const SnnSpikeBatch x =
                encode_spike_batch(train, g.encoder, T, idx, n_in, opt.threads);
            Eigen::MatrixXf logits;
            const float loss = snn_loss_fused(g, chain, tr, x, labels, &grads, &logits, opt.threads);
            loss_sum += double(loss) * double(B);
            for (int64_t b = 0; b < B; ++b) {
                Eigen::Index k;
                logits.row(b).maxCoeff(&k);
                if (int(k) == labels[size_t(b)]) ++correct;
            }
            seen += B;
            ++step;
            for (size_t l = 0; l < L; ++l) {
                if (tr.optimizer == "adam") {
                    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
                    m[l] = b1 * m[l] + (1 - b1) * grads[l];
                    v[l] = b2 * v[l] + (1 - b2) * grads[l].cwiseProduct(grads[l]);
                    const float c1 = 1 - std::pow(b1, float(step)), c2 = 1 - std::pow(b2, float(step));
                    chain.wt[l].array() -=
                        lr * (m[l].array() / c1) / ((v[l].array() / c2).sqrt() + eps);
                } else {
                    m[l] = 0.9f * m[l] + grads[l];
                    chain.wt[l] -= lr * m[l];
                }
            }
            bar.update(seen, fmt::format("loss {:.3f} acc {:.1f}%", loss_sum / double(seen),
                                         100.0 * double(correct) / double(seen)));
        }
        bar.finish();
        lr *= tr.lr_decay;
        epochs.push_back({{"epoch", e + 1},
                          {"loss", loss_sum / double(std::max<int64_t>(seen, 1))},
                          {"train_accuracy", double(correct) / double(std::max<int64_t>(seen, 1))},
                          {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count()}});
        st.epochs_done = e + 1;
        if (opt.checkpoint_every > 0 && (e + 1) % opt.checkpoint_every == 0)
            save_snn_checkpoint(opt.out_dir, g, chain, st,
                                {{"kind", "snn"},
                                 {"seed", seed},
                                 {"max_train", max_train},
                                 {"validation", validation},
                                 {"model", model_path}});
    }
    const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Processor time of all threads: the machine may be shared, and then wall time says little.
    const double train_cpu_s = double(std::clock() - c0) / CLOCKS_PER_SEC;
    snn_store_chain(g, chain);

    // The final accuracy comes from the simulator, not the trainer's forward pass, so it is
    // the number a `spikeforge eval` of the saved network reproduces.
    nlohmann::json r = eval_graph(g, test, -1, opt.progress, opt.threads);
    r["evaluated_on"] = d.eval_split;
    // The network and the settings that trained it are swapped in together (temp_dir.hpp),
    // so no run leaves new weights beside an old training.yaml.
    {
        TempSiblingDir staging(opt.out_dir, OutputKind::Network);
        save_network(g, staging.path().string());
        YAML::Emitter em;
        em << YAML::BeginMap << YAML::Key << "optimizer" << YAML::Value << tr.optimizer
           << YAML::Key << "lr" << YAML::Value << tr.lr << YAML::Key << "lr_decay" << YAML::Value
           << tr.lr_decay << YAML::Key << "batch" << YAML::Value << tr.batch << YAML::Key << "epochs"
           << YAML::Value << tr.epochs << YAML::Key << "surrogate" << YAML::Value << tr.surrogate
           << YAML::Key << "slope" << YAML::Value << tr.slope << YAML::Key << "readout"
           << YAML::Value << tr.readout << YAML::Key << "loss" << YAML::Value << tr.loss
           << YAML::Key << "init_gain" << YAML::Value << tr.init_gain << YAML::Key << "count_scale"
           << YAML::Value << tr.count_scale << YAML::Key << "seed" << YAML::Value << seed
           << YAML::Key << "data" << YAML::Value << set << YAML::EndMap;
        std::ofstream out(staging.path() / "training.yaml");
        out << "# Settings that trained this network (spikeforge train).\n" << em.c_str() << "\n";
        out.close();
        if (!out)
            throw InputError("cannot write training.yaml", opt.out_dir, "check free disk space");
        staging.commit_files({"network.yaml", "weights.npz", "training.yaml"});
    }
    r["train_seconds"] = train_s;
    r["train_cpu_seconds"] = train_cpu_s;
    r["threads"] = opt.threads;
    r["epochs"] = epochs;
    r["seed"] = seed;
    r["data"] = set;
    r["train_samples"] = train.size();
    return r;
}

nlohmann::json eval_snn(const std::string& network_path, const EvalOptions& opt) {
    const Graph g = load_network(network_path);
    const std::string set = data_name(opt.data, g, network_path);
    const Dataset test = load_dataset(set, Split::Test, opt.samples);
    nlohmann::json r = eval_graph(g, test, opt.samples, opt.progress, opt.threads);
    r["data"] = set;
    return r;
}

}  // namespace sf
