// The direct convolution (stride 1, 'same' padding) against a plain double-precision
// transcription of the convolution's definition: forward output, weight, bias and input
// gradients, on random shapes that exercise every edge of its tiling (pixel counts that
// are not a multiple of the vector width, channel counts that are not a multiple of the
// register tiles, images narrower than the kernel, 1x1 kernels, batches that end in a
// partial slice, inference over more rows than one block).
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

#include "sf/reference/ann.hpp"
#include "sf/reference/ann_train.hpp"

using namespace sf;

namespace {

struct Shape {
    int64_t c, h, w, k, oc, rows;
};

// A model from its YAML text, initialised with `seed`.
AnnModel model_from_yaml(const std::string& yaml, uint64_t seed) {
    sf_test::ScratchDir dir;
    sf_test::write_text(dir / "m.yaml", yaml);
    AnnModel m = load_ann(dir / "m.yaml");
    init_ann(m, seed);
    return m;
}

AnnMatrix random_matrix(int64_t r, int64_t c, std::mt19937_64& rng) {
    std::uniform_real_distribution<float> u(-1, 1);
    AnnMatrix m(r, c);
    for (int64_t i = 0; i < m.size(); ++i) m.data()[i] = u(rng);
    return m;
}

// Naive 'same' convolution in double: y[b][o][yy][xx] = bias[o] + sum of w * x.
struct Reference {
    std::vector<double> y, dw, db, dx;
};

Reference reference(const Shape& s, const std::vector<float>& w, const std::vector<float>& bias,
                    const AnnMatrix& x, const AnnMatrix& target) {
    const int64_t P = s.h * s.w, pad = s.k / 2, n = s.rows * s.oc * P;
    Reference r;
    r.y.assign(size_t(n), 0.0);
    auto in = [&](int64_t b, int64_t ci, int64_t yy, int64_t xx) {
        return (yy < 0 || yy >= s.h || xx < 0 || xx >= s.w) ? 0.0
                                                             : double(x(b, (ci * s.h + yy) * s.w + xx));
    };
    auto wi = [&](int64_t o, int64_t ci, int64_t ky, int64_t kx) {
        return size_t(((o * s.c + ci) * s.k + ky) * s.k + kx);
    };
    for (int64_t b = 0; b < s.rows; ++b)
        for (int64_t o = 0; o < s.oc; ++o)
            for (int64_t yy = 0; yy < s.h; ++yy)
                for (int64_t xx = 0; xx < s.w; ++xx) {
                    double a = bias[size_t(o)];
                    for (int64_t ci = 0; ci < s.c; ++ci)
                        for (int64_t ky = 0; ky < s.k; ++ky)
                            for (int64_t kx = 0; kx < s.k; ++kx)
                                a += double(w[wi(o, ci, ky, kx)]) * in(b, ci, yy + ky - pad, xx + kx - pad);
                    r.y[size_t((b * s.oc + o) * P + yy * s.w + xx)] = a;
                }
    // mse over all elements: dL/dy = 2 (y - t) / n.
    std::vector<double> g(static_cast<size_t>(n));
    for (int64_t b = 0; b < s.rows; ++b)
        for (int64_t i = 0; i < s.oc * P; ++i)
            g[size_t(b * s.oc * P + i)] = 2.0 * (r.y[size_t(b * s.oc * P + i)] - target(b, i)) / double(n);
    r.dw.assign(w.size(), 0.0);
    r.db.assign(size_t(s.oc), 0.0);
    r.dx.assign(size_t(s.rows * s.c * P), 0.0);
    for (int64_t b = 0; b < s.rows; ++b)
        for (int64_t o = 0; o < s.oc; ++o)
            for (int64_t yy = 0; yy < s.h; ++yy)
                for (int64_t xx = 0; xx < s.w; ++xx) {
                    const double gy = g[size_t((b * s.oc + o) * P + yy * s.w + xx)];
                    r.db[size_t(o)] += gy;
                    for (int64_t ci = 0; ci < s.c; ++ci)
                        for (int64_t ky = 0; ky < s.k; ++ky)
                            for (int64_t kx = 0; kx < s.k; ++kx) {
                                const int64_t iy = yy + ky - pad, ix = xx + kx - pad;
                                if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
                                r.dw[wi(o, ci, ky, kx)] += gy * in(b, ci, iy, ix);
                                r.dx[size_t((b * s.c + ci) * P + iy * s.w + ix)] +=
                                    gy * double(w[wi(o, ci, ky, kx)]);
                            }
                }
    return r;
}

// Largest difference relative to the largest reference magnitude (float32 sums of up to a
// few thousand terms: 1e-5 of the scale is generous for rounding and far below any error
// of indexing, which moves whole terms).
double rel_error(const float* got, const std::vector<double>& want) {
    double scale = 1e-30, err = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        scale = std::max(scale, std::abs(want[i]));
        err = std::max(err, std::abs(double(got[i]) - want[i]));
    }
    return err / scale;
}

