// Forward and backward passes of the ANN layers. Conventions: a batch is row-major
// [B, features]; conv feature maps are [C, H, W] in C order inside a row; sequences for
// rnn/lstm are [T, I] (every dimension but the last is time).
#include "ann_ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__AVX__)
#include <immintrin.h>
#endif

#include <Eigen/Dense>

#include "sf/core/error.hpp"

#include "dense_gemm.hpp"
#include "lanes16.hpp"

namespace sf::ann_detail {

namespace {

using CMap = Eigen::Map<const AnnMatrix>;
using MMap = Eigen::Map<AnnMatrix>;
using RowVec = Eigen::Matrix<float, 1, Eigen::Dynamic>;

CMap pmat(const AnnLayer& l, size_t i, int64_t rows, int64_t cols) {
    return CMap(l.params[i].value.data(), rows, cols);
}

struct ConvDims {
    int64_t c, h, w, k, s, pad, oc, oh, ow;
    int64_t p() const { return oh * ow; }
    int64_t ckk() const { return c * k * k; }
};

ConvDims conv_dims(const AnnLayer& l) {
    ConvDims d{};
    d.c = l.in_shape[0];
    d.h = l.in_shape[1];
    d.w = l.in_shape[2];
    d.k = l.kernel;
    d.s = l.stride;
    d.pad = l.padding;
    d.oc = l.out_shape[0];
    d.oh = l.out_shape[1];
    d.ow = l.out_shape[2];
    return d;
}

// cols[(c*k + ki)*k + kj, b*P + oh*OW + ow] = x[b, c, oh*s + ki - pad, ow*s + kj - pad]
void im2col(const AnnMatrix& x, const ConvDims& d, AnnMatrix& cols) {
    const int64_t B = x.rows(), P = d.p();
    cols.resize(d.ckk(), B * P);
    for (int64_t c = 0; c < d.c; ++c)
        for (int64_t ki = 0; ki < d.k; ++ki)
            for (int64_t kj = 0; kj < d.k; ++kj) {
                float* row = cols.row((c * d.k + ki) * d.k + kj).data();
                // Output columns whose input column lies inside the image, computed once
                // per kernel offset so the inner loop has no bounds test.
                int64_t lo = 0, hi = d.ow;
                while (lo < d.ow && lo * d.s + kj - d.pad < 0) ++lo;
                while (hi > lo && (hi - 1) * d.s + kj - d.pad >= d.w) --hi;
                for (int64_t b = 0; b < B; ++b) {
                    const float* img = x.row(b).data() + c * d.h * d.w;
                    float* out = row + b * P;
                    for (int64_t oh = 0; oh < d.oh; ++oh) {
                        const int64_t ih = oh * d.s + ki - d.pad;
                        float* o = out + oh * d.ow;
                        if (ih < 0 || ih >= d.h) {
                            for (int64_t ow = 0; ow < d.ow; ++ow) o[ow] = 0.0f;
                            continue;
                        }
                        const float* src = img + ih * d.w + kj - d.pad;
                        for (int64_t ow = 0; ow < lo; ++ow) o[ow] = 0.0f;
                        if (d.s == 1)
                            for (int64_t ow = lo; ow < hi; ++ow) o[ow] = src[ow];
                        else
                            for (int64_t ow = lo; ow < hi; ++ow) o[ow] = src[ow * d.s];
                        for (int64_t ow = hi; ow < d.ow; ++ow) o[ow] = 0.0f;
                    }
                }
            }
}

// The adjoint of im2col: accumulate column gradients back into image positions.
void col2im(const AnnMatrix& dcols, const ConvDims& d, AnnMatrix& dx) {
    const int64_t B = dx.rows(), P = d.p();
    dx.setZero();
    for (int64_t c = 0; c < d.c; ++c)
        for (int64_t ki = 0; ki < d.k; ++ki)
            for (int64_t kj = 0; kj < d.k; ++kj) {
                const float* row = dcols.row((c * d.k + ki) * d.k + kj).data();
                int64_t lo = 0, hi = d.ow;
                while (lo < d.ow && lo * d.s + kj - d.pad < 0) ++lo;
                while (hi > lo && (hi - 1) * d.s + kj - d.pad >= d.w) --hi;
                for (int64_t b = 0; b < B; ++b) {
                    float* img = dx.row(b).data() + c * d.h * d.w;
                    const float* in = row + b * P;
                    for (int64_t oh = 0; oh < d.oh; ++oh) {
                        const int64_t ih = oh * d.s + ki - d.pad;
                        if (ih < 0 || ih >= d.h) continue;
                        float* dst = img + ih * d.w + kj - d.pad;
                        const float* g = in + oh * d.ow;
                        for (int64_t ow = lo; ow < hi; ++ow) dst[ow * d.s] += g[ow];
                    }
                }
            }
}

float sigmoid(float z) { return 1.0f / (1.0f + std::exp(-z)); }

// Sequence dims of an rnn/lstm input: T steps of I features.
void seq_dims(const AnnLayer& l, int64_t& T, int64_t& I) {
    I = l.in_shape.back();
    T = shape_size(l.in_shape) / I;
}

void rnn_forward(const AnnLayer& l, const AnnMatrix& x, AnnMatrix& y, LayerCache* cache) {
    int64_t T, I;
    seq_dims(l, T, I);
    const int64_t B = x.rows(), H = l.units;
    auto Wih = pmat(l, 0, H, I);
    auto Whh = pmat(l, 1, H, H);
    auto b = pmat(l, 2, 1, H);
    AnnMatrix h = AnnMatrix::Zero(B, H);
    if (cache) cache->h.assign(1, h);
    y.resize(B, l.return_sequences ? T * H : H);
    for (int64_t t = 0; t < T; ++t) {
        AnnMatrix a = x.middleCols(t * I, I) * Wih.transpose();
        a.noalias() += h * Whh.transpose();
        a.rowwise() += b.row(0);
        h = a.array().tanh().matrix();
        if (cache) cache->h.push_back(h);
        if (l.return_sequences) y.middleCols(t * H, H) = h;
    }
    if (!l.return_sequences) y = h;
}

void rnn_backward(const AnnLayer& l, const AnnMatrix& x, const AnnMatrix& dy,
                  const LayerCache& cache, AnnMatrix* dx, std::vector<std::vector<float>>& dp) {
    int64_t T, I;
    seq_dims(l, T, I);
    const int64_t B = x.rows(), H = l.units;
    auto Wih = pmat(l, 0, H, I);
    auto Whh = pmat(l, 1, H, H);
    AnnMatrix dWih = AnnMatrix::Zero(H, I), dWhh = AnnMatrix::Zero(H, H);
    RowVec db = RowVec::Zero(H);
    if (dx) dx->setZero(B, T * I);
    AnnMatrix dh = l.return_sequences ? AnnMatrix::Zero(B, H) : dy;
    for (int64_t t = T - 1; t >= 0; --t) {
        if (l.return_sequences) dh += dy.middleCols(t * H, H);
        const AnnMatrix& ht = cache.h[t + 1];
        AnnMatrix da = (dh.array() * (1.0f - ht.array().square())).matrix();
        dWih.noalias() += da.transpose() * x.middleCols(t * I, I);
        dWhh.noalias() += da.transpose() * cache.h[t];
        db += da.colwise().sum();
        if (dx) dx->middleCols(t * I, I).noalias() = da * Wih;
        dh.noalias() = da * Whh;
    }
    dp[0].assign(dWih.data(), dWih.data() + dWih.size());
    dp[1].assign(dWhh.data(), dWhh.data() + dWhh.size());
    dp[2].assign(db.data(), db.data() + db.size());
}

void lstm_forward(const AnnLayer& l, const AnnMatrix& x, AnnMatrix& y, LayerCache* cache) {
    int64_t T, I;
    seq_dims(l, T, I);
    const int64_t B = x.rows(), H = l.units;
    auto Wih = pmat(l, 0, 4 * H, I);
    auto Whh = pmat(l, 1, 4 * H, H);
    auto b = pmat(l, 2, 1, 4 * H);
    AnnMatrix h = AnnMatrix::Zero(B, H), c = AnnMatrix::Zero(B, H);
    if (cache) {
        cache->h.assign(1, h);
        cache->c.assign(1, c);
        cache->gates.clear();
    }
    y.resize(B, l.return_sequences ? T * H : H);
    AnnMatrix z(B, 4 * H);
    for (int64_t t = 0; t < T; ++t) {
        z.noalias() = x.middleCols(t * I, I) * Wih.transpose();
        z.noalias() += h * Whh.transpose();
        z.rowwise() += b.row(0);
        // Gates in place: i, f, o through the sigmoid, g through tanh.
        for (int64_t r = 0; r < B; ++r) {
            float* zr = z.row(r).data();
            for (int64_t j = 0; j < 2 * H; ++j) zr[j] = sigmoid(zr[j]);
            for (int64_t j = 2 * H; j < 3 * H; ++j) zr[j] = std::tanh(zr[j]);
            for (int64_t j = 3 * H; j < 4 * H; ++j) zr[j] = sigmoid(zr[j]);
        }
        c = (z.middleCols(H, H).array() * c.array() +
             z.middleCols(0, H).array() * z.middleCols(2 * H, H).array())
                .matrix();
        h = (z.middleCols(3 * H, H).array() * c.array().tanh()).matrix();
        if (cache) {
            cache->gates.push_back(z);
            cache->h.push_back(h);
            cache->c.push_back(c);
        }
        if (l.return_sequences) y.middleCols(t * H, H) = h;
    }
    if (!l.return_sequences) y = h;
}

void lstm_backward(const AnnLayer& l, const AnnMatrix& x, const AnnMatrix& dy,
                   const LayerCache& cache, AnnMatrix* dx, std::vector<std::vector<float>>& dp) {
    int64_t T, I;
    seq_dims(l, T, I);
    const int64_t B = x.rows(), H = l.units;
    auto Wih = pmat(l, 0, 4 * H, I);
    auto Whh = pmat(l, 1, 4 * H, H);
    AnnMatrix dWih = AnnMatrix::Zero(4 * H, I), dWhh = AnnMatrix::Zero(4 * H, H);
    RowVec db = RowVec::Zero(4 * H);
    if (dx) dx->setZero(B, T * I);
    AnnMatrix dh = l.return_sequences ? AnnMatrix::Zero(B, H) : dy;
    AnnMatrix dc = AnnMatrix::Zero(B, H);
    AnnMatrix dz(B, 4 * H);
    for (int64_t t = T - 1; t >= 0; --t) {
        if (l.return_sequences) dh += dy.middleCols(t * H, H);
        const AnnMatrix& g = cache.gates[t];
        const AnnMatrix& ct = cache.c[t + 1];
        const AnnMatrix& cp = cache.c[t];
        for (int64_t r = 0; r < B; ++r) {
            const float* gr = g.row(r).data();
            const float* dhr = dh.row(r).data();
            float* dcr = dc.row(r).data();
            float* dzr = dz.row(r).data();
            for (int64_t j = 0; j < H; ++j) {
                const float i = gr[j], f = gr[H + j], gg = gr[2 * H + j], o = gr[3 * H + j];
                const float tc = std::tanh(ct(r, j));
                const float d_o = dhr[j] * tc;
                const float dcj = dcr[j] + dhr[j] * o * (1.0f - tc * tc);
                dzr[j] = dcj * gg * i * (1.0f - i);
                dzr[H + j] = dcj * cp(r, j) * f * (1.0f - f);
                dzr[2 * H + j] = dcj * i * (1.0f - gg * gg);
                dzr[3 * H + j] = d_o * o * (1.0f - o);
                dcr[j] = dcj * f;
            }
        }
        dWih.noalias() += dz.transpose() * x.middleCols(t * I, I);
        dWhh.noalias() += dz.transpose() * cache.h[t];
        db += dz.colwise().sum();
        if (dx) dx->middleCols(t * I, I).noalias() = dz * Wih;
        dh.noalias() = dz * Whh;
    }
    dp[0].assign(dWih.data(), dWih.data() + dWih.size());
    dp[1].assign(dWhh.data(), dWhh.data() + dWhh.size());
    dp[2].assign(db.data(), db.data() + db.size());
}

// Pooling with 2x2 windows and stride 2, the shipped CNNs' case: the same sums and
// comparisons in the same order as the general loops below, without their index
// arithmetic, so the compiler can vectorise along each output row.
void pool2_forward_row(const float* r0, const float* r1, float* out, int64_t ow, bool mx,
                       int32_t* arg, int32_t base, int32_t w) {
    if (!mx) {
        for (int64_t j = 0; j < ow; ++j)
            out[j] = (((r0[2 * j] + r0[2 * j + 1]) + r1[2 * j]) + r1[2 * j + 1]) * 0.25f;
        return;
    }
    // Branch-free, so that the loop vectorises: the first of equal maxima wins, as in the
    // general loop (a NaN never wins there either).
    for (int64_t j = 0; j < ow; ++j) {
        const float a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
        const int32_t i0 = base + int32_t(2 * j);
        float best = a > -std::numeric_limits<float>::infinity() ? a : -std::numeric_limits<float>::infinity();
        int32_t at = a > -std::numeric_limits<float>::infinity() ? i0 : 0;
        at = b > best ? i0 + 1 : at;
        best = b > best ? b : best;
        at = c > best ? i0 + w : at;
        best = c > best ? c : best;
        at = d > best ? i0 + w + 1 : at;
        best = d > best ? d : best;
        out[j] = best;
        if (arg) arg[j] = at;
    }
}

// Vectors for the 2x2 pooling passes (on AVX2 a 16-lane one is a pair of registers).
typedef float F16 __attribute__((vector_size(64)));
typedef int32_t I16 __attribute__((vector_size(64)));
typedef float F8 __attribute__((vector_size(32)));
typedef int32_t I8 __attribute__((vector_size(32)));

// The pooling passes below pass 64-byte vectors to helpers that live in this file only (and
// in lanes16.hpp), so GCC's note that such a vector is passed differently with and without
// AVX-512 concerns no interface; it is silenced down to is_pool2.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
// Sixteen window codes (bytes) widened to 32-bit lanes, and back. With AVX-512 or AVX2 one
// zero-extending or narrowing instruction does it; GCC compiles __builtin_convertvector
// between these widths to a byte at a time. (The vectors go by reference: a 64-byte vector
// passed by value in a function GCC keeps out of line draws its ABI note outside the
// silenced region.)
inline void widen_codes(const uint8_t* p, I16& out) {
#if defined(__AVX512F__)
    out = (I16)_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
#elif defined(__AVX2__)
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m256i lo = _mm256_cvtepu8_epi32(b), hi = _mm256_cvtepu8_epi32(_mm_srli_si128(b, 8));
    std::memcpy(&out, &lo, 32);
    std::memcpy(reinterpret_cast<char*>(&out) + 32, &hi, 32);
#else
    typedef uint8_t C16 __attribute__((vector_size(16)));
    C16 c;
    std::memcpy(&c, p, sizeof c);
    out = __builtin_convertvector(c, I16);
#endif
}

// Codes 0 to 4 in 32-bit lanes stored as sixteen bytes.
inline void store_codes(uint8_t* p, const I16& c) {
#if defined(__AVX512F__)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtepi32_epi8((__m512i)c));
#else
    typedef uint8_t C16 __attribute__((vector_size(16)));
    const C16 c8 = __builtin_convertvector(c, C16);
    std::memcpy(p, &c8, sizeof c8);
#endif
}

const I16 kLane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
const I16 kEven = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
const I16 kOdd = kEven + 1;
// Interleaves: lanes 0..7 of a with those of b (a0 b0 a1 b1 ...), then lanes 8..15.
const I16 kZipLo = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23};
const I16 kZipHi = kZipLo + 8;

// Average pooling, 2x2 windows, stride 2, of one map of `rows` * 2 rows of W floats (W
// even) into `out`: the same sums in the same order as pool2_forward_row.
void avgpool2_rows(const float* x, int64_t rows, int64_t W, float* out) {
    const int64_t OW = W / 2;
    for (int64_t r = 0; r < rows; ++r) {
        const float* top = x + 2 * r * W;
        for (int64_t j = 0; j < OW; j += 16) {
            const int64_t n = std::min<int64_t>(16, OW - j);
            const int64_t c0 = std::min<int64_t>(16, 2 * n), c1 = 2 * n - c0;
            const F16 a0 = load_first<F16>(top + 2 * j, c0);
            const F16 a1 = load_first<F16>(top + 2 * j + 16, c1);
            const F16 b0 = load_first<F16>(top + W + 2 * j, c0);
            const F16 b1 = load_first<F16>(top + W + 2 * j + 16, c1);
            const F16 sum = ((__builtin_shuffle(a0, a1, kEven) + __builtin_shuffle(a0, a1, kOdd)) +
                             __builtin_shuffle(b0, b1, kEven)) +
                            __builtin_shuffle(b0, b1, kOdd);
            store_first(out + r * OW + j, sum * 0.25f, n);
        }
    }
}

// Max pooling, 2x2 windows, stride 2, on maps of even size at least 8 wide: first the
// larger of each vertical pair (a window's two rows are adjacent rows of the map), then of
// each horizontal pair of those, with vectors over the whole map (the tail of a row is
// covered by a last vector that overlaps the one before it, which recomputes the same
// values). The winner is the first maximum in the order (0,0), (0,1), (1,0), (1,1), as in
// the general loop, so ties go to the lower index. (Windows holding a NaN can differ from
// the general loop, which never lets a NaN win; their gradients are NaN either way.)
// Working over the whole map rather than row by row keeps every lane busy on narrow maps.
//
// With relu, every value first goes through the ReLU as Eigen's cwiseMax(0) computes it
// (0 > v ? 0 : v, which keeps -0 and NaN).
template <class F, class I, int N>
void max_rows(const float* in, float* vv, int32_t* vi, int64_t rows, int64_t W, bool relu) {
    const F zero = {};
    I lane;
    for (int i = 0; i < N; ++i) lane[i] = i;
    for (int64_t r = 0; r < rows; ++r) {
        const float* t = in + 2 * r * W;
        const int32_t base = int32_t(2 * r * W);
        for (int64_t j0 = 0; j0 < W; j0 += N) {
            const int64_t j = std::min(j0, W - N);
            F a, b;
            std::memcpy(&a, t + j, sizeof a);
            std::memcpy(&b, t + W + j, sizeof b);
            if (relu) {
                a = zero > a ? zero : a;
                b = zero > b ? zero : b;
            }
            const I low = b > a;
            const I at = lane + int32_t(base + j);
            const F m = low ? b : a;
            const I mi = low ? at + int32_t(W) : at;
            std::memcpy(vv + r * W + j, &m, sizeof m);
            std::memcpy(vi + r * W + j, &mi, sizeof mi);
        }
    }
}

// Window codes (see LayerCache::winner) from winners' input indices: `corner` holds each
// output's window's top-left index in the map (O per map, for maps of rows * 2 rows of W).
const std::vector<int32_t>& window_corners(int64_t rows, int64_t W) {
    thread_local std::vector<int32_t> corner;
    thread_local int64_t for_rows = -1, for_w = -1;
    if (for_rows != rows || for_w != W) {
        const int64_t OW = W / 2;
        corner.resize(size_t(rows * OW));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < OW; ++j) corner[size_t(r * OW + j)] = int32_t(2 * r * W + 2 * j);
        for_rows = rows;
        for_w = W;
    }
    return corner;
}

