// Float simulation of the Graph IR (see snn.hpp for the equations).
#include "sf/reference/snn.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>

#include <Eigen/Core>
#include <fmt/format.h>

#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/core/progress.hpp"
#include "sf/reference/encoders.hpp"

namespace sf {

namespace {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vec = Eigen::VectorXf;
using RowVec = Eigen::RowVectorXf;

// Below this fraction of active inputs, adding weight rows per spike beats a dense
// product over the whole batch.
constexpr float kEventDensity = 0.08f;

// Neurons updated per block of the fused LIF update; a block without a spike is never
// scanned again.
constexpr int64_t kBlock = 64;

// One step of a spiking population for one sample, over its contiguous arrays: u, v and
// the refractory steps left in place, `cur` (this step's input) read and then cleared for
// the next step, spk[i] set to 1 where neuron i fires (the caller has cleared the old
// spikes). The spiking neurons' indices are appended to `fired` in ascending order.
// The main loop has no branch per neuron, so the compiler vectorises it; each neuron's
// arithmetic is the equations of snn.hpp in the order the scalar loop before it used
// (u = ku u + I; x = kv v + u + bias; on a spike x - threshold or 0), so the results are
// the same bits. To keep GCC able to vectorise without -fno-trapping-math, no float
// operation or comparison may sit on one side of a branch: every neuron's x is computed
// (a refractory neuron's is discarded), the refractory counter is an integer, and the
// reset of the few neurons that fired is done afterwards, in the pass that collects them.
// The loop streams u, v, ref and cur; a population whose neurons share one bias
// (UniformBias) does not read a bias array either.
template <bool UniformBias>
void update_lif(int64_t n, float ku, float kv, float th, bool subtract, int32_t R,
                const float* __restrict bias, float* __restrict u, float* __restrict v,
                int32_t* __restrict ref, float* __restrict cur, float* __restrict spk,
                std::vector<int32_t>& fired) {
    const float bias0 = n > 0 ? bias[0] : 0.0f;
    int32_t fire_flags[kBlock];
    for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
        const int64_t m = std::min(kBlock, n - i0);
        float* __restrict ub = u + i0;
        float* __restrict vb = v + i0;
        int32_t* __restrict rb = ref + i0;
        float* __restrict cb = cur + i0;
        const float* __restrict bb = bias + i0;
        int32_t any = 0;
        for (int64_t i = 0; i < m; ++i) {
            const float uu = ku * ub[i] + cb[i];
            ub[i] = uu;
            cb[i] = 0.0f;
            const float x = kv * vb[i] + uu + (UniformBias ? bias0 : bb[i]);
            const int32_t r = rb[i];
            const bool refr = r > 0;
            const int32_t fire = int32_t(x > th) & int32_t(!refr);
            vb[i] = refr ? 0.0f : x;
            rb[i] = refr ? r - 1 : (fire ? R : r);
            fire_flags[i] = fire;
            any |= fire;
        }
        if (!any) continue;
        for (int64_t i = 0; i < m; ++i) {
            if (!fire_flags[i]) continue;
            vb[i] = subtract ? vb[i] - th : 0.0f;
            spk[i0 + i] = 1.0f;
            fired.push_back(int32_t(i0 + i));
        }
    }
}

struct Pop {
    const Population* p = nullptr;
    int64_t n = 0;
    bool input = false;
    bool spiking = true;
    float keep_u = 0, keep_v = 1;  // 1 - decay
    RowVec bias;
    bool uniform_bias = true;  // every entry of bias has the same bits
};

struct Proj {
    const Projection* pr = nullptr;
    int pre = -1, post = -1;
    int lag = 1;  // steps between the pre spike and its arrival
    // Dense: wt [pre, post] (rows are what one pre spike adds). OneToOne: w [n].
    Mat wt;
    RowVec w1;
    // Sparse: CSR by pre.
    std::vector<int64_t> row_start;
    std::vector<int32_t> col;
    std::vector<float> val;
    std::vector<int64_t> nnz_order;  // CSR position -> original entry index
    // Conv2d: weights as [ic][ky][kx][oc] so one spike adds contiguous oc vectors.
    std::vector<float> kw;
    int64_t C = 0, H = 0, W = 0, OC = 0, OH = 0, OW = 0;
    int KH = 1, KW = 1, SH = 1, SW = 1, PH = 0, PW = 0;
    float pool_w = 0;
    bool stdp = false;
    float x_decay = 1, y_decay = 1;
};

// Asks the cache for the column indices and weights of row j of a sparse projection.
void prefetch_row(const Proj& q, int32_t j) {
    const int64_t b = q.row_start[size_t(j)], e = q.row_start[size_t(j) + 1];
    for (int64_t k = b; k < e; k += 16) {
        __builtin_prefetch(q.col.data() + k);
        __builtin_prefetch(q.val.data() + k);
    }
}

}  // namespace