// Equal as bits (== would let -0 pass for +0).
bool same_bits(const float* a, const float* b, size_t n) {
    return n == 0 || std::memcmp(a, b, n * sizeof(float)) == 0;
}
bool same_bits(const AnnMatrix& a, const AnnMatrix& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           same_bits(a.data(), b.data(), size_t(a.size()));
}

// Trains one batch of m on (x, t) with its conv blocks fused and with every layer on its
// own (a feedback hook makes the trainer run them one by one): loss, outputs, every
// parameter gradient and the input gradient must have the same bits, with and without the
// input gradient, and inference (which runs the blocks fused) must give the outputs too.
void check_fused_as_layered(const AnnModel& m, const AnnMatrix& x, const AnnMatrix& t) {
    for (bool want_input : {true, false}) {
        AnnGradients fused, apart;
        fused.want_input = apart.want_input = want_input;
        apart.feedback = [](size_t, const AnnMatrix&, const AnnMatrix&, AnnMatrix&) {};
        AnnMatrix out_fused, out_apart;
        const float lf = ann_loss(m, x, t, "mse", &fused, false, 0, &out_fused);
        const float la = ann_loss(m, x, t, "mse", &apart, false, 0, &out_apart);
        INFO("input gradient " << want_input);
        CHECK(same_bits(&lf, &la, 1));
        CHECK(same_bits(out_fused, out_apart));
        REQUIRE(fused.params.size() == apart.params.size());
        for (size_t i = 0; i < fused.params.size(); ++i) {
            REQUIRE(fused.params[i].size() == apart.params[i].size());
            for (size_t k = 0; k < fused.params[i].size(); ++k) {
                REQUIRE(fused.params[i][k].size() == apart.params[i][k].size());
                CHECK(same_bits(fused.params[i][k].data(), apart.params[i][k].data(),
                                fused.params[i][k].size()));
            }
        }
        CHECK(same_bits(fused.input, apart.input));
        CHECK(same_bits(forward(m, x), out_apart));
    }
}

}  // namespace

