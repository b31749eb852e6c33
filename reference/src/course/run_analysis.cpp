// Run analysis and ablation (see run_analysis.hpp).
#include "sf/reference/run_analysis.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "sf/core/error.hpp"
#include "sf/reference/spike_stats.hpp"

namespace sf {

RunAnalysis analyse_run(const RunResult& run) {
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
        const TuningCurve tc = tuning_curve(labels, dcounts, a.num_classes);
        info.tuning = tc.mean;
        double best = -1;
        for (int c = 0; c < a.num_classes; ++c)
            if (tc.samples[size_t(c)] > 0 && tc.mean[size_t(c)] > best) {
                best = tc.mean[size_t(c)];
                info.preferred_class = c;
            }
        info.mi_bits = mutual_information_bits(labels, counts, true);
        info.mi_plugin_bits = mutual_information_bits(labels, counts, false);
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
    j["outputs"] = nlohmann::json::array();
    for (const auto& o : a.outputs) {
        nlohmann::json t = nlohmann::json::array();
        for (double v : o.tuning) t.push_back(std::isnan(v) ? nlohmann::json() : nlohmann::json(v));
        j["outputs"].push_back({{"rate_per_step", o.rate_per_step},
                                {"preferred_class", o.preferred_class},
                                {"mi_bits", o.mi_bits},
                                {"mi_plugin_bits", o.mi_plugin_bits},
                                {"tuning", t}});
    }
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
