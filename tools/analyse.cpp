// Network-run analysis for the CLI (see analyse.hpp).
#include "analyse.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "commands.hpp"
#include "sf/analysis/backends.hpp"
#include "sf/compiler/compile.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/error.hpp"
#include "sf/reference/encoders.hpp"
#include "sf/reference/snn.hpp"

namespace sf::cli {
namespace {

struct AblationSpec {
    std::string population;
    double fraction = 0.0;
};

AblationSpec parse_ablation(const std::string& spec, const std::string& option) {
    const auto colon = spec.rfind(':');
    if (colon == std::string::npos)
        throw InputError(option + " '" + spec + "' is not POPULATION:FRACTION", option,
                         "e.g. " + option + " hidden:0.5");
    AblationSpec a{spec.substr(0, colon), 0.0};
    try {
        size_t used = 0;
        a.fraction = std::stod(spec.substr(colon + 1), &used);
        if (used != spec.size() - colon - 1) throw std::invalid_argument("tail");
    } catch (const std::exception&) {
        throw InputError(option + " '" + spec + "': the fraction is not a number", option,
                         "e.g. " + option + " hidden:0.5");
    }
    return a;
}

// Populations whose spikes are analysed: the chip's spiking neurons (not the input
// population, whose spikes are the encoder's, nor LI readouts, which never spike).
bool spiking(NeuronKind k) {
    return k == NeuronKind::LIF || k == NeuronKind::IF;
}

std::vector<int> labels_of(const RunResult& r) {
    std::vector<int> l;
    for (const auto& s : r.samples) l.push_back(s.label);
    return l;
}

// The analysis object of one run: outputs (analyse_run) and populations.
nlohmann::json analyse(const AnalysedRun& r, double dt_ms) {
    nlohmann::json j = to_json(analyse_run(r.run, r.membrane.empty() ? nullptr : &r.membrane));
    j["steps"] = r.run.steps;
    nlohmann::json pops = nlohmann::json::array();
    const std::vector<int> labels = labels_of(r.run);
    for (const auto& p : r.populations)
        pops.push_back(to_json(analyse_population(p, labels, r.run.steps, dt_ms)));
    j["populations"] = std::move(pops);
    return j;
}

nlohmann::json read_json_file(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw InputError("cannot read the recorded run '" + path + "'", path,
                         "give the file written by spikeforge run --record spikes --out FILE");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("the recorded run is not JSON: ") + e.what(), path,
                         "give the file written by spikeforge run --record spikes --out FILE");
    }
}

}  // namespace

NetworkRunner float_runner(const Dataset& ds, int threads) {
    return [&ds, threads](const Graph& g, bool record) {
        AnalysedRun out;
        SnnSimulator sim(g);
        SnnRunOptions o;
        o.threads = threads;
        o.record_spikes = o.record_u = record;
        const int64_t chunk = 256;
        if (record)
            for (const auto& p : g.populations)
                if (spiking(p.kind)) out.populations.push_back({p.name, p.size(), {}, {}});
        for (int64_t first = 0; first < ds.size(); first += chunk) {
            const int64_t n = std::min(chunk, ds.size() - first);
            SnnResult r = simulate_dataset(sim, ds, first, n, o);
            if (first == 0) {
                out.run = r.run;
                out.run.samples.clear();
            }
            out.run.counters += r.run.counters;
            out.run.threads = std::max(out.run.threads, r.run.threads);
            for (auto& s : r.run.samples) out.run.samples.push_back(std::move(s));
            if (sim.membrane_readout())
                for (const auto& v : r.readout) out.membrane.emplace_back(v.begin(), v.end());
            if (!record) continue;
            size_t q = 0;
            for (size_t k = 0; k < g.populations.size(); ++k) {
                if (!spiking(g.populations[k].kind)) continue;
                PopulationSpikes& ps = out.populations[q++];
                const size_t size = size_t(ps.size);
                for (const auto& rec : r.records) {
                    std::vector<std::pair<int32_t, int32_t>> sp;
                    const auto& steps = rec.spikes[k];
                    for (size_t t = 0; t < steps.size(); ++t)
                        for (int32_t i : steps[t]) sp.emplace_back(int32_t(t), i);
                    ps.samples.push_back(std::move(sp));
                    std::vector<double> mean(size, 0.0);
                    const auto& u = rec.u[k];
                    const size_t T = size ? u.size() / size : 0;
                    for (size_t t = 0; t < T; ++t)
                        for (size_t i = 0; i < size; ++i) mean[i] += u[t * size + i] / double(T);
                    ps.mean_u.push_back(std::move(mean));
                }
            }
        }
        return out;
    };
}