TEST_CASE("The direct convolution matches the definition on random shapes", "[ann][conv]") {
    const Shape shapes[] = {
        {1, 28, 28, 3, 32, 9},  // the shipped CNNs' first layer, a partial last slice
        {32, 14, 14, 3, 64, 5}, // their second layer: 196 pixels, not a multiple of 16
        {3, 5, 7, 3, 5, 3},     // odd output channels: remainder tiles
        {2, 9, 4, 5, 20, 2},    // 5x5 kernel wider than the image's 4 columns
        {4, 3, 3, 1, 9, 2},     // 1x1 kernel
        {5, 1, 1, 3, 3, 4},     // a single pixel
        {7, 6, 11, 3, 17, 6},
        {4, 8, 6, 3, 12, 5},    // 48 pixels: whole vectors
    };
    std::mt19937_64 rng(11);
    for (const Shape& s : shapes) {
        std::ostringstream yaml;
        yaml << "input_shape: [" << s.c << ", " << s.h << ", " << s.w << "]\nlayers:\n"
             << "  - {kind: conv2d, name: c, out_channels: " << s.oc << ", kernel: " << s.k
             << ", padding: " << s.k / 2 << "}\n  - {kind: flatten}\n";
        AnnModel m = model_from_yaml(yaml.str(), 5);
        std::uniform_real_distribution<float> u(-0.5f, 0.5f);
        for (auto& v : m.layers[0].params[1].value) v = u(rng);  // non-zero biases
        const int64_t P = s.h * s.w;
        const AnnMatrix x = random_matrix(s.rows, s.c * P, rng);
        const AnnMatrix t = random_matrix(s.rows, s.oc * P, rng);
        const Reference r = reference(s, m.layers[0].params[0].value, m.layers[0].params[1].value, x, t);

        AnnGradients g;
        AnnMatrix out;
        ann_loss(m, x, t, "mse", &g, false, 0, &out);
        INFO("shape c=" << s.c << " h=" << s.h << " w=" << s.w << " k=" << s.k << " oc=" << s.oc
                        << " rows=" << s.rows);
        CHECK(rel_error(out.data(), r.y) < 1e-5);
        CHECK(rel_error(g.params[0][0].data(), r.dw) < 1e-5);
        CHECK(rel_error(g.params[0][1].data(), r.db) < 1e-5);
        CHECK(rel_error(g.input.data(), r.dx) < 1e-5);
        // Without the input gradient (a first layer in training) the weight gradients take
        // another path when the pixels fill whole vectors; they must not change.
        AnnGradients g2;
        g2.want_input = false;
        ann_loss(m, x, t, "mse", &g2);
        CHECK(g2.params == g.params);
        // Inference computes each row exactly as training does.
        const AnnMatrix y = forward(m, x);
        CHECK(y == out);
    }
}

TEST_CASE("Convolution inference over more rows than one block gives each row's training output",
          "[ann][conv]") {
    // A convolution alone, and one in a fused block (conv + ReLU + pooling): inference runs
    // both in blocks of 64 rows. On maps of 196 and 49 pixels the last, partial vectors of
    // several samples share one vector (in other lanes than a row alone puts them in).
    const char* models[] = {R"(
input_shape: [2, 6, 5]
layers:
  - {kind: conv2d, name: c, out_channels: 8, kernel: 3, padding: 1}
  - {kind: flatten}
)",
                            R"(
input_shape: [3, 14, 14]
layers:
  - {kind: conv2d, name: c, out_channels: 5, kernel: 3, padding: 1}
  - {kind: flatten}
)",
                            R"(
input_shape: [2, 7, 7]
layers:
  - {kind: conv2d, name: c, out_channels: 9, kernel: 3, padding: 1}
  - {kind: flatten}
)",
                            R"(
input_shape: [2, 8, 10]
layers:
  - {kind: conv2d, name: c, out_channels: 6, kernel: 3, padding: 1}
  - {kind: relu}
  - {kind: maxpool, kernel: 2}
  - {kind: flatten}
)"};
    for (const char* yaml : models) {
        AnnModel m = model_from_yaml(yaml, 2);
        std::mt19937_64 rng(4);
        const AnnMatrix x = random_matrix(150, m.input_size(), rng);
        const AnnMatrix all = forward(m, x);
        REQUIRE(all.rows() == 150);
        for (int64_t r : {0, 63, 64, 100, 149}) {
            const AnnMatrix one = forward(m, x.middleRows(r, 1));
            INFO(yaml << "row " << r);
            CHECK(same_bits(one, all.middleRows(r, 1)));
        }
    }
}

