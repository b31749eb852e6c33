// ANN training over threads: one epoch of an ANN model (default networks/fmnist-mlp) timed
// through fit_ann at each thread count asked for, wall time and process CPU time (every
// thread's, from std::clock), and the trained weights compared bit for bit across counts.
// Also times the single pass per batch that fit_ann ran before batches were cut into
// blocks (ann_loss over the whole batch, then the optimiser step: the same work, one
// product per layer over all rows), so the cost of the blocks is measured, not assumed.
//
// usage: bench_ann_threads [--model FILE] [--samples N] [--threads 1,2,...] [--json]
//        (FILE: an ANN model.yaml, default networks/fmnist-mlp/model.yaml, run from the
//        source root; N training samples of the model's data set, default 60000)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sf/reference/ann.hpp"
#include "sf/reference/ann_train.hpp"
#include "sf/reference/datasets.hpp"

using namespace sf;

namespace {

struct Timed {
    double wall = 0, cpu = 0;
    float loss = 0;
    std::vector<float> params;
};

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// FNV-1a over the bytes of the weights: equal hashes say equal bits across builds.
uint64_t fnv1a(const std::vector<float>& v) {
    uint64_t h = 1469598103934665603ULL;
    const auto* p = reinterpret_cast<const unsigned char*>(v.data());
    for (size_t i = 0; i < v.size() * sizeof(float); ++i) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

std::vector<float> all_params(const AnnModel& m) {
    std::vector<float> all;
    for (const auto& l : m.layers)
        for (const auto& p : l.params) all.insert(all.end(), p.value.begin(), p.value.end());
    return all;
}

Timed time_fit(const AnnModel& start, const Dataset& train, int threads) {
    AnnModel m = start;
    AnnOptimizer opt;
    AnnFitOptions fo;
    fo.epochs = 1;
    fo.seed = 1;
    fo.threads = threads;
    const double t0 = now_s();
    const std::clock_t c0 = std::clock();
    const auto st = fit_ann(m, train, opt, fo);
    Timed t;
    t.cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
    t.wall = now_s() - t0;
    t.loss = st.back().loss;
    t.params = all_params(m);
    return t;
}

// The loop fit_ann ran before it cut batches into blocks: whole-batch ann_loss (the same
// shuffle, dropout seeds and optimiser; no augmentation or input noise, which the default
// model does not use).
Timed time_single_pass(const AnnModel& start, const Dataset& train) {
    AnnModel m = start;
    AnnOptimizer opt;
    opt.kind = m.training.optimizer;
    const auto& t = m.training;
    const int64_t N = train.size(), D = m.input_size(), B = t.batch;
    int64_t K = 1;
    for (int64_t v : m.output_shape()) K *= v;
    if (t.target == "input") K = D;
    std::vector<int64_t> idx(static_cast<size_t>(N));
    for (int64_t i = 0; i < N; ++i) idx[size_t(i)] = i;
    std::mt19937_64 rng(1 * 1000003ULL + 17ULL);
    for (int64_t i = N - 1; i > 0; --i)
        std::swap(idx[size_t(i)], idx[size_t(int64_t(rng() % uint64_t(i + 1)))]);
    AnnGradients g;
    g.want_input = false;
    AnnMatrix x, y, out;
    const double t0 = now_s();
    const std::clock_t c0 = std::clock();
    double loss_sum = 0;
    for (int64_t s = 0; s < N; s += B) {
        const int64_t nb = std::min(B, N - s);
        x.resize(nb, D);
        y.setZero(nb, K);
        for (int64_t b = 0; b < nb; ++b) {
            const int64_t k = idx[size_t(s + b)];
            std::copy(train.sample(k), train.sample(k) + D, x.row(b).data());
            if (t.target == "input")
                y.row(b) = x.row(b);
            else
                y(b, train.labels[size_t(k)]) = 1.0f;
        }
        const float l = ann_loss(m, x, y, t.loss, &g, true, rng(), &out);
        opt.apply(m, g, t, t.lr);
        loss_sum += double(l) * double(nb);
    }
    Timed r;
    r.cpu = double(std::clock() - c0) / CLOCKS_PER_SEC;
    r.wall = now_s() - t0;
    r.loss = float(loss_sum / double(N));
    r.params = all_params(m);
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    std::string model = "networks/fmnist-mlp/model.yaml";
    int64_t samples = 60000;
    std::vector<int> counts{1, 2};
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--model") && i + 1 < argc) {
            model = argv[++i];
        } else if (!std::strcmp(argv[i], "--samples") && i + 1 < argc) {
            samples = std::atoll(argv[++i]);
        } else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) {
            counts.clear();
            for (const char* p = argv[++i]; *p;) {
                counts.push_back(std::atoi(p));
                while (*p && *p != ',') ++p;
                if (*p == ',') ++p;
            }
        } else if (!std::strcmp(argv[i], "--json")) {
            json = true;
        } else {
            std::fprintf(stderr,
                         "usage: %s [--model FILE] [--samples N] [--threads 1,2,...] [--json]\n",
                         argv[0]);
            return 2;
        }
    }
    if (samples < 1 || counts.empty() ||
        std::any_of(counts.begin(), counts.end(), [](int c) { return c < 1; })) {
        std::fprintf(stderr, "bench_ann_threads: --samples and every thread count must be >= 1\n");
        return 2;
    }
    try {
        AnnModel m = load_ann(model);
        init_ann(m, 1);
        const Dataset train = load_dataset(m.dataset, Split::Train, samples);
        nlohmann::json r{{"model", m.name},
                         {"samples", train.size()},
                         {"batch", m.training.batch},
                         {"runs", nlohmann::json::array()}};
        const Timed single = time_single_pass(m, train);
        r["single_pass"] = {{"wall_s", single.wall},
                            {"cpu_s", single.cpu},
                            {"loss", single.loss},
                            {"weights_fnv1a", fnv1a(single.params)}};
        std::vector<Timed> runs;
        for (int c : counts) {
            runs.push_back(time_fit(m, train, c));
            const bool same =
                runs.back().params == runs.front().params &&
                std::memcmp(&runs.back().loss, &runs.front().loss, sizeof(float)) == 0;
            r["runs"].push_back({{"threads", c},
                                 {"wall_s", runs.back().wall},
                                 {"cpu_s", runs.back().cpu},
                                 {"loss", runs.back().loss},
                                 {"weights_fnv1a", fnv1a(runs.back().params)},
                                 {"same_bits_as_first", same}});
        }
        if (json) {
            std::printf("%s\n", r.dump().c_str());
            return 0;
        }
        std::printf("%s, %lld samples, batch %lld, one epoch\n", m.name.c_str(),
                    (long long)train.size(), (long long)m.training.batch);
        std::printf("  single pass per batch (before blocks): wall %.3f s, CPU %.3f s, loss %.5f\n",
                    single.wall, single.cpu, single.loss);
        for (const auto& run : r["runs"])
            std::printf("  blocks of 32, %d thread(s): wall %.3f s, CPU %.3f s, loss %.5f%s\n",
                        run["threads"].get<int>(), run["wall_s"].get<double>(),
                        run["cpu_s"].get<double>(), run["loss"].get<double>(),
                        run["same_bits_as_first"].get<bool>() ? ", weights identical to the first"
                                                              : ", WEIGHTS DIFFER");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_ann_threads: %s\n", e.what());
        return 1;
    }
}
