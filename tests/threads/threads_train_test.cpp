// Surrogate-gradient SNN training split over 1, 2 and 4 threads gives bit-identical
// gradients and trained weights: the fused trainer splits each layer's neurons into tiles,
// and every sum runs in the same order whatever tile a neuron lands in. ANN-to-SNN
// conversion's calibration (fixed blocks of samples over threads) likewise.
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "sf/core/graph.hpp"
#include "sf/reference/ann.hpp"
#include "sf/reference/convert.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/snn_train.hpp"
#include "sf/reference/train_api.hpp"
#include "sf_test_util.hpp"

namespace fs = std::filesystem;

namespace {

bool same_bits(const Eigen::MatrixXf& a, const Eigen::MatrixXf& b) {
    return a.rows() == b.rows() && a.cols() == b.cols() &&
           std::memcmp(a.data(), b.data(), size_t(a.size()) * sizeof(float)) == 0;
}

sf::Projection dense(const std::string& pre, const std::string& post, int64_t npost, int64_t npre,
                     uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.2f);
    std::vector<float> w(size_t(npost * npre));
    for (float& x : w) x = nd(rng);
    sf::Projection p;
    p.name = pre + "_" + post;
    p.kind = sf::ProjectionKind::Dense;
    p.pre = pre;
    p.post = post;
    p.weights = sf::Tensor::from<float>(w, {npost, npre});
    return p;
}

sf::Population population(const std::string& name, sf::NeuronKind kind, int64_t n) {
    sf::Population p;
    p.name = name;
    p.kind = kind;
    p.shape = {n};
    p.params.decay_u = 0.5f;
    p.params.decay_v = 0.1f;
    p.params.threshold = 0.5f;
    p.params.reset = sf::ResetMode::Subtract;
    return p;
}

}  // namespace

TEST_CASE("SNN training gradients are bit-identical on 1, 2, 3 and 4 threads",
          "[threads][snn][train]") {
    const int T = 16, B = 9;
    sf::Graph g;
    g.name = "threads";
    g.timesteps = T;
    g.populations.push_back(population("in", sf::NeuronKind::Input, 90));
    g.populations.push_back(population("h1", sf::NeuronKind::LIF, 300));  // five tiles of 64
    g.populations.push_back(population("h2", sf::NeuronKind::LIF, 130));
    sf::Population out = population("out", sf::NeuronKind::LI, 7);
    out.output = true;
    g.populations.push_back(out);
    g.projections.push_back(dense("in", "h1", 300, 90, 1));
    g.projections.push_back(dense("h1", "h2", 130, 300, 2));
    g.projections.push_back(dense("h2", "out", 7, 130, 3));
    const sf::SnnChain c = sf::snn_chain(g);
    sf::SnnTraining tr;
    tr.readout = "membrane";
    std::mt19937_64 rng(4);
    std::bernoulli_distribution bit(0.3);
    Eigen::MatrixXf x(T * B, 90);
    for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = bit(rng) ? 1.0f : 0.0f;
    const sf::SnnSpikeBatch in = sf::spike_batch_from_dense(x, T, B);
    const std::vector<int32_t> labels{0, 1, 2, 3, 4, 5, 6, 0, 1};
    std::vector<Eigen::MatrixXf> base, grads;
    Eigen::MatrixXf base_logits, logits;
    const float base_loss = sf::snn_loss_fused(g, c, tr, in, labels, &base, &base_logits, 1);
    for (const auto& gw : base) CHECK(gw.norm() > 0);
    for (int threads : {2, 3, 4}) {
        INFO("threads " << threads);
        const float loss = sf::snn_loss_fused(g, c, tr, in, labels, &grads, &logits, threads);
        CHECK(std::memcmp(&loss, &base_loss, sizeof loss) == 0);
        CHECK(same_bits(logits, base_logits));
        REQUIRE(grads.size() == base.size());
        for (size_t l = 0; l < grads.size(); ++l) CHECK(same_bits(grads[l], base[l]));
    }
}

TEST_CASE("spikeforge train of a spiking network gives the same weights on 1 and 2 threads",
          "[threads][snn][train]") {
    const fs::path dir =
        fs::temp_directory_path() / ("sf_threads_train_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
        std::ofstream f(dir / "model.yaml");
        f << R"(name: digits-threads
timesteps: 8
dataset: digits
encoder: {kind: direct, gain: 1.0}
populations:
  - {name: in, kind: input, shape: [64]}
  - {name: h, kind: lif, size: 100, decay_u: 1.0, decay_v: 0.1, threshold: 1.0, reset: subtract}
  - {name: out, kind: li, size: 10, decay_u: 1.0, decay_v: 0.1, output: true}
projections:
  - {name: fc1, kind: dense, from: in, to: h}
  - {name: fc2, kind: dense, from: h, to: out}
training: {optimizer: adam, lr: 0.003, batch: 32, epochs: 1, readout: membrane}
)";
    }
    std::vector<std::vector<float>> weights;
    std::vector<nlohmann::json> results;
    for (int threads : {1, 2}) {
        sf::TrainOptions o;
        o.seed = 5;
        o.max_train = 200;
        o.max_test = 50;
        o.threads = threads;
        o.out_dir = (dir / ("net" + std::to_string(threads))).string();
        results.push_back(sf::train_snn((dir / "model.yaml").string(), o));
        CHECK(results.back()["threads"] == threads);
        const sf::Graph g = sf::load_network(o.out_dir);
        std::vector<float> all;
        for (const auto& p : g.projections) {
            const auto w = p.weights.to<float>();
            all.insert(all.end(), w.begin(), w.end());
        }
        weights.push_back(all);
    }
    REQUIRE(weights[0].size() == 64 * 100 + 100 * 10);
    CHECK(std::memcmp(weights[0].data(), weights[1].data(), weights[0].size() * sizeof(float)) ==
          0);
    CHECK(results[0]["epochs"][0]["loss"] == results[1]["epochs"][0]["loss"]);
    CHECK(results[0]["accuracy"] == results[1]["accuracy"]);
    fs::remove_all(dir);
}

