#include "sf/analysis/sweep.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "sf/analysis/backends.hpp"
#include "sf/analysis/compare.hpp"
#include "sf/analysis/metrics.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/error.hpp"
#include "sf/core/graph.hpp"
#include "sf/core/progress.hpp"
#include "sf/reference/train_api.hpp"

namespace sf {
namespace {

using nlohmann::json;

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool parse_int(const std::string& s, long long& v) {
    if (s.empty()) return false;
    size_t pos = 0;
    try {
        v = std::stoll(s, &pos);
    } catch (const std::exception&) {
        return false;
    }
    return pos == s.size();
}

// Leaves of the chip YAML, "section.key".
std::vector<std::string> chip_keys() {
    std::vector<std::string> keys;
    const YAML::Node n = YAML::Load(chip_to_yaml(ChipConfig{}));
    for (const auto& kv : n) {
        const std::string k = kv.first.as<std::string>();
        if (kv.second.IsMap()) {
            for (const auto& kv2 : kv.second) {
                const std::string k2 = kv2.first.as<std::string>();
                if (k == "energy" && k2 == "source") continue;
                keys.push_back(k + "." + k2);
            }
        } else if (k != "name") {
            keys.push_back(k);
        }
    }
    return keys;
}

bool is_run_key(const std::string& k) { return k == "timesteps" || k == "seed"; }

ChipConfig apply_chip(const ChipConfig& base, const std::vector<std::pair<std::string, std::string>>& kv,
                      const std::string& label) {
    YAML::Node n = YAML::Load(chip_to_yaml(base));
    for (const auto& [key, value] : kv) {
        const auto dot = key.find('.');
        if (dot == std::string::npos)
            n[key] = value;
        else
            n[key.substr(0, dot)][key.substr(dot + 1)] = value;
    }
    n["name"] = base.name;
    YAML::Emitter e;
    e << n;
    return chip_from_yaml(e.c_str(), "sweep point " + label);
}

}  // namespace

std::vector<std::string> sweep_keys() {
    std::vector<std::string> k = chip_keys();
    k.push_back("timesteps");
    k.push_back("seed");
    return k;
}

SweepParam parse_sweep_set(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos)
        throw InputError("--set '" + text + "' has no '='", "--set",
                         "write --set KEY=VALUES, e.g. --set core.weight_bits=2..8");
    SweepParam p;
    p.key = trim(text.substr(0, eq));
    const std::string vals = trim(text.substr(eq + 1));
    const std::vector<std::string> keys = sweep_keys();
    if (std::find(keys.begin(), keys.end(), p.key) == keys.end())
        throw InputError("unknown parameter '" + p.key + "' in --set", "--set " + text,
                         fmt::format("use one of: {}", fmt::join(keys, ", ")));
    const auto dots = vals.find("..");
    if (dots != std::string::npos) {
        long long a = 0, b = 0;
        if (!parse_int(trim(vals.substr(0, dots)), a) || !parse_int(trim(vals.substr(dots + 2)), b) ||
            b < a)
            throw InputError("bad range '" + vals + "' for " + p.key, "--set " + text,
                             "write a range of whole numbers as LOW..HIGH with LOW <= HIGH, e.g. 2..8");
        if (b - a > 1000)
            throw InputError("range '" + vals + "' has more than 1000 values", "--set " + text,
                             "sweep fewer values, or list them with commas");
        for (long long v = a; v <= b; ++v) p.values.push_back(std::to_string(v));
    } else {
        std::stringstream ss(vals);
        std::string v;
        while (std::getline(ss, v, ',')) {
            v = trim(v);
            if (v.empty())
                throw InputError("empty value in '" + vals + "' for " + p.key, "--set " + text,
                                 "separate values with single commas, e.g. 16,32,64");
            p.values.push_back(v);
        }
    }
    if (p.values.empty())
        throw InputError("no values for " + p.key, "--set " + text, "give values after '='");
    if (is_run_key(p.key))
        for (const auto& v : p.values) {
            long long x = 0;
            if (!parse_int(v, x) || x < (p.key == "seed" ? 0 : 1) ||
                (p.key == "timesteps" && x > kMaxTimesteps))
                throw InputError("bad value '" + v + "' for " + p.key, "--set " + text,
                                 p.key == "timesteps" ? "give whole numbers of steps, 1 or more"
                                                      : "give whole-number seeds, 0 or more");
        }
    return p;
}

