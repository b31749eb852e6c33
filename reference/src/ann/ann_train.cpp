// Backpropagation, optimisers and the minibatch training loop for ANN models.
#include "sf/reference/ann_train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "ann_ops.hpp"
#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"
#include "sf/core/progress.hpp"

namespace sf {

using ann_detail::LayerCache;

namespace {

void softmax_rows(const AnnMatrix& z, AnnMatrix& p) {
    p.resize(z.rows(), z.cols());
    for (int64_t b = 0; b < z.rows(); ++b) {
        const float m = z.row(b).maxCoeff();
        p.row(b) = (z.row(b).array() - m).exp().matrix();
        p.row(b) /= p.row(b).sum();
    }
}

int64_t argmax_row(const AnnMatrix& m, int64_t r) {
    Eigen::Index j;
    m.row(r).maxCoeff(&j);
    return int64_t(j);
}

// Fisher-Yates with our own index draw, so the order depends only on the seed (not on
// the standard library's shuffle).
void shuffle_indices(std::vector<int64_t>& idx, std::mt19937_64& rng) {
    for (int64_t i = int64_t(idx.size()) - 1; i > 0; --i) {
        const int64_t j = int64_t(rng() % uint64_t(i + 1));
        std::swap(idx[size_t(i)], idx[size_t(j)]);
    }
}

bool is_image(const AnnModel& m) { return m.input_shape.size() == 3; }

// Random shift by up to 2 pixels in each direction (zero fill), per sample.
void shift_augment(float* x, const std::vector<int64_t>& shape, std::mt19937_64& rng) {
    const int64_t C = shape[0], H = shape[1], W = shape[2];
    const int dy = int(rng() % 5) - 2, dx = int(rng() % 5) - 2;
    if (dx == 0 && dy == 0) return;
    std::vector<float> src(x, x + C * H * W);
    for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < H; ++i)
            for (int64_t j = 0; j < W; ++j) {
                const int64_t si = i - dy, sj = j - dx;
                x[(c * H + i) * W + j] =
                    (si >= 0 && si < H && sj >= 0 && sj < W) ? src[size_t((c * H + si) * W + sj)] : 0.0f;
            }
}

}  // namespace

