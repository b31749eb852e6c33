// The core's peak float multiply-add rate, measured: shared by the benchmarks that state
// their rates as a fraction of it (bench_train_speed, bench_conv_kernels).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace sf_bench {

inline double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The core's peak float multiply-add rate: independent chains of fused multiply-adds as
// wide as the widest vectors the build targets (16 floats with AVX-512, 8 with AVX2), all
// in registers (no memory traffic). A chain waits for its own previous result, so enough
// chains must be in flight to cover the FMA latency on every FMA pipe (4 cycles x 2 pipes
// on current x86 cores = 8); 24 chains leave room for wider or slower cores and still fit
// in the 32 vector registers of AVX-512 (16 with AVX2: 12 chains there). The best of 40
// short runs (about 4 ms each) is kept: on a shared machine a long run always loses some
// time to other tenants, while the kernels it is compared with are timed as the best of
// many short calls too, and a peak read too low would overstate their fraction of it.
#if defined(__AVX512F__)
typedef float VPeak __attribute__((vector_size(64)));
constexpr int kPeakLanes = 16, kPeakChains = 24;
#else
typedef float VPeak __attribute__((vector_size(32)));
constexpr int kPeakLanes = 8, kPeakChains = 12;
#endif

inline double peak_fma_once(int64_t iters) {
    VPeak acc[kPeakChains];
    for (int i = 0; i < kPeakChains; ++i) acc[i] = VPeak{} + float(i) * 1e-3f;
    VPeak a = VPeak{} + 0.999999f;
    const VPeak b = VPeak{} + 1e-7f;
    const double t0 = now_seconds();
    for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 24
        for (int i = 0; i < kPeakChains; ++i) acc[i] = acc[i] * a + b;
#if defined(__AVX__)
        asm volatile("" : "+v"(a));  // keeps the multiplier opaque so the loop is not folded
#endif
    }
    const double dt = now_seconds() - t0;
    VPeak sum = VPeak{};
    for (int i = 0; i < kPeakChains; ++i) sum += acc[i];  // every chain is used, so none is dropped
    volatile float sink = sum[0];
    (void)sink;
    return 2.0 * kPeakLanes * kPeakChains * double(iters) / dt / 1e9;
}

inline double peak_fma_gflops() {
    double best = 0;
    for (int r = 0; r < 40; ++r) best = std::max(best, peak_fma_once(1000000));
    return best;
}

}  // namespace sf_bench