TEST_CASE("spikeforge train --json reports the threads a spiking network trained on",
          "[threads][cli][train]") {
    const fs::path dir =
        fs::temp_directory_path() / ("sf_threads_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
        std::ofstream f(dir / "model.yaml");
        f << R"(name: digits-threads-cli
timesteps: 4
dataset: digits
encoder: {kind: direct, gain: 1.0}
populations:
  - {name: in, kind: input, shape: [64]}
  - {name: h, kind: lif, size: 70, decay_u: 1.0, decay_v: 0.1, threshold: 1.0, reset: subtract}
  - {name: out, kind: li, size: 10, decay_u: 1.0, decay_v: 0.1, output: true}
projections:
  - {name: fc1, kind: dense, from: in, to: h}
  - {name: fc2, kind: dense, from: h, to: out}
training: {optimizer: adam, lr: 0.003, batch: 16, epochs: 1, readout: membrane}
)";
    }
    const sf_test::Ran r = sf_test::run_cli("train " + (dir / "model.yaml").string() +
                                            " --max-train 64 --max-test 20 --threads 2 --json -o " +
                                            (dir / "net").string());
    INFO(r.output);
    REQUIRE(r.code == 0);
    CHECK(r.output.find("\"threads\":2") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("ANN-to-SNN conversion calibrates to the same bits on 1, 2 and 4 threads",
          "[threads][convert]") {
    const fs::path dir =
        fs::temp_directory_path() / ("sf_threads_conv_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
        std::ofstream f(dir / "cnn.yaml");
        f << R"(name: digits-cnn-threads
input_shape: [1, 8, 8]
dataset: digits
layers:
  - {kind: conv2d, name: conv1, out_channels: 6, kernel: 3, padding: 1}
  - {kind: relu}
  - {kind: maxpool, kernel: 2}
  - {kind: flatten}
  - {kind: dense, name: fc1, units: 20}
  - {kind: relu}
  - {kind: dense, name: fc2, units: 10}
  - {kind: softmax}
training: {optimizer: adam, lr: 0.01, batch: 32, epochs: 1}
)";
    }
    sf::AnnModel m = sf::load_ann((dir / "cnn.yaml").string());
    sf::init_ann(m, 7);
    const sf::Dataset train = sf::load_dataset("digits", sf::Split::Train, 300);
    std::vector<sf::Graph> graphs;
    std::vector<sf::ConvertReport> reports;
    for (int threads : {1, 2, 4}) {
        sf::ConvertOptions co;
        co.norm_samples = 300;  // three calibration blocks, the last one short
        co.threads = threads;
        sf::ConvertReport rep;
        graphs.push_back(sf::convert_ann(m, train, co, &rep));
        reports.push_back(rep);
    }
    REQUIRE(reports[0].layers.size() >= 3);
    for (size_t k = 1; k < graphs.size(); ++k) {
        INFO("run " << k);
        REQUIRE(reports[k].layers.size() == reports[0].layers.size());
        for (size_t i = 0; i < reports[0].layers.size(); ++i)
            CHECK(std::memcmp(&reports[k].layers[i].lambda, &reports[0].layers[i].lambda,
                              sizeof(float)) == 0);
        REQUIRE(graphs[k].projections.size() == graphs[0].projections.size());
        for (size_t p = 0; p < graphs[0].projections.size(); ++p) {
            const auto a = graphs[0].projections[p].weights.to<float>();
            const auto b = graphs[k].projections[p].weights.to<float>();
            REQUIRE(a.size() == b.size());
            // Pooling projections hold no weights (memcmp must not see their null data).
            if (!a.empty()) CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
        }
        for (size_t q = 0; q < graphs[0].populations.size(); ++q) {
            const auto& pa = graphs[0].populations[q];
            const auto& pb = graphs[k].populations[q];
            CHECK(pa.params.bias == pb.params.bias);
            CHECK(bool(pa.bias) == bool(pb.bias));
            if (pa.bias && pb.bias) CHECK(pa.bias->to<float>() == pb.bias->to<float>());
        }
    }
    fs::remove_all(dir);
}