namespace {

// Activations and layer caches of one forward/backward pass, kept between calls so that
// batches of one size reuse their memory instead of allocating (and page-faulting) tens
// of megabytes of im2col columns every step.
struct AnnWorkspace {
    std::vector<AnnMatrix> acts;
    std::vector<LayerCache> caches;
    AnnMatrix g;
    std::vector<AnnMatrix> dx;  // dx[i]: gradient at layer i's input (one buffer per layer,
                                // so none is reallocated when the next layer's has another size)
    std::vector<char> block;    // block[i]: layers i .. i+2 ran as one conv block
    bool timed = false;   // when set, each layer's pass time is added to `times`
    AnnLayerTimes times;  // (one per workspace, so threads never share one)
};

double seconds_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Adds the layer times `more` to `into`.
void add_times(AnnLayerTimes& into, const AnnLayerTimes& more) {
    into.forward.resize(std::max(into.forward.size(), more.forward.size()), 0.0);
    into.backward.resize(std::max(into.backward.size(), more.backward.size()), 0.0);
    for (size_t i = 0; i < more.forward.size(); ++i) into.forward[i] += more.forward[i];
    for (size_t i = 0; i < more.backward.size(); ++i) into.backward[i] += more.backward[i];
}

// Adds the seconds since `t0` to times[i] when timing (and returns the time it read).
double book(std::vector<double>* times, size_t i, double t0) {
    if (!times) return 0;
    const double t = seconds_now();
    (*times)[i] += t - t0;
    return t;
}

// ann_loss on `x`, which may be a block of rows of a larger batch: the mean is taken over
// `batch_rows` rows (the whole batch), so the gradients of a batch's blocks add up to the
// gradient of the batch. The gradients overwrite grads->params, reusing its storage.
float batch_loss(const AnnModel& m, const AnnMatrix& x, const AnnMatrix& target,
                 const std::string& loss, int64_t batch_rows, AnnWorkspace& ws, AnnGradients* grads,
                 bool train, uint64_t dropout_seed, AnnMatrix* output) {
    if (x.cols() != m.input_size())
        throw InputError("batch has " + std::to_string(x.cols()) + " features, the model expects " +
                             std::to_string(m.input_size()),
                         "", "use the data set the model was built for");
    const size_t L = m.layers.size();
    auto& acts = ws.acts;
    auto& caches = ws.caches;
    acts.resize(L + 1);
    caches.resize(L);
    std::mt19937_64 rng(dropout_seed);
    acts[0] = x;
    // Conv blocks run fused (their middle activations stay empty), except for feedback
    // alignment, whose hook wants every layer's input gradient.
    const bool fuse = !(grads && grads->feedback);
    ws.block.assign(L, 0);
    std::vector<double>* fwd_times = nullptr;
    std::vector<double>* bwd_times = nullptr;
    if (ws.timed) {
        ws.times.forward.resize(L, 0.0);
        ws.times.backward.resize(L, 0.0);
        fwd_times = &ws.times.forward;
        bwd_times = &ws.times.backward;
    }
    double t0 = fwd_times ? seconds_now() : 0;
    for (size_t i = 0; i < L; ++i) {
        if (fuse && ann_detail::conv_block_fuses(m.layers, i)) {
            ann_detail::conv_block_forward(m.layers[i], m.layers[i + 2], acts[i], acts[i + 3],
                                           caches[i]);
            t0 = book(fwd_times, i, t0);
            ws.block[i] = 1;
            i += 2;
            continue;
        }
        ann_detail::layer_forward(m.layers[i], acts[i], acts[i + 1], &caches[i], train, &rng);
        t0 = book(fwd_times, i, t0);
    }
    const AnnMatrix& out = acts[L];
    if (output) *output = out;
    if (target.rows() != out.rows() || target.cols() != out.cols())
        throw InputError("targets are " + std::to_string(target.rows()) + "x" +
                             std::to_string(target.cols()) + ", the model outputs " +
                             std::to_string(out.rows()) + "x" + std::to_string(out.cols()),
                         "", "match the loss target to the model's output layer");
    const int64_t B = batch_rows;
    AnnMatrix& g = ws.g;
    float value = 0;
    size_t start = L;  // backward starts at layers[start - 1]
    if (loss == "cross_entropy") {
        AnnMatrix p;
        if (L > 0 && m.layers[L - 1].kind == AnnLayerKind::Softmax) {
            p = out;
            start = L - 1;  // fused softmax + cross-entropy: skip the softmax's Jacobian
        } else {
            softmax_rows(out, p);
        }
        value = -(target.array() * p.array().max(1e-12f).log()).sum() / float(B);
        g = (p - target) / float(B);
    } else if (loss == "mse") {
        const AnnMatrix d = out - target;
        const float n = float(B * d.cols());
        value = d.squaredNorm() / n;
        g = d * (2.0f / n);
    } else if (loss == "perceptron") {
        g = AnnMatrix::Zero(out.rows(), out.cols());
        for (int64_t b = 0; b < out.rows(); ++b) {
            const int64_t pred = argmax_row(out, b), truth = argmax_row(target, b);
            if (pred == truth) continue;
            value += (out(b, pred) - out(b, truth)) / float(B);
            g(b, pred) += 1.0f / float(B);
            g(b, truth) -= 1.0f / float(B);
        }
    } else {
        throw InputError("unknown loss '" + loss + "'", "", "use cross_entropy, mse or perceptron");
    }
    if (!grads) return value;
    grads->params.resize(L);
    const AnnMatrix output_error = grads->feedback ? g : AnnMatrix();
    ws.dx.resize(L);
    const AnnMatrix* dy = &g;
    t0 = bwd_times ? seconds_now() : 0;
    for (size_t i = start; i-- > 0;) {
        if (i >= 2 && ws.block[i - 2]) {
            // A conv block ends at layer i: layers i-1 and i have no parameters.
            i -= 2;
            grads->params[i + 1].clear();
            grads->params[i + 2].clear();
        }
        // A flatten's input gradient is its output gradient, the same floats in the same
        // rows: dy stays where it is instead of being copied (the feedback hook wants every
        // layer's own).
        if (m.layers[i].kind == AnnLayerKind::Flatten && !grads->feedback) {
            grads->params[i].clear();
            t0 = book(bwd_times, i, t0);
            continue;
        }
        // The first layer's input gradient is only wanted when asked for (gradient checks).
        const bool need_dx = i > 0 || grads->want_input;
        AnnMatrix& dx = ws.dx[i];
        if (ws.block[i])
            ann_detail::conv_block_backward(m.layers[i], m.layers[i + 2], acts[i], acts[i + 3],
                                            *dy, caches[i], need_dx ? &dx : nullptr,
                                            grads->params[i]);
        else
            ann_detail::layer_backward(
                m.layers[i], acts[i], acts[i + 1], *dy, caches[i], need_dx ? &dx : nullptr,
                grads->params[i],
                grads->add_to && i < grads->add_to->size() && !(*grads->add_to)[i].empty()
                    ? &(*grads->add_to)[i][0]
                    : nullptr);
        t0 = book(bwd_times, i, t0);
        if (need_dx && grads->feedback) grads->feedback(i, output_error, *dy, dx);
        if (need_dx) dy = &dx;
    }
    for (size_t i = start; i < L; ++i) grads->params[i].assign(m.layers[i].params.size(), {});
    if (grads->want_input) grads->input = *dy;
    return value;
}

// SplitMix64's finaliser: a well-mixed 64-bit value from a seed and a block index.
uint64_t mix_seed(uint64_t seed, uint64_t block) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (block + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// Rows per block of a training batch. The blocks, not the threads, fix every sum, so a
// batch of B rows keeps up to ceil(B / 32) threads busy (4 for the shipped batches of
// 128); 32 rows keep each block's products large enough to run near the speed of one
// product over the whole batch.
constexpr int64_t kTrainBlock = 32;

// One block of a training batch: its rows, its gradients, its output and its loss.
struct TrainBlock {
    AnnMatrix x, y, out;
    AnnGradients g;
    float loss = 0;
};

// Loss, output and block gradients of a batch computed in fixed blocks of kTrainBlock
// rows, spread over `threads`; every block writes only its own TrainBlock, and
// blocked_step adds the block gradients in block order, so the result has the same bits
// for any thread count. Block 0
// draws dropout masks from dropout_seed itself (a batch of one block computes exactly
// what ann_loss does), block b > 0 from mix_seed(dropout_seed, b).
float blocked_loss(const AnnModel& m, const AnnMatrix& x, const AnnMatrix& y,
                   const std::string& loss, uint64_t dropout_seed, int threads,
                   std::vector<TrainBlock>& blocks, std::vector<AnnWorkspace>& ws, AnnMatrix& out,
                   bool timed) {
    const int64_t B = x.rows();
    const int64_t nblocks = (B + kTrainBlock - 1) / kTrainBlock;
    if (int64_t(blocks.size()) < nblocks) blocks.resize(size_t(nblocks));
    const int chunks = parallel_chunk_count(nblocks, threads);
    if (int(ws.size()) < chunks) ws.resize(size_t(chunks));
    for (auto& w : ws) w.timed = timed;
    parallel_chunks(nblocks, threads, [&](int c, int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
            TrainBlock& tb = blocks[size_t(b)];
            const int64_t r0 = b * kTrainBlock, nr = std::min(kTrainBlock, B - r0);
            tb.x = x.middleRows(r0, nr);
            tb.y = y.middleRows(r0, nr);
            tb.g.want_input = false;
            // The chunk that holds block 0 adds its later blocks' dense weight gradients
            // into block 0's, in block order (blocked_step skips what they left empty).
            tb.g.add_to = b0 == 0 && b > 0 ? &blocks[0].g.params : nullptr;
            tb.loss =
                batch_loss(m, tb.x, tb.y, loss, B, ws[size_t(c)], &tb.g, true,
                           b == 0 ? dropout_seed : mix_seed(dropout_seed, uint64_t(b)), &tb.out);
        }
    });
    // The losses in block order; the gradients are added in blocked_step.
    float value = blocks[0].loss;
    for (int64_t b = 1; b < nblocks; ++b) value += blocks[size_t(b)].loss;
    out.resize(B, blocks[0].out.cols());
    for (int64_t b = 0; b < nblocks; ++b)
        out.middleRows(b * kTrainBlock, blocks[size_t(b)].out.rows()) = blocks[size_t(b)].out;
    return value;
}

}  // namespace