TEST_CASE("Vectorised 2x2 pooling matches the definition: max picks the first maximum, "
          "average sums in row-major order",
          "[ann][conv]") {
    // Widths 2 and 4 (the general loop), 8 and 12 (8-lane vectors, the last one of a row
    // overlapping), 16 to 68 (16 lanes, likewise); max pooling's values drawn from a few
    // levels so that ties are frequent, ReLU-like zeros included.
    struct Map {
        int64_t c, h, w;
    };
    std::mt19937_64 rng(21);
    for (const char* kind : {"maxpool", "avgpool"})
        for (const Map& mp : {Map{3, 8, 8}, Map{1, 12, 12}, Map{2, 4, 16}, Map{2, 10, 20},
                              Map{2, 2, 2}, Map{3, 6, 4}, Map{1, 4, 32}, Map{2, 4, 34},
                              Map{1, 2, 68}}) {
            const bool mx = std::string(kind) == "maxpool";
            std::ostringstream yaml;
            yaml << "input_shape: [" << mp.c << ", " << mp.h << ", " << mp.w
                 << "]\nlayers:\n  - {kind: " << kind << ", kernel: 2}\n  - {kind: flatten}\n";
            AnnModel m = model_from_yaml(yaml.str(), 1);
            const int64_t rows = 3, oh = mp.h / 2, ow = mp.w / 2, n_out = mp.c * oh * ow;
            AnnMatrix x(rows, mp.c * mp.h * mp.w);
            std::uniform_int_distribution<int> level(-1, 3);
            std::uniform_real_distribution<float> u(-1, 1);
            for (int64_t i = 0; i < x.size(); ++i)
                x.data()[i] = mx ? std::max(0, level(rng)) * 0.5f : u(rng);
            const AnnMatrix t = random_matrix(rows, n_out, rng);
            AnnGradients g;
            AnnMatrix out;
            ann_loss(m, x, t, "mse", &g, false, 0, &out);
            INFO(kind << ", map " << mp.c << "x" << mp.h << "x" << mp.w);
            int64_t wrong_value = 0, wrong_route = 0;
            for (int64_t b = 0; b < rows; ++b)
                for (int64_t c = 0; c < mp.c; ++c)
                    for (int64_t i = 0; i < oh; ++i)
                        for (int64_t j = 0; j < ow; ++j) {
                            // The definition: the first strict maximum in row-major window
                            // order, or the sum in that order times 1/4.
                            int64_t best = -1;
                            float sum = 0;
                            for (int64_t di = 0; di < 2; ++di)
                                for (int64_t dj = 0; dj < 2; ++dj) {
                                    const int64_t at = (c * mp.h + 2 * i + di) * mp.w + 2 * j + dj;
                                    if (best < 0 || x(b, at) > x(b, best)) best = at;
                                    sum = di + dj == 0 ? x(b, at) : sum + x(b, at);
                                }
                            const int64_t o = (c * oh + i) * ow + j;
                            const float want_out = mx ? x(b, best) : sum * 0.25f;
                            if (std::memcmp(&out(b, o), &want_out, sizeof want_out) != 0) ++wrong_value;
                            // mse: dL/dout = 2 (out - t) / n; max routes it all to the winner,
                            // average gives each input a quarter.
                            const double dy = 2.0 * (double(out(b, o)) - t(b, o)) / double(rows * n_out);
                            for (int64_t di = 0; di < 2; ++di)
                                for (int64_t dj = 0; dj < 2; ++dj) {
                                    const int64_t at = (c * mp.h + 2 * i + di) * mp.w + 2 * j + dj;
                                    const double want = mx ? (at == best ? dy : 0.0) : dy / 4;
                                    if (std::abs(g.input(b, at) - want) > 1e-7 + 1e-5 * std::abs(want))
                                        ++wrong_route;
                                }
                        }
            CHECK(wrong_value == 0);
            CHECK(wrong_route == 0);
        }
}

