// Unsupervised learning of the course (reference/src/hebbian): Oja and Sanger against the
// eigenvectors of the data covariance (Eigen's eigensolver), BCM against its analytic
// selective fixed point, Infomax ICA against the known mixing matrix.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include <Eigen/Dense>

#include "sf/core/error.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/hebbian.hpp"

using namespace sf;

namespace {

// n Gaussian samples with covariance Q diag(lambda) Q^T, Q a seeded random rotation.
Eigen::MatrixXd gaussian_data(const Eigen::VectorXd& lambda, int n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> nd;
    const int d = int(lambda.size());
    Eigen::MatrixXd g(d, d);
    for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j) g(i, j) = nd(rng);
    const Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
    Eigen::MatrixXd z(n, d);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < d; ++j) z(i, j) = nd(rng) * std::sqrt(lambda(j));
    return z * q.transpose();
}

double abs_cos(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
    return std::fabs(a.dot(b)) / (a.norm() * b.norm());
}

Eigen::MatrixXd digits_matrix() {
    const Dataset ds = load_dataset("digits", Split::Train);
    Eigen::MatrixXd x(ds.size(), ds.sample_size());
    for (int64_t i = 0; i < ds.size(); ++i)
        for (int64_t j = 0; j < ds.sample_size(); ++j) x(i, j) = ds.sample(i)[j];
    return x;
}

}  // namespace

TEST_CASE("Oja's rule converges to the unit leading eigenvector of the covariance",
          "[course][hebbian]") {
    Eigen::VectorXd lambda(5);
    lambda << 4.0, 2.0, 1.0, 0.5, 0.25;
    const Eigen::MatrixXd x = gaussian_data(lambda, 3000, 7);
    HebbianParams p;
    p.learning_rate = 5e-3;
    p.epochs = 15;
    const Eigen::VectorXd w = train_oja(x, p);
    const Eigen::MatrixXd e = covariance_eigenvectors(x, 1);
    CHECK(abs_cos(w, e.row(0).transpose()) > 0.995);
    CHECK(w.norm() == Approx(1.0).epsilon(0.02));  // Oja's normalisation
}

TEST_CASE("Sanger's rule learns the first three principal components in order",
          "[course][hebbian]") {
    Eigen::VectorXd lambda(6);
    lambda << 5.0, 3.0, 1.5, 0.6, 0.3, 0.1;
    const Eigen::MatrixXd x = gaussian_data(lambda, 4000, 11);
    HebbianParams p;
    p.learning_rate = 4e-3;
    p.epochs = 20;
    const Eigen::MatrixXd w = train_sanger(x, 3, p);
    const Eigen::MatrixXd e = covariance_eigenvectors(x, 3);
    for (int i = 0; i < 3; ++i) {
        INFO("component " << i);
        CHECK(abs_cos(w.row(i).transpose(), e.row(i).transpose()) > 0.99);
        CHECK(w.row(i).norm() == Approx(1.0).epsilon(0.03));
    }
    // Rows are orthogonal, as eigenvectors are.
    CHECK(std::fabs(w.row(0).dot(w.row(1))) < 0.05);
}

TEST_CASE("Sanger's network on the 8x8 digits: the reconstruction error falls with k and "
          "matches the discarded eigenvalues",
          "[course][hebbian]") {
    const Eigen::MatrixXd x = digits_matrix();
    REQUIRE(x.rows() > 1000);
    const Eigen::VectorXd ev = covariance_eigenvalues(x);
    HebbianParams p;
    p.learning_rate = 0.02;
    p.epochs = 30;
    p.rate_decay = 0.3;
    const Eigen::MatrixXd w = train_sanger(x, 8, p);
    const double n = double(x.rows());
    double prev = 1e9;
    for (int k : {1, 2, 4, 8}) {
        const double err = reconstruction_error(x, w.topRows(k));
        // PCA's optimum: the discarded eigenvalues (of the covariance, normalised by n-1).
        const double optimum = ev.tail(ev.size() - k).sum() * (n - 1) / n;
        INFO("k = " << k << ", learned " << err << ", optimum " << optimum);
        CHECK(err < prev);
        CHECK(err >= optimum * (1 - 1e-9));
        CHECK(err < optimum * 1.03);
        prev = err;
    }
    // The leading component itself (its eigenvalue is well separated from the second).
    const Eigen::MatrixXd e = covariance_eigenvectors(x, 1);
    CHECK(abs_cos(w.row(0).transpose(), e.row(0).transpose()) > 0.98);
}

