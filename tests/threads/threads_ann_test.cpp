// ANN training and evaluation split over threads give the same bits for any count: each
// training batch runs in fixed blocks of 32 samples whose gradients are added in block
// order, and evaluation runs fixed blocks of 256 samples whose counts are merged in block
// order (ann_train.hpp).
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "sf/reference/ann.hpp"
#include "sf/reference/ann_hopfield.hpp"
#include "sf/reference/ann_train.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/train_api.hpp"
#include "sf_test_util.hpp"

namespace fs = std::filesystem;

namespace {

// A temporary directory holding one model file, removed at the end of the test.
struct ModelDir {
    fs::path dir;
    ModelDir(const std::string& tag, const std::string& yaml) {
        dir = fs::temp_directory_path() /
              ("sf_threads_ann_" + tag + "_" + std::to_string(::getpid()));
        fs::create_directories(dir);
        std::ofstream(dir / "model.yaml") << yaml;
    }
    ~ModelDir() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::string model() const { return (dir / "model.yaml").string(); }
};

// Every parameter of the model, layer by layer, in one vector.
std::vector<float> all_params(const sf::AnnModel& m) {
    std::vector<float> all;
    for (const auto& l : m.layers)
        for (const auto& p : l.params) all.insert(all.end(), p.value.begin(), p.value.end());
    return all;
}

struct Trained {
    std::vector<float> params;
    std::vector<sf::AnnEpochStat> stats;
};

// Two epochs of `threads`-thread training on the first n digits from the same seed, with
// the layer times booked into `times` when given. feedback: with a hook (which leaves the
// gradients as they are) the trainer runs every layer on its own, never a fused conv block.
Trained train(const std::string& model_file, int threads, int64_t n,
              sf::AnnLayerTimes* times = nullptr, bool feedback = false) {
    sf::AnnModel m = sf::load_ann(model_file);
    const sf::Dataset data = sf::load_dataset("digits", sf::Split::Train, n);
    sf::AnnOptimizer opt;
    sf::AnnFitOptions fo;
    fo.epochs = 2;
    fo.seed = 11;
    fo.threads = threads;
    fo.layer_times = times;
    if (feedback)
        fo.feedback = [](size_t, const sf::AnnMatrix&, const sf::AnnMatrix&, sf::AnnMatrix&) {};
    Trained t;
    t.stats = sf::fit_ann(m, data, opt, fo);
    t.params = all_params(m);
    return t;
}

void check_same(const Trained& a, const Trained& b, size_t expected_params) {
    REQUIRE(a.params.size() == expected_params);
    REQUIRE(b.params.size() == a.params.size());
    CHECK(std::memcmp(a.params.data(), b.params.data(), a.params.size() * sizeof(float)) == 0);
    REQUIRE(a.stats.size() == b.stats.size());
    for (size_t e = 0; e < a.stats.size(); ++e) {
        CHECK(std::memcmp(&a.stats[e].loss, &b.stats[e].loss, sizeof(float)) == 0);
        CHECK(a.stats[e].accuracy == b.stats[e].accuracy);
    }
}

// Two conv blocks (max and average pooling) and a dense layer: 9 layers.
const char* kCnn = R"(name: digits-cnn-train-threads
input_shape: [1, 8, 8]
dataset: digits
layers:
  - {kind: conv2d, name: conv1, out_channels: 6, kernel: 3, padding: 1}
  - {kind: relu}
  - {kind: maxpool, kernel: 2}
  - {kind: conv2d, name: conv2, out_channels: 8, kernel: 3, padding: 1}
  - {kind: relu}
  - {kind: avgpool, kernel: 2}
  - {kind: flatten}
  - {kind: dense, name: fc1, units: 10}
  - {kind: softmax}
training: {optimizer: sgd, lr: 0.05, momentum: 0.9, batch: 96, epochs: 2, loss: cross_entropy, augmentation: shift}
)";

}  // namespace

