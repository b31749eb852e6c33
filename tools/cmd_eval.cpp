// `spikeforge eval`: accuracy, confusion matrix and per-class accuracy of a trained network
// on a data set's test split (reconstruction MSE for autoencoders, recall for Hopfield).
#include <cstdio>

#include "commands.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/reference/train_api.hpp"

namespace sf::cli {

Action add_eval(CLI::App& app) {
    auto* cmd = app.add_subcommand("eval", "Evaluate a trained network on a data set's test split");
    struct Args {
        std::string network, data;
        int64_t samples = -1;
        bool json = false;
        int threads = default_thread_count();
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("network", a->network, "network directory (or YAML file)")->required();
    cmd->add_option("--data", a->data, "data set (default: the network's)");
    cmd->add_option("--samples", a->samples, "evaluate only the first N test samples")
        ->transform(whole_number("--samples", 1, 9223372036854775807ULL));
    cmd->add_flag("--json", a->json, "print the result as one JSON line");
    cmd->add_option("--threads", a->threads,
                    "worker threads over samples (default: every core); results are identical for any count")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));
    return [a, cmd]() -> int {
        check_count(*cmd, "--samples", a->samples, 1);
        EvalOptions opt;
        opt.data = a->data;
        opt.samples = a->samples;
        opt.progress = stderr_is_tty() && !a->json;
        opt.threads = a->threads;
        nlohmann::json r = is_snn_model(a->network) ? eval_snn(a->network, opt)
                                                          : eval_ann(a->network, opt);
        if (!r.contains("threads")) r["threads"] = 1;  // a path that runs on one thread
        if (a->json) {
            print_json(r);
            return 0;
        }
        if (r.contains("recall_rate")) {
            std::printf("recall rate %.3f (mean overlap %.3f) over %lld stored patterns\n",
                        r["recall_rate"].get<double>(), r.value("mean_overlap", 0.0),
                        (long long)r.value("samples", int64_t(0)));
            return 0;
        }
        if (r.contains("reconstruction_mse")) {
            std::printf("reconstruction MSE %.5f over %lld samples (%.2f s)\n",
                        r["reconstruction_mse"].get<double>(), (long long)r.value("samples", int64_t(0)),
                        r.value("wall_s", 0.0));
            return 0;
        }
        std::printf("accuracy %.2f%% over %lld samples (%.2f s)\n", 100.0 * r.value("accuracy", 0.0),
                    (long long)r.value("samples", int64_t(0)), r.value("wall_s", 0.0));
        if (r.contains("confusion")) {
            std::printf("confusion matrix (rows: true class, columns: predicted)\n");
            const auto& c = r["confusion"];
            for (size_t i = 0; i < c.size(); ++i) {
                std::printf("%3zu:", i);
                for (const auto& v : c[i]) std::printf(" %5lld", (long long)v.get<int64_t>());
                if (r.contains("per_class") && i < r["per_class"].size())
                    std::printf("   %.1f%%", 100.0 * r["per_class"][i].get<double>());
                std::printf("\n");
            }
        }
        return 0;
    };
}

}  // namespace sf::cli
