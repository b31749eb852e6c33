// `spikeforge compile NETWORK [--chip PRESET|CHIP.yaml] -o IMAGE_DIR [--seed N]
//  [--dump-after PASS] [--json] [--threads N]`: the compiler driver on the command line.
// The image is written only after every pass succeeded (and atomically), so a failed
// compile leaves nothing at -o.
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "sf/compiler/compile.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/chip_image.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/core/graph.hpp"
#include "sf/core/temp_dir.hpp"

namespace sf::cli {

namespace {

struct CompileArgs {
    std::string network;
    std::string chip = "sf1";
    std::string out;
    uint64_t seed = 1;
    std::string dump_after;
    bool json = false;
    int threads = default_thread_count();
};

double stat_or(const PassStats& p, const char* key, double dflt = 0.0) {
    auto it = p.stats.find(key);
    return it == p.stats.end() ? dflt : it->second;
}

}  // namespace

Action add_compile(CLI::App& app) {
    auto a = std::make_shared<CompileArgs>();
    auto* cmd =
        app.add_subcommand("compile", "Compile a network onto a chip, writing a chip image");
    cmd->add_option("network", a->network, "network directory (with network.yaml) or YAML file")
        ->required();
    cmd->add_option("--chip", a->chip, "chip preset name or chip YAML file (default sf1)");
    cmd->add_option("-o,--output", a->out, "image directory to write")->required();
    cmd->add_option("--seed", a->seed, "seed for placement (default 1)")
        ->transform(whole_number("--seed", 0, 18446744073709551615ULL));
    std::string passes;
    for (const auto& p : pass_names()) passes += p + ", ";
    cmd->add_option("--dump-after", a->dump_after,
                    "print the IR after this pass (" + passes + "or all); to stderr with --json");
    cmd->add_flag("--json", a->json, "print one JSON object instead of the summary");
    cmd->add_option("--threads", a->threads,
                    "worker threads for the passes that split into pieces (default: every core); "
                    "the image is identical for any count")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));

    return [a]() -> int {
        check_output_dir(a->out, OutputKind::ChipImage, "-o");
        const Graph g = load_network(a->network);
        const ChipConfig chip = load_chip(a->chip);
        CompileOptions opt;
        opt.seed = a->seed;
        opt.threads = a->threads;
        opt.dump_after = a->dump_after;
        opt.dump = a->json ? &std::cerr : &std::cout;
        CompileResult r = compile(g, chip, opt);
        save_chip_image(r.image, a->out);

        const PassStats& emit = r.passes.back();
        if (a->json) {
            nlohmann::json j;
            j["image"] = a->out;
            j["network"] = g.name;
            j["chip"] = chip.name;
            j["cores_used"] = r.image.cores.size();
            j["cores_total"] = chip.num_cores();
            j["synapses"] = stat_or(emit, "synapses");
            j["crossbar_fill"] = stat_or(emit, "crossbar_fill");
            j["memory_bytes"] = stat_or(emit, "memory_bytes");
            nlohmann::json ps = nlohmann::json::array();
            nlohmann::json warnings = nlohmann::json::array();
            for (const auto& p : r.passes) {
                ps.push_back({{"pass", p.pass}, {"wall_s", p.wall_s}, {"stats", p.stats}});
                for (const auto& w : p.warnings) warnings.push_back(w);
            }
            j["passes"] = ps;
            j["warnings"] = warnings;
            j["threads"] = r.threads;  // most threads a pass ran on (<= --threads)
            print_json(j);
            return 0;
        }
        double total = 0;
        for (const auto& p : r.passes) total += p.wall_s;
        std::cout << fmt::format("compiled '{}' onto {} -> {}\n", g.name, chip.name, a->out);
        std::cout << fmt::format("  cores used     {} of {} ({}x{} mesh)\n", r.image.cores.size(),
                                 chip.num_cores(), chip.mesh_w, chip.mesh_h);
        std::cout << fmt::format("  synapses       {:.0f}, crossbar fill {:.1f}%\n",
                                 stat_or(emit, "synapses"), 100.0 * stat_or(emit, "crossbar_fill"));
        std::cout << fmt::format("  memory         {:.1f} KiB\n",
                                 stat_or(emit, "memory_bytes") / 1024.0);
        // The worst projection by its quantisation error relative to its own largest weight.
        std::string worst;
        double worst_err = -1;
        for (const auto& [key, value] : r.passes[1].stats)
            if (key.rfind("max_rel_err_", 0) == 0 && value > worst_err)
                worst = key.substr(12), worst_err = value;
        std::cout << fmt::format("  weight error   max {:.3g} of a projection's largest weight{}\n",
                                 stat_or(r.passes[1], "max_rel_err"),
                                 worst.empty() ? "" : " (projection '" + worst + "')");
        std::cout << "  pass times    ";
        for (const auto& p : r.passes) std::cout << fmt::format(" {} {:.3f}s", p.pass, p.wall_s);
        std::cout << fmt::format(" (total {:.3f}s)\n", total);
        for (const auto& p : r.passes)
            for (const auto& w : p.warnings) std::cerr << "spikeforge: warning: " << w << "\n";
        return 0;
    };
}

}  // namespace sf::cli