TEST_CASE("A fused max-pooling block breaks ties between positive values as the layer does",
          "[ann][conv]") {
    // A 1x1 convolution that copies its input channels (weight 1 or 0, bias 0: exact), so
    // the pooled maps hold the inputs' few levels and windows often hold equal positive
    // values in any arrangement; the layer one by one takes the first maximum in row-major
    // order (tested against the definition above), and the fused block must route every
    // gradient to the same input. Widths 12 (8-lane vertical passes) and 16, 40 (16 lanes);
    // 5 rows of windows leave tails after the 16-output passes.
    for (const int64_t width : {int64_t(12), int64_t(16), int64_t(40)}) {
        CAPTURE(width);
        std::ostringstream yaml;
        yaml << "input_shape: [2, 10, " << width << "]\nlayers:\n"
             << "  - {kind: conv2d, name: c1, out_channels: 3, kernel: 1, padding: 0}\n"
             << "  - {kind: relu}\n  - {kind: maxpool, kernel: 2}\n"
             << "  - {kind: flatten}\n  - {kind: dense, name: fc, units: 3}\n";
        AnnModel m = model_from_yaml(yaml.str(), 8);
        auto& w = m.layers[0].params[0].value;  // [3][2][1][1]
        for (int64_t o = 0; o < 3; ++o)
            for (int64_t c = 0; c < 2; ++c) w[size_t(o * 2 + c)] = c == o % 2 ? 1.0f : 0.0f;
        std::fill(m.layers[0].params[1].value.begin(), m.layers[0].params[1].value.end(), 0.0f);
        std::mt19937_64 rng(23);
        std::uniform_int_distribution<int> level(-1, 2);
        const int64_t rows = 6;
        AnnMatrix x(rows, 2 * 10 * width);
        for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = float(level(rng)) * 0.5f;
        check_fused_as_layered(m, x, random_matrix(rows, 3, rng));
    }
}

TEST_CASE("A one-channel 3x3 block with max pooling, fused into one pass, gives the layers' bits",
          "[ann][conv]") {
    // Such a block (the shipped CNNs' first) computes its pooled outputs and window codes
    // without writing the convolution's output (conv_relu_maxpool_forward; AVX-512 builds;
    // on others the block runs as the other blocks do, and this checks that). Maps from 8 to
    // 32 wide (one or two vectors per row), rows that leave a partial slice, random weights
    // with biases, and weights that copy the input shifted by one kernel offset per output
    // channel (exact values from few levels, so windows tie in every arrangement and the
    // zero padding reaches the pooled edges).
    const std::pair<int64_t, int64_t> maps[] = {{28, 28}, {2, 8}, {6, 32}, {10, 14}, {4, 18}};
    for (const auto& [h, w] : maps)
        for (const bool copies : {false, true}) {
            CAPTURE(h, w, copies);
            std::ostringstream yaml;
            yaml << "input_shape: [1, " << h << ", " << w << "]\nlayers:\n"
                 << "  - {kind: conv2d, name: c1, out_channels: 9, kernel: 3, padding: 1}\n"
                 << "  - {kind: relu}\n  - {kind: maxpool, kernel: 2}\n"
                 << "  - {kind: flatten}\n  - {kind: dense, name: fc, units: 3}\n";
            AnnModel m = model_from_yaml(yaml.str(), 12);
            std::mt19937_64 rng(29);
            auto& wt = m.layers[0].params[0].value;  // [9][1][3][3]
            auto& bias = m.layers[0].params[1].value;
            std::uniform_real_distribution<float> u(-0.3f, 0.3f);
            for (size_t o = 0; o < 9; ++o) {
                bias[o] = copies ? 0.0f : u(rng);
                if (copies)
                    for (size_t t = 0; t < 9; ++t) wt[o * 9 + t] = t == o ? 1.0f : 0.0f;
            }
            std::uniform_int_distribution<int> level(-1, 2);
            AnnMatrix x(7, h * w);
            for (int64_t i = 0; i < x.size(); ++i)
                x.data()[i] = copies ? float(level(rng)) * 0.5f : float(level(rng)) * 0.37f;
            check_fused_as_layered(m, x, random_matrix(7, 3, rng));
        }
}