NetworkRunner chip_runner(const Dataset& ds, const std::string& backend, const std::string& chip,
                          int threads) {
    const ChipBackend* b = &chip_backend(backend);
    const ChipConfig cfg = load_chip(chip);
    return [&ds, b, cfg, threads](const Graph& g, bool record) {
        const CompileResult c = compile(g, cfg);
        RunOptions o;
        o.threads = threads;
        if (record) o.record = RecordSpikes | RecordU;
        AnalysedRun out;
        // In chunks of samples, so the recorded states of one chunk at a time are held.
        const int64_t chunk = 256;
        for (int64_t first = 0; first < ds.size(); first += chunk) {
            const int64_t n = std::min(chunk, ds.size() - first);
            const SpikeInput in = encode(ds, g.encoder, g.timesteps, first, n);
            RunResult r = b->run(c.image, in, o, ProgressFn{});
            for (size_t i = 0; i < r.samples.size(); ++i)
                r.samples[i].label = ds.labels[size_t(first) + i];
            if (record) {
                auto pops = recorded_populations(recorded_json(r, o.record, c.image), r.steps,
                                                 "the " + b->name + " run");
                if (first == 0)
                    out.populations = std::move(pops);
                else
                    for (size_t k = 0; k < pops.size(); ++k) {
                        auto& to = out.populations[k];
                        for (auto& s : pops[k].samples) to.samples.push_back(std::move(s));
                        for (auto& m : pops[k].mean_u) to.mean_u.push_back(std::move(m));
                    }
            }
            if (first == 0) {
                out.run = std::move(r);
                continue;
            }
            out.run.counters += r.counters;
            out.run.threads = std::max(out.run.threads, r.threads);
            for (auto& s : r.samples) out.run.samples.push_back(std::move(s));
        }
        return out;
    };
}

std::vector<PopulationSpikes> recorded_populations(const nlohmann::json& recorded, int steps,
                                                   const std::string& where) {
    std::vector<PopulationSpikes> out;
    const std::string fix = "record with spikeforge run IMAGE --record spikes,u --out FILE";
    if (!recorded.is_object() || !recorded.contains("populations") || !recorded.contains("samples"))
        throw InputError(where + " holds no recorded populations and samples", where, fix);
    try {
        for (const auto& p : recorded.at("populations")) {
            // Input populations live on the host; LI readouts never spike.
            if (!p.value("on_chip", false) || p.value("kind", std::string()) == "li") continue;
            PopulationSpikes ps;
            ps.name = p.at("name").get<std::string>();
            ps.size = 1;
            for (const auto& d : p.at("shape")) ps.size *= d.get<int64_t>();
            bool has_u = true, has_spikes = true;
            for (const auto& s : recorded.at("samples")) {
                const auto& bp = s.at("by_population").at(ps.name);
                has_spikes = has_spikes && bp.contains("spikes");
                has_u = has_u && bp.contains("u");
            }
            if (!has_spikes)
                throw InputError(where + " has no spikes of population '" + ps.name + "'", where,
                                 fix);
            for (const auto& s : recorded.at("samples")) {
                const auto& bp = s.at("by_population").at(ps.name);
                std::vector<std::pair<int32_t, int32_t>> sp;
                for (const auto& e : bp.at("spikes"))
                    sp.emplace_back(e.at(0).get<int32_t>(), e.at(1).get<int32_t>());
                ps.samples.push_back(std::move(sp));
                if (!has_u) continue;
                std::vector<double> mean(size_t(ps.size), 0.0);
                const auto& u = bp.at("u");
                for (const auto& row : u) {
                    if (int64_t(row.size()) != ps.size)
                        throw InputError(where + ": a u row of '" + ps.name + "' has " +
                                             std::to_string(row.size()) + " values for " +
                                             std::to_string(ps.size) + " neurons",
                                         where, fix);
                    for (size_t i = 0; i < row.size(); ++i)
                        mean[i] += row[i].get<double>() / double(u.size());
                }
                ps.mean_u.push_back(std::move(mean));
            }
            out.push_back(std::move(ps));
        }
    } catch (const nlohmann::json::exception& e) {
        throw InputError(where +
                             ": the recorded data are not laid out as spikeforge run writes "
                             "them (" +
                             std::string(e.what()) + ")",
                         where, fix);
    }
    (void)steps;
    return out;
}

nlohmann::json analyse_network(const Graph& g, const NetworkRunner& run, const std::string& ablate,
                               const std::string& option, uint64_t seed) {
    AblationSpec cut;
    if (!ablate.empty()) cut = parse_ablation(ablate, option);
    const AnalysedRun base = run(g, true);
    nlohmann::json j = analyse(base, g.dt_ms);
    j["network"] = g.name;
    j["dt_ms"] = g.dt_ms;
    j["threads"] = std::max(1, base.run.threads);
    if (!ablate.empty()) {
        std::vector<int64_t> off;
        const Graph ablated = ablate_graph(g, cut.population, cut.fraction, seed, &off);
        const RunResult cut_run = run(ablated, false).run;
        const double acc = cut_run.accuracy();
        j["threads"] = std::max(j["threads"].get<int>(), cut_run.threads);
        j["ablation"] = {{"population", cut.population},
                         {"fraction", cut.fraction},
                         {"seed", seed},
                         {"silenced", off.size()},
                         {"accuracy", acc},
                         {"accuracy_drop", base.run.accuracy() - acc}};
    }
    return j;
}

