// Run analysis and ablation (see run_analysis.hpp).
#include "sf/reference/run_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "sf/core/error.hpp"
#include "sf/reference/spike_stats.hpp"

namespace sf {

RunAnalysis analyse_run(const RunResult& run, const std::vector<std::vector<double>>* membrane) {
    RunAnalysis a;
    a.samples = int64_t(run.samples.size());
    if (run.samples.empty()) throw InputError("analysis: the run holds no samples");
    if (run.steps <= 0) throw InputError("analysis: the run has no timesteps");
    int max_label = -1;
    for (const auto& s : run.samples) {
        if (s.label < 0)
            throw InputError("analysis: a sample has no label", {},
                             "analyse runs of a labelled data set");
        if (int64_t(s.output_counts.size()) != run.num_outputs)
            throw InputError("analysis: a sample holds " + std::to_string(s.output_counts.size()) +
                             " output counts for " + std::to_string(run.num_outputs) +
                             " outputs");
        max_label = std::max(max_label, s.label);
    }
    a.num_classes = max_label + 1;
    // The membrane values of a membrane readout, per sample and output.
    std::vector<std::vector<double>> v;
    if (membrane) {
        if (membrane->size() != run.samples.size())
            throw InputError("analysis: " + std::to_string(membrane->size()) +
                             " membrane readouts for " + std::to_string(run.samples.size()) +
                             " samples");
        v = *membrane;
    } else if (!run.samples[0].output_v_sum.empty()) {
        for (const auto& s : run.samples) v.emplace_back(s.output_v_sum.begin(), s.output_v_sum.end());
    }
    for (const auto& row : v)
        if (int64_t(row.size()) != run.num_outputs)
            throw InputError("analysis: a membrane readout holds " + std::to_string(row.size()) +
                             " values for " + std::to_string(run.num_outputs) + " outputs");
    a.membrane = !v.empty();
    a.accuracy = run.accuracy();
    std::vector<int> labels, predicted, total;
    for (const auto& s : run.samples) {
        labels.push_back(s.label);
        predicted.push_back(s.predicted);
        total.push_back(std::accumulate(s.output_counts.begin(), s.output_counts.end(), 0));
    }
    a.count_entropy_bits = entropy_bits(total, true);
    a.mi_prediction_bits = mutual_information_bits(labels, predicted, true);
    for (int n = 0; n < run.num_outputs; ++n) {
        std::vector<int> counts;
        std::vector<double> dcounts;
        for (const auto& s : run.samples) {
            counts.push_back(s.output_counts[size_t(n)]);
            dcounts.push_back(double(s.output_counts[size_t(n)]));
        }
        NeuronInfo info;
        info.rate_per_step = std::accumulate(dcounts.begin(), dcounts.end(), 0.0) /
                             (double(a.samples) * run.steps);
        if (a.membrane)
            for (size_t s = 0; s < v.size(); ++s) dcounts[s] = v[s][size_t(n)];
        const TuningCurve tc = tuning_curve(labels, dcounts, a.num_classes);
        info.tuning = tc.mean;
        double best = -1;
        for (int c = 0; c < a.num_classes; ++c)
            if (tc.samples[size_t(c)] > 0 && tc.mean[size_t(c)] > best) {
                best = tc.mean[size_t(c)];
                info.preferred_class = c;
            }
        info.mi_bits = a.membrane ? std::nan("") : mutual_information_bits(labels, counts, true);
        info.mi_plugin_bits =
            a.membrane ? std::nan("") : mutual_information_bits(labels, counts, false);
        a.outputs.push_back(info);
    }
    return a;
}

nlohmann::json to_json(const RunAnalysis& a) {
    nlohmann::json j;
    j["accuracy"] = a.accuracy;
    j["samples"] = a.samples;
    j["num_classes"] = a.num_classes;
    j["count_entropy_bits"] = a.count_entropy_bits;
    j["mi_prediction_bits"] = a.mi_prediction_bits;
    j["readout"] = a.membrane ? "membrane" : "spike_count";
    auto num = [](double x) { return std::isnan(x) ? nlohmann::json() : nlohmann::json(x); };
    j["outputs"] = nlohmann::json::array();
    for (const auto& o : a.outputs) {
        nlohmann::json t = nlohmann::json::array();
        for (double v : o.tuning) t.push_back(std::isnan(v) ? nlohmann::json() : nlohmann::json(v));
        j["outputs"].push_back({{"rate_per_step", o.rate_per_step},
                                {"preferred_class", o.preferred_class},
                                {"mi_bits", num(o.mi_bits)},
                                {"mi_plugin_bits", num(o.mi_plugin_bits)},
                                {"tuning", t}});
    }
    return j;
}

PopulationAnalysis analyse_population(const PopulationSpikes& p, const std::vector<int>& labels,
                                      int steps, double dt_ms, int fi_bins) {
    PopulationAnalysis a;
    a.name = p.name;
    a.size = p.size;
    a.samples = int64_t(p.samples.size());
    if (p.size <= 0) throw InputError("analysis: population '" + p.name + "' has no neurons");
    if (steps <= 0) throw InputError("analysis: the run has no timesteps");
    if (p.samples.empty()) throw InputError("analysis: population '" + p.name + "' has no samples");
    if (labels.size() != p.samples.size())
        throw InputError("analysis: " + std::to_string(labels.size()) + " labels for " +
                         std::to_string(p.samples.size()) + " samples of '" + p.name + "'");
    if (!p.mean_u.empty() && p.mean_u.size() != p.samples.size())
        throw InputError("analysis: mean_u of '" + p.name + "' does not cover every sample");
    int num_classes = 0;
    for (int l : labels) {
        if (l < 0)
            throw InputError("analysis: a sample has no label", {},
                             "analyse runs of a labelled data set");
        num_classes = std::max(num_classes, l + 1);
    }
    const size_t n = size_t(p.size), S = p.samples.size();
    // Counts per (sample, neuron) and the spike trains' intervals.
    std::vector<std::vector<int>> counts(S, std::vector<int>(n, 0));
    std::vector<int64_t> neuron_total(n, 0);
    std::vector<int> total(S, 0);
    double cv_sum = 0.0, isi_sum = 0.0;
    for (size_t s = 0; s < S; ++s) {
        std::vector<std::vector<double>> times(n);
        for (const auto& [t, i] : p.samples[s]) {
            if (i < 0 || size_t(i) >= n || t < 0 || t >= steps)
                throw InputError("analysis: spike (step " + std::to_string(t) + ", neuron " +
                                 std::to_string(i) + ") of '" + p.name + "' lies outside " +
                                 std::to_string(steps) + " steps x " + std::to_string(n) +
                                 " neurons");
            ++counts[s][size_t(i)];
            times[size_t(i)].push_back(double(t));
        }
        for (size_t i = 0; i < n; ++i) {
            neuron_total[i] += counts[s][i];
            total[s] += counts[s][i];
            if (times[i].size() < 3) continue;
            std::sort(times[i].begin(), times[i].end());
            const auto isi = inter_spike_intervals(times[i]);
            isi_sum += std::accumulate(isi.begin(), isi.end(), 0.0) / double(isi.size());
            cv_sum += isi_cv(times[i]);
            ++a.isi_trains;
        }
        a.spikes += total[s];
    }
    const double cells = double(S) * double(n) * double(steps);
    a.rate_per_step = double(a.spikes) / cells;
    if (dt_ms > 0) a.rate_hz = a.rate_per_step * 1000.0 / dt_ms;
    int64_t silent = 0, busiest = 0;
    for (int64_t t : neuron_total) {
        silent += t == 0;
        busiest = std::max(busiest, t);
    }
    a.silent_fraction = double(silent) / double(n);
    a.max_neuron_rate_per_step = double(busiest) / (double(S) * steps);
    if (a.isi_trains > 0) {
        a.isi_mean_steps = isi_sum / double(a.isi_trains);
        a.isi_cv_mean = cv_sum / double(a.isi_trains);
    }
    a.count_entropy_bits = entropy_bits(total, true);
    a.mi_bits = mutual_information_bits(labels, total, true);
    a.mi_plugin_bits = mutual_information_bits(labels, total, false);
    a.tuning = tuning_curve(labels, std::vector<double>(total.begin(), total.end()), num_classes).mean;
    a.preferred_class_neurons.assign(size_t(num_classes), 0);
    std::vector<int> one(S);
    for (size_t i = 0; i < n; ++i) {
        if (neuron_total[i] == 0) continue;
        for (size_t s = 0; s < S; ++s) one[s] = counts[s][i];
        const double mi = mutual_information_bits(labels, one, true);
        a.neuron_mi_bits_mean += mi / double(n);
        a.neuron_mi_bits_max = std::max(a.neuron_mi_bits_max, mi);
        const TuningCurve tc =
            tuning_curve(labels, std::vector<double>(one.begin(), one.end()), num_classes);
        int best = -1;
        for (int c = 0; c < num_classes; ++c)
            if (tc.samples[size_t(c)] > 0 && (best < 0 || tc.mean[size_t(c)] > tc.mean[size_t(best)]))
                best = c;
        if (best >= 0) ++a.preferred_class_neurons[size_t(best)];
    }
    if (!p.mean_u.empty() && fi_bins > 0) {
        double lo = 0.0, hi = 0.0;
        bool first = true;
        for (const auto& row : p.mean_u) {
            if (row.size() != n)
                throw InputError("analysis: mean_u of '" + p.name + "' has " +
                                 std::to_string(row.size()) + " neurons, not " + std::to_string(n));
            for (double u : row) {
                lo = first ? u : std::min(lo, u);
                hi = first ? u : std::max(hi, u);
                first = false;
            }
        }
        const double width = hi > lo ? (hi - lo) / fi_bins : 1.0;
        std::vector<double> rate_sum(size_t(fi_bins), 0.0);
        std::vector<int64_t> pairs(size_t(fi_bins), 0);
        for (size_t s = 0; s < S; ++s)
            for (size_t i = 0; i < n; ++i) {
                const int b = std::min(fi_bins - 1, int((p.mean_u[s][i] - lo) / width));
                rate_sum[size_t(b)] += double(counts[s][i]) / steps;
                ++pairs[size_t(b)];
            }
        for (int b = 0; b < fi_bins; ++b) {
            if (pairs[size_t(b)] == 0) continue;
            a.fi_input.push_back(lo + (b + 0.5) * width);
            a.fi_rate_per_step.push_back(rate_sum[size_t(b)] / double(pairs[size_t(b)]));
            a.fi_pairs.push_back(pairs[size_t(b)]);
        }
    }
    return a;
}

nlohmann::json to_json(const PopulationAnalysis& a) {
    nlohmann::json j{{"name", a.name},
                     {"size", a.size},
                     {"samples", a.samples},
                     {"spikes", a.spikes},
                     {"rate_per_step", a.rate_per_step},
                     {"silent_fraction", a.silent_fraction},
                     {"max_neuron_rate_per_step", a.max_neuron_rate_per_step},
                     {"isi_trains", a.isi_trains},
                     {"isi_mean_steps", a.isi_mean_steps},
                     {"isi_cv_mean", a.isi_cv_mean},
                     {"count_entropy_bits", a.count_entropy_bits},
                     {"mi_bits", a.mi_bits},
                     {"mi_plugin_bits", a.mi_plugin_bits},
                     {"neuron_mi_bits_mean", a.neuron_mi_bits_mean},
                     {"neuron_mi_bits_max", a.neuron_mi_bits_max},
                     {"preferred_class_neurons", a.preferred_class_neurons}};
    nlohmann::json t = nlohmann::json::array();
    for (double v : a.tuning) t.push_back(std::isnan(v) ? nlohmann::json() : nlohmann::json(v));
    j["tuning"] = t;
    if (a.rate_hz >= 0) j["rate_hz"] = a.rate_hz;
    if (a.isi_trains == 0) {  // no train long enough: say so rather than print zeros
        j["isi_mean_steps"] = nullptr;
        j["isi_cv_mean"] = nullptr;
    }
    if (!a.fi_input.empty())
        j["fi_curve"] = {{"mean_u", a.fi_input},
                         {"rate_per_step", a.fi_rate_per_step},
                         {"pairs", a.fi_pairs}};
    return j;
}

Graph ablate_graph(const Graph& g, const std::string& population, double fraction,
                   uint64_t seed, std::vector<int64_t>* silenced) {
    const Population* pop = g.find_population(population);
    if (!pop)
        throw InputError("ablation: no population '" + population + "'", g.file,
                         "name a population of the network");
    if (!(fraction > 0.0 && fraction <= 1.0))
        throw InputError("ablation: fraction = " + std::to_string(fraction) +
                             " must lie in (0, 1]",
                         {}, "e.g. 0.5 silences half the neurons, 1 the whole population");
    if (pop->output)
        throw InputError("ablation: '" + population + "' is an output population", {},
                         "silence a hidden or input population: ablation cuts outgoing "
                         "synapses");
    const int64_t n = pop->size();
    std::vector<int64_t> idx(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), 0);
    std::mt19937_64 rng(seed);
    std::shuffle(idx.begin(), idx.end(), rng);
    const int64_t k = std::max<int64_t>(1, int64_t(std::llround(fraction * double(n))));
    idx.resize(size_t(k));
    std::sort(idx.begin(), idx.end());
    std::vector<char> off(size_t(n), 0);
    for (int64_t i : idx) off[size_t(i)] = 1;
    Graph out = g;
    bool any = false;
    for (auto& pr : out.projections) {
        if (pr.pre != population) continue;
        any = true;
        std::vector<float> w = pr.weights.to<float>(pr.name);
        switch (pr.kind) {
            case ProjectionKind::Dense: {  // [post, pre]
                const int64_t post = pr.weights.shape.at(0);
                for (int64_t r = 0; r < post; ++r)
                    for (int64_t i : idx) w[size_t(r * n + i)] = 0.0f;
                break;
            }
            case ProjectionKind::OneToOne:
                if (w.empty())
                    throw InputError("ablation: one-to-one projection '" + pr.name +
                                     "' has a scalar weight; give it a weight tensor");
                for (int64_t i : idx) w[size_t(i)] = 0.0f;
                break;
            case ProjectionKind::Sparse: {
                const std::vector<int64_t> ij = pr.indices.to<int64_t>(pr.name);
                for (size_t e = 0; e < w.size(); ++e)
                    if (off[size_t(ij[2 * e])]) w[e] = 0.0f;
                break;
            }
            default:
                throw InputError("ablation: cannot cut the " + std::string(to_string(pr.kind)) +
                                     " projection '" + pr.name + "' neuron by neuron",
                                 {}, "ablate a population whose outgoing projections are "
                                     "dense, one-to-one or sparse");
        }
        pr.weights = Tensor::from(w, pr.weights.shape);
    }
    if (!any)
        throw InputError("ablation: population '" + population + "' has no outgoing projection");
    if (silenced) *silenced = idx;
    return out;
}

}  // namespace sf
