// Tests of the ANN half of the float reference: gradients of every layer against finite
// differences, model files, training, checkpoints, Hopfield recall and bad input.
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

#include "sf/core/error.hpp"
#include "sf/core/tensor.hpp"
#include "sf/reference/ann.hpp"
#include "sf/reference/ann_hopfield.hpp"
#include "sf/reference/ann_train.hpp"
#include "sf/reference/batching.hpp"
#include "sf/reference/datasets.hpp"

namespace fs = std::filesystem;
using namespace sf;

namespace {

using Scratch = sf_test::ScratchDir;

using sf_test::write_text;

AnnModel model_from_yaml(const std::string& yaml, uint64_t seed = 3) {
    Scratch s;
    write_text(s / "m.yaml", yaml);
    AnnModel m = load_ann(s / "m.yaml");
    init_ann(m, seed);
    // Non-zero biases, so their gradients are exercised too.
    std::mt19937_64 rng(seed + 1);
    std::uniform_real_distribution<float> u(-0.3f, 0.3f);
    for (auto& l : m.layers)
        for (auto& p : l.params)
            if (p.name == "bias")
                for (auto& v : p.value) v = u(rng);
    return m;
}

AnnMatrix random_matrix(int64_t r, int64_t c, uint64_t seed, float lo = -1, float hi = 1) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    AnnMatrix m(r, c);
    for (int64_t i = 0; i < m.size(); ++i) m.data()[i] = u(rng);
    return m;
}

AnnMatrix one_hot(int64_t rows, int64_t k, uint64_t seed) {
    AnnMatrix t = AnnMatrix::Zero(rows, k);
    for (int64_t r = 0; r < rows; ++r) t(r, int64_t((seed + 7 * uint64_t(r)) % uint64_t(k))) = 1;
    return t;
}

// Compares analytic gradients with central differences on up to `per_param` entries of
// every parameter and of the input. Float32 arithmetic, so the tolerance is relative with
// a small absolute floor.
void check_gradients(AnnModel m, const AnnMatrix& x, const AnnMatrix& t, const std::string& loss,
                     bool train = false) {
    AnnGradients g;
    ann_loss(m, x, t, loss, &g, train, 77);
    const float eps = 2e-3f;
    auto numeric = [&](float& v) {
        const float keep = v;
        v = keep + eps;
        const double lp = ann_loss(m, x, t, loss, nullptr, train, 77);
        v = keep - eps;
        const double lm = ann_loss(m, x, t, loss, nullptr, train, 77);
        v = keep;
        return (lp - lm) / (2.0 * eps);
    };
    auto close = [](double a, double n) { return std::abs(a - n) <= 2e-3 + 3e-2 * std::abs(n); };
    int checked = 0;
    for (size_t li = 0; li < m.layers.size(); ++li)
        for (size_t pi = 0; pi < m.layers[li].params.size(); ++pi) {
            auto& vals = m.layers[li].params[pi].value;
            REQUIRE(g.params[li][pi].size() == vals.size());
            const size_t step = std::max<size_t>(1, vals.size() / 25);
            for (size_t k = 0; k < vals.size(); k += step) {
                const double n = numeric(vals[k]);
                const double a = g.params[li][pi][k];
                INFO("layer " << m.layers[li].name << " param " << m.layers[li].params[pi].name
                              << "[" << k << "] analytic " << a << " numeric " << n);
                CHECK(close(a, n));
                ++checked;
            }
        }
    AnnMatrix xx = x;
    REQUIRE(g.input.rows() == x.rows());
    REQUIRE(g.input.cols() == x.cols());
    const int64_t step = std::max<int64_t>(1, x.size() / 25);
    for (int64_t k = 0; k < x.size(); k += step) {
        const float keep = xx.data()[k];
        xx.data()[k] = keep + eps;
        const double lp = ann_loss(m, xx, t, loss, nullptr, train, 77);
        xx.data()[k] = keep - eps;
        const double lm = ann_loss(m, xx, t, loss, nullptr, train, 77);
        xx.data()[k] = keep;
        const double n = (lp - lm) / (2.0 * eps);
        INFO("input[" << k << "] analytic " << g.input.data()[k] << " numeric " << n);
        CHECK(close(g.input.data()[k], n));
        ++checked;
    }
    CHECK(checked > 10);
}