struct SnnSimulator::Impl {
    Graph g;
    std::vector<Pop> pops;
    std::vector<Proj> projs;
    int max_lag = 1;
    std::vector<int> outputs;  // population indices
    bool membrane = false;

    explicit Impl(const Graph& graph) : g(graph) {
        validate_graph(g);
        pops.resize(g.populations.size());
        for (size_t i = 0; i < g.populations.size(); ++i) {
            const Population& p = g.populations[i];
            Pop& q = pops[i];
            q.p = &g.populations[i];
            q.n = p.size();
            q.input = p.kind == NeuronKind::Input;
            q.spiking = p.kind != NeuronKind::LI && !q.input;
            q.keep_u = 1.0f - p.params.decay_u;
            q.keep_v = 1.0f - p.params.decay_v;
            q.bias = RowVec::Constant(q.n, p.params.bias);
            if (p.bias) {
                const auto b = p.bias->to<float>();
                for (int64_t k = 0; k < q.n; ++k) q.bias[k] = b[size_t(k)];
            }
            for (int64_t k = 1; k < q.n; ++k)
                q.uniform_bias = q.uniform_bias && std::memcmp(&q.bias[k], &q.bias[0], 4) == 0;
            if (p.output) outputs.push_back(int(i));
        }
        if (outputs.empty()) throw InputError("the network has no output population", g.file, "");
        membrane = true;
        for (int o : outputs) membrane = membrane && g.populations[size_t(o)].kind == NeuronKind::LI;
        for (const auto& pr : g.projections) projs.push_back(prepare(pr));
    }

    Proj prepare(const Projection& pr) {
        Proj q;
        q.pr = &pr;
        q.pre = g.population_index(pr.pre);
        q.post = g.population_index(pr.post);
        q.lag = pops[size_t(q.pre)].input ? pr.delay - 1 : pr.delay;
        max_lag = std::max(max_lag, q.lag);
        const int64_t npre = pops[size_t(q.pre)].n, npost = pops[size_t(q.post)].n;
        switch (pr.kind) {
            case ProjectionKind::Dense: {
                const auto w = pr.weights.to<float>();
                q.wt.resize(npre, npost);
                for (int64_t i = 0; i < npost; ++i)
                    for (int64_t j = 0; j < npre; ++j) q.wt(j, i) = w[size_t(i * npre + j)];
                break;
            }
            case ProjectionKind::OneToOne: {
                q.w1 = RowVec::Constant(npost, pr.scale);
                if (!pr.weights.bytes.empty()) {
                    const auto w = pr.weights.to<float>();
                    for (int64_t i = 0; i < npost; ++i) q.w1[i] = w[size_t(i)];
                }
                break;
            }
            case ProjectionKind::Sparse: {
                const auto idx = pr.indices.to<int64_t>();
                const auto w = pr.weights.to<float>();
                const int64_t nnz = int64_t(w.size());
                q.row_start.assign(size_t(npre + 1), 0);
                for (int64_t k = 0; k < nnz; ++k) q.row_start[size_t(idx[size_t(2 * k)] + 1)]++;
                for (int64_t j = 0; j < npre; ++j) q.row_start[size_t(j + 1)] += q.row_start[size_t(j)];
                std::vector<int64_t> fill(q.row_start.begin(), q.row_start.end() - 1);
                q.col.resize(size_t(nnz));
                q.val.resize(size_t(nnz));
                q.nnz_order.resize(size_t(nnz));
                for (int64_t k = 0; k < nnz; ++k) {
                    const int64_t pos = fill[size_t(idx[size_t(2 * k)])]++;
                    q.col[size_t(pos)] = int32_t(idx[size_t(2 * k + 1)]);
                    q.val[size_t(pos)] = w[size_t(k)];
                    q.nnz_order[size_t(pos)] = k;
                }
                break;
            }
            case ProjectionKind::Conv2d:
            case ProjectionKind::SumPool:
            case ProjectionKind::AvgPool: {
                const auto& ps = pops[size_t(q.pre)].p->shape;
                const auto& os = pops[size_t(q.post)].p->shape;
                q.C = ps[0], q.H = ps[1], q.W = ps[2];
                q.OC = os[0], q.OH = os[1], q.OW = os[2];
                q.KH = pr.kernel[0], q.KW = pr.kernel[1];
                q.SH = pr.stride[0], q.SW = pr.stride[1];
                q.PH = pr.padding[0], q.PW = pr.padding[1];
                if (pr.kind == ProjectionKind::Conv2d) {
                    const auto w = pr.weights.to<float>();
                    q.kw.resize(w.size());
                    for (int64_t oc = 0; oc < q.OC; ++oc)
                        for (int64_t c = 0; c < q.C; ++c)
                            for (int ky = 0; ky < q.KH; ++ky)
                                for (int kx = 0; kx < q.KW; ++kx)
                                    q.kw[size_t(((c * q.KH + ky) * q.KW + kx) * q.OC + oc)] =
                                        w[size_t(((oc * q.C + c) * q.KH + ky) * q.KW + kx)];
                } else {
                    q.pool_w = pr.kind == ProjectionKind::AvgPool
                                   ? pr.scale / float(q.KH * q.KW)
                                   : pr.scale;
                }
                break;
            }
        }
        if (pr.stdp) {
            q.stdp = true;
            q.x_decay = std::exp(-1.0f / pr.stdp->tau_pre);
            q.y_decay = std::exp(-1.0f / pr.stdp->tau_post);
        }
        return q;
    }