json run_sweep(const SweepOptions& o) {
    const auto t0 = std::chrono::steady_clock::now();
    if (o.sets.empty())
        throw InputError("nothing to sweep", "sweep",
                         "give at least one --set KEY=VALUES, e.g. --set core.weight_bits=2..8");
    for (size_t i = 0; i < o.sets.size(); ++i)
        for (size_t k = 0; k < i; ++k)
            if (o.sets[i].key == o.sets[k].key)
                throw InputError("--set " + o.sets[i].key + " given twice", "--set",
                                 "give each parameter once, with all its values");
    chip_backend(o.backend);
    if (!is_snn_model(o.network))
        throw InputError("sweep runs spiking networks, and this is an ANN model", o.network,
                         "convert it first (spikeforge convert), then sweep the result");
    const Graph g = load_network(o.network);
    if ((o.data.empty() ? g.dataset : o.data).empty())
        throw InputError("network '" + g.name + "' names no data set and --data was not given",
                         o.network, "pass --data fashion-mnist (or mnist, digits)");
    const ChipConfig base = load_chip(o.chip);

    // The Cartesian product, built and checked whole before anything runs.
    struct Point {
        json set = json::object();
        std::vector<std::pair<std::string, std::string>> chip_kv;
        int steps = 0;
        uint64_t seed = 1;
        ChipConfig chip;
    };
    std::vector<Point> points(1);
    points[0].seed = o.seed;
    for (const auto& s : o.sets) {
        std::vector<Point> next;
        for (const auto& p : points)
            for (const auto& v : s.values) {
                Point q = p;
                long long x = 0;
                const bool integer = parse_int(v, x);
                if (integer)
                    q.set[s.key] = x;
                else {
                    try {
                        q.set[s.key] = std::stod(v);
                    } catch (const std::exception&) {
                        q.set[s.key] = v;
                    }
                }
                if (s.key == "timesteps")
                    q.steps = int(x);
                else if (s.key == "seed")
                    q.seed = uint64_t(x);
                else
                    q.chip_kv.emplace_back(s.key, v);
                next.push_back(std::move(q));
            }
        points = std::move(next);
        if (points.size() > 10000)
            throw InputError("the sweep has more than 10,000 points", "--set",
                             "sweep fewer values");
    }
    for (auto& p : points) {
        std::string label;
        for (const auto& [k, v] : p.set.items()) label += (label.empty() ? "" : ", ") + k + "=" + v.dump();
        p.chip = apply_chip(base, p.chip_kv, label);
    }

    // Float accuracy depends only on the timesteps: once per value.
    std::map<int, json> float_acc;
    int64_t samples_run = o.samples;
    Progress bar("sweep", int64_t(points.size()), o.progress);
    int threads_used = 1;
    json out = json::array();
    std::vector<double> acc, energy;
    std::vector<size_t> valid;
    for (size_t i = 0; i < points.size(); ++i) {
        const Point& p = points[i];
        CompareOptions co;
        co.network = o.network;
        co.graph = g;
        co.chip_config = p.chip;
        co.data = o.data;
        co.samples = o.samples;
        co.steps = p.steps;
        co.seed = p.seed;
        co.no_ann = true;
        co.trace = false;
        co.threads = o.threads;
        const int T = p.steps > 0 ? p.steps : g.timesteps;
        if (o.reference && !float_acc.count(T)) {
            co.backends = {"reference"};
            const json r = run_compare(co);
            float_acc[T] = r["backends"]["reference"]["accuracy"];
            threads_used = std::max(threads_used, r["threads"].get<int>());
        }
        co.backends = {o.backend};
        json pt;
        pt["set"] = p.set;
        pt["steps"] = T;
        try {
            const json r = run_compare(co);
            threads_used = std::max(threads_used, r["threads"].get<int>());
            const json& b = r["backends"][o.backend];
            samples_run = r["samples"].get<int64_t>();
            pt["accuracy"] = b["accuracy"];
            pt["energy_pj_per_inference"] = b["energy_pj_per_inference"];
            pt["energy_pj_by_kind"] = b["energy_pj_by_kind"];
            pt["spikes_per_inference"] = b["spikes_per_inference"];
            pt["syn_ops_per_inference"] =
                r["neurobench"]["synaptic_operations"]["effective_acs_per_inference"];
            pt["memory_bytes"] = r["neurobench"]["footprint_bytes"]["chip"];
            pt["state_wraps"] = b["state_wraps"];
            pt["compile_warnings"] = r["diagnostics"]["compile_warnings"].size();
            const double n = r["samples"].get<double>();
            pt["hops_per_inference"] = (b["counters"]["hops_ew"].get<double>() +
                                        b["counters"]["hops_ns"].get<double>()) / n;
            pt["mean_hops"] = r["mesh"]["mean_hops"];
            if (b["cycles_per_inference"].is_number()) pt["cycles_per_inference"] = b["cycles_per_inference"];
            if (b["accuracy"].is_number()) {
                acc.push_back(b["accuracy"].get<double>());
                energy.push_back(b["energy_pj_per_inference"].get<double>());
                valid.push_back(i);
            }
        } catch (const CapacityError& e) {
            pt["error"] = e.what();
        }
        if (o.reference) pt["float_accuracy"] = float_acc[T];
        out.push_back(pt);
        bar.update(int64_t(i + 1));
    }
    bar.finish();
    const std::vector<bool> front = pareto_front(acc, energy);
    for (auto& p : out) p["pareto"] = false;
    for (size_t k = 0; k < valid.size(); ++k) out[valid[k]]["pareto"] = bool(front[k]);

    json j;
    j["network"] = g.name;
    j["network_path"] = o.network;
    j["chip"] = base.name;
    j["data"] = o.data.empty() ? g.dataset : o.data;
    j["samples"] = samples_run;  // the data set may hold fewer than asked for
    j["backend"] = o.backend;
    j["energy_source"] = base.energy.source;
    json params = json::array();
    for (const auto& s : o.sets) params.push_back(s.key);
    j["parameters"] = params;
    j["points"] = out;
    j["threads"] = threads_used;
    j["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return j;
}

}  // namespace sf