const char* kDigitsLogreg = R"(
name: logreg
type: ann
input_shape: [1, 8, 8]
dataset: digits
layers:
  - {kind: flatten}
  - {kind: dense, name: fc, units: 10}
  - {kind: softmax}
training: {optimizer: sgd, lr: 0.1, momentum: 0.9, batch: 32, epochs: 4, loss: cross_entropy}
)";

}  // namespace

TEST_CASE("Dense layers with sigmoid and tanh have gradients matching finite differences",
          "[ann][gradient]") {
    auto m = model_from_yaml(R"(
input_shape: [6]
layers:
  - {kind: dense, name: a, units: 5}
  - {kind: sigmoid}
  - {kind: dense, name: b, units: 4}
  - {kind: tanh}
  - {kind: dense, name: c, units: 3}
)");
    check_gradients(m, random_matrix(4, 6, 1), random_matrix(4, 3, 2), "mse");
}

TEST_CASE("ReLU and fused softmax cross-entropy have gradients matching finite differences",
          "[ann][gradient]") {
    auto m = model_from_yaml(R"(
input_shape: [7]
layers:
  - {kind: dense, name: a, units: 6}
  - {kind: relu}
  - {kind: dense, name: b, units: 4}
  - {kind: softmax}
)");
    check_gradients(m, random_matrix(5, 7, 3), one_hot(5, 4, 1), "cross_entropy");
}

TEST_CASE("Softmax outside cross-entropy uses its full Jacobian", "[ann][gradient]") {
    auto m = model_from_yaml(R"(
input_shape: [5]
layers:
  - {kind: dense, name: a, units: 4}
  - {kind: softmax}
)");
    check_gradients(m, random_matrix(3, 5, 4), random_matrix(3, 4, 5, 0, 1), "mse");
}

TEST_CASE("Conv2d with stride and padding has correct gradients", "[ann][gradient][conv]") {
    auto m = model_from_yaml(R"(
input_shape: [2, 7, 7]
layers:
  - {kind: conv2d, name: c1, out_channels: 3, kernel: 3, stride: 1, padding: 1}
  - {kind: tanh}
  - {kind: conv2d, name: c2, out_channels: 2, kernel: 2, stride: 2, padding: 1}
  - {kind: flatten}
  - {kind: dense, name: fc, units: 3}
)");
    check_gradients(m, random_matrix(2, 2 * 7 * 7, 6), random_matrix(2, 3, 7), "mse");
}

TEST_CASE("Max pooling routes gradients to the maximum of each window", "[ann][gradient][conv]") {
    // Pooling straight on the input: random inputs have no near-ties, so the finite
    // differences stay on one side of the max's kink.
    auto m = model_from_yaml(R"(
input_shape: [2, 6, 6]
layers:
  - {kind: maxpool, kernel: 2}
  - {kind: flatten}
  - {kind: dense, name: fc, units: 3}
)");
    check_gradients(m, random_matrix(2, 72, 16), random_matrix(2, 3, 17), "mse");
}

TEST_CASE("Average pooling has correct gradients", "[ann][gradient][conv]") {
    auto m = model_from_yaml(R"(
input_shape: [2, 6, 6]
layers:
  - {kind: avgpool, kernel: 2}
  - {kind: conv2d, name: c, out_channels: 2, kernel: 3}
  - {kind: flatten}
  - {kind: dense, name: fc, units: 2}
)");
    check_gradients(m, random_matrix(3, 72, 8), random_matrix(3, 2, 9), "mse");
}

TEST_CASE("Simple RNN has BPTT gradients matching finite differences", "[ann][gradient][rnn]") {
    auto m = model_from_yaml(R"(
input_shape: [5, 3]
layers:
  - {kind: rnn, name: r, units: 4}
  - {kind: dense, name: fc, units: 3}
)");
    check_gradients(m, random_matrix(3, 15, 10), one_hot(3, 3, 2), "cross_entropy");
}

TEST_CASE("LSTM has BPTT gradients matching finite differences, last step and sequences",
          "[ann][gradient][lstm]") {
    auto m = model_from_yaml(R"(
input_shape: [4, 3]
layers:
  - {kind: lstm, name: l1, units: 4, return_sequences: true}
  - {kind: lstm, name: l2, units: 3}
  - {kind: dense, name: fc, units: 2}
)");
    check_gradients(m, random_matrix(3, 12, 11), random_matrix(3, 2, 12), "mse");
}

