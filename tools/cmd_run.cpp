// `spikeforge run IMAGE_DIR`: run a compiled chip image on one emulator backend, with input
// from a data set (encoded with the image's encoder) or a spike file, and report accuracy,
// spikes, event counters, energy and wall time; --json gives one JSON object instead.
#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "sf/core/chip_image.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/core/progress.hpp"
#include "sf/core/run_result.hpp"
#include "sf/core/temp_dir.hpp"
#include "sf/functional/functional.hpp"
#ifdef SF_HAVE_SYSTEMC
#include "sf/harness/report.hpp"
#include "sf/systemc/systemc_backend.hpp"
#endif
#ifdef SF_HAVE_RTL
#include "sf/rtl/rtl_backend.hpp"
#endif
#include "sf/reference/datasets.hpp"
#include "sf/reference/encoders.hpp"

namespace sf::cli {
namespace {

struct RunArgs {
    std::string image;
    std::string backend = "functional";
    std::string data;
    std::string input;
    int samples = 100;
    bool samples_given = false;
    int first = 0;
    int steps = 0;
    std::vector<std::string> record;
    bool json = false;
    int threads = default_thread_count();
    std::string out;
    // Cycle-level backends (systemc, rtl).
    std::string trace;        // VCD waveforms
    std::string trace_tiles;  // "x,y;x,y;..." (default: all)
    uint64_t watchdog_cycles = 100000000;
};

// Energy in the unit that keeps 1..999 before the point.
std::string energy_str(double pj) {
    const double a = pj < 0 ? -pj : pj;
    if (a < 1e3) return fmt::format("{:.1f} pJ", pj);
    if (a < 1e6) return fmt::format("{:.2f} nJ", pj / 1e3);
    if (a < 1e9) return fmt::format("{:.2f} uJ", pj / 1e6);
    return fmt::format("{:.2f} mJ", pj / 1e9);
}

unsigned parse_record(const std::vector<std::string>& what) {
    unsigned r = RecordNone;
    for (const auto& w : what) {
        if (w == "spikes")
            r |= RecordSpikes;
        else if (w == "u")
            r |= RecordU;
        else if (w == "v")
            r |= RecordV;
        else if (w == "weights")
            r |= RecordWeights;
        else if (w == "cycles")
            r |= RecordCycles;
        else
            throw InputError("unknown --record value '" + w + "'", "--record",
                             "use spikes, u, v, weights or cycles (several may be given)");
    }
    return r;
}

void check_args(const RunArgs& a, CLI::App& cmd) {
    if (a.backend != "functional" && a.backend != "systemc" && a.backend != "rtl")
        throw InputError("unknown backend '" + a.backend + "'", "--backend",
                         "use functional, systemc or rtl");
    if (cmd.count("--samples") && a.samples <= 0)
        throw InputError("--samples must be positive, got " + std::to_string(a.samples),
                         "--samples", "pass a number of samples of 1 or more");
    if (a.first < 0)
        throw InputError("--first must be 0 or more, got " + std::to_string(a.first), "--first",
                         "pass the index of the first sample to run");
    if (cmd.count("--steps") && (a.steps <= 0 || a.steps > kMaxTimesteps))
        throw InputError(
            "--steps must be positive and at most 2^24, got " + std::to_string(a.steps), "--steps",
            "pass a number of timesteps of 1 or more, or leave it out to use the image's");
    if (!a.data.empty() && !a.input.empty())
        throw InputError("--data and --input both given", "run",
                         "give one input: a data set or a spike file");
#if defined(SF_HAVE_SYSTEMC) && defined(SF_HAVE_RTL)
    const bool built = true;
#elif defined(SF_HAVE_SYSTEMC)
    const bool built = a.backend != "rtl";
#else
    const bool built = a.backend == "functional";
#endif
    if (!built)
        throw InputError("backend '" + a.backend + "' is not built into this spikeforge",
                         "--backend", "use --backend functional (or systemc)");
    if (a.backend == "functional" && (!a.trace.empty() || !a.trace_tiles.empty()))
        throw InputError("--trace needs a cycle-level backend", "--trace",
                         "add --backend systemc");
    if (!a.out.empty() || cmd.count("--out")) check_output_path(a.out, "--out", false);
}

SpikeInput make_input(const RunArgs& a, const ChipImage& img, int steps, std::string& described) {
    if (!a.input.empty()) {
        SpikeInput in = read_spike_file(a.input);
        check_spike_input_fits(in, img.num_inputs, img.num_outputs, a.input);
        // --first / --samples select a range of the file's samples too.
        const size_t first = std::min(in.samples.size(), size_t(a.first));
        size_t count = in.samples.size() - first;
        if (a.samples_given) count = std::min(count, size_t(a.samples));
        std::vector<SampleInput> sel(in.samples.begin() + long(first),
                                     in.samples.begin() + long(first + count));
        in.samples = std::move(sel);
        described = "spike file " + a.input;
        return in;
    }
    const std::string set = a.data.empty() ? img.dataset : a.data;
    if (set.empty())
        throw InputError(
            "no input: the image names no data set and neither --data nor --input was given",
            a.image,
            "pass --data SET (" + fmt::format("{}", fmt::join(dataset_names(), ", ")) +
                ") or --input SPIKES");
    if (steps <= 0)
        throw InputError("the image has no timesteps per sample", a.image, "pass --steps N");
    // The encoded input is held whole: refuse what cannot fit before loading anything.
    if (int64_t(a.samples) * steps > (int64_t(1) << 26))
        throw InputError(fmt::format("--samples {} x {} steps is more than 2^26 sample steps "
                                     "to hold at once",
                                     a.samples, steps),
                         "--samples", "run fewer samples per call (use --first to go on)");
    const Dataset ds = load_dataset(set, Split::Test, int64_t(a.first) + a.samples);
    if (ds.size() <= a.first)
        throw InputError("--first " + std::to_string(a.first) + " is past the end of '" + set +
                             "' (" + std::to_string(ds.size()) + " test samples)",
                         "--first", "pass a smaller --first");
    const int64_t count = std::min<int64_t>(a.samples, ds.size() - a.first);
    described = "data set " + set + " (test split, samples " + std::to_string(a.first) + ".." +
                std::to_string(a.first + count - 1) + ", " + to_string(img.encoder.kind) +
                " encoding)";
    return encode(ds, img.encoder, steps, a.first, count);
}

// Recorded data, both as the chip holds it ([core, neuron], [step][core][neuron]) and per
// network population and neuron index (PopulationInfo core_of / neuron_of), so a user can
// read "neuron 3 of population hidden" without knowing the placement (docs/formats.md).
// "x,y;x,y;..." -> tile indices y * W + x on the image's mesh.
std::vector<int> parse_tiles(const std::string& text, const ChipConfig& chip) {
    std::vector<int> tiles;
    size_t pos = 0;
    while (pos <= text.size() && !text.empty()) {
        const size_t end = std::min(text.find(';', pos), text.size());
        const std::string item = text.substr(pos, end - pos);
        int x = -1, y = -1;
        char extra = 0;
        if (std::sscanf(item.c_str(), "%d,%d%c", &x, &y, &extra) != 2 || x < 0 || y < 0 ||
            x >= chip.mesh_w || y >= chip.mesh_h)
            throw InputError("bad tile '" + item + "' in --trace-tiles", "--trace-tiles",
                             fmt::format("give tiles as x,y;x,y with 0 <= x < {} and 0 <= y < {}",
                                         chip.mesh_w, chip.mesh_h));
        tiles.push_back(y * chip.mesh_w + x);
        pos = end + 1;
    }
    return tiles;
}

RunResult run_backend(const RunArgs& a, const ChipImage& img, const SpikeInput& input,
                      const RunOptions& opt, const std::function<void(int64_t, int64_t)>& progress) {
#ifdef SF_HAVE_SYSTEMC
    if (a.backend == "systemc") {
        SystemCOptions so;
        so.watchdog_cycles = a.watchdog_cycles;
        so.trace_file = a.trace;
        so.trace_tiles = parse_tiles(a.trace_tiles, img.chip);
        return run_systemc(img, input, opt, so, progress);
    }
#endif
#ifdef SF_HAVE_RTL
    if (a.backend == "rtl") {  // the Verilated RTL; --trace writes FST waveforms
        RtlOptions ro;
        ro.watchdog_cycles = a.watchdog_cycles;
        ro.trace_file = a.trace;
        ro.trace_tiles = parse_tiles(a.trace_tiles, img.chip);
        return run_rtl(img, input, opt, ro, progress);
    }
#endif
    return run_functional(img, input, opt, progress);
}

}  // namespace

nlohmann::json recorded_json(const RunResult& r, unsigned rec, const ChipImage& img) {
    // (core, chip neuron) -> (population, index in it), for the spiking populations.
    std::vector<std::vector<std::pair<int32_t, int32_t>>> where(img.cores.size());
    for (size_t c = 0; c < img.cores.size(); ++c)
        where[c].assign(size_t(img.cores[c].num_neurons), {-1, -1});
    for (size_t p = 0; p < img.populations.size(); ++p) {
        const PopulationInfo& pop = img.populations[p];
        for (size_t i = 0; i < pop.core_of.size() && i < pop.neuron_of.size(); ++i) {
            const size_t c = size_t(pop.core_of[i]), n = size_t(pop.neuron_of[i]);
            if (c < where.size() && n < where[c].size()) where[c][n] = {int32_t(p), int32_t(i)};
        }
    }
    auto per_population = [&](const std::vector<std::vector<std::vector<int32_t>>>& trace,
                              const PopulationInfo& pop) {
        nlohmann::json steps = nlohmann::json::array();
        for (const auto& step : trace) {
            std::vector<int32_t> row(pop.core_of.size(), 0);
            for (size_t i = 0; i < row.size(); ++i) {
                const size_t c = size_t(pop.core_of[i]), n = size_t(pop.neuron_of[i]);
                if (c < step.size() && n < step[c].size()) row[i] = step[c][n];
            }
            steps.push_back(std::move(row));
        }
        return steps;
    };

    nlohmann::json j = nlohmann::json::object();
    nlohmann::json pops = nlohmann::json::array();
    for (const auto& p : img.populations)
        pops.push_back({{"name", p.name},
                        {"kind", to_string(p.kind)},
                        {"shape", p.shape},
                        {"output", p.output},
                        {"on_chip", !p.core_of.empty()}});
    j["populations"] = std::move(pops);
    nlohmann::json samples = nlohmann::json::array();
    for (const auto& s : r.samples) {
        nlohmann::json js = nlohmann::json::object();
        js["output_spikes"] = s.output_spikes;
        nlohmann::json by_pop = nlohmann::json::object();
        for (const auto& p : img.populations)
            if (!p.core_of.empty()) by_pop[p.name] = nlohmann::json::object();
        if (rec & RecordSpikes) {
            nlohmann::json raster = nlohmann::json::array();
            for (const auto& p : img.populations)
                if (!p.core_of.empty()) by_pop[p.name]["spikes"] = nlohmann::json::array();
            for (size_t t = 0; t < s.raster.size(); ++t) {
                nlohmann::json st = nlohmann::json::array();
                for (const auto& sp : s.raster[t]) {
                    st.push_back({sp.core, sp.neuron});
                    if (size_t(sp.core) >= where.size() || size_t(sp.neuron) >= where[sp.core].size())
                        continue;
                    const auto [p, i] = where[size_t(sp.core)][size_t(sp.neuron)];
                    if (p >= 0) by_pop[img.populations[size_t(p)].name]["spikes"].push_back({t, i});
                }
                raster.push_back(std::move(st));
            }
            js["raster"] = std::move(raster);
        }
        if (rec & RecordU) js["u"] = s.u_trace;
        if (rec & RecordV) js["v"] = s.v_trace;
        for (const auto& p : img.populations) {
            if (p.core_of.empty()) continue;
            if (rec & RecordU) by_pop[p.name]["u"] = per_population(s.u_trace, p);
            if (rec & RecordV) by_pop[p.name]["v"] = per_population(s.v_trace, p);
        }
        js["by_population"] = std::move(by_pop);
        samples.push_back(std::move(js));
    }
    j["samples"] = std::move(samples);
    if (rec & RecordWeights) j["final_weights"] = r.final_weights;
    j["note"] =
        "by_population: per on-chip population, spikes as [step, neuron index] and u, v as "
        "[step][neuron index] (flat C-order index into the population's shape); raster entries "
        "are [core, neuron]; u and v are [step][core][neuron]; final_weights are "
        "[core][axon * num_neurons + neuron] (docs/formats.md, Recorded data)";
    return j;
}

Action add_run(CLI::App& app) {
    auto a = std::make_shared<RunArgs>();
    auto* cmd = app.add_subcommand("run", "Run a compiled chip image on an emulator backend");
    cmd->add_option("image", a->image, "Chip image directory (from `spikeforge compile`)")
        ->required();
    cmd->add_option("--backend", a->backend, "functional | systemc | rtl (default functional)");
    cmd->add_option("--data", a->data, "Data set to encode (default: the image's data set)");
    cmd->add_option("--samples", a->samples, "Number of samples (default 100)")
        ->transform(whole_number("--samples", 1, 2147483647ULL));
    cmd->add_option("--first", a->first, "Index of the first sample (default 0)")
        ->transform(whole_number("--first", 0, 2147483647ULL));
    cmd->add_option("--input", a->input, "Spike file to run instead of a data set");
    cmd->add_option("--steps", a->steps,
                    "Timesteps per sample (default: the spike file's, else the image's)")
        ->transform(whole_number("--steps", 1, 16777216ULL));
    cmd->add_option("--record", a->record,
                    "Record spikes, u, v and/or weights (a comma list, or the option repeated)")
        ->delimiter(',');
    cmd->add_option("--trace", a->trace,
                    "Write waveforms of the cycle-level chip to this VCD file (GTKWave)");
    cmd->add_option("--trace-tiles", a->trace_tiles,
                    "Tiles to trace, \"x,y;x,y;...\" (default: all)");
    cmd->add_option("--watchdog-cycles", a->watchdog_cycles,
                    "Stop a timestep that runs longer than this many cycles (default 1e8)");
    cmd->add_flag("--json", a->json, "Print one JSON object instead of text");
    cmd->add_option("--threads", a->threads,
                    "workers over samples: threads for functional, forked copies of the chip for systemc and rtl (default: every core); results are identical for any count")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));
    cmd->add_option("--out", a->out, "Write the results with recorded data to this JSON file");

    return [a, cmd]() -> int {
        a->samples_given = cmd->count("--samples") > 0;
        check_args(*a, *cmd);
        const unsigned rec = parse_record(a->record);

        const ChipImage img = load_chip_image(a->image);
        int steps = a->steps > 0 ? a->steps : img.timesteps;
        std::string described;
        const SpikeInput input = make_input(*a, img, steps, described);
        // A spike file carries its own length; without --steps it wins over the image's.
        if (a->steps <= 0 && !a->input.empty()) {
            size_t longest = 0;
            for (const auto& s : input.samples) longest = std::max(longest, s.steps.size());
            if (longest > 0) steps = int(longest);
        }
        // --steps that differs from the spike file's length is allowed (a run may look past
        // the input, or at its start) but said, since it is more often a slip.
        std::vector<std::string> warnings;
        if (a->steps > 0 && !a->input.empty()) {
            size_t longest = 0;
            for (const auto& s : input.samples) longest = std::max(longest, s.steps.size());
            if (longest > 0 && size_t(a->steps) != longest)
                warnings.push_back(fmt::format(
                    "--steps {} differs from the {} steps per sample of the spike file {}: {}; "
                    "fix: leave --steps out to run the file's length",
                    a->steps, longest, a->input,
                    size_t(a->steps) > longest
                        ? fmt::format("steps {}..{} run with no input", longest, a->steps - 1)
                        : fmt::format("the file's steps {}..{} are not run", a->steps,
                                      longest - 1)));
        }
        if (steps <= 0)
            throw InputError("the image has no timesteps per sample", a->image, "pass --steps N");
        if (input.samples.empty())
            throw InputError("no samples to run in " + described, "run",
                             "check --first and --samples");

        RunOptions opt;
        opt.steps = steps;
        opt.record = rec;
        opt.threads = a->threads;
        const bool bar = stderr_is_tty() && !a->json;
        Progress progress("run", int64_t(input.samples.size()), bar);
        auto on_progress = [&](int64_t done, int64_t) { progress.update(done); };
        const RunResult r = run_backend(*a, img, input, opt, on_progress);
        progress.finish();

        const Energy e = energy_of(r.counters, img.chip);
        const double acc = r.accuracy();
        const size_t n = r.samples.size();

        nlohmann::json j;
        j["image"] = a->image;
        j["network"] = img.network;
        j["backend"] = r.backend;
        j["input"] = described;
        j["steps"] = r.steps;
        j["samples"] = n;
        j["threads"] = r.threads;
        j["spikes_total"] = r.spikes_total();
        j["counters"] = r.counters.by_name();
        j["energy_pj"] = {{"total", e.total_pj}, {"by_kind", e.by_kind_pj}};
        j["energy_source"] = img.chip.energy.source;
        j["wall_s"] = r.wall_s;
#ifdef SF_HAVE_SYSTEMC
        const nlohmann::json cycle_report = harness::cycle_report_json(r, rec & RecordCycles);
        for (auto& kv : cycle_report.items()) j[kv.key()] = kv.value();
#endif
        if (acc >= 0) j["accuracy"] = acc;
        const bool membrane = !r.samples.empty() && !r.samples[0].output_v_sum.empty();
        j["readout"] = membrane ? "membrane" : "spike_count";
        nlohmann::json counts = nlohmann::json::array();
        for (const auto& s : r.samples) counts.push_back(s.output_counts);
        j["output_counts"] = std::move(counts);
        if (membrane) {  // the LI outputs' summed membrane, which the decision reads
            nlohmann::json sums = nlohmann::json::array();
            for (const auto& s : r.samples) sums.push_back(s.output_v_sum);
            j["output_v_sum"] = std::move(sums);
        }
        nlohmann::json preds = nlohmann::json::array();
        for (const auto& s : r.samples) preds.push_back(s.predicted);
        j["predicted"] = std::move(preds);
        // The data set's labels (-1 where unknown), so a recorded run can be analysed
        // (spikeforge simulate --analyse --recorded FILE).
        if (acc >= 0) {
            nlohmann::json labels = nlohmann::json::array();
            for (const auto& s : r.samples) labels.push_back(s.label);
            j["labels"] = std::move(labels);
        }
        j["state_wraps"] = r.state_wraps;
        if (r.state_wraps > 0)
            warnings.push_back(fmt::format(
                "the neuron current u overflowed its {}-bit state and wrapped round (sign flip) "
                "in {} neuron updates, so the chip diverges from the float network; fix: raise "
                "neuron.state_bits in the chip YAML (or use narrower weights)",
                img.chip.state_bits, r.state_wraps));
        j["warnings"] = warnings;

        if (!a->out.empty()) {
            nlohmann::json full = j;
            full["recorded"] = recorded_json(r, rec, img);
            write_file_atomically(a->out, full.dump() + "\n");
        } else if (rec != RecordNone && a->json) {
            j["recorded"] = recorded_json(r, rec, img);
        }

        if (a->json) {
            print_json(j);
            return 0;
        }
        for (const auto& w : warnings) std::cerr << "spikeforge: warning: " << w << "\n";
        std::cout << fmt::format("image     {} (network '{}', {} cores)\n", a->image, img.network,
                                 img.cores.size());
        std::cout << fmt::format("backend   {}\n", r.backend);
        std::cout << fmt::format("input     {}\n", described);
        std::cout << fmt::format("samples   {} x {} steps\n", n, r.steps);
        if (acc >= 0) {
            int labelled = 0, correct = 0;
            for (const auto& s : r.samples)
                if (s.label >= 0) {
                    ++labelled;
                    correct += s.predicted == s.label ? 1 : 0;
                }
            std::cout << fmt::format("accuracy  {:.2f}% ({} / {})\n", 100.0 * acc, correct,
                                     labelled);
        }
        std::cout << fmt::format("spikes    {} ({:.1f} per sample)\n", r.spikes_total(),
                                 n ? double(r.spikes_total()) / double(n) : 0.0);
        std::cout << "counters\n";
        for (const auto& kv : r.counters.by_name())
            std::cout << fmt::format("  {:<24} {}\n", kv.first, kv.second);
        std::cout << fmt::format(
            "energy    {} total, {} per sample{}\n", energy_str(e.total_pj),
            energy_str(n ? e.total_pj / double(n) : 0.0),
            img.chip.energy.source.empty() ? "" : " (table: " + img.chip.energy.source + ")");
        for (const auto& kv : e.by_kind_pj)
            if (kv.second != 0.0)
                std::cout << fmt::format("  {:<24} {}\n", kv.first, energy_str(kv.second));
#ifdef SF_HAVE_SYSTEMC
        std::cout << harness::cycle_report_text(r, rec & RecordCycles);
#endif
        std::cout << fmt::format("wall time {:.3f} s ({:.1f} samples/s)\n", r.wall_s,
                                 r.wall_s > 0 ? double(n) / r.wall_s : 0.0);
        if (!a->out.empty())
            std::cout << fmt::format("wrote     {}\n", a->out);
        else if (rec != RecordNone)
            std::cout << "note      recorded data is written with --out FILE or --json\n";
        return 0;
    };
}

}  // namespace sf::cli
