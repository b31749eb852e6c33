// e-prop against BPTT on the same recurrent LIF network (reference/src/nobp/eprop.cpp).
#include <catch2/catch.hpp>

#include "sf/core/error.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/eprop.hpp"

using namespace sf;
using Catch::Matchers::Contains;

namespace {
double rel(const Eigen::MatrixXf& a, const Eigen::MatrixXf& b) {
    return double((a - b).norm() / std::max(1e-20f, b.norm()));
}
const Dataset& digits(Split s) {
    static const Dataset tr = load_dataset("digits", Split::Train);
    static const Dataset te = load_dataset("digits", Split::Test);
    return s == Split::Train ? tr : te;
}
}  // namespace

TEST_CASE("Online e-prop equals its gradient computed backwards with the recurrent term "
          "dropped",
          "[course][eprop]") {
    const RecurrentLif net = make_recurrent_lif(8, 32, 10, 4);
    const Dataset& ds = digits(Split::Train);
    for (int64_t i : {0, 7}) {
        const auto x = digit_sequence(ds, i, 4, 1.0f);
        const auto online = rnn_gradients(net, x, ds.labels[size_t(i)], GradientRule::EProp);
        const auto back = rnn_gradients(net, x, ds.labels[size_t(i)], GradientRule::EPropBackward);
        REQUIRE(online.spikes > 0);
        CHECK(rel(online.w_in, back.w_in) < 1e-5);
        CHECK(rel(online.w_rec, back.w_rec) < 1e-5);
        CHECK(rel(online.w_out, back.w_out) < 1e-5);
        CHECK(rel(online.b_out, back.b_out) < 1e-5);
        CHECK(online.loss == Approx(back.loss));
    }
}

TEST_CASE("Without recurrent weights e-prop is exactly BPTT, and with them it points the same way",
          "[course][eprop]") {
    RecurrentLif net = make_recurrent_lif(8, 32, 10, 4);
    const Dataset& ds = digits(Split::Train);
    const auto x = digit_sequence(ds, 3, 4, 1.0f);
    const int y = ds.labels[3];
    const auto e = rnn_gradients(net, x, y, GradientRule::EProp);
    const auto b = rnn_gradients(net, x, y, GradientRule::Bptt);
    const double c = gradient_cosine(e, b);
    INFO("cos(e-prop, BPTT) = " << c);
    CHECK(c > 0.5);
    CHECK(c < 0.9999);  // the recurrent term matters
    CHECK(rel(e.w_out, b.w_out) < 1e-5);  // the readout's gradient is exact in both
    net.w_rec.setZero();
    const auto e0 = rnn_gradients(net, x, y, GradientRule::EProp);
    const auto b0 = rnn_gradients(net, x, y, GradientRule::Bptt);
    CHECK(gradient_cosine(e0, b0) == Approx(1.0).margin(1e-5));
    CHECK(rel(e0.w_in, b0.w_in) < 1e-5);
}

TEST_CASE("e-prop trains the recurrent LIF network on sequential digits about as well as BPTT",
          "[course][eprop]") {
    RnnTrainOptions o;
    o.epochs = 3;
    o.hidden = 64;
    o.seed = 1;
    o.rule = GradientRule::EProp;
    const auto e = train_recurrent_digits(digits(Split::Train), digits(Split::Test), o);
    o.rule = GradientRule::Bptt;
    const auto b = train_recurrent_digits(digits(Split::Train), digits(Split::Test), o);
    INFO("test accuracy after 3 epochs: e-prop " << e.back().test_accuracy << ", BPTT "
                                                 << b.back().test_accuracy);
    CHECK(e.back().test_accuracy > 0.7);
    CHECK(b.back().test_accuracy > 0.7);
    CHECK(e.back().test_accuracy > b.back().test_accuracy - 0.1);
    CHECK(e.back().train_loss < 0.6 * e.front().train_loss);
    CHECK(e.back().spikes_per_step > 0.0);
}

TEST_CASE("The recurrent LIF network refuses bad input with one clear error", "[course][eprop]") {
    RecurrentLif net = make_recurrent_lif(8, 8, 10, 1);
    CHECK_THROWS_WITH(rnn_gradients(net, Eigen::MatrixXf::Zero(16, 5), 0, GradientRule::Bptt),
                      Contains("values per step"));
    net.window = 40;
    CHECK_THROWS_WITH(rnn_gradients(net, Eigen::MatrixXf::Zero(16, 8), 0, GradientRule::EProp),
                      Contains("window"));
    CHECK_THROWS_WITH(make_recurrent_lif(8, 8, 1, 1), Contains("classes >= 2"));
}
