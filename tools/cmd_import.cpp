// `spikeforge import MODEL.nir -o NETWORK_DIR [--dt S] [--method euler|exp]
//  [--reset zero|subtract] [--refractory N] [--timesteps N] ...`: a NIR file (HDF5) to a
// spikeforge network directory (network.yaml, weights.npz, nir-import.yaml). NIR's
// equations are continuous in time; the options are the discretization (docs/nir.md),
// and they are written into the network.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/nir/nir_import.hpp"

namespace sf::cli {

namespace {

struct ImportArgs {
    std::string file, out, method = "euler", reset = "zero", encoder = "rate", name, dataset;
    double dt = 1e-3, max_rate = 1.0, gain = 1.0;
    int refractory = 0, timesteps = 20;
    bool json = false;
    int threads = default_thread_count();
};

}  // namespace

Action add_import(CLI::App& app) {
    auto a = std::make_shared<ImportArgs>();
    auto* cmd = app.add_subcommand("import", "Turn a NIR file into a spikeforge network directory");
    cmd->add_option("file", a->file, "NIR file (HDF5, as nir.write() writes it)")->required();
    cmd->add_option("-o,--output", a->out, "network directory to write")->required();
    cmd->add_option("--dt", a->dt,
                    "time step in the file's time unit, seconds for every exporter (default 1e-3)");
    cmd->add_option("--method", a->method,
                    "euler (decay = dt/tau, default) or exp (1 - exp(-dt/tau))");
    cmd->add_option("--reset", a->reset,
                    "zero (NIR's v := v_reset, default) or subtract (snnTorch's default)");
    cmd->add_option("--refractory", a->refractory,
                    "refractory period of spiking neurons in steps (default 0)");
    cmd->add_option("--timesteps", a->timesteps,
                    "steps per sample recorded in the network (default 20)");
    cmd->add_option("--name", a->name, "network name (default: the file's name)");
    cmd->add_option("--dataset", a->dataset,
                    "default data set of the network (fashion-mnist, mnist, digits)");
    cmd->add_option("--encoder", a->encoder, "input encoder: rate (default), direct or latency");
    cmd->add_option("--max-rate", a->max_rate,
                    "rate encoder: spike probability at intensity 1 (default 1)");
    cmd->add_option("--gain", a->gain,
                    "direct encoder: current per step at intensity 1 (default 1)");
    cmd->add_flag("--json", a->json, "print one JSON object instead of the mapping");
    cmd->add_option("--threads", a->threads,
                    "worker threads (default: every core); this command runs on one thread for now")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));

    return [a, cmd]() -> int {
        nir::ImportOptions opt;
        opt.dt = a->dt;
        if (a->method == "euler")
            opt.method = nir::Method::Euler;
        else if (a->method == "exp")
            opt.method = nir::Method::Exp;
        else
            throw InputError("unknown --method '" + a->method + "'", "--method",
                             "use euler or exp");
        if (a->reset == "zero")
            opt.reset = ResetMode::Zero;
        else if (a->reset == "subtract")
            opt.reset = ResetMode::Subtract;
        else
            throw InputError("unknown --reset '" + a->reset + "'", "--reset",
                             "use zero or subtract");
        check_count(*cmd, "--refractory", a->refractory, 0);
        check_count(*cmd, "--timesteps", a->timesteps, 1);
        if (a->timesteps > kMaxTimesteps)
            throw InputError("--timesteps " + std::to_string(a->timesteps) + " is over the limit",
                             "--timesteps", "use at most " + std::to_string(kMaxTimesteps));
        opt.refractory_steps = a->refractory;
        opt.timesteps = a->timesteps;
        opt.name = a->name;
        opt.dataset = a->dataset;
        if (a->encoder == "rate")
            opt.encoder.kind = EncoderKind::Rate;
        else if (a->encoder == "direct")
            opt.encoder.kind = EncoderKind::Direct;
        else if (a->encoder == "latency")
            opt.encoder.kind = EncoderKind::Latency;
        else
            throw InputError("unknown --encoder '" + a->encoder + "'", "--encoder",
                             "use rate, direct or latency");
        if (!(a->max_rate >= 0 && a->max_rate <= 1))
            throw InputError("--max-rate must be in [0, 1]", "--max-rate", "give a probability");
        if (!(a->gain >= 0))
            throw InputError("--gain must be >= 0", "--gain", "give a current >= 0");
        opt.encoder.max_rate = float(a->max_rate);
        opt.encoder.gain = float(a->gain);
        check_output_path(a->out, "-o", true);

        const nir::File f = nir::read_nir(a->file);
        const nir::ImportResult r = nir::import_nir(f, opt);
        nir::save_imported(r, opt, a->file, a->out);

        if (a->json) {
            nlohmann::json j;
            j["network"] = a->out;
            j["name"] = r.graph.name;
            j["nir_version"] = f.version;
            j["dt_s"] = opt.dt;
            j["method"] = to_string(opt.method);
            j["reset"] = to_string(opt.reset);
            j["refractory"] = opt.refractory_steps;
            j["populations"] = r.graph.populations.size();
            j["projections"] = r.graph.projections.size();
            j["mapping"] = r.mapping;
            j["warnings"] = r.warnings;
            j["threads"] = 1;  // serial for now: --threads is accepted and checked
            print_json(j);
            return 0;
        }
        std::cout << fmt::format("imported {} (NIR {}) -> {}: {} populations, {} projections\n",
                                 a->file, f.version, a->out, r.graph.populations.size(),
                                 r.graph.projections.size());
        std::cout << fmt::format("  dt {} s ({} ms), method {}, reset {}, refractory {} steps\n",
                                 opt.dt, r.graph.dt_ms, to_string(opt.method), to_string(opt.reset),
                                 opt.refractory_steps);
        for (const auto& m : r.mapping) std::cout << "  " << m << "\n";
        for (const auto& w : r.warnings) std::cerr << "spikeforge: warning: " << w << "\n";
        return 0;
    };
}

}  // namespace sf::cli
