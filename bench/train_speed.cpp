// Training speed of the ANN reference: time per epoch of the 784-256-128-10 MLP and of the
// two-convolution CNN of networks/fmnist-cnn (with max pooling, as first shipped and as the
// PyTorch peer builds it; the shipped CNN now pools by average) on Fashion-MNIST at batch 128
// with Adam, and
// the effective GFLOP/s (forward + both backward products of every dense/conv layer but
// the first layer's input gradient, counted analytically). Also measures Eigen's float matrix
// product (128x784 by 784x256) in the same process, so the training rate can be stated as a
// fraction of it. bench/peers/torch_train.py runs the same work in PyTorch; bench/train_vs_torch.sh
// runs both.
//
// usage: bench_train_speed [--samples N] [--only mlp|cnn|snn]... [--threads T] [--test M]
//                          [--breakdown] [--json]
//        (N training samples timed, default 60000; the epoch time is scaled to 60000 samples;
//        default models mlp and cnn; T threads for the SNN trainer, default 1; M test
//        images for the SNN's final accuracy, default 500)
// The MLP and the CNN train two epochs on the same samples and the second is timed (the
// steady state of a run; the first also allocates the trainer's buffers), with the first
// epoch's time beside it in the JSON (first_epoch_seconds).
// "snn" times one epoch of networks/fmnist-snn through the surrogate-gradient trainer.
// The JSON has, for mlp and cnn, where the epoch's time went, layer by layer (the trainer's
// AnnLayerTimes); --breakdown prints it as a table too.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include <unistd.h>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "sf/reference/ann.hpp"
#include "sf/reference/ann_train.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/train_api.hpp"

#include "peak_fma.hpp"

using namespace sf;

namespace {

const char* kMlp = R"(name: bench-mlp
type: ann
input_shape: [1, 28, 28]
layers:
  - {kind: flatten}
  - {kind: dense, name: fc1, units: 256}
  - {kind: relu}
  - {kind: dense, name: fc2, units: 128}
  - {kind: relu}
  - {kind: dense, name: fc3, units: 10}
  - {kind: softmax}
training: {optimizer: adam, lr: 0.001, batch: 128, epochs: 1, loss: cross_entropy}
)";

const char* kCnn = R"(name: bench-cnn
type: ann
input_shape: [1, 28, 28]
layers:
  - {kind: conv2d, name: conv1, out_channels: 32, kernel: 3, padding: 1}
  - {kind: relu}
  - {kind: maxpool, kernel: 2}
  - {kind: conv2d, name: conv2, out_channels: 64, kernel: 3, padding: 1}
  - {kind: relu}
  - {kind: maxpool, kernel: 2}
  - {kind: flatten}
  - {kind: dense, name: fc1, units: 128}
  - {kind: relu}
  - {kind: dense, name: fc2, units: 10}
  - {kind: softmax}
training: {optimizer: adam, lr: 0.001, batch: 128, epochs: 1, loss: cross_entropy}
)";

// Multiply-adds of one sample's forward product through a dense or conv layer (0 for the
// other kinds).
double forward_macs(const AnnLayer& l) {
    if (l.kind == AnnLayerKind::Dense)
        return double(l.params[0].shape[0]) * double(l.params[0].shape[1]);
    if (l.kind == AnnLayerKind::Conv2d) {
        const auto& w = l.params[0].shape;
        return double(l.out_shape[1] * l.out_shape[2]) * double(w[0] * w[1] * w[2] * w[3]);
    }
    return 0;
}

// Multiply-adds of one sample's training step through layer i: the forward product, the
// weight gradient and the input gradient, except the input gradient of the first layer
// with products, which neither this trainer nor PyTorch computes.
double layer_training_macs(const AnnModel& m, size_t i) {
    const double f = forward_macs(m.layers[i]);
    bool first = true;
    for (size_t j = 0; j < i; ++j) first = first && forward_macs(m.layers[j]) == 0;
    return f == 0 ? 0 : (first ? 2 : 3) * f;
}

double training_macs(const AnnModel& m) {
    double macs = 0;
    for (size_t i = 0; i < m.layers.size(); ++i) macs += layer_training_macs(m, i);
    return macs;
}

