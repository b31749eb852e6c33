// The fused surrogate-gradient trainer (snn_train.hpp, snn_loss_fused): the same forward
// dynamics and BPTT as snn_loss, arranged around two facts of a spiking chain.
//
// 1. Every layer's input is 0/1 spikes, so an input current is a sum of weight rows, and
//    within one sample many inputs fire on exactly the same steps (the direct encoder gives
//    every pixel of one intensity the same spike train; silent inputs never count). The
//    inputs of a sample are grouped by identical spike train; a group's weight rows are
//    summed once per sample (A_g), and the current of step t is the sum of the A_g of the
//    groups firing at t. Backward, the weight gradient of input j is the sum over the steps
//    its group fires of the layer's current gradient, so it is also formed once per group
//    (G_g) and added to every member's row. On Fashion-MNIST with 25 steps a first-layer
//    pass adds about 1,600 weight rows per sample where the dense products do 19,600.
// 2. LIF neurons of one layer are independent given their input, so the whole time loop,
//    forward and backward, runs per tile of 64 neurons with the state in registers and
//    the tile's weight columns in cache. Tiles share nothing: they are the unit split over
//    threads, and each weight gradient element is summed in the same order (samples, then
//    groups, then steps, ascending) for any thread count, so results are bit-identical.
//
// The sums are the dense products' sums in another order (within a group first), so
// results equal snn_loss to rounding, not bit for bit (tests/snn).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include <fmt/format.h>

#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/reference/encoders.hpp"
#include "sf/reference/snn_train.hpp"