float ann_loss(const AnnModel& m, const AnnMatrix& x, const AnnMatrix& target,
               const std::string& loss, AnnGradients* grads, bool train, uint64_t dropout_seed,
               AnnMatrix* output) {
    thread_local AnnWorkspace ws;
    return batch_loss(m, x, target, loss, x.rows(), ws, grads, train, dropout_seed, output);
}

namespace {

// The constants of one optimiser step.
struct StepConsts {
    bool adam = false;
    float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, c1 = 0, c2 = 0, lr = 0, momentum = 0;
};

// Creates the optimiser state on first use and counts the step.
StepConsts begin_step(AnnOptimizer& o, const AnnModel& model, const AnnTraining& t, float lr) {
    const size_t L = model.layers.size();
    if (o.m.size() != L) {
        o.m.assign(L, {});
        o.v.assign(L, {});
        for (size_t i = 0; i < L; ++i) {
            for (const auto& p : model.layers[i].params) {
                o.m[i].emplace_back(p.value.size(), 0.0f);
                if (o.kind == "adam") o.v[i].emplace_back(p.value.size(), 0.0f);
            }
        }
    }
    ++o.step;
    StepConsts s;
    s.adam = o.kind == "adam";
    s.c1 = 1.0f - std::pow(s.b1, float(o.step));
    s.c2 = 1.0f - std::pow(s.b2, float(o.step));
    s.lr = lr;
    s.momentum = t.momentum;
    return s;
}

// The update of elements [j0, j1) of parameter k of layer i; gr[0] is element j0's
// gradient. Each element's update reads and writes only that element, so any split of a
// parameter into spans gives the same bits.
void update_span(AnnOptimizer& o, AnnModel& model, size_t i, size_t k, size_t j0, size_t j1,
                 const float* gr, float wd, const StepConsts& s) {
    float* w = model.layers[i].params[k].value.data();
    float* mk = o.m[i][k].data();
    if (s.adam) {
        float* vk = o.v[i][k].data();
        for (size_t j = j0; j < j1; ++j) {
            const float gj = gr[j - j0] + wd * w[j];
            mk[j] = s.b1 * mk[j] + (1 - s.b1) * gj;
            vk[j] = s.b2 * vk[j] + (1 - s.b2) * gj * gj;
            w[j] -= s.lr * (mk[j] / s.c1) / (std::sqrt(vk[j] / s.c2) + s.eps);
        }
    } else {
        for (size_t j = j0; j < j1; ++j) {
            const float gj = gr[j - j0] + wd * w[j];
            mk[j] = s.momentum * mk[j] + gj;
            w[j] -= s.lr * mk[j];
        }
    }
}

// Weight decay on weights only, not biases.
float decay_of(const AnnParam& p, const AnnTraining& t) {
    return p.name == "bias" ? 0.0f : t.weight_decay;
}

// The optimiser step of a blocked batch: each element's gradient is the sum of the
// blocks' in block order (block 0, + block 1, + block 2, ...; plain loops, since an Eigen
// reduction could take a different order depending on where the heap put a buffer), and
// its update follows at once. Both are per element, so spans of 4096 elements are split
// over threads with the same bits for any count.
void blocked_step(AnnOptimizer& o, AnnModel& model, const std::vector<TrainBlock>& blocks,
                  int64_t nblocks, const AnnTraining& t, float lr, int threads) {
    const StepConsts s = begin_step(o, model, t, lr);
    constexpr size_t kSpan = 4096;
    struct Span {
        size_t i, k, j0, j1;
    };
    std::vector<Span> spans;
    const auto& first = blocks[0].g.params;
    for (size_t i = 0; i < model.layers.size() && i < first.size(); ++i)
        for (size_t k = 0; k < model.layers[i].params.size() && k < first[i].size(); ++k) {
            const size_t n = model.layers[i].params[k].value.size();
            if (first[i][k].size() != n) continue;
            for (size_t j0 = 0; j0 < n; j0 += kSpan)
                spans.push_back({i, k, j0, std::min(n, j0 + kSpan)});
        }
    parallel_chunks(int64_t(spans.size()), threads, [&](int, int64_t a, int64_t b) {
        std::vector<float> sum(kSpan);
        for (int64_t q = a; q < b; ++q) {
            const Span& sp = spans[size_t(q)];
            const size_t n = sp.j1 - sp.j0;
            const float* g0 = blocks[0].g.params[sp.i][sp.k].data() + sp.j0;
            std::copy(g0, g0 + n, sum.begin());
            for (int64_t bb = 1; bb < nblocks; ++bb) {
                const auto& own = blocks[size_t(bb)].g.params[sp.i][sp.k];
                if (own.empty()) continue;  // added into block 0's (see blocked_loss)
                const float* src = own.data() + sp.j0;
                for (size_t j = 0; j < n; ++j) sum[j] += src[j];
            }
            update_span(o, model, sp.i, sp.k, sp.j0, sp.j1, sum.data(),
                        decay_of(model.layers[sp.i].params[sp.k], t), s);
        }
    });
}

}  // namespace

