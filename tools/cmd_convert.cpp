// spikeforge convert: turn a trained ReLU ANN (MLP or CNN) into a spiking network of IF
// neurons (reference/convert.hpp), write it as a network directory, and report the float
// accuracy of both on the test split (or the end of the training split) so the conversion
// loss is visible at once, optionally against the run length (--curve).
#include <cstdio>
#include <vector>

#include <fmt/format.h>
#include <memory>

#include "commands.hpp"
#include "sf/analysis/ann_cost.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/core/temp_dir.hpp"
#include "sf/reference/ann.hpp"
#include "sf/reference/convert.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/snn.hpp"
#include "sf/reference/train_api.hpp"

namespace sf::cli {

namespace {
struct ConvertArgs {
    std::string ann, data, out, readout = "membrane", name;
    int timesteps = 64;
    float percentile = 99.9f;
    int64_t norm_samples = 1000;
    int64_t samples = -1;
    std::vector<int> curve;
    std::string split = "test";
    bool json = false;
    int threads = default_thread_count();
};
}  // namespace

Action add_convert(CLI::App& app) {
    auto a = std::make_shared<ConvertArgs>();
    auto* cmd = app.add_subcommand(
        "convert", "convert a trained ReLU ANN into a spiking network (IF neurons)");
    cmd->add_option("ann", a->ann, "trained ANN network directory or model .yaml")->required();
    cmd->add_option("--data", a->data,
                    "data set for normalisation and the accuracy check (default: the model's)");
    cmd->add_option("-o,--out", a->out, "output network directory")->required();
    cmd->add_option("--timesteps", a->timesteps, "steps per sample of the SNN (default 64)")
        ->transform(whole_number("--timesteps", 1, 16777216ULL));
    cmd->add_option("--percentile", a->percentile,
                    "activation percentile for weight normalisation (default 99.9)");
    cmd->add_option("--norm-samples", a->norm_samples,
                    "training samples used for normalisation (default 1000)")
        ->transform(whole_number("--norm-samples", 1, 9223372036854775807ULL));
    cmd->add_option("--readout", a->readout, "membrane (LI output) or spike_count (IF output)")
        ->check(CLI::IsMember({"membrane", "spike_count"}));
    cmd->add_option("--samples", a->samples,
                    "test samples for the accuracy check (default: all; 0 skips it)")
        ->transform(whole_number("--samples", 0, 9223372036854775807ULL));
    cmd->add_option(
           "--curve", a->curve,
           "also report the SNN's accuracy after each of these step counts (one run of the "
           "longest), e.g. --curve 25,50,100,200")
        ->delimiter(',')
        ->transform(whole_number("--curve", 1, 16777216ULL));
    cmd->add_option("--split", a->split,
                    "split for the accuracy check: test (default), or train (its last --samples "
                    "samples, disjoint from the normalisation samples)")
        ->check(CLI::IsMember({"test", "train"}));
    cmd->add_option("--name", a->name, "name of the converted network");
    cmd->add_flag("--json", a->json, "print the result as one JSON line");
    cmd->add_option("--threads", a->threads,
                    "worker threads for the calibration and the check samples (default: every core); results are identical for any count")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));
    return [a]() -> int {
        // Before any work, so a long conversion never fails at its end on a bad -o.
        check_output_dir(a->out, OutputKind::Network, "-o");
        // Say what the file is before the ANN loader complains about its keys.
        if (is_snn_model(a->ann))
            throw InputError("this is already a spiking network; convert takes a trained ANN",
                             a->ann,
                             "give an ANN network directory written by spikeforge train "
                             "(e.g. networks/fmnist-cnn); run spiking networks with simulate");
        if (is_hopfield_model(a->ann))
            throw InputError("Hopfield networks have no spiking conversion", a->ann,
                             "convert a trained feed-forward ANN (dense/conv layers with ReLU)");
        const AnnModel model = load_ann(a->ann);
        if (!model.initialised)
            throw InputError(
                "model '" + model.name + "' has no trained weights", a->ann,
                "train it first (spikeforge train " + a->ann + " -o DIR), then convert DIR");
        const std::string set = a->data.empty() ? model.dataset : a->data;
        if (set.empty())
            throw InputError("no data set given and the model names none", a->ann,
                             "pass --data fashion-mnist (or mnist, digits)");
        if (a->timesteps < 1) throw InputError("--timesteps must be >= 1", "", "");
        ConvertOptions o;
        o.timesteps = a->timesteps;
        o.percentile = a->percentile;
        o.norm_samples = a->norm_samples;
        o.readout = a->readout;
        o.name = a->name;
        const Dataset train = load_dataset(set, Split::Train, a->norm_samples);
        ConvertReport rep;
        o.threads = a->threads;
        Graph g = convert_ann(model, train, o, &rep);
        g.dataset = set;

        nlohmann::json j;
        j["network"] = a->out;
        j["timesteps"] = o.timesteps;
        j["max_pool_as_avg"] = rep.max_pool_as_avg;
        if (rep.max_pool_as_avg) j["max_pool_gain"] = rep.max_pool_gain;
        nlohmann::json layers = nlohmann::json::array();
        for (const auto& l : rep.layers)
            layers.push_back({{"layer", l.ann_layer}, {"lambda", l.lambda}});
        j["layers"] = layers;
        if (a->samples != 0) {
            // The check's samples: the test split, or the end of the training split (the
            // normalisation uses its beginning).
            Dataset check;
            int64_t first = 0, count = a->samples;
            if (a->split == "test") {
                check = load_dataset(set, Split::Test, a->samples);
                count = check.size();
            } else {
                check = load_dataset(set, Split::Train);
                if (count < 0 || count > check.size()) count = check.size();
                first = check.size() - count;
                if (first < a->norm_samples)
                    throw InputError(fmt::format("--split train with --samples {} overlaps the {} "
                                                 "normalisation samples of {} training samples",
                                                 count, a->norm_samples, check.size()),
                                     "", "check fewer samples or normalise on fewer");
            }
            // ANN accuracy on the same samples, in batches to bound memory.
            int64_t ok = 0;
            std::vector<int> ann_pred;
            for (int64_t s = 0; s < count; s += 500) {
                const int64_t B = std::min<int64_t>(500, count - s);
                AnnMatrix x(B, model.input_size());
                for (int64_t b = 0; b < B; ++b)
                    for (int64_t k = 0; k < model.input_size(); ++k)
                        x(b, k) = check.sample(first + s + b)[k];
                const AnnMatrix y = forward(model, x);
                for (int64_t b = 0; b < B; ++b) {
                    Eigen::Index c;
                    y.row(b).maxCoeff(&c);
                    ok += int(c) == check.labels[size_t(first + s + b)];
                    ann_pred.push_back(int(c));
                }
            }
            SnnSimulator sim(g);
            SnnRunOptions ro;
            ro.progress = stderr_is_tty() && !a->json;
            ro.batch = 128;
            ro.threads = a->threads;
            j["ann_accuracy"] = count ? double(ok) / double(count) : 0.0;
            j["samples"] = count;
            j["split"] = a->split;
            if (a->curve.empty()) {
                const SnnResult r = simulate_dataset(sim, check, first, count, ro);
                j["accuracy"] = r.run.accuracy();
                j["spikes_total"] = r.run.counters.spikes;
                j["wall_s"] = r.run.wall_s;
                j["threads"] = r.run.threads;
            } else {
                std::vector<int> steps = a->curve;
                steps.push_back(o.timesteps);
                const TimestepCurve c = accuracy_vs_timesteps(sim, check, first, count, steps, ro);
                nlohmann::json pts = nlohmann::json::array();
                for (const auto& p : c.points) {
                    // Agreement: the fraction of samples the SNN classifies as the ANN does.
                    int64_t same = 0;
                    for (size_t k = 0; k < p.predicted.size(); ++k)
                        same += p.predicted[k] == ann_pred[k];
                    const double agree = count ? double(same) / double(count) : 0.0;
                    pts.push_back(
                        {{"steps", p.steps}, {"accuracy", p.accuracy}, {"agreement", agree}});
                    if (p.steps == o.timesteps) j["accuracy"] = p.accuracy;
                }
                j["curve"] = pts;
                j["curve_steps"] = c.max_steps;
                j["spikes_total"] = c.spikes;  // of the run of curve_steps steps
                j["wall_s"] = c.wall_s;
            }
        }
        // The link compare follows to show the ANN beside its SNN (docs/compare.md),
        // saved with the network in one swap.
        save_network(g, a->out,
                     {{"converted-from.json",
                       ann_link_text(a->out, a->ann,
                                     {{"timesteps", o.timesteps}, {"percentile", o.percentile},
                                      {"readout", o.readout}, {"data", set}})}});
        if (a->json) {
            print_json(j);
            return 0;
        }
        std::printf("converted %s into %s (%d steps, IF neurons, reset by subtraction)\n",
                    a->ann.c_str(), a->out.c_str(), o.timesteps);
        for (const auto& l : rep.layers)
            std::printf("  %-12s lambda %.4f\n", l.ann_layer.c_str(), l.lambda);
        if (rep.max_pool_as_avg)
            std::printf("  note: max pooling was replaced by average pooling\n");
        if (j.contains("accuracy"))
            std::printf("%s accuracy: ANN %.2f%%, SNN %.2f%% on %lld samples (%.1f s)\n",
                        a->split.c_str(), 100.0 * j["ann_accuracy"].get<double>(),
                        100.0 * j["accuracy"].get<double>(), (long long)j["samples"].get<int64_t>(),
                        j["wall_s"].get<double>());
        if (j.contains("curve"))
            for (const auto& p : j["curve"])
                std::printf("  %5d steps: SNN %.2f%%, same class as the ANN on %.2f%%\n",
                            p["steps"].get<int>(), 100.0 * p["accuracy"].get<double>(),
                            100.0 * p["agreement"].get<double>());
        return 0;
    };
}

}  // namespace sf::cli