// The code of a window whose winner sits `d` after its top-left corner (0, 1, W or W + 1)
// and whose pooled value is m.
inline uint8_t window_code(int32_t d, float m, int64_t W) {
    return m > 0.0f ? uint8_t((d >= W ? 2 : 0) | (d & 1)) : uint8_t(4);
}

// n maps of `rows` * 2 rows of W floats each, `x_stride` floats apart, into pooled maps
// `y_stride` apart; argmax (optional) receives each output's input index, O per map, and
// code (optional) each window's code (LayerCache::winner), O per map.
void maxpool2_even(const float* x, int64_t x_stride, int64_t n, float* y, int64_t y_stride,
                   int32_t* argmax, uint8_t* code, int64_t rows, int64_t W, bool relu) {
    using F = F16;
    using I = I16;
    const int64_t half = rows * W, O = half / 2;
    thread_local std::vector<float> vv;
    thread_local std::vector<int32_t> vi;
    vv.resize(size_t(half));
    vi.resize(size_t(half));
    const int32_t* corner = code ? window_corners(rows, W).data() : nullptr;
    const F zero = {};
    const I even = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
    const I odd = even + 1;
    for (int64_t b = 0; b < n; ++b) {
        if (W >= 16)
            max_rows<F16, I16, 16>(x + b * x_stride, vv.data(), vi.data(), rows, W, relu);
        else
            max_rows<F8, I8, 8>(x + b * x_stride, vv.data(), vi.data(), rows, W, relu);
        float* out = y + b * y_stride;
        int32_t* arg = argmax ? argmax + b * O : nullptr;
        uint8_t* cd = code ? code + b * O : nullptr;
        int64_t j = 0;
        for (; j + 16 <= O; j += 16) {
            F a0, a1;
            I i0, i1;
            std::memcpy(&a0, vv.data() + 2 * j, sizeof a0);
            std::memcpy(&a1, vv.data() + 2 * j + 16, sizeof a1);
            std::memcpy(&i0, vi.data() + 2 * j, sizeof i0);
            std::memcpy(&i1, vi.data() + 2 * j + 16, sizeof i1);
            const F p = __builtin_shuffle(a0, a1, even), q = __builtin_shuffle(a0, a1, odd);
            const I ip = __builtin_shuffle(i0, i1, even), iq = __builtin_shuffle(i0, i1, odd);
            const I right = (q > p) | ((q == p) & (iq < ip));
            const F m = right ? q : p;
            std::memcpy(out + j, &m, sizeof m);
            const I mi = right ? iq : ip;
            if (arg) std::memcpy(arg + j, &mi, sizeof mi);
            if (cd) {
                I c0;
                std::memcpy(&c0, corner + j, sizeof c0);
                const I d = mi - c0;
                store_codes(cd + j, m > zero ? ((d >= int32_t(W)) & 2) | (d & 1) : I{} + 4);
            }
        }
        for (; j < O; ++j) {
            const float p = vv[size_t(2 * j)], q = vv[size_t(2 * j + 1)];
            const int32_t ip = vi[size_t(2 * j)], iq = vi[size_t(2 * j + 1)];
            const bool right = q > p || (q == p && iq < ip);
            out[j] = right ? q : p;
            if (arg) arg[j] = right ? iq : ip;
            if (cd) cd[j] = window_code((right ? iq : ip) - corner[j], out[j], W);
        }
    }
}

