// compare: one pass over the test samples in chunks. Each chunk runs on the float
// reference and on every chip backend, then the chip backends are checked against the
// first one (lockstep by chunk, first difference reported), and the per-layer spike counts
// of float and chip are paired up. Chunks bound the memory of the recorded rasters; a
// learning image carries each backend's learned weights from one chunk into the next, so
// chunking changes nothing in the results.
#include "sf/analysis/compare.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "sf/analysis/ann_cost.hpp"
#include "sf/analysis/backends.hpp"
#include "sf/analysis/metrics.hpp"
#include "sf/compiler/compile.hpp"
#include "sf/core/error.hpp"
#include "sf/core/progress.hpp"
#include "sf/reference/ann.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/encoders.hpp"
#include "sf/reference/snn.hpp"
#include "sf/reference/train_api.hpp"

namespace sf {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

json opt_num(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

json first_difference(const RunResult& a, const RunResult& b, int64_t first_sample,
                      bool cycles_both) {
    auto diff = [&](int64_t s, int t, const std::string& what, json expected, json got) {
        json d = {{"sample", first_sample + s}, {"what", what}, {"expected", std::move(expected)},
                  {"got", std::move(got)}};
        if (t >= 0) d["step"] = t;
        return d;
    };
    if (a.samples.size() != b.samples.size())
        return diff(0, -1, "number of samples", a.samples.size(), b.samples.size());
    for (size_t s = 0; s < a.samples.size(); ++s) {
        const SampleResult &x = a.samples[s], &y = b.samples[s];
        const size_t T = std::max(x.raster.size(), y.raster.size());
        // The raster says most about where things went apart: the first step and neuron.
        for (size_t t = 0; t < T; ++t) {
            if (t >= x.raster.size() || t >= y.raster.size())
                return diff(int64_t(s), int(t), "raster length", x.raster.size(), y.raster.size());
            const auto &rx = x.raster[t], &ry = y.raster[t];
            if (rx == ry) continue;
            size_t k = 0;
            while (k < rx.size() && k < ry.size() && rx[k] == ry[k]) ++k;
            json d = diff(int64_t(s), int(t), "spike", nullptr, nullptr);
            // The first (core, neuron) that one fired and the other did not.
            const ChipSpike* only_a = k < rx.size() ? &rx[k] : nullptr;
            const ChipSpike* only_b = k < ry.size() ? &ry[k] : nullptr;
            const ChipSpike* at = only_a && (!only_b || *only_a < *only_b) ? only_a : only_b;
            d["core"] = at->core;
            d["neuron"] = at->neuron;
            d["expected"] = at == only_a ? "spike" : "no spike";
            d["got"] = at == only_a ? "no spike" : "spike";
            return d;
        }
        for (size_t t = 0; t < std::max(x.output_spikes.size(), y.output_spikes.size()); ++t)
            if (t >= x.output_spikes.size() || t >= y.output_spikes.size() ||
                x.output_spikes[t] != y.output_spikes[t])
                return diff(int64_t(s), int(t), "output spikes",
                            t < x.output_spikes.size() ? json(x.output_spikes[t]) : json(nullptr),
                            t < y.output_spikes.size() ? json(y.output_spikes[t]) : json(nullptr));
        if (x.output_v_sum != y.output_v_sum)
            return diff(int64_t(s), -1, "output membrane sums", x.output_v_sum, y.output_v_sum);
        if (x.predicted != y.predicted)
            return diff(int64_t(s), -1, "prediction", x.predicted, y.predicted);
        if (cycles_both && x.cycles_per_step != y.cycles_per_step) {
            size_t t = 0;
            while (t < x.cycles_per_step.size() && t < y.cycles_per_step.size() &&
                   x.cycles_per_step[t] == y.cycles_per_step[t])
                ++t;
            return diff(int64_t(s), int(t), "cycles",
                        t < x.cycles_per_step.size() ? json(x.cycles_per_step[t]) : json(nullptr),
                        t < y.cycles_per_step.size() ? json(y.cycles_per_step[t]) : json(nullptr));
        }
    }
    EventCounters ca = a.counters, cb = b.counters;
    if (!cycles_both) ca.cycles = cb.cycles = 0;
    if (!(ca == cb)) {
        const auto na = ca.by_name(), nb = cb.by_name();
        for (const auto& kv : na)
            if (nb.at(kv.first) != kv.second)
                return {{"sample", nullptr}, {"what", "counter " + kv.first},
                        {"expected", kv.second}, {"got", nb.at(kv.first)}};
    }
    auto state = [&](const auto& u, const auto& v, const std::string& what) -> json {
        if (u.empty() || v.empty()) return nullptr;
        for (size_t c = 0; c < std::min(u.size(), v.size()); ++c)
            for (size_t i = 0; i < std::min(u[c].size(), v[c].size()); ++i)
                if (u[c][i] != v[c][i])
                    return {{"sample", first_sample + int64_t(a.samples.size()) - 1},
                            {"what", what}, {"core", c}, {"index", i},
                            {"expected", u[c][i]}, {"got", v[c][i]}};
        return nullptr;
    };
    if (json d = state(a.final_weights, b.final_weights, "final weight"); !d.is_null()) return d;
    if (json d = state(a.final_u, b.final_u, "final u"); !d.is_null()) return d;
    if (json d = state(a.final_v, b.final_v, "final v"); !d.is_null()) return d;
    return nullptr;
}

namespace {

SpikeInput slice(const SpikeInput& in, size_t first, size_t count) {
    SpikeInput s;
    s.num_inputs = in.num_inputs;
    s.samples.assign(in.samples.begin() + long(first), in.samples.begin() + long(first + count));
    return s;
}

// A raster of at most `cap` spikes for the page: every k-th spike, so that a thinned
// raster still covers every step and every layer.
json thin_raster(const std::vector<std::array<int64_t, 3>>& all, size_t cap) {
    const size_t k = all.size() > cap ? (all.size() + cap - 1) / cap : 1;
    json r = json::array();
    for (size_t i = 0; i < all.size(); i += k) r.push_back({all[i][0], all[i][1], all[i][2]});
    return r;
}

// Per-layer evidence of why the chip departs from float.
struct LayerEvidence {
    int64_t max_abs_u = 0, max_abs_v = 0;
    bool v_saturated = false;
};

}  // namespace

namespace {

// An ANN model on its own: its accuracy and its cost on a conventional accelerator (no
// chip, no spikes). Chip backends make no sense for it.
json compare_ann_only(const CompareOptions& o) {
    const auto t0 = Clock::now();
    if (is_hopfield_model(o.network))
        throw InputError("compare has nothing to compare for a Hopfield network", o.network,
                         "use spikeforge eval for its recall rate");
    for (const auto& b : o.backends)
        if (b != "reference")
            throw InputError("'" + o.network + "' is an ANN model, which no chip backend runs",
                             "--backends",
                             "convert it first (spikeforge convert " + o.network +
                                 " -o SNN_DIR) and compare SNN_DIR (the ANN is shown beside "
                                 "it), or pass --backends reference for the ANN alone");
    const AnnModel model = load_ann(o.network);
    if (!model.initialised)
        throw InputError("model '" + model.name + "' has no trained weights", o.network,
                         "train it first (spikeforge train " + o.network + " -o DIR)");
    const std::string set = o.data.empty() ? model.dataset : o.data;
    if (set.empty())
        throw InputError("model '" + model.name + "' names no data set and --data was not given",
                         o.network, "pass --data fashion-mnist (or mnist, digits)");
    const AnnEnergyTable table = load_ann_energy_table(o.energy_table);
    const Dataset ds = load_dataset(set, Split::Test, o.samples);
    const AnnCost c = ann_cost(model, ds, ds.size(), table);
    json j;
    j["network"] = model.name;
    j["network_path"] = o.network;
    j["kind"] = "ann";
    j["data"] = set;
    j["samples"] = ds.size();
    j["backends_run"] = json::array();
    j["backends"] = json::object();
    j["agreement"] = {{"chip_backends_compared", 0},
                      {"chip_backends_identical", true},
                      {"defects", json::array()},
                      {"float_vs_chip_prediction_match", nullptr}};
    j["layers"] = json::array();
    j["most_lossy_layers"] = json::array();
    json a = to_json(c, table);
    a["path"] = o.network;
    a["link"] = "the network itself";
    j["ann"] = a;
    const double total = seconds_since(t0);
    j["timing"] = {{"stages", json::array({{{"stage", "ann"}, {"wall_s", c.wall_s},
                                            {"share", total > 0 ? c.wall_s / total : 0.0}}})},
                   {"total_s", total}};
    j["threads"] = 1;  // the ANN's cost is measured on one thread
    return j;
}

}  // namespace

double population_scale(const Graph& g, const ChipConfig& chip, int pop) {
    const Population& p = g.populations.at(size_t(pop));
    if (p.kind == NeuronKind::Input) return 0.0;
    double maxw = 0;
    for (const auto& pr : g.projections) {
        if (pr.post != p.name) continue;
        switch (pr.kind) {
            case ProjectionKind::SumPool:
                maxw = std::max(maxw, double(std::fabs(pr.scale)));
                break;
            case ProjectionKind::AvgPool:
                maxw = std::max(maxw, double(std::fabs(pr.scale)) / (pr.kernel.at(0) * pr.kernel.at(1)));
                break;
            case ProjectionKind::OneToOne:
                if (pr.weights.size() == 0 || pr.weights.shape.empty()) {
                    maxw = std::max(maxw, double(std::fabs(pr.scale)));
                    break;
                }
                [[fallthrough]];
            default:
                for (float w : pr.weights.to<float>()) maxw = std::max(maxw, double(std::fabs(w)));
        }
    }
    double s = double(chip.weight_max()) / (maxw > 0 ? maxw : 1.0);
    const double vth_max = double((int64_t(1) << chip.threshold_bits) - 1);
    if (p.kind != NeuronKind::LI && double(p.params.threshold) * s > vth_max + 0.5)
        s = vth_max / double(p.params.threshold);
    return s;
}

json run_compare(const CompareOptions& o) {
    const auto t_all = Clock::now();
    json stages = json::array();
    auto stage = [&](const std::string& name, double s) {
        stages.push_back({{"stage", name}, {"wall_s", s}});
    };

    // Check everything the user gave before any long work.
    std::vector<std::string> chip_names;
    bool want_reference = false;
    const std::vector<std::string> backend_list =
        o.backends.empty() ? std::vector<std::string>{"reference", "functional"} : o.backends;
    for (const auto& b : backend_list) {
        if (b == "reference") {
            want_reference = true;
            continue;
        }
        chip_backend(b);  // unknown or not built: one clear error now
        chip_names.push_back(b);
    }
    if (o.samples < 1)
        throw InputError("--samples must be 1 or more, got " + std::to_string(o.samples),
                         "--samples", "pass a number of test samples, e.g. --samples 100");
    if (o.steps < 0 || o.steps > kMaxTimesteps)
        throw InputError("timesteps must lie in [1, 2^24], got " + std::to_string(o.steps),
                         "timesteps", "pass a positive number of steps");
    if (!o.graph && !is_snn_model(o.network)) return compare_ann_only(o);
    const Graph g = o.graph ? *o.graph : load_network(o.network);
    const std::string set = o.data.empty() ? g.dataset : o.data;
    if (set.empty())
        throw InputError("network '" + g.name + "' names no data set and --data was not given",
                         o.network.empty() ? g.name : o.network,
                         "pass --data fashion-mnist (or mnist, digits)");
    const ChipConfig chip = o.chip_config ? *o.chip_config : load_chip(o.chip);
    const int T = o.steps > 0 ? o.steps : g.timesteps;
    prepare_chip_backends(chip_names, chip);
    std::optional<AnnEnergyTable> table;
    std::string ann_path = o.ann, ann_link;
    if (!o.no_ann) {
        if (ann_path.empty() && !o.network.empty()) {
            if (auto p = read_ann_link(o.network)) {
                ann_path = *p;
                ann_link = "converted-from.json";
            }
        } else if (!ann_path.empty()) {
            ann_link = "--ann";
        }
        if (!ann_path.empty()) {
            if (is_snn_model(ann_path))
                throw InputError("--ann must name an ANN model, and this is a spiking network",
                                 ann_path, "give the ANN directory (e.g. networks/fmnist-cnn)");
            table = load_ann_energy_table(o.energy_table);
        }
    }

    // Data: the same encoded spikes go to the float network and to every chip backend.
    auto t0 = Clock::now();
    const Dataset ds = load_dataset(set, Split::Test, o.samples);
    int64_t in_size = 0;
    for (const auto* p : g.inputs()) in_size += p->size();
    if (ds.sample_size() != in_size)
        throw InputError(fmt::format("data set '{}' has samples of {} values, the network's input "
                                     "takes {}",
                                     set, ds.sample_size(), in_size),
                         o.network.empty() ? g.name : o.network,
                         "give the data set the network was trained on (--data)");
    const int64_t N = ds.size();
    const SpikeInput input = encode(ds, g.encoder, T, 0, N);
    stage("encode", seconds_since(t0));

    // Compile.
    t0 = Clock::now();
    std::optional<CompileResult> cr;
    if (!chip_names.empty()) {
        CompileOptions co;
        co.seed = o.seed;
        co.threads = o.threads;
        cr = compile(g, chip, co);
    }
    int threads_used = cr ? std::max(1, cr->threads) : 1;
    stage("compile", seconds_since(t0));
    const ChipImage* img = cr ? &cr->image : nullptr;
    bool learning = false;
    if (img)
        for (const auto& c : img->cores) learning |= c.learning.enabled;

    const int P = int(g.populations.size());
    std::vector<int64_t> pop_size(P);
    for (int p = 0; p < P; ++p) pop_size[p] = g.populations[p].size();

    // Per-backend state.
    struct ChipRun {
        std::string name;
        const ChipBackend* backend = nullptr;
        ChipImage image;  // learning: carries the weights from chunk to chunk
        RunResult total;  // counters, predictions (no rasters)
        double wall_s = 0;
    };
    std::vector<ChipRun> runs;
    for (const auto& n : chip_names) {
        ChipRun r;
        r.name = n;
        r.backend = &chip_backend(n);
        if (learning) r.image = *img;
        runs.push_back(std::move(r));
    }
    std::optional<SnnSimulator> sim;
    if (want_reference) sim.emplace(g);
    std::vector<int> float_pred, float_labels;
    uint64_t float_spikes = 0, float_synops = 0, float_learn = 0;
    double float_wall = 0;
    std::vector<LayerAgreement> layers(P);
    json defects = json::array();
    std::vector<bool> defect_found(runs.size(), false);
    // Spikes per chip neuron and per host input over the whole run (link load).
    std::vector<std::vector<uint64_t>> neuron_spikes;
    if (img)
        for (const auto& c : img->cores) neuron_spikes.emplace_back(size_t(c.num_neurons), 0);
    std::vector<uint64_t> input_spikes(size_t(input.num_inputs), 0);
    for (const auto& s : input.samples)
        for (const auto& st : s.steps)
            for (int32_t i : st)
                if (i >= 0 && i < input.num_inputs) ++input_spikes[size_t(i)];

    int64_t chip_neurons = 0;
    for (int p = 0; p < P; ++p)
        if (g.populations[p].kind != NeuronKind::Input) chip_neurons += pop_size[p];
    const int64_t chunk = std::clamp<int64_t>(
        (int64_t(1) << 26) / std::max<int64_t>(1, chip_neurons * T), 1, 256);
    Progress bar("compare", N, o.progress);
    std::vector<std::string> float_record;
    for (const auto& p : g.populations)
        if (p.kind != NeuronKind::Input) float_record.push_back(p.name);

    double t_ref = 0, t_cmp = 0;
    for (int64_t first = 0; first < N; first += chunk) {
        const int64_t count = std::min(chunk, N - first);
        const SpikeInput part = slice(input, size_t(first), size_t(count));
        // Float reference.
        std::vector<std::vector<std::vector<int32_t>>> fcounts;  // [sample][pop][neuron]
        if (sim) {
            auto tr = Clock::now();
            SnnRunOptions so;
            so.steps = T;
            so.record_spikes = true;
            so.record_populations = float_record;
            so.learn = learning;
            so.threads = o.threads;
            const SnnResult r = sim->run(part, so);
            threads_used = std::max(threads_used, r.run.threads);
            float_wall += r.run.wall_s;
            float_spikes += r.run.counters.spikes;
            float_synops += r.run.counters.syn_ops;
            float_learn += r.run.counters.learn_updates;
            for (size_t s = 0; s < r.run.samples.size(); ++s) {
                float_pred.push_back(r.run.samples[s].predicted);
                float_labels.push_back(r.run.samples[s].label);
                std::vector<std::vector<int32_t>> c(P);
                for (int p = 0; p < P; ++p) {
                    if (g.populations[p].kind == NeuronKind::Input) continue;
                    c[p].assign(size_t(pop_size[p]), 0);
                    if (s < r.records.size() && size_t(p) < r.records[s].spikes.size())
                        for (const auto& st : r.records[s].spikes[p])
                            for (int32_t i : st) ++c[p][size_t(i)];
                }
                fcounts.push_back(std::move(c));
            }
            t_ref += seconds_since(tr);
        }
        // Chip backends.
        std::vector<RunResult> results;
        for (auto& run : runs) {
            RunOptions ro;
            ro.steps = T;
            ro.record = RecordSpikes | (learning ? RecordWeights : RecordNone);
            ro.threads = o.threads;
            const ChipImage& use = learning ? run.image : *img;
            RunResult r = run.backend->run(use, part, ro, {});
            threads_used = std::max(threads_used, r.threads);
            run.wall_s += r.wall_s;
            run.total.counters += r.counters;
            run.total.state_wraps += r.state_wraps;
            run.total.backend = r.backend;
            run.total.num_outputs = r.num_outputs;
            if (learning)
                for (size_t c = 0; c < run.image.cores.size() && c < r.final_weights.size(); ++c)
                    run.image.cores[c].weights = r.final_weights[c];
            run.total.final_weights = r.final_weights;
            results.push_back(std::move(r));
        }
        auto tc = Clock::now();
        // Chip backends against the first, in lockstep by chunk.
        for (size_t b = 1; b < results.size(); ++b) {
            if (defect_found[b]) continue;
            const bool cyc = runs[0].backend->counts_cycles && runs[b].backend->counts_cycles;
            json d = first_difference(results[0], results[b], first, cyc);
            if (!d.is_null()) {
                d["backend"] = runs[b].name;
                d["against"] = runs[0].name;
                defects.push_back(d);
                defect_found[b] = true;
            }
        }
        if (!results.empty()) {
            const RunResult& r = results[0];
            for (size_t s = 0; s < r.samples.size(); ++s) {
                const SampleResult& sr = r.samples[s];
                std::vector<std::vector<int32_t>> c(P);
                for (int p = 0; p < P; ++p)
                    if (g.populations[p].kind != NeuronKind::Input) c[p].assign(size_t(pop_size[p]), 0);
                for (const auto& st : sr.raster)
                    for (const auto& sp : st) {
                        const CoreImage& ci = img->cores[size_t(sp.core)];
                        ++c[size_t(ci.neuron_pop[size_t(sp.neuron)])]
                           [size_t(ci.neuron_index[size_t(sp.neuron)])];
                        ++neuron_spikes[size_t(sp.core)][size_t(sp.neuron)];
                    }
                for (int p = 0; p < P; ++p)
                    for (size_t i = 0; i < c[p].size(); ++i)
                        layers[p].add(s < fcounts.size() ? fcounts[s][p][i] : 0, c[p][i]);
            }
            for (size_t b = 0; b < runs.size(); ++b)
                for (const auto& s : results[b].samples) {
                    SampleResult keep;
                    keep.predicted = s.predicted;
                    keep.label = s.label;
                    runs[b].total.samples.push_back(keep);
                }
        } else {
            for (size_t s = 0; s < fcounts.size(); ++s)
                for (int p = 0; p < P; ++p)
                    for (size_t i = 0; i < fcounts[s][p].size(); ++i)
                        layers[p].add(fcounts[s][p][i], 0);
        }
        t_cmp += seconds_since(tc);
        bar.update(first + count);
    }
    bar.finish();
    if (want_reference) stage("reference", t_ref);
    for (const auto& r : runs) stage(r.name, r.wall_s);
    stage("comparison", t_cmp);

    // ---------------------------------------------------------------- the answer
    json j;
    j["network"] = g.name;
    if (!o.network.empty()) j["network_path"] = o.network;
    j["chip"] = chip.name;
    j["chip_source"] = chip.source;
    j["data"] = set;
    j["samples"] = N;
    j["steps"] = T;
    j["seed"] = o.seed;
    j["encoder"] = to_string(g.encoder.kind);
    j["learning_on_chip"] = learning;
    j["backends_run"] = backend_list;
    const Energy* first_energy = nullptr;
    Energy e0;

    json backends = json::object();
    if (want_reference) {
        int64_t correct = 0, lab = 0;
        for (size_t s = 0; s < float_pred.size(); ++s)
            if (float_labels[s] >= 0) {
                ++lab;
                correct += float_pred[s] == float_labels[s];
            }
        json b;
        b["accuracy"] = lab ? json(double(correct) / double(lab)) : json(nullptr);
        b["energy_pj_per_inference"] = nullptr;
        b["energy_note"] = "the float reference runs on the host CPU; no chip energy";
        b["latency_steps"] = T;
        b["cycles_per_inference"] = nullptr;
        b["spikes_per_inference"] = double(float_spikes) / double(N);
        b["syn_ops_per_inference"] = double(float_synops) / double(N);
        if (learning) b["learn_updates_per_inference"] = double(float_learn) / double(N);
        b["wall_s"] = float_wall;
        b["inferences_per_s"] = float_wall > 0 ? double(N) / float_wall : 0.0;
        backends["reference"] = b;
    }
    for (size_t k = 0; k < runs.size(); ++k) {
        const ChipRun& run = runs[k];
        const Energy e = energy_of(run.total.counters, chip);
        if (k == 0) {
            e0 = e;
            first_energy = &e0;
        }
        json b;
        b["accuracy"] = opt_num(run.total.accuracy() >= 0 ? std::optional<double>(run.total.accuracy())
                                                          : std::nullopt);
        b["energy_pj_per_inference"] = e.total_pj / double(N);
        json by_kind = json::object();
        for (const auto& kv : e.by_kind_pj) by_kind[kv.first] = kv.second / double(N);
        b["energy_pj_by_kind"] = by_kind;
        b["latency_steps"] = T;
        json counters = json::object();
        for (const auto& kv : run.total.counters.by_name()) counters[kv.first] = kv.second;
        b["counters"] = counters;
        if (run.backend->counts_cycles && run.total.counters.cycles > 0) {
            const double cyc = double(run.total.counters.cycles) / double(N);
            b["cycles_per_inference"] = cyc;
            b["latency_us"] = cyc / chip.clock_mhz;
        } else {
            b["cycles_per_inference"] = nullptr;
            b["latency_us"] = nullptr;
            b["cycles_note"] = "the " + run.name + " model counts no cycles";
        }
        b["spikes_per_inference"] = double(run.total.counters.spikes) / double(N);
        b["state_wraps"] = run.total.state_wraps;
        b["wall_s"] = run.wall_s;
        b["inferences_per_s"] = run.wall_s > 0 ? double(N) / run.wall_s : 0.0;
        backends[run.name] = b;
    }
    j["backends"] = backends;

    // Agreement.
    json ag;
    ag["chip_backends_compared"] = runs.size();
    ag["chip_backends_identical"] = defects.empty();
    ag["defects"] = defects;
    if (want_reference && !runs.empty()) {
        std::vector<int> chip_pred;
        for (const auto& s : runs[0].total.samples) chip_pred.push_back(s.predicted);
        const double m = fraction_identical(float_pred, chip_pred);
        ag["float_vs_chip_prediction_match"] = m;
        ag["float_vs_chip_identical_predictions"] = int64_t(std::llround(m * double(N)));
        ag["chip_backend"] = runs[0].name;
    } else {
        ag["float_vs_chip_prediction_match"] = nullptr;
    }
    j["agreement"] = ag;

    // Diagnostics from the compiler and the emulator.
    std::map<std::string, double> qstats;
    std::vector<std::string> compile_warnings;
    if (cr)
        for (const auto& p : cr->passes) {
            if (p.pass == "quantize") qstats = p.stats;
            for (const auto& w : p.warnings) compile_warnings.push_back(w);
        }
    uint64_t wraps = runs.empty() ? 0 : runs[0].total.state_wraps;
    json diag;
    diag["compile_warnings"] = compile_warnings;
    diag["state_wraps"] = wraps;
    for (const char* k : {"max_rel_err", "weights_clamped", "scale_lowered", "bias_clamped",
                          "bias_max_err", "weak_projections"})
        if (qstats.count(k)) diag[k] = qstats[k];
    json run_warnings = json::array();
    if (wraps > 0)
        run_warnings.push_back(fmt::format(
            "the neuron current u overflowed its {}-bit state and wrapped round in {} neuron "
            "updates; fix: raise neuron.state_bits in the chip YAML (or use narrower weights)",
            chip.state_bits, wraps));
    diag["run_warnings"] = run_warnings;
    j["diagnostics"] = diag;

    // Trace of sample 0: raster and membranes, float and chip (for the report page), and
    // the per-layer state headroom that tells wraps and saturation apart.
    std::vector<LayerEvidence> ev(P);
    if (o.trace && N > 0) {
        auto tt = Clock::now();
        const SpikeInput one = slice(input, 0, 1);
        json trace;
        trace["sample"] = 0;
        trace["label"] = ds.labels.empty() ? -1 : ds.labels[0];
        trace["steps"] = T;
        std::vector<std::string> names;
        for (const auto& p : g.populations) names.push_back(p.name);
        trace["populations"] = names;
        trace["sizes"] = pop_size;
        const size_t raster_cap = 40000;
        SnnResult fr;
        if (want_reference) {
            SnnSimulator s1(g);
            SnnRunOptions so;
            so.steps = T;
            so.record_spikes = so.record_u = so.record_v = true;
            so.record_populations = float_record;
            fr = s1.run(one, so);
            std::vector<std::array<int64_t, 3>> all;
            if (!fr.records.empty())
                for (int p = 0; p < P; ++p)
                    if (size_t(p) < fr.records[0].spikes.size())
                        for (size_t t = 0; t < fr.records[0].spikes[p].size(); ++t)
                            for (int32_t i : fr.records[0].spikes[p][t])
                                all.push_back({int64_t(t), p, i});
            trace["float_raster"] = thin_raster(all, raster_cap);
            trace["float_raster_spikes"] = all.size();
        }
        RunResult cr1;
        if (!runs.empty()) {
            RunOptions ro;
            ro.steps = T;
            ro.record = RecordSpikes | RecordU | RecordV;
            cr1 = runs[0].backend->run(*img, one, ro, {});
            std::vector<std::array<int64_t, 3>> all;
            if (!cr1.samples.empty())
                for (size_t t = 0; t < cr1.samples[0].raster.size(); ++t)
                    for (const auto& sp : cr1.samples[0].raster[t]) {
                        const CoreImage& ci = img->cores[size_t(sp.core)];
                        all.push_back({int64_t(t), ci.neuron_pop[size_t(sp.neuron)],
                                       ci.neuron_index[size_t(sp.neuron)]});
                    }
            trace["chip_raster"] = thin_raster(all, raster_cap);
            trace["chip_raster_spikes"] = all.size();
            // Headroom of u and v per layer.
            const int64_t vmax = (int64_t(1) << (chip.state_bits - 1)) - 1;
            if (!cr1.samples.empty()) {
                const auto& U = cr1.samples[0].u_trace;
                const auto& V = cr1.samples[0].v_trace;
                for (size_t t = 0; t < U.size(); ++t)
                    for (size_t c = 0; c < U[t].size(); ++c)
                        for (size_t n = 0; n < U[t][c].size(); ++n) {
                            const int p = img->cores[c].neuron_pop[n];
                            ev[p].max_abs_u = std::max<int64_t>(ev[p].max_abs_u, std::llabs(U[t][c][n]));
                            if (t < V.size()) {
                                const int64_t av = std::llabs(V[t][c][n]);
                                ev[p].max_abs_v = std::max(ev[p].max_abs_v, av);
                                ev[p].v_saturated |= av >= vmax;
                            }
                        }
            }
        }
        trace["raster_cap"] = raster_cap;
        // Membrane traces of chosen neurons.
        std::vector<std::pair<int, int64_t>> chosen;
        for (const auto& spec : o.trace_neurons) {
            const auto colon = spec.rfind(':');
            const std::string pop = colon == std::string::npos ? spec : spec.substr(0, colon);
            const int p = g.population_index(pop);
            if (p < 0 || g.populations[p].kind == NeuronKind::Input)
                throw InputError("--trace names no chip population '" + pop + "'", "--trace",
                                 "give POPULATION:INDEX of a non-input population");
            int64_t idx = 0;
            try {
                idx = colon == std::string::npos ? 0 : std::stoll(spec.substr(colon + 1));
            } catch (const std::exception&) {
                idx = -1;
            }
            if (idx < 0 || idx >= pop_size[p])
                throw InputError("--trace index out of range in '" + spec + "'", "--trace",
                                 fmt::format("give an index in 0..{}", pop_size[p] - 1));
            chosen.emplace_back(p, idx);
        }
        if (chosen.empty()) {
            for (int p = 0; p < P; ++p) {
                if (g.populations[p].kind == NeuronKind::Input) continue;
                int64_t best = 0, best_n = -1;
                if (g.populations[p].output && g.populations[p].kind == NeuronKind::LI) {
                    const int label = ds.labels.empty() ? 0 : ds.labels[0];
                    best = std::clamp<int64_t>(label, 0, pop_size[p] - 1);
                } else if (!fr.records.empty() && size_t(p) < fr.records[0].spikes.size()) {
                    std::vector<int64_t> cnt(size_t(pop_size[p]), 0);
                    for (const auto& st : fr.records[0].spikes[p])
                        for (int32_t i : st) ++cnt[size_t(i)];
                    for (int64_t i = 0; i < pop_size[p]; ++i)
                        if (cnt[size_t(i)] > best_n) best_n = cnt[size_t(i)], best = i;
                }
                chosen.emplace_back(p, best);
            }
        }
        json mem = json::array();
        for (const auto& [p, idx] : chosen) {
            json m;
            m["population"] = g.populations[p].name;
            m["neuron"] = idx;
            const double s = population_scale(g, chip, p);
            m["scale"] = s;
            m["threshold"] = g.populations[p].kind == NeuronKind::LI ? json(nullptr)
                                                                    : json(g.populations[p].params.threshold);
            if (!fr.records.empty() && size_t(p) < fr.records[0].v.size() &&
                !fr.records[0].v[p].empty()) {
                std::vector<float> fv;
                for (int t = 0; t < T; ++t)
                    fv.push_back(fr.records[0].v[p][size_t(t) * size_t(pop_size[p]) + size_t(idx)]);
                m["float_v"] = fv;
            }
            if (!cr1.samples.empty() && img) {
                const PopulationInfo& pi = img->populations[size_t(p)];
                const int c = pi.core_of[size_t(idx)], n = pi.neuron_of[size_t(idx)];
                std::vector<int32_t> raw;
                std::vector<double> scaled;
                for (const auto& step : cr1.samples[0].v_trace) {
                    raw.push_back(step[size_t(c)][size_t(n)]);
                    scaled.push_back(s > 0 ? double(raw.back()) / (64.0 * s) : 0.0);
                }
                m["chip_v_raw"] = raw;
                m["chip_v"] = scaled;
                m["core"] = c;
                m["core_neuron"] = n;
            }
            mem.push_back(m);
        }
        trace["membranes"] = mem;
        trace["note"] =
            "chip_v is the chip's v divided by 64 x scale (the compiler's quantization scale of "
            "the population), in the float network's units";
        j["trace"] = trace;
        stage("trace", seconds_since(tt));
    }

    // Per-layer agreement and likely causes.
    json jl = json::array();
    std::vector<double> loss(P, 0.0);
    std::vector<bool> has_loss(P, false);
    const double u_range = std::ldexp(1.0, chip.state_bits - 1);
    int top_u_pop = -1;
    for (int p = 0; p < P; ++p)
        if (g.populations[p].kind != NeuronKind::Input &&
            (top_u_pop < 0 || ev[p].max_abs_u > ev[top_u_pop].max_abs_u))
            top_u_pop = p;
    for (int p = 0; p < P; ++p) {
        const Population& pop = g.populations[p];
        if (pop.kind == NeuronKind::Input) continue;
        const LayerAgreement& la = layers[p];
        json l;
        l["name"] = pop.name;
        l["kind"] = to_string(pop.kind);
        l["neurons"] = pop_size[p];
        l["output"] = pop.output;
        const double n = double(N);
        if (want_reference) {
            l["float_spikes_per_inference"] = double(la.float_spikes) / n;
            l["float_rate"] = la.float_rate(T);
        }
        if (!runs.empty()) {
            l["chip_spikes_per_inference"] = double(la.chip_spikes) / n;
            l["chip_rate"] = la.chip_rate(T);
        }
        if (want_reference && !runs.empty()) {
            const auto c = la.corr.value();
            l["spike_count_correlation"] = opt_num(c);
            l["rate_error"] = la.rate_error(T);
            l["identical_counts"] = la.identical_fraction();
            if (pop.kind == NeuronKind::LI) {
                // Never spikes: its agreement is the readout's.
                loss[p] = 1.0 - ag["float_vs_chip_prediction_match"].get<double>();
                l["agreement_by"] = "readout (LI membranes never spike)";
            } else if (c) {
                loss[p] = 1.0 - *c;
            } else {
                // Constant on one side: agreeing if both never (or always alike) fire.
                loss[p] = la.identical_fraction() == 1.0 ? 0.0 : 1.0;
            }
            has_loss[p] = true;
            l["loss"] = loss[p];
        }
        // Evidence: incoming projections' quantization, warnings, state headroom.
        json incoming = json::array();
        double worst_rms = 0, worst_max = 0;
        std::vector<std::string> drowned;
        for (const auto& pr : g.projections) {
            if (pr.post != pop.name) continue;
            json in;
            in["projection"] = pr.name;
            in["from"] = pr.pre;
            const std::string km = "max_rel_err_" + pr.name, kr = "rms_rel_err_" + pr.name;
            if (qstats.count(km)) in["max_rel_err"] = qstats[km];
            if (qstats.count(kr)) in["rms_rel_err"] = qstats[kr];
            worst_rms = std::max(worst_rms, qstats.count(kr) ? qstats[kr] : 0.0);
            worst_max = std::max(worst_max, qstats.count(km) ? qstats[km] : 0.0);
            bool weak = false;
            for (const auto& w : compile_warnings)
                if (w.find("projection '" + pr.name + "'") != std::string::npos) weak = true;
            in["drowned"] = weak;
            if (weak) drowned.push_back(pr.name);
            incoming.push_back(in);
        }
        l["incoming"] = incoming;
        if (o.trace && !runs.empty()) {
            l["max_abs_u_fraction"] = double(ev[p].max_abs_u) / u_range;
            l["max_abs_v_fraction"] = double(ev[p].max_abs_v) / u_range;
            l["v_saturated"] = ev[p].v_saturated;
        }
        json causes = json::array();
        for (const auto& d : drowned)
            causes.push_back({{"cause", "drowned projection"},
                              {"evidence", "compile warning: projection '" + d +
                                               "' keeps too few weight levels beside a stronger "
                                               "projection into '" + pop.name + "'"}});
        // The emulator counts wraps for the whole chip; they happen where |u| runs high,
        // so they are laid at the layers whose u came near its range in the traced sample
        // (a quarter of it, or the highest of all layers).
        if (wraps > 0 && (ev[p].max_abs_u * 4 >= int64_t(u_range) || p == top_u_pop))
            causes.push_back({{"cause", "state wraps"},
                              {"evidence", fmt::format("{} neuron updates wrapped u on the chip; "
                                                       "|u| reached {:.0f}% of its range here in "
                                                       "sample 0",
                                                       wraps, 100.0 * ev[p].max_abs_u / u_range)}});
        if (ev[p].v_saturated)
            causes.push_back({{"cause", "saturation"},
                              {"evidence", "v reached the saturation bound in sample 0"}});
        for (const auto& pr : g.projections)
            if (learning && pr.post == pop.name && pr.stdp) {
                const std::string k = "stdp_rel_err_" + pr.name;
                causes.push_back(
                    {{"cause", "on-chip learning"},
                     {"evidence", fmt::format("'{}' learns on the chip in fixed point (updates "
                                              "floored to whole weight steps, learning rates "
                                              "quantized with relative error {:.3g}), and in "
                                              "float with the float rule: the weights drift apart",
                                              pr.name, qstats.count(k) ? qstats[k] : 0.0)}});
            }
        if (worst_rms >= 0.01 || worst_max >= 0.05)
            causes.push_back({{"cause", "weight quantization error"},
                              {"evidence", fmt::format("incoming weights: RMS error {:.2f}%, "
                                                       "worst {:.2f}% of the projection's "
                                                       "largest weight",
                                                       100 * worst_rms, 100 * worst_max)}});
        l["causes"] = causes;
        jl.push_back(l);
    }
    // A layer with no cause of its own inherits its inputs' divergence; else rounding.
    std::map<std::string, size_t> at;
    for (size_t k = 0; k < jl.size(); ++k) at[jl[k]["name"].get<std::string>()] = k;
    for (auto& l : jl) {
        if (!l["causes"].empty() || !l.contains("loss")) continue;
        std::string worst_in;
        double worst = 0.0;
        for (const auto& pr : g.projections)
            if (pr.post == l["name"] && at.count(pr.pre) && pr.pre != pr.post) {
                const auto& up = jl[at[pr.pre]];
                if (up.contains("loss") && up["loss"].get<double>() > worst) {
                    worst = up["loss"].get<double>();
                    worst_in = pr.pre;
                }
            }
        if (l["loss"].get<double>() < 0.01)
            l["causes"].push_back({{"cause", "agrees"},
                                   {"evidence", "spike counts agree with float (loss below 0.01)"}});
        else if (!worst_in.empty() && worst >= 0.02)
            l["causes"].push_back({{"cause", "inherited"},
                                   {"evidence", fmt::format("its input layer '{}' already departs "
                                                            "from float (loss {:.3f})",
                                                            worst_in, worst)}});
        else
            l["causes"].push_back(
                {{"cause", "rounding"},
                 {"evidence", "thresholds, decays and weights rounded to the chip's fixed point; "
                              "no larger cause found"}});
    }
    j["layers"] = jl;
    json lossy = json::array();
    {
        std::vector<size_t> idx;
        for (size_t k = 0; k < jl.size(); ++k)
            if (jl[k].contains("loss")) idx.push_back(k);
        std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
            return jl[a]["loss"].get<double>() > jl[b]["loss"].get<double>();
        });
        for (size_t k = 0; k < idx.size() && k < 3 && jl[idx[k]]["loss"].get<double>() >= 0.01; ++k)
            lossy.push_back({{"name", jl[idx[k]]["name"]},
                             {"loss", jl[idx[k]]["loss"]},
                             {"cause", jl[idx[k]]["causes"][0]["cause"]},
                             {"evidence", jl[idx[k]]["causes"][0]["evidence"]}});
    }
    j["most_lossy_layers"] = lossy;