TEST_CASE("Dropout gradients follow its seeded mask in training mode", "[ann][gradient]") {
    auto m = model_from_yaml(R"(
input_shape: [8]
layers:
  - {kind: dense, name: a, units: 10}
  - {kind: dropout, rate: 0.5}
  - {kind: dense, name: b, units: 3}
)");
    check_gradients(m, random_matrix(4, 8, 13), random_matrix(4, 3, 14), "mse", true);
    // At inference dropout is the identity.
    AnnMatrix x = random_matrix(2, 8, 15);
    auto acts = forward_all(m, x);
    CHECK(acts[2].isApprox(acts[1]));
}

TEST_CASE("The perceptron loss moves scores only for misclassified samples", "[ann][gradient]") {
    auto m = model_from_yaml(R"(
input_shape: [3]
layers:
  - {kind: dense, name: a, units: 2}
)");
    AnnMatrix x(1, 3);
    x << 1, 2, 3;
    const AnnMatrix out = forward(m, x);
    AnnMatrix t = AnnMatrix::Zero(1, 2);
    Eigen::Index pred;
    out.row(0).maxCoeff(&pred);
    t(0, pred) = 1;  // already right: no loss, no gradient
    AnnGradients g;
    CHECK(ann_loss(m, x, t, "perceptron", &g) == 0.0f);
    for (float v : g.params[0][0]) CHECK(v == 0.0f);
    t.setZero();
    t(0, 1 - pred) = 1;  // wrong: the classic perceptron update direction
    CHECK(ann_loss(m, x, t, "perceptron", &g) > 0.0f);
    CHECK(g.params[0][0][size_t(pred * 3 + 2)] == Approx(3.0f));
    CHECK(g.params[0][0][size_t((1 - pred) * 3 + 2)] == Approx(-3.0f));
}

TEST_CASE("A saved model loads back with identical outputs", "[ann][io]") {
    auto m = model_from_yaml(R"(
name: roundtrip
input_shape: [1, 6, 6]
dataset: digits
layers:
  - {kind: conv2d, name: c, out_channels: 2, kernel: 3, padding: 1}
  - {kind: relu}
  - {kind: maxpool, kernel: 2}
  - {kind: flatten}
  - {kind: dense, name: fc, units: 4}
  - {kind: softmax}
training: {optimizer: adam, lr: 0.01, batch: 16, epochs: 2, loss: cross_entropy}
)");
    Scratch s;
    save_ann(m, s / "net");
    const AnnModel back = load_ann(s / "net");
    REQUIRE(back.layers.size() == m.layers.size());
    CHECK(back.initialised);
    CHECK(back.training.optimizer == "adam");
    CHECK(back.output_shape() == std::vector<int64_t>{4});
    const AnnMatrix x = random_matrix(3, 36, 20, 0, 1);
    const auto a = forward_all(m, x), b = forward_all(back, x);
    REQUIRE(a.size() == m.layers.size() + 1);
    CHECK(a.back() == b.back());
    // Weights are plain npz arrays named layer.param.
    const auto arrays = read_npz(s / "net/weights.npz");
    CHECK(arrays.count("c.weight") == 1);
    CHECK(arrays.at("c.weight").shape == std::vector<int64_t>{2, 1, 3, 3});
}

TEST_CASE("Logistic regression trained briefly on a digits subset beats chance by far",
          "[ann][train]") {
    Scratch s;
    write_text(s / "m.yaml", kDigitsLogreg);
    AnnModel m = load_ann(s / "m.yaml");
    const Dataset train = load_dataset("digits", Split::Train, 600);
    const Dataset test = load_dataset("digits", Split::Test);
    AnnOptimizer opt;
    AnnFitOptions fo;
    fo.epochs = 4;
    fo.seed = 5;
    auto stats = fit_ann(m, train, opt, fo);
    REQUIRE(stats.size() == 4);
    CHECK(stats.back().loss < stats.front().loss);
    const auto r = evaluate_ann(m, test);
    CHECK(r.samples == test.size());
    CHECK(r.accuracy > 0.8);  // chance is 0.1
    int64_t total = 0;
    for (const auto& row : r.confusion)
        for (auto v : row) total += v;
    CHECK(total == test.size());
}