// Where the epoch's time went, layer by layer (a fused conv block is booked on its conv2d
// layer: the ReLU and pooling after it show no time), with each product layer's rate.
nlohmann::json layer_breakdown(const AnnModel& m, const AnnLayerTimes& t, double seconds,
                               int64_t samples) {
    nlohmann::json rows = nlohmann::json::array();
    double booked = t.step;
    for (size_t i = 0; i < m.layers.size() && i < t.forward.size(); ++i) {
        const double s = t.forward[i] + t.backward[i];
        booked += s;
        nlohmann::json r = {{"layer", i},
                            {"name", m.layers[i].name},
                            {"kind", ann_layer_kind_name(m.layers[i].kind)},
                            {"forward_seconds", t.forward[i]},
                            {"backward_seconds", t.backward[i]},
                            {"share", s / seconds}};
        // A conv layer whose ReLU and pooling show no time ran with them as one fused block.
        if (m.layers[i].kind == AnnLayerKind::Conv2d && i + 2 < t.forward.size() &&
            t.forward[i + 1] + t.forward[i + 2] == 0 && s > 0)
            r["kind"] = std::string("conv2d+") + ann_layer_kind_name(m.layers[i + 1].kind) + "+" +
                        ann_layer_kind_name(m.layers[i + 2].kind);
        const double macs = layer_training_macs(m, i);
        if (macs > 0 && s > 0) r["gflops"] = 2.0 * macs * double(samples) / s / 1e9;
        rows.push_back(r);
    }
    return {{"layers", rows},
            {"optimiser_seconds", t.step},
            {"other_seconds", seconds - booked}};
}

// Two epochs over the same `samples`, timed apart: the second is the steady state of a
// training run (every epoch after the first); the first also allocates and first touches
// the trainer's buffers, which a run does once. The rates and the breakdown are the
// second epoch's; the first epoch's seconds and loss are reported beside them.
nlohmann::json time_model(const char* yaml, const Dataset& train, int64_t samples) {
    const std::string path = "/tmp/sf-bench-train-speed-model.yaml";
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(yaml, f);
    std::fclose(f);
    AnnModel m = load_ann(path);
    init_ann(m, 1);
    AnnOptimizer opt;
    AnnFitOptions fo;
    fo.epochs = 2;
    fo.seed = 1;
    fo.max_train = samples;
    AnnLayerTimes times, first;
    fo.layer_times = &times;
    fo.on_epoch = [&](int e, float, float, const AnnOptimizer&) {
        if (e == 0) first = times;
    };
    auto st = fit_ann(m, train, opt, fo);
    // The second epoch's layer times: the totals less the first epoch's.
    for (size_t i = 0; i < times.forward.size() && i < first.forward.size(); ++i) {
        times.forward[i] -= first.forward[i];
        times.backward[i] -= first.backward[i];
    }
    times.step -= first.step;
    const double dt = st.at(1).seconds;
    const double flops = 2.0 * training_macs(m) * double(samples);
    return {{"model", m.name},
            {"breakdown", layer_breakdown(m, times, dt, samples)},
            {"samples_timed", samples},
            {"seconds", dt},
            {"epoch_seconds_60k", dt * 60000.0 / double(samples)},
            {"gflops", flops / dt / 1e9},
            {"train_loss", st.at(1).loss},
            {"first_epoch_seconds", st.at(0).seconds},
            {"first_epoch_train_loss", st.at(0).loss}};
}

// Reads every value of the data set once. On the virtual machines these benchmarks ran on,
// the first read of freshly loaded memory is slow (Fashion-MNIST's 188 MB of training images:
// about 0.25 s the first time, 0.02 s for a gather of every sample after), a cost a training
// run pays once, in its first epoch, not in every epoch. Without this read the first model
// timed would pay it and the second would not. bench/peers/torch_train.py does the same.
void read_once(const Dataset& d) {
    double sum = 0;
    for (const float v : d.images) sum += double(v);
    volatile double sink = sum;
    (void)sink;
}