    // Adds the input of `arr` (spikes arriving, one row per sample) to `cur`. Returns the
    // number of synaptic additions (for the counters).
    // lists[b]: the indices of the nonzero entries of arr's row b (the spikes).
    uint64_t apply(const Proj& q, const Mat& arr, const std::vector<std::vector<int32_t>>& lists,
                   Mat& cur, std::vector<float>& scratch) const {
        const int64_t B = arr.rows();
        uint64_t ops = 0;
        switch (q.pr->kind) {
            case ProjectionKind::Dense: {
                int64_t active = 0;
                for (const auto& l : lists) active += int64_t(l.size());
                ops = uint64_t(active) * uint64_t(q.wt.cols());
                if (active == 0) break;
                if (float(active) > kEventDensity * float(arr.size())) {
                    cur.noalias() += arr * q.wt;
                } else {
                    for (int64_t b = 0; b < B; ++b)
                        for (int32_t j : lists[size_t(b)]) cur.row(b) += q.wt.row(j);
                }
                break;
            }
            case ProjectionKind::OneToOne:
                cur.array() += arr.array().rowwise() * q.w1.array();
                ops = uint64_t((arr.array() != 0.0f).count());
                break;
            case ProjectionKind::Sparse:
                for (int64_t b = 0; b < B; ++b) {
                    float* out = cur.row(b).data();
                    for (int32_t j : lists[size_t(b)]) {
                        const int64_t e = q.row_start[size_t(j + 1)];
                        for (int64_t k = q.row_start[size_t(j)]; k < e; ++k)
                            out[q.col[size_t(k)]] += q.val[size_t(k)];
                        ops += uint64_t(e - q.row_start[size_t(j)]);
                    }
                }
                break;
            case ProjectionKind::Conv2d:
            case ProjectionKind::SumPool:
            case ProjectionKind::AvgPool: {
                const bool conv = q.pr->kind == ProjectionKind::Conv2d;
                const int64_t plane = q.H * q.W;
                scratch.resize(size_t(q.OH * q.OW * q.OC));
                for (int64_t b = 0; b < B; ++b) {
                    std::fill(scratch.begin(), scratch.end(), 0.0f);  // [oy][ox][oc]
                    bool any = false;
                    for (int32_t j : lists[size_t(b)]) {
                        const float s = 1.0f;
                        any = true;
                        const int64_t c = j / plane, y = (j % plane) / q.W, x = j % q.W;
                        // Output (oy, ox) sees input (oy*S - P + ky, ox*S - P + kx).
                        for (int ky = 0; ky < q.KH; ++ky) {
                            const int64_t ty = y + q.PH - ky;
                            if (ty < 0 || ty % q.SH) continue;
                            const int64_t oy = ty / q.SH;
                            if (oy >= q.OH) continue;
                            for (int kx = 0; kx < q.KW; ++kx) {
                                const int64_t tx = x + q.PW - kx;
                                if (tx < 0 || tx % q.SW) continue;
                                const int64_t ox = tx / q.SW;
                                if (ox >= q.OW) continue;
                                float* o = scratch.data() + (oy * q.OW + ox) * q.OC;
                                if (conv) {
                                    const float* w =
                                        q.kw.data() + ((c * q.KH + ky) * q.KW + kx) * q.OC;
                                    for (int64_t oc = 0; oc < q.OC; ++oc) o[oc] += s * w[oc];
                                    ops += uint64_t(q.OC);
                                } else {
                                    o[c] += s * q.pool_w;
                                    ops += 1;
                                }
                            }
                        }
                    }
                    if (!any) continue;
                    float* out = cur.row(b).data();
                    const int64_t op = q.OH * q.OW;
                    for (int64_t k = 0; k < op; ++k)
                        for (int64_t oc = 0; oc < q.OC; ++oc)
                            out[oc * op + k] += scratch[size_t(k * q.OC + oc)];
                }
                break;
            }
        }
        return ops;
    }

