// Training speed of the ANN reference: time per epoch of the 784-256-128-10 MLP and of the
// two-convolution CNN of networks/fmnist-cnn (with max pooling, as first shipped and as the
// PyTorch peer builds it; the shipped CNN now pools by average) on Fashion-MNIST at batch 128
// with Adam, and
// the effective GFLOP/s (forward + both backward products of every dense/conv layer but
// the first layer's input gradient, counted analytically). Also measures Eigen's float matrix product (128x784 by 784x256)
// in the same process, so the training rate can be stated as a fraction of it.
// bench/peers/torch_train.py runs the same work in PyTorch; bench/train_vs_torch.sh runs both.
//
// usage: bench_train_speed [--samples N] [--only mlp|cnn] [--json]
//        (N training samples timed, default 60000; the epoch time is scaled to 60000 samples)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "sf/reference/ann.hpp"
#include "sf/reference/ann_train.hpp"
#include "sf/reference/datasets.hpp"

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

// Multiply-adds of one sample's training step through the dense and conv layers: the
// forward product, the weight gradient and the input gradient of each, except the input
// gradient of the first layer, which neither this trainer nor PyTorch computes.
double training_macs(const AnnModel& m) {
    double macs = 0, first = -1;
    for (const auto& l : m.layers) {
        double f = 0;
        if (l.kind == AnnLayerKind::Dense) {
            f = double(l.params[0].shape[0]) * double(l.params[0].shape[1]);
        } else if (l.kind == AnnLayerKind::Conv2d) {
            const auto& w = l.params[0].shape;
            f = double(l.out_shape[1] * l.out_shape[2]) * double(w[0] * w[1] * w[2] * w[3]);
        } else {
            continue;
        }
        if (first < 0) first = f;
        macs += 3 * f;
    }
    return macs - std::max(first, 0.0);
}

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

nlohmann::json time_model(const char* yaml, const Dataset& train, int64_t samples) {
    const std::string path = "/tmp/sf-bench-train-speed-model.yaml";
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(yaml, f);
    std::fclose(f);
    AnnModel m = load_ann(path);
    init_ann(m, 1);
    AnnOptimizer opt;
    AnnFitOptions fo;
    fo.epochs = 1;
    fo.seed = 1;
    fo.max_train = samples;
    const double t0 = now_s();
    auto st = fit_ann(m, train, opt, fo);
    const double dt = now_s() - t0;
    const double flops = 2.0 * training_macs(m) * double(samples);
    return {{"model", m.name},
            {"samples_timed", samples},
            {"seconds", dt},
            {"epoch_seconds_60k", dt * 60000.0 / double(samples)},
            {"gflops", flops / dt / 1e9},
            {"train_loss", st.back().loss}};
}

double gemm_gflops() {
    using M = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    M a = M::Random(128, 784), b = M::Random(784, 256), c(128, 256);
    int reps = 0;
    const double t0 = now_s();
    double dt = 0;
    while ((dt = now_s() - t0) < 1.0 || reps < 10) {
        c.noalias() = a * b;
        ++reps;
    }
    volatile float sink = c(0, 0);
    (void)sink;
    return 2.0 * 128 * 784 * 256 * reps / dt / 1e9;
}

// The core's peak float multiply-add rate: 12 independent chains of 8-wide fused
// multiply-adds that stay in registers (no memory traffic), so it bounds what any
// implementation of these models could reach on one thread of this machine.
double peak_fma_gflops() {
    typedef float v8 __attribute__((vector_size(32)));
    constexpr int kChains = 12;
    v8 acc[kChains];
    for (int i = 0; i < kChains; ++i) acc[i] = v8{} + float(i) * 1e-3f;
    v8 a = v8{} + 0.999999f;
    const v8 b = v8{} + 1e-7f;
    const int64_t iters = 50000000;
    const double t0 = now_s();
    for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
        for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * a + b;
        asm volatile("" : "+x"(a));  // keeps the multiplier opaque so the loop is not folded
    }
    const double dt = now_s() - t0;
    v8 sum = v8{};
    for (int i = 0; i < kChains; ++i) sum += acc[i];  // every chain is used, so none is dropped
    volatile float sink = sum[0];
    (void)sink;
    return 2.0 * 8 * kChains * double(iters) / dt / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    int64_t samples = 60000;
    bool json = false;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--samples") && i + 1 < argc) samples = std::atoll(argv[++i]);
        else if (!std::strcmp(argv[i], "--json")) json = true;
        else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else {
            std::fprintf(stderr, "usage: %s [--samples N] [--only mlp|cnn] [--json]\n", argv[0]);
            return 2;
        }
    }
    try {
        const Dataset train = load_dataset("fashion-mnist", Split::Train, samples);
        samples = train.size();
        nlohmann::json r;
        r["eigen_threads"] = Eigen::nbThreads();
        r["gemm_gflops"] = gemm_gflops();
        r["peak_fma_gflops"] = peak_fma_gflops();
        std::vector<const char*> models;
        for (const char* k : {"mlp", "cnn"})
            if (only.empty() || only == k) models.push_back(k);
        if (models.empty()) {
            std::fprintf(stderr, "bench_train_speed: --only takes mlp or cnn, not '%s'\n", only.c_str());
            return 2;
        }
        for (const char* k : models) r[k] = time_model(std::string(k) == "mlp" ? kMlp : kCnn, train, samples);
        for (const char* k : models)
            r[k]["fraction_of_gemm"] = r[k]["gflops"].get<double>() / r["gemm_gflops"].get<double>();
        if (json) {
            std::printf("%s\n", r.dump().c_str());
        } else {
            std::printf("Eigen GEMM 128x784x256: %.1f GFLOP/s (%d thread(s)); core peak (register-only FMA): %.1f GFLOP/s\n",
                        r["gemm_gflops"].get<double>(), r["eigen_threads"].get<int>(),
                        r["peak_fma_gflops"].get<double>());
            for (const char* k : models)
                std::printf("%s: %.2f s per 60k-sample epoch (timed on %lld samples), %.1f GFLOP/s = %.0f%% of GEMM\n",
                            k, r[k]["epoch_seconds_60k"].get<double>(), (long long)samples,
                            r[k]["gflops"].get<double>(), 100.0 * r[k]["fraction_of_gemm"].get<double>());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_train_speed: %s\n", e.what());
        return 1;
    }
    return 0;
}
