// Direct 'same' convolution on shifted planes (see conv_direct.hpp for the layout). The
// inner loops are register tiles written with GCC vector extensions, so the same source
// compiles to AVX-512, AVX2 or SSE; tile sizes follow the number of vector registers.
#include "conv_direct.hpp"
#include "lanes16.hpp"

#include <algorithm>
#include <cstring>

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace sf::ann_detail {

namespace {

#if defined(__AVX512F__)
constexpr int kLanes = 16;
constexpr int kFwdCo = 8, kFwdPix = 3;  // forward tile: 24 accumulators of 32 registers
constexpr int kDwCo = 8, kDwK = 3;      // weight-gradient tile: 24 accumulators
constexpr int kDwFewCo = 2;             // with at most 9 terms: 18 accumulators
constexpr bool kDwFew = true;
#else
constexpr int kDwFewCo = 1;
// (With 16 registers the tile over all 9 terms would spill: such layers use the others.)
constexpr bool kDwFew = false;
constexpr int kLanes = 8;
constexpr int kFwdCo = 4, kFwdPix = 3;  // 12 accumulators of 16 registers
constexpr int kDwCo = 4, kDwK = 3;
#endif
// Samples per slice: each pass builds the planes of this many samples and uses them while
// they are in the cache (and the weight-gradient tiles reread a slice's output-gradient
// planes from the first-level cache).
constexpr int64_t kSlice = 4;

typedef float V __attribute__((vector_size(kLanes * 4)));
typedef float VU __attribute__((vector_size(kLanes * 4), aligned(4), may_alias));
typedef int32_t VI __attribute__((vector_size(kLanes * 4)));
typedef int32_t VIU __attribute__((vector_size(kLanes * 4), aligned(4), may_alias));

inline V load(const float* p) { return *reinterpret_cast<const VU*>(p); }
inline void store(float* p, V v) { *reinterpret_cast<VU*>(p) = v; }

// Copies n <= kLanes floats with one masked load and store (with AVX-512 or AVX2): a
// library call for a copy of a few floats, whose length GCC cannot see, costs more than
// the copy, and these run a few thousand times per slice of samples.
inline void copy_lanes(float* dst, const float* src, int64_t n) {
#if defined(__AVX512F__)
    const __mmask16 m = __mmask16((1u << n) - 1u);
    _mm512_mask_storeu_ps(dst, m, _mm512_maskz_loadu_ps(m, src));
#elif defined(__AVX2__)
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)),
                                         _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(dst, m, _mm256_maskload_ps(src, m));
#else
    std::memcpy(dst, src, size_t(n) * 4);
#endif
}

// Lanes [0, n) of v to p, n <= kLanes, writing nothing past them.
inline void store_part(float* p, V v, int64_t n) {
#if defined(__AVX512F__)
    _mm512_mask_storeu_ps(p, __mmask16((1u << n) - 1u), (__m512)v);
#elif defined(__AVX2__)
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)),
                                         _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(p, m, (__m256)v);
#else
    float t[kLanes];
    store(t, v);
    std::memcpy(p, t, size_t(n) * 4);
#endif
}

// Copies n floats: whole vectors, then the rest.
inline void copy_floats(float* dst, const float* src, int64_t n) {
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) store(dst + i, load(src + i));
    if (i < n) copy_lanes(dst + i, src + i, n - i);
}
// Every lane s, as one broadcast (V{} + s would have to compute 0 + s, and GCC builds a
// vector filled lane by lane from two halves).
inline V splat(float s) {
#if defined(__AVX512F__)
    return (V)_mm512_set1_ps(s);
#elif defined(__AVX__)
    return (V)_mm256_set1_ps(s);
#else
    V r;
    for (int i = 0; i < kLanes; ++i) r[i] = s;
    return r;
#endif
}

// The compiler would otherwise fold a loaded operand into every multiply-add that uses it,
// loading it once per use; this keeps it in a register.
inline V keep(V v) {
#if defined(__AVX__)
    asm("" : "+v"(v));  // a vector register operand (one ymm/zmm holds a whole V)
#endif
    return v;
}

