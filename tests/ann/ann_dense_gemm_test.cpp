// The dense layer's own matrix products against the Eigen expressions they replace, bit
// for bit, on random shapes: row counts that do and do not leave Eigen's kernel a
// one-packet panel (where it splits its sums in two), sums longer than one of Eigen's
// blocks of terms, block lengths that are not a multiple of eight, column counts that are
// not a multiple of four, and the small products Eigen sends elsewhere (where the kernels
// must decline). The data mix magnitudes so that any change in the order of a sum shows.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <sstream>

#include <Eigen/Core>

#include "../../reference/src/ann/dense_gemm.hpp"

using namespace sf::ann_detail;

namespace {

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Map = Eigen::Map<Mat>;
using CMap = Eigen::Map<const Mat>;

// Values from 1e-3 to 1e3 of either sign, and some exact zeros: sums of them round
// differently in almost any other order.
Mat random_matrix(int64_t r, int64_t c, std::mt19937_64& rng) {
    std::uniform_real_distribution<float> u(-1, 1);
    std::uniform_int_distribution<int> e(-3, 3), zero(0, 15);
    Mat m(r, c);
    for (int64_t i = 0; i < m.size(); ++i)
        m.data()[i] = zero(rng) == 0 ? 0.0f : u(rng) * std::pow(10.0f, float(e(rng)));
    return m;
}

// The index of the first element where a and b differ in their bits, or -1.
int64_t first_difference(const Mat& a, const Mat& b) {
    for (int64_t i = 0; i < a.size(); ++i)
        if (std::memcmp(a.data() + i, b.data() + i, sizeof(float)) != 0) return i;
    return -1;
}

// When the kernel took the product (taken), its result `got` must have the bits of Eigen's
// `want`; a failure names the first element that differs. Returns whether it was taken.
int compare(const char* what, int64_t batch, int64_t in, int64_t out, bool taken, const Mat& got,
            const Mat& want) {
    if (!taken) return 0;
    const int64_t d = first_difference(got, want);
    if (d >= 0) {
        std::ostringstream s;
        s << what << " batch " << batch << " in " << in << " out " << out
          << ": first difference at [" << d / got.cols() << "][" << d % got.cols()
          << "]: " << got.data()[d] << " vs Eigen " << want.data()[d];
        FAIL_CHECK(s.str());
    }
    CHECK(d == -1);
    return 1;
}

// Runs the three products for one shape; returns how many the kernels took.
int check_shape(int64_t batch, int64_t in, int64_t out, std::mt19937_64& rng) {
    const Mat x = random_matrix(batch, in, rng), w = random_matrix(out, in, rng),
              dy = random_matrix(batch, out, rng);
    const CMap W(w.data(), out, in);
    Mat y_eigen(batch, out), dw_eigen(out, in), dx_eigen(batch, in);
    y_eigen.noalias() = x * W.transpose();
    Map(dw_eigen.data(), out, in).noalias() = dy.transpose() * x;
    dx_eigen.noalias() = dy * W;
    Mat y(batch, out), dw(out, in), dx(batch, in);
    return compare("forward", batch, in, out,
                   dense_product_forward(batch, in, out, x.data(), w.data(), y.data()), y,
                   y_eigen) +
           compare("weight gradient", batch, in, out,
                   dense_product_weight_grad(batch, in, out, dy.data(), x.data(), dw.data()), dw,
                   dw_eigen) +
           compare("input gradient", batch, in, out,
                   dense_product_input_grad(batch, in, out, dy.data(), w.data(), dx.data()), dx,
                   dx_eigen);
}

}  // namespace