TEST_CASE("MLP training gives bit-identical weights on 1, 2 and 4 threads",
          "[threads][ann][train]") {
    // Batches of 100: blocks of 32, 32, 32 and 4 rows, with dropout masks drawn per block.
    const ModelDir d("mlp", R"(name: digits-mlp-threads
input_shape: [64]
dataset: digits
layers:
  - {kind: dense, name: fc1, units: 40}
  - {kind: relu}
  - {kind: dropout, rate: 0.2}
  - {kind: dense, name: fc2, units: 10}
  - {kind: softmax}
training: {optimizer: adam, lr: 0.01, batch: 100, epochs: 2, loss: cross_entropy}
)");
    const Trained t1 = train(d.model(), 1, 300);
    const Trained t2 = train(d.model(), 2, 300);
    const Trained t4 = train(d.model(), 4, 300);
    check_same(t1, t2, 64 * 40 + 40 + 40 * 10 + 10);
    check_same(t1, t4, 64 * 40 + 40 + 40 * 10 + 10);
    // It learned something, so the comparison is of weights that moved.
    CHECK(t1.stats.back().loss < t1.stats.front().loss);
}

TEST_CASE("CNN training gives bit-identical weights on 1, 2 and 4 threads",
          "[threads][ann][train]") {
    const ModelDir d("cnn", kCnn);
    // 200 samples: batches of 96, 96 and 8 (three blocks, three blocks, one short block).
    const Trained t1 = train(d.model(), 1, 200);
    const Trained t2 = train(d.model(), 2, 200);
    const Trained t4 = train(d.model(), 4, 200);
    const size_t n = 6 * 9 + 6 + 8 * 6 * 9 + 8 + 10 * 8 * 2 * 2 + 10;
    check_same(t1, t2, n);
    check_same(t1, t4, n);
}

TEST_CASE("A run's later epochs, on the buffers of its first, give the bits of a resumed run",
          "[threads][ann][train]") {
    // One run keeps its batch buffers, blocks and workspaces (conv planes among them) from
    // epoch to epoch; a run resumed at epoch 1 starts with fresh ones. The short last
    // batch (8 of 200) leaves buffers sized for it when the next epoch's full batches come.
    const ModelDir d("epochs", kCnn);
    const Trained whole = train(d.model(), 1, 200);
    sf::AnnModel m = sf::load_ann(d.model());
    const sf::Dataset data = sf::load_dataset("digits", sf::Split::Train, 200);
    sf::AnnOptimizer opt;
    sf::AnnFitOptions fo;
    fo.seed = 11;
    fo.threads = 1;
    fo.epochs = 1;
    Trained parts;
    parts.stats = sf::fit_ann(m, data, opt, fo);
    fo.first_epoch = 1;
    fo.epochs = 2;
    const auto second = sf::fit_ann(m, data, opt, fo);
    parts.stats.insert(parts.stats.end(), second.begin(), second.end());
    parts.params = all_params(m);
    check_same(whole, parts, 6 * 9 + 6 + 8 * 6 * 9 + 8 + 10 * 8 * 2 * 2 + 10);
}

TEST_CASE("the trainer's layer times book every layer and change no bit",
          "[threads][ann][train]") {
    const ModelDir d("times", kCnn);
    const size_t n = 6 * 9 + 6 + 8 * 6 * 9 + 8 + 10 * 8 * 2 * 2 + 10;
    for (const bool feedback : {false, true}) {
        CAPTURE(feedback);
        sf::AnnLayerTimes one, two;
        const Trained plain = train(d.model(), 1, 200, nullptr, feedback);
        const Trained timed = train(d.model(), 1, 200, &one, feedback);
        check_same(plain, timed, n);
        check_same(plain, train(d.model(), 2, 200, &two, feedback), n);
        REQUIRE(one.forward.size() == 9);
        REQUIRE(one.backward.size() == 9);
        // A fused block is booked on its conv layer; run layer by layer, the ReLU and the
        // pooling have times of their own.
        for (const size_t i : {size_t(0), size_t(3), size_t(7)}) {
            CHECK(one.forward[i] > 0);
            CHECK(one.backward[i] > 0);
        }
        for (const size_t i : {size_t(1), size_t(2), size_t(4), size_t(5)}) {
            CHECK((one.forward[i] > 0) == feedback);
            CHECK((one.backward[i] > 0) == feedback);
        }
        CHECK(one.step > 0);
        CHECK(two.step > 0);
        // On one thread, the parts fit inside the epochs' own time.
        double booked = one.step;
        for (size_t i = 0; i < 9; ++i) {
            CHECK(one.forward[i] >= 0);
            CHECK(one.backward[i] >= 0);
            booked += one.forward[i] + one.backward[i];
        }
        const double epochs = timed.stats[0].seconds + timed.stats[1].seconds;
        CHECK(booked <= epochs);
    }
}

