// Speed of the direct convolution kernels (reference/src/ann/conv_direct.cpp) on their own,
// for the two convolutions of the shipped CNNs, one block of 32 samples at a time as the
// trainer calls them: the forward pass, the weight (and bias) gradient alone, and the weight
// and input gradients together, each as GFLOP/s of the convolution's own products
// (2 x pixels x out_channels x in_channels x k x k per sample and pass) and as a fraction of
// the core's peak multiply-add rate measured in the same run. Random inputs; the best of
// `reps` calls of each pass is kept.
//
// usage: bench_conv_kernels [--reps N] [--json]
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
        sf::ann_detail::conv_direct_backward(g, rows, dy.data(), g.oc * P, w.data(), dw.data(),
                                             db.data(), nullptr, 0, s);
        const double t2 = sf_bench::now_seconds();
        sf::ann_detail::conv_direct_backward(g, rows, dy.data(), g.oc * P, w.data(), dw.data(),
                                             db.data(), dx.data(), g.c * P, s);
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
    return 0;
}
