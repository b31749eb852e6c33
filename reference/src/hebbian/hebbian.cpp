// Oja, Sanger (GHA), BCM and Infomax ICA on Eigen (see hebbian.hpp). Double precision:
// these are teaching models checked against eigen-decompositions, not hot loops.
#include "sf/reference/hebbian.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "sf/core/error.hpp"

namespace sf {
namespace {

void check_data(const Eigen::MatrixXd& x, const char* what) {
    if (x.rows() < 2 || x.cols() < 1)
        throw InputError(std::string(what) + ": needs at least 2 samples of 1 or more values",
                         {}, "pass one sample per row");
    if (!x.allFinite())
        throw InputError(std::string(what) + ": the data hold NaN or infinity", {},
                         "clean the data first");
}

void check_rate(double eta, const char* what) {
    if (!(eta > 0.0) || !std::isfinite(eta))
        throw InputError(std::string(what) + ": learning_rate = " + std::to_string(eta) +
                             " must be > 0",
                         {}, "use a small positive rate, e.g. 1e-3");
}

std::vector<int64_t> order(int64_t n) {
    std::vector<int64_t> idx(static_cast<size_t>(n));
    std::iota(idx.begin(), idx.end(), 0);
    return idx;
}

Eigen::MatrixXd random_matrix(int64_t rows, int64_t cols, double scale, std::mt19937_64& rng) {
    std::normal_distribution<double> nd(0.0, scale);
    Eigen::MatrixXd m(rows, cols);
    for (int64_t j = 0; j < cols; ++j)
        for (int64_t i = 0; i < rows; ++i) m(i, j) = nd(rng);
    return m;
}

}  // namespace

Eigen::MatrixXd centred(const Eigen::MatrixXd& samples) {
    return samples.rowwise() - samples.colwise().mean();
}

Eigen::VectorXd train_oja(const Eigen::MatrixXd& samples, const HebbianParams& p) {
    return train_sanger(samples, 1, p).row(0).transpose();
}

Eigen::MatrixXd train_sanger(const Eigen::MatrixXd& samples, int k, const HebbianParams& p) {
    check_data(samples, "sanger");
    check_rate(p.learning_rate, "sanger");
    if (k < 1 || k > samples.cols())
        throw InputError("sanger: k = " + std::to_string(k) + " components out of range 1.." +
                             std::to_string(samples.cols()),
                         {}, "ask for at most as many components as inputs");
    if (p.epochs < 1) throw InputError("sanger: epochs must be >= 1");
    const Eigen::MatrixXd x = centred(samples);
    std::mt19937_64 rng(p.seed);
    Eigen::MatrixXd w = random_matrix(k, x.cols(), 0.1 / std::sqrt(double(x.cols())), rng);
    auto idx = order(x.rows());
    for (int e = 0; e < p.epochs; ++e) {
        std::shuffle(idx.begin(), idx.end(), rng);
        const double eta = p.learning_rate / (1.0 + e * p.rate_decay);
        for (int64_t i : idx) {
            const Eigen::VectorXd xi = x.row(i).transpose();
            const Eigen::VectorXd y = w * xi;
            // Sanger: neuron j learns from the residual left after neurons 0..j.
            Eigen::VectorXd residual = xi;
            for (int j = 0; j < k; ++j) {
                residual -= y(j) * w.row(j).transpose();
                w.row(j) += eta * y(j) * residual.transpose();
            }
        }
        if (!w.allFinite())
            throw InputError("sanger: the weights diverged (NaN) in epoch " +
                                 std::to_string(e + 1),
                             {}, "lower learning_rate (the data's largest variance times "
                                 "the rate must stay well below 1)");
    }
    return w;
}

BcmResult train_bcm(const Eigen::MatrixXd& patterns, const BcmParams& p) {
    check_data(patterns, "bcm");
    check_rate(p.learning_rate, "bcm");
    if (!(p.tau_theta >= 1.0))
        throw InputError("bcm: tau_theta = " + std::to_string(p.tau_theta) +
                         " samples must be >= 1");
    std::mt19937_64 rng(p.seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::uniform_int_distribution<int64_t> pick(0, patterns.rows() - 1);
    BcmResult r;
    r.weights = Eigen::VectorXd(patterns.cols());
    for (int64_t j = 0; j < patterns.cols(); ++j) r.weights(j) = 0.1 + 0.4 * u(rng);
    // theta starts at the mean squared response of the initial weights.
    r.theta = (patterns * r.weights).array().max(0.0).square().mean();
    for (int s = 0; s < p.steps; ++s) {
        const Eigen::VectorXd x = patterns.row(pick(rng)).transpose();
        const double y = std::max(0.0, r.weights.dot(x));
        r.weights += p.learning_rate * y * (y - r.theta) * x;
        r.theta += (y * y - r.theta) / p.tau_theta;
    }
    if (!r.weights.allFinite())
        throw InputError("bcm: the weights diverged", {}, "lower learning_rate");
    return r;
}

Eigen::MatrixXd infomax_ica(const Eigen::MatrixXd& samples, const IcaParams& p) {
    check_data(samples, "ica");
    check_rate(p.learning_rate, "ica");
    if (p.batch < 1 || p.epochs < 1) throw InputError("ica: batch and epochs must be >= 1");
    const Eigen::MatrixXd x = centred(samples);
    const int64_t n = x.cols();
    // Whitening V = D^-1/2 E^T: the natural gradient then starts near an orthogonal solution.
    const Eigen::MatrixXd cov = x.transpose() * x / double(x.rows() - 1);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(cov);
    if (es.eigenvalues().minCoeff() <= 1e-12 * es.eigenvalues().maxCoeff())
        throw InputError("ica: the mixtures are linearly dependent (singular covariance)", {},
                         "give as many independent mixtures as sources");
    const Eigen::MatrixXd v =
        es.eigenvalues().cwiseSqrt().cwiseInverse().asDiagonal() * es.eigenvectors().transpose();
    const Eigen::MatrixXd z = x * v.transpose();  // whitened samples, rows
    std::mt19937_64 rng(p.seed);
    Eigen::MatrixXd w = Eigen::MatrixXd::Identity(n, n) + random_matrix(n, n, 0.1, rng);
    auto idx = order(z.rows());
    const Eigen::MatrixXd eye = Eigen::MatrixXd::Identity(n, n);
    for (int e = 0; e < p.epochs; ++e) {
        std::shuffle(idx.begin(), idx.end(), rng);
        const double eta = p.learning_rate / (1.0 + 0.05 * e);
        for (size_t b0 = 0; b0 < idx.size(); b0 += size_t(p.batch)) {
            const size_t b1 = std::min(idx.size(), b0 + size_t(p.batch));
            Eigen::MatrixXd zb(n, int64_t(b1 - b0));
            for (size_t i = b0; i < b1; ++i) zb.col(int64_t(i - b0)) = z.row(idx[i]).transpose();
            const Eigen::MatrixXd u = w * zb;
            const Eigen::MatrixXd g = (1.0 + (-u.array()).exp()).inverse().matrix();
            const Eigen::MatrixXd phi = (1.0 - 2.0 * g.array()).matrix();
            w += eta * (eye + phi * u.transpose() / double(zb.cols())) * w;
        }
        if (!w.allFinite())
            throw InputError("ica: the unmixing matrix diverged in epoch " +
                                 std::to_string(e + 1),
                             {}, "lower learning_rate");
    }
    return w * v;
}

Eigen::MatrixXd covariance_eigenvectors(const Eigen::MatrixXd& samples, int k) {
    const Eigen::MatrixXd x = centred(samples);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(x.transpose() * x / double(x.rows() - 1));
    const int64_t d = x.cols();
    Eigen::MatrixXd out(k, d);
    for (int i = 0; i < k; ++i) out.row(i) = es.eigenvectors().col(d - 1 - i).transpose();
    return out;
}

Eigen::VectorXd covariance_eigenvalues(const Eigen::MatrixXd& samples) {
    const Eigen::MatrixXd x = centred(samples);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(x.transpose() * x / double(x.rows() - 1),
                                                      Eigen::EigenvaluesOnly);
    return es.eigenvalues().reverse();
}

double reconstruction_error(const Eigen::MatrixXd& samples, const Eigen::MatrixXd& w) {
    const Eigen::MatrixXd x = centred(samples);
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(w.transpose());
    const Eigen::MatrixXd q =
        qr.householderQ() * Eigen::MatrixXd::Identity(w.cols(), w.rows());  // d x k
    const Eigen::MatrixXd rec = (x * q) * q.transpose();
    return (x - rec).rowwise().squaredNorm().mean();
}

double amari_index(const Eigen::MatrixXd& p) {
    const Eigen::MatrixXd a = p.cwiseAbs();
    const int64_t n = a.rows();
    if (n < 2) return 0.0;
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += a.row(i).sum() / a.row(i).maxCoeff() - 1.0;
    for (int64_t j = 0; j < n; ++j) s += a.col(j).sum() / a.col(j).maxCoeff() - 1.0;
    return s / (2.0 * double(n) * double(n - 1));
}

}  // namespace sf
