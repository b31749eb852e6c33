// `spikeforge info IMAGE_DIR [--json]`: the compile report of a chip image, readable or
// as the report JSON.
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "commands.hpp"
#include "sf/core/chip_image.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"

namespace sf::cli {

namespace {

std::string read_report(const std::string& dir) {
    const ChipImage img = load_chip_image(dir);  // checks the image is whole
    if (!img.report_json.empty()) return img.report_json;
    std::ifstream in(dir + "/report.json");
    if (!in)
        throw InputError("the image has no compile report", at_file(dir + "/report.json"),
                         "recompile it with spikeforge compile");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

Action add_info(CLI::App& app) {
    auto dir = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    auto threads = std::make_shared<int>(default_thread_count());
    auto* cmd = app.add_subcommand("info", "Show the compile report of a chip image");
    cmd->add_option("image", *dir, "chip image directory")->required();
    cmd->add_flag("--json", *json, "print the report JSON");
    cmd->add_option("--threads", *threads, "worker threads (default: every core); info reads a report, on one thread")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));
    return [dir, json]() -> int {
        const std::string text = read_report(*dir);
        nlohmann::json r;
        try {
            r = nlohmann::json::parse(text);
        } catch (const std::exception& e) {
            throw InputError(std::string("report.json is not valid JSON: ") + e.what(),
                             at_file(*dir + "/report.json"), "recompile the image");
        }
        if (*json) {
            r["threads"] = 1;  // serial for now: --threads is accepted and checked
            print_json(r);
            return 0;
        }
        auto num = [&](const nlohmann::json& j, const char* k) {
            return j.contains(k) ? j[k].get<double>() : 0.0;
        };
        std::cout << fmt::format("image {}: network '{}' on chip {}, seed {}\n", *dir,
                                 r.value("network", ""), r.value("chip", ""),
                                 r.value("seed", uint64_t(0)));
        std::cout << fmt::format("  cores used   {} of {}\n", r.value("cores_used", 0),
                                 r.value("cores_total", 0));
        std::cout << fmt::format("  neurons      {}\n", r.value("neurons", int64_t(0)));
        std::cout << fmt::format("  synapses     {}, crossbar fill {:.1f}%\n",
                                 r.value("synapses", int64_t(0)), 100.0 * num(r, "crossbar_fill"));
        if (r.contains("memory_bytes")) {
            const auto& m = r["memory_bytes"];
            std::cout << fmt::format(
                "  memory       {:.1f} KiB (crossbar {:.1f}, neurons {:.1f}, routing {:.1f})\n",
                num(m, "total") / 1024, num(m, "crossbar") / 1024, num(m, "neuron") / 1024,
                num(m, "routing") / 1024);
        }
        if (r.contains("traffic")) {
            const auto& t = r["traffic"];
            std::cout << fmt::format(
                "  traffic      {} routing entries, {} input entries, {:.2f} mean hops\n",
                t.value("routing_entries", int64_t(0)), t.value("input_entries", int64_t(0)),
                num(t, "mean_hops"));
        }
        if (r.contains("cores")) {
            std::cout << "  core    neurons  axons  synapses   fill  learning\n";
            for (const auto& c : r["cores"])
                std::cout << fmt::format(
                    "  ({},{}) {:>9} {:>6} {:>9} {:>5.1f}%  {}\n", c.value("x", 0), c.value("y", 0),
                    c.value("neurons", 0), c.value("axons", 0), c.value("synapses", int64_t(0)),
                    100.0 * num(c, "fill"), c.value("learning", false) ? "yes" : "no");
        }
        if (r.contains("warnings"))
            for (const auto& w : r["warnings"])
                std::cout << "  warning: " << w.get<std::string>() << "\n";
        if (r.contains("passes")) {
            std::cout << "  passes:";
            for (const auto& p : r["passes"])
                std::cout << fmt::format(" {} {:.3f}s", p.value("pass", ""), num(p, "wall_s"));
            std::cout << "\n";
        }
        return 0;
    };
}

}  // namespace sf::cli