TEST_CASE("Training is deterministic for a seed and resumes from a checkpoint bit for bit",
          "[ann][train][checkpoint]") {
    Scratch s;
    write_text(s / "m.yaml", std::string(kDigitsLogreg) + "\n");
    TrainOptions o;
    o.seed = 9;
    o.max_train = 300;
    o.max_test = 50;
    o.epochs = 4;
    o.out_dir = s / "full";
    train_ann(s / "m.yaml", o);
    o.out_dir = s / "again";
    train_ann(s / "m.yaml", o);
    // Interrupted run: 2 epochs with checkpoints, then resume to 4.
    o.out_dir = s / "part";
    o.epochs = 2;
    o.checkpoint_every = 1;
    train_ann(s / "m.yaml", o);
    REQUIRE(fs::exists(s / "part/checkpoint/state.json"));
    o.epochs = 4;
    o.out_dir = s / "resumed";
    o.checkpoint_every = 0;
    o.resume_dir = s / "part/checkpoint";
    train_ann(s / "m.yaml", o);
    const auto full = read_npz(s / "full/weights.npz");
    CHECK(full.at("fc.weight").bytes == read_npz(s / "again/weights.npz").at("fc.weight").bytes);
    CHECK(full.at("fc.weight").bytes == read_npz(s / "resumed/weights.npz").at("fc.weight").bytes);

    // A checkpoint of a spiking-network run is named as such, not read as a broken model.
    std::string state = sf_test::edit(
        [&] {
            std::ifstream in(s / "part/checkpoint/state.json");
            return std::string(std::istreambuf_iterator<char>(in), {});
        }(),
        "\"kind\": \"ann\"", "\"kind\": \"snn\"");
    write_text(s / "part/checkpoint/state.json", state);
    o.out_dir = s / "again2";
    CHECK_THAT(sf_test::error_of([&] { train_ann(s / "m.yaml", o); }).what,
               Catch::Contains("spiking-network run"));
    // A value of the wrong type is one clear error, not a JSON library exception.
    state = sf_test::edit(state, "\"kind\": \"snn\"", "\"kind\": \"ann\"");
    write_text(s / "part/checkpoint/state.json",
               sf_test::edit(state, "\"epochs_done\": 2", "\"epochs_done\": \"two\""));
    const auto bad = sf_test::error_of([&] { train_ann(s / "m.yaml", o); });
    CHECK_THAT(bad.what, Catch::Contains("corrupt checkpoint state"));
    CHECK_THAT(bad.fix, Catch::Contains("without --resume"));
}

TEST_CASE("spikeforge train prints only the JSON object with --json, and the epochs after "
          "training without it",
          "[ann][train][cli]") {
    Scratch s;
    write_text(s / "m.yaml", std::string(kDigitsLogreg) + "\n");
    // run_cli merges stderr into the output, so any progress line would break the parse.
    const sf_test::Ran j = sf_test::run_cli("train " + s / "m.yaml" + " --data digits --epochs 2 -o " +
                                            s / "a" + " --json");
    INFO(j.output);
    REQUIRE(j.code == 0);
    const auto r = nlohmann::json::parse(j.output);
    CHECK(r["history"].size() == 2);
    const sf_test::Ran t =
        sf_test::run_cli("train " + s / "m.yaml" + " --data digits --epochs 2 -o " + s / "b");
    REQUIRE(t.code == 0);
    CHECK_THAT(t.output, Catch::Contains("epoch 1: loss") && Catch::Contains("epoch 2: loss") &&
                             Catch::Contains("test accuracy"));
}

TEST_CASE("Hopfield network recalls stored patterns from corrupted cues", "[ann][hopfield]") {
    const auto net = hopfield_store(hopfield_random_patterns(6, 200, 1));
    CHECK(net.weight.isApprox(net.weight.transpose()));
    CHECK(net.weight.diagonal().isZero());
    for (int64_t p = 0; p < 6; ++p) {
        const float* pat = net.patterns.row(p).data();
        auto cue = hopfield_corrupt(pat, 200, 0.15, 100 + uint64_t(p));
        CHECK(hopfield_overlap(cue, pat, 200) == Approx(0.7));
        CHECK(hopfield_overlap(hopfield_recall(net, cue, false, 20, 3), pat, 200) == 1.0);
        CHECK(hopfield_overlap(hopfield_recall(net, cue, true, 20, 3), pat, 200) == 1.0);
    }
    CHECK(hopfield_recall_rate(net, 0.1, 0.99, false, 5) == 1.0);
}

