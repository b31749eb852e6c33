// `spikeforge train`: trains an ANN model, a Hopfield network or a spiking network (the
// model file decides) and writes the trained network directory.
#include <cstdio>
#include <filesystem>

#include "commands.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/core/temp_dir.hpp"
#include "sf/reference/train_api.hpp"

namespace sf::cli {

Action add_train(CLI::App& app) {
    auto* cmd = app.add_subcommand("train", "Train an ANN model or a spiking network on a data set");
    struct Args {
        std::string model, data, out, resume;
        int epochs = -1, checkpoint_every = 0;
        uint64_t seed = 1;
        int64_t max_train = -1, max_test = -1;
        double validation = 0;
        bool json = false;
        int threads = default_thread_count();
    };
    auto a = std::make_shared<Args>();
    cmd->add_option("model", a->model, "model YAML file (or a directory with network.yaml)")->required();
    cmd->add_option("--data", a->data, "data set: fashion-mnist, mnist or digits");
    cmd->add_option("--epochs", a->epochs, "epochs (default: the model's training.epochs)")
        ->transform(whole_number("--epochs", 0, 2147483647ULL));
    cmd->add_option("--seed", a->seed, "seed for initialisation, shuffling, dropout")
        ->transform(whole_number("--seed", 0, 18446744073709551615ULL));
    cmd->add_option("-o,--out", a->out, "output network directory")->required();
    cmd->add_option("--max-train", a->max_train, "use only the first N training samples")
        ->transform(whole_number("--max-train", 1, 9223372036854775807ULL));
    cmd->add_option("--max-test", a->max_test, "measure on only the first N test samples")
        ->transform(whole_number("--max-test", 1, 9223372036854775807ULL));
    cmd->add_option("--validation", a->validation,
                    "hold out this fraction of the training split (e.g. 0.2) and report accuracy "
                    "on it instead of the test split, for choosing hyper-parameters");
    cmd->add_option("--checkpoint-every", a->checkpoint_every, "write OUT/checkpoint/ every N epochs")
        ->transform(whole_number("--checkpoint-every", 1, 2147483647ULL));
    cmd->add_option("--resume", a->resume, "continue from a checkpoint directory");
    cmd->add_flag("--json", a->json, "print the result as one JSON line");
    cmd->add_option("--threads", a->threads,
                    "worker threads (default: every core); spiking networks and ANN models train on them with the same bits for any count (Hopfield storage runs on one)")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));
    return [a, cmd]() -> int {
        check_count(*cmd, "--epochs", a->epochs, 0);
        check_count(*cmd, "--max-train", a->max_train, 1);
        check_count(*cmd, "--max-test", a->max_test, 1);
        check_count(*cmd, "--checkpoint-every", a->checkpoint_every, 1);
        // Before training, so a long run never fails at its very end on a bad -o.
        check_output_dir(a->out, OutputKind::Network, "-o");
        if (a->checkpoint_every > 0 && std::filesystem::is_directory(a->out))
            check_output_dir(a->out + "/checkpoint", OutputKind::Checkpoint, "-o");
        // A checkpoint whose files are not files (a directory named network.yaml) would reach
        // the YAML reader, whose only message is "basic_filebuf::underflow ... Is a directory".
        if (!a->resume.empty())
            for (const char* f : {"state.json", "network.yaml", "weights.npz", "optimizer.npz"}) {
                const std::filesystem::path p = std::filesystem::path(a->resume) / f;
                std::error_code ec;
                if (std::filesystem::exists(p, ec) && !std::filesystem::is_regular_file(p, ec))
                    throw InputError("the checkpoint's " + std::string(f) + " is not a regular file",
                                     p.string(),
                                     "give the OUT/checkpoint directory of an interrupted run, "
                                     "or start again without --resume");
            }
        TrainOptions opt;
        opt.data = a->data;
        opt.epochs = a->epochs;
        opt.seed = a->seed;
        opt.max_train = a->max_train;
        opt.max_test = a->max_test;
        opt.validation = a->validation;
        opt.out_dir = a->out;
        opt.progress = stderr_is_tty() && !a->json;
        opt.checkpoint_every = a->checkpoint_every;
        opt.resume_dir = a->resume;
        opt.threads = a->threads;
        const bool snn = is_snn_model(a->model);
        nlohmann::json r = snn ? train_snn(a->model, opt) : train_ann(a->model, opt);
        if (a->json) {
            // Every trainer reports the count it used; this is for any path that does not.
            if (!r.contains("threads")) r["threads"] = 1;
            print_json(r);
            return 0;
        }
        // The per-epoch record, once training is over (no lines while it runs: a terminal
        // shows the progress bar, a log stays quiet).
        for (const char* key : {"history", "epochs"}) {
            if (!r.contains(key) || !r[key].is_array()) continue;
            for (const auto& h : r[key]) {
                std::printf("epoch %d: loss %.4f", h.value("epoch", 0), h.value("loss", 0.0));
                if (h.contains("train_accuracy"))
                    std::printf(", train accuracy %.2f%%", 100.0 * h.value("train_accuracy", 0.0));
                // Feedback alignment (training.rule fa/dfa): the angles per hidden layer.
                if (h.contains("signal_angle_deg"))
                    for (size_t l = 0; l < h["signal_angle_deg"].size(); ++l)
                        std::printf(", hidden %zu: signal %.1f deg, weights %.1f deg", l + 1,
                                    h["signal_angle_deg"][l].get<double>(),
                                    h["weight_angle_deg"][l].get<double>());
                std::printf("\n");
            }
        }
        if (r.contains("accuracy"))
            std::printf("%s accuracy %.2f%% on %lld samples\n",
                        r.value("evaluated_on", std::string("test")).c_str(),
                        100.0 * r["accuracy"].get<double>(),
                        (long long)r.value("samples", int64_t(0)));
        if (r.contains("reconstruction_mse"))
            std::printf("%s reconstruction MSE %.5f on %lld samples\n",
                        r.value("evaluated_on", std::string("test")).c_str(),
                        r["reconstruction_mse"].get<double>(), (long long)r.value("samples", int64_t(0)));
        if (r.contains("recall_rate"))
            std::printf("recall rate %.3f (mean overlap %.3f)\n", r["recall_rate"].get<double>(),
                        r.value("mean_overlap", 0.0));
        if (r.contains("capacity"))
            for (const auto& p : r["capacity"])
                std::printf("  P/N %.3f (P=%lld): recall %.3f, overlap %.3f\n", p["load"].get<double>(),
                            (long long)p["patterns"].get<int64_t>(), p["recall_rate"].get<double>(),
                            p["mean_overlap"].get<double>());
        if (r.contains("train_seconds"))
            std::printf("training took %.1f s; network written to %s\n", r["train_seconds"].get<double>(),
                        a->out.c_str());
        return 0;
    };
}

}  // namespace sf::cli
