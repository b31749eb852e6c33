// spikeforge convert: turn a trained ReLU ANN (MLP or CNN) into a spiking network of IF
// neurons (reference/convert.hpp), write it as a network directory, and report the float
// accuracy of both on the test split so the conversion loss is visible at once.
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "sf/core/error.hpp"
#include "sf/reference/ann.hpp"
#include "sf/reference/convert.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/snn.hpp"

namespace sf::cli {

namespace {
struct ConvertArgs {
    std::string ann, data, out, readout = "membrane", name;
    int timesteps = 64;
    float percentile = 99.9f;
    int64_t norm_samples = 1000;
    int64_t samples = -1;
    bool json = false;
};
}  // namespace

Action add_convert(CLI::App& app) {
    auto a = std::make_shared<ConvertArgs>();
    auto* cmd = app.add_subcommand("convert", "convert a trained ReLU ANN into a spiking network (IF neurons)");
    cmd->add_option("ann", a->ann, "trained ANN network directory or model .yaml")->required();
    cmd->add_option("--data", a->data, "data set for normalisation and the accuracy check (default: the model's)");
    cmd->add_option("-o,--out", a->out, "output network directory")->required();
    cmd->add_option("--timesteps", a->timesteps, "steps per sample of the SNN (default 64)");
    cmd->add_option("--percentile", a->percentile, "activation percentile for weight normalisation (default 99.9)");
    cmd->add_option("--norm-samples", a->norm_samples, "training samples used for normalisation (default 1000)");
    cmd->add_option("--readout", a->readout, "membrane (LI output) or spike_count (IF output)")
        ->check(CLI::IsMember({"membrane", "spike_count"}));
    cmd->add_option("--samples", a->samples, "test samples for the accuracy check (default: all; 0 skips it)");
    cmd->add_option("--name", a->name, "name of the converted network");
    cmd->add_flag("--json", a->json, "print the result as one JSON line");
    return [a]() -> int {
        const AnnModel model = load_ann(a->ann);
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
        Graph g = convert_ann(model, train, o, &rep);
        g.dataset = set;

        nlohmann::json j;
        j["network"] = a->out;
        j["timesteps"] = o.timesteps;
        j["max_pool_as_avg"] = rep.max_pool_as_avg;
        if (rep.max_pool_as_avg) j["max_pool_gain"] = rep.max_pool_gain;
        nlohmann::json layers = nlohmann::json::array();
        for (const auto& l : rep.layers) layers.push_back({{"layer", l.ann_layer}, {"lambda", l.lambda}});
        j["layers"] = layers;
        if (a->samples != 0) {
            const Dataset test = load_dataset(set, Split::Test, a->samples);
            // ANN accuracy on the same samples, in batches to bound memory.
            int64_t ok = 0;
            for (int64_t s = 0; s < test.size(); s += 500) {
                const int64_t B = std::min<int64_t>(500, test.size() - s);
                AnnMatrix x(B, model.input_size());
                for (int64_t b = 0; b < B; ++b)
                    for (int64_t k = 0; k < model.input_size(); ++k) x(b, k) = test.sample(s + b)[k];
                const AnnMatrix y = forward(model, x);
                for (int64_t b = 0; b < B; ++b) {
                    Eigen::Index c;
                    y.row(b).maxCoeff(&c);
                    ok += int(c) == test.labels[size_t(s + b)];
                }
            }
            SnnSimulator sim(g);
            SnnRunOptions ro;
            ro.progress = stderr_is_tty() && !a->json;
            ro.batch = 128;
            const SnnResult r = simulate_dataset(sim, test, 0, -1, ro);
            j["ann_accuracy"] = test.size() ? double(ok) / double(test.size()) : 0.0;
            j["accuracy"] = r.run.accuracy();
            j["samples"] = test.size();
            j["spikes_total"] = r.run.counters.spikes;
            j["wall_s"] = r.run.wall_s;
        }
        save_network(g, a->out);
        if (a->json) {
            print_json(j);
            return 0;
        }
        std::printf("converted %s into %s (%d steps, IF neurons, reset by subtraction)\n",
                    a->ann.c_str(), a->out.c_str(), o.timesteps);
        for (const auto& l : rep.layers) std::printf("  %-12s lambda %.4f\n", l.ann_layer.c_str(), l.lambda);
        if (rep.max_pool_as_avg) std::printf("  note: max pooling was replaced by average pooling\n");
        if (j.contains("accuracy"))
            std::printf("test accuracy: ANN %.2f%%, SNN %.2f%% on %lld samples (%.1f s)\n",
                        100.0 * j["ann_accuracy"].get<double>(), 100.0 * j["accuracy"].get<double>(),
                        (long long)j["samples"].get<int64_t>(), j["wall_s"].get<double>());
        return 0;
    };
}

}  // namespace sf::cli
