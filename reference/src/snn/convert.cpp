// ANN -> SNN conversion (convert.hpp).
#include "sf/reference/convert.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sf/core/error.hpp"

namespace sf {

namespace {

float positive_percentile(const AnnMatrix& a, float pct) {
    std::vector<float> v;
    v.reserve(size_t(a.size()));
    for (int64_t i = 0; i < a.size(); ++i)
        if (a.data()[i] > 0.0f) v.push_back(a.data()[i]);
    if (v.empty()) return 1.0f;  // a dead layer: any scale will do
    const size_t k = std::min(v.size() - 1, size_t(double(pct) / 100.0 * double(v.size() - 1) + 0.5));
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
        throw InputError("unknown readout '" + opt.readout + "'", "", "use membrane or spike_count");
    const int64_t n = std::min<int64_t>(std::max<int64_t>(opt.norm_samples, 1), norm.size());
    AnnMatrix x(n, model.input_size());
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < model.input_size(); ++j) x(i, j) = norm.sample(i)[j];
    const std::vector<AnnMatrix> act = forward_all(model, x);

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
        if (model.layers[i].kind == AnnLayerKind::Dense || model.layers[i].kind == AnnLayerKind::Conv2d)
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
                    throw InputError("softmax inside the network ('" + l.name + "') has no "
                                     "spiking equivalent", "", "use ReLU hidden layers");
                if (l.kind == AnnLayerKind::Flatten) {
                    int64_t s = 1;
                    for (int64_t d : shape) s *= d;
                    shape = {s};
                }
                continue;
            case AnnLayerKind::Dense:
            case AnnLayerKind::Conv2d: {
                const bool is_out = int(i) == last_linear;
                const bool relu_next = i + 1 < model.layers.size() &&
                                       model.layers[i + 1].kind == AnnLayerKind::ReLU;
                if (!is_out && !relu_next)
                    throw InputError("layer '" + l.name + "' is not followed by ReLU", "",
                                     "only ReLU networks convert to IF neurons");
                const AnnParam& w = need(l, "weight");
                const AnnParam* b = l.param("bias");
                const float lambda = is_out ? 1.0f : positive_percentile(act[i + 2], opt.percentile);
                Population p;
                p.name = l.name;
                p.shape = l.out_shape;
                p.params = if_params();
                if (is_out) {
                    p.output = true;
                    if (opt.readout == "membrane") {
                        p.kind = NeuronKind::LI;
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
                    for (int64_t k = 0; k < size; ++k) bias[size_t(k)] = b->value[size_t(k / per)] / lambda;
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
                    const int64_t OH = l.out_shape[1], OW = l.out_shape[2], k = l.kernel, st = l.stride;
                    double sum_avg = 0, sum_max = double(a_max.sum());
                    for (int64_t r = 0; r < a_in.rows(); ++r)
                        for (int64_t c = 0; c < C; ++c)
                            for (int64_t oy = 0; oy < OH; ++oy)
                                for (int64_t ox = 0; ox < OW; ++ox)
                                    for (int64_t ky = 0; ky < k; ++ky)
                                        for (int64_t kx = 0; kx < k; ++kx) {
                                            const int64_t y = oy * st + ky, x = ox * st + kx;
                                            if (y < H && x < W)
                                                sum_avg += double(a_in(r, (c * H + y) * W + x)) / double(k * k);
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
                throw InputError(std::string("layer '") + l.name + "' (" + ann_layer_kind_name(l.kind) +
                                     ") has no spiking equivalent",
                                 "", "convert networks of dense/conv2d, ReLU and pooling layers");
        }
    }
    validate_graph(g);
    if (report) *report = rep;
    return g;
}

}  // namespace sf