TEST_CASE("Hopfield recall collapses above the capacity of about 0.14 N", "[ann][hopfield]") {
    const auto pts = hopfield_capacity(200, {10, 60}, 0.05, 0.95, 2, 4);
    REQUIRE(pts.size() == 2);
    CHECK(pts[0].load == Approx(0.05));
    CHECK(pts[0].recall_rate > 0.95);
    CHECK(pts[1].recall_rate < 0.2);  // load 0.3, well past 0.138
}

TEST_CASE("Hopfield patterns from a data set are binarised samples taken class by class",
          "[ann][hopfield][data]") {
    const Dataset d = load_dataset("digits", Split::Train);
    const AnnMatrix p = hopfield_dataset_patterns(d, 12, 0.5f);
    REQUIRE(p.rows() == 12);
    REQUIRE(p.cols() == 64);
    // Row k < 10 is the first sample of class k, rows 10 and 11 the second of classes 0, 1.
    auto nth_of_class = [&](int cls, int nth) {
        for (int64_t i = 0; i < d.size(); ++i)
            if (d.labels[size_t(i)] == cls && nth-- == 0) return i;
        return int64_t(-1);
    };
    const std::vector<std::pair<int, int>> want = {{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0},
                                                   {6, 0}, {7, 0}, {8, 0}, {9, 0}, {0, 1}, {1, 1}};
    for (int k = 0; k < 12; ++k) {
        const int64_t i = nth_of_class(want[size_t(k)].first, want[size_t(k)].second);
        REQUIRE(i >= 0);
        for (int j = 0; j < 64; ++j)
            CHECK(p(k, j) == (d.sample(i)[j] > 0.5f ? 1.0f : -1.0f));
    }
    CHECK_THROWS_AS(hopfield_dataset_patterns(d, d.size() + 1, 0.5f), InputError);
    CHECK_THROWS_AS(hopfield_dataset_patterns(d, 3, 0.0f), InputError);
    CHECK_THROWS_AS(hopfield_dataset_patterns(d, 3, std::nanf("")), InputError);

    // The trainer stores them and takes n from the data set.
    Scratch s;
    write_text(s / "h.yaml", "type: hopfield\ndataset: digits\npatterns: {source: dataset, count: 3}\n");
    TrainOptions o;
    o.out_dir = s / "h";
    const auto j = train_ann(s / "h.yaml", o);
    CHECK(j["n"] == 64);
    CHECK(j["source"] == "digits");
    CHECK(load_hopfield(s / "h").patterns == p.topRows(3));
    write_text(s / "bad.yaml", "type: hopfield\nn: 100\ndataset: digits\n"
                               "patterns: {source: dataset, count: 3}\n");
    CHECK_THROWS_AS(train_ann(s / "bad.yaml", o), InputError);
}

TEST_CASE("The pseudo-inverse rule recalls correlated digit images that Hebbian storage loses",
          "[ann][hopfield][data]") {
    // Ten binarised MNIST digits share most of their background: Hebbian storage merges them
    // into one mixture state, the projection rule keeps each one a fixed point.
    const AnnMatrix p = hopfield_dataset_patterns(load_dataset("mnist", Split::Train, 400), 10, 0.5f);
    const auto hebb = hopfield_store(p, HopfieldRule::Hebbian);
    const auto proj = hopfield_store(p, HopfieldRule::PseudoInverse);
    CHECK(proj.weight.isApprox(proj.weight.transpose(), 1e-4f));
    CHECK(proj.weight.diagonal().isZero());
    for (int64_t k = 0; k < 10; ++k) {  // each pattern is a fixed point: its field has its sign
        const Eigen::VectorXf h = proj.weight * p.row(k).transpose();
        CHECK((h.array() * p.row(k).transpose().array() > 0).all());
    }
    CHECK(hopfield_recall_rate(proj, 0.1, 0.95, false, 7) == 1.0);
    CHECK(hopfield_recall_rate(hebb, 0.1, 0.95, false, 7) < 0.5);

    // The rule is saved with the network and read back.
    Scratch s;
    save_hopfield(proj, s / "net", {{"flip", 0.1}});
    CHECK(load_hopfield(s / "net").rule == HopfieldRule::PseudoInverse);
    write_text(s / "h.yaml", "type: hopfield\ndataset: digits\nrule: oja\n"
                             "patterns: {source: dataset, count: 3}\n");
    TrainOptions o;
    o.out_dir = s / "h";
    CHECK_THROWS_AS(train_ann(s / "h.yaml", o), InputError);
}