    // Float STDP of one sample row b at the end of a step (DESIGN.md §3 order): decay the
    // traces, depress on arriving pre spikes by y_post (before this step's post spikes),
    // add pre spikes, potentiate on post spikes by x_pre, add post spikes, clamp.
    uint64_t learn(Proj& q, const Mat& arr, const Mat& post_spk, Mat& x, Mat& y, int64_t b) {
        const StdpParams& s = *q.pr->stdp;
        x.row(b) *= q.x_decay;
        y.row(b) *= q.y_decay;
        uint64_t updates = 0;
        const int64_t npre = arr.cols(), npost = post_spk.cols();
        auto clampf = [&](float w) { return std::min(s.w_max, std::max(s.w_min, w)); };
        switch (q.pr->kind) {
            case ProjectionKind::Dense:
                for (int64_t j = 0; j < npre; ++j) {
                    if (arr(b, j) == 0.0f) continue;
                    q.wt.row(j) -= s.a_minus * y.row(b);
                    for (int64_t i = 0; i < npost; ++i) q.wt(j, i) = clampf(q.wt(j, i));
                    updates += uint64_t(npost);
                }
                x.row(b) += arr.row(b);
                for (int64_t i = 0; i < npost; ++i) {
                    if (post_spk(b, i) == 0.0f) continue;
                    for (int64_t j = 0; j < npre; ++j)
                        q.wt(j, i) = clampf(q.wt(j, i) + s.a_plus * x(b, j));
                    updates += uint64_t(npre);
                }
                break;
            case ProjectionKind::Sparse:
                for (int64_t j = 0; j < npre; ++j) {
                    if (arr(b, j) == 0.0f) continue;
                    for (int64_t k = q.row_start[size_t(j)]; k < q.row_start[size_t(j + 1)]; ++k)
                        q.val[size_t(k)] = clampf(q.val[size_t(k)] - s.a_minus * y(b, q.col[size_t(k)]));
                    updates += uint64_t(q.row_start[size_t(j + 1)] - q.row_start[size_t(j)]);
                }
                x.row(b) += arr.row(b);
                for (int64_t j = 0; j < npre; ++j)
                    for (int64_t k = q.row_start[size_t(j)]; k < q.row_start[size_t(j + 1)]; ++k)
                        if (post_spk(b, q.col[size_t(k)]) != 0.0f) {
                            q.val[size_t(k)] = clampf(q.val[size_t(k)] + s.a_plus * x(b, j));
                            ++updates;
                        }
                break;
            case ProjectionKind::OneToOne:
                for (int64_t i = 0; i < npost; ++i) {
                    if (arr(b, i) != 0.0f) {
                        q.w1[i] = clampf(q.w1[i] - s.a_minus * y(b, i));
                        ++updates;
                    }
                }
                x.row(b) += arr.row(b);
                for (int64_t i = 0; i < npost; ++i) {
                    if (post_spk(b, i) != 0.0f) {
                        q.w1[i] = clampf(q.w1[i] + s.a_plus * x(b, i));
                        ++updates;
                    }
                }
                break;
            default: break;
        }
        y.row(b) += post_spk.row(b);
        return updates;
    }