nlohmann::json analyse_recorded_run(const std::string& path) {
    const nlohmann::json f = read_json_file(path);
    const std::string fix =
        "record with spikeforge run IMAGE --data SET --record spikes,u --out FILE";
    AnalysedRun r;
    try {
        if (!f.contains("recorded")) throw InputError(path + " holds no recorded data", path, fix);
        if (!f.contains("labels"))
            throw InputError(path + " holds no labels, so nothing can be said about classes", path,
                             "run on a labelled data set: " + fix);
        r.run.steps = f.at("steps").get<int>();
        r.run.backend = f.value("backend", std::string("chip"));
        const auto& counts = f.at("output_counts");
        const auto& predicted = f.at("predicted");
        const auto& labels = f.at("labels");
        if (counts.size() != labels.size() || predicted.size() != labels.size())
            throw InputError(path + ": output_counts, predicted and labels differ in length", path,
                             fix);
        for (size_t s = 0; s < labels.size(); ++s) {
            SampleResult sr;
            sr.output_counts = counts[s].get<std::vector<int32_t>>();
            sr.predicted = predicted[s].get<int>();
            sr.label = labels[s].get<int>();
            if (f.contains("output_v_sum"))
                sr.output_v_sum = f["output_v_sum"][s].get<std::vector<int64_t>>();
            r.run.samples.push_back(std::move(sr));
        }
        r.run.num_outputs = r.run.samples.empty() ? 0 : int(r.run.samples[0].output_counts.size());
    } catch (const nlohmann::json::exception& e) {
        throw InputError(
            path + " is not a run written by spikeforge run --out (" + std::string(e.what()) + ")",
            path, fix);
    }
    r.populations = recorded_populations(f.at("recorded"), r.run.steps, path);
    nlohmann::json j = analyse(r, 0.0);
    j["network"] = f.value("network", std::string());
    j["backend"] = r.run.backend;
    j["recorded"] = path;
    return j;
}

void print_analysis(const nlohmann::json& j) {
    std::cout << fmt::format(
        "{} ({} samples, {}): accuracy {:.2f}%, I(class; prediction) {:.3f} bits of {:.3f}\n",
        j.value("network", std::string()), j["samples"].get<int64_t>(),
        j.value("backend", std::string("reference")), 100.0 * j["accuracy"].get<double>(),
        j["mi_prediction_bits"].get<double>(), std::log2(double(j["num_classes"].get<int>())));
    std::cout << "  output  preferred class  I(class; count) [bits]  plug-in\n";
    for (size_t n = 0; n < j["outputs"].size(); ++n) {
        const auto& o = j["outputs"][n];
        if (o["mi_bits"].is_null())  // a membrane readout: no spike count to measure
            std::cout << fmt::format("  {:6}  {:15}  {:>22}  {}\n", n,
                                     o["preferred_class"].get<int>(), "- (membrane)", "-");
        else
            std::cout << fmt::format("  {:6}  {:15}  {:22.3f}  {:.3f}\n", n,
                                     o["preferred_class"].get<int>(), o["mi_bits"].get<double>(),
                                     o["mi_plugin_bits"].get<double>());
    }
    if (j.contains("populations") && !j["populations"].empty()) {
        std::cout << "  population   rate/step  silent  ISI CV  I(class; count)  mean neuron I\n";
        for (const auto& p : j["populations"])
            std::cout << fmt::format(
                "  {:11}  {:9.4f}  {:5.1f}%  {:>6}  {:15.3f}  {:13.3f}\n",
                p["name"].get<std::string>(), p["rate_per_step"].get<double>(),
                100.0 * p["silent_fraction"].get<double>(),
                p["isi_cv_mean"].is_null() ? std::string("-")
                                           : fmt::format("{:.3f}", p["isi_cv_mean"].get<double>()),
                p["mi_bits"].get<double>(), p["neuron_mi_bits_mean"].get<double>());
    }
    if (j.contains("ablation"))
        std::cout << fmt::format(
            "  ablation: {} of '{}' silenced: accuracy {:.2f}% (drop {:.2f} "
            "points)\n",
            j["ablation"]["silenced"].get<int64_t>(),
            j["ablation"]["population"].get<std::string>(),
            100.0 * j["ablation"]["accuracy"].get<double>(),
            100.0 * j["ablation"]["accuracy_drop"].get<double>());
}

}  // namespace sf::cli
