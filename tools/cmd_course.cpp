// `spikeforge course ...`: the models of the neuroscience course (docs/course.md) from the
// command line. Single neurons (adaptive LIF, AdEx, Izhikevich, Hodgkin-Huxley) driven by
// a step current, their f-I curves, PCA by Sanger's Hebbian network on a data set, and the
// analysis of a network run (tuning, mutual information, ablation) in the float reference.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "analyse.hpp"
#include "commands.hpp"
#include "sf/analysis/backends.hpp"
#include "sf/compiler/compile.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/core/temp_dir.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/encoders.hpp"
#include "sf/reference/eprop.hpp"
#include "sf/reference/feedback_alignment.hpp"
#include "sf/reference/hebbian.hpp"
#include "sf/reference/neuron_models.hpp"
#include "sf/reference/run_analysis.hpp"
#include "sf/reference/snn.hpp"
#include "sf/reference/spike_stats.hpp"

namespace sf::cli {
namespace {

struct NeuronArgs {
    std::string model = "izhikevich", preset = "rs";
    double current = 10.0, duration_ms = 500.0, dt_ms = 0.0, skip_ms = 0.0;
    std::vector<double> currents;
    bool json = false;
    int threads = default_thread_count();
};

// The step size each model is checked with in tests/course: fine enough for its method.
double default_dt(const std::string& model) {
    if (model == "hh" || model == "adex") return 0.01;
    return 0.1;
}

std::vector<double> run_model(const NeuronArgs& a, double current) {
    using namespace sf::neurons;
    const double dt = a.dt_ms > 0 ? a.dt_ms : default_dt(a.model);
    const Current i = constant_current(current);
    if (a.model == "lif") return run_alif(AlifParams{}, i, a.duration_ms, dt).spike_times_ms;
    if (a.model == "alif") {
        AlifParams p;
        p.delta_theta_mV = 2.0;
        p.tau_theta_ms = 200.0;
        return run_alif(p, i, a.duration_ms, dt).spike_times_ms;
    }
    if (a.model == "adex") return run_adex(AdexParams{}, i, a.duration_ms, dt).spike_times_ms;
    if (a.model == "izhikevich")
        return run_izhikevich(izhikevich_preset(a.preset), i, a.duration_ms, dt).spike_times_ms;
    if (a.model == "hh") return run_hh(HhParams{}, i, a.duration_ms, dt).spike_times_ms;
    throw InputError("unknown course neuron model '" + a.model + "'", "--model",
                     "use lif, alif, adex, izhikevich or hh");
}

const char* unit_of(const std::string& model) {
    if (model == "hh") return "uA/cm^2";
    if (model == "izhikevich") return "(dimensionless)";
    return "nA";
}

// --threads on every course subcommand: the same range, default and message as the other
// commands. `what` says what the threads split (or that the subcommand runs serially).
void add_threads_option(CLI::App* cmd, int& threads, const std::string& what) {
    cmd->add_option("--threads", threads,
                    what + " (default: every core); results are identical for any count")
        ->transform(whole_number("--threads", 1, (unsigned long long)kMaxThreads));
}

void add_neuron_options(CLI::App* cmd, NeuronArgs& a) {
    cmd->add_option("--model", a.model, "lif, alif, adex, izhikevich or hh (default izhikevich)");
    cmd->add_option("--preset", a.preset, "Izhikevich pattern: rs, ib, ch, fs, lts (default rs)");
    cmd->add_option("--duration", a.duration_ms, "simulated time [ms] (default 500)");
    cmd->add_option("--dt", a.dt_ms, "step [ms] (default 0.01 for hh and adex, else 0.1)");
    cmd->add_flag("--json", a.json, "print one JSON object");
}

// Portable graymap of an 8-bit image, rows x cols, values scaled from [lo, hi].
void write_pgm(const std::string& path, const Eigen::VectorXd& v, int64_t rows, int64_t cols) {
    const double lo = v.minCoeff(), hi = v.maxCoeff();
    std::ostringstream out;
    out << "P2\n" << cols << " " << rows << "\n255\n";
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c)
            out << int(std::lround(255.0 * (v(r * cols + c) - lo) / std::max(1e-12, hi - lo)))
                << (c + 1 < cols ? " " : "\n");
    }
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp) << out.str();
    std::filesystem::rename(tmp, path);
}

}  // namespace

