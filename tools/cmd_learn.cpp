// `spikeforge learn NETWORK --chip CHIP`: unsupervised learning ON THE CHIP (STDP in the
// chip's fixed point) over a stream of training digits, then labelling and a vote on test
// digits with the learned weights frozen, beside the float simulator doing the same
// (sf_analysis learn.hpp, docs/compare.md "On-chip learning").
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "sf/analysis/backends.hpp"
#include "sf/analysis/learn.hpp"
#include "sf/analysis/report.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"

namespace sf::cli {

Action add_learn(CLI::App& app) {
    struct Args {
        std::string network, chip = "sf1", backends = "functional", population;
        int64_t train = 1000, label = 1000, test = 1000, check = 10;
        uint64_t seed = 1;
        bool json = false, no_reference = false, continuous = false, validation = false;
        int rest = 0;
        int threads = default_thread_count();
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand(
        "learn", "Learn unsupervised on the chip (STDP), then label and test like the float network");
    cmd->add_option("network", a->network, "network with a plastic (stdp) projection")->required();
    cmd->add_option("--chip", a->chip, "chip preset or YAML file (default sf1)");
    cmd->add_option("--backends", a->backends,
                    "chip backends, comma-separated; the first learns, all run --check digits");
    cmd->add_option("--population", a->population, "the learning population (default: found)");
    cmd->add_option("--train", a->train, "training digits streamed through the chip (default 1000)");
    cmd->add_option("--label", a->label, "training digits used for labelling (default 1000)");
    cmd->add_option("--test", a->test, "test digits (default 1000)");
    cmd->add_option("--check", a->check,
                    "training digits learned on every backend, weights compared (default 10)");
    cmd->add_option("--seed", a->seed, "compile (placement) seed (default 1)");
    cmd->add_flag("--continuous", a->continuous,
                  "present the digits as one stream: neuron state and traces carry from digit to digit");
    cmd->add_option("--rest", a->rest, "silent steps after each digit (default 0)")
        ->transform(whole_number("--rest", 0, 100000));
    cmd->add_flag("--validation", a->validation,
                  "score on held-out training digits (after the --train/--label ones), not the test split");
    cmd->add_flag("--no-reference", a->no_reference, "skip the float simulator's run");
    cmd->add_flag("--json", a->json, "print one JSON object");
    cmd->add_option("--threads", a->threads,
                    "worker threads (default: every core); on-chip learning carries weights from sample to sample, so this runs on one thread")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));
    return [a, cmd]() -> int {
        check_count(*cmd, "--train", a->train, 1);
        check_count(*cmd, "--label", a->label, 1);
        check_count(*cmd, "--test", a->test, 1);
        check_count(*cmd, "--check", a->check, 1);
        LearnOptions o;
        o.network = a->network;
        o.chip = a->chip;
        o.population = a->population;
        o.train = a->train;
        o.label = a->label;
        o.test = a->test;
        o.check_samples = a->check;
        o.seed = a->seed;
        o.reference = !a->no_reference;
        o.continuous = a->continuous;
        o.rest = a->rest;
        o.validation = a->validation;
        o.backends.clear();
        for (const auto& b : parse_backend_list(a->backends)) {
            if (b == "reference")
                throw InputError("reference is not a chip backend", "--backends",
                                 "the float simulator runs anyway (--no-reference skips it)");
            o.backends.push_back(b);
        }
        o.progress = stderr_is_tty() && !a->json;
        nlohmann::json r = run_learning(o);
        if (a->json) {
            r["threads"] = 1;  // serial for now: --threads is accepted and checked
            print_json(r);
            return 0;
        }
        const auto& c = r["on_chip"];
        std::cout << fmt::format(
            "learn {} on {}: {} training digits learned on the chip ({}), {} to label, {} to "
            "test\n",
            r["network"].get<std::string>(), r["chip"].get<std::string>(),
            r["train_samples"].get<int64_t>(), c["backend"].get<std::string>(),
            r["label_samples"].get<int64_t>(), r["test_samples"].get<int64_t>());
        std::cout << "  presentation            "
                  << (r["continuous"].get<bool>() ? "one stream (state carries from digit to digit)"
                                                  : "digit by digit (state reset)")
                  << ", " << r["rest_steps"] << " silent steps after each digit; scored on "
                  << r["scored_on"].get<std::string>() << "\n";
        std::cout << "  chip-learned accuracy   " << format_figure(c["accuracy"].get<double>(), "pct")
                  << " (" << c["neurons_assigned"] << " neurons labelled)\n";
        if (r.contains("float"))
            std::cout << "  float-learned accuracy  "
                      << format_figure(r["float"]["accuracy"].get<double>(), "pct")
                      << " (same network, same initial weights, float STDP)\n";
        std::cout << "  float Diehl & Cook      82.29% (networks/mnist-stdp)\n";
        std::cout << "  learning events         " << format_figure(c["learn_updates_per_sample"].get<double>(), "int")
                  << " synaptic updates per digit, "
                  << format_figure(c["learning_energy_pj_per_sample"].get<double>(), "pj")
                  << " per digit of "
                  << format_figure(c["training_energy_pj_per_sample"].get<double>(), "pj")
                  << " while learning\n";
        const auto& g = r["agreement"];
        std::cout << "  learned weights identical on " << g["backends"].dump() << " over "
                  << g["samples"] << " digits: " << (g["weights_identical"].get<bool>() ? "yes" : "NO")
                  << "\n";
        return g["weights_identical"].get<bool>() ? 0 : 2;
    };
}

}  // namespace sf::cli