    // Energy and latency of the first chip backend.
    if (first_energy) {
        json e;
        e["backend"] = runs[0].name;
        e["table_source"] = chip.energy.source;
        e["pj_per_inference"] = first_energy->total_pj / double(N);
        json by = json::object();
        for (const auto& kv : first_energy->by_kind_pj) by[kv.first] = kv.second / double(N);
        e["by_kind_pj_per_inference"] = by;
        e["static_pj_per_inference"] =
            first_energy->by_kind_pj.count("static") ? first_energy->by_kind_pj.at("static") / double(N)
                                                     : 0.0;
        if (learning)
            e["learning_pj_per_inference"] =
                double(runs[0].total.counters.learn_updates) * chip.energy.learn_update_pj / double(N);
        j["energy"] = e;
    }
    json lat;
    lat["steps"] = T;
    lat["clock_mhz"] = chip.clock_mhz;
    lat["cycles_per_inference"] = nullptr;
    lat["us_per_inference"] = nullptr;
    for (const auto& r : runs)
        if (r.backend->counts_cycles && r.total.counters.cycles > 0) {
            lat["cycles_per_inference"] = double(r.total.counters.cycles) / double(N);
            lat["us_per_inference"] = double(r.total.counters.cycles) / double(N) / chip.clock_mhz;
            lat["cycles_from"] = r.name;
            break;
        }
    if (lat["cycles_per_inference"].is_null())
        lat["note"] = "no cycle-level backend ran (systemc, rtl): latency in steps only";
    j["latency"] = lat;