    Graph current_graph() const {
        Graph out = g;
        for (size_t k = 0; k < projs.size(); ++k) {
            const Proj& q = projs[k];
            Projection& pr = out.projections[k];
            if (!q.stdp) continue;  // only STDP changes weights
            if (pr.kind == ProjectionKind::Dense) {
                std::vector<float> w(size_t(q.wt.size()));
                for (int64_t i = 0; i < q.wt.cols(); ++i)
                    for (int64_t j = 0; j < q.wt.rows(); ++j)
                        w[size_t(i * q.wt.rows() + j)] = q.wt(j, i);
                pr.weights = Tensor::from<float>(w, pr.weights.shape);
            } else if (pr.kind == ProjectionKind::Sparse) {
                std::vector<float> w(q.val.size());
                for (size_t pos = 0; pos < q.val.size(); ++pos) w[size_t(q.nnz_order[pos])] = q.val[pos];
                pr.weights = Tensor::from<float>(w, pr.weights.shape);
            } else if (pr.kind == ProjectionKind::OneToOne) {
                std::vector<float> w(q.w1.data(), q.w1.data() + q.w1.size());
                pr.weights = Tensor::from<float>(w, {int64_t(w.size())});
            }
        }
        return out;
    }

    SnnResult run(const SpikeInput& in, const SnnRunOptions& opt);
};

int snn_predict(const std::vector<float>& r, bool membrane) {
    if (r.empty()) return -1;
    int best = 0;
    for (size_t k = 1; k < r.size(); ++k)
        if (r[k] > r[size_t(best)]) best = int(k);
    if (!membrane && r[size_t(best)] <= 0.0f) return -1;
    return best;
}