// Sum of a vector's lanes, in a fixed pairwise order: lane i plus lane i + kLanes/2, then
// the same on the first half, down to one lane. (With AVX, as register halves: the same
// additions in the same order as the plain loop, which GCC compiles to scalar code through
// the stack, and the weight gradient takes one such sum per weight per call.)
inline float lane_sum(const float* v) {
#if defined(__AVX__)
#if defined(__AVX512F__)
    const __m512 x = _mm512_loadu_ps(v);
    const __m256 a = _mm256_add_ps(
        _mm512_castps512_ps256(x), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
#else
    const __m256 a = _mm256_loadu_ps(v);
#endif
    const __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    const __m128 c = _mm_add_ps(b, _mm_movehl_ps(b, b));
    return _mm_cvtss_f32(_mm_add_ss(c, _mm_shuffle_ps(c, c, 1)));
#else
    float t[kLanes];
    for (int i = 0; i < kLanes; ++i) t[i] = v[i];
    for (int n = kLanes / 2; n >= 1; n /= 2)
        for (int i = 0; i < n; ++i) t[i] += t[i + n];
    return t[0];
#endif
}

// Sizes of the shifted planes of one layer. A plane's pixel p sits at lead + pad*W + p
// from the plane's start; the lead puts pixel 0 on a 64-byte boundary, so the unshifted
// row's loads (the output gradient's in the weight gradient) never straddle cache lines.
struct Planes {
    int64_t k, pad, w, p, nv, lead, len;  // len: floats per plane (a multiple of kLanes)
    explicit Planes(const ConvGeometry& g) {
        k = g.k;
        pad = g.k / 2;
        w = g.w;
        p = g.h * g.w;
        nv = (p + kLanes - 1) / kLanes;
        lead = (kLanes - pad * g.w % kLanes) % kLanes;
        int64_t n = std::max({(g.h + 2 * pad) * g.w, pad * g.w + nv * kLanes + pad,
                              (g.k - 1) * g.w + nv * kLanes});
        len = (lead + n + kLanes - 1) / kLanes * kLanes;
    }
    // Offset of the term (channel c of `ch`, ky, kx) from a sample's first plane.
    int64_t term(int64_t ch, int64_t c, int64_t ky, int64_t kx) const {
        return (kx * ch + c) * len + lead + ky * w;
    }
};

// Column masks: lane p of mask kx is all ones when pixel p exists and column p % W + kx - pad
// lies inside the image.
void build_masks(const Planes& pl, AlignedFloats& masks) {
    masks.resize(size_t(pl.k * pl.nv * kLanes));
    for (int64_t kx = 0; kx < pl.k; ++kx)
        for (int64_t q = 0; q < pl.nv * kLanes; ++q) {
            const int64_t col = q % pl.w + kx - pl.pad;
            const uint32_t bits = (q < pl.p && col >= 0 && col < pl.w) ? 0xFFFFFFFFu : 0u;
            std::memcpy(&masks[size_t(kx * pl.nv * kLanes + q)], &bits, 4);
        }
}

// Sizes `planes` for `floats` floats of planes of the given layout. The zero borders of
// the planes (the rows above and below the image, the slack after it) are written only
// when the layout changes: build_planes writes nothing else, so they stay zero.
void size_planes(AlignedFloats& planes, std::array<int64_t, 5>& layout, int64_t floats,
                 const Planes& pl, int64_t ch, int64_t ns) {
    // The plane length, the shifts per sample, the channels, the pixel origin and the pixel
    // count fix where every border lies (a scratch may serve layers of other shapes).
    const std::array<int64_t, 5> key{pl.len, ns, ch, pl.lead + pl.pad * pl.w, pl.p};
    if (layout != key) {
        planes.assign(size_t(floats), 0.0f);
        layout = key;
    } else {
        planes.resize(size_t(floats));  // new floats are zero
    }
}

// The shifted planes of `rows` samples of `ch` channels each, in `planes` (sized by
// size_planes) laid out [sample][shift][channel][len] with ns shifts per sample: k, or 1
// for the unshifted plane alone. With `centre`, the unshifted planes are copied from src;
// with `sides` (ns = k, the unshifted planes built), the others are made from them, for
// which `masks` must hold build_masks' result. Only each plane's pixels are written; its
// borders stay zero.
void build_planes(const Planes& pl, int64_t ch, int64_t rows, const float* src, int64_t stride,
                  int64_t ns, bool centre, bool sides, float* planes, const AlignedFloats& masks) {
    const int64_t mid_shift = ns == 1 ? 0 : pl.pad;
    const int64_t top = pl.pad * pl.w;
    for (int64_t b = 0; b < rows; ++b)
        for (int64_t c = 0; c < ch; ++c) {
            float* mid = planes + ((b * ns + mid_shift) * ch + c) * pl.len + pl.lead;
            if (centre) copy_floats(mid + top, src + b * stride + c * pl.p, pl.p);
            if (!sides) continue;
            for (int64_t kx = 0; kx < pl.k; ++kx) {
                if (kx == pl.pad) continue;
                float* out = planes + ((b * ns + kx) * ch + c) * pl.len + pl.lead;
                const float* m = masks.data() + kx * pl.nv * kLanes;
                for (int64_t v = 0; v < pl.nv; ++v) {
                    const VI bits = (VI)load(mid + top + v * kLanes + kx - pl.pad);
                    store(out + top + v * kLanes,
                          (V)(bits & *reinterpret_cast<const VIU*>(m + v * kLanes)));
                }
            }
        }
}

// One register tile of the convolution: NCO output channels by NPX vectors of pixels.
// in[j]: where job j's pixels start in its sample's planes; off[i]: offset of the i-th
// (channel, ky, kx) term; wt[i * wstride + o]: its weight for output channel o.
// out[j] + o * plane receives count[j] floats of channel o.
template <int NCO, int NPX>
void conv_tile(const float* const* in, const int64_t* off, int64_t terms, const float* wt,
               int64_t wstride, const float* bias, float* const* out, const int64_t* count,
               int64_t plane) {
    V acc[NCO][NPX];
    for (int o = 0; o < NCO; ++o)
        for (int j = 0; j < NPX; ++j) acc[o][j] = splat(bias ? bias[o] : 0.0f);
    for (int64_t i = 0; i < terms; ++i) {
        V x[NPX];
        for (int j = 0; j < NPX; ++j) x[j] = keep(load(in[j] + off[i]));
        const float* wi = wt + i * wstride;
        for (int o = 0; o < NCO; ++o) {
            const V wv = splat(wi[o]);
            for (int j = 0; j < NPX; ++j) acc[o][j] += wv * x[j];
        }
    }
    for (int j = 0; j < NPX; ++j)
        for (int o = 0; o < NCO; ++o) {
            if (count[j] == kLanes)
                store(out[j] + o * plane, acc[o][j]);
            else
                store_part(out[j] + o * plane, acc[o][j], count[j]);
        }
}

template <int NPX>
void conv_tile_co(int64_t nco, const float* const* in, const int64_t* off, int64_t terms,
                  const float* wt, int64_t wstride, const float* bias, float* const* out,
                  const int64_t* count, int64_t plane) {
    switch (nco) {
#define SF_CONV_CASE(n) \
    case n: conv_tile<n, NPX>(in, off, terms, wt, wstride, bias, out, count, plane); break;
        SF_CONV_CASE(1)
        SF_CONV_CASE(2)
        SF_CONV_CASE(3)
        SF_CONV_CASE(4)
#if defined(__AVX512F__)
        SF_CONV_CASE(5)
        SF_CONV_CASE(6)
        SF_CONV_CASE(7)
        SF_CONV_CASE(8)
#endif
#undef SF_CONV_CASE
    }
}

// NCO output channels (from o0) of one vector of pixels whose T inputs are in x: the bias,
// then each term's product in term order. NCO is a compile-time count so that the
// accumulators stay in registers (with a run-time count and `o < nco` tests, GCC kept them
// on the stack and tested the count at every multiply-add).
template <int T, int NCO>
inline void few_terms_group(const V* x, const float* wt, int64_t nout, int64_t o0,
                            const float* bias, float* dst, int64_t count, int64_t plane) {
    V acc[NCO];
    for (int o = 0; o < NCO; ++o) acc[o] = splat(bias ? bias[o0 + o] : 0.0f);
    for (int t = 0; t < T; ++t)
        for (int o = 0; o < NCO; ++o) acc[o] += splat(wt[t * nout + o0 + o]) * x[t];
    for (int o = 0; o < NCO; ++o) {
        if (count == kLanes) {
            store(dst + (o0 + o) * plane, acc[o]);
        } else {
            // (Not store_part: with a masked store here, GCC 12 spills the accumulators
            // of the whole loop to the stack; conv1's forward ran at 34% of the peak.)
            float tmp[kLanes];
            store(tmp, acc[o]);
            std::memcpy(dst + (o0 + o) * plane, tmp, size_t(count) * 4);
        }
    }
}

// The convolution for layers with at most 9 terms per output (a 3x3 kernel on one input
// channel, the usual first layer): each vector of pixels loads its T inputs once into
// registers and then runs every output channel, kFwdCo at a time, so the few products per
// output are not swamped by a register tile's set-up.
template <int T>
void conv_few_terms(const Planes& pl, int64_t rows, const float* planes, int64_t sample_stride,
                    const int64_t* off, const float* wt, int64_t nout, const float* bias,
                    float* out, int64_t out_stride) {
    for (int64_t b = 0; b < rows; ++b)
        for (int64_t v = 0; v < pl.nv; ++v) {
            const float* in = planes + b * sample_stride + v * kLanes;
            V x[T];
            for (int t = 0; t < T; ++t) x[t] = keep(load(in + off[t]));
            const int64_t count = std::min<int64_t>(kLanes, pl.p - v * kLanes);
            float* dst = out + b * out_stride + v * kLanes;
            int64_t o0 = 0;
            for (; o0 + kFwdCo <= nout; o0 += kFwdCo)
                few_terms_group<T, kFwdCo>(x, wt, nout, o0, bias, dst, count, pl.p);
            for (; o0 < nout; ++o0) few_terms_group<T, 1>(x, wt, nout, o0, bias, dst, count, pl.p);
        }
}

// One job's tile for every group of kFwdCo output channels: npx vectors of pixels whose
// inputs start at in[j] (term i at in[j] + off[i]), written to dst[j] + o * plane.
void conv_job_tiles(int64_t npx, const float* const* in, const int64_t* off, int64_t terms,
                    const float* wt, int64_t nout, const float* bias, float* const* dst,
                    const int64_t* count, int64_t plane) {
    for (int64_t o0 = 0; o0 < nout; o0 += kFwdCo) {
        const int64_t nco = std::min<int64_t>(kFwdCo, nout - o0);
        float* d[kFwdPix];
        for (int64_t j = 0; j < npx; ++j) d[j] = dst[j] + o0 * plane;
        const float* bo = bias ? bias + o0 : nullptr;
        if (npx == 3)
            conv_tile_co<3>(nco, in, off, terms, wt + o0, nout, bo, d, count, plane);
        else if (npx == 2)
            conv_tile_co<2>(nco, in, off, terms, wt + o0, nout, bo, d, count, plane);
        else
            conv_tile_co<1>(nco, in, off, terms, wt + o0, nout, bo, d, count, plane);
    }
}

// out[b][o * P + p] = bias[o] + sum over terms i of wt[i][o] * planes(b)[off[i] + p] for
// every row b < rows, pixel p < P and output channel o < nout.
//
// When P is not a multiple of kLanes, each sample's last vector holds only r = P % kLanes
// pixels. With r <= kLanes / 2 the last vectors of kLanes / r samples share one vector
// instead (conv2 of the shipped CNNs: 196 pixels, the 4 left over of 4 samples in one
// vector): their inputs are copied side by side, one row of kLanes floats per term, so
// there are fewer vectors to compute and the jobs fill whole tiles more often. Each output
// is still the bias plus the same products in the same order.
void conv_planes(const Planes& pl, int64_t rows, const float* planes, int64_t sample_stride,
                 const std::vector<int64_t>& off, const float* wt, int64_t nout,
                 const float* bias, float* out, int64_t out_stride) {
    const int64_t terms = int64_t(off.size());
    switch (terms) {
#define SF_FEW_CASE(n)                                                                      \
    case n:                                                                                 \
        conv_few_terms<n>(pl, rows, planes, sample_stride, off.data(), wt, nout, bias, out, \
                          out_stride);                                                      \
        return;
        SF_FEW_CASE(1)
        SF_FEW_CASE(2)
        SF_FEW_CASE(3)
        SF_FEW_CASE(4)
        SF_FEW_CASE(5)
        SF_FEW_CASE(6)
        SF_FEW_CASE(7)
        SF_FEW_CASE(8)
        SF_FEW_CASE(9)
#undef SF_FEW_CASE
    }
    const int64_t r = pl.p % kLanes, share = r > 0 && 2 * r <= kLanes ? kLanes / r : 1;
    const int64_t per_sample = share > 1 ? pl.p / kLanes : pl.nv;  // vectors of a sample's own
    const int64_t jobs = rows * per_sample;
    for (int64_t j0 = 0; j0 < jobs; j0 += kFwdPix) {
        const int64_t npx = std::min<int64_t>(kFwdPix, jobs - j0);
        const float* in[kFwdPix];
        float* dst[kFwdPix];
        int64_t count[kFwdPix];
        for (int64_t j = 0; j < npx; ++j) {
            const int64_t b = (j0 + j) / per_sample, v = (j0 + j) % per_sample;
            in[j] = planes + b * sample_stride + v * kLanes;
            dst[j] = out + b * out_stride + v * kLanes;
            count[j] = std::min<int64_t>(kLanes, pl.p - v * kLanes);
        }
        conv_job_tiles(npx, in, off.data(), terms, wt, nout, bias, dst, count, pl.p);
    }
    if (share == 1) return;
    // The shared last vectors: `share` samples at a time, kFwdPix vectors per tile.
    thread_local AlignedFloats packed, result;
    thread_local std::vector<int64_t> poff;
    const int64_t groups = (rows + share - 1) / share, first = pl.p - r;
    poff.resize(size_t(terms));
    for (int64_t i = 0; i < terms; ++i) poff[size_t(i)] = i * kLanes;
    packed.resize(size_t(kFwdPix * terms * kLanes));
    result.resize(size_t(kFwdPix * nout * kLanes));
    for (int64_t g0 = 0; g0 < groups; g0 += kFwdPix) {
        const int64_t npx = std::min<int64_t>(kFwdPix, groups - g0);
        const float* in[kFwdPix];
        float* dst[kFwdPix];
        int64_t count[kFwdPix];
        for (int64_t j = 0; j < npx; ++j) {
            float* pk = packed.data() + j * terms * kLanes;
            const int64_t b0 = (g0 + j) * share, nb = std::min(share, rows - b0);
            for (int64_t i = 0; i < terms; ++i) {
                float* row = pk + i * kLanes;
                for (int64_t q = 0; q < nb; ++q)
                    copy_lanes(row + q * r, planes + (b0 + q) * sample_stride + off[size_t(i)] + first,
                               r);
                std::fill(row + nb * r, row + kLanes, 0.0f);
            }
            in[j] = pk;
            dst[j] = result.data() + j * nout * kLanes;
            count[j] = kLanes;
        }
        conv_job_tiles(npx, in, poff.data(), terms, wt, nout, bias, dst, count, kLanes);
        for (int64_t j = 0; j < npx; ++j) {
            const int64_t b0 = (g0 + j) * share, nb = std::min(share, rows - b0);
            for (int64_t q = 0; q < nb; ++q)
                for (int64_t o = 0; o < nout; ++o)
                    copy_lanes(out + (b0 + q) * out_stride + o * pl.p + first,
                               dst[j] + o * kLanes + q * r, r);
        }
    }
}

// One register tile of the weight gradient: NCO output channels by NK (channel, ky, kx)
// terms, over samples [b0, b1). part[o * terms_total + t] (kLanes floats each) carries the
// partial sums between chunks of samples; the first chunk (first) starts them at zero
// instead of reading them.
template <int NCO, int NK>
void dw_tile(const float* xplanes, int64_t x_stride, const int64_t* xoff, const float* dcentre,
             int64_t d_stride, int64_t len, int64_t nv, int64_t b0, int64_t b1, float* part,
             int64_t terms_total, bool first) {
    V acc[NCO][NK];
    for (int o = 0; o < NCO; ++o)
        for (int t = 0; t < NK; ++t)
            acc[o][t] = first ? V{} : load(part + (o * terms_total + t) * kLanes);
    for (int64_t b = b0; b < b1; ++b) {
        const float* xb = xplanes + b * x_stride;
        const float* db = dcentre + b * d_stride;
        for (int64_t v = 0; v < nv; ++v) {
            V x[NK];
            for (int t = 0; t < NK; ++t) x[t] = keep(load(xb + xoff[t] + v * kLanes));
            for (int o = 0; o < NCO; ++o) {
                const V d = keep(load(db + o * len + v * kLanes));
                for (int t = 0; t < NK; ++t) acc[o][t] += d * x[t];
            }
        }
    }
    for (int o = 0; o < NCO; ++o)
        for (int t = 0; t < NK; ++t) store(part + (o * terms_total + t) * kLanes, acc[o][t]);
}

template <int NCO>
void dw_tile_k(int64_t nk, const float* xplanes, int64_t x_stride, const int64_t* xoff,
               const float* dcentre, int64_t d_stride, int64_t len, int64_t nv, int64_t b0,
               int64_t b1, float* part, int64_t terms_total, bool first) {
    switch (nk) {
#define SF_DW_CASE(n)                                                                       \
    case n:                                                                                 \
        dw_tile<NCO, n>(xplanes, x_stride, xoff, dcentre, d_stride, len, nv, b0, b1, part, \
                        terms_total, first);                                                \
        break;
        SF_DW_CASE(1)
        SF_DW_CASE(2)
        SF_DW_CASE(3)
#undef SF_DW_CASE
    }
}

void dw_tile_any(int64_t nco, int64_t nk, const float* xplanes, int64_t x_stride,
                 const int64_t* xoff, const float* dcentre, int64_t d_stride, int64_t len,
                 int64_t nv, int64_t b0, int64_t b1, float* part, int64_t terms_total,
                 bool first) {
    switch (nco) {
#define SF_DW_CO_CASE(n)                                                                    \
    case n:                                                                                 \
        dw_tile_k<n>(nk, xplanes, x_stride, xoff, dcentre, d_stride, len, nv, b0, b1, part, \
                     terms_total, first);                                                   \
        break;
        SF_DW_CO_CASE(1)
        SF_DW_CO_CASE(2)
        SF_DW_CO_CASE(3)
        SF_DW_CO_CASE(4)
#if defined(__AVX512F__)
        SF_DW_CO_CASE(5)
        SF_DW_CO_CASE(6)
        SF_DW_CO_CASE(7)
        SF_DW_CO_CASE(8)
#endif
#undef SF_DW_CO_CASE
    }
}

// The bias gradient's partial sums of NCO output channels over a slice of n samples: each
// channel's lanes add its gradient vectors in sample and pixel order. The channels' sums
// run side by side, so that the additions of one channel (a chain in which each waits for
// the one before) overlap those of the others.
constexpr int kDbCo = 8;
template <int NCO>
void db_sums(const float* d, int64_t d_sample, int64_t d_channel, int64_t nv, int64_t n,
             float* part, bool first) {
    V acc[NCO];
    for (int o = 0; o < NCO; ++o) acc[o] = first ? V{} : load(part + o * kLanes);
    for (int64_t b = 0; b < n; ++b)
        for (int64_t v = 0; v < nv; ++v)
            for (int o = 0; o < NCO; ++o)
                acc[o] += load(d + b * d_sample + o * d_channel + v * kLanes);
    for (int o = 0; o < NCO; ++o) store(part + o * kLanes, acc[o]);
}

// The weight gradient of a layer with at most 9 terms per output (see conv_few_terms): a
// tile of kDwFewCo output channels by all T terms, so each output-gradient vector (read
// from the second-level cache: a slice's output gradient is large when the layer has few
// input channels) is loaded once for all the terms, which sit in the first-level cache.
template <int T>
void dw_few_terms(int64_t nco, const float* xplanes, int64_t x_stride, const int64_t* xoff,
                  const float* dcentre, int64_t d_stride, int64_t len, int64_t nv, int64_t n,
                  float* part, bool first) {
    switch (nco) {
        case 1:
            dw_tile<1, T>(xplanes, x_stride, xoff, dcentre, d_stride, len, nv, 0, n, part, T,
                          first);
            break;
#if defined(__AVX512F__)
        case 2:
            dw_tile<2, T>(xplanes, x_stride, xoff, dcentre, d_stride, len, nv, 0, n, part, T,
                          first);
            break;
#endif
    }
}

}  // namespace