TEST_CASE("the dense layer's products have Eigen's bits on the trainers' shapes", "[ann]") {
    std::mt19937_64 rng(11);
    // {batch, in, out}: the CNN's fc1 and fc2 on blocks of 32 samples, the MLP's layers,
    // the last block of a batch that is not a multiple of 32.
    const int64_t shapes[][3] = {{32, 3136, 128}, {32, 128, 10}, {32, 784, 256},  {32, 256, 128},
                                 {20, 3136, 128}, {7, 784, 256}, {128, 784, 256}, {64, 1568, 128}};
    int taken = 0;
    for (const auto& s : shapes) taken += check_shape(s[0], s[1], s[2], rng);
#if (defined(__AVX512F__) || defined(__AVX2__)) && defined(__FMA__)
    // Every product of these shapes but fc2's forward pass (Eigen's rows are its 10 outputs,
    // two of which its kernel runs as scalar rows) goes through the kernels.
    CHECK(taken == 3 * 8 - 1);
#else
    CHECK(taken == 0);
#endif
}

TEST_CASE("the dense layer's products have Eigen's bits on random shapes", "[ann]") {
    std::mt19937_64 rng(12);
    std::uniform_int_distribution<int64_t> batch(1, 70), in(1, 400), out(1, 90);
    int taken = 0;
    for (int t = 0; t < 150; ++t) {
        int64_t b = batch(rng), i = in(rng), o = out(rng);
        // Half the shapes with every dimension a multiple of four, so that most take the
        // kernels; the rest decline wherever Eigen would run scalar rows.
        if (t % 2 == 0) {
            b = (b + 3) / 4 * 4;
            i = (i + 3) / 4 * 4;
            o = (o + 3) / 4 * 4;
        }
        taken += check_shape(b, i, o, rng);
    }
    // Long sums: more terms than one of Eigen's blocks.
    for (int64_t depth : {1000, 2500, 4100}) {
        taken += check_shape(36, depth, 52, rng);
        taken += check_shape(44, 60, depth / 4 * 4, rng);
        taken += check_shape(depth, 24, 40, rng);
    }
#if (defined(__AVX512F__) || defined(__AVX2__)) && defined(__FMA__)
    CHECK(taken > 200);
#endif
}

TEST_CASE("a weight gradient added into a running sum has the bits of adding Eigen's product",
          "[ann]") {
    // The trainer adds each block's weight gradient into block 0's (AnnGradients::add_to):
    // the result must be sum + (Eigen's product), for sums built the same way (from +0, so
    // never -0) and products with zeros of either sign; sums of more terms than one of
    // Eigen's blocks must decline, leaving dw as it was.
    std::mt19937_64 rng(13);
    const int64_t shapes[][3] = {{32, 3136, 128}, {32, 784, 256}, {20, 256, 128}, {8, 96, 44}};
    int taken = 0;
    for (const auto& s : shapes) {
        const int64_t batch = s[0], in = s[1], out = s[2];
        Mat sum = Mat::Zero(out, in);  // +0, then two products added as the optimiser would
        for (int k = 0; k < 2; ++k) {
            const Mat x = random_matrix(batch, in, rng), dy = random_matrix(batch, out, rng);
            Mat g(out, in);
            Map(g.data(), out, in).noalias() = dy.transpose() * x;
            sum += g;
        }
        // One more block, with rows of zeros among its gradients (products of +0 and -0).
        Mat x = random_matrix(batch, in, rng), dy = random_matrix(batch, out, rng);
        dy.row(0).setZero();
        x.row(1) = -x.row(1).cwiseAbs() * 0.0f;
        Mat g(out, in);
        Map(g.data(), out, in).noalias() = dy.transpose() * x;
        const Mat want = sum + g;
        Mat got = sum;
        taken += compare("added weight gradient", batch, in, out,
                         dense_product_weight_grad(batch, in, out, dy.data(), x.data(), got.data(),
                                                   true),
                         got, want);
    }
#if (defined(__AVX512F__) || defined(__AVX2__)) && defined(__FMA__)
    CHECK(taken == 4);
    const int64_t depth = 4100, in = 24, out = 40;
    const Mat x = random_matrix(depth, in, rng), dy = random_matrix(depth, out, rng);
    const Mat before = random_matrix(out, in, rng);
    Mat dw = before;
    CHECK_FALSE(dense_product_weight_grad(depth, in, out, dy.data(), x.data(), dw.data(), true));
    CHECK(first_difference(dw, before) == -1);
#else
    CHECK(taken == 0);
#endif
}