SnnResult SnnSimulator::Impl::run(const SpikeInput& in, const SnnRunOptions& opt) {
    const auto t0 = std::chrono::steady_clock::now();
    const int T = opt.steps > 0 ? opt.steps : g.timesteps;
    const size_t P = pops.size();
    int64_t n_in = 0;
    for (const auto& q : pops)
        if (q.input) n_in += q.n;
    if (!in.samples.empty() && in.num_inputs != n_in)
        throw InputError(fmt::format("the input has {} channels but the network's input "
                                     "populations hold {} neurons",
                                     in.num_inputs, n_in),
                         g.file, "encode inputs for this network (same input size)");
    for (const auto& [name, v0] : opt.initial_v) {
        const int k = g.population_index(name);
        if (k < 0 || int64_t(v0.size()) != pops[size_t(k)].n)
            throw InputError("initial_v for '" + name + "' names no population or has the wrong "
                                 "size",
                             g.file, "give one value per neuron of an existing population");
    }
    std::vector<bool> rec(P, opt.record_populations.empty());
    for (const auto& name : opt.record_populations) {
        const int k = g.population_index(name);
        if (k < 0)
            throw InputError("cannot record unknown population '" + name + "'", g.file,
                             "name a population of the network");
        rec[size_t(k)] = true;
    }
    const bool recording = opt.record_spikes || opt.record_u || opt.record_v;

    SnnResult res;
    res.run.backend = "reference";
    res.run.steps = T;
    for (int o : outputs) res.run.num_outputs += int(pops[size_t(o)].n);
    res.population_spikes.assign(P, 0);
    const int64_t N = int64_t(in.samples.size());
    res.run.samples.resize(size_t(N));
    res.readout.resize(size_t(N));
    if (recording) res.records.resize(size_t(N));

    const int64_t batch = opt.learn ? 1 : std::max<int64_t>(1, opt.batch);
    const int D = max_lag + 1;  // ring of spike matrices per population: steps t .. t - max_lag
    Progress bar("simulate", N, opt.progress);

    // Batches are independent unless STDP learns (then weights carry from one sample to
    // the next and the run stays serial). The batch boundaries are the same for any thread
    // count, so every batch computes the same bits (an Eigen product's summation order can
    // depend on its row count); threads take contiguous runs of batches and their integer
    // counters are merged in batch order.
    const int64_t num_batches = (N + batch - 1) / batch;
    const int chunks = opt.learn ? int(std::min<int64_t>(1, num_batches))
                                 : parallel_chunk_count(num_batches, opt.threads);
    res.run.threads = std::max(1, chunks);
    struct Partial {
        EventCounters counters;
        std::vector<uint64_t> population_spikes;
    };
    std::vector<Partial> partial(static_cast<size_t>(chunks));
    std::mutex bar_mutex;
    int64_t bar_done = 0;
    parallel_chunks(num_batches, chunks, [&](int chunk, int64_t batch_begin, int64_t batch_end) {
        Partial& pt = partial[size_t(chunk)];
        pt.population_spikes.assign(P, 0);
        std::vector<float> scratch;
        for (int64_t bi = batch_begin; bi < batch_end; ++bi) {
            const int64_t first = bi * batch;
            const int64_t B = std::min(batch, N - first);
            std::vector<Mat> u(P), v(P), cur(P), vsum(P);
            std::vector<std::vector<int32_t>> ref(P);  // refractory steps left, [B * n] row-major
            std::vector<std::vector<Mat>> ring(P);
            // Spike index lists per population, ring slot and sample (the matrices' nonzeros).
            std::vector<std::vector<std::vector<std::vector<int32_t>>>> lists(P);
            std::vector<Mat> counts(P);
            for (size_t k = 0; k < P; ++k) {
                const int64_t n = pops[k].n;
                ring[k].assign(size_t(D), Mat::Zero(B, n));
                lists[k].assign(size_t(D), std::vector<std::vector<int32_t>>(size_t(B)));
                counts[k] = Mat::Zero(B, n);
                if (pops[k].input) continue;
                u[k] = Mat::Zero(B, n);
                v[k] = Mat::Zero(B, n);
                auto it = opt.initial_v.find(pops[k].p->name);
                if (it != opt.initial_v.end())
                    for (int64_t b = 0; b < B; ++b)
                        for (int64_t i = 0; i < n; ++i) v[k](b, i) = it->second[size_t(i)];
                cur[k] = Mat::Zero(B, n);
                ref[k].assign(size_t(B * n), 0);
                vsum[k] = Mat::Zero(B, n);
            }
            std::vector<Mat> xtr(projs.size()), ytr(projs.size()), arr(projs.size());
            for (size_t k = 0; k < projs.size(); ++k) {
                if (!projs[k].stdp) continue;
                xtr[k] = Mat::Zero(B, pops[size_t(projs[k].pre)].n);
                ytr[k] = Mat::Zero(B, pops[size_t(projs[k].post)].n);
            }
            if (recording)
                for (int64_t b = 0; b < B; ++b) {
                    SnnSampleRecord& r = res.records[size_t(first + b)];
                    r.spikes.resize(P);
                    r.u.resize(P);
                    r.v.resize(P);
                    for (size_t k = 0; k < P; ++k) {
                        if (!rec[k]) continue;
                        if (opt.record_spikes) r.spikes[k].resize(size_t(T));
                        if (opt.record_u && !pops[k].input) r.u[k].reserve(size_t(T * pops[k].n));
                        if (opt.record_v && !pops[k].input) r.v[k].reserve(size_t(T * pops[k].n));
                    }
                }
            for (int64_t b = 0; b < B; ++b) {
                SampleResult& sr = res.run.samples[size_t(first + b)];
                sr.label = in.samples[size_t(first + b)].label;
                sr.output_spikes.resize(size_t(T));
            }

            for (int t = 0; t < T; ++t) {
                const int slot = t % D;
                // 1. this step's input spikes
                for (size_t k = 0; k < P; ++k) {
                    if (!pops[k].input) continue;
                    // Clear the slot's old spikes (from step t - D) by their lists: the lists hold
                    // every nonzero of the slot, and are far shorter than the whole matrix.
                    Mat& s = ring[k][size_t(slot)];
                    auto& sl = lists[k][size_t(slot)];
                    for (int64_t b = 0; b < B; ++b) {
                        for (int32_t i : sl[size_t(b)]) s(b, i) = 0.0f;
                        sl[size_t(b)].clear();
                    }
                }
                for (int64_t b = 0; b < B; ++b) {
                    const SampleInput& si = in.samples[size_t(first + b)];
                    if (t >= int(si.steps.size())) continue;
                    for (int32_t idx : si.steps[size_t(t)]) {
                        if (idx < 0 || idx >= n_in)
                            throw InputError(fmt::format("input spike index {} at step {} is out of "
                                                         "range (< {})",
                                                         idx, t, n_in),
                                             g.file, "check the spike file or encoder");
                        int64_t off = idx;
                        for (size_t k = 0; k < P; ++k) {
                            if (!pops[k].input) continue;
                            if (off < pops[k].n) {
                                if (ring[k][size_t(slot)](b, off) == 0.0f)
                                    lists[k][size_t(slot)][size_t(b)].push_back(int32_t(off));
                                ring[k][size_t(slot)](b, off) = 1.0f;
                                break;
                            }
                            off -= pops[k].n;
                        }
                    }
                }
                // 2. synaptic input arriving at step t (cur is zero here: the neuron update of
                // the previous step cleared it). The sparse rows that will be read are
                // requested first, all at once, so their cache misses overlap.
                for (size_t k = 0; k < projs.size(); ++k) {
                    const Proj& q = projs[k];
                    if (q.pr->kind != ProjectionKind::Sparse || t - q.lag < 0) continue;
                    for (const auto& l : lists[size_t(q.pre)][size_t((t - q.lag) % D)])
                        for (int32_t j : l) prefetch_row(q, j);
                }
                for (size_t k = 0; k < projs.size(); ++k) {
                    const Proj& q = projs[k];
                    if (t - q.lag < 0) {
                        if (q.stdp) arr[k] = Mat::Zero(B, pops[size_t(q.pre)].n);
                        continue;
                    }
                    const size_t from = size_t((t - q.lag) % D);
                    const Mat& a = ring[size_t(q.pre)][from];
                    pt.counters.syn_ops +=
                        apply(q, a, lists[size_t(q.pre)][from], cur[size_t(q.post)], scratch);
                    if (q.stdp) arr[k] = a;
                }
                // 3. neuron update
                for (size_t k = 0; k < P; ++k) {
                    const Pop& q = pops[k];
                    Mat& s = ring[k][size_t(slot)];
                    auto& sl = lists[k][size_t(slot)];
                    if (q.input) {
                        for (int64_t b = 0; b < B; ++b)
                            for (int32_t i : sl[size_t(b)]) counts[k](b, i) += 1.0f;
                        continue;
                    }
                    const NeuronParams& np = q.p->params;
                    if (!q.spiking) {
                        u[k] = q.keep_u * u[k] + cur[k];
                        v[k] = (q.keep_v * v[k] + u[k]).rowwise() + q.bias;
                        vsum[k] += v[k];
                        cur[k].setZero();
                    } else {
                        for (int64_t b = 0; b < B; ++b) {
                            auto& lb = sl[size_t(b)];
                            float* sb = s.row(b).data();
                            // Clear the slot's old spikes (from step t - D) by their list.
                            for (int32_t i : lb) sb[i] = 0.0f;
                            lb.clear();
                            auto* update = q.uniform_bias ? &update_lif<true> : &update_lif<false>;
                            update(q.n, q.keep_u, q.keep_v, np.threshold,
                                   np.reset == ResetMode::Subtract, np.refractory_steps, q.bias.data(),
                                   u[k].row(b).data(), v[k].row(b).data(), ref[k].data() + b * q.n,
                                   cur[k].row(b).data(), sb, lb);
                            float* cnt = counts[k].row(b).data();
                            for (int32_t i : lb) cnt[i] += 1.0f;
                        }
                    }
                    if (recording && rec[k])
                        for (int64_t b = 0; b < B; ++b) {
                            SnnSampleRecord& r = res.records[size_t(first + b)];
                            if (opt.record_u) r.u[k].insert(r.u[k].end(), u[k].row(b).data(),
                                                            u[k].row(b).data() + q.n);
                            if (opt.record_v) r.v[k].insert(r.v[k].end(), v[k].row(b).data(),
                                                            v[k].row(b).data() + q.n);
                        }
                }
                if (recording && opt.record_spikes)
                    for (size_t k = 0; k < P; ++k) {
                        if (!rec[k]) continue;
                        for (int64_t b = 0; b < B; ++b) {
                            auto& lst = res.records[size_t(first + b)].spikes[k][size_t(t)];
                            lst = lists[k][size_t(slot)][size_t(b)];
                            std::sort(lst.begin(), lst.end());
                        }
                    }
                // output spikes of this step
                for (int64_t b = 0; b < B; ++b) {
                    auto& os = res.run.samples[size_t(first + b)].output_spikes[size_t(t)];
                    int32_t off = 0;
                    for (int o : outputs) {
                        for (int32_t i : lists[size_t(o)][size_t(slot)][size_t(b)]) os.push_back(off + i);
                        off += int32_t(pops[size_t(o)].n);
                    }
                }
                // 4. learning, after every neuron of the step is updated
                if (opt.learn)
                    for (size_t k = 0; k < projs.size(); ++k) {
                        Proj& q = projs[k];
                        if (!q.stdp) continue;
                        for (int64_t b = 0; b < B; ++b)
                            pt.counters.learn_updates +=
                                learn(q, arr[k], ring[size_t(q.post)][size_t(slot)], xtr[k], ytr[k], b);
                    }
            }

            for (int64_t b = 0; b < B; ++b) {
                SampleResult& sr = res.run.samples[size_t(first + b)];
                std::vector<float>& ro = res.readout[size_t(first + b)];
                for (int o : outputs) {
                    const Mat& src = membrane ? vsum[size_t(o)] : counts[size_t(o)];
                    for (int64_t i = 0; i < pops[size_t(o)].n; ++i) {
                        ro.push_back(membrane ? src(b, i) / float(T) : src(b, i));
                        sr.output_counts.push_back(int32_t(counts[size_t(o)](b, i)));
                    }
                }
                sr.predicted = snn_predict(ro, membrane);
            }
            for (size_t k = 0; k < P; ++k) {
                const uint64_t c = uint64_t(counts[k].sum() + 0.5f);
                pt.population_spikes[k] += c;
                if (!pops[k].input) pt.counters.spikes += c;
            }
            {
                std::lock_guard<std::mutex> lock(bar_mutex);
                bar_done += B;
                bar.update(bar_done);
            }
        }
    });
    for (const Partial& pt : partial) {
        res.run.counters += pt.counters;
        for (size_t k = 0; k < P; ++k) res.population_spikes[k] += pt.population_spikes[k];
    }
    bar.finish();
    res.run.wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

SnnSimulator::SnnSimulator(const Graph& g) : impl_(std::make_unique<Impl>(g)) {}
SnnSimulator::~SnnSimulator() = default;
SnnSimulator::SnnSimulator(SnnSimulator&&) noexcept = default;
SnnSimulator& SnnSimulator::operator=(SnnSimulator&&) noexcept = default;

SnnResult SnnSimulator::run(const SpikeInput& in, const SnnRunOptions& opt) {
    return impl_->run(in, opt);
}

Graph SnnSimulator::graph() const { return impl_->current_graph(); }
bool SnnSimulator::membrane_readout() const { return impl_->membrane; }

const Graph& SnnSimulator::loaded_graph() const { return impl_->g; }

SnnResult simulate_dataset(SnnSimulator& sim, const Dataset& ds, int64_t first, int64_t count,
                           const SnnRunOptions& opt) {
    const Graph& g = sim.loaded_graph();
    int64_t n_in = 0;
    for (const auto* p : g.inputs()) n_in += p->size();
    if (ds.sample_size() != n_in)
        throw InputError(fmt::format("data set '{}' has samples of {} values but the network's "
                                     "input populations hold {} neurons",
                                     ds.name, ds.sample_size(), n_in),
                         g.file, "use the data set the network was built for");
    if (first < 0 || first > ds.size()) first = ds.size();
    if (count < 0 || first + count > ds.size()) count = ds.size() - first;
    const int T = opt.steps > 0 ? opt.steps : g.timesteps;
    // Encode and run in chunks so that the spike lists of a whole test set are never held
    // at once; the encoder gives the same spikes whatever the chunking.
    const int64_t chunk = 2048;
    SnnResult all;
    SnnRunOptions o = opt;
    o.steps = T;
    Progress bar("simulate", count, opt.progress);
    o.progress = false;
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < count; s += chunk) {
        const int64_t c = std::min(chunk, count - s);
        SpikeInput in = encode(ds, g.encoder, T, first + s, c);
        SnnResult r = sim.run(in, o);
        if (s == 0) {
            all = std::move(r);
        } else {
            for (auto& x : r.run.samples) all.run.samples.push_back(std::move(x));
            for (auto& x : r.readout) all.readout.push_back(std::move(x));
            for (auto& x : r.records) all.records.push_back(std::move(x));
            all.run.counters += r.run.counters;
            for (size_t k = 0; k < r.population_spikes.size(); ++k)
                all.population_spikes[k] += r.population_spikes[k];
        }
        bar.update(s + c);
    }
    bar.finish();
    all.run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return all;
}

}  // namespace sf