void pool2_forward(const AnnLayer& l, const AnnMatrix& x, AnnMatrix& y, int32_t* argmax) {
    const int64_t C = l.in_shape[0], H = l.in_shape[1], W = l.in_shape[2];
    const int64_t OH = l.out_shape[1], OW = l.out_shape[2], O = C * OH * OW;
    const bool mx = l.kind == AnnLayerKind::MaxPool;
    if (H % 2 == 0 && W % 2 == 0 && (!mx || W >= 8)) {
        if (mx) {
            maxpool2_even(x.data(), x.cols(), x.rows(), y.data(), y.cols(), argmax, nullptr,
                          C * OH, W, false);
        } else {
            for (int64_t b = 0; b < x.rows(); ++b)
                avgpool2_rows(x.row(b).data(), C * OH, W, y.row(b).data());
        }
        return;
    }
    for (int64_t b = 0; b < x.rows(); ++b)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t oh = 0; oh < OH; ++oh) {
                const int64_t r = (c * H + 2 * oh) * W, o = (c * OH + oh) * OW;
                pool2_forward_row(x.row(b).data() + r, x.row(b).data() + r + W,
                                  y.row(b).data() + o, OW, mx,
                                  argmax ? argmax + b * O + o : nullptr, int32_t(r), int32_t(W));
            }
}