TEST_CASE("autoencoder training with mse and input noise is bit-identical on 1 and 3 threads",
          "[threads][ann][train]") {
    const ModelDir d("ae", R"(name: digits-dae-threads
input_shape: [64]
dataset: digits
layers:
  - {kind: dense, name: enc, units: 16}
  - {kind: sigmoid}
  - {kind: dense, name: dec, units: 64}
training: {optimizer: adam, lr: 0.01, batch: 70, epochs: 2, loss: mse, target: input, noise: 0.2}
)");
    const Trained t1 = train(d.model(), 1, 150);
    const Trained t3 = train(d.model(), 3, 150);
    check_same(t1, t3, 64 * 16 + 16 + 16 * 64 + 64);
}

TEST_CASE("LSTM and RNN training give bit-identical weights on 1 and 2 threads",
          "[threads][ann][train]") {
    // Each 8x8 digit read row by row: 8 steps of 8 pixels. Perceptron loss on the RNN.
    const ModelDir l("lstm", R"(name: digits-lstm-threads
input_shape: [8, 8]
dataset: digits
layers:
  - {kind: lstm, name: lstm, units: 12}
  - {kind: dense, name: fc, units: 10}
  - {kind: softmax}
training: {optimizer: adam, lr: 0.01, batch: 80, epochs: 2, loss: cross_entropy}
)");
    check_same(train(l.model(), 1, 200), train(l.model(), 2, 200),
               4 * 12 * 8 + 4 * 12 * 12 + 4 * 12 + 12 * 10 + 10);
    const ModelDir r("rnn", R"(name: digits-rnn-threads
input_shape: [8, 8]
dataset: digits
layers:
  - {kind: rnn, name: rnn, units: 9, return_sequences: true}
  - {kind: dense, name: fc, units: 10}
training: {optimizer: sgd, lr: 0.01, momentum: 0.5, batch: 50, epochs: 2, loss: perceptron}
)");
    check_same(train(r.model(), 1, 160), train(r.model(), 2, 160),
               9 * 8 + 9 * 9 + 9 + 10 * 9 * 8 + 10);
}

TEST_CASE("a training batch of one block gives ann_loss's own gradient step",
          "[threads][ann][train]") {
    // Batches of at most 32 rows are one block, computed exactly as ann_loss computes a
    // whole batch: one SGD step by hand from ann_loss equals fit_ann's first step.
    const ModelDir d("one", R"(name: digits-one-block
input_shape: [64]
dataset: digits
layers:
  - {kind: dense, name: fc1, units: 12}
  - {kind: tanh}
  - {kind: dense, name: fc2, units: 10}
training: {optimizer: sgd, lr: 0.1, momentum: 0.0, batch: 32, epochs: 1, loss: cross_entropy}
)");
    const sf::Dataset data = sf::load_dataset("digits", sf::Split::Train, 32);
    sf::AnnModel a = sf::load_ann(d.model());
    sf::init_ann(a, 3);
    sf::AnnModel b = a;
    sf::AnnOptimizer oa, ob;
    sf::AnnFitOptions fo;
    fo.epochs = 1;
    fo.seed = 3;
    fo.threads = 2;
    sf::fit_ann(a, data, oa, fo);
    // fit_ann's batch is the 32 samples in epoch 0's shuffled order (its seeding and
    // Fisher-Yates, repeated here); the next draw of the same generator seeds dropout.
    std::vector<int64_t> idx(32);
    for (int64_t i = 0; i < 32; ++i) idx[size_t(i)] = i;
    std::mt19937_64 rng(fo.seed * 1000003ULL + 0ULL * 7919ULL + 17ULL);
    for (int64_t i = 31; i > 0; --i) {
        const int64_t j = int64_t(rng() % uint64_t(i + 1));
        std::swap(idx[size_t(i)], idx[size_t(j)]);
    }
    sf::AnnMatrix x(32, 64), y = sf::AnnMatrix::Zero(32, 10);
    for (int64_t r = 0; r < 32; ++r) {
        std::copy(data.sample(idx[size_t(r)]), data.sample(idx[size_t(r)]) + 64, x.row(r).data());
        y(r, data.labels[size_t(idx[size_t(r)])]) = 1.0f;
    }
    sf::AnnGradients g;
    g.want_input = false;
    sf::ann_loss(b, x, y, "cross_entropy", &g, true, rng());
    ob.kind = "sgd";
    ob.apply(b, g, b.training, b.training.lr);
    const auto pa = all_params(a), pb = all_params(b);
    REQUIRE(pa.size() == pb.size());
    CHECK(std::memcmp(pa.data(), pb.data(), pa.size() * sizeof(float)) == 0);
}

