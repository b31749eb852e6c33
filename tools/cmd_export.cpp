// `spikeforge export NETWORK -o MODEL.nir`: a spikeforge network as a NIR file that
// `spikeforge import` (and other NIR tools) read back; it prints the import options that
// give the same network. `spikeforge export NETWORK --activity -o SPIKES.nir [--backend
// reference|functional] ...` runs the network and writes the spikes of every population in
// NIRData, NIR's format for recorded data, so float and chip runs compare in other tools.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "commands.hpp"
#include "sf/compiler/compile.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/functional/functional.hpp"
#include "sf/nir/nir_import.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/encoders.hpp"
#include "sf/reference/snn.hpp"

namespace sf::cli {

namespace {

struct ExportArgs {
    std::string network, out, backend = "reference", chip = "sf1", data, input;
    int64_t samples = 10, first = 0;
    int steps = 0;
    uint64_t seed = 1;
    bool activity = false, json = false;
    int threads = default_thread_count();
};

// One observable per population, filled from (sample, step, population, neuron) events.
struct Raster {
    std::vector<nir::Observable> obs;
    std::map<std::string, int> index;
    void init(const Graph& g, int64_t samples, int steps) {
        for (const auto& p : g.populations) {
            nir::Observable o;
            o.node = p.name;
            o.samples = samples, o.steps = steps, o.neurons = p.size();
            o.data.assign(std::size_t(samples * steps * p.size()), 0.0f);
            index[p.name] = int(obs.size());
            obs.push_back(std::move(o));
        }
    }
    void set(const std::string& pop, int64_t s, int64_t t, int64_t i) {
        nir::Observable& o = obs[std::size_t(index.at(pop))];
        o.data[std::size_t((s * o.steps + t) * o.neurons + i)] = 1.0f;
    }
};

}  // namespace

Action add_export(CLI::App& app) {
    auto a = std::make_shared<ExportArgs>();
    auto* cmd = app.add_subcommand(
        "export", "Write a network as a NIR file, or (--activity) its recorded spikes as NIRData");
    cmd->add_option("network", a->network, "network directory (with network.yaml) or YAML file")
        ->required();
    cmd->add_option("-o,--output", a->out, "NIR file to write (.nir)")->required();
    cmd->add_flag("--activity", a->activity,
                  "run the network and write the spikes of every population (NIRData)");
    cmd->add_option("--backend", a->backend,
                    "with --activity: reference (float, default) or functional (chip)");
    cmd->add_option("--chip", a->chip,
                    "with --backend functional: chip preset or YAML (default sf1)");
    cmd->add_option("--data", a->data,
                    "with --activity: data set to encode (default: the network's)");
    cmd->add_option("--input", a->input,
                    "with --activity: spike file to run instead of a data set");
    cmd->add_option("--samples", a->samples, "with --activity: samples (default 10)");
    cmd->add_option("--first", a->first, "with --activity: first test sample (default 0)");
    cmd->add_option("--steps", a->steps,
                    "with --activity: steps per sample (default: the network's)");
    cmd->add_option("--seed", a->seed, "with --backend functional: placement seed (default 1)");
    cmd->add_flag("--json", a->json, "print one JSON object");
    cmd->add_option("--threads", a->threads,
                    "worker threads over samples for --activity (default: every core); results are identical for any count")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));

    return [a, cmd]() -> int {
        check_output_path(a->out, "-o", false);
        const Graph g = load_network(a->network);
        if (!a->activity) {
            for (const char* o : {"--backend", "--chip", "--data", "--input", "--samples",
                                  "--first", "--steps", "--seed"})
                if (cmd->count(o))
                    throw InputError(std::string(o) + " only applies with --activity", o,
                                     "add --activity to record a run, or leave it out");
            const nir::ExportResult r = nir::export_nir(g);
            nir::write_nir(r.file, a->out);
            const std::string opts = fmt::format("--dt {} --reset {} --refractory {}", r.dt,
                                                 to_string(r.reset), r.refractory_steps);
            if (a->json) {
                nlohmann::json j;
                j["nir"] = a->out;
                j["nodes"] = r.file.graph.nodes.size();
                j["edges"] = r.file.graph.edges.size();
                j["import_options"] = opts;
                j["warnings"] = r.warnings;
                print_json(j);
            } else {
                std::cout << fmt::format("exported '{}' -> {} (NIR {}): {} nodes, {} edges\n",
                                         g.name, a->out, r.file.version, r.file.graph.nodes.size(),
                                         r.file.graph.edges.size());
                std::cout << "  import it with: spikeforge import " << a->out << " " << opts
                          << " -o DIR\n";
            }
            for (const auto& w : r.warnings) std::cerr << "spikeforge: warning: " << w << "\n";
            return 0;
        }

        check_count(*cmd, "--samples", a->samples, 1);
        check_count(*cmd, "--first", a->first, 0);
        check_count(*cmd, "--steps", a->steps, 1);
        if (a->steps > kMaxTimesteps)
            throw InputError("--steps is over the limit", "--steps",
                             "use at most " + std::to_string(kMaxTimesteps));
        if (a->backend != "reference" && a->backend != "functional")
            throw InputError(
                "unknown --backend '" + a->backend + "'", "--backend",
                "use reference or functional (the cycle-level backends are not built yet)");
        if (!a->input.empty() && cmd->count("--data"))
            throw InputError("--data and --input both given", "--input", "give one of them");
        int num_inputs = 0;
        for (const auto* p : g.inputs()) num_inputs += int(p->size());
        const int steps = a->steps > 0 ? a->steps : g.timesteps;
        SpikeInput in;
        if (!a->input.empty()) {
            in = read_spike_file(a->input);
            int num_outputs = 0;
            for (const auto* p : g.outputs()) num_outputs += int(p->size());
            check_spike_input_fits(in, num_inputs, num_outputs, a->input);
        } else {
            const std::string set = a->data.empty() ? g.dataset : a->data;
            if (set.empty())
                throw InputError("the network names no data set", "--data",
                                 "pass --data SET or --input SPIKES");
            const Dataset ds = load_dataset(set, Split::Test, a->first + a->samples);
            if (ds.sample_size() != num_inputs)
                throw InputError("data set '" + set + "' has samples of " +
                                     std::to_string(ds.sample_size()) +
                                     " values but the network takes " + std::to_string(num_inputs),
                                 "--data", "use the data set the network was made for");
            const int64_t count = std::min<int64_t>(a->samples, ds.size() - a->first);
            if (count <= 0)
                throw InputError("--first is past the end of the data set", "--first",
                                 "use a smaller --first");
            in = encode(ds, g.encoder, steps, a->first, count);
        }
        for (auto& s : in.samples)
            if (int(s.steps.size()) < steps) s.steps.resize(std::size_t(steps));
        const int64_t S = int64_t(in.samples.size());
        Raster r;
        r.init(g, S, steps);
        // Input spikes: flat indices over the input populations, in graph order.
        for (int64_t s = 0; s < S; ++s)
            for (int t = 0; t < steps; ++t)
                for (int32_t k : in.samples[std::size_t(s)].steps[std::size_t(t)]) {
                    int32_t off = k;
                    for (const auto* p : g.inputs()) {
                        if (off < p->size()) {
                            r.set(p->name, s, t, off);
                            break;
                        }
                        off -= int32_t(p->size());
                    }
                }
        double accuracy = -1;
        int threads_used = 1;
        if (a->backend == "reference") {
            SnnSimulator sim(g);
            SnnRunOptions ro;
            ro.steps = steps;
            ro.record_spikes = true;
            ro.threads = a->threads;
            SnnResult res = sim.run(in, ro);
            accuracy = res.run.accuracy();
            threads_used = res.run.threads;
            for (int64_t s = 0; s < S; ++s) {
                const SnnSampleRecord& rec = res.records[std::size_t(s)];
                for (std::size_t p = 0; p < g.populations.size(); ++p) {
                    if (g.populations[p].kind == NeuronKind::Input || p >= rec.spikes.size())
                        continue;
                    for (int t = 0; t < steps && t < int(rec.spikes[p].size()); ++t)
                        for (int32_t i : rec.spikes[p][std::size_t(t)])
                            r.set(g.populations[p].name, s, t, i);
                }
            }
        } else {
            const ChipConfig chip = load_chip(a->chip);
            CompileOptions co;
            co.seed = a->seed;
            const CompileResult c = compile(g, chip, co);
            RunOptions ro;
            ro.steps = steps;
            ro.record = RecordSpikes;
            ro.threads = a->threads;
            const RunResult res = run_functional(c.image, in, ro);
            accuracy = res.accuracy();
            threads_used = res.threads;
            for (int64_t s = 0; s < S; ++s) {
                const SampleResult& sr = res.samples[std::size_t(s)];
                for (int t = 0; t < steps && t < int(sr.raster.size()); ++t)
                    for (const ChipSpike& sp : sr.raster[std::size_t(t)]) {
                        const CoreImage& core = c.image.cores[std::size_t(sp.core)];
                        const int32_t pop = core.neuron_pop[std::size_t(sp.neuron)];
                        r.set(c.image.populations[std::size_t(pop)].name, s, t,
                              core.neuron_index[std::size_t(sp.neuron)]);
                    }
            }
        }
        nir::Recording rec;
        rec.dt = std::stod(fmt::format("{}", g.dt_ms)) / 1000.0;  // 0.1 ms is 1e-4 s exactly
        rec.observables = std::move(r.obs);
        uint64_t spikes = 0;
        for (const auto& o : rec.observables)
            for (float v : o.data) spikes += v != 0.0f;
        nir::write_nir_data(rec, a->out);
        if (a->json) {
            nlohmann::json j;
            j["nirdata"] = a->out;
            j["backend"] = a->backend;
            j["samples"] = S;
            j["steps"] = steps;
            j["spikes"] = spikes;
            j["accuracy"] = accuracy;
            j["threads"] = threads_used;
            print_json(j);
        } else {
            std::cout << fmt::format(
                "recorded '{}' on {} ({} samples x {} steps, {} spikes incl. input) -> {}\n",
                g.name, a->backend, S, steps, spikes, a->out);
        }
        return 0;
    };
}

}  // namespace sf::cli