namespace sf {

namespace {

using Eigen::MatrixXf;

// Without AVX-512 (SF_NATIVE off, or an AVX2 machine) GCC warns that passing 64-byte
// vectors changes the ABI; these helpers are internal and inlined, so no ABI is crossed.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

constexpr int kTile = 64;  // neurons per tile: four 16-float vectors
typedef float V16 __attribute__((vector_size(64)));
constexpr int kVecs = kTile / 16;

inline V16 load16(const float* p) {
    V16 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store16(float* p, V16 v) {
    std::memcpy(p, &v, sizeof v);
}
inline V16 splat(float x) {
    return V16{} + x;
}
typedef int32_t I16 __attribute__((vector_size(64)));
inline I16 as_i(V16 v) {
    return (I16)v;
}
inline V16 as_f(I16 v) {
    return (V16)v;
}

// surrogate_grad of 16 lanes, the same operations in the same order.
inline V16 surrogate16(bool arctan, float slope, V16 x) {
    if (arctan) {
        const V16 a = splat(1.5707963f * slope) * x;
        return splat(0.5f * slope) / (splat(1.0f) + a * a);
    }
    const V16 d = splat(1.0f) + slope * as_f(as_i(x) & (I16{} + 0x7fffffff));
    return splat(1.0f) / (d * d);
}

int64_t padded(int64_t n) {
    return (n + kTile - 1) / kTile * kTile;
}

// The inputs of one sample grouped by spike train: members[gstart[g] .. gstart[g+1]) fire
// on the steps of train g (ascending inputs within a group, groups in train order), and
// tgroups[tstart[t] .. tstart[t+1]) are the groups firing at step t.
struct Groups {
    std::vector<int32_t> members, gstart, tstart, tgroups;
    std::vector<uint64_t> trains;  // [G][words]
};

void build_groups(const uint64_t* bits, int64_t n, int T, int words, Groups& out,
                  std::vector<int32_t>& scratch,
                  std::vector<std::pair<uint64_t, int32_t>>& pair_scratch) {
    scratch.clear();
    for (int64_t j = 0; j < n; ++j) {
        const uint64_t* w = bits + j * words;
        bool any = false;
        for (int k = 0; k < words; ++k) any |= w[k] != 0;
        if (any) scratch.push_back(int32_t(j));
    }
    if (words == 1) {
        // Up to 64 steps: sort (train, input) keys directly, no indirection.
        std::vector<std::pair<uint64_t, int32_t>>& keys = pair_scratch;
        keys.clear();
        for (int32_t j : scratch) keys.emplace_back(bits[j], j);
        std::sort(keys.begin(), keys.end());
        for (size_t i = 0; i < keys.size(); ++i) scratch[i] = keys[i].second;
    } else {
        std::stable_sort(scratch.begin(), scratch.end(), [&](int32_t a, int32_t b) {
            const uint64_t* x = bits + int64_t(a) * words;
            const uint64_t* y = bits + int64_t(b) * words;
            for (int k = 0; k < words; ++k)
                if (x[k] != y[k]) return x[k] < y[k];
            return false;
        });
    }
    out.members = scratch;
    out.gstart.clear();
    out.trains.clear();
    for (size_t i = 0; i < scratch.size(); ++i) {
        const uint64_t* w = bits + int64_t(scratch[i]) * words;
        if (i == 0 || std::memcmp(w, bits + int64_t(scratch[i - 1]) * words, size_t(words) * 8)) {
            out.gstart.push_back(int32_t(i));
            out.trains.insert(out.trains.end(), w, w + words);
        }
    }
    const int G = int(out.gstart.size());
    out.gstart.push_back(int32_t(scratch.size()));
    // Groups by step (counting sort over the set bits; groups ascending within a step).
    out.tstart.assign(size_t(T) + 1, 0);
    for (int g = 0; g < G; ++g)
        for (int k = 0; k < words; ++k)
            for (uint64_t m = out.trains[size_t(g) * size_t(words) + size_t(k)]; m; m &= m - 1)
                ++out.tstart[size_t(k * 64 + __builtin_ctzll(m)) + 1];
    for (int t = 0; t < T; ++t) out.tstart[size_t(t) + 1] += out.tstart[size_t(t)];
    out.tgroups.resize(size_t(out.tstart[size_t(T)]));
    std::vector<int32_t>& fill = scratch;  // the members were copied out above
    fill.assign(out.tstart.begin(), out.tstart.end() - 1);
    for (int g = 0; g < G; ++g)
        for (int k = 0; k < words; ++k)
            for (uint64_t m = out.trains[size_t(g) * size_t(words) + size_t(k)]; m; m &= m - 1)
                out.tgroups[size_t(fill[size_t(k * 64 + __builtin_ctzll(m))]++)] = g;
}

// dst[j * ld + i] = src(j, i): a column-major matrix to padded row-major, in blocks of 16
// columns so that each written cache line is filled at once.
void to_row_major(const MatrixXf& src, float* dst, int64_t ld) {
    const int64_t rows = src.rows(), cols = src.cols();
    for (int64_t i0 = 0; i0 < cols; i0 += 16)
        for (int64_t j = 0; j < rows; ++j)
            for (int64_t i = i0; i < std::min(cols, i0 + 16); ++i) dst[j * ld + i] = src(j, i);
}

struct LayerInfo {
    int64_t n_in = 0, n = 0, npad = 0;
    float ku = 0, kv = 0, th = 0;
    bool spiking = false, sub = false;
    std::vector<float> bias;  // [npad]
    std::vector<float> w;     // weights, row-major [n_in][npad]
};

}  // namespace

SnnSpikeBatch spike_batch_from_dense(const MatrixXf& x, int T, int64_t B) {
    SnnSpikeBatch s;
    s.T = T;
    s.B = B;
    s.n = x.cols();
    s.words = (T + 63) / 64;
    s.bits.assign(size_t(B * s.n * s.words), 0);
    for (int t = 0; t < T; ++t)
        for (int64_t b = 0; b < B; ++b)
            for (int64_t j = 0; j < s.n; ++j)
                if (x(t * B + b, j) != 0.0f)
                    s.bits[size_t((b * s.n + j) * s.words + t / 64)] |= uint64_t(1) << (t % 64);
    return s;
}

SnnSpikeBatch encode_spike_batch(const Dataset& ds, const EncoderSpec& enc, int T,
                                 const std::vector<int64_t>& idx, int64_t n_in, int threads) {
    SnnSpikeBatch x;
    x.T = T;
    x.words = (T + 63) / 64;
    x.B = int64_t(idx.size());
    x.n = n_in;
    x.bits.assign(size_t(x.B * n_in * x.words), 0);
    const int64_t n = std::min(n_in, ds.sample_size());
    if (enc.kind == EncoderKind::Direct && x.B > 0) {
        // The direct encoder pixel by pixel: the same accumulator arithmetic as encode()'s
        // (which runs the steps outside the pixels), without its per-step lists. A pixel
        // whose current is not positive never reaches 1, so it is skipped. encode() still
        // validates the spec and the sample range, on the first sample.
        (void)encode(ds, enc, T, idx.front(), 1);
        for (int64_t i : idx)
            if (i < 0 || i >= ds.size()) (void)encode(ds, enc, T, i, 1);  // throws the range error
        parallel_chunks(x.B, threads, [&](int, int64_t b0, int64_t b1) {
            for (int64_t b = b0; b < b1; ++b) {
                const float* px = ds.sample(idx[size_t(b)]);
                for (int64_t j = 0; j < n; ++j) {
                    if (!(px[j] * enc.gain > 0.0f)) continue;
                    uint64_t* w = &x.bits[size_t((b * n_in + j) * x.words)];
                    float a = 0.0f;
                    for (int t = 0; t < T; ++t) {
                        a += px[j] * enc.gain;
                        if (a >= 1.0f) {
                            w[t / 64] |= uint64_t(1) << (t % 64);
                            a -= 1.0f;
                        }
                    }
                }
            }
        });
        return x;
    }
    // Samples are encoded independently (encoders.hpp), so they split over threads.
    parallel_chunks(x.B, threads, [&](int, int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
            const SpikeInput in = encode(ds, enc, T, idx[size_t(b)], 1);
            const auto& steps = in.samples.at(0).steps;
            for (int t = 0; t < T && t < int(steps.size()); ++t)
                for (int32_t j : steps[size_t(t)])
                    if (j >= 0 && j < n_in)
                        x.bits[size_t((b * n_in + j) * x.words + t / 64)] |= uint64_t(1)
                                                                             << (t % 64);
        }
    });
    return x;
}

float snn_loss_fused(const Graph& g, const SnnChain& c, const SnnTraining& tr,
                     const SnnSpikeBatch& in, const std::vector<int32_t>& labels,
                     std::vector<MatrixXf>* grads, MatrixXf* logits_out, int threads) {
    const int T = in.T;
    const int64_t B = int64_t(labels.size());
    const int words = in.words;
    const size_t L = c.projs.size();
    if (in.B != B || T < 1 || words != (T + 63) / 64)
        throw InputError(fmt::format("spike batch of {} samples and {} steps does not match {} "
                                     "labels",
                                     in.B, T, B),
                         g.file, "");
    const bool arctan = tr.surrogate == "arctan";
    const float slope = tr.slope;
    const bool membrane = tr.readout == "membrane";

    std::vector<LayerInfo> info(L);
    for (size_t l = 0; l < L; ++l) {
        const Population& p = g.populations[size_t(c.pops[l + 1])];
        LayerInfo& li = info[l];
        li.n_in = c.wt[l].rows();
        li.n = c.wt[l].cols();
        li.npad = padded(li.n);
        li.ku = 1.0f - p.params.decay_u;
        li.kv = 1.0f - p.params.decay_v;
        li.th = p.params.threshold;
        li.spiking = p.kind != NeuronKind::LI;
        li.sub = p.params.reset == ResetMode::Subtract;
        li.bias.assign(size_t(li.npad), 0.0f);
        if (p.bias) {
            const auto b = p.bias->to<float>();
            std::copy(b.begin(), b.end(), li.bias.begin());
        } else {
            std::fill(li.bias.begin(), li.bias.begin() + li.n, p.params.bias);
        }
        li.w.assign(size_t(li.n_in * li.npad), 0.0f);
        to_row_major(c.wt[l], li.w.data(), li.npad);
    }
    if (in.n != info[0].n_in)
        throw InputError(
            fmt::format("spike batch has {} inputs, the network {}", in.n, info[0].n_in), g.file,
            "");

    // Per layer: input trains [B][n_in][words], the input groups per sample, the
    // surrogate derivative and spikes of every step [B][T][npad].
    std::vector<std::vector<uint64_t>> trains(L + 1);
    std::vector<std::vector<Groups>> groups(L);
    std::vector<std::vector<float>> sg(L), spk(L);
    std::vector<float> logits(size_t(B * info.back().npad), 0.0f);
    const int64_t K = info.back().n;

    for (size_t l = 0; l < L; ++l) {
        const LayerInfo& li = info[l];
        const uint64_t* bits = l == 0 ? in.bits.data() : trains[l].data();
        groups[l].resize(size_t(B));
        parallel_chunks(B, threads, [&](int, int64_t b0, int64_t b1) {
            std::vector<int32_t> scratch;
            std::vector<std::pair<uint64_t, int32_t>> pairs;
            for (int64_t b = b0; b < b1; ++b)
                build_groups(bits + b * li.n_in * words, li.n_in, T, words, groups[l][size_t(b)],
                             scratch, pairs);
        });
        sg[l].assign(li.spiking ? size_t(B * T * li.npad) : 0, 0.0f);
        // Spikes are kept for the backward pass only where a reset to zero cuts the carry.
        const bool keep_spikes = li.spiking && !li.sub;
        spk[l].assign(keep_spikes ? size_t(B * T * li.npad) : 0, 0.0f);
        const bool last = l + 1 == L;
        // The next layer sees these spikes one step later: its train is this one shifted.
        if (!last) trains[l + 1].assign(size_t(B * li.n * words), 0);
        const int64_t tiles = li.npad / kTile;
        parallel_chunks(tiles, threads, [&](int, int64_t k0, int64_t k1) {
            std::vector<float> A, sloc(size_t(T) * kTile);
            for (int64_t k = k0; k < k1; ++k) {
                const int64_t c0 = k * kTile;
                V16 bias[kVecs];
                for (int q = 0; q < kVecs; ++q) bias[q] = load16(&li.bias[size_t(c0 + 16 * q)]);
                for (int64_t b = 0; b < B; ++b) {
                    const Groups& gr = groups[l][size_t(b)];
                    const int G = int(gr.gstart.size()) - 1;
                    A.resize(size_t(G) * kTile);
                    for (int gi = 0; gi < G; ++gi) {
                        V16 acc[kVecs] = {};
                        for (int32_t m = gr.gstart[size_t(gi)]; m < gr.gstart[size_t(gi) + 1];
                             ++m) {
                            const float* wr =
                                &li.w[size_t(int64_t(gr.members[size_t(m)]) * li.npad + c0)];
                            for (int q = 0; q < kVecs; ++q) acc[q] += load16(wr + 16 * q);
                        }
                        for (int q = 0; q < kVecs; ++q)
                            store16(&A[size_t(gi) * kTile + 16 * q], acc[q]);
                    }
                    V16 u[kVecs] = {}, v[kVecs] = {}, lg[kVecs] = {};
                    const V16 ku = splat(li.ku), kv = splat(li.kv), th = splat(li.th);
                    for (int t = 0; t < T; ++t) {
                        V16 cur[kVecs] = {};
                        for (int32_t m = gr.tstart[size_t(t)]; m < gr.tstart[size_t(t) + 1]; ++m) {
                            const float* a = &A[size_t(gr.tgroups[size_t(m)]) * kTile];
                            for (int q = 0; q < kVecs; ++q) cur[q] += load16(a + 16 * q);
                        }
                        const size_t row = size_t((b * T + t) * li.npad + c0);
                        for (int q = 0; q < kVecs; ++q) {
                            u[q] = ku * u[q] + cur[q];
                            V16 vv = kv * v[q] + u[q] + bias[q];
                            if (li.spiking) {
                                const I16 fired = vv > th;
                                store16(&sg[l][row + 16 * q], surrogate16(arctan, slope, vv - th));
                                const V16 s = as_f(fired & as_i(splat(1.0f)));
                                store16(&sloc[size_t(t) * kTile + 16 * q], s);
                                if (keep_spikes) store16(&spk[l][row + 16 * q], s);
                                vv = li.sub ? vv - as_f(fired & as_i(th)) : as_f(~fired & as_i(vv));
                                if (last) lg[q] += tr.count_scale * s;
                            } else if (last) {
                                lg[q] += vv / float(T);
                            }
                            v[q] = vv;
                        }
                    }
                    if (last)
                        for (int q = 0; q < kVecs; ++q)
                            store16(&logits[size_t(b * li.npad + c0 + 16 * q)], lg[q]);
                    if (!last && li.spiking)
                        for (int e = 0; e < kTile && c0 + e < li.n; ++e) {
                            uint64_t* w = &trains[l + 1][size_t((b * li.n + c0 + e) * words)];
                            for (int t = 0; t + 1 < T; ++t)
                                if (sloc[size_t(t) * kTile + size_t(e)] != 0.0f)
                                    w[(t + 1) / 64] |= uint64_t(1) << ((t + 1) % 64);
                        }
                }
            }
        });
    }

    // Readout and cross-entropy, as snn_loss.
    const int64_t Kp = info.back().npad;
    float loss = 0;
    MatrixXf dlog(B, K);
    for (int64_t b = 0; b < B; ++b) {
        const float* lr = &logits[size_t(b * Kp)];
        float mx = lr[0];
        for (int64_t k = 1; k < K; ++k) mx = std::max(mx, lr[k]);
        double z = 0;
        for (int64_t k = 0; k < K; ++k) z += std::exp(double(lr[k] - mx));
        const int y = labels[size_t(b)];
        if (y < 0 || y >= K)
            throw InputError(fmt::format("label {} is outside the {} outputs", y, K), g.file,
                             "give the output population one neuron per class");
        loss += float(std::log(z) - double(lr[y] - mx));
        for (int64_t k = 0; k < K; ++k)
            dlog(b, k) = float(std::exp(double(lr[k] - mx)) / z) / float(B);
        dlog(b, y) -= 1.0f / float(B);
    }
    loss /= float(B);
    if (logits_out) {
        logits_out->resize(B, K);
        for (int64_t b = 0; b < B; ++b)
            for (int64_t k = 0; k < K; ++k) (*logits_out)(b, k) = logits[size_t(b * Kp + k)];
    }
    if (!grads) return loss;

    grads->assign(L, MatrixXf());
    // d loss / d input current of the layer above, [B][T][npad] (kept for the layer below).
    std::vector<float> gi_above;
    int64_t npad_above = 0;
    for (size_t l = L; l-- > 0;) {
        const LayerInfo& li = info[l];
        const bool last = l + 1 == L;
        std::vector<float> dw(size_t(li.n_in * li.npad), 0.0f);
        std::vector<float> gi_here;
        if (l > 0) gi_here.assign(size_t(B * T * li.npad), 0.0f);
        // The layer above's weights transposed, [n_above][npad]: ds = gi_above . W_above^T.
        std::vector<float> wa;
        int64_t n_above = 0;
        if (!last) {
            n_above = info[l + 1].n;
            wa.assign(size_t(n_above * li.npad), 0.0f);
            for (int64_t k = 0; k < n_above; ++k)
                for (int64_t i = 0; i < li.n; ++i) wa[size_t(k * li.npad + i)] = c.wt[l + 1](i, k);
        }
        const int64_t tiles = li.npad / kTile;
        parallel_chunks(tiles, threads, [&](int, int64_t k0, int64_t k1) {
            std::vector<float> gbuf(size_t(T) * kTile), Gs;
            for (int64_t k = k0; k < k1; ++k) {
                const int64_t c0 = k * kTile;
                const V16 ku = splat(li.ku), kv = splat(li.kv);
                for (int64_t b = 0; b < B; ++b) {
                    V16 gvn[kVecs] = {}, gun[kVecs] = {};
                    V16 dl[kVecs] = {};
                    if (last)
                        for (int q = 0; q < kVecs; ++q)
                            for (int e = 0; e < 16; ++e) {
                                const int64_t col = c0 + 16 * q + e;
                                dl[q][e] = col < K ? dlog(b, col) : 0.0f;
                            }
                    for (int t = T - 1; t >= 0; --t) {
                        V16 ds[kVecs] = {};
                        if (!last && t + 1 < T) {
                            const float* ga = &gi_above[size_t((b * T + t + 1) * npad_above)];
                            for (int64_t j = 0; j < n_above; ++j) {
                                const V16 s = splat(ga[j]);
                                const float* wr = &wa[size_t(j * li.npad + c0)];
                                for (int q = 0; q < kVecs; ++q) ds[q] += s * load16(wr + 16 * q);
                            }
                        }
                        const size_t row = size_t((b * T + t) * li.npad + c0);
                        for (int q = 0; q < kVecs; ++q) {
                            V16 carry = kv * gvn[q];
                            V16 gv;
                            if (li.spiking) {
                                if (!li.sub)
                                    carry = as_f(~I16(load16(&spk[l][row + 16 * q]) != V16{}) &
                                                 as_i(carry));
                                const V16 d =
                                    last ? (membrane ? V16{} : tr.count_scale * dl[q]) : ds[q];
                                gv = d * load16(&sg[l][row + 16 * q]) + carry;
                            } else {
                                gv = (last ? dl[q] / float(T) : V16{}) + carry;
                            }
                            const V16 gu = gv + ku * gun[q];
                            store16(&gbuf[size_t(t) * kTile + 16 * q], gu);
                            if (l > 0) store16(&gi_here[row + 16 * q], gu);
                            gvn[q] = gv;
                            gun[q] = gu;
                        }
                    }
                    // Weight gradient: per input group, the sum of the steps it fires on.
                    const Groups& gr = groups[l][size_t(b)];
                    const int G = int(gr.gstart.size()) - 1;
                    for (int gi = 0; gi < G; ++gi) {
                        V16 acc[kVecs] = {};
                        const uint64_t* tw = &gr.trains[size_t(gi) * size_t(words)];
                        for (int wd = 0; wd < words; ++wd)
                            for (uint64_t m = tw[wd]; m; m &= m - 1) {
                                const int t = wd * 64 + __builtin_ctzll(m);
                                for (int q = 0; q < kVecs; ++q)
                                    acc[q] += load16(&gbuf[size_t(t) * kTile + 16 * q]);
                            }
                        for (int32_t m = gr.gstart[size_t(gi)]; m < gr.gstart[size_t(gi) + 1];
                             ++m) {
                            float* dr = &dw[size_t(int64_t(gr.members[size_t(m)]) * li.npad + c0)];
                            for (int q = 0; q < kVecs; ++q)
                                store16(dr + 16 * q, load16(dr + 16 * q) + acc[q]);
                        }
                    }
                }
            }
        });
        MatrixXf& gw = (*grads)[l];
        gw.resize(li.n_in, li.n);
        for (int64_t i0 = 0; i0 < li.n; i0 += 16)
            for (int64_t j = 0; j < li.n_in; ++j)
                for (int64_t i = i0; i < std::min(li.n, i0 + 16); ++i)
                    gw(j, i) = dw[size_t(j * li.npad + i)];
        gi_above = std::move(gi_here);
        npad_above = li.npad;
    }
    return loss;
}

}  // namespace sf
