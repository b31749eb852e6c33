// spikeforge simulate: run a network in float (the reference simulator) on samples of a
// data set, encoded by the network's encoder exactly as for the chip; report accuracy,
// spike counts and wall time, and optionally record spikes and states to an .npz file.
#include <cstdio>
#include <memory>

#include "analyse.hpp"
#include "commands.hpp"
#include "sf/analysis/analysis_report.hpp"
#include "sf/core/error.hpp"
#include "sf/core/graph.hpp"
#include "sf/core/parallel.hpp"
#include "sf/core/temp_dir.hpp"
#include "sf/core/tensor.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/snn.hpp"

namespace sf::cli {

namespace {

struct SimulateArgs {
    std::string network, data, out;
    int64_t samples = -1;
    int steps = 0;
    std::vector<std::string> record;
    std::vector<std::string> populations;
    bool json = false;
    int threads = default_thread_count();
    // --analyse: rates, ISI, information, tuning, f-I and ablation (analyse.hpp).
    bool analyse = false;
    std::string ablate, recorded, report;
    uint64_t seed = 1;
};

// Recorded traces as arrays: <pop>.spikes u8 [S, T, n], <pop>.u / <pop>.v f32 [S, T, n].
void write_records(const std::string& path, const Graph& g, const SnnResult& r, int T) {
    std::map<std::string, Tensor> arrays;
    const int64_t S = int64_t(r.records.size());
    std::vector<int32_t> labels, predicted;
    for (const auto& s : r.run.samples) {
        labels.push_back(s.label);
        predicted.push_back(s.predicted);
    }
    arrays["labels"] = Tensor::from<int32_t>(labels, {int64_t(labels.size())});
    arrays["predicted"] = Tensor::from<int32_t>(predicted, {int64_t(predicted.size())});
    for (size_t k = 0; k < g.populations.size(); ++k) {
        const int64_t n = g.populations[k].size();
        const std::string& name = g.populations[k].name;
        if (S > 0 && !r.records[0].spikes.empty() && !r.records[0].spikes[k].empty()) {
            std::vector<uint8_t> sp(size_t(S * T * n), 0);
            for (int64_t s = 0; s < S; ++s)
                for (int t = 0; t < T; ++t)
                    for (int32_t i : r.records[size_t(s)].spikes[k][size_t(t)])
                        sp[size_t((s * T + t) * n + i)] = 1;
            arrays[name + ".spikes"] = Tensor::from<uint8_t>(sp, {S, T, n});
        }
        for (int which = 0; which < 2; ++which) {
            if (S == 0) break;
            const auto& first = which ? r.records[0].v : r.records[0].u;
            if (first.empty() || first[k].empty()) continue;
            std::vector<float> x;
            x.reserve(size_t(S * T * n));
            for (const auto& rec : r.records) {
                const auto& tr = which ? rec.v[k] : rec.u[k];
                x.insert(x.end(), tr.begin(), tr.end());
            }
            arrays[name + (which ? ".v" : ".u")] = Tensor::from<float>(x, {S, T, n});
        }
    }
    write_npz(path, arrays);
}

int run_analyse(const SimulateArgs& a, CLI::App& cmd) {
    check_count(cmd, "--samples", a.samples, 1);
    if (!a.report.empty()) check_output_path(a.report, "--report", false);
    nlohmann::json j;
    if (!a.recorded.empty()) {
        for (const char* o : {"--ablate", "--record", "--out", "--steps", "--data", "--samples"})
            if (cmd.count(o))
                throw InputError(std::string(o) + " does not apply to a recorded run", o,
                                 std::string(o) == "--ablate"
                                     ? "ablation reruns the network: spikeforge course analyse "
                                       "NETWORK --backend functional --ablate POP:FRACTION"
                                     : "leave it out; the file holds what was run");
        if (!a.network.empty())
            throw InputError("give either a network or --recorded FILE, not both", a.network,
                             "the recorded run already holds what the chip did");
        j = analyse_recorded_run(a.recorded);
    } else {
        if (a.network.empty())
            throw InputError("no network given", "simulate --analyse",
                             "spikeforge simulate NETWORK --analyse, or --recorded FILE for a "
                             "chip run");
        for (const char* o : {"--record", "--out", "--steps"})
            if (cmd.count(o))
                throw InputError(std::string(o) + " does not apply to --analyse", o,
                                 "leave it out: the analysis records what it needs");
        const Graph g = load_network(a.network);
        const std::string set = a.data.empty() ? g.dataset : a.data;
        if (set.empty())
            throw InputError("no data set given and the network names none", a.network,
                             "pass --data fashion-mnist (or mnist, digits)");
        const Dataset ds = load_dataset(set, Split::Test, a.samples);
        j = analyse_network(g, float_runner(ds, a.threads), a.ablate, "--ablate", a.seed);
        j["data"] = set;
        j["backend"] = "reference";
    }
    if (!a.report.empty()) write_file_atomically(a.report, analysis_html(j));
    if (a.json) {
        print_json(j);
        return 0;
    }
    print_analysis(j);
    if (!a.report.empty()) std::printf("report page written to %s\n", a.report.c_str());
    return 0;
}

}  // namespace

Action add_simulate(CLI::App& app) {
    auto a = std::make_shared<SimulateArgs>();
    auto* cmd = app.add_subcommand("simulate", "run a network in float (reference simulator) on a data set");
    cmd->add_option("network", a->network, "network directory or network.yaml");
    cmd->add_option("--data", a->data, "data set: fashion-mnist, mnist, digits (default: the network's)");
    cmd->add_option("--samples", a->samples, "number of test samples (default: all)")
        ->transform(whole_number("--samples", 1, 9223372036854775807ULL));
    cmd->add_option("--steps", a->steps, "steps per sample (default: the network's timesteps)")
        ->transform(whole_number("--steps", 1, 16777216ULL));
    cmd->add_option("--record", a->record, "record spikes, u and/or v (a comma list, or repeated)")
        ->delimiter(',')
        ->check(CLI::IsMember({"spikes", "u", "v"}));
    cmd->add_option("--populations", a->populations, "populations to record (default: all)");
    cmd->add_option("--out", a->out, "write the recorded traces to this .npz file");
    cmd->add_flag("--json", a->json, "print the result as one JSON line");
    cmd->add_option("--threads", a->threads,
                    "worker threads over samples (default: every core); results are identical for any count")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));
    cmd->add_flag("--analyse", a->analyse,
                  "analyse the run: output tuning and I(class; count), per population rates, ISI "
                  "CV, count entropy, I(class; count) and an f-I curve (docs/course.md)");
    cmd->add_option("--ablate", a->ablate,
                    "with --analyse: POPULATION:FRACTION, silence a seeded fraction of a "
                    "population and report the accuracy drop");
    cmd->add_option("--seed", a->seed, "with --ablate: seed of the silenced neurons (default 1)")
        ->transform(whole_number("--seed", 0, 18446744073709551615ULL));
    cmd->add_option("--recorded", a->recorded,
                    "with --analyse: analyse a chip run written by spikeforge run --record "
                    "spikes,u --out FILE instead of simulating");
    cmd->add_option("--report", a->report, "with --analyse: also write the analysis as an HTML page");
    return [a, cmd]() -> int {
        if (!a->analyse)
            for (const char* o : {"--ablate", "--recorded", "--report", "--seed"})
                if (cmd->count(o))
                    throw InputError(std::string(o) + " applies to --analyse only", o,
                                     std::string("add --analyse, or leave ") + o + " out");
        if (a->analyse) return run_analyse(*a, *cmd);
        if (a->network.empty())
            throw InputError("no network given", "simulate",
                             "spikeforge simulate NETWORK [--data SET] [--samples N]");
        check_count(*cmd, "--samples", a->samples, 1);
        check_count(*cmd, "--steps", a->steps, 1);
        if (a->steps > kMaxTimesteps)
            throw InputError("--steps must lie in [1, 2^24], got " + std::to_string(a->steps),
                             "--steps", "pass fewer steps, or leave it out to use the network's");
        if (cmd->count("--out")) check_output_path(a->out, "--out", false);
        const Graph g = load_network(a->network);
        std::string set = a->data.empty() ? g.dataset : a->data;
        if (set.empty())
            throw InputError("no data set given and the network names none", a->network,
                             "pass --data fashion-mnist (or mnist, digits)");
        const Dataset ds = load_dataset(set, Split::Test, a->samples);
        SnnRunOptions o;
        o.steps = a->steps;
        o.progress = stderr_is_tty() && !a->json;
        o.threads = a->threads;
        o.record_populations = a->populations;
        for (const auto& r : a->record) {
            o.record_spikes |= r == "spikes";
            o.record_u |= r == "u";
            o.record_v |= r == "v";
        }
        if (!a->out.empty() && a->record.empty()) o.record_spikes = true;
        SnnSimulator sim(g);
        const SnnResult r = simulate_dataset(sim, ds, 0, a->samples, o);
        if (!a->out.empty()) write_records(a->out, g, r, r.run.steps);
        const double acc = r.run.accuracy();
        nlohmann::json pops = nlohmann::json::object();
        for (size_t k = 0; k < g.populations.size(); ++k)
            pops[g.populations[k].name] = r.population_spikes[k];
        if (a->json) {
            nlohmann::json j;
            j["accuracy"] = acc;
            j["samples"] = int64_t(r.run.samples.size());
            j["wall_s"] = r.run.wall_s;
            j["threads"] = r.run.threads;
            j["spikes_total"] = r.run.counters.spikes;
            j["syn_ops"] = r.run.counters.syn_ops;
            j["population_spikes"] = pops;
            j["steps"] = r.run.steps;
            j["readout"] = sim.membrane_readout() ? "membrane" : "spike_count";
            j["data"] = set;
            if (!a->out.empty()) j["out"] = a->out;
            print_json(j);
            return 0;
        }
        std::printf("%s on %s: accuracy %.2f%% on %lld samples (%s readout), %d steps each\n",
                    g.name.c_str(), set.c_str(), 100.0 * acc, (long long)r.run.samples.size(),
                    sim.membrane_readout() ? "LI membrane" : "spike count", r.run.steps);
        std::printf("spikes: %llu in total", (unsigned long long)r.run.counters.spikes);
        for (size_t k = 0; k < g.populations.size(); ++k)
            std::printf(", %s %llu", g.populations[k].name.c_str(),
                        (unsigned long long)r.population_spikes[k]);
        std::printf("\nwall time %.2f s\n", r.run.wall_s);
        if (!a->out.empty()) std::printf("recorded traces written to %s\n", a->out.c_str());
        return 0;
    };
}

}  // namespace sf::cli