TEST_CASE("Hopfield storage rejects non-binary patterns", "[ann][hopfield][errors]") {
    AnnMatrix p(1, 3);
    p << 1, 0.5, -1;
    CHECK_THROWS_AS(hopfield_store(p), InputError);
}

TEST_CASE("Bad model files give InputErrors that say what and where", "[ann][errors]") {
    Scratch s;
    auto expect = [&](const std::string& yaml, const std::string& needle) {
        write_text(s / "bad.yaml", yaml);
        try {
            load_ann(s / "bad.yaml");
            FAIL("no error for: " << needle);
        } catch (const InputError& e) {
            INFO(e.what());
            CHECK(std::string(e.what()).find(needle) != std::string::npos);
            CHECK(!e.fix().empty());
        }
    };
    expect("input_shape: [4]\nlayers:\n  - {kind: convolve}\n", "unknown layer kind");
    expect("input_shape: [4]\nlayers:\n  - {kind: conv2d, out_channels: 2, kernel: 3}\n", "conv2d needs");
    expect("input_shape: [4]\nlayers: []\n", "no 'layers:'");
    expect("layers:\n  - {kind: relu}\n", "input_shape");
    expect("input_shape: [4]\nlayers:\n  - {kind: dense}\n", "units");
    expect("input_shape: [4]\nlayers:\n  - {kind: relu}\ntraining: {optimizer: rmsprop}\n", "optimizer");
    expect("input_shape: [4\n", "YAML");
    // Weights of the wrong shape, with NaN, missing, or in a corrupt file.
    write_npz(s / "w.npz", {{"w", Tensor::from(std::vector<float>(6, 0.f), {3, 2})},
                            {"b", Tensor::from(std::vector<float>(2, 0.f), {2})},
                            {"nan", Tensor::from(std::vector<float>{0, NAN, 0, 0, 0, 0, 0, 0}, {2, 4})}});
    expect("input_shape: [4]\nlayers:\n  - {kind: dense, name: d, units: 2, weight: 'w.npz:w', bias: 'w.npz:b'}\n",
           "shape");
    expect("input_shape: [4]\nlayers:\n  - {kind: dense, name: d, units: 2, weight: 'w.npz:nan', bias: 'w.npz:b'}\n",
           "NaN");
    expect("input_shape: [4]\nlayers:\n  - {kind: dense, name: d, units: 2, weight: 'w.npz:zz', bias: 'w.npz:b'}\n",
           "no array 'zz'");
    write_text(s / "corrupt.npz", "PK\x03\x04 this is not a zip archive");
    CHECK_THROWS_AS(load_ann((write_text(s / "c.yaml",
                                         "input_shape: [4]\nlayers:\n  - {kind: dense, name: d, units: 2, "
                                         "weight: 'corrupt.npz:w', bias: 'corrupt.npz:b'}\n"),
                              s / "c.yaml")),
                    InputError);
    CHECK_THROWS_AS(load_ann(s / "does-not-exist.yaml"), InputError);
}

TEST_CASE("Inputs of the wrong width and unknown data sets are rejected", "[ann][errors]") {
    auto m = model_from_yaml("input_shape: [4]\nlayers:\n  - {kind: dense, name: d, units: 2}\n");
    CHECK_THROWS_AS(forward(m, AnnMatrix::Zero(2, 5)), InputError);
    CHECK_THROWS_AS(ann_loss(m, AnnMatrix::Zero(2, 4), AnnMatrix::Zero(2, 3), "mse", nullptr), InputError);
    const Dataset digits = load_dataset("digits", Split::Test, 10);
    AnnOptimizer opt;
    AnnFitOptions fo;
    CHECK_THROWS_AS(fit_ann(m, digits, opt, fo), InputError);  // 64 values vs 4
    Scratch s;
    write_text(s / "m.yaml", kDigitsLogreg);
    TrainOptions o;
    o.data = "no-such-set";
    CHECK_THROWS_AS(train_ann(s / "m.yaml", o), InputError);
}

