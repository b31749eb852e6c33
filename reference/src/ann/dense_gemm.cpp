// A dense layer's matrix products in Eigen's summation order (see dense_gemm.hpp).
//
// All three are one product in a common frame: out(v, s) = sum over k of A(k, v) * S(k, s),
// where v runs along contiguous floats of A and of out (the vector lanes) and S(k, s) is
// one float that every lane of a term shares (a broadcast):
//   input gradient   v = i, s = b, k = o:  A = w,     S(k, s) = dy[s][k], out = dx
//   weight gradient  v = i, s = o, k = b:  A = x,     S(k, s) = dy[k][s], out = dw
//   forward          v = b, s = o, k = i:  A = x^T,   S(k, s) = w[s][k],  out = y^T
// Eigen's rows are v in the first two and s in the forward pass.
#include "dense_gemm.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <Eigen/Core>

#include "conv_direct.hpp"

#if (defined(__AVX512F__) || defined(__AVX2__)) && defined(__FMA__)
#include <immintrin.h>
#define SF_DENSE_KERNELS 1
#endif

namespace sf::ann_detail {

#if defined(SF_DENSE_KERNELS)
namespace {

// The vector unit, the width of Eigen's float packet on the same build: AVX-512 (16 lanes,
// 32 registers) or AVX2 with FMA (8 lanes, 16 registers). A plain register tile is kTileV
// vectors by kTileS broadcasts, a split one 1 by kTileS, twice (even and odd terms): 24
// accumulators of 32 registers, or 12 of 16.
#if defined(__AVX512F__)
using Vec = __m512;
using Mask = __mmask16;
constexpr int kLanes = 16;
constexpr int kTileV = 2, kTileS = 12;
inline Mask lane_mask(int64_t n) { return n >= kLanes ? Mask(0xFFFF) : Mask((1u << n) - 1); }
inline Vec vzero() { return _mm512_setzero_ps(); }
inline Vec vset(float f) { return _mm512_set1_ps(f); }
inline Vec vload(const float* p) { return _mm512_loadu_ps(p); }
inline Vec vload(Mask m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec vadd(Vec a, Vec b) { return _mm512_add_ps(a, b); }
inline void vstore(float* p, Mask m, Vec v) { _mm512_mask_storeu_ps(p, m, v); }
#else
using Vec = __m256;
using Mask = __m256i;
constexpr int kLanes = 8;
constexpr int kTileV = 3, kTileS = 4;
inline Mask lane_mask(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(std::min<int64_t>(n, kLanes))),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline Vec vzero() { return _mm256_setzero_ps(); }
inline Vec vset(float f) { return _mm256_set1_ps(f); }
inline Vec vload(const float* p) { return _mm256_loadu_ps(p); }
inline Vec vload(Mask m, const float* p) { return _mm256_maskload_ps(p, m); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec vadd(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline void vstore(float* p, Mask m, Vec v) { _mm256_maskstore_ps(p, m, v); }
#endif

// Eigen's blocking of a product with `rows` x `cols` result (its column-major frame) and
// `depth` terms per sum: the same call its matrix product makes.
struct Blocking {
    int64_t kc, mc, nc;
};

Blocking eigen_blocking(int64_t rows, int64_t cols, int64_t depth) {
    Eigen::Index kc = depth, mc = rows, nc = cols;
    Eigen::internal::computeProductBlockingSizes<float, float, 1>(kc, mc, nc, Eigen::Index(1));
    return {int64_t(kc), int64_t(mc), int64_t(nc)};
}

// Where Eigen's kernel starts its one-packet row panels in a panel of n rows: after the
// panels of three packets and of two (a packet is kLanes rows).
int64_t split_start(int64_t n) {
    const int64_t p3 = n / (3 * kLanes) * (3 * kLanes);
    return p3 + (n - p3) / (2 * kLanes) * (2 * kLanes);
}

// True when Eigen's product of a [dst_rows x depth] by [depth x dst_cols] matrix into a
// row-major destination goes through its blocked kernel (not the coefficient-wise product
// it uses below 20, nor a matrix-vector product), and every row panel of its kernel is a
// multiple of four rows (so none of the kernel's scalar rows run).
bool kernel_applies(int64_t dst_rows, int64_t dst_cols, int64_t depth, const Blocking& bk,
                    int64_t rows) {
    if (dst_rows < 2 || dst_cols < 2 || depth < 1 || depth + dst_rows + dst_cols < 20) return false;
    for (int64_t i2 = 0; i2 < rows; i2 += bk.mc)
        if (std::min(bk.mc, rows - i2) % 4 != 0) return false;
    return true;
}

// The operands of out(v, s) = sum over k of A(k, v) * S(k, s).
struct Operands {
    const float* a;
    int64_t lda;  // A(k, v) = a[k*lda + v]
    const float* s;
    int64_t sk, ss;  // S(k, s) = s[k*sk + s*ss]
    float* out;
    int64_t os;  // out(v, s) = out[s*os + v]
    // Tile order: s outside v where out's rows are long and A's are short (the weight
    // gradient writes each row of dw in one sweep; its A, the input, stays in the cache).
    bool s_outer;
    int64_t prefetch;  // floats ahead of A(k, v0) to fetch into the cache each term (0: none)
};

// One register tile: NV vectors from v0 (with kTail, the last one only tail_lanes wide)
// by NS broadcasts from s0, over the d terms from k0. Adds the tile's sums to out, or, for
// the first block of terms, to +0 (out is not read). kSplit: the chain is Eigen's
// one-packet panel's, even terms of the first multiple of eight into acc and odd ones into
// odd. (Masked loads are kept out of the full tiles: with them in the loop, GCC 12 keeps
// the accumulators in memory.)
template <int NV, int NS, bool kSplit, bool kTail>
void tile(const Operands& p, int64_t v0, int64_t s0, int64_t k0, int64_t d, int64_t tail_lanes,
          bool first) {
    const Mask tail = lane_mask(tail_lanes);
    const int64_t lda = p.lda, sk = p.sk, ss = p.ss;
    const float* a = p.a + k0 * lda + v0;
    const float* s = p.s + k0 * sk + s0 * ss;
    Vec acc[NV][NS], odd[NV][NS];
    for (int v = 0; v < NV; ++v)
        for (int j = 0; j < NS; ++j) acc[v][j] = odd[v][j] = vzero();
    const int64_t peeled = kSplit ? d & ~int64_t(7) : 0;
    for (int64_t k = 0; k < d; ++k, a += lda, s += sk) {
        if (p.prefetch)
            for (int f = 0; f < NV * kLanes; f += 16)
                _mm_prefetch(reinterpret_cast<const char*>(a + p.prefetch + f), _MM_HINT_T0);
        Vec av[NV];
        for (int v = 0; v < NV; ++v)
            av[v] = kTail && v + 1 == NV ? vload(tail, a + v * kLanes) : vload(a + v * kLanes);
        if (kSplit && k < peeled && (k & 1)) {
            for (int j = 0; j < NS; ++j) {
                const Vec b = vset(s[j * ss]);
                for (int v = 0; v < NV; ++v) odd[v][j] = vfma(av[v], b, odd[v][j]);
            }
        } else {
            for (int j = 0; j < NS; ++j) {
                const Vec b = vset(s[j * ss]);
                for (int v = 0; v < NV; ++v) acc[v][j] = vfma(av[v], b, acc[v][j]);
            }
        }
        if (kSplit && k + 1 == peeled)
            for (int v = 0; v < NV; ++v)
                for (int j = 0; j < NS; ++j) acc[v][j] = vadd(acc[v][j], odd[v][j]);
    }
    const Mask full = lane_mask(kLanes);
    float* out = p.out + s0 * p.os + v0;
    for (int j = 0; j < NS; ++j)
        for (int v = 0; v < NV; ++v) {
            float* o = out + j * p.os + v * kLanes;
            const Mask m = v + 1 < NV ? full : tail;
            const Vec prev = first ? vzero() : vload(m, o);
            vstore(o, m, vadd(prev, acc[v][j]));
        }
}

using TileFn = void (*)(const Operands&, int64_t, int64_t, int64_t, int64_t, int64_t, bool);

template <int NV, bool kSplit, bool kTail, int... NS>
constexpr std::array<TileFn, sizeof...(NS)> tile_table(std::integer_sequence<int, NS...>) {
    return {&tile<NV, NS + 1, kSplit, kTail>...};
}

// The tiles of one rectangle [v0, v1) x [s0, s1) of out, for the terms [k0, k0 + d).
void rectangle(const Operands& p, int64_t v0, int64_t v1, int64_t s0, int64_t s1, bool split,
               int64_t k0, int64_t d, bool first) {
    // [split][tail][NV - 1][NS - 1]; split tiles are one vector wide.
    using Row = std::array<TileFn, kTileS>;
    constexpr auto ns = std::make_integer_sequence<int, kTileS>{};
    static constexpr Row kTiles[2][2][3] = {
        {{tile_table<1, false, false>(ns), tile_table<2, false, false>(ns),
          tile_table<3, false, false>(ns)},
         {tile_table<1, false, true>(ns), tile_table<2, false, true>(ns),
          tile_table<3, false, true>(ns)}},
        {{tile_table<1, true, false>(ns), Row{}, Row{}},
         {tile_table<1, true, true>(ns), Row{}, Row{}}}};
    const int64_t vstep = split ? kLanes : kTileV * kLanes;
    auto run = [&](int64_t v, int64_t s) {
        const int64_t nv = std::min(vstep, v1 - v), vectors = (nv + kLanes - 1) / kLanes;
        const int64_t last = nv - (vectors - 1) * kLanes;
        const bool masked = last < kLanes;
        const int64_t ns = std::min<int64_t>(kTileS, s1 - s);
        kTiles[split][masked][vectors - 1][ns - 1](p, v, s, k0, d, last, first);
    };
    if (p.s_outer) {
        for (int64_t s = s0; s < s1; s += kTileS)
            for (int64_t v = v0; v < v1; v += vstep) run(v, s);
    } else {
        for (int64_t v = v0; v < v1; v += vstep)
            for (int64_t s = s0; s < s1; s += kTileS) run(v, s);
    }
}

// dst [cols][rows] = src [rows][cols] transposed, in 8 x 8 blocks of registers.
void transpose(const float* src, int64_t rows, int64_t cols, float* dst) {
    const int64_t r8 = rows / 8 * 8, c8 = cols / 8 * 8;
    for (int64_t r0 = 0; r0 < r8; r0 += 8)
        for (int64_t c0 = 0; c0 < c8; c0 += 8) {
            __m256 r[8], t[8];
            for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + (r0 + i) * cols + c0);
            for (int i = 0; i < 8; i += 2) {
                t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
                t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
            }
            for (int i = 0; i < 8; i += 4) {
                r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
                r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
                r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
                r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
            }
            for (int i = 0; i < 4; ++i) {
                _mm256_storeu_ps(dst + (c0 + i) * rows + r0,
                                 _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
                _mm256_storeu_ps(dst + (c0 + i + 4) * rows + r0,
                                 _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
            }
        }
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = r < r8 ? c8 : 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
}

// The whole product, Eigen's rows being v (rows_are_v) or s. nv, ns: the extents. With
// `add` (one block of terms only), the first block adds to out instead of to +0.
void product(const Operands& p, int64_t nv, int64_t ns, int64_t depth, bool rows_are_v,
             const Blocking& bk, bool add = false) {
    const int64_t rows = rows_are_v ? nv : ns, cols = rows_are_v ? ns : nv;
    for (int64_t k0 = 0; k0 < depth; k0 += bk.kc) {
        const int64_t d = std::min(bk.kc, depth - k0);
        for (int64_t i2 = 0; i2 < rows; i2 += bk.mc) {
            const int64_t mc = std::min(bk.mc, rows - i2), sp = i2 + split_start(mc);
            for (int64_t j2 = 0; j2 < cols; j2 += bk.nc) {
                const int64_t nc = std::min(bk.nc, cols - j2), c4 = j2 + nc / 4 * 4;
                // {row range, column range, split}: Eigen's kernel splits the chain only
                // in its one-packet rows and the columns that fill groups of four.
                const int64_t parts[3][5] = {{i2, sp, j2, j2 + nc, 0},
                                             {sp, i2 + mc, j2, c4, 1},
                                             {sp, i2 + mc, c4, j2 + nc, 0}};
                for (const auto& r : parts) {
                    if (r[0] >= r[1] || r[2] >= r[3]) continue;
                    const bool first = k0 == 0 && !add;
                    if (rows_are_v)
                        rectangle(p, r[0], r[1], r[2], r[3], r[4] != 0, k0, d, first);
                    else
                        rectangle(p, r[2], r[3], r[0], r[1], r[4] != 0, k0, d, first);
                }
            }
        }
    }
}

}  // namespace

bool dense_product_forward(int64_t batch, int64_t in, int64_t out, const float* x, const float* w,
                           float* y) {
    // Eigen's frame: y^T [out x batch] = w [out x in] * x^T.
    const Blocking bk = eigen_blocking(out, batch, in);
    if (!kernel_applies(batch, out, in, bk, out)) return false;
    thread_local AlignedFloats xt, yt;
    xt.resize(size_t(in * batch));
    yt.resize(size_t(out * batch));
    transpose(x, batch, in, xt.data());
    const Operands p{xt.data(), batch, w, 1, in, yt.data(), batch, false, 0};
    product(p, batch, out, in, false, bk);
    transpose(yt.data(), out, batch, y);
    return true;
}

bool dense_product_weight_grad(int64_t batch, int64_t in, int64_t out, const float* dy,
                               const float* x, float* dw, bool add) {
    // Eigen's frame: dw^T [in x out] = x^T [in x batch] * dy.
    const Blocking bk = eigen_blocking(in, out, batch);
    if (!kernel_applies(out, in, batch, bk, in)) return false;
    // Adding: Eigen's product is +0 plus each block's chain in turn, so only a product of
    // one block adds to dw as dw + chain (equal to dw + (+0 + chain) when dw is not -0).
    if (add && batch > bk.kc) return false;
    const Operands p{x, in, dy, out, 1, dw, in, true, 0};
    product(p, in, out, batch, true, bk, add);
    return true;
}

bool dense_product_input_grad(int64_t batch, int64_t in, int64_t out, const float* dy,
                              const float* w, float* dx) {
    // Eigen's frame: dx^T [in x batch] = w^T [in x out] * dy^T.
    const Blocking bk = eigen_blocking(in, batch, out);
    if (!kernel_applies(batch, in, out, bk, in)) return false;
    // The tiles run along the rows of w: each asks for the rows two tiles ahead.
    const Operands p{w, in, dy, 1, out, dx, in, false, 2 * kTileV * kLanes};
    product(p, in, batch, out, true, bk);
    return true;
}

#else  // neither AVX-512 nor AVX2 with FMA: the callers keep Eigen's expressions

bool dense_product_forward(int64_t, int64_t, int64_t, const float*, const float*, float*) {
    return false;
}
bool dense_product_weight_grad(int64_t, int64_t, int64_t, const float*, const float*, float*,
                               bool) {
    return false;
}
bool dense_product_input_grad(int64_t, int64_t, int64_t, const float*, const float*, float*) {
    return false;
}

#endif

}  // namespace sf::ann_detail
