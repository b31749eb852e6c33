// Speed of the direct convolution kernels (reference/src/ann/conv_direct.cpp) on their own,
// for the two convolutions of the shipped CNNs, one block of 32 samples at a time as the
// trainer calls them: the forward pass, the weight (and bias) gradient alone, and the weight
// and input gradients together, each as GFLOP/s of the convolution's own products
// (2 x pixels x out_channels x in_channels x k x k per sample and pass) and as a fraction of
// the core's peak multiply-add rate measured in the same run. Then the same two
// convolutions as fused conv blocks (convolution + ReLU + 2x2 max or average pooling,
// reference/src/ann/ann_ops.cpp), forward and backward per block of 32 samples, in
// microseconds: a block's time less its kernels' is what the ReLU, the pooling and the
// planes cost. Random inputs; the best of `reps` calls of each pass is kept.
//
// usage: bench_conv_kernels [--reps N] [--json]
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../reference/src/ann/ann_ops.hpp"
#include "../reference/src/ann/conv_direct.hpp"
#include "peak_fma.hpp"

using sf::ann_detail::ConvGeometry;
using sf::ann_detail::ConvScratch;

namespace {

nlohmann::json time_layer(const std::string& name, const ConvGeometry& g, int reps) {
    const int64_t rows = 32, P = g.h * g.w;
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> x(size_t(rows * g.c * P)), w(size_t(g.oc * g.c * g.k * g.k)),
        bias(size_t(g.oc)), y(size_t(rows * g.oc * P)), dy(y.size()), dw(w.size()),
        db(bias.size()), dx(x.size());
    for (auto& v : x) v = u(rng);
    for (auto& v : w) v = 0.1f * u(rng);
    for (auto& v : dy) v = 1e-3f * u(rng);
    ConvScratch s;
    double fwd = 1e30, dw_only = 1e30, both = 1e30;
    for (int r = 0; r < reps; ++r) {
        const double t0 = sf_bench::now_seconds();
        sf::ann_detail::conv_direct_forward(g, rows, x.data(), g.c * P, w.data(), bias.data(),
                                            y.data(), g.oc * P, s);
        const double t1 = sf_bench::now_seconds();
        sf::ann_detail::conv_direct_backward(g, rows, x.data(), g.c * P, dy.data(), g.oc * P,
                                             w.data(), dw.data(), db.data(), nullptr, 0, s);
        const double t2 = sf_bench::now_seconds();
        sf::ann_detail::conv_direct_backward(g, rows, x.data(), g.c * P, dy.data(), g.oc * P,
                                             w.data(), dw.data(), db.data(), dx.data(), g.c * P, s);
        const double t3 = sf_bench::now_seconds();
        fwd = std::min(fwd, t1 - t0);
        dw_only = std::min(dw_only, t2 - t1);
        both = std::min(both, t3 - t2);
    }
    const double flops = 2.0 * double(rows * P * g.oc * g.c * g.k * g.k);  // one pass
    return {{"layer", name},
            {"shape", {g.c, g.h, g.w, g.k, g.oc}},
            {"rows", rows},
            {"forward_gflops", flops / fwd / 1e9},
            {"weight_gradient_gflops", flops / dw_only / 1e9},
            {"both_gradients_gflops", 2 * flops / both / 1e9},
            {"microseconds_per_sample",
             {{"forward", fwd / double(rows) * 1e6},
              {"weight_gradient", dw_only / double(rows) * 1e6},
              {"both_gradients", both / double(rows) * 1e6}}}};
}

// A conv block as the trainer runs it: conv2d (k x k, 'same') + ReLU + 2x2 pooling.
nlohmann::json time_block(const std::string& name, const ConvGeometry& g, bool max_pool, int reps) {
    using sf::AnnLayer;
    using sf::AnnLayerKind;
    std::mt19937 rng(2);
    std::uniform_real_distribution<float> u(-1, 1);
    AnnLayer conv;
    conv.kind = AnnLayerKind::Conv2d;
    conv.in_shape = {g.c, g.h, g.w};
    conv.out_shape = {g.oc, g.h, g.w};
    conv.kernel = g.k;
    conv.stride = 1;
    conv.padding = g.k / 2;
    conv.params.resize(2);
    conv.params[0].shape = {g.oc, g.c, g.k, g.k};
    conv.params[0].value.resize(size_t(g.oc * g.c * g.k * g.k));
    conv.params[1].shape = {g.oc};
    conv.params[1].value.resize(size_t(g.oc));
    for (auto& v : conv.params[0].value) v = 0.3f * u(rng);
    for (auto& v : conv.params[1].value) v = 0.03f * u(rng);
    AnnLayer pool;
    pool.kind = max_pool ? AnnLayerKind::MaxPool : AnnLayerKind::AvgPool;
    pool.in_shape = {g.oc, g.h, g.w};
    pool.out_shape = {g.oc, g.h / 2, g.w / 2};
    pool.kernel = 2;
    pool.stride = 2;
    const int64_t rows = 32;
    sf::AnnMatrix x(rows, g.c * g.h * g.w), y, dy, dx;
    for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = u(rng);
    sf::ann_detail::LayerCache cache;
    std::vector<std::vector<float>> dp;
    // The input gradient as the trainer asks for it: not for a first layer (one channel).
    const bool want_dx = g.c > 1;
    double fwd = 1e30, bwd = 1e30;
    for (int r = 0; r < reps; ++r) {
        const double t0 = sf_bench::now_seconds();
        sf::ann_detail::conv_block_forward(conv, pool, x, y, cache);
        const double t1 = sf_bench::now_seconds();
        if (r == 0) {
            dy.resize(y.rows(), y.cols());
            for (int64_t i = 0; i < dy.size(); ++i) dy.data()[i] = 1e-3f * u(rng);
        }
        const double t2 = sf_bench::now_seconds();
        sf::ann_detail::conv_block_backward(conv, pool, x, y, dy, cache, want_dx ? &dx : nullptr,
                                            dp);
        const double t3 = sf_bench::now_seconds();
        fwd = std::min(fwd, t1 - t0);
        bwd = std::min(bwd, t3 - t2);
    }
    return {{"block", name},
            {"pooling", max_pool ? "max" : "average"},
            {"rows", rows},
            {"forward_microseconds", fwd * 1e6},
            {"backward_microseconds", bwd * 1e6},
            {"input_gradient", want_dx}};
}

}  // namespace