TEST_CASE("Convolution scratch reused across calls of other sizes gives the same bits",
          "[ann][conv]") {
    // The trainer keeps each layer's planes between calls and writes their zero borders only
    // when the layout changes: calls with other row counts, with and without the input
    // gradient, must not leave anything behind.
    AnnModel m = model_from_yaml(R"(
input_shape: [3, 9, 7]
layers:
  - {kind: conv2d, name: c1, out_channels: 8, kernel: 3, padding: 1}
  - {kind: relu}
  - {kind: conv2d, name: c2, out_channels: 16, kernel: 5, padding: 2}
  - {kind: flatten}
)",
                                 3);
    std::mt19937_64 rng(8);
    const AnnMatrix xa = random_matrix(6, 189, rng), ta = random_matrix(6, 1008, rng);
    const AnnMatrix xb = random_matrix(11, 189, rng), tb = random_matrix(11, 1008, rng);
    auto run = [&](const AnnMatrix& x, const AnnMatrix& t, bool want_input) {
        AnnGradients g;
        g.want_input = want_input;
        ann_loss(m, x, t, "mse", &g);
        return g;
    };
    const AnnGradients first = run(xa, ta, true);
    run(xb, tb, false);
    run(xb.topRows(2), tb.topRows(2), true);
    const AnnGradients again = run(xa, ta, true);
    CHECK(again.params == first.params);
    CHECK(again.input == first.input);
}

TEST_CASE("A fused conv block gives the bits of its three layers run one by one", "[ann][conv]") {
    // conv2d + relu + 2x2 pooling runs as one pass in training (ann_ops.hpp, conv_block_*);
    // with a feedback hook the trainer runs every layer on its own, which is the reference
    // here. Outputs, loss, every parameter gradient and the input gradient must be equal,
    // for max and average pooling, on maps 8 and 6 wide, with a partial last slice of rows,
    // a block as the first layer (no input gradient needed) and a second block after it.
    // The inputs take few levels, so the ReLU's zeros make max pooling's ties common. Maps
    // 14 high give the first block 210 pooled outputs per sample, which the vector passes
    // cover 16 at a time with a tail of 2 (the second block, 7 high, is not fused).
    for (const int64_t height : {int64_t(16), int64_t(14)}) {
        for (const char* pool : {"maxpool", "avgpool"}) {
            CAPTURE(height, pool);
            std::ostringstream yaml;
            yaml << "input_shape: [2, " << height << ", 12]\nlayers:\n"
                 << "  - {kind: conv2d, name: c1, out_channels: 5, kernel: 3, padding: 1}\n"
                 << "  - {kind: relu}\n  - {kind: " << pool << ", kernel: 2}\n"
                 << "  - {kind: conv2d, name: c2, out_channels: 9, kernel: 3, padding: 1}\n"
                 << "  - {kind: relu}\n  - {kind: " << pool << ", kernel: 2}\n"
                 << "  - {kind: flatten}\n  - {kind: dense, name: fc, units: 4}\n";
            AnnModel m = model_from_yaml(yaml.str(), 6);
            std::mt19937_64 rng(17);
            std::uniform_int_distribution<int> level(-2, 2);
            for (int64_t rows : {int64_t(9), int64_t(3)}) {
                AnnMatrix x(rows, 2 * height * 12);
                for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = float(level(rng)) * 0.25f;
                const AnnMatrix t = random_matrix(rows, 4, rng);
                INFO(pool << ", " << rows << " rows");
                check_fused_as_layered(m, x, t);
            }
        }
    }
}
