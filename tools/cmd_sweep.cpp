// `spikeforge sweep NETWORK --set KEY=VALUES ...`: compile and run a network over a grid of
// chip and run parameters and report accuracy against energy with the Pareto front marked
// (sf_analysis, docs/compare.md), as a table, JSON, CSV and/or an HTML page.
#include <iostream>

#include "commands.hpp"
#include "sf/analysis/ann_cost.hpp"
#include "sf/analysis/report.hpp"
#include "sf/analysis/sweep.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"

namespace sf::cli {

Action add_sweep(CLI::App& app) {
    struct Args {
        std::string network, chip = "sf1", data, backend = "functional", csv, html;
        std::vector<std::string> sets;
        int64_t samples = 100;
        uint64_t seed = 1;
        bool json = false, no_reference = false;
        int threads = default_thread_count();
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand(
        "sweep", "Run a network over a grid of chip and run parameters: accuracy against energy");
    cmd->add_option("network", a->network, "spiking network directory or network.yaml")->required();
    cmd->add_option("--set", a->sets,
                    "KEY=LOW..HIGH or KEY=V1,V2,...; KEY is a chip YAML field (core.weight_bits, "
                    "neuron.state_bits, mesh.width, ...), timesteps or seed; repeat for a grid")
        ->required();
    cmd->add_option("--chip", a->chip, "chip preset or YAML file the settings change (default sf1)");
    cmd->add_option("--data", a->data, "data set (default: the network's)");
    cmd->add_option("--samples", a->samples, "test samples per point (default 100)");
    cmd->add_option("--backend", a->backend, "chip backend (default functional)");
    cmd->add_option("--seed", a->seed, "compile (placement) seed (default 1)");
    cmd->add_flag("--no-reference", a->no_reference, "skip the float accuracy per timesteps");
    cmd->add_flag("--json", a->json, "print one JSON object instead of the table");
    cmd->add_option("--threads", a->threads,
                    "worker threads inside each point: compile, float reference, functional "
                    "emulator (default: every core); results are identical for any count")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));
    cmd->add_option("--csv", a->csv, "write the points as CSV to this file");
    cmd->add_option("--html", a->html, "write a self-contained HTML report to this file");
    return [a, cmd]() -> int {
        check_count(*cmd, "--samples", a->samples, 1);
        if (cmd->count("--csv")) check_output_path(a->csv, "--csv", false);
        if (cmd->count("--html")) check_output_path(a->html, "--html", false);
        SweepOptions o;
        o.network = a->network;
        o.chip = a->chip;
        o.data = a->data;
        o.samples = a->samples;
        o.backend = a->backend;
        o.reference = !a->no_reference;
        o.seed = a->seed;
        for (const auto& s : a->sets) o.sets.push_back(parse_sweep_set(s));
        o.progress = stderr_is_tty() && !a->json;
        o.threads = a->threads;
        nlohmann::json r = run_sweep(o);
        if (!a->csv.empty()) write_file_atomically(a->csv, sweep_csv(r));
        if (!a->html.empty()) write_file_atomically(a->html, sweep_html(r));
        if (a->json) {
            print_json(r);
            return 0;
        }
        std::cout << sweep_table(r);
        if (!a->csv.empty()) std::cout << "wrote " << a->csv << "\n";
        if (!a->html.empty()) std::cout << "wrote " << a->html << "\n";
        return 0;
    };
}

}  // namespace sf::cli
