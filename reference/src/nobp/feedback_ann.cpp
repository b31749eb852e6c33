// Feedback alignment and DFA for ANN models trained by `spikeforge train` (see
// feedback_alignment.hpp): the backward hook that replaces backprop's W^T, and the
// alignment angles reported per epoch.
#include <algorithm>
#include <cmath>
#include <random>

#include "sf/core/error.hpp"
#include "sf/reference/feedback_alignment.hpp"

namespace sf {
namespace {

double angle_deg(const AnnMatrix& a, const AnnMatrix& b) {
    const double na = a.norm(), nb = b.norm();
    if (na == 0.0 || nb == 0.0) return 90.0;
    const double c = std::clamp(double(a.cwiseProduct(b).sum()) / (na * nb), -1.0, 1.0);
    return std::acos(c) * 180.0 / M_PI;
}

// The weight of a dense layer as a matrix [out x in].
Eigen::Map<const AnnMatrix> weight_of(const AnnLayer& l) {
    const AnnParam& w = l.params.at(0);
    return Eigen::Map<const AnnMatrix>(w.value.data(), w.shape.at(0), w.shape.at(1));
}

}  // namespace

AnnFeedback::AnnFeedback(const AnnModel& model) : state_(std::make_shared<State>()) {
    State& s = *state_;
    s.rule = parse_feedback_rule(model.training.rule);
    if (s.rule == FeedbackRule::Backprop)
        throw InputError("feedback alignment: model '" + model.name + "' trains by backprop", {},
                         "set training.rule to fa or dfa");
    std::vector<size_t> dense;
    for (size_t i = 0; i < model.layers.size(); ++i) {
        const AnnLayer& l = model.layers[i];
        if (l.kind == AnnLayerKind::Dense)
            dense.push_back(i);
        else if (!l.params.empty())
            throw InputError("feedback alignment: layer '" + l.name + "' of model '" + model.name +
                                 "' is " + ann_layer_kind_name(l.kind),
                             {}, "use rule: backprop for models with such layers");
    }
    if (dense.size() < 2)
        throw InputError("feedback alignment: model '" + model.name + "' has no hidden layer", {},
                         "add a hidden dense layer, or use rule: backprop");
    const int64_t k = model.layers[dense.back()].units;
    // Drawn in layer order from feedback_seed alone, so a resumed run draws the same.
    std::mt19937_64 rng(model.training.feedback_seed);
    for (size_t d = 1; d < dense.size(); ++d) {
        const AnnLayer& l = model.layers[dense[d]];
        const AnnLayer& prev = model.layers[dense[d - 1]];
        const int64_t in = prev.units,
                      rows = s.rule == FeedbackRule::FeedbackAlignment ? l.units : k;
        std::uniform_real_distribution<float> u(-1.0f, 1.0f);
        const float bound = std::sqrt(6.0f / float(rows + in));
        AnnMatrix b(rows, in);
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < in; ++c) b(r, c) = bound * u(rng);
        s.dense.push_back(dense[d]);
        s.b.push_back(std::move(b));
    }
    s.angle_sum.assign(s.dense.size(), 0.0);
    s.angle_count.assign(s.dense.size(), 0);
}

void AnnFeedback::operator()(size_t layer, const AnnMatrix& output_error, const AnnMatrix& dy,
                             AnnMatrix& dx) {
    State& s = *state_;
    const auto it = std::find(s.dense.begin(), s.dense.end(), layer);
    if (it == s.dense.end()) return;  // elementwise layers and the first dense layer
    const size_t h = size_t(it - s.dense.begin());
    const AnnMatrix& b = s.b[h];
    AnnMatrix signal;
    if (s.rule == FeedbackRule::FeedbackAlignment) {
        signal.noalias() = dy * b;
    } else {
        if (output_error.cols() != b.rows())
            throw InputError("direct feedback alignment: the output error has " +
                             std::to_string(output_error.cols()) + " values, the feedback " +
                             std::to_string(b.rows()));
        signal.noalias() = output_error * b;
    }
    s.angle_sum[h] += angle_deg(signal, dx);  // dx holds backprop's signal
    ++s.angle_count[h];
    dx = std::move(signal);
}

std::vector<double> AnnFeedback::weight_angles_deg(const AnnModel& model) const {
    const State& s = *state_;
    std::vector<double> out;
    for (size_t h = 0; h < s.dense.size(); ++h) {
        AnnMatrix effective = weight_of(model.layers[s.dense[h]]);
        if (s.rule == FeedbackRule::DirectFeedbackAlignment)
            for (size_t later = h + 1; later < s.dense.size(); ++later)
                effective = weight_of(model.layers[s.dense[later]]) * effective;
        out.push_back(angle_deg(s.b[h], effective));
    }
    return out;
}

std::vector<double> AnnFeedback::take_signal_angles_deg() {
    State& s = *state_;
    std::vector<double> out;
    for (size_t h = 0; h < s.dense.size(); ++h) {
        out.push_back(s.angle_count[h] ? s.angle_sum[h] / double(s.angle_count[h]) : 90.0);
        s.angle_sum[h] = 0.0;
        s.angle_count[h] = 0;
    }
    return out;
}

}  // namespace sf
