// BP, FA and DFA for a ReLU MLP with a softmax output (see feedback_alignment.hpp).
#include "sf/reference/feedback_alignment.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <Eigen/Dense>

#include "sf/core/error.hpp"

namespace sf {
namespace {

using Mat = Eigen::MatrixXf;

double angle_deg(const Mat& a, const Mat& b) {
    const double na = a.norm(), nb = b.norm();
    if (na == 0.0 || nb == 0.0) return 90.0;
    const double c = std::clamp(double(a.cwiseProduct(b).sum()) / (na * nb), -1.0, 1.0);
    return std::acos(c) * 180.0 / M_PI;
}

Mat uniform(int rows, int cols, float bound, std::mt19937_64& rng) {
    std::uniform_real_distribution<float> u(-bound, bound);
    Mat m(rows, cols);
    for (int j = 0; j < cols; ++j)
        for (int i = 0; i < rows; ++i) m(i, j) = u(rng);
    return m;
}

Mat batch_of(const Dataset& ds, const std::vector<int64_t>& idx, size_t b0, size_t b1) {
    Mat x(ds.sample_size(), int64_t(b1 - b0));  // one sample per column
    for (size_t i = b0; i < b1; ++i)
        x.col(int64_t(i - b0)) = Eigen::Map<const Eigen::VectorXf>(ds.sample(idx[i]), ds.sample_size());
    return x;
}

}  // namespace

FeedbackRule parse_feedback_rule(const std::string& name) {
    if (name == "bp" || name == "backprop") return FeedbackRule::Backprop;
    if (name == "fa") return FeedbackRule::FeedbackAlignment;
    if (name == "dfa") return FeedbackRule::DirectFeedbackAlignment;
    throw InputError("unknown feedback rule '" + name + "'", {}, "use bp, fa or dfa");
}

const char* to_string(FeedbackRule r) {
    switch (r) {
        case FeedbackRule::Backprop: return "bp";
        case FeedbackRule::FeedbackAlignment: return "fa";
        case FeedbackRule::DirectFeedbackAlignment: return "dfa";
    }
    return "?";
}

FaResult train_mlp_feedback(const Dataset& train, const Dataset& test, const FaOptions& o) {
    if (train.size() == 0 || test.size() == 0)
        throw InputError("feedback alignment: empty training or test set");
    if (train.sample_size() != test.sample_size())
        throw InputError("feedback alignment: training and test samples differ in size");
    if (o.hidden.empty()) throw InputError("feedback alignment: needs at least one hidden layer");
    for (int h : o.hidden)
        if (h < 1) throw InputError("feedback alignment: hidden sizes must be >= 1");
    if (!(o.learning_rate > 0.0f) || !(o.rate_decay >= 0.0f) || o.epochs < 1 || o.batch < 1)
        throw InputError("feedback alignment: learning_rate > 0, epochs >= 1 and batch >= 1 "
                         "are needed");
    const int k = train.num_classes;
    std::vector<int> sizes{int(train.sample_size())};
    sizes.insert(sizes.end(), o.hidden.begin(), o.hidden.end());
    sizes.push_back(k);
    const int layers = int(sizes.size()) - 1;  // weight matrices
    std::mt19937_64 rng(o.seed);
    std::vector<Mat> w, b_fb;
    std::vector<Eigen::VectorXf> bias;
    for (int l = 0; l < layers; ++l) {
        // He-uniform: bound sqrt(6 / fan_in).
        w.push_back(uniform(sizes[l + 1], sizes[l], std::sqrt(6.0f / float(sizes[l])), rng));
        bias.push_back(Eigen::VectorXf::Zero(sizes[l + 1]));
    }
    // Feedback matrices, drawn after the forward weights so BP, FA and DFA with one seed
    // start from the same forward weights. FA: B_l ~ W_l^T in shape (l = 1..L-1);
    // DFA: B_l is [h_l x k] for hidden layer l.
    for (int l = 0; l + 1 < layers; ++l) {
        if (o.rule == FeedbackRule::FeedbackAlignment)
            b_fb.push_back(uniform(sizes[l + 1], sizes[l + 2], std::sqrt(6.0f / float(sizes[l + 2])), rng));
        else if (o.rule == FeedbackRule::DirectFeedbackAlignment)
            b_fb.push_back(uniform(sizes[l + 1], k, std::sqrt(6.0f / float(k)), rng));
    }
    std::vector<int64_t> order(static_cast<size_t>(train.size()));
    std::iota(order.begin(), order.end(), 0);
    FaResult result;
    const int hidden_layers = layers - 1;
    for (int e = 0; e < o.epochs; ++e) {
        std::shuffle(order.begin(), order.end(), rng);
        const float eta = o.learning_rate / (1.0f + float(e) * o.rate_decay);
        FaEpoch ep;
        std::vector<double> sig_sum(static_cast<size_t>(hidden_layers), 0.0);
        int64_t batches = 0;
        double loss = 0.0;
        for (size_t b0 = 0; b0 < order.size(); b0 += size_t(o.batch)) {
            const size_t b1 = std::min(order.size(), b0 + size_t(o.batch));
            const int nb = int(b1 - b0);
            std::vector<Mat> act{batch_of(train, order, b0, b1)};
            std::vector<Mat> pre;
            for (int l = 0; l < layers; ++l) {
                Mat z = (w[size_t(l)] * act.back()).colwise() + bias[size_t(l)];
                pre.push_back(z);
                act.push_back(l + 1 < layers ? Mat(z.cwiseMax(0.0f)) : z);
            }
            // Softmax cross-entropy: error e = p - onehot.
            Mat p = act.back();
            for (int j = 0; j < nb; ++j) {
                const float m = p.col(j).maxCoeff();
                p.col(j) = (p.col(j).array() - m).exp();
                p.col(j) /= p.col(j).sum();
                const int y = train.labels[size_t(order[b0 + size_t(j)])];
                loss -= std::log(std::max(1e-12f, p(y, j)));
                p(y, j) -= 1.0f;
            }
            const Mat err = p / float(nb);
            // Backward pass: delta[l] for the pre-activations of layer l.
            std::vector<Mat> delta(static_cast<size_t>(layers));
            delta[size_t(layers - 1)] = err;
            for (int l = layers - 2; l >= 0; --l) {
                const Mat fprime = (pre[size_t(l)].array() > 0.0f).cast<float>().matrix();
                // What backprop would send, through this rule's own downstream deltas.
                const Mat bp_signal = w[size_t(l + 1)].transpose() * delta[size_t(l + 1)];
                Mat signal;
                switch (o.rule) {
                    case FeedbackRule::Backprop: signal = bp_signal; break;
                    case FeedbackRule::FeedbackAlignment:
                        signal = b_fb[size_t(l)] * delta[size_t(l + 1)];
                        break;
                    case FeedbackRule::DirectFeedbackAlignment:
                        signal = b_fb[size_t(l)] * err;
                        break;
                }
                if (o.rule != FeedbackRule::Backprop)
                    sig_sum[size_t(l)] += angle_deg(signal.cwiseProduct(fprime),
                                                    bp_signal.cwiseProduct(fprime));
                delta[size_t(l)] = signal.cwiseProduct(fprime);
            }
            for (int l = 0; l < layers; ++l) {
                w[size_t(l)] -= eta * delta[size_t(l)] * act[size_t(l)].transpose();
                bias[size_t(l)] -= eta * delta[size_t(l)].rowwise().sum();
            }
            ++batches;
        }
        if (!std::isfinite(loss))
            throw InputError(std::string("feedback alignment (") + to_string(o.rule) +
                                 "): the loss diverged in epoch " + std::to_string(e + 1),
                             {}, "lower learning_rate");
        ep.train_loss = loss / double(train.size());
        if (o.rule != FeedbackRule::Backprop) {
            for (int l = 0; l < hidden_layers; ++l) {
                Mat effective = w[size_t(l + 1)].transpose();  // [h_l x h_{l+1}]
                if (o.rule == FeedbackRule::DirectFeedbackAlignment)
                    for (int m = l + 2; m < layers; ++m) effective = effective * w[size_t(m)].transpose();
                ep.weight_angle_deg.push_back(angle_deg(b_fb[size_t(l)], effective));
                ep.signal_angle_deg.push_back(sig_sum[size_t(l)] / double(batches));
            }
        }
        // Test accuracy.
        int64_t correct = 0;
        std::vector<int64_t> tidx(static_cast<size_t>(test.size()));
        std::iota(tidx.begin(), tidx.end(), 0);
        for (size_t b0 = 0; b0 < tidx.size(); b0 += 256) {
            const size_t b1 = std::min(tidx.size(), b0 + 256);
            Mat a = batch_of(test, tidx, b0, b1);
            for (int l = 0; l < layers; ++l) {
                Mat z = (w[size_t(l)] * a).colwise() + bias[size_t(l)];
                a = l + 1 < layers ? Mat(z.cwiseMax(0.0f)) : z;
            }
            for (int j = 0; j < int(b1 - b0); ++j) {
                Eigen::Index arg;
                a.col(j).maxCoeff(&arg);
                correct += int(arg) == test.labels[b0 + size_t(j)];
            }
        }
        ep.test_accuracy = double(correct) / double(test.size());
        result.epochs.push_back(ep);
    }
    return result;
}

}  // namespace sf