bool conv_direct_applies(int64_t k, int64_t stride, int64_t pad) {
    return stride == 1 && k % 2 == 1 && pad == k / 2;
}

void conv_direct_forward(const ConvGeometry& g, int64_t rows, const float* x, int64_t x_stride,
                         const float* w, const float* bias, float* y, int64_t y_stride,
                         ConvScratch& s, const ConvSliceHook& after) {
    const Planes pl(g);
    const int64_t kk = g.k * g.k, terms = g.c * kk, sample = g.k * g.c * pl.len;
    build_masks(pl, s.masks);
    size_planes(s.xplanes, s.xlayout, kSlice * sample, pl, g.c, g.k);
    // wt[(ci*k + ky)*k + kx][co] = w[co][ci][ky][kx]; term offsets into a sample's planes.
    s.wt.resize(size_t(terms * g.oc));
    for (int64_t o = 0; o < g.oc; ++o)
        for (int64_t t = 0; t < terms; ++t) s.wt[size_t(t * g.oc + o)] = w[o * terms + t];
    std::vector<int64_t> off(static_cast<size_t>(terms));
    for (int64_t ci = 0; ci < g.c; ++ci)
        for (int64_t ky = 0; ky < g.k; ++ky)
            for (int64_t kx = 0; kx < g.k; ++kx)
                off[size_t((ci * g.k + ky) * g.k + kx)] = pl.term(g.c, ci, ky, kx);
    const int64_t out_row = g.oc * pl.p;
    if (after) s.slice.resize(size_t(kSlice * out_row));
    // A few samples at a time, so their planes are still in the cache when read.
    for (int64_t r0 = 0; r0 < rows; r0 += kSlice) {
        const int64_t n = std::min(kSlice, rows - r0);
        float* planes = s.xplanes.data();
        build_planes(pl, g.c, n, x + r0 * x_stride, x_stride, g.k, true, true, planes, s.masks);
        float* out = after ? s.slice.data() : y + r0 * y_stride;
        conv_planes(pl, n, planes, sample, off, s.wt.data(), g.oc, bias, out,
                    after ? out_row : y_stride);
        if (after) after(r0, n, out);
    }
}