TEST_CASE("is_snn_model tells ANN models from spiking networks", "[ann][io]") {
    Scratch s;
    write_text(s / "a.yaml", kDigitsLogreg);
    write_text(s / "s.yaml", "populations: []\n");
    write_text(s / "x.yaml", "foo: 1\n");
    CHECK_FALSE(is_snn_model(s / "a.yaml"));
    CHECK(is_snn_model(s / "s.yaml"));
    CHECK_THROWS_AS(is_snn_model(s / "x.yaml"), InputError);
    CHECK_THROWS_AS(is_snn_model(s / "none.yaml"), InputError);
}

TEST_CASE("A validation hold-out is evenly spread, stratified and reported as such",
          "[ann][train][validation]") {
    // 50 samples stored class by class (5 classes of 10): a fraction of 0.2 holds out
    // samples 4, 9, 14, ..., two of every class.
    Dataset ds;
    ds.name = "toy";
    ds.split = Split::Train;
    ds.sample_shape = {1};
    for (int i = 0; i < 50; ++i) {
        ds.images.push_back(float(i));
        ds.labels.push_back(i / 10);
    }
    const HeldOut h = hold_out(ds, 0.2);
    REQUIRE(h.validation.size() == 10);
    REQUIRE(h.train.size() == 40);
    for (int64_t k = 0; k < h.validation.size(); ++k) {
        CHECK(h.validation.images[size_t(k)] == float(5 * k + 4));
        CHECK(h.validation.labels[size_t(k)] == int32_t(k / 2));
    }
    for (const float x : h.train.images) CHECK(int(x) % 5 != 4);
    // Classes interleaved (0, 1, 2, 3, 4, 0, 1, ...): still two of every class, the 5th
    // and 10th of each, not every 5th sample (which would all be of class 4).
    Dataset mixed = ds;
    for (int i = 0; i < 50; ++i) mixed.labels[size_t(i)] = i % 5;
    const HeldOut hm = hold_out(mixed, 0.2);
    REQUIRE(hm.validation.size() == 10);
    std::vector<int> per_class(5, 0);
    for (const int32_t y : hm.validation.labels) ++per_class[size_t(y)];
    CHECK(per_class == std::vector<int>(5, 2));
    CHECK(hm.validation.images[0] == 20.0f);  // 5th sample of class 0: 0, 5, 10, 15, 20
    for (const double bad : {0.0, 1.0, -0.1, 1.5, std::nan("")})
        CHECK_THROWS_AS(hold_out(ds, bad), InputError);
    CHECK_THROWS_AS(hold_out(ds, 0.01), InputError);  // 50 x 0.01 leaves nothing held out

    // Training with a hold-out measures on it, never on the test split.
    Scratch s;
    write_text(s / "m.yaml", kDigitsLogreg);
    TrainOptions o;
    o.seed = 3;
    o.max_train = 400;
    o.epochs = 2;
    o.validation = 0.25;
    o.out_dir = s / "v";
    const auto jv = train_ann(s / "m.yaml", o);
    CHECK(jv["evaluated_on"] == "validation");
    // Per class, floor(n_c / 4) of the first 400 training digits are held out.
    const Dataset first = load_dataset("digits", Split::Train, 400);
    std::vector<int64_t> n_c(10, 0);
    for (const int32_t y : first.labels) ++n_c[size_t(y)];
    int64_t held = 0;
    for (const int64_t n : n_c) held += n / 4;
    CHECK(jv["samples"] == held);
    CHECK(jv["train_samples"] == 400 - held);
    o.validation = 0;
    o.out_dir = s / "t";
    const auto jt = train_ann(s / "m.yaml", o);
    CHECK(jt["evaluated_on"] == "test");
    CHECK(jt["samples"] == load_dataset("digits", Split::Test).size());
    o.validation = 2.0;
    CHECK_THROWS_AS(train_ann(s / "m.yaml", o), InputError);
}
