#include "sf/analysis/learn.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "sf/analysis/backends.hpp"
#include "sf/analysis/compare.hpp"
#include "sf/compiler/compile.hpp"
#include "sf/core/error.hpp"
#include "sf/core/progress.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/encoders.hpp"
#include "sf/reference/snn.hpp"

namespace sf {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

SpikeInput slice(const SpikeInput& in, size_t first, size_t count) {
    SpikeInput s;
    s.num_inputs = in.num_inputs;
    s.samples.assign(in.samples.begin() + long(first), in.samples.begin() + long(first + count));
    return s;
}

// The digits first..first+count-1 of `in` joined into one sample, each followed by `rest`
// silent steps: the form in which the float simulator (which resets every sample) sees a
// continuous stream.
SpikeInput joined(const SpikeInput& in, size_t first, size_t count, int T, int rest) {
    SpikeInput s;
    s.num_inputs = in.num_inputs;
    SampleInput one;
    one.steps.reserve(count * size_t(T + rest));
    for (size_t k = first; k < first + count; ++k) {
        const auto& st = in.samples[k].steps;
        for (int t = 0; t < T + rest; ++t)
            one.steps.push_back(t < int(st.size()) ? st[size_t(t)] : std::vector<int32_t>{});
    }
    s.samples.push_back(std::move(one));
    return s;
}

// Two spike inputs one after the other (same number of inputs).
SpikeInput concat(SpikeInput a, const SpikeInput& b) {
    a.samples.insert(a.samples.end(), b.samples.begin(), b.samples.end());
    return a;
}

// The image with its current weights and learning switched off (frozen).
ChipImage frozen(ChipImage img) {
    for (auto& c : img.cores) {
        c.learning.enabled = false;
        c.plastic.clear();
    }
    return img;
}

// Spike counts of population `pop` per sample, from chip rasters.
void chip_counts(const ChipImage& img, const RunResult& r, int pop, int64_t size,
                 std::vector<std::vector<int32_t>>& out) {
    for (const auto& s : r.samples) {
        std::vector<int32_t> c(size_t(size), 0);
        for (const auto& st : s.raster)
            for (const auto& sp : st) {
                const CoreImage& ci = img.cores[size_t(sp.core)];
                if (ci.neuron_pop[size_t(sp.neuron)] == pop) ++c[size_t(ci.neuron_index[size_t(sp.neuron)])];
            }
        out.push_back(std::move(c));
    }
}

double accuracy_of(const std::vector<std::vector<int32_t>>& label_counts,
                   const std::vector<int>& label_labels,
                   const std::vector<std::vector<int32_t>>& test_counts,
                   const std::vector<int>& test_labels, int classes, std::vector<int>& assignment,
                   std::vector<int>& predicted) {
    assignment = assign_classes(label_counts, label_labels, classes);
    int64_t ok = 0;
    predicted.clear();
    for (size_t s = 0; s < test_counts.size(); ++s) {
        predicted.push_back(vote(test_counts[s], assignment, classes));
        ok += predicted.back() == test_labels[s];
    }
    return test_counts.empty() ? 0.0 : double(ok) / double(test_counts.size());
}

}  // namespace

std::vector<int> assign_classes(const std::vector<std::vector<int32_t>>& counts,
                                const std::vector<int>& labels, int classes) {
    const size_t n = counts.empty() ? 0 : counts[0].size();
    std::vector<double> sum(n * size_t(classes), 0.0);
    std::vector<int64_t> per_class(size_t(classes), 0);
    for (size_t s = 0; s < counts.size(); ++s) {
        const int c = labels[s];
        if (c < 0 || c >= classes) continue;
        ++per_class[size_t(c)];
        for (size_t i = 0; i < n; ++i) sum[i * classes + size_t(c)] += counts[s][i];
    }
    std::vector<int> a(n, -1);
    for (size_t i = 0; i < n; ++i) {
        double best = 0;
        for (int c = 0; c < classes; ++c) {
            if (!per_class[size_t(c)]) continue;
            const double m = sum[i * classes + size_t(c)] / double(per_class[size_t(c)]);
            if (m > best) {
                best = m;
                a[i] = c;
            }
        }
    }
    return a;
}

int vote(const std::vector<int32_t>& counts, const std::vector<int>& assignment, int classes) {
    std::vector<double> sum(size_t(classes), 0.0);
    std::vector<int> n(size_t(classes), 0);
    for (size_t i = 0; i < counts.size() && i < assignment.size(); ++i) {
        if (assignment[i] < 0) continue;
        sum[size_t(assignment[i])] += counts[i];
        ++n[size_t(assignment[i])];
    }
    int best = -1;
    double best_v = 0;
    for (int c = 0; c < classes; ++c) {
        const double m = n[size_t(c)] ? sum[size_t(c)] / n[size_t(c)] : 0.0;
        if (m > best_v) {
            best_v = m;
            best = c;
        }
    }
    return best;
}