bool conv_relu_maxpool_applies(const ConvGeometry& g) {
#if defined(__AVX512F__)
    return g.c == 1 && g.k == 3 && g.h % 2 == 0 && g.w % 2 == 0 && g.h >= 2 && g.w >= 2 &&
           g.w <= 32;
#else
    // Its sixteen input rows and four sums of 16 lanes each need AVX-512's 32 registers:
    // with 16 (AVX2) the pass spills and runs 3x slower than the unfused block.
    (void)g;
    return false;
#endif
}

namespace {

// Sixteen lanes whatever the build's vector width: one pooled row of up to 16 outputs.
typedef float F16 __attribute__((vector_size(64)));
typedef int32_t I16 __attribute__((vector_size(64)));

// Lanes [0, n) of codes 0 to 4 as bytes to p (with AVX-512, one narrowing and a masked
// store rather than a library call per row).
inline void store_code_bytes(uint8_t* p, const I16& c, int64_t n) {
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
    _mm_mask_storeu_epi8(p, __mmask16((1u << n) - 1u), _mm512_cvtepi32_epi8((__m512i)c));
#else
    uint8_t t[16];
    for (int i = 0; i < 16; ++i) t[i] = uint8_t(c[i]);
    std::memcpy(p, t, size_t(n));
#endif
}

// One pooled row (py) of one sample for every output channel. in[r][f]: lanes px hold the
// input x[2py + r - 1][2px + f - 1] (0 outside the map), r and f in 0..3, so the convolution
// at the window's corner (dy, dx) sums w[ky][kx] * in[dy + ky][dx + kx].
void pooled_row(const F16 (&in)[4][4], const float* w, const float* bias, int64_t oc,
                int64_t out_plane, float* y, uint8_t* code, int64_t ow) {
    const F16 zero = {};
    const I16 izero = {};
    for (int64_t o = 0; o < oc; ++o) {
        const float* wo = w + o * 9;
        F16 acc[2][2];
        for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) acc[dy][dx] = zero + bias[o];
        // The bias, then the terms in the order (ky, kx), as conv_few_terms adds them.
        for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
                const float wt = wo[ky * 3 + kx];
                for (int dy = 0; dy < 2; ++dy)
                    for (int dx = 0; dx < 2; ++dx) acc[dy][dx] += wt * in[dy + ky][dx + kx];
            }
        // The ReLU, the larger of each column's two rows (the top one on a tie), then of the
        // two columns (on a tie the lower input index: top-right beats bottom-left), as
        // maxpool2_even decides.
        F16 a = acc[0][0], b = acc[1][0], c = acc[0][1], d = acc[1][1];
        a = zero > a ? zero : a;
        b = zero > b ? zero : b;
        c = zero > c ? zero : c;
        d = zero > d ? zero : d;
        const I16 low0 = b > a, low1 = d > c;
        const F16 m0 = low0 ? b : a, m1 = low1 ? d : c;
        const I16 right = (m1 > m0) | ((m1 == m0) & low0 & ~low1);
        const F16 m = right ? m1 : m0;
        const I16 coded = m > zero ? (right ? ((low1 & 2) | 1) : (low0 & 2)) : izero + 4;
        store_first(y + o * out_plane, m, ow);
        store_code_bytes(code + o * out_plane, coded, ow);
    }
}

}  // namespace