Action add_course(CLI::App& app) {
    auto* course =
        app.add_subcommand("course", "Models of the neuroscience course (docs/course.md)");
    course->require_subcommand(1);

    auto na = std::make_shared<NeuronArgs>();
    auto* neuron = course->add_subcommand("neuron", "Drive one neuron model with a step current");
    add_neuron_options(neuron, *na);
    neuron->add_option("--current", na->current, "step current from t = 0 (default 10)");
    add_threads_option(neuron, na->threads,
                       "accepted for every command; one simulation runs on one thread");

    auto fa = std::make_shared<NeuronArgs>();
    fa->duration_ms = 1000.0;
    fa->skip_ms = 200.0;
    auto* fi = course->add_subcommand("fi", "f-I curve of one neuron model");
    add_neuron_options(fi, *fa);
    fi->add_option("--currents", fa->currents, "currents, comma-separated")
        ->delimiter(',')
        ->required();
    fi->add_option("--skip", fa->skip_ms, "transient left out of the rate [ms] (default 200)");
    add_threads_option(fi, fa->threads, "worker threads over the currents");

    struct PcaArgs {
        std::string data = "digits", out;
        int k = 8, epochs = 30;
        double rate = 0.02;
        int64_t samples = -1;
        uint64_t seed = 1;
        bool json = false;
        int threads = default_thread_count();
    };
    auto pa = std::make_shared<PcaArgs>();
    auto* pca = course->add_subcommand("pca", "PCA by Sanger's Hebbian network on a data set");
    pca->add_option("--data", pa->data, "digits, mnist or fashion-mnist (default digits)");
    pca->add_option("--k", pa->k, "components (neurons) learned (default 8)");
    pca->add_option("--epochs", pa->epochs, "passes over the training split (default 30)");
    pca->add_option("--rate", pa->rate, "learning rate (default 0.02)");
    pca->add_option("--samples", pa->samples, "training samples (default all)");
    pca->add_option("--seed", pa->seed, "seed of the sample order and initial weights");
    pca->add_option("--out", pa->out, "directory for the components as PGM images");
    pca->add_flag("--json", pa->json, "print one JSON object");
    add_threads_option(pca, pa->threads,
                       "accepted for every command; Sanger's rule learns sample by sample, so it "
                       "runs on one thread");

    struct AnalyseArgs {
        std::string network, data, ablate, backend = "reference", chip = "sf1";
        int64_t samples = -1;
        uint64_t seed = 1;
        bool json = false;
        int threads = default_thread_count();
    };
    auto aa = std::make_shared<AnalyseArgs>();
    auto* an = course->add_subcommand(
        "analyse", "Tuning, mutual information and ablation of a network in the float reference");
    an->add_option("network", aa->network, "network directory or network.yaml")->required();
    an->add_option("--data", aa->data, "data set (default: the network's)");
    an->add_option("--samples", aa->samples, "test samples (default all)");
    an->add_option("--ablate", aa->ablate,
                   "POPULATION:FRACTION, e.g. hidden:0.5 (silence that fraction, seeded)");
    an->add_option("--seed", aa->seed, "seed of the silenced neurons (default 1)");
    an->add_option("--backend", aa->backend,
                   "reference (float, default) or a chip backend: functional, systemc, rtl");
    an->add_option("--chip", aa->chip, "chip preset or YAML for a chip backend (default sf1)");
    an->add_flag("--json", aa->json, "print one JSON object");
    add_threads_option(
        an, aa->threads,
        "workers over samples (threads for reference and functional, processes for systemc and rtl)");

    struct NobpArgs {
        std::string data = "fashion-mnist", rule = "fa";
        std::vector<int> hidden{256};
        int epochs = 5, batch = 32;
        float rate = 0.05f, decay = 0.3f;
        int64_t train = -1, test = -1;
        uint64_t seed = 1;
        bool json = false;
        int threads = default_thread_count();
    };
    auto ba = std::make_shared<NobpArgs>();
    auto* nobp = course->add_subcommand(
        "nobp", "Train an MLP by backprop (bp), feedback alignment (fa) or direct FA (dfa)");
    nobp->add_option("--rule", ba->rule, "bp, fa or dfa (default fa)");
    nobp->add_option("--data", ba->data, "fashion-mnist, mnist or digits (default fashion-mnist)");
    nobp->add_option("--hidden", ba->hidden, "hidden sizes, comma-separated (default 256)")
        ->delimiter(',');
    nobp->add_option("--epochs", ba->epochs, "epochs (default 5)");
    nobp->add_option("--batch", ba->batch, "minibatch (default 32)");
    nobp->add_option("--rate", ba->rate, "SGD learning rate (default 0.05)");
    nobp->add_option("--decay", ba->decay, "rate decay per epoch (default 0.3)");
    nobp->add_option("--train", ba->train, "training samples (default all)");
    nobp->add_option("--test", ba->test, "test samples (default all)");
    nobp->add_option("--seed", ba->seed,
                     "seed of weights, feedback matrices and order (default 1)");
    nobp->add_flag("--json", ba->json, "print one JSON object");
    add_threads_option(nobp, ba->threads,
                       "accepted for every command; SGD updates the weights batch by batch, so it "
                       "runs on one thread");

    struct EpropArgs {
        std::string rule = "eprop";
        int hidden = 64, epochs = 5, repeat = 4;
        float rate = 2e-3f;
        uint64_t seed = 1;
        bool json = false;
        int threads = default_thread_count();
    };
    auto ea = std::make_shared<EpropArgs>();
    auto* eprop = course->add_subcommand(
        "eprop", "A recurrent LIF network on sequential 8x8 digits: e-prop or BPTT");
    eprop->add_option("--rule", ea->rule, "eprop, eprop-random or bptt (default eprop)");
    eprop->add_option("--hidden", ea->hidden, "recurrent LIF neurons (default 64)");
    eprop->add_option("--epochs", ea->epochs, "epochs (default 5)");
    eprop->add_option("--repeat", ea->repeat, "steps per image row (default 4: 32 steps)");
    eprop->add_option("--rate", ea->rate, "Adam learning rate (default 0.002)");
    eprop->add_option("--seed", ea->seed, "seed of weights and sample order (default 1)");
    eprop->add_flag("--json", ea->json, "print one JSON object");
    add_threads_option(eprop, ea->threads,
                       "accepted for every command; the learning loop updates the weights sample "
                       "by sample, so it runs on one thread");

    return [=]() -> int {
        if (eprop->parsed()) {
            RnnTrainOptions o;
            if (ea->rule == "eprop" || ea->rule == "eprop-random") {
                o.rule = GradientRule::EProp;
                o.random_feedback = ea->rule == "eprop-random";
            } else if (ea->rule == "bptt") {
                o.rule = GradientRule::Bptt;
            } else {
                throw InputError("unknown rule '" + ea->rule + "'", "--rule",
                                 "use eprop, eprop-random or bptt");
            }
            o.hidden = ea->hidden;
            o.epochs = ea->epochs;
            o.repeat = ea->repeat;
            o.learning_rate = ea->rate;
            o.seed = ea->seed;
            const Dataset tr = load_dataset("digits", Split::Train);
            const Dataset te = load_dataset("digits", Split::Test);
            const auto eps = train_recurrent_digits(tr, te, o);
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& e : eps)
                arr.push_back({{"train_loss", e.train_loss},
                               {"test_accuracy", e.test_accuracy},
                               {"spikes_per_step", e.spikes_per_step}});
            if (ea->json) {
                print_json(
                    {{"rule", ea->rule}, {"seed", ea->seed}, {"threads", 1}, {"epochs", arr}});
                return 0;
            }
            std::cout << fmt::format(
                "{} on sequential digits ({} recurrent LIF, {} steps, seed {})\n", ea->rule,
                ea->hidden, 8 * ea->repeat, ea->seed);
            for (size_t e = 0; e < eps.size(); ++e)
                std::cout << fmt::format(
                    "  epoch {:2}  loss {:.4f}  test accuracy {:6.2f}%  "
                    "spikes per neuron and step {:.3f}\n",
                    e + 1, eps[e].train_loss, 100.0 * eps[e].test_accuracy, eps[e].spikes_per_step);
            return 0;
        }
        if (nobp->parsed()) {
            FaOptions o;
            o.rule = parse_feedback_rule(ba->rule);
            o.hidden = ba->hidden;
            o.epochs = ba->epochs;
            o.batch = ba->batch;
            o.learning_rate = ba->rate;
            o.rate_decay = ba->decay;
            o.seed = ba->seed;
            const Dataset tr = load_dataset(ba->data, Split::Train, ba->train);
            const Dataset te = load_dataset(ba->data, Split::Test, ba->test);
            const FaResult r = train_mlp_feedback(tr, te, o);
            nlohmann::json eps = nlohmann::json::array();
            for (const auto& e : r.epochs)
                eps.push_back({{"train_loss", e.train_loss},
                               {"test_accuracy", e.test_accuracy},
                               {"weight_angle_deg", e.weight_angle_deg},
                               {"signal_angle_deg", e.signal_angle_deg}});
            if (ba->json) {
                print_json({{"rule", to_string(o.rule)},
                            {"data", ba->data},
                            {"seed", ba->seed},
                            {"train_samples", tr.size()},
                            {"test_samples", te.size()},
                            {"threads", 1},
                            {"epochs", eps}});
                return 0;
            }
            std::cout << fmt::format("{} on {} ({} training, {} test samples, seed {})\n",
                                     to_string(o.rule), ba->data, tr.size(), te.size(), ba->seed);
            for (size_t e = 0; e < r.epochs.size(); ++e) {
                const auto& x = r.epochs[e];
                std::cout << fmt::format("  epoch {:2}  loss {:.4f}  test accuracy {:6.2f}%", e + 1,
                                         x.train_loss, 100.0 * x.test_accuracy);
                for (size_t l = 0; l < x.signal_angle_deg.size(); ++l)
                    std::cout << fmt::format("  layer {}: signal {:5.1f} deg, weights {:5.1f} deg",
                                             l + 1, x.signal_angle_deg[l], x.weight_angle_deg[l]);
                std::cout << "\n";
            }
            return 0;
        }
        if (neuron->parsed()) {
            const auto t = run_model(*na, na->current);
            nlohmann::json j{{"model", na->model},
                             {"current", na->current},
                             {"current_unit", unit_of(na->model)},
                             {"duration_ms", na->duration_ms},
                             {"spikes", t.size()},
                             {"rate_hz", firing_rate_hz(t, na->duration_ms)},
                             {"isi_ms", inter_spike_intervals(t)},
                             {"threads", 1}};
            if (na->model == "izhikevich") j["preset"] = na->preset;
            if (t.size() >= 3) j["isi_cv"] = isi_cv(t);
            if (na->json) {
                print_json(j);
                return 0;
            }
            std::cout << fmt::format("{} at {} {}: {} spikes in {} ms ({:.1f} Hz)", na->model,
                                     na->current, unit_of(na->model), t.size(), na->duration_ms,
                                     j["rate_hz"].get<double>());
            if (j.contains("isi_cv"))
                std::cout << fmt::format(", ISI CV {:.3f}", j["isi_cv"].get<double>());
            std::cout << "\n  ISIs [ms]:";
            for (double x : inter_spike_intervals(t)) std::cout << fmt::format(" {:.1f}", x);
            std::cout << "\n";
            return 0;
        }
        if (fi->parsed()) {
            // Each current is its own simulation: contiguous runs of currents per thread,
            // each rate written to its own slot, so the curve is the same for any count.
            const auto& cur = fa->currents;
            const int64_t n = int64_t(cur.size());
            std::vector<double> rates(cur.size());
            parallel_chunks(n, fa->threads, [&](int, int64_t b, int64_t e) {
                for (int64_t k = b; k < e; ++k)
                    rates[size_t(k)] = firing_rate_hz(run_model(*fa, cur[size_t(k)]), fa->skip_ms,
                                                      fa->duration_ms);
            });
            const int used = std::max(1, parallel_chunk_count(n, fa->threads));
            if (fa->json) {
                print_json({{"model", fa->model},
                            {"current_unit", unit_of(fa->model)},
                            {"currents", fa->currents},
                            {"rate_hz", rates},
                            {"threads", used}});
                return 0;
            }
            std::cout << fmt::format("f-I curve of {} (rate after {} ms of {} ms)\n", fa->model,
                                     fa->skip_ms, fa->duration_ms);
            for (size_t k = 0; k < rates.size(); ++k)
                std::cout << fmt::format("  {:>8} {:<15} {:7.1f} Hz\n", fa->currents[k],
                                         unit_of(fa->model), rates[k]);
            return 0;
        }
        if (pca->parsed()) {
            if (!pa->out.empty()) check_output_path(pa->out, "--out", true);
            const Dataset ds = load_dataset(pa->data, Split::Train, pa->samples);
            Eigen::MatrixXd x(ds.size(), ds.sample_size());
            for (int64_t i = 0; i < ds.size(); ++i)
                for (int64_t j = 0; j < ds.sample_size(); ++j) x(i, j) = ds.sample(i)[j];
            HebbianParams p;
            p.learning_rate = pa->rate;
            p.epochs = pa->epochs;
            p.rate_decay = 0.3;
            p.seed = pa->seed;
            const Eigen::MatrixXd w = train_sanger(x, pa->k, p);
            const Eigen::MatrixXd e = covariance_eigenvectors(x, pa->k);
            const Eigen::VectorXd ev = covariance_eigenvalues(x);
            const double n = double(x.rows());
            nlohmann::json rows = nlohmann::json::array();
            for (int k = 1; k <= pa->k; ++k) {
                const Eigen::VectorXd wk = w.row(k - 1).transpose(), ek = e.row(k - 1).transpose();
                rows.push_back({{"k", k},
                                {"reconstruction_error", reconstruction_error(x, w.topRows(k))},
                                {"optimum", ev.tail(ev.size() - k).sum() * (n - 1) / n},
                                {"abs_cos_to_eigenvector", std::fabs(wk.dot(ek)) / wk.norm()}});
            }
            if (!pa->out.empty()) {
                std::filesystem::create_directories(pa->out);
                const int64_t h = ds.sample_shape.at(ds.sample_shape.size() - 2);
                const int64_t wd = ds.sample_shape.back();
                for (int k = 0; k < pa->k; ++k)
                    write_pgm(pa->out + fmt::format("/pc{}.pgm", k), w.row(k).transpose(), h, wd);
                // The reconstruction error against k, beside the images.
                std::string csv = "k,reconstruction_error,optimum,abs_cos_to_eigenvector\n";
                for (const auto& r : rows)
                    csv += fmt::format("{},{:.6f},{:.6f},{:.6f}\n", r["k"].get<int>(),
                                       r["reconstruction_error"].get<double>(),
                                       r["optimum"].get<double>(),
                                       r["abs_cos_to_eigenvector"].get<double>());
                write_file_atomically(pa->out + "/reconstruction.csv", csv);
            }
            const nlohmann::json j{{"data", pa->data},
                                   {"samples", ds.size()},
                                   {"total_variance", ev.sum() * (n - 1) / n},
                                   {"threads", 1},
                                   {"components", rows}};
            if (pa->json) {
                print_json(j);
                return 0;
            }
            std::cout << fmt::format("Sanger PCA on {} ({} samples, total variance {:.4f})\n",
                                     pa->data, ds.size(), j["total_variance"].get<double>());
            std::cout << "   k  recon. error  optimum  |cos| to eigenvector k\n";
            for (const auto& r : rows)
                std::cout << fmt::format("  {:2}  {:12.4f}  {:7.4f}  {:.4f}\n", r["k"].get<int>(),
                                         r["reconstruction_error"].get<double>(),
                                         r["optimum"].get<double>(),
                                         r["abs_cos_to_eigenvector"].get<double>());
            return 0;
        }
        // analyse: the same analysis as spikeforge simulate --analyse (analyse.hpp), on the
        // float reference or, compiled for --chip, on a chip backend.
        const Graph g = load_network(aa->network);
        const std::string data = aa->data.empty() ? g.dataset : aa->data;
        if (data.empty())
            throw InputError("the network names no data set", "--data", "give --data digits");
        const Dataset ds = load_dataset(data, Split::Test, aa->samples);
        const NetworkRunner run = aa->backend == "reference"
                                      ? float_runner(ds, aa->threads)
                                      : chip_runner(ds, aa->backend, aa->chip, aa->threads);
        nlohmann::json j = analyse_network(g, run, aa->ablate, "--ablate", aa->seed);
        j["data"] = data;
        j["backend"] = aa->backend;
        if (aa->json) {
            print_json(j);
            return 0;
        }
        print_analysis(j);
        return 0;
    };
}

}  // namespace sf::cli