// Average pooling's gradient for 2x2 windows with stride 2: every input lies in at most
// one window, so each receives its window's gradient times 1/4 (uncovered last rows or
// columns of an odd-sized map get zero). Each output row's gradients are spread over one
// input row, which is then copied to the row below.
void avgpool2_backward(const AnnLayer& l, const AnnMatrix& dy, AnnMatrix& dx) {
    const int64_t C = l.in_shape[0], H = l.in_shape[1], W = l.in_shape[2];
    const int64_t OH = l.out_shape[1], OW = l.out_shape[2];
    if (H % 2 || W % 2) dx.setZero();
    for (int64_t b = 0; b < dy.rows(); ++b)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t oh = 0; oh < OH; ++oh) {
                const float* g = dy.row(b).data() + (c * OH + oh) * OW;
                float* r0 = dx.row(b).data() + (c * H + 2 * oh) * W;
                for (int64_t j = 0; j < 2 * OW; ++j) r0[j] = g[j / 2] * 0.25f;
                std::memcpy(r0 + W, r0, size_t(2 * OW) * sizeof(float));
            }
}

// The ReLU in place, as Eigen's cwiseMax(0) computes it (0 > v ? 0 : v, which keeps -0 and
// NaN), noting where the input was positive. (restrict: a byte store could otherwise alias
// the floats, and the loop would not vectorise.)
void relu_and_mask(float* __restrict v, uint8_t* __restrict pos, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float x = v[i];
        pos[i] = x > 0.0f;
        v[i] = 0.0f > x ? 0.0f : x;
    }
}