int main(int argc, char** argv) {
    int reps = 50;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) {
            reps = std::atoi(argv[++i]);
        } else if (!std::strcmp(argv[i], "--json")) {
            json = true;
        } else {
            std::fprintf(stderr, "usage: %s [--reps N] [--json]\n", argv[0]);
            return 2;
        }
    }
    if (reps < 1) {
        std::fprintf(stderr, "bench_conv_kernels: --reps must be at least 1\n");
        return 2;
    }
    nlohmann::json r;
    r["peak_fma_gflops"] = sf_bench::peak_fma_gflops();
    r["peak_vector_lanes"] = sf_bench::kPeakLanes;
    r["layers"] = {time_layer("conv1 (1x28x28, 3x3, 32 out)", ConvGeometry{1, 28, 28, 3, 32}, reps),
                   time_layer("conv2 (32x14x14, 3x3, 64 out)", ConvGeometry{32, 14, 14, 3, 64}, reps)};
    r["blocks"] = nlohmann::json::array();
    for (bool max_pool : {true, false}) {
        r["blocks"].push_back(time_block("conv1", ConvGeometry{1, 28, 28, 3, 32}, max_pool, reps));
        r["blocks"].push_back(time_block("conv2", ConvGeometry{32, 14, 14, 3, 64}, max_pool, reps));
    }
    if (json) {
        std::printf("%s\n", r.dump().c_str());
        return 0;
    }
    const double peak = r["peak_fma_gflops"].get<double>();
    std::printf("core peak (register-only FMA, %d lanes): %.1f GFLOP/s\n", sf_bench::kPeakLanes, peak);
    for (const auto& l : r["layers"]) {
        const double f = l["forward_gflops"], wg = l["weight_gradient_gflops"], b = l["both_gradients_gflops"];
        std::printf("%s: forward %.1f GFLOP/s (%.0f%% of peak), weight gradient %.1f (%.0f%%), "
                    "weight + input gradients %.1f (%.0f%%)\n",
                    l["layer"].get<std::string>().c_str(), f, 100 * f / peak, wg, 100 * wg / peak,
                    b, 100 * b / peak);
    }
    for (const auto& b : r["blocks"])
        std::printf("%s block (ReLU, %s pooling), %lld samples: forward %.1f us, "
                    "backward %.1f us%s\n",
                    b["block"].get<std::string>().c_str(), b["pooling"].get<std::string>().c_str(),
                    (long long)b["rows"].get<int64_t>(), b["forward_microseconds"].get<double>(),
                    b["backward_microseconds"].get<double>(),
                    b["input_gradient"].get<bool>() ? " (with the input gradient)" : "");
    return 0;
}