TEST_CASE("BCM makes a neuron selective: with P patterns one answers y = P, the others 0",
          "[course][hebbian]") {
    // Fixed point of dw ~ x y (y - theta), theta = E[y^2]: selective when y_k = theta =
    // y_k^2 / P, so y_k = P for the chosen pattern and y = 0 for the rest (Intrator &
    // Cooper 1992; Dayan & Abbott 2001, sec. 8.2).
    for (int np : {2, 3}) {
        Eigen::MatrixXd pat(np, 4);
        pat.row(0) << 1.0, 0.3, 0.0, 0.2;
        pat.row(1) << 0.2, 1.0, 0.4, 0.0;
        if (np == 3) pat.row(2) << 0.0, 0.1, 0.3, 1.0;
        BcmParams p;
        p.steps = 60000;
        p.learning_rate = 2e-3;
        p.seed = 3;
        const BcmResult r = train_bcm(pat, p);
        const Eigen::VectorXd y = (pat * r.weights).cwiseMax(0.0);
        Eigen::Index best;
        y.maxCoeff(&best);
        INFO("P = " << np << ", responses " << y.transpose());
        CHECK(y(best) == Approx(double(np)).epsilon(0.1));
        for (int k = 0; k < np; ++k)
            if (k != best) CHECK(y(k) < 0.1);
        // theta itself is a running average over ~tau_theta presentations, so it
        // fluctuates between pattern draws; it stays positive and bounded.
        CHECK(r.theta > 0.0);
        CHECK(r.theta < double(np) * double(np));
    }
}

TEST_CASE("Infomax ICA unmixes three Laplacian sources up to order, sign and scale",
          "[course][hebbian]") {
    std::mt19937_64 rng(5);
    std::exponential_distribution<double> ex(1.0);
    std::bernoulli_distribution coin(0.5);
    const int n = 5000;
    Eigen::MatrixXd s(n, 3);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < 3; ++j) s(i, j) = coin(rng) ? ex(rng) : -ex(rng);
    Eigen::MatrixXd a(3, 3);  // the known mixing matrix
    a << 1.0, 0.6, 0.3,
         0.5, 1.0, -0.4,
         -0.3, 0.7, 1.0;
    const Eigen::MatrixXd x = s * a.transpose();
    IcaParams p;
    const Eigen::MatrixXd w = infomax_ica(x, p);
    const Eigen::MatrixXd perm = w * a;  // a scaled permutation when unmixed
    INFO("W A =\n" << perm);
    CHECK(amari_index(perm) < 0.03);
    CHECK(amari_index(a) > 0.2);  // the mixture itself is far from separated
    // Each recovered signal matches one source with |correlation| > 0.99.
    const Eigen::MatrixXd y = centred(x * w.transpose());
    const Eigen::MatrixXd sc = centred(s);
    for (int i = 0; i < 3; ++i) {
        double best = 0;
        for (int j = 0; j < 3; ++j)
            best = std::max(best, abs_cos(y.col(i), sc.col(j)));
        CHECK(best > 0.99);
    }
}

TEST_CASE("Unsupervised rules refuse bad parameters with one clear error",
          "[course][hebbian]") {
    const Eigen::MatrixXd x = Eigen::MatrixXd::Random(20, 3);
    HebbianParams p;
    p.learning_rate = -1;
    CHECK_THROWS_WITH(train_oja(x, p), Catch::Matchers::Contains("learning_rate"));
    p.learning_rate = 1e-3;
    CHECK_THROWS_WITH(train_sanger(x, 4, p), Catch::Matchers::Contains("out of range"));
    p.learning_rate = 50.0;  // diverges
    Eigen::MatrixXd big = x * 100.0;
    CHECK_THROWS_WITH(train_sanger(big, 2, p), Catch::Matchers::Contains("diverged"));
    Eigen::MatrixXd dep(50, 2);
    for (int i = 0; i < 50; ++i) dep.row(i) << i, 2.0 * i;
    CHECK_THROWS_WITH(infomax_ica(dep, IcaParams{}), Catch::Matchers::Contains("linearly dependent"));
}