    // NeuroBench-style metrics.
    const SnnStaticMetrics sm = snn_static_metrics(g);
    json nb;
    nb["footprint_bytes"] = {{"float", sm.parameter_bytes + sm.state_bytes}};
    if (img) {
        const json rep = json::parse(img->report_json);
        nb["footprint_bytes"]["chip"] = rep["memory_bytes"]["total"];
        nb["chip_memory_bytes"] = rep["memory_bytes"];
    }
    nb["connection_sparsity"] = sm.connection_sparsity();
    nb["weights"] = sm.weights;
    nb["connections"] = sm.connections;
    nb["neurons"] = sm.neurons;
    const double neuron_steps = double(sm.neurons) * T;
    json as = json::object();
    if (want_reference) as["float"] = 1.0 - double(float_spikes) / double(N) / neuron_steps;
    if (!runs.empty())
        as["chip"] = 1.0 - double(runs[0].total.counters.spikes) / double(N) / neuron_steps;
    nb["activation_sparsity"] = as;
    json so;
    so["dense_per_inference"] = double(sm.connections) * T;
    if (!runs.empty()) so["effective_acs_per_inference"] = double(runs[0].total.counters.syn_ops) / double(N);
    if (want_reference) so["float_effective_acs_per_inference"] = double(float_synops) / double(N);
    nb["synaptic_operations"] = so;
    if (!runs.empty()) {
        json ce = json::object();
        for (const auto& kv : runs[0].total.counters.by_name())
            ce[kv.first] = double(kv.second) / double(N);
        nb["chip_events_per_inference"] = ce;
    }
    nb["definitions"] = "NeuroBench (Yik et al.): docs/compare.md";
    j["neurobench"] = nb;