TEST_CASE("ANN evaluation gives the same accuracy and confusion on 1 and 2 threads",
          "[threads][ann][eval]") {
    const ModelDir d("eval", R"(name: digits-eval-threads
input_shape: [64]
dataset: digits
layers:
  - {kind: dense, name: fc1, units: 30}
  - {kind: relu}
  - {kind: dense, name: fc2, units: 10}
training: {optimizer: adam, lr: 0.01, batch: 64, epochs: 1, loss: cross_entropy}
)");
    sf::AnnModel m = sf::load_ann(d.model());
    sf::init_ann(m, 5);
    const sf::Dataset train = sf::load_dataset("digits", sf::Split::Train, 500);
    sf::AnnOptimizer opt;
    sf::AnnFitOptions fo;
    fo.epochs = 8;
    sf::fit_ann(m, train, opt, fo);
    // The training split, for its size: blocks of 256 samples, the last one short.
    const sf::Dataset test = sf::load_dataset("digits", sf::Split::Train);
    REQUIRE(test.size() > 4 * 256);
    REQUIRE(test.size() % 256 != 0);
    const sf::AnnEvalResult r1 = sf::evaluate_ann(m, test, -1, 12345, 1);
    const sf::AnnEvalResult r2 = sf::evaluate_ann(m, test, -1, 12345, 2);
    const sf::AnnEvalResult r4 = sf::evaluate_ann(m, test, -1, 12345, 4);
    CHECK(r1.samples == test.size());
    CHECK(r1.accuracy > 0.5);
    for (const auto* r : {&r2, &r4}) {
        CHECK(r->accuracy == r1.accuracy);
        CHECK(r->confusion == r1.confusion);
        CHECK(r->per_class == r1.per_class);
    }
}

TEST_CASE("denoising autoencoder evaluation gives the same MSE bits on 1 and 2 threads",
          "[threads][ann][eval]") {
    const ModelDir d("evalae", R"(name: digits-evalae-threads
input_shape: [64]
dataset: digits
layers:
  - {kind: dense, name: enc, units: 16}
  - {kind: relu}
  - {kind: dense, name: dec, units: 64}
training: {optimizer: adam, lr: 0.01, batch: 64, epochs: 1, loss: mse, target: input, noise: 0.3}
)");
    sf::AnnModel m = sf::load_ann(d.model());
    sf::init_ann(m, 6);
    const sf::Dataset test = sf::load_dataset("digits", sf::Split::Train);
    const sf::AnnEvalResult r1 = sf::evaluate_ann(m, test, -1, 12345, 1);
    const sf::AnnEvalResult r2 = sf::evaluate_ann(m, test, -1, 12345, 2);
    REQUIRE(r1.reconstruction);
    CHECK(r1.reconstruction_mse > 0.0);
    CHECK(std::memcmp(&r1.reconstruction_mse, &r2.reconstruction_mse, sizeof(double)) == 0);
}