double gemm_gflops() {
    using M = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    M a = M::Random(128, 784), b = M::Random(784, 256), c(128, 256);
    int reps = 0;
    const double t0 = sf_bench::now_seconds();
    double dt = 0;
    while ((dt = sf_bench::now_seconds() - t0) < 1.0 || reps < 10) {
        c.noalias() = a * b;
        ++reps;
    }
    volatile float sink = c(0, 0);
    (void)sink;
    return 2.0 * 128 * 784 * 256 * reps / dt / 1e9;
}

const char* kSnn = R"(name: bench-snn
timesteps: 25
dataset: fashion-mnist
encoder: {kind: direct, gain: 1.0}
populations:
  - {name: in, kind: input, shape: [784]}
  - {name: hidden, kind: lif, size: 512, decay_u: 1.0, decay_v: 0.1, threshold: 1.0, reset: subtract}
  - {name: out, kind: li, size: 10, decay_u: 1.0, decay_v: 0.1, output: true}
projections:
  - {name: fc1, kind: dense, from: in, to: hidden}
  - {name: fc2, kind: dense, from: hidden, to: out}
training: {optimizer: adam, lr: 0.001, batch: 128, epochs: 1, surrogate: fast_sigmoid, slope: 10, readout: membrane}
)";

// One epoch of networks/fmnist-snn (the model above is its model.yaml) through the trainer
// the CLI runs; the final evaluation (on `test` test images) is not timed.
nlohmann::json time_snn(int64_t samples, int threads, int64_t test) {
    const std::string path = "/tmp/sf-bench-train-speed-snn.yaml";
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(kSnn, f);
    std::fclose(f);
    TrainOptions o;
    o.data = "fashion-mnist";
    o.epochs = 1;
    o.seed = 1;
    o.max_train = samples;
    o.max_test = test;
    o.threads = threads;
    o.out_dir = "/tmp/sf-bench-train-speed-snn." + std::to_string(::getpid());
    const nlohmann::json r = train_snn(path, o);
    std::filesystem::remove_all(o.out_dir);
    const double dt = r["train_seconds"].get<double>(), cpu = r["train_cpu_seconds"].get<double>();
    const int64_t n = r["train_samples"].get<int64_t>();
    // The dense products a step-by-step implementation does: 25 steps of the forward and
    // weight-gradient products of both layers and the input gradient of the second.
    const double flops = 2.0 * 25 * (2 * 784 * 512 + 3 * 512 * 10) * double(n);
    return {{"model", "fmnist-snn"},
            {"samples_timed", n},
            {"threads", threads},
            {"seconds", dt},
            {"cpu_seconds", cpu},
            {"epoch_seconds_60k", dt * 60000.0 / double(n)},
            {"epoch_cpu_seconds_60k", cpu * 60000.0 / double(n)},
            {"dense_equivalent_gflops", flops / dt / 1e9},
            {"train_loss", r["epochs"].back()["loss"]},
            {"test_samples", r["samples"]},
            {"test_accuracy", r["accuracy"]}};
}

// The breakdown as a table: each layer's forward and backward milliseconds, its share of
// the epoch and, for product layers, its rate against the peak.
void print_breakdown(const nlohmann::json& model, double peak) {
    const nlohmann::json& b = model["breakdown"];
    const double seconds = model["seconds"].get<double>();
    std::printf("  %-3s %-10s %-22s %10s %10s %7s %9s %6s\n", "#", "layer", "kind", "fwd ms",
                "bwd ms", "share", "GFLOP/s", "peak");
    for (const auto& r : b["layers"]) {
        const double f = r["forward_seconds"].get<double>(), w = r["backward_seconds"].get<double>();
        if (f + w < 0.0005 * seconds) continue;
        std::printf("  %-3d %-10s %-22s %10.1f %10.1f %6.1f%%", r["layer"].get<int>(),
                    r["name"].get<std::string>().c_str(), r["kind"].get<std::string>().c_str(),
                    1e3 * f, 1e3 * w, 100.0 * r["share"].get<double>());
        if (r.contains("gflops"))
            std::printf(" %9.1f %5.0f%%", r["gflops"].get<double>(),
                        100.0 * r["gflops"].get<double>() / peak);
        std::printf("\n");
    }
    const double opt = b["optimiser_seconds"].get<double>(), other = b["other_seconds"].get<double>();
    std::printf("  optimiser steps %.1f ms (%.1f%%); batches and losses %.1f ms (%.1f%%)\n",
                1e3 * opt, 100.0 * opt / seconds, 1e3 * other, 100.0 * other / seconds);
}

}  // namespace