json run_learning(const LearnOptions& o) {
    const auto t_all = Clock::now();
    for (const auto& b : o.backends) chip_backend(b);
    if (o.backends.empty())
        throw InputError("no chip backend to learn on", "--backends", "give --backends functional");
    if (o.train < 1 || o.label < 1 || o.test < 1)
        throw InputError("--train, --label and --test must be 1 or more", "learn",
                         "give positive numbers of digits");
    if (o.rest < 0 || o.rest > 100000)
        throw InputError("--rest " + std::to_string(o.rest) + " is out of range", "learn",
                         "give 0 to 100000 silent steps after each digit");
    const Graph g = load_network(o.network);
    int pop = -1;
    std::string plastic_proj;
    for (const auto& pr : g.projections)
        if (pr.stdp && (o.population.empty() || pr.post == o.population)) {
            pop = g.population_index(pr.post);
            plastic_proj = pr.name;
            break;
        }
    if (pop < 0)
        throw InputError("network '" + g.name + "' has no plastic (stdp) projection" +
                             (o.population.empty() ? "" : " into '" + o.population + "'"),
                         o.network, "add stdp: to the projection that should learn (docs/formats.md)");
    const std::string set = g.dataset.empty() ? "mnist" : g.dataset;
    const int64_t size = g.populations[size_t(pop)].size();
    const ChipConfig chip = load_chip(o.chip);
    prepare_chip_backends(o.backends, chip);
    const int T = g.timesteps;

    auto t0 = Clock::now();
    CompileOptions co;
    co.seed = o.seed;
    const CompileResult cr = compile(g, chip, co);
    std::vector<std::string> warnings;
    for (const auto& p : cr.passes)
        for (const auto& w : p.warnings) warnings.push_back(w);
    const double t_compile = since(t0);

    const int64_t n_fit = std::max(o.train, o.label);
    const Dataset train = load_dataset(set, Split::Train, n_fit + (o.validation ? o.test : 0));
    if (o.validation && train.size() <= n_fit)
        throw InputError(fmt::format("--validation needs training digits after the first {}, "
                                     "but the {} training split has {}",
                                     n_fit, set, train.size()),
                         "learn", "use fewer --train / --label digits");
    const int64_t n_train = std::min<int64_t>(o.train, train.size());
    const int64_t n_label = std::min<int64_t>(o.label, train.size());
    const SpikeInput train_all = encode(train, g.encoder, T, 0, train.size());
    SpikeInput train_in = slice(train_all, 0, size_t(std::min(n_fit, train.size())));
    SpikeInput test_in;
    std::vector<int> test_labels;
    if (o.validation) {
        test_in = slice(train_all, size_t(n_fit), size_t(train.size() - n_fit));
        test_labels.assign(train.labels.begin() + n_fit, train.labels.end());
    } else {
        const Dataset test = load_dataset(set, Split::Test, o.test);
        test_in = encode(test, g.encoder, T, 0, test.size());
        test_labels.assign(test.labels.begin(), test.labels.end());
    }
    const int64_t n_test = int64_t(test_in.samples.size());
    std::vector<int> label_labels(train.labels.begin(), train.labels.begin() + n_label);
    const int steps = T + o.rest;  // steps per digit on the chip, the rest included

    json j;
    j["network"] = g.name;
    j["chip"] = chip.name;
    j["data"] = set;
    j["population"] = g.populations[size_t(pop)].name;
    j["plastic_projection"] = plastic_proj;
    j["train_samples"] = n_train;
    j["label_samples"] = n_label;
    j["test_samples"] = n_test;
    j["steps"] = T;
    j["rest_steps"] = o.rest;
    j["continuous"] = o.continuous;
    j["scored_on"] = o.validation ? "held-out training digits (--validation)" : "test digits";
    j["compile_warnings"] = warnings;

    // 1. Learn on the chip. Digit by digit from reset state, in chunks that carry the
    // learned weights along; or, continuous, as one run in which everything carries.
    const ChipBackend& learner = chip_backend(o.backends[0]);
    ChipImage img = cr.image;
    EventCounters learn_counters;
    double t_learn = 0;
    uint64_t wraps = 0;
    {
        Progress bar("learn on chip", n_train, o.progress);
        const int64_t chunk = o.continuous ? n_train : 100;
        for (int64_t f = 0; f < n_train; f += chunk) {
            const int64_t c = std::min(chunk, n_train - f);
            RunOptions ro;
            ro.steps = steps;
            ro.record = RecordWeights;
            ro.reset_between_samples = !o.continuous;
            const RunResult r = learner.run(img, slice(train_in, size_t(f), size_t(c)), ro,
                                            [&](int64_t done, int64_t) { bar.update(f + done); });
            t_learn += r.wall_s;
            learn_counters += r.counters;
            wraps += r.state_wraps;
            for (size_t k = 0; k < img.cores.size() && k < r.final_weights.size(); ++k)
                img.cores[k].weights = r.final_weights[k];
            bar.update(f + c);
        }
        bar.finish();
    }
    const Energy le = energy_of(learn_counters, chip);
    // 2. Label and 3. test with the learned weights frozen. Continuous: the labelling
    // digits and then the test digits as one stream (the state carries on, as in learning).
    const ChipImage fixed = frozen(img);
    std::vector<std::vector<int32_t>> lc, tc;
    RunOptions ro;
    ro.steps = steps;
    ro.record = RecordSpikes;
    ro.reset_between_samples = !o.continuous;
    t0 = Clock::now();
    EventCounters test_counters;
    if (o.continuous) {
        const RunResult r =
            learner.run(fixed, concat(slice(train_in, 0, size_t(n_label)), test_in), ro, {});
        std::vector<std::vector<int32_t>> all;
        chip_counts(fixed, r, pop, size, all);
        lc.assign(all.begin(), all.begin() + n_label);
        tc.assign(all.begin() + n_label, all.end());
        // One run: the inference energy per digit is taken over the labelling and the
        // test digits together (all digits have the same number of steps).
        test_counters = r.counters;
    } else {
        for (int64_t f = 0; f < n_label; f += 200) {
            const int64_t c = std::min<int64_t>(200, n_label - f);
            chip_counts(fixed, learner.run(fixed, slice(train_in, size_t(f), size_t(c)), ro, {}),
                        pop, size, lc);
        }
        for (int64_t f = 0; f < n_test; f += 200) {
            const int64_t c = std::min<int64_t>(200, n_test - f);
            const RunResult r = learner.run(fixed, slice(test_in, size_t(f), size_t(c)), ro, {});
            test_counters += r.counters;
            chip_counts(fixed, r, pop, size, tc);
        }
    }
    std::vector<int> assign, pred;
    const double chip_acc = accuracy_of(lc, label_labels, tc, test_labels, 10, assign, pred);
    const double t_eval = since(t0);
    int assigned = 0;
    for (int a : assign) assigned += a >= 0;
    const Energy te = energy_of(test_counters, chip);
    json jc;
    jc["backend"] = o.backends[0];
    jc["accuracy"] = chip_acc;
    jc["neurons_assigned"] = assigned;
    jc["learn_updates"] = learn_counters.learn_updates;
    jc["learn_updates_per_sample"] = double(learn_counters.learn_updates) / double(n_train);
    jc["learning_energy_pj_per_sample"] =
        double(learn_counters.learn_updates) * chip.energy.learn_update_pj / double(n_train);
    jc["training_energy_pj_per_sample"] = le.total_pj / double(n_train);
    json by = json::object();
    for (const auto& kv : le.by_kind_pj) by[kv.first] = kv.second / double(n_train);
    jc["training_energy_pj_by_kind_per_sample"] = by;
    jc["inference_energy_pj_per_sample"] =
        te.total_pj / double(o.continuous ? n_label + n_test : n_test);
    jc["state_wraps"] = wraps;
    jc["learn_wall_s"] = t_learn;
    jc["eval_wall_s"] = t_eval;
    // How far learning moved the weights: mean |w_learned - w_initial| on plastic synapses.
    {
        long double moved = 0;
        int64_t n = 0;
        for (size_t k = 0; k < img.cores.size(); ++k) {
            const CoreImage& a = cr.image.cores[k];
            if (a.plastic.empty()) continue;
            for (size_t i = 0; i < a.weights.size(); ++i)
                if (a.plastic[i]) {
                    moved += std::abs(int(img.cores[k].weights[i]) - int(a.weights[i]));
                    ++n;
                }
        }
        jc["mean_abs_weight_change_lsb"] = n ? double(moved / n) : 0.0;
    }
    j["chip"] = chip.name;
    j["on_chip"] = jc;

    // 4. The float simulator, the same procedure from the same initial weights.
    if (o.reference) {
        t0 = Clock::now();
        SnnSimulator sim(g);
        SnnRunOptions so;
        so.learn = true;
        // The float simulator resets every sample: a continuous stream is one long sample.
        SnnResult lr;
        if (o.continuous) {
            so.steps = int(n_train) * steps;
            lr = sim.run(joined(train_in, 0, size_t(n_train), T, o.rest), so);
        } else {
            so.steps = T;
            lr = sim.run(slice(train_in, 0, size_t(n_train)), so);
        }
        SnnSimulator fixed_sim(sim.graph());
        SnnRunOptions fo;
        fo.record_spikes = true;
        fo.record_populations = {g.populations[size_t(pop)].name};
        // Spike counts per digit of `count` digits from a run (one record per digit, or one
        // joined record of count * steps steps).
        auto counts = [&](const SnnResult& r, int64_t count, std::vector<std::vector<int32_t>>& out) {
            const int per = o.continuous ? steps : T;
            for (const auto& rec : r.records) {
                const auto& sp = rec.spikes[size_t(pop)];
                const int64_t digits = o.continuous ? count : 1;
                for (int64_t d = 0; d < digits; ++d) {
                    std::vector<int32_t> c(size_t(size), 0);
                    for (int t = 0; t < per && size_t(d * per + t) < sp.size(); ++t)
                        for (int32_t i : sp[size_t(d * per + t)]) ++c[size_t(i)];
                    out.push_back(std::move(c));
                }
            }
        };
        std::vector<std::vector<int32_t>> flc, ftc;
        if (o.continuous) {
            SpikeInput both = concat(slice(train_in, 0, size_t(n_label)), test_in);
            fo.steps = int(n_label + n_test) * steps;
            std::vector<std::vector<int32_t>> all;
            counts(fixed_sim.run(joined(both, 0, both.samples.size(), T, o.rest), fo),
                   n_label + n_test, all);
            flc.assign(all.begin(), all.begin() + n_label);
            ftc.assign(all.begin() + n_label, all.end());
        } else {
            fo.steps = T;
            counts(fixed_sim.run(slice(train_in, 0, size_t(n_label)), fo), 1, flc);
            counts(fixed_sim.run(test_in, fo), 1, ftc);
        }
        std::vector<int> fassign, fpred;
        const double facc = accuracy_of(flc, label_labels, ftc, test_labels, 10, fassign, fpred);
        int fassigned = 0;
        for (int a : fassign) fassigned += a >= 0;
        int64_t same = 0;
        for (size_t s = 0; s < fpred.size() && s < pred.size(); ++s) same += fpred[s] == pred[s];
        j["float"] = {{"accuracy", facc},
                      {"neurons_assigned", fassigned},
                      {"learn_updates", lr.run.counters.learn_updates},
                      {"prediction_match_with_chip", pred.empty() ? 0.0 : double(same) / double(pred.size())},
                      {"wall_s", since(t0)}};
    }
    j["float_diehl_cook_reference"] = {
        {"network", "mnist-stdp"},
        {"accuracy", 0.8229},
        {"note", "float STDP with weight normalisation and adaptive thresholds, 7,996 training "
                 "digits (networks/mnist-stdp/README.md)"}};

    // 5. The learned weights on every chip backend, over a bounded stretch of learning.
    json agree;
    agree["samples"] = std::min<int64_t>(o.check_samples, n_train);
    agree["backends"] = o.backends;
    agree["weights_identical"] = true;
    if (o.backends.size() > 1) {
        RunOptions lo;
        lo.steps = steps;
        lo.record = RecordWeights | RecordSpikes;
        lo.reset_between_samples = !o.continuous;
        const SpikeInput part = slice(train_in, 0, size_t(agree["samples"].get<int64_t>()));
        const RunResult first = chip_backend(o.backends[0]).run(cr.image, part, lo, {});
        json defects = json::array();
        for (size_t b = 1; b < o.backends.size(); ++b) {
            const ChipBackend& cb = chip_backend(o.backends[b]);
            const RunResult r = cb.run(cr.image, part, lo, {});
            json d = first_difference(first, r, 0, false);
            if (!d.is_null()) {
                d["backend"] = o.backends[b];
                defects.push_back(d);
            }
        }
        agree["weights_identical"] = defects.empty();
        agree["defects"] = defects;
        int64_t changed = 0;
        for (size_t k = 0; k < first.final_weights.size(); ++k)
            for (size_t i = 0; i < first.final_weights[k].size(); ++i)
                changed += first.final_weights[k][i] != cr.image.cores[k].weights[i];
        agree["weights_changed"] = changed;
    }
    j["agreement"] = agree;
    j["timing"] = {{"compile_s", t_compile}, {"total_s", since(t_all)}};
    return j;
}

}  // namespace sf
