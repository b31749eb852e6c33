// Float STDP and the Diehl & Cook style unsupervised example (stdp.hpp).
#include "sf/reference/stdp.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "sf/core/error.hpp"
#include "sf/core/progress.hpp"
#include "sf/reference/batching.hpp"
#include "sf/reference/snn.hpp"

namespace sf {

StdpDense::StdpDense(const StdpParams& params, int64_t pre, int64_t post, std::vector<float> weights)
    : p(params), n_pre(pre), n_post(post), w(std::move(weights)) {
    if (int64_t(w.size()) != pre * post)
        throw InputError(fmt::format("STDP weights hold {} values, expected {} x {}", w.size(), post, pre),
                         "", "give [post, pre] weights");
    reset_traces();
}

void StdpDense::reset_traces() {
    x_pre.assign(size_t(n_pre), 0.0f);
    y_post.assign(size_t(n_post), 0.0f);
}

void StdpDense::step(const std::vector<int32_t>& pre, const std::vector<int32_t>& post) {
    const float dx = std::exp(-1.0f / p.tau_pre), dy = std::exp(-1.0f / p.tau_post);
    for (float& x : x_pre) x *= dx;
    for (float& y : y_post) y *= dy;
    auto clampw = [&](float v) { return std::min(p.w_max, std::max(p.w_min, v)); };
    // Depression first, with the post trace before this step's post spikes.
    for (int32_t j : pre)
        for (int64_t i = 0; i < n_post; ++i) {
            float& wij = w[size_t(i * n_pre + j)];
            wij = clampw(wij - p.a_minus * y_post[size_t(i)]);
        }
    for (int32_t j : pre) x_pre[size_t(j)] += 1.0f;
    for (int32_t i : post) {
        float* row = w.data() + i * n_pre;
        for (int64_t j = 0; j < n_pre; ++j) row[j] = clampw(row[j] + p.a_plus * x_pre[size_t(j)]);
    }
    for (int32_t i : post) y_post[size_t(i)] += 1.0f;
}

namespace {

// One presentation of a sample to the excitatory layer; returns spike counts per neuron.
struct DcLayer {
    const DiehlCookOptions& o;
    int64_t n_in;
    StdpDense syn;
    std::vector<float> theta;
    std::mt19937_64 rng;

    DcLayer(const DiehlCookOptions& opt, int64_t nin, std::vector<float> w)
        : o(opt), n_in(nin), syn(opt.stdp, nin, opt.neurons, std::move(w)),
          theta(size_t(opt.neurons), 0.0f), rng(opt.seed),
          theta_keep(std::exp(-1.0f / opt.tau_theta)) {}
    float theta_keep;

    std::vector<int> present(const float* img, float rate, bool learn) {
        const int N = o.neurons;
        std::vector<float> v(static_cast<size_t>(N), 0.0f), cur(static_cast<size_t>(N), 0.0f);
        std::vector<int> counts(size_t(N), 0);
        std::vector<int32_t> pre, post, prev_post;
        std::uniform_real_distribution<float> uni(0.0f, 1.0f);
        syn.reset_traces();
        for (int t = 0; t < o.timesteps; ++t) {
            pre.clear();
            for (int64_t j = 0; j < n_in; ++j)
                if (img[j] > 0.0f && uni(rng) < img[j] * rate) pre.push_back(int32_t(j));
            // Input of this step, and the inhibition of last step's spikes (one step late).
            const float inh = o.inhibition * float(prev_post.size());
            for (int i = 0; i < N; ++i) {
                const float* row = syn.w.data() + int64_t(i) * n_in;
                float s = 0;
                for (int32_t j : pre) s += row[j];
                cur[size_t(i)] = s - inh;
            }
            for (int32_t i : prev_post) cur[size_t(i)] += o.inhibition;  // no self-inhibition
            post.clear();
            for (int i = 0; i < N; ++i) {
                float x = (1.0f - o.decay_v) * v[size_t(i)] + cur[size_t(i)];
                if (x > o.threshold + theta[size_t(i)]) {
                    post.push_back(i);
                    x = 0.0f;
                    ++counts[size_t(i)];
                    if (learn) theta[size_t(i)] += o.theta_plus;
                }
                v[size_t(i)] = x;
            }
            if (learn) {
                syn.step(pre, post);
                for (float& th : theta) th *= theta_keep;
            }
            prev_post = post;
        }
        return counts;
    }

