// ANN -> SNN conversion (convert.hpp).
#include "sf/reference/convert.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "sf/core/error.hpp"
#include "sf/core/parallel.hpp"

namespace sf {

namespace {

float positive_percentile(const AnnMatrix& a, float pct) {
    std::vector<float> v;
    v.reserve(size_t(a.size()));
    for (int64_t i = 0; i < a.size(); ++i)
        if (a.data()[i] > 0.0f) v.push_back(a.data()[i]);
    if (v.empty()) return 1.0f;  // a dead layer: any scale will do
    const size_t k =
        std::min(v.size() - 1, size_t(double(pct) / 100.0 * double(v.size() - 1) + 0.5));
    std::nth_element(v.begin(), v.begin() + long(k), v.end());
    return std::max(v[k], 1e-6f);
}

const AnnParam& need(const AnnLayer& l, const char* name) {
    const AnnParam* p = l.param(name);
    if (!p || p->value.empty())
        throw InputError("layer '" + l.name + "' has no trained " + name, "",
                         "train the model first (spikeforge train)");
    return *p;
}

}  // namespace

Graph convert_ann(const AnnModel& model, const Dataset& norm, const ConvertOptions& opt,
                  ConvertReport* report) {
    if (!model.initialised)
        throw InputError("model '" + model.name + "' has no trained weights", "",
                         "train it first, then convert the trained network directory");
    if (norm.sample_size() != model.input_size())
        throw InputError(fmt::format("data set '{}' has {} values per sample, the model expects {}",
                                     norm.name, norm.sample_size(), model.input_size()),
                         "", "use the data set the model was trained on");
    if (opt.readout != "membrane" && opt.readout != "spike_count")
        throw InputError("unknown readout '" + opt.readout + "'", "",
                         "use membrane or spike_count");
    const int64_t n = std::min<int64_t>(std::max<int64_t>(opt.norm_samples, 1), norm.size());
    AnnMatrix x(n, model.input_size());
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < model.input_size(); ++j) x(i, j) = norm.sample(i)[j];
    // The calibration forward pass in fixed blocks of samples, split over threads; the
    // activations are stacked back in sample order.
    constexpr int64_t kBlock = 128;
    const int64_t blocks = (n + kBlock - 1) / kBlock;
    std::vector<std::vector<AnnMatrix>> part(static_cast<size_t>(blocks));
    parallel_chunks(blocks, opt.threads, [&](int, int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
            const AnnMatrix xb = x.middleRows(b * kBlock, std::min(kBlock, n - b * kBlock));
            part[size_t(b)] = forward_all(model, xb);
        }
    });
    std::vector<AnnMatrix> act(part[0].size());
    for (size_t i = 0; i < act.size(); ++i) {
        act[i].resize(n, part[0][i].cols());
        for (int64_t b = 0; b < blocks; ++b)
            act[i].middleRows(b * kBlock, part[size_t(b)][i].rows()) = part[size_t(b)][i];
    }

    Graph g;
    g.name = opt.name.empty() ? model.name + "-snn" : opt.name;
    g.dt_ms = 1.0f;
    g.timesteps = opt.timesteps;
    g.dataset = model.dataset;
    g.encoder.kind = EncoderKind::Direct;
    g.encoder.gain = 1.0f;
    Population in;
    in.name = "input";
    in.kind = NeuronKind::Input;
    in.shape = model.input_shape;
    g.populations.push_back(in);

    ConvertReport rep;
    std::string cur = "input";
    std::vector<int64_t> shape = model.input_shape;
    float lambda_prev = 1.0f;  // pixels are rates in [0, 1]

    // The last dense/conv layer is the readout.
    int last_linear = -1;
    for (size_t i = 0; i < model.layers.size(); ++i)
        if (model.layers[i].kind == AnnLayerKind::Dense ||
            model.layers[i].kind == AnnLayerKind::Conv2d)
            last_linear = int(i);
    if (last_linear < 0)
        throw InputError("model '" + model.name + "' has no dense or conv2d layer", "",
                         "convert a trained MLP or CNN");

    auto if_params = [] {
        NeuronParams p;
        p.decay_u = 1.0f;
        p.decay_v = 0.0f;
        p.threshold = 1.0f;
        p.reset = ResetMode::Subtract;
        return p;
    };

    for (size_t i = 0; i < model.layers.size(); ++i) {
        const AnnLayer& l = model.layers[i];
        switch (l.kind) {
            case AnnLayerKind::Flatten:
            case AnnLayerKind::Dropout:
            case AnnLayerKind::Softmax:
            case AnnLayerKind::ReLU:  // handled with the layer before, or a no-op on rates
                if (l.kind == AnnLayerKind::Softmax && int(i) < last_linear)
                    throw InputError(
                        "softmax inside the network ('" + l.name + "') has no spiking equivalent",
                        "", "use ReLU hidden layers");
                if (l.kind == AnnLayerKind::Flatten) {
                    int64_t s = 1;
                    for (int64_t d : shape) s *= d;
                    shape = {s};
                }
                continue;
            case AnnLayerKind::Dense:
            case AnnLayerKind::Conv2d: {
                const bool is_out = int(i) == last_linear;
                const bool relu_next =
                    i + 1 < model.layers.size() && model.layers[i + 1].kind == AnnLayerKind::ReLU;
                if (!is_out && !relu_next)
                    throw InputError("layer '" + l.name + "' is not followed by ReLU", "",
                                     "only ReLU networks convert to IF neurons");
                const AnnParam& w = need(l, "weight");
                const AnnParam* b = l.param("bias");
                const bool membrane_out = is_out && opt.readout == "membrane";
                // A spiking output is scaled like a hidden layer (on its logits), so that its
                // rates do not saturate; a membrane output keeps the ANN's logit scale.
                const float lambda = membrane_out ? 1.0f
                                     : is_out     ? positive_percentile(act[i + 1], opt.percentile)
                                                  : positive_percentile(act[i + 2], opt.percentile);
                Population p;
                p.name = l.name;
                p.shape = l.out_shape;
                p.params = if_params();
                if (is_out) {
                    p.output = true;
                    if (membrane_out) {
                        // decay_v = 1: v[t] = I[t] + b holds this step's input only, so the
                        // readout (the mean of v over the run) is W r + b, the ANN's logits
                        // computed on the mean rates r, every step weighted alike. (An
                        // integrator, decay_v = 0, would weight step s by T - s and so favour
                        // the first steps, before the hidden rates have settled.)
                        p.kind = NeuronKind::LI;
                        p.params.decay_v = 1.0f;
                        p.params.reset = ResetMode::Zero;
                    } else {
                        p.kind = NeuronKind::IF;
                    }
                } else {
                    p.kind = NeuronKind::IF;
                }
                const int64_t size = p.size();
                if (b && !b->value.empty()) {
                    std::vector<float> bias(static_cast<size_t>(size));
                    const int64_t per = size / int64_t(b->value.size());  // conv: per channel
                    for (int64_t k = 0; k < size; ++k)
                        bias[size_t(k)] = b->value[size_t(k / per)] / lambda;
                    p.bias = Tensor::from<float>(bias, {size});
                }
                g.populations.push_back(p);
                Projection pr;
                pr.name = l.name + "_w";
                pr.pre = cur;
                pr.post = l.name;
                std::vector<float> wv = w.value;
                for (float& v : wv) v *= lambda_prev / lambda;
                if (l.kind == AnnLayerKind::Dense) {
                    pr.kind = ProjectionKind::Dense;
                    int64_t pre_size = 1;
                    for (int64_t d : shape) pre_size *= d;
                    pr.weights = Tensor::from<float>(wv, {size, pre_size});
                } else {
                    pr.kind = ProjectionKind::Conv2d;
                    pr.weights = Tensor::from<float>(wv, w.shape);
                    pr.kernel = {int(w.shape[2]), int(w.shape[3])};
                    pr.stride = {int(l.stride), int(l.stride)};
                    pr.padding = {int(l.padding), int(l.padding)};
                }
                g.projections.push_back(pr);
                rep.layers.push_back({l.name, l.name, lambda});
                cur = l.name;
                shape = l.out_shape;
                lambda_prev = lambda;
                if (is_out) i = model.layers.size();  // the rest (softmax) is the readout
                break;
            }
            case AnnLayerKind::AvgPool:
            case AnnLayerKind::MaxPool: {
                float gain = 1.0f;
                if (l.kind == AnnLayerKind::MaxPool) {
                    rep.max_pool_as_avg = true;
                    // An average is smaller than the maximum it stands in for; scale the
                    // window so the pooled activity matches the max on the data on average.
                    const AnnMatrix& a_in = act[i];
                    const AnnMatrix& a_max = act[i + 1];
                    const int64_t C = l.in_shape[0], H = l.in_shape[1], W = l.in_shape[2];
                    const int64_t OH = l.out_shape[1], OW = l.out_shape[2], k = l.kernel,
                                  st = l.stride;
                    double sum_avg = 0, sum_max = double(a_max.sum());
                    for (int64_t r = 0; r < a_in.rows(); ++r)
                        for (int64_t c = 0; c < C; ++c)
                            for (int64_t oy = 0; oy < OH; ++oy)
                                for (int64_t ox = 0; ox < OW; ++ox)
                                    for (int64_t ky = 0; ky < k; ++ky)
                                        for (int64_t kx = 0; kx < k; ++kx) {
                                            const int64_t y = oy * st + ky, x = ox * st + kx;
                                            if (y < H && x < W)
                                                sum_avg += double(a_in(r, (c * H + y) * W + x)) /
                                                           double(k * k);
                                        }
                    if (sum_avg > 0 && sum_max > 0) gain = float(sum_max / sum_avg);
                    rep.max_pool_gain = gain;
                }
                Population p;
                p.name = l.name;
                p.kind = NeuronKind::IF;
                p.shape = l.out_shape;
                p.params = if_params();
                g.populations.push_back(p);
                Projection pr;
                pr.name = l.name + "_pool";
                pr.kind = ProjectionKind::AvgPool;
                pr.pre = cur;
                pr.post = l.name;
                pr.kernel = {int(l.kernel), int(l.kernel)};
                pr.stride = {int(l.stride), int(l.stride)};
                pr.scale = gain;  // rates average (times the max-pool gain); lambda carries over
                g.projections.push_back(pr);
                rep.layers.push_back({l.name, l.name, lambda_prev});
                cur = l.name;
                shape = l.out_shape;
                break;
            }
            default:
                throw InputError(std::string("layer '") + l.name + "' (" +
                                     ann_layer_kind_name(l.kind) + ") has no spiking equivalent",
                                 "", "convert networks of dense/conv2d, ReLU and pooling layers");
        }
    }
    validate_graph(g);
    if (report) *report = rep;
    return g;
}