void conv_relu_maxpool_forward(const ConvGeometry& g, int64_t rows, const float* x,
                               int64_t x_stride, const float* w, const float* bias, float* y,
                               int64_t y_stride, uint8_t* code, ConvScratch& s) {
    const Planes pl(g);
    const int64_t sample = g.k * pl.len, oh = g.h / 2, ow = g.w / 2, out_row = g.oc * oh * ow;
    const int64_t W = g.w, first = std::min<int64_t>(16, W), second = W - first;
    build_masks(pl, s.masks);
    size_planes(s.xplanes, s.xlayout, kSlice * sample, pl, 1, 3);
    const I16 even = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
    const I16 odd = even + 1;
    for (int64_t r0 = 0; r0 < rows; r0 += kSlice) {
        const int64_t n = std::min(kSlice, rows - r0);
        float* planes = s.xplanes.data();
        build_planes(pl, 1, n, x + r0 * x_stride, x_stride, 3, true, true, planes, s.masks);
        for (int64_t b = 0; b < n; ++b) {
            // Shifted plane kx holds x[row][col + kx - 1]; its row R (0 = the zero row above)
            // starts at lead + R * W.
            const float* pb = planes + b * sample + pl.lead;
            for (int64_t py = 0; py < oh; ++py) {
                F16 in[4][4];
                for (int r = 0; r < 4; ++r) {
                    // Column 2px + f - 1 of row 2py + r - 1: even columns of plane 0 (f = 0)
                    // and of plane 1 (f = 1), odd columns of plane 1 (f = 2) and of plane 2
                    // (f = 3).
                    F16 h[3][2];
                    for (int kx = 0; kx < 3; ++kx) {
                        const float* row = pb + kx * pl.len + (2 * py + r) * W;
                        h[kx][0] = load_first<F16>(row, first);
                        h[kx][1] = second > 0 ? load_first<F16>(row + 16, second) : F16{};
                    }
                    in[r][0] = __builtin_shuffle(h[0][0], h[0][1], even);
                    in[r][1] = __builtin_shuffle(h[1][0], h[1][1], even);
                    in[r][2] = __builtin_shuffle(h[1][0], h[1][1], odd);
                    in[r][3] = __builtin_shuffle(h[2][0], h[2][1], odd);
                }
                pooled_row(in, w, bias, g.oc, oh * ow, y + (r0 + b) * y_stride + py * ow,
                           code + (r0 + b) * out_row + py * ow, ow);
            }
        }
    }
}