    // The ANN counterpart.
    if (table) {
        auto ta = Clock::now();
        const AnnModel model = load_ann(ann_path);
        const AnnCost c = ann_cost(model, ds, N, *table);
        json a = to_json(c, *table);
        a["path"] = ann_path;
        a["link"] = ann_link;
        if (first_energy && first_energy->total_pj > 0)
            a["energy_ratio_ann_over_snn"] = c.energy_pj() / (first_energy->total_pj / double(N));
        if (!runs.empty() && runs[0].total.accuracy() >= 0 && c.accuracy >= 0)
            a["accuracy_difference_snn_minus_ann"] = runs[0].total.accuracy() - c.accuracy;
        if (want_reference) a["float_snn_vs_ann_prediction_match"] = fraction_identical(float_pred, c.predicted);
        j["ann"] = a;
        stage("ann", seconds_since(ta));
    }

    // The mesh: cores, their populations, and the packets over every link (XY routing;
    // the host sits west of tile (0, 0), docs/microarchitecture.md).
    if (img) {
        json mesh;
        mesh["width"] = chip.mesh_w;
        mesh["height"] = chip.mesh_h;
        json cores = json::array();
        for (const auto& c : img->cores) {
            std::map<std::string, int> pops;
            for (int n = 0; n < c.num_neurons; ++n) ++pops[g.populations[size_t(c.neuron_pop[n])].name];
            uint64_t sp = 0;
            for (auto v : neuron_spikes[&c - img->cores.data()]) sp += v;
            cores.push_back({{"x", c.x}, {"y", c.y}, {"neurons", c.num_neurons},
                             {"axons", c.num_axons}, {"populations", pops},
                             {"spikes_per_inference", double(sp) / double(N)}});
        }
        mesh["cores"] = cores;
        std::map<std::tuple<int, int, int, int>, uint64_t> link;
        auto walk = [&](int x0, int y0, int x1, int y1, uint64_t k) {
            int x = x0, y = y0;
            while (x != x1) {
                const int nx = x + (x1 > x ? 1 : -1);
                link[{x, y, nx, y}] += k;
                x = nx;
            }
            while (y != y1) {
                const int ny = y + (y1 > y ? 1 : -1);
                link[{x, y, x, ny}] += k;
                y = ny;
            }
        };
        uint64_t host_out = 0;
        for (size_t ci = 0; ci < img->cores.size(); ++ci) {
            const CoreImage& c = img->cores[ci];
            for (int n = 0; n < c.num_neurons; ++n) {
                const uint64_t k = neuron_spikes[ci][size_t(n)];
                if (!k) continue;
                for (int32_t r = c.route_ptr[n]; r < c.route_ptr[n + 1]; ++r) {
                    const Destination& d = c.route_dst[size_t(r)];
                    if (d.is_host()) {
                        walk(c.x, c.y, 0, 0, k);
                        link[{0, 0, -1, 0}] += k;
                        host_out += k;
                    } else {
                        walk(c.x, c.y, d.x, d.y, k);
                    }
                }
            }
        }
        uint64_t host_in = 0;
        for (int i = 0; i < img->num_inputs && i < input.num_inputs; ++i) {
            const uint64_t k = input_spikes[size_t(i)];
            if (!k) continue;
            for (int32_t r = img->input_ptr[i]; r < img->input_ptr[i + 1]; ++r) {
                const Destination& d = img->input_dst[size_t(r)];
                link[{-1, 0, 0, 0}] += k;
                walk(0, 0, d.x, d.y, k);
                host_in += k;
            }
        }
        json links = json::array();
        uint64_t ew = 0, ns = 0;
        for (const auto& [key, k] : link) {
            const auto [x0, y0, x1, y1] = key;
            links.push_back({{"from", {x0, y0}}, {"to", {x1, y1}}, {"packets", k},
                             {"packets_per_inference", double(k) / double(N)}});
            (y0 == y1 ? ew : ns) += k;
        }
        mesh["links"] = links;
        mesh["hops_ew"] = ew;
        mesh["hops_ns"] = ns;
        mesh["host_input_packets"] = host_in;
        mesh["host_output_packets"] = host_out;
        mesh["placement_seed"] = o.seed;
        mesh["mean_hops"] = json::parse(img->report_json)["traffic"]["mean_hops"];
        j["mesh"] = mesh;
    }

    // Time per stage, and its share of the whole.
    const double total = seconds_since(t_all);
    for (auto& s : stages) s["share"] = total > 0 ? s["wall_s"].get<double>() / total : 0.0;
    j["timing"] = {{"stages", stages}, {"total_s", total}};
    j["threads"] = threads_used;
    return j;
}

}  // namespace sf