// v[i] stays where pos[i] is set and becomes 0 elsewhere.
void mask_positive(float* __restrict v, const uint8_t* __restrict pos, int64_t n) {
    for (int64_t i = 0; i < n; ++i) v[i] = pos[i] ? v[i] : 0.0f;
}

// The gradient at the input of a 2x2 max pooling that follows a ReLU, from the gradient g
// at its output, for `rows` pooled rows of W / 2 outputs (one sample's map) whose windows'
// codes (LayerCache::winner, with slack after the last) are `code`: each window's winner
// gets 0 + g where the pooled value was positive (the sum a zeroed buffer would hold; the
// ReLU passes it), every other input 0. Every input of the map `out` (rows * 2 rows of W)
// is written, so nothing is cleared first.
void maxpool2_relu_backward(const float* g, const uint8_t* code, int64_t rows, int64_t W,
                            float* out) {
    const int64_t OW = W / 2;
    const F16 zero = {};
    for (int64_t r = 0; r < rows; ++r) {
        float* top = out + 2 * r * W;
        for (int64_t j = 0; j < OW; j += 16) {
            const int64_t n = std::min<int64_t>(16, OW - j), q = r * OW + j;
            const F16 v = zero + load_first<F16>(g + q, n);
            I16 c;
            widen_codes(code + q, c);  // lanes past n are not stored below
            const F16 te = c == 0 ? v : zero, to = c == 1 ? v : zero;
            const F16 be = c == 2 ? v : zero, bo = c == 3 ? v : zero;
            const int64_t c0 = std::min<int64_t>(16, 2 * n), c1 = 2 * n - c0;
            store_first(top + 2 * j, __builtin_shuffle(te, to, kZipLo), c0);
            store_first(top + 2 * j + 16, __builtin_shuffle(te, to, kZipHi), c1);
            store_first(top + W + 2 * j, __builtin_shuffle(be, bo, kZipLo), c0);
            store_first(top + W + 2 * j + 16, __builtin_shuffle(be, bo, kZipHi), c1);
        }
    }
}

// The gradient at the input of a 2x2 average pooling (W even) for `rows` pooled rows of
// W / 2 outputs: every input of a window gets a quarter of its gradient g, written into
// both rows of the map `out`.
void avgpool2_backward_rows(const float* g, int64_t rows, int64_t W, float* out) {
    const int64_t OW = W / 2;
    for (int64_t r = 0; r < rows; ++r) {
        float* top = out + 2 * r * W;
        for (int64_t j = 0; j < OW; j += 16) {
            const int64_t n = std::min<int64_t>(16, OW - j);
            const F16 v = load_first<F16>(g + r * OW + j, n) * 0.25f;
            const F16 lo = __builtin_shuffle(v, v, kZipLo), hi = __builtin_shuffle(v, v, kZipHi);
            const int64_t c0 = std::min<int64_t>(16, 2 * n), c1 = 2 * n - c0;
            store_first(top + 2 * j, lo, c0);
            store_first(top + 2 * j + 16, hi, c1);
            store_first(top + W + 2 * j, lo, c0);
            store_first(top + W + 2 * j + 16, hi, c1);
        }
    }
}