TimestepCurve accuracy_vs_timesteps(SnnSimulator& sim, const Dataset& ds, int64_t first,
                                    int64_t count, std::vector<int> steps,
                                    const SnnRunOptions& base, int64_t chunk) {
    const Graph& g = sim.loaded_graph();
    if (steps.empty())
        throw InputError("no step counts given for the accuracy curve", g.file,
                         "give one or more step counts, e.g. 25,50,100");
    for (int t : steps)
        if (t < 1)
            throw InputError(fmt::format("step count {} in the accuracy curve is below 1", t),
                             g.file, "give step counts >= 1");
    if (g.encoder.kind == EncoderKind::Latency)
        throw InputError(
            "the latency encoder spreads a sample over the whole run, so a "
            "shorter run is not a prefix of a longer one",
            g.file, "measure each step count with a separate run");
    std::sort(steps.begin(), steps.end());
    steps.erase(std::unique(steps.begin(), steps.end()), steps.end());
    if (first < 0 || first > ds.size()) first = ds.size();
    if (count < 0 || first + count > ds.size()) count = ds.size() - first;
    chunk = std::max<int64_t>(1, chunk);

    std::vector<size_t> outputs;  // readout order: output populations in graph order
    for (size_t k = 0; k < g.populations.size(); ++k)
        if (g.populations[k].output) outputs.push_back(k);
    const bool membrane = sim.membrane_readout();

    TimestepCurve curve;
    curve.samples = count;
    curve.max_steps = steps.back();
    for (int t : steps) {
        curve.points.push_back({t, 0, 0.0, {}});
        curve.points.back().predicted.reserve(size_t(count));
    }
    SnnRunOptions o = base;
    o.steps = curve.max_steps;
    o.record_spikes = false;
    o.record_u = false;
    o.record_v = membrane;
    o.record_populations.clear();
    if (membrane)
        for (size_t k : outputs) o.record_populations.push_back(g.populations[k].name);
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < count; s += chunk) {
        const int64_t c = std::min(chunk, count - s);
        const SnnResult r = simulate_dataset(sim, ds, first + s, c, o);
        curve.spikes += r.run.counters.spikes;
        for (int64_t i = 0; i < c; ++i) {
            const SampleResult& sr = r.run.samples[size_t(i)];
            // Running readout: summed v of the LI outputs (the mean's argmax) or spike counts.
            std::vector<float> acc(size_t(r.run.num_outputs), 0.0f);
            size_t next = 0;
            for (int t = 0; t < curve.max_steps; ++t) {
                if (membrane) {
                    size_t off = 0;
                    for (size_t k : outputs) {
                        const std::vector<float>& v = r.records[size_t(i)].v[k];
                        const size_t n = size_t(g.populations[k].size());
                        for (size_t j = 0; j < n; ++j) acc[off + j] += v[size_t(t) * n + j];
                        off += n;
                    }
                } else {
                    for (int32_t j : sr.output_spikes[size_t(t)]) acc[size_t(j)] += 1.0f;
                }
                if (t + 1 == curve.points[next].steps) {
                    const int pred = snn_predict(acc, membrane);
                    curve.points[next].correct += pred == sr.label;
                    curve.points[next].predicted.push_back(pred);
                    ++next;
                }
            }
        }
    }
    curve.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (auto& p : curve.points) p.accuracy = count > 0 ? double(p.correct) / double(count) : 0.0;
    return curve;
}

}  // namespace sf
