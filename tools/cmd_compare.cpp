// `spikeforge compare NETWORK`: compile for a chip, run on the float reference and on chip
// backends over a test set, and report accuracy, agreement, per-layer float-versus-chip,
// energy, latency, NeuroBench metrics and the ANN counterpart (sf_analysis, docs/compare.md)
// as a table, one JSON object (--json) and/or a self-contained HTML page (--html).
#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "sf/analysis/ann_cost.hpp"
#include "sf/analysis/backends.hpp"
#include "sf/analysis/compare.hpp"
#include "sf/analysis/report.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"

namespace sf::cli {

Action add_compare(CLI::App& app) {
    struct Args {
        std::string network, chip = "sf1", data, backends, ann,
                             energy_table = "horowitz-45nm", html;
        int64_t samples = 100;
        int steps = 0;
        uint64_t seed = 1;
        std::vector<std::string> trace;
        bool json = false, no_ann = false;
        int threads = default_thread_count();
    };
    auto a = std::make_shared<Args>();
    auto* cmd = app.add_subcommand(
        "compare", "Compare a network in float and on chip backends: accuracy, agreement, energy");
    cmd->add_option("network", a->network, "spiking network directory or network.yaml")->required();
    cmd->add_option("--chip", a->chip, "chip preset or YAML file (default sf1)");
    cmd->add_option("--data", a->data, "data set (default: the network's)");
    cmd->add_option("--samples", a->samples, "test samples (default 100)");
    cmd->add_option("--steps", a->steps, "timesteps per sample (default: the network's)");
    cmd->add_option("--backends", a->backends,
                    "comma-separated: reference, functional, systemc, rtl "
                    "(default reference,functional)");
    cmd->add_option("--seed", a->seed, "compile (placement) seed (default 1)");
    cmd->add_option("--ann", a->ann,
                    "ANN to show beside the SNN (default: the one convert recorded)");
    cmd->add_flag("--no-ann", a->no_ann, "leave the ANN counterpart out");
    cmd->add_option("--energy-table", a->energy_table,
                    "ANN energy table: name in networks/energy or a YAML file "
                    "(default horowitz-45nm)");
    cmd->add_option("--trace", a->trace,
                    "neurons whose membranes the report plots, as POPULATION:INDEX");
    cmd->add_flag("--json", a->json, "print one JSON object instead of the table");
    cmd->add_option("--threads", a->threads,
                    "worker threads for the compiler, the float reference and the functional "
                    "emulator (default: every core); results are identical for any count")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));
    cmd->add_option("--html", a->html, "write a self-contained HTML report to this file");
    return [a, cmd]() -> int {
        check_count(*cmd, "--samples", a->samples, 1);
        check_count(*cmd, "--steps", a->steps, 1);
        if (cmd->count("--html")) check_output_path(a->html, "--html", false);
        CompareOptions o;
        o.network = a->network;
        o.chip = a->chip;
        o.data = a->data;
        o.samples = a->samples;
        o.steps = a->steps;
        o.seed = a->seed;
        if (cmd->count("--backends")) o.backends = parse_backend_list(a->backends);
        o.ann = a->ann;
        o.no_ann = a->no_ann;
        o.energy_table = a->energy_table;
        o.trace_neurons = a->trace;
        o.trace = true;
        o.progress = stderr_is_tty() && !a->json;
        o.threads = a->threads;
        nlohmann::json r = run_compare(o);
        if (!a->html.empty()) {
            const auto t0 = std::chrono::steady_clock::now();
            write_file_atomically(a->html, compare_html(r));
            const double s =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            r["timing"]["stages"].push_back({{"stage", "report"}, {"wall_s", s}, {"share", 0.0}});
            r["html"] = a->html;
        }
        if (a->json) {
            print_json(r);
            return 0;
        }
        std::cout << compare_table(r);
        if (!a->html.empty()) std::cout << "wrote " << a->html << "\n";
        return r["agreement"]["chip_backends_identical"].get<bool>() ? 0 : 2;
    };
}

}  // namespace sf::cli