    void normalise() {
        for (int i = 0; i < o.neurons; ++i) {
            float* row = syn.w.data() + int64_t(i) * n_in;
            const float s = std::accumulate(row, row + n_in, 0.0f);
            if (s > 0)
                for (int64_t j = 0; j < n_in; ++j) row[j] *= o.weight_sum / s;
        }
    }
};

}  // namespace

DiehlCookResult train_diehl_cook(const Dataset& train, const Dataset& test, const DiehlCookOptions& o) {
    if (o.neurons < 10 || o.timesteps < 1)
        throw InputError("Diehl & Cook needs >= 10 neurons and >= 1 step", "", "");
    const int64_t n_in = train.sample_size();
    const int N = o.neurons;
    const auto t0 = std::chrono::steady_clock::now();
    std::mt19937_64 rng(o.seed);
    std::uniform_real_distribution<float> uni(0.0f, 0.3f);
    std::vector<float> w(size_t(N * n_in));
    for (float& x : w) x = uni(rng);
    DcLayer layer(o, n_in, std::move(w));
    layer.normalise();
    const int64_t n_train = o.max_train >= 0 ? std::min(o.max_train, train.size()) : train.size();
    for (int e = 0; e < o.epochs; ++e) {
        const std::vector<int64_t> order = seeded_permutation(n_train, o.seed + uint64_t(e));
        Progress bar(fmt::format("stdp epoch {}/{}", e + 1, o.epochs), n_train, o.progress);
        for (int64_t k = 0; k < n_train; ++k) {
            const float* img = train.sample(order[size_t(k)]);
            float rate = o.max_rate;
            // Too quiet a response teaches nothing: present again, louder (as Diehl & Cook).
            for (int tries = 0; tries < 4; ++tries) {
                const auto c = layer.present(img, rate, true);
                if (std::accumulate(c.begin(), c.end(), 0) >= 5) break;
                rate = std::min(1.0f, rate * 1.5f);
            }
            layer.normalise();
            bar.update(k + 1);
        }
        bar.finish();
    }

    // Label every neuron by the class it answers most (mean count per class sample).
    std::vector<std::vector<double>> resp(size_t(N), std::vector<double>(10, 0.0));
    std::vector<int64_t> per_class(10, 0);
    for (int64_t k = 0; k < n_train; ++k) {
        const int y = train.labels[size_t(k)];
        const auto c = layer.present(train.sample(k), o.max_rate, false);
        per_class[size_t(y)]++;
        for (int i = 0; i < N; ++i) resp[size_t(i)][size_t(y)] += c[size_t(i)];
    }
    DiehlCookResult r;
    r.assignment.assign(size_t(N), 0);
    std::vector<int> n_of(10, 0);
    for (int i = 0; i < N; ++i) {
        int best = 0;
        for (int c = 1; c < 10; ++c)
            if (resp[size_t(i)][size_t(c)] / double(std::max<int64_t>(1, per_class[size_t(c)])) >
                resp[size_t(i)][size_t(best)] / double(std::max<int64_t>(1, per_class[size_t(best)])))
                best = c;
        double total = 0;
        for (int c = 0; c < 10; ++c) total += resp[size_t(i)][size_t(c)];
        // A neuron that never answered has no class; giving it one would dilute that
        // class's vote.
        r.assignment[size_t(i)] = total > 0 ? best : -1;
        if (total > 0) n_of[size_t(best)]++;
    }
    r.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // The network: thresholds th + theta folded into the incoming weights.
    Graph g;
    g.name = "mnist-stdp";
    g.dt_ms = 1.0f;
    g.timesteps = o.timesteps;
    g.dataset = "mnist";
    g.encoder.kind = EncoderKind::Rate;
    g.encoder.max_rate = o.max_rate;
    g.encoder.seed = o.seed;
    Population in;
    in.name = "in";
    in.kind = NeuronKind::Input;
    in.shape = train.sample_shape;
    Population exc;
    exc.name = "exc";
    exc.kind = NeuronKind::LIF;
    exc.shape = {N};
    exc.params.decay_u = 1.0f;
    exc.params.decay_v = o.decay_v;
    exc.params.threshold = o.threshold;
    exc.params.reset = ResetMode::Zero;
    Population cls;
    cls.name = "class";
    cls.kind = NeuronKind::LI;
    cls.shape = {10};
    cls.params.decay_u = 1.0f;
    cls.params.decay_v = 1.0f;  // v[t] = this step's votes; its mean is the vote count rate
    cls.output = true;
    g.populations = {in, exc, cls};
    std::vector<float> scale(static_cast<size_t>(N), 1.0f);
    for (int i = 0; i < N; ++i) scale[size_t(i)] = o.threshold / (o.threshold + layer.theta[size_t(i)]);
    std::vector<float> wf = layer.syn.w;
    for (int i = 0; i < N; ++i)
        for (int64_t j = 0; j < n_in; ++j) wf[size_t(i * n_in + j)] *= scale[size_t(i)];
    std::vector<float> winh(size_t(N * N), 0.0f);
    for (int i = 0; i < N; ++i)
        for (int k = 0; k < N; ++k)
            if (i != k) winh[size_t(i * N + k)] = -o.inhibition * scale[size_t(i)];
    std::vector<float> wc(size_t(10 * N), 0.0f);
    for (int i = 0; i < N; ++i) {
        const int c = r.assignment[size_t(i)];
        if (c >= 0) wc[size_t(c * N + i)] = 1.0f / float(n_of[size_t(c)]);
    }
    Projection p1;
    p1.name = "input_exc";
    p1.kind = ProjectionKind::Dense;
    p1.pre = "in";
    p1.post = "exc";
    p1.weights = Tensor::from<float>(wf, {N, n_in});
    Projection p2;
    p2.name = "inhibition";
    p2.kind = ProjectionKind::Dense;
    p2.pre = "exc";
    p2.post = "exc";
    p2.weights = Tensor::from<float>(winh, {N, N});
    Projection p3;
    p3.name = "vote";
    p3.kind = ProjectionKind::Dense;
    p3.pre = "exc";
    p3.post = "class";
    p3.weights = Tensor::from<float>(wc, {10, N});
    g.projections = {p1, p2, p3};
    validate_graph(g);

    SnnSimulator sim(g);
    SnnRunOptions ro;
    ro.batch = 256;
    ro.progress = o.progress;
    const SnnResult res = simulate_dataset(sim, test, 0, -1, ro);
    r.accuracy = res.run.accuracy();
    r.test_samples = int64_t(res.run.samples.size());
    r.network = std::move(g);
    return r;
}

}  // namespace sf