#pragma GCC diagnostic pop

bool is_pool2(const AnnLayer& l) { return l.kernel == 2 && l.stride == 2; }

}  // namespace

int64_t shape_size(const std::vector<int64_t>& s) {
    int64_t n = 1;
    for (auto v : s) n *= v;
    return n;
}

void layer_forward(const AnnLayer& l, const AnnMatrix& x, AnnMatrix& y, LayerCache* cache,
                   bool train, std::mt19937_64* rng) {
    const int64_t B = x.rows();
    switch (l.kind) {
    case AnnLayerKind::Dense: {
        const int64_t in = x.cols(), out = l.units;
        y.resize(B, out);
        if (!dense_product_forward(B, in, out, x.data(), l.params[0].value.data(), y.data()))
            y.noalias() = x * pmat(l, 0, out, in).transpose();
        y.rowwise() += pmat(l, 1, 1, out).row(0);
        break;
    }
    case AnnLayerKind::Conv2d: {
        const ConvDims d = conv_dims(l);
        if (conv_direct_applies(d.k, d.s, d.pad)) {
            const ConvGeometry g{d.c, d.h, d.w, d.k, d.oc};
            y.resize(B, d.oc * d.p());
            if (cache) {
                conv_direct_forward(g, B, x.data(), x.cols(), l.params[0].value.data(),
                                    l.params[1].value.data(), y.data(), y.cols(), cache->conv);
                break;
            }
            // Inference: blocks of rows through one scratch, so memory stays bounded.
            ConvScratch s;
            constexpr int64_t kRows = 64;
            for (int64_t r = 0; r < B; r += kRows)
                conv_direct_forward(g, std::min(kRows, B - r), x.row(r).data(), x.cols(),
                                    l.params[0].value.data(), l.params[1].value.data(),
                                    y.row(r).data(), y.cols(), s);
            break;
        }
        AnnMatrix local;
        AnnMatrix& cols = cache ? cache->cols : local;
        im2col(x, d, cols);
        AnnMatrix Y = pmat(l, 0, d.oc, d.ckk()) * cols;  // [OC, B*P]
        auto bias = pmat(l, 1, d.oc, 1);
        const int64_t P = d.p();
        y.resize(B, d.oc * P);
        for (int64_t b = 0; b < B; ++b)
            for (int64_t oc = 0; oc < d.oc; ++oc) {
                const float* src = Y.row(oc).data() + b * P;
                float* dst = y.row(b).data() + oc * P;
                const float bv = bias(oc, 0);
                for (int64_t p = 0; p < P; ++p) dst[p] = src[p] + bv;
            }
        break;
    }
    case AnnLayerKind::MaxPool:
    case AnnLayerKind::AvgPool: {
        const int64_t C = l.in_shape[0], H = l.in_shape[1], W = l.in_shape[2];
        const int64_t OH = l.out_shape[1], OW = l.out_shape[2], k = l.kernel, s = l.stride;
        const bool mx = l.kind == AnnLayerKind::MaxPool;
        y.resize(B, C * OH * OW);
        if (mx && cache) cache->argmax.resize(size_t(B * C * OH * OW));
        if (is_pool2(l)) {
            pool2_forward(l, x, y, mx && cache ? cache->argmax.data() : nullptr);
            break;
        }
        const float inv = 1.0f / float(k * k);
        for (int64_t b = 0; b < B; ++b) {
            const float* in = x.row(b).data();
            float* out = y.row(b).data();
            for (int64_t c = 0; c < C; ++c)
                for (int64_t oh = 0; oh < OH; ++oh)
                    for (int64_t ow = 0; ow < OW; ++ow) {
                        float best = -std::numeric_limits<float>::infinity(), sum = 0;
                        int64_t arg = 0;
                        for (int64_t i = 0; i < k; ++i)
                            for (int64_t j = 0; j < k; ++j) {
                                const int64_t idx = (c * H + oh * s + i) * W + ow * s + j;
                                const float v = in[idx];
                                sum += v;
                                if (v > best) { best = v; arg = idx; }
                            }
                        const int64_t o = (c * OH + oh) * OW + ow;
                        out[o] = mx ? best : sum * inv;
                        if (mx && cache) cache->argmax[size_t(b * C * OH * OW + o)] = int32_t(arg);
                    }
        }
        break;
    }
    case AnnLayerKind::Flatten: y = x; break;
    case AnnLayerKind::ReLU: y = x.cwiseMax(0.0f); break;
    case AnnLayerKind::Sigmoid: y = (1.0f / (1.0f + (-x.array()).exp())).matrix(); break;
    case AnnLayerKind::Tanh: y = x.array().tanh().matrix(); break;
    case AnnLayerKind::Softmax: {
        y.resize(B, x.cols());
        for (int64_t b = 0; b < B; ++b) {
            const float m = x.row(b).maxCoeff();
            y.row(b) = (x.row(b).array() - m).exp().matrix();
            y.row(b) /= y.row(b).sum();
        }
        break;
    }
    case AnnLayerKind::Dropout: {
        if (!train || l.rate <= 0.0f) {
            if (cache) cache->mask.resize(0, 0);  // so backward passes gradients through
            y = x;
            break;
        }
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        AnnMatrix local;
        AnnMatrix& mask = cache ? cache->mask : local;
        mask.resize(B, x.cols());
        const float keep = 1.0f / (1.0f - l.rate);
        for (int64_t i = 0; i < mask.size(); ++i)
            mask.data()[i] = u(*rng) < l.rate ? 0.0f : keep;
        y = x.cwiseProduct(mask);
        break;
    }
    case AnnLayerKind::Rnn: rnn_forward(l, x, y, cache); break;
    case AnnLayerKind::Lstm: lstm_forward(l, x, y, cache); break;
    }
}

