// e-prop and BPTT for a recurrent LIF network (see eprop.hpp).
#include "sf/reference/eprop.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "sf/core/error.hpp"

namespace sf {
namespace {

using Mat = Eigen::MatrixXf;
using Vec = Eigen::VectorXf;

Mat gaussian(int r, int c, float sd, std::mt19937_64& rng) {
    std::normal_distribution<float> nd(0.0f, sd);
    Mat m(r, c);
    for (int j = 0; j < c; ++j)
        for (int i = 0; i < r; ++i) m(i, j) = nd(rng);
    return m;
}

Vec softmax(const Vec& y) {
    Vec p = (y.array() - y.maxCoeff()).exp();
    return p / p.sum();
}

}  // namespace

RecurrentLif make_recurrent_lif(int inputs, int hidden, int classes, uint64_t seed,
                                bool random_feedback) {
    if (inputs < 1 || hidden < 1 || classes < 2)
        throw InputError("recurrent LIF: needs inputs >= 1, hidden >= 1, classes >= 2");
    std::mt19937_64 rng(seed);
    RecurrentLif n;
    n.w_in = gaussian(hidden, inputs, 1.0f / std::sqrt(float(inputs)), rng);
    n.w_rec = gaussian(hidden, hidden, 1.0f / std::sqrt(float(hidden)), rng);
    n.w_rec.diagonal().setZero();
    n.w_out = gaussian(classes, hidden, 1.0f / std::sqrt(float(hidden)), rng);
    n.b_out = Vec::Zero(classes);
    if (random_feedback) n.b_feedback = gaussian(hidden, classes, 1.0f / std::sqrt(float(hidden)), rng);
    return n;
}

RnnGradients rnn_gradients(const RecurrentLif& n, const Mat& x, int label, GradientRule rule) {
    const int steps = int(x.rows()), h = int(n.w_rec.rows()), k = int(n.w_out.rows());
    if (x.cols() != n.w_in.cols())
        throw InputError("recurrent LIF: input has " + std::to_string(x.cols()) +
                         " values per step, the network " + std::to_string(n.w_in.cols()));
    if (label < 0 || label >= k) throw InputError("recurrent LIF: label out of range");
    if (n.window < 1 || n.window > steps)
        throw InputError("recurrent LIF: window = " + std::to_string(n.window) +
                         " steps must lie in 1.." + std::to_string(steps));
    const Mat b = n.b_feedback.size() ? n.b_feedback : Mat(n.w_out.transpose());
    RnnGradients g;
    g.w_in = Mat::Zero(n.w_in.rows(), n.w_in.cols());
    g.w_rec = Mat::Zero(h, h);
    g.w_out = Mat::Zero(k, h);
    g.b_out = Vec::Zero(k);
    Vec v = Vec::Zero(h), z_prev = Vec::Zero(h), y = Vec::Zero(k), y_mean = Vec::Zero(k);
    // Forward pass; e-prop learns in it, online.
    Vec eps_in = Vec::Zero(x.cols()), eps_rec = Vec::Zero(h), zbar = Vec::Zero(h);
    float bbar = 0.0f;  // dy^t/db: the bias accumulates through the readout's leak
    Mat ebar_in = Mat::Zero(h, x.cols()), ebar_rec = Mat::Zero(h, h);
    std::vector<Vec> zs, psis, dys;  // for the backward rules
    Vec onehot = Vec::Zero(k);
    onehot(label) = 1.0f;
    const int first = steps - n.window;
    for (int t = 0; t < steps; ++t) {
        const Vec xt = x.row(t).transpose();
        v = n.alpha * v + n.w_in * xt + n.w_rec * z_prev - n.v_th * z_prev;
        const Vec z = (v.array() > n.v_th).cast<float>();
        const Vec psi = ((1.0f - ((v.array() - n.v_th).abs() / n.v_th)).max(0.0f) * (n.gamma / n.v_th)).matrix();
        y = n.kappa * y + n.w_out * z + n.b_out;
        zbar = n.kappa * zbar + z;
        bbar = n.kappa * bbar + 1.0f;
        g.spikes += int64_t(z.sum());
        Vec dy = Vec::Zero(k);  // dE/dy^t
        if (t >= first) {
            const Vec p = softmax(y);
            g.loss -= std::log(std::max(1e-12f, p(label))) / n.window;
            dy = (p - onehot) / float(n.window);
            y_mean += y / float(n.window);
        }
        if (rule == GradientRule::EProp) {
            eps_in = n.alpha * eps_in + xt;
            eps_rec = n.alpha * eps_rec + z_prev;
            ebar_in = n.kappa * ebar_in + psi * eps_in.transpose();
            ebar_rec = n.kappa * ebar_rec + psi * eps_rec.transpose();
            if (t >= first) {
                const Vec learning_signal = b * dy;
                g.w_in += learning_signal.asDiagonal() * ebar_in;
                g.w_rec += learning_signal.asDiagonal() * ebar_rec;
                g.w_out += dy * zbar.transpose();
                g.b_out += bbar * dy;
            }
        } else {
            zs.push_back(z);
            psis.push_back(psi);
            dys.push_back(dy);
        }
        z_prev = z;
    }
    if (rule != GradientRule::EProp) {
        Vec gy = Vec::Zero(k), gv_next = Vec::Zero(h);
        for (int t = steps - 1; t >= 0; --t) {
            gy = dys[size_t(t)] + n.kappa * gy;
            g.w_out += gy * zs[size_t(t)].transpose();
            g.b_out += gy;
            Vec gz = b * gy;
            if (rule == GradientRule::Bptt) gz += n.w_rec.transpose() * gv_next;
            const Vec gv = psis[size_t(t)].cwiseProduct(gz) + n.alpha * gv_next;
            g.w_in += gv * x.row(t);
            if (t > 0) g.w_rec += gv * zs[size_t(t - 1)].transpose();
            gv_next = gv;
        }
    }
    g.w_rec.diagonal().setZero();
    Eigen::Index arg;
    y_mean.maxCoeff(&arg);
    g.predicted = int(arg);
    return g;
}

double gradient_cosine(const RnnGradients& a, const RnnGradients& b) {
    const double dot = double(a.w_in.cwiseProduct(b.w_in).sum() + a.w_rec.cwiseProduct(b.w_rec).sum() +
                              a.w_out.cwiseProduct(b.w_out).sum() + a.b_out.dot(b.b_out));
    auto sq = [](const RnnGradients& g) {
        return double(g.w_in.squaredNorm() + g.w_rec.squaredNorm() + g.w_out.squaredNorm() +
                      g.b_out.squaredNorm());
    };
    return dot / std::sqrt(sq(a) * sq(b));
}

Mat digit_sequence(const Dataset& ds, int64_t i, int repeat, float gain) {
    if (ds.sample_size() != 64)
        throw InputError("digit sequences need the 8x8 digits (64 pixels), got " +
                         std::to_string(ds.sample_size()));
    Mat x(8 * repeat, 8);
    for (int r = 0; r < 8; ++r)
        for (int s = 0; s < repeat; ++s)
            for (int c = 0; c < 8; ++c) x(r * repeat + s, c) = gain * ds.sample(i)[r * 8 + c];
    return x;
}

std::vector<RnnEpoch> train_recurrent_digits(const Dataset& train, const Dataset& test,
                                             const RnnTrainOptions& o) {
    if (o.epochs < 1 || o.batch < 1 || o.repeat < 1 || !(o.learning_rate > 0.0f))
        throw InputError("recurrent training: epochs, batch, repeat >= 1 and a positive rate "
                         "are needed");
    RecurrentLif net = make_recurrent_lif(8, o.hidden, train.num_classes, o.seed, o.random_feedback);
    // Adam (Kingma & Ba 2015), the optimiser of the e-prop paper.
    struct Moments {
        Mat m, v;
    };
    auto zeros = [](const Mat& like) { return Moments{Mat::Zero(like.rows(), like.cols()), Mat::Zero(like.rows(), like.cols())}; };
    Moments m_in = zeros(net.w_in), m_rec = zeros(net.w_rec), m_out = zeros(net.w_out),
            m_b = zeros(Mat(net.b_out));
    int64_t step = 0;
    auto adam = [&](Mat& w, const Mat& grad, Moments& mo) {
        const float b1 = 0.9f, b2 = 0.999f;
        mo.m = b1 * mo.m + (1 - b1) * grad;
        mo.v = b2 * mo.v + (1 - b2) * grad.cwiseProduct(grad);
        const float c1 = 1 - std::pow(b1, float(step)), c2 = 1 - std::pow(b2, float(step));
        w.array() -= o.learning_rate * (mo.m.array() / c1) / ((mo.v.array() / c2).sqrt() + 1e-8f);
    };
    std::mt19937_64 rng(o.seed + 1);
    std::vector<int64_t> order(static_cast<size_t>(train.size()));
    std::iota(order.begin(), order.end(), 0);
    std::vector<RnnEpoch> out;
    for (int e = 0; e < o.epochs; ++e) {
        std::shuffle(order.begin(), order.end(), rng);
        RnnEpoch ep;
        for (size_t b0 = 0; b0 < order.size(); b0 += size_t(o.batch)) {
            const size_t b1 = std::min(order.size(), b0 + size_t(o.batch));
            RnnGradients sum;
            for (size_t i = b0; i < b1; ++i) {
                const auto gi = rnn_gradients(net, digit_sequence(train, order[i], o.repeat, o.gain),
                                              train.labels[size_t(order[i])], o.rule);
                if (i == b0) {
                    sum = gi;
                } else {
                    sum.w_in += gi.w_in;
                    sum.w_rec += gi.w_rec;
                    sum.w_out += gi.w_out;
                    sum.b_out += gi.b_out;
                    sum.loss += gi.loss;
                }
            }
            ++step;
            const float inv = 1.0f / float(b1 - b0);
            adam(net.w_in, sum.w_in * inv, m_in);
            adam(net.w_rec, sum.w_rec * inv, m_rec);
            net.w_rec.diagonal().setZero();
            adam(net.w_out, sum.w_out * inv, m_out);
            Mat bo = net.b_out;
            adam(bo, Mat(sum.b_out * inv), m_b);
            net.b_out = bo;
            ep.train_loss += sum.loss;
        }
        ep.train_loss /= double(train.size());
        int64_t correct = 0, spikes = 0;
        for (int64_t i = 0; i < test.size(); ++i) {
            const auto gi = rnn_gradients(net, digit_sequence(test, i, o.repeat, o.gain),
                                          test.labels[size_t(i)], GradientRule::EProp);
            correct += gi.predicted == test.labels[size_t(i)];
            spikes += gi.spikes;
        }
        ep.test_accuracy = double(correct) / double(test.size());
        ep.spikes_per_step = double(spikes) / double(test.size() * 8 * o.repeat * o.hidden);
        if (!std::isfinite(ep.train_loss))
            throw InputError("recurrent training diverged in epoch " + std::to_string(e + 1), {},
                             "lower the learning rate");
        out.push_back(ep);
    }
    return out;
}

}  // namespace sf