int main(int argc, char** argv) {
    int64_t samples = 60000;
    bool json = false, breakdown = false;
    int threads = 1;
    int64_t test = 500;
    std::vector<std::string> only;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--samples") && i + 1 < argc)
            samples = std::atoll(argv[++i]);
        else if (!std::strcmp(argv[i], "--json"))
            json = true;
        else if (!std::strcmp(argv[i], "--breakdown"))
            breakdown = true;
        else if (!std::strcmp(argv[i], "--only") && i + 1 < argc)
            only.push_back(argv[++i]);
        else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--test") && i + 1 < argc)
            test = std::atoll(argv[++i]);
        else {
            std::fprintf(stderr,
                         "usage: %s [--samples N] [--only mlp|cnn|snn]... [--threads T] [--test M] "
                         "[--breakdown] [--json]\n",
                         argv[0]);
            return 2;
        }
    }
    if (only.empty()) only = {"mlp", "cnn"};
    for (const auto& k : only)
        if (k != "mlp" && k != "cnn" && k != "snn") {
            std::fprintf(stderr, "bench_train_speed: --only takes mlp, cnn or snn, not '%s'\n",
                         k.c_str());
            return 2;
        }
    if (samples < 1 || threads < 1 || test < 1) {
        std::fprintf(stderr,
                     "bench_train_speed: --samples, --threads and --test must be at least 1\n");
        return 2;
    }
    try {
        const Dataset train = load_dataset("fashion-mnist", Split::Train, samples);
        samples = train.size();
        read_once(train);
        nlohmann::json r;
        r["eigen_threads"] = Eigen::nbThreads();
        r["gemm_gflops"] = gemm_gflops();
        r["peak_fma_gflops"] = sf_bench::peak_fma_gflops();
        r["peak_vector_lanes"] = sf_bench::kPeakLanes;
        for (const auto& k : only) {
            if (k == "snn") {
                r[k] = time_snn(samples, threads, test);
                continue;
            }
            r[k] = time_model(k == "mlp" ? kMlp : kCnn, train, samples);
            r[k]["fraction_of_gemm"] =
                r[k]["gflops"].get<double>() / r["gemm_gflops"].get<double>();
            r[k]["fraction_of_peak"] =
                r[k]["gflops"].get<double>() / r["peak_fma_gflops"].get<double>();
        }
        if (json) {
            std::printf("%s\n", r.dump().c_str());
        } else {
            std::printf(
                "Eigen GEMM 128x784x256: %.1f GFLOP/s (%d thread(s)); core peak (register-only "
                "FMA, %d lanes): %.1f GFLOP/s\n",
                r["gemm_gflops"].get<double>(), r["eigen_threads"].get<int>(), sf_bench::kPeakLanes,
                r["peak_fma_gflops"].get<double>());
            for (const auto& k : only) {
                if (k == "snn") {
                    std::printf(
                        "snn: %.2f s per 60k-sample epoch, %.2f s CPU (timed on %lld samples, %d "
                        "thread(s))\n",
                        r[k]["epoch_seconds_60k"].get<double>(),
                        r[k]["epoch_cpu_seconds_60k"].get<double>(), (long long)samples, threads);
                    continue;
                }
                std::printf(
                    "%s: %.2f s per 60k-sample epoch (timed on %lld samples), %.1f GFLOP/s = "
                    "%.0f%% of GEMM, %.0f%% of peak\n",
                    k.c_str(), r[k]["epoch_seconds_60k"].get<double>(), (long long)samples,
                    r[k]["gflops"].get<double>(), 100.0 * r[k]["fraction_of_gemm"].get<double>(),
                    100.0 * r[k]["fraction_of_peak"].get<double>());
                if (breakdown) print_breakdown(r[k], r["peak_fma_gflops"].get<double>());
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_train_speed: %s\n", e.what());
        return 1;
    }
    return 0;
}
