#include "sf/analysis/ann_cost.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "sf/core/error.hpp"
#include "sf/core/input_file.hpp"
#include "sf/core/temp_dir.hpp"
#include "sf/core/yaml_file.hpp"

namespace fs = std::filesystem;

namespace sf {
namespace {

[[noreturn]] void bad_table(const std::string& file, const YAML::Node& n, const std::string& what,
                            const std::string& fix) {
    const int line = n.IsDefined() ? n.Mark().line + 1 : 0;
    throw InputError(what, at_file(file, line), fix);
}

void only_keys(const std::string& file, const YAML::Node& map, const std::set<std::string>& keys,
               const std::string& section) {
    if (!map.IsMap()) bad_table(file, map, section + " must be a mapping", "see docs/compare.md");
    for (const auto& kv : map) {
        const std::string k = kv.first.as<std::string>();
        if (!keys.count(k))
            bad_table(file, kv.first, "unknown key '" + k + "' in " + section,
                      "remove it; the keys are listed in docs/compare.md (\"ANN energy table\")");
    }
}

double positive(const std::string& file, const YAML::Node& n, const std::string& key,
                bool zero_ok = false) {
    if (!n[key]) bad_table(file, n, "missing key '" + key + "'", "add " + key + ": <pJ>");
    double v = 0;
    try {
        v = n[key].as<double>();
    } catch (const YAML::Exception&) {
        bad_table(file, n[key], "'" + key + "' is not a number", "give a number");
    }
    if (!std::isfinite(v) || v < 0 || (!zero_ok && v == 0))
        bad_table(file, n[key], "'" + key + "' must be a positive number",
                  "give the energy in pJ (or size in bytes) as a positive number");
    return v;
}

}  // namespace

std::string ann_energy_dir() {
    if (const char* e = std::getenv("SPIKEFORGE_ENERGY"); e && *e) return e;
    const std::string src = std::string(SF_SOURCE_NETWORKS_DIR) + "/energy";
    std::error_code ec;
    if (fs::is_directory(src, ec)) return src;
    return SF_INSTALL_ENERGY_DIR;
}

const MemoryLevel& AnnEnergyTable::level_for(int64_t bytes) const {
    for (const auto& l : levels)
        if (l.bytes == 0 || bytes <= l.bytes) return l;
    return levels.back();
}

AnnEnergyTable load_ann_energy_table(const std::string& name_or_path) {
    std::string file = name_or_path;
    const bool looks_like_path =
        name_or_path.find('/') != std::string::npos ||
        (name_or_path.size() > 5 && name_or_path.compare(name_or_path.size() - 5, 5, ".yaml") == 0);
    if (!looks_like_path) file = ann_energy_dir() + "/" + name_or_path + ".yaml";
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        throw InputError("ANN energy table '" + name_or_path + "' not found", file,
                         "give a table name from " + ann_energy_dir() +
                             " (horowitz-45nm, horowitz-45nm-int8) or a path to a YAML file");
    const YAML::Node root = load_yaml_file(file, "ANN energy table");
    only_keys(file, root, {"name", "source", "precision", "word_bits", "ops", "memory"},
              "the energy table");
    AnnEnergyTable t;
    t.file = file;
    t.name = root["name"] ? root["name"].as<std::string>() : fs::path(file).stem().string();
    if (!root["source"] || root["source"].as<std::string>().empty())
        bad_table(file, root, "the energy table names no source",
                  "add source: \"<publication>\" (numbers without a source are not compared)");
    t.source = root["source"].as<std::string>();
    if (root["precision"]) t.precision = root["precision"].as<std::string>();
    if (root["word_bits"]) t.word_bits = int(positive(file, root, "word_bits"));
    if (!root["ops"]) bad_table(file, root, "missing section 'ops'", "add ops: {mult_pj, add_pj}");
    only_keys(file, root["ops"], {"mult_pj", "add_pj"}, "ops");
    t.mult_pj = positive(file, root["ops"], "mult_pj");
    t.add_pj = positive(file, root["ops"], "add_pj");
    const YAML::Node mem = root["memory"];
    if (!mem) bad_table(file, root, "missing section 'memory'", "add memory: {access_bits, levels}");
    only_keys(file, mem, {"access_bits", "levels"}, "memory");
    if (mem["access_bits"]) t.access_bits = int(positive(file, mem, "access_bits"));
    if (!mem["levels"] || !mem["levels"].IsSequence() || mem["levels"].size() == 0)
        bad_table(file, mem, "memory.levels must be a non-empty list",
                  "list the levels from the smallest: {name, bytes, pj}");
    int64_t prev = 0;
    for (const auto& l : mem["levels"]) {
        only_keys(file, l, {"name", "bytes", "pj"}, "a memory level");
        MemoryLevel m;
        m.name = l["name"] ? l["name"].as<std::string>() : "level";
        m.bytes = int64_t(positive(file, l, "bytes", true));
        m.pj_per_access = positive(file, l, "pj");
        if (!t.levels.empty() && t.levels.back().bytes == 0)
            bad_table(file, l, "a memory level follows the unbounded one (bytes: 0)",
                      "put the unbounded level (DRAM) last");
        if (m.bytes != 0 && m.bytes <= prev)
            bad_table(file, l, "memory levels must grow in size", "order them from the smallest");
        prev = m.bytes;
        t.levels.push_back(m);
    }
    return t;
}

AnnCost ann_cost(const AnnModel& model, const Dataset& ds, int64_t count,
                 const AnnEnergyTable& table) {
    if (ds.sample_size() != model.input_size())
        throw InputError("data set '" + ds.name + "' has samples of " +
                             std::to_string(ds.sample_size()) + " values, the ANN '" + model.name +
                             "' takes " + std::to_string(model.input_size()),
                         model.name, "give the ANN trained on this data set");
    const auto t0 = std::chrono::steady_clock::now();
    AnnCost c;
    c.model = model.name;
    count = std::min(count, ds.size());
    c.samples = count;

    // Static part: MACs and parameters of each layer.
    for (const auto& L : model.layers) {
        AnnLayerCost lc;
        lc.name = L.name;
        lc.kind = ann_layer_kind_name(L.kind);
        lc.in_size = 1;
        for (auto d : L.in_shape) lc.in_size *= d;
        lc.out_size = 1;
        for (auto d : L.out_shape) lc.out_size *= d;
        for (const auto& p : L.params) {
            lc.params += int64_t(p.value.size());
            if (p.name != "bias") {
                lc.weights += int64_t(p.value.size());
                for (float v : p.value) lc.zero_weights += v == 0.0f;
            }
        }
        switch (L.kind) {
            case AnnLayerKind::Dense:
                lc.macs = lc.in_size * L.units;
                break;
            case AnnLayerKind::Conv2d: {
                const int64_t in_c = L.in_shape.at(0);
                lc.macs = lc.out_size * in_c * L.kernel * L.kernel;
                break;
            }
            case AnnLayerKind::Rnn:
            case AnnLayerKind::Lstm: {
                const int64_t I = L.in_shape.back();
                const int64_t T = I > 0 ? lc.in_size / I : 0;
                const int64_t gates = L.kind == AnnLayerKind::Lstm ? 4 : 1;
                lc.macs = T * gates * L.units * (I + L.units);
                break;
            }
            default:
                break;
        }
        c.macs += lc.macs;
        c.params += lc.params;
        c.weights += lc.weights;
        c.zero_weights += lc.zero_weights;
        c.layers.push_back(lc);
    }

    // Dynamic part: accuracy, effective MACs, activation sparsity, on the data.
    std::vector<double> eff(model.layers.size(), 0.0);
    int64_t correct = 0, labelled = 0;
    long double acts = 0, zero_acts = 0;
    const int64_t batch = 256;
    for (int64_t s = 0; s < count; s += batch) {
        const int64_t B = std::min(batch, count - s);
        AnnMatrix x(B, model.input_size());
        for (int64_t b = 0; b < B; ++b)
            for (int64_t k = 0; k < model.input_size(); ++k) x(b, k) = ds.sample(s + b)[k];
        const std::vector<AnnMatrix> out = forward_all(model, x);
        for (size_t i = 0; i < model.layers.size(); ++i) {
            const AnnLayer& L = model.layers[i];
            const AnnMatrix& in = out[i];
            if (L.kind == AnnLayerKind::Dense) {
                // Exact: each nonzero input meets the nonzero weights of its column.
                const AnnParam* w = L.param("weight");
                const int64_t nin = in.cols();
                std::vector<int64_t> col_nz(size_t(nin), 0);
                for (int64_t o = 0; o < L.units; ++o)
                    for (int64_t k = 0; k < nin; ++k) col_nz[size_t(k)] += w->value[o * nin + k] != 0.0f;
                for (int64_t b = 0; b < B; ++b)
                    for (int64_t k = 0; k < nin; ++k)
                        if (in(b, k) != 0.0f) eff[i] += double(col_nz[size_t(k)]);
            } else if (L.kind == AnnLayerKind::Conv2d) {
                // Estimated: dense MACs x nonzero input fraction x nonzero weight fraction.
                const AnnLayerCost& lc = c.layers[i];
                const double wnz = lc.weights ? 1.0 - double(lc.zero_weights) / lc.weights : 0.0;
                for (int64_t b = 0; b < B; ++b) {
                    int64_t nz = 0;
                    for (int64_t k = 0; k < in.cols(); ++k) nz += in(b, k) != 0.0f;
                    eff[i] += double(lc.macs) * double(nz) / double(std::max<int64_t>(1, in.cols())) * wnz;
                }
                c.layers[i].effective_exact = false;
            } else if (L.kind == AnnLayerKind::Rnn || L.kind == AnnLayerKind::Lstm) {
                eff[i] += double(c.layers[i].macs) * double(B);  // recurrent state is dense
            }
            // Activations: the outputs of the nonlinearities (NeuroBench counts neuron
            // outputs; a ReLU's zeros are its sparsity).
            if (L.kind == AnnLayerKind::ReLU || L.kind == AnnLayerKind::Sigmoid ||
                L.kind == AnnLayerKind::Tanh) {
                const AnnMatrix& o = out[i + 1];
                acts += (long double)o.size();
                for (int64_t k = 0; k < o.size(); ++k) zero_acts += o.data()[k] == 0.0f;
            }
        }
        const AnnMatrix& y = out.back();
        for (int64_t b = 0; b < B; ++b) {
            Eigen::Index arg = 0;
            y.row(b).maxCoeff(&arg);
            c.predicted.push_back(int(arg));
            const int label = ds.labels[size_t(s + b)];
            if (label >= 0) {
                ++labelled;
                correct += int(arg) == label;
            }
        }
    }
    for (size_t i = 0; i < c.layers.size(); ++i) {
        c.layers[i].effective_macs = count ? eff[i] / double(count) : 0.0;
        c.effective_macs += c.layers[i].effective_macs;
    }
    c.accuracy = labelled ? double(correct) / double(labelled) : -1;
    c.activations = count ? double(acts / count) : 0.0;
    c.zero_activations = count ? double(zero_acts / count) : 0.0;

    // Memory traffic per inference and its energy.
    const int64_t word_bytes = std::max(1, table.word_bits / 8);
    int64_t largest_layer = 0;
    for (const auto& lc : c.layers) {
        if (lc.macs == 0) continue;
        c.activation_reads += lc.in_size;
        c.activation_writes += lc.out_size;
        largest_layer = std::max(largest_layer, (lc.in_size + lc.out_size) * word_bytes);
    }
    c.weight_reads = c.params;
    const MemoryLevel& wl = table.level_for(c.params * word_bytes);
    const MemoryLevel& al = table.level_for(largest_layer);
    c.weight_level = wl.name;
    c.activation_level = al.name;
    c.energy_mac_pj = double(c.macs) * table.mac_pj();
    c.energy_weights_pj = double(c.weight_reads) * table.word_pj(wl);
    c.energy_activations_pj = double(c.activation_reads + c.activation_writes) * table.word_pj(al);
    c.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return c;
}

nlohmann::json to_json(const AnnCost& c, const AnnEnergyTable& t) {
    nlohmann::json j;
    j["model"] = c.model;
    j["samples"] = c.samples;
    if (c.accuracy >= 0) j["accuracy"] = c.accuracy;
    j["macs_per_inference"] = c.macs;
    j["effective_macs_per_inference"] = c.effective_macs;
    j["memory_accesses_per_inference"] = c.memory_accesses();
    j["memory"] = {{"weight_reads", c.weight_reads},
                   {"activation_reads", c.activation_reads},
                   {"activation_writes", c.activation_writes},
                   {"weight_level", c.weight_level},
                   {"activation_level", c.activation_level}};
    j["energy_pj_per_inference"] = c.energy_pj();
    j["energy_pj_by_kind"] = {{"mac", c.energy_mac_pj},
                              {"weight_reads", c.energy_weights_pj},
                              {"activations", c.energy_activations_pj}};
    j["energy_table"] = {{"name", t.name}, {"source", t.source}, {"precision", t.precision},
                         {"file", t.file}};
    j["params"] = c.params;
    j["footprint_bytes"] = c.footprint_bytes(t.word_bits);
    j["connection_sparsity"] = c.weights ? double(c.zero_weights) / double(c.weights) : 0.0;
    j["activation_sparsity"] = c.activations > 0 ? c.zero_activations / c.activations : 0.0;
    j["wall_s"] = c.wall_s;
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : c.layers) {
        if (l.macs == 0 && l.params == 0) continue;
        layers.push_back({{"name", l.name},
                          {"kind", l.kind},
                          {"macs", l.macs},
                          {"effective_macs", l.effective_macs},
                          {"effective_exact", l.effective_exact},
                          {"params", l.params}});
    }
    j["layers"] = layers;
    return j;
}