void AnnOptimizer::apply(AnnModel& model, const AnnGradients& g, const AnnTraining& t, float lr) {
    const StepConsts s = begin_step(*this, model, t, lr);
    for (size_t i = 0; i < model.layers.size(); ++i) {
        auto& layer = model.layers[i];
        for (size_t k = 0; k < layer.params.size(); ++k) {
            const auto& gr = g.params[i][k];
            if (gr.size() != layer.params[k].value.size()) continue;
            update_span(*this, model, i, k, 0, gr.size(), gr.data(), decay_of(layer.params[k], t),
                        s);
        }
    }
}

std::vector<AnnEpochStat> fit_ann(AnnModel& model, const Dataset& train, AnnOptimizer& opt,
                                  const AnnFitOptions& o) {
    if (!model.initialised) init_ann(model, o.seed);
    if (train.sample_size() != model.input_size())
        throw InputError("data set '" + train.name + "' has samples of " +
                             std::to_string(train.sample_size()) + " values, model '" + model.name +
                             "' expects " + std::to_string(model.input_size()),
                         "", "train on the data set the model was written for (see its 'dataset:')");
    const auto& t = model.training;
    if (opt.kind.empty()) opt.kind = t.optimizer;
    const bool recon = t.target == "input";
    const int64_t N = o.max_train >= 0 ? std::min(o.max_train, train.size()) : train.size();
    if (N == 0) throw InputError("no training samples", "", "check --max-train and the data set");
    const int64_t D = model.input_size();
    const int64_t K = recon ? D : ann_detail::shape_size(model.output_shape());
    const int64_t B = t.batch;
    std::vector<AnnEpochStat> stats;
    std::vector<int64_t> idx(static_cast<size_t>(N));
    // Batch buffers, blocks and workspaces live across epochs: allocated (and first
    // touched, page by page) once per run rather than once per epoch.
    AnnMatrix x(B, D), y(B, K);
    AnnGradients g;
    g.want_input = false;
    g.feedback = o.feedback;
    AnnMatrix out;
    std::vector<TrainBlock> blocks;
    std::vector<AnnWorkspace> workspaces;
    AnnWorkspace serial;  // feedback alignment's (whole batches on this thread)
    for (int64_t e = o.first_epoch; e < o.epochs; ++e) {
        const auto t0 = std::chrono::steady_clock::now();
        // Per-epoch generators derived from the seed, so a resumed run is bit-identical.
        std::mt19937_64 rng(o.seed * 1000003ULL + uint64_t(e) * 7919ULL + 17ULL);
        for (int64_t i = 0; i < N; ++i) idx[size_t(i)] = i;
        shuffle_indices(idx, rng);
        const float lr = t.lr * std::pow(t.lr_decay, float(e));
        Progress bar("epoch " + std::to_string(e + 1) + "/" + std::to_string(o.epochs), N, o.progress);
        double loss_sum = 0;
        int64_t correct = 0, seen = 0;
        // Each epoch's layer times are added to o.layer_times at its end.
        serial.times = {};
        for (AnnWorkspace& w : workspaces) w.times = {};
        serial.timed = o.layer_times != nullptr;
        std::normal_distribution<float> noise(0.0f, 1.0f);
        for (int64_t s = 0; s < N; s += B) {
            const int64_t nb = std::min(B, N - s);
            x.resize(nb, D);
            y.setZero(nb, K);
            for (int64_t b = 0; b < nb; ++b) {
                const int64_t k = idx[size_t(s + b)];
                std::copy(train.sample(k), train.sample(k) + D, x.row(b).data());
                if (t.augmentation == "shift" && is_image(model))
                    shift_augment(x.row(b).data(), model.input_shape, rng);
                if (recon) y.row(b) = x.row(b);
                else y(b, train.labels[size_t(k)]) = 1.0f;
            }
            if (t.noise > 0)
                for (int64_t i = 0; i < x.size(); ++i) x.data()[i] += t.noise * noise(rng);
            // Feedback alignment's angle sums see whole batches, so fa/dfa keep the
            // single pass over the batch (serial); backprop runs in blocks over threads.
            const uint64_t dropout_seed = rng();
            const float l =
                o.feedback ? batch_loss(model, x, y, t.loss, x.rows(), serial, &g, true,
                                        dropout_seed, &out)
                           : blocked_loss(model, x, y, t.loss, dropout_seed, o.threads, blocks,
                                          workspaces, out, o.layer_times != nullptr);
            if (!std::isfinite(l))
                throw InputError("training diverged (loss is " + std::to_string(l) + ") in epoch " +
                                     std::to_string(e + 1),
                                 "", "lower training.lr");
            const double step0 = o.layer_times ? seconds_now() : 0;
            if (o.feedback)
                opt.apply(model, g, t, lr);
            else
                blocked_step(opt, model, blocks, (nb + kTrainBlock - 1) / kTrainBlock, t, lr,
                             o.threads);
            if (o.layer_times) o.layer_times->step += seconds_now() - step0;
            loss_sum += double(l) * double(nb);
            seen += nb;
            if (!recon) {
                // Training accuracy from the same forward pass (before this step's update).
                for (int64_t b = 0; b < nb; ++b)
                    correct += argmax_row(out, b) == train.labels[size_t(idx[size_t(s + b)])];
            }
            char extra[64];
            std::snprintf(extra, sizeof extra, "loss %.4f%s", loss_sum / double(seen),
                          recon ? "" : (" acc " + std::to_string(100.0 * double(correct) / double(seen)).substr(0, 5) + "%").c_str());
            bar.update(seen, extra);
        }
        bar.finish();
        if (o.layer_times) {
            add_times(*o.layer_times, serial.times);
            for (const AnnWorkspace& w : workspaces) add_times(*o.layer_times, w.times);
        }
        AnnEpochStat st;
        st.epoch = int(e);
        st.loss = float(loss_sum / double(seen));
        st.accuracy = recon ? 0.0f : float(double(correct) / double(seen));
        st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        stats.push_back(st);
        if (o.on_epoch) o.on_epoch(int(e), st.loss, st.accuracy, opt);
    }
    return stats;
}