void layer_backward(const AnnLayer& l, const AnnMatrix& x, const AnnMatrix& y,
                    const AnnMatrix& dy, LayerCache& cache, AnnMatrix* dx,
                    std::vector<std::vector<float>>& dp, std::vector<float>* add_to) {
    const int64_t B = x.rows();
    dp.resize(l.params.size());
    switch (l.kind) {
    case AnnLayerKind::Dense: {
        const int64_t in = x.cols(), out = l.units;
        // Straight into the gradient's storage: no temporary to allocate and copy (the
        // trainer calls this once per block of 32 samples).
        if (add_to && add_to->size() == size_t(out * in) &&
            dense_product_weight_grad(B, in, out, dy.data(), x.data(), add_to->data(), true)) {
            dp[0].clear();
        } else {
            dp[0].resize(size_t(out * in));
            if (!dense_product_weight_grad(B, in, out, dy.data(), x.data(), dp[0].data()))
                MMap(dp[0].data(), out, in).noalias() = dy.transpose() * x;
        }
        const RowVec db = dy.colwise().sum();
        dp[1].assign(db.data(), db.data() + db.size());
        if (dx) {
            dx->resize(B, in);
            if (!dense_product_input_grad(B, in, out, dy.data(), l.params[0].value.data(),
                                          dx->data()))
                dx->noalias() = dy * pmat(l, 0, out, in);
        }
        break;
    }
    case AnnLayerKind::Conv2d: {
        const ConvDims d = conv_dims(l);
        const int64_t P = d.p();
        if (conv_direct_applies(d.k, d.s, d.pad)) {
            const ConvGeometry g{d.c, d.h, d.w, d.k, d.oc};
            dp[0].resize(size_t(d.oc * d.ckk()));
            dp[1].resize(size_t(d.oc));
            if (dx) dx->resize(B, x.cols());
            conv_direct_backward(g, B, x.data(), x.cols(), dy.data(), dy.cols(),
                                 l.params[0].value.data(), dp[0].data(), dp[1].data(),
                                 dx ? dx->data() : nullptr, x.cols(), cache.conv);
            break;
        }
        AnnMatrix dY(d.oc, B * P);
        for (int64_t b = 0; b < B; ++b)
            for (int64_t oc = 0; oc < d.oc; ++oc) {
                const float* src = dy.row(b).data() + oc * P;
                float* dst = dY.row(oc).data() + b * P;
                for (int64_t p = 0; p < P; ++p) dst[p] = src[p];
            }
        dp[0].resize(size_t(d.oc * d.ckk()));
        MMap(dp[0].data(), d.oc, d.ckk()).noalias() = dY * cache.cols.transpose();
        const Eigen::VectorXf db = dY.rowwise().sum();
        dp[1].assign(db.data(), db.data() + db.size());
        if (dx) {
            AnnMatrix dcols = pmat(l, 0, d.oc, d.ckk()).transpose() * dY;
            dx->resize(B, x.cols());
            col2im(dcols, d, *dx);
        }
        break;
    }
    case AnnLayerKind::MaxPool:
    case AnnLayerKind::AvgPool: {
        if (!dx) break;
        const int64_t C = l.in_shape[0], H = l.in_shape[1], W = l.in_shape[2];
        const int64_t OH = l.out_shape[1], OW = l.out_shape[2], k = l.kernel, s = l.stride;
        if (l.kind == AnnLayerKind::AvgPool && is_pool2(l)) {
            dx->resize(B, x.cols());
            avgpool2_backward(l, dy, *dx);
            break;
        }
        dx->setZero(B, x.cols());
        const float inv = 1.0f / float(k * k);
        const int64_t O = C * OH * OW;
        for (int64_t b = 0; b < B; ++b) {
            const float* g = dy.row(b).data();
            float* out = dx->row(b).data();
            if (l.kind == AnnLayerKind::MaxPool) {
                for (int64_t o = 0; o < O; ++o) out[cache.argmax[size_t(b * O + o)]] += g[o];
                continue;
            }
            for (int64_t c = 0; c < C; ++c)
                for (int64_t oh = 0; oh < OH; ++oh)
                    for (int64_t ow = 0; ow < OW; ++ow) {
                        const float v = g[(c * OH + oh) * OW + ow] * inv;
                        for (int64_t i = 0; i < k; ++i)
                            for (int64_t j = 0; j < k; ++j)
                                out[(c * H + oh * s + i) * W + ow * s + j] += v;
                    }
        }
        break;
    }
    case AnnLayerKind::Flatten:
        if (dx) *dx = dy;
        break;
    case AnnLayerKind::ReLU:
        if (dx) {
            dx->resize(dy.rows(), dy.cols());
            const float* xi = x.data();
            const float* g = dy.data();
            float* out = dx->data();
            for (int64_t i = 0; i < dy.size(); ++i) out[i] = xi[i] > 0.0f ? g[i] : 0.0f;
        }
        break;
    case AnnLayerKind::Sigmoid:
        if (dx) *dx = (dy.array() * y.array() * (1.0f - y.array())).matrix();
        break;
    case AnnLayerKind::Tanh:
        if (dx) *dx = (dy.array() * (1.0f - y.array().square())).matrix();
        break;
    case AnnLayerKind::Softmax:
        if (dx) {
            Eigen::VectorXf s = (dy.array() * y.array()).rowwise().sum();
            *dx = (y.array() * (dy.array().colwise() - s.array())).matrix();
        }
        break;
    case AnnLayerKind::Dropout:
        if (dx) *dx = cache.mask.size() == dy.size() ? dy.cwiseProduct(cache.mask) : dy;
        break;
    case AnnLayerKind::Rnn: rnn_backward(l, x, dy, cache, dx, dp); break;
    case AnnLayerKind::Lstm: lstm_backward(l, x, dy, cache, dx, dp); break;
    }
}