namespace {
fs::path network_dir(const std::string& p) {
    std::error_code ec;
    return fs::is_directory(p, ec) ? fs::path(p) : fs::path(p).parent_path();
}
}  // namespace

std::string ann_link_text(const std::string& snn_dir, const std::string& ann_path,
                          const nlohmann::json& details) {
    std::error_code ec;
    const fs::path dir = fs::absolute(snn_dir, ec);
    const fs::path ann = fs::absolute(ann_path, ec);
    nlohmann::json j = details.is_object() ? details : nlohmann::json::object();
    j["ann"] = fs::relative(ann, dir, ec).generic_string();
    if (ec || j["ann"].get<std::string>().empty()) j["ann"] = ann.generic_string();
    j["ann_given"] = ann_path;
    return j.dump(2) + "\n";
}

std::optional<std::string> read_ann_link(const std::string& snn_path) {
    const fs::path file = network_dir(snn_path) / "converted-from.json";
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return std::nullopt;
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_input_text(file.string(), "ANN link converted-from.json"));
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("cannot read the ANN link: ") + e.what(), file.string(),
                         "fix or delete the file (convert writes it)");
    }
    if (!j.is_object() || !j.contains("ann") || !j["ann"].is_string())
        throw InputError("the ANN link has no \"ann\" path", file.string(),
                         "fix or delete the file (convert writes it)");
    fs::path ann = j["ann"].get<std::string>();
    if (ann.is_relative()) ann = network_dir(snn_path) / ann;
    if (!fs::exists(ann, ec))
        throw InputError("the ANN this network was converted from is gone: " + ann.string(),
                         file.string(), "pass --ann PATH, or --no-ann to leave it out");
    return ann.lexically_normal().string();
}

}  // namespace sf