AnnEvalResult evaluate_ann(const AnnModel& model, const Dataset& ds, int64_t samples,
                           uint64_t noise_seed, int threads) {
    if (ds.sample_size() != model.input_size())
        throw InputError("data set '" + ds.name + "' has samples of " + std::to_string(ds.sample_size()) +
                             " values, model '" + model.name + "' expects " +
                             std::to_string(model.input_size()),
                         "", "evaluate on the data set the model was trained on");
    AnnEvalResult r;
    r.reconstruction = model.training.target == "input";
    const int64_t N = samples >= 0 ? std::min(samples, ds.size()) : ds.size();
    const int64_t D = model.input_size(), B = 256;
    const int K = ds.num_classes;
    r.samples = N;
    r.confusion.assign(size_t(K), std::vector<int64_t>(size_t(K), 0));
    std::mt19937_64 rng(noise_seed);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    const bool noisy = r.reconstruction && model.training.noise > 0;
    // Blocks of B samples over threads, a wave of blocks at a time (so the inputs of a
    // wave, not of the whole test set, are held at once). Each block's squared error and
    // counts go to its own slot and are added in block order, the order of the serial loop,
    // so the result has the same bits for any thread count. A denoising autoencoder's
    // noise is drawn here, serially, in the order the serial loop drew it.
    struct EvalBlock {
        AnnMatrix noise;  // standard normal draws, scaled in the worker as the serial loop did
        double se = 0;
        int64_t correct = 0;
        std::vector<int64_t> pairs;  // (true, predicted) per sample, for the confusion matrix
    };
    const int64_t kWave = 16;
    std::vector<EvalBlock> wave;
    double se = 0;
    int64_t correct = 0;
    for (int64_t w0 = 0; w0 < N; w0 += kWave * B) {
        const int64_t nblocks = std::min(kWave, (N - w0 + B - 1) / B);
        wave.assign(size_t(nblocks), {});
        if (noisy)
            for (int64_t k = 0; k < nblocks; ++k) {
                const int64_t nb = std::min(B, N - (w0 + k * B));
                AnnMatrix& z = wave[size_t(k)].noise;
                z.resize(nb, D);
                for (int64_t i = 0; i < z.size(); ++i) z.data()[i] = noise(rng);
            }
        parallel_chunks(nblocks, threads, [&](int, int64_t k0, int64_t k1) {
            AnnMatrix x;
            for (int64_t k = k0; k < k1; ++k) {
                EvalBlock& blk = wave[size_t(k)];
                const int64_t s = w0 + k * B, nb = std::min(B, N - s);
                x.resize(nb, D);
                for (int64_t b = 0; b < nb; ++b)
                    std::copy(ds.sample(s + b), ds.sample(s + b) + D, x.row(b).data());
                if (r.reconstruction) {
                    AnnMatrix in = x;
                    // A denoising autoencoder is scored on noisy inputs against the clean images.
                    if (noisy)
                        for (int64_t i = 0; i < in.size(); ++i)
                            in.data()[i] += model.training.noise * blk.noise.data()[i];
                    const AnnMatrix out = forward(model, in);
                    blk.se = double((out - x).squaredNorm());
                    continue;
                }
                const AnnMatrix out = forward(model, x);
                for (int64_t b = 0; b < nb; ++b) {
                    const int64_t p = argmax_row(out, b);
                    const int32_t t = ds.labels[size_t(s + b)];
                    if (t >= 0 && t < K && p < K) {
                        blk.pairs.push_back(t);
                        blk.pairs.push_back(p);
                    }
                    blk.correct += p == t;
                }
            }
        });
        for (const EvalBlock& blk : wave) {
            se += blk.se;
            correct += blk.correct;
            for (size_t i = 0; i + 1 < blk.pairs.size(); i += 2)
                ++r.confusion[size_t(blk.pairs[i])][size_t(blk.pairs[i + 1])];
        }
    }
    if (r.reconstruction) {
        r.reconstruction_mse = N ? se / double(N * D) : 0.0;
        r.confusion.clear();
        return r;
    }
    r.accuracy = N ? double(correct) / double(N) : 0.0;
    for (int k = 0; k < K; ++k) {
        int64_t tot = 0;
        for (auto v : r.confusion[size_t(k)]) tot += v;
        r.per_class.push_back(tot ? double(r.confusion[size_t(k)][size_t(k)]) / double(tot) : 0.0);
    }
    return r;
}

}  // namespace sf