void conv_direct_backward(const ConvGeometry& g, int64_t rows, const float* x, int64_t x_row,
                          const float* dy, int64_t dy_stride, const float* w, float* dw, float* db,
                          float* dx, int64_t dx_stride, ConvScratch& s,
                          const ConvSliceHook& before) {
    const Planes pl(g);
    const int64_t kk = g.k * g.k, terms = g.c * kk, dterms = g.oc * kk;
    const bool shifts = dx != nullptr;
    const int64_t ns = shifts ? g.k : 1, centre = shifts ? pl.pad : 0;
    const int64_t d_stride = ns * g.oc * pl.len, x_stride = g.k * g.c * pl.len;
    build_masks(pl, s.masks);
    size_planes(s.xplanes, s.xlayout, kSlice * x_stride, pl, g.c, g.k);
    size_planes(s.dplanes, s.dlayout, kSlice * d_stride, pl, g.oc, ns);
    const float* dcentre = s.dplanes.data() + pl.term(g.oc, 0, pl.pad, centre);

    // The weight gradient's terms in the order (kx, ci, ky): a tile's consecutive terms then
    // read a few planes at several row offsets. xoff[u]: the term's offset into a sample's
    // planes; wmap[u]: its index in the weight layout [ci][ky][kx].
    std::vector<int64_t> xoff(static_cast<size_t>(terms)), wmap(static_cast<size_t>(terms));
    for (int64_t kx = 0, u = 0; kx < g.k; ++kx)
        for (int64_t ci = 0; ci < g.c; ++ci)
            for (int64_t ky = 0; ky < g.k; ++ky, ++u) {
                xoff[size_t(u)] = pl.term(g.c, ci, ky, kx);
                wmap[size_t(u)] = (ci * g.k + ky) * g.k + kx;
            }
    // Input gradient's weights, wt[(co*k + ky)*k + kx][ci] = w[co][ci][k-1-ky][k-1-kx], and
    // term offsets into a sample's output-gradient planes.
    std::vector<int64_t> doff;
    if (shifts) {
        s.wt.resize(size_t(dterms * g.c));
        for (int64_t o = 0; o < g.oc; ++o)
            for (int64_t ci = 0; ci < g.c; ++ci)
                for (int64_t ky = 0; ky < g.k; ++ky)
                    for (int64_t kx = 0; kx < g.k; ++kx)
                        s.wt[size_t(((o * g.k + ky) * g.k + kx) * g.c + ci)] =
                            w[((o * g.c + ci) * g.k + (g.k - 1 - ky)) * g.k + (g.k - 1 - kx)];
        doff.resize(size_t(dterms));
        for (int64_t o = 0; o < g.oc; ++o)
            for (int64_t ky = 0; ky < g.k; ++ky)
                for (int64_t kx = 0; kx < g.k; ++kx)
                    doff[size_t((o * g.k + ky) * g.k + kx)] = pl.term(g.oc, o, ky, kx);
    }

    // Partial sums (kLanes floats each) of the weight and bias gradients, carried across
    // the slices of samples in sample order; the first slice starts them at zero.
    s.part.resize(size_t((g.oc * terms + g.oc) * kLanes));
    if (rows <= 0) std::fill(s.part.begin(), s.part.end(), 0.0f);
    float* dbpart = s.part.data() + g.oc * terms * kLanes;
    // Without the input gradient, and when the pixels fill whole vectors, the weight and
    // bias gradients read the output gradient where it lies: its unshifted plane would be
    // a plain copy.
    const bool in_place = !shifts && pl.p % kLanes == 0;
    const int64_t out_row = g.oc * pl.p;
    if (before) {
        s.slice.resize(size_t(kSlice * out_row));
        dy_stride = out_row;
    }
    for (int64_t r0 = 0; r0 < rows; r0 += kSlice) {
        const int64_t n = std::min(kSlice, rows - r0);
        // The slice's output gradient: rows of dy, or of s.slice as the hook wrote them.
        const float* dslice = s.slice.data();
        if (before)
            before(r0, n, s.slice.data());
        else
            dslice = dy + r0 * dy_stride;
        const float* dsrc = dcentre;  // the slice's output gradient, pixel 0 of channel 0
        int64_t dsample = d_stride, dchannel = pl.len;
        if (in_place) {
            dsrc = dslice;
            dsample = dy_stride;
            dchannel = pl.p;
        } else {
            // The shifted planes wait until the weight gradient is done, so that it finds
            // its planes in the cache with fewer others around them.
            build_planes(pl, g.oc, n, dslice, dy_stride, ns, true, false, s.dplanes.data(),
                         s.masks);
        }
        const bool first = r0 == 0;
        int64_t o = 0;
        for (; o + kDbCo <= g.oc; o += kDbCo)
            db_sums<kDbCo>(dsrc + o * dchannel, dsample, dchannel, pl.nv, n, dbpart + o * kLanes,
                           first);
        for (; o < g.oc; ++o)
            db_sums<1>(dsrc + o * dchannel, dsample, dchannel, pl.nv, n, dbpart + o * kLanes,
                       first);
        // The slice's input planes, built again here (in the cache) rather than kept from
        // the forward pass (a block of 32 samples of conv2 has 2.75 MB of them).
        const float* xplanes = s.xplanes.data();
        build_planes(pl, g.c, n, x + r0 * x_row, x_row, g.k, true, true, s.xplanes.data(),
                     s.masks);
        if (kDwFew && terms <= 9) {
            for (int64_t o0 = 0; o0 < g.oc; o0 += kDwFewCo) {
                const int64_t nco = std::min<int64_t>(kDwFewCo, g.oc - o0);
                float* pt = s.part.data() + o0 * terms * kLanes;
                const float* d0 = dsrc + o0 * dchannel;
                switch (terms) {
#define SF_DW_FEW_CASE(t)                                                                         \
    case t:                                                                                       \
        dw_few_terms<t>(nco, xplanes, x_stride, xoff.data(), d0, dsample, dchannel, pl.nv, n, pt, \
                        first);                                                                   \
        break;
                    SF_DW_FEW_CASE(1)
                    SF_DW_FEW_CASE(2)
                    SF_DW_FEW_CASE(3)
                    SF_DW_FEW_CASE(4)
                    SF_DW_FEW_CASE(5)
                    SF_DW_FEW_CASE(6)
                    SF_DW_FEW_CASE(7)
                    SF_DW_FEW_CASE(8)
                    SF_DW_FEW_CASE(9)
#undef SF_DW_FEW_CASE
                }
            }
        } else {
            for (int64_t o0 = 0; o0 < g.oc; o0 += kDwCo)
                for (int64_t t0 = 0; t0 < terms; t0 += kDwK) {
                    dw_tile_any(std::min<int64_t>(kDwCo, g.oc - o0),
                                std::min<int64_t>(kDwK, terms - t0), xplanes, x_stride,
                                xoff.data() + t0, dsrc + o0 * dchannel, dsample, dchannel, pl.nv, 0,
                                n, s.part.data() + (o0 * terms + t0) * kLanes, terms, first);
                }
        }
        if (shifts) {
            build_planes(pl, g.oc, n, nullptr, 0, ns, false, true, s.dplanes.data(), s.masks);
            conv_planes(pl, n, s.dplanes.data(), d_stride, doff, s.wt.data(), g.c, nullptr,
                        dx + r0 * dx_stride, dx_stride);
        }
    }
    for (int64_t o = 0; o < g.oc; ++o)
        for (int64_t u = 0; u < terms; ++u)
            dw[o * terms + wmap[size_t(u)]] = lane_sum(s.part.data() + (o * terms + u) * kLanes);
    for (int64_t o = 0; o < g.oc; ++o) db[o] = lane_sum(dbpart + o * kLanes);
}

}  // namespace sf::ann_detail