bool conv_block_fuses(const std::vector<AnnLayer>& layers, size_t i) {
    if (i + 2 >= layers.size()) return false;
    const AnnLayer &conv = layers[i], &relu = layers[i + 1], &pool = layers[i + 2];
    if (conv.kind != AnnLayerKind::Conv2d || !conv_direct_applies(conv.kernel, conv.stride, conv.padding))
        return false;
    if (relu.kind != AnnLayerKind::ReLU) return false;
    if (pool.kind != AnnLayerKind::MaxPool && pool.kind != AnnLayerKind::AvgPool) return false;
    const int64_t H = pool.in_shape[1], W = pool.in_shape[2];
    return is_pool2(pool) && H % 2 == 0 && W % 2 == 0 &&
           (pool.kind == AnnLayerKind::AvgPool || W >= 8);
}

void conv_block_forward(const AnnLayer& conv, const AnnLayer& pool, const AnnMatrix& x,
                        AnnMatrix& y, LayerCache& cache) {
    const ConvDims d = conv_dims(conv);
    const int64_t B = x.rows(), P = d.p(), row = d.oc * P;
    const int64_t OH = d.oh / 2, OW = d.ow / 2, O = d.oc * OH * OW;
    const bool mx = pool.kind == AnnLayerKind::MaxPool;
    y.resize(B, O);
    if (mx)
        cache.winner.resize(size_t(B * O + 16));
    else
        cache.positive.resize(size_t(B * row));
    const ConvGeometry g{d.c, d.h, d.w, d.k, d.oc};
    if (mx && conv_relu_maxpool_applies(g)) {
        conv_relu_maxpool_forward(g, B, x.data(), x.cols(), conv.params[0].value.data(),
                                  conv.params[1].value.data(), y.data(), O, cache.winner.data(),
                                  cache.conv);
        return;
    }
    conv_direct_forward(g, B, x.data(), x.cols(), conv.params[0].value.data(),
                        conv.params[1].value.data(), nullptr, 0, cache.conv,
                        [&](int64_t r0, int64_t n, float* out) {
        if (mx) {
            maxpool2_even(out, row, n, y.row(r0).data(), O, nullptr,
                          cache.winner.data() + r0 * O, d.oc * OH, d.ow, true);
            return;
        }
        relu_and_mask(out, cache.positive.data() + r0 * row, n * row);
        for (int64_t b = 0; b < n; ++b)
            avgpool2_rows(out + b * row, d.oc * OH, d.ow, y.row(r0 + b).data());
    });
}

void conv_block_infer(const AnnLayer& conv, const AnnLayer& pool, const AnnMatrix& x,
                      AnnMatrix& y) {
    constexpr int64_t kRows = 64;
    LayerCache cache;
    AnnMatrix xb, yb;
    for (int64_t r = 0; r < x.rows(); r += kRows) {
        const int64_t n = std::min(kRows, x.rows() - r);
        xb = x.middleRows(r, n);
        conv_block_forward(conv, pool, xb, yb, cache);
        if (r == 0) y.resize(x.rows(), yb.cols());
        y.middleRows(r, n) = yb;
    }
}

void conv_block_backward(const AnnLayer& conv, const AnnLayer& pool, const AnnMatrix& x,
                         const AnnMatrix& y, const AnnMatrix& dy, LayerCache& cache,
                         AnnMatrix* dx, std::vector<std::vector<float>>& dp) {
    const ConvDims d = conv_dims(conv);
    const int64_t B = x.rows(), P = d.p(), row = d.oc * P;
    const int64_t OH = d.oh / 2, OW = d.ow / 2, O = d.oc * OH * OW;
    const bool mx = pool.kind == AnnLayerKind::MaxPool;
    dp.resize(conv.params.size());
    dp[0].resize(size_t(d.oc * d.ckk()));
    dp[1].resize(size_t(d.oc));
    if (dx) dx->resize(B, x.cols());
    const ConvGeometry g{d.c, d.h, d.w, d.k, d.oc};
    // Each slice's gradient at the convolution's output, as the pooling's backward pass and
    // then the ReLU's would leave it: max pooling routes 0 + dy (the sum it would add to a
    // zeroed buffer) to the window's winner, which the ReLU passes when it was positive, that
    // is when the window's pooled value is; average pooling gives every input a quarter,
    // which the ReLU passes where the convolution's output was positive.
    conv_direct_backward(g, B, x.data(), x.cols(), nullptr, 0, conv.params[0].value.data(),
                         dp[0].data(), dp[1].data(), dx ? dx->data() : nullptr, x.cols(),
                         cache.conv, [&](int64_t r0, int64_t n, float* out) {
        if (mx) {
            for (int64_t b = 0; b < n; ++b)
                maxpool2_relu_backward(dy.row(r0 + b).data(),
                                       cache.winner.data() + (r0 + b) * O, d.oc * OH, d.ow,
                                       out + b * row);
            return;
        }
        // Every input gets a quarter of its window's gradient, then the ReLU's mask over the
        // whole slice.
        for (int64_t b = 0; b < n; ++b)
            avgpool2_backward_rows(dy.row(r0 + b).data(), d.oc * OH, d.ow, out + b * row);
        mask_positive(out, cache.positive.data() + r0 * row, n * row);
    });
}

}  // namespace sf::ann_detail