TEST_CASE("spikeforge train and eval of an ANN report their threads and agree across counts",
          "[threads][ann][cli]") {
    const ModelDir d("cli", R"(name: digits-cli-ann-threads
input_shape: [64]
dataset: digits
layers:
  - {kind: dense, name: fc1, units: 24}
  - {kind: relu}
  - {kind: dense, name: fc2, units: 10}
training: {optimizer: adam, lr: 0.01, batch: 64, epochs: 1, loss: cross_entropy}
)");
    std::vector<std::string> evals;
    for (int threads : {1, 2}) {
        const std::string net = (d.dir / ("net" + std::to_string(threads))).string();
        const sf_test::Ran t =
            sf_test::run_cli("train " + d.model() + " --max-train 256 --max-test 100 --threads " +
                             std::to_string(threads) + " --json -o " + net);
        INFO(t.output);
        REQUIRE(t.code == 0);
        CHECK(t.output.find("\"threads\":" + std::to_string(threads)) != std::string::npos);
        const sf_test::Ran e =
            sf_test::run_cli("eval " + net + " --threads " + std::to_string(threads) + " --json");
        INFO(e.output);
        REQUIRE(e.code == 0);
        const auto j = nlohmann::json::parse(e.output.substr(e.output.find('{')));
        CHECK(j["threads"] == threads);
        evals.push_back(j["confusion"].dump() + " " + j["accuracy"].dump());
    }
    CHECK(evals[0] == evals[1]);
    // The weights written by the two runs are the same file, byte for byte.
    std::ifstream a(d.dir / "net1" / "weights.npz", std::ios::binary),
        b(d.dir / "net2" / "weights.npz", std::ios::binary);
    const std::string wa{std::istreambuf_iterator<char>(a), {}},
        wb{std::istreambuf_iterator<char>(b), {}};
    CHECK(!wa.empty());
    CHECK(wa == wb);
    const sf_test::Ran z = sf_test::run_cli("eval " + (d.dir / "net1").string() + " --threads 0");
    CHECK(z.code != 0);
    CHECK(z.output.find("--threads") != std::string::npos);
    const sf_test::Ran zt =
        sf_test::run_cli("train " + d.model() + " --threads -2 -o " + (d.dir / "net0").string());
    CHECK(zt.code != 0);
    CHECK(zt.output.find("--threads") != std::string::npos);
}

TEST_CASE("Hopfield recall and capacity give the same numbers on 1, 2 and 4 threads",
          "[threads][ann][hopfield]") {
    const sf::AnnMatrix pats = sf::hopfield_random_patterns(24, 160, 11);
    for (sf::HopfieldRule rule : {sf::HopfieldRule::Hebbian, sf::HopfieldRule::PseudoInverse}) {
        const sf::HopfieldNet net = sf::hopfield_store(pats, rule);
        for (bool sync : {false, true}) {
            double m1 = 0;
            const double r1 = sf::hopfield_recall_rate(net, 0.15, 0.95, sync, 3, &m1, 1);
            for (int threads : {2, 4}) {
                double m = 0;
                CHECK(sf::hopfield_recall_rate(net, 0.15, 0.95, sync, 3, &m, threads) == r1);
                CHECK(m == m1);  // the overlaps are summed in pattern order on any count
            }
        }
    }
    const auto c1 = sf::hopfield_capacity(120, {6, 20}, 0.1, 0.95, 2, 9, 1);
    const auto c4 = sf::hopfield_capacity(120, {6, 20}, 0.1, 0.95, 2, 9, 4);
    REQUIRE(c1.size() == c4.size());
    for (size_t i = 0; i < c1.size(); ++i) {
        CHECK(c1[i].recall_rate == c4[i].recall_rate);
        CHECK(c1[i].mean_overlap == c4[i].mean_overlap);
    }
    // The two loads recall differently, so the comparison above is not of constants.
    CHECK(c1[0].recall_rate != c1[1].recall_rate);
}
