// Feedback alignment and DFA chosen in a model.yaml (training.rule) and trained by
// `spikeforge train`: the rule really replaces W^T, the angles are reported per epoch, a
// seed fixes everything, and bad rules are refused in one message.
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "sf/core/error.hpp"
#include "sf/core/tensor.hpp"
#include "sf/reference/ann.hpp"
#include "sf/reference/ann_train.hpp"
#include "sf/reference/feedback_alignment.hpp"
#include "sf/reference/train_api.hpp"

using Catch::Matchers::Contains;

namespace {

std::string source(const std::string& rel) {
    return std::string(SF_SOURCE_DIR) + "/" + rel;
}

std::string read(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

nlohmann::json last_json(const std::string& out) {
    return nlohmann::json::parse(
        out.substr(out.rfind("\n{") == std::string::npos ? 0 : out.rfind("\n{") + 1));
}

}  // namespace

TEST_CASE("FA and DFA replace backprop's signal below the output layer only",
          "[course][nobp][train]") {
    sf::AnnModel m = sf::load_ann(source("networks/digits-nobp/fa.yaml"));
    sf::init_ann(m, 3);
    sf::AnnMatrix x = sf::AnnMatrix::Random(16, 64), y = sf::AnnMatrix::Zero(16, 10);
    for (int b = 0; b < 16; ++b) y(b, b % 10) = 1.0f;
    sf::AnnGradients bp, fa, dfa;
    bp.want_input = fa.want_input = dfa.want_input = false;
    sf::ann_loss(m, x, y, "cross_entropy", &bp);
    sf::AnnFeedback f(m);
    fa.feedback = f;
    sf::ann_loss(m, x, y, "cross_entropy", &fa);
    sf::AnnModel md = m;
    md.training.rule = "dfa";
    sf::AnnFeedback d(md);
    dfa.feedback = d;
    sf::ann_loss(md, x, y, "cross_entropy", &dfa);
    // Layers: flatten, fc1, relu, fc2, relu, fc3, softmax. The output layer's own gradient
    // is the rule-free dW = e^T a; the hidden layers' differ from backprop's.
    CHECK(fa.params[5][0] == bp.params[5][0]);
    CHECK(dfa.params[5][0] == bp.params[5][0]);
    CHECK(fa.params[3][0] != bp.params[3][0]);
    CHECK(fa.params[1][0] != bp.params[1][0]);
    CHECK(dfa.params[3][0] != fa.params[3][0]);
    // The signals and feedback matrices of a fresh random B lie far from backprop's.
    const auto sig = f.take_signal_angles_deg();
    REQUIRE(sig.size() == 2);
    for (double a : sig) CHECK(a > 60.0);
    for (double a : f.weight_angles_deg(m)) CHECK(std::abs(a - 90.0) < 15.0);
    // The sums were reset.
    CHECK(f.take_signal_angles_deg()[0] == 90.0);
}

TEST_CASE("spikeforge train with rule: fa learns the digits and reports the angles per epoch",
          "[course][nobp][train][cli]") {
    sf_test::ScratchDir dir;
    const auto r = sf_test::run_cli("train " + source("networks/digits-nobp/fa.yaml") +
                                    " --seed 1 --json -o " + (dir / "net"));
    INFO(r.output);
    REQUIRE(r.code == 0);
    const auto j = last_json(r.output);
    CHECK(j["rule"] == "fa");
    CHECK(j["feedback_seed"] == 1);
    CHECK(j["accuracy"].get<double>() > 0.93);  // 96.62% measured (bp: 97.75%)
    REQUIRE(j["history"].size() == 20);
    for (const auto& h : j["history"]) {
        REQUIRE(h["signal_angle_deg"].size() == 2);
        REQUIRE(h["weight_angle_deg"].size() == 2);
    }
    // Alignment: the signals to both hidden layers fall well below 90 degrees (61.5 and
    // 70.8 measured), and the forward weights turn towards B over training.
    const auto &first = j["history"][0], &last = j["history"][19];
    for (int l = 0; l < 2; ++l) {
        CHECK(last["signal_angle_deg"][l].get<double>() < 78.0);
        CHECK(last["weight_angle_deg"][l].get<double>() <
              first["weight_angle_deg"][l].get<double>());
    }
    // The trained network keeps its rule, and evaluates to the same accuracy.
    CHECK_THAT(read(dir / "net/network.yaml"), Contains("rule: fa"));
    const auto e = sf_test::run_cli("eval " + (dir / "net") + " --json");
    REQUIRE(e.code == 0);
    CHECK(last_json(e.output)["accuracy"] == j["accuracy"]);
}

TEST_CASE("The same seeds give the same FA run, another feedback_seed another one",
          "[course][nobp][train][cli]") {
    sf_test::ScratchDir dir;
    const std::string fa = read(source("networks/digits-nobp/fa.yaml"));
    sf_test::write_text(dir / "a.yaml", fa);
    sf_test::write_text(dir / "b.yaml", sf_test::edit(fa, "feedback_seed: 1", "feedback_seed: 2"));
    auto train = [&](const std::string& f) {
        const auto r = sf_test::run_cli("train " + (dir / f) +
                                        " --seed 4 --epochs 2 --max-train 400 --json -o " +
                                        (dir / (f + ".out")));
        INFO(r.output);
        REQUIRE(r.code == 0);
        return last_json(r.output);
    };
    const auto a1 = train("a.yaml");
    std::filesystem::remove_all(dir.path / "a.yaml.out");
    const auto a2 = train("a.yaml");
    const auto b = train("b.yaml");
    CHECK(a1["history"] == a2["history"]);
    CHECK(a1["accuracy"] == a2["accuracy"]);
    CHECK(a1["history"] != b["history"]);
}

TEST_CASE("spikeforge train with rule: dfa and rule: backprop on the digits",
          "[course][nobp][train][cli]") {
    sf_test::ScratchDir dir;
    const auto d = sf_test::run_cli("train " + source("networks/digits-nobp/dfa.yaml") +
                                    " --seed 1 --json -o " + (dir / "dfa"));
    INFO(d.output);
    REQUIRE(d.code == 0);
    const auto jd = last_json(d.output);
    CHECK(jd["rule"] == "dfa");
    CHECK(jd["accuracy"].get<double>() > 0.93);  // 97.75% measured
    for (int l = 0; l < 2; ++l)
        CHECK(jd["history"][19]["signal_angle_deg"][l].get<double>() < 75.0);
    const auto b = sf_test::run_cli("train " + source("networks/digits-nobp/bp.yaml") +
                                    " --seed 1 --json -o " + (dir / "bp"));
    REQUIRE(b.code == 0);
    const auto jb = last_json(b.output);
    CHECK(jb["rule"] == "backprop");
    CHECK_FALSE(jb.contains("feedback_seed"));
    CHECK_FALSE(jb["history"][0].contains("signal_angle_deg"));
    CHECK(jb["accuracy"].get<double>() > 0.9);
}

TEST_CASE("A bad training rule gets one clear error", "[course][nobp][train][cli]") {
    sf_test::ScratchDir dir;
    const std::string fa = read(source("networks/digits-nobp/fa.yaml"));
    SECTION("an unknown rule names the key and the choices") {
        sf_test::write_text(dir / "m.yaml", sf_test::edit(fa, "rule: fa", "rule: hebb"));
        const auto r = sf_test::run_cli("train " + (dir / "m.yaml") + " -o " + (dir / "o"));
        CHECK(r.code == 1);
        CHECK_THAT(r.output, Contains("unknown training rule 'hebb'"));
        CHECK_THAT(r.output, Contains("training.rule"));
        CHECK_THAT(r.output, Contains("backprop, fa"));
    }
    SECTION("fa on a CNN names the convolution") {
        const std::string cnn = read(source("networks/fmnist-cnn/model.yaml"));
        sf_test::write_text(dir / "m.yaml",
                            sf_test::edit(cnn, "lr_decay: 0.8}", "lr_decay: 0.8, rule: fa}"));
        const auto r = sf_test::run_cli("train " + (dir / "m.yaml") + " -o " + (dir / "o"));
        CHECK(r.code == 1);
        CHECK_THAT(r.output, Contains("rule: fa trains multilayer perceptrons"));
        CHECK_THAT(r.output, Contains("'conv1' is conv2d"));
        CHECK_THAT(r.output, Contains("use rule: backprop"));
    }
    SECTION("dfa without a hidden layer") {
        const std::string lr = read(source("networks/digits-logreg/model.yaml"));
        sf_test::write_text(dir / "m.yaml", sf_test::edit(lr, "weight_decay: 0.0005}",
                                                          "weight_decay: 0.0005, rule: dfa}"));
        const auto r = sf_test::run_cli("train " + (dir / "m.yaml") + " -o " + (dir / "o"));
        CHECK(r.code == 1);
        CHECK_THAT(r.output, Contains("needs a hidden layer"));
    }
    SECTION("feedback_seed without a feedback rule, and a negative one") {
        sf_test::write_text(dir / "m.yaml", sf_test::edit(fa, "rule: fa, ", "rule: backprop, "));
        auto r = sf_test::run_cli("train " + (dir / "m.yaml") + " -o " + (dir / "o"));
        CHECK(r.code == 1);
        CHECK_THAT(r.output, Contains("feedback_seed is set but rule is backprop"));
        sf_test::write_text(dir / "m.yaml",
                            sf_test::edit(fa, "feedback_seed: 1", "feedback_seed: -3"));
        r = sf_test::run_cli("train " + (dir / "m.yaml") + " -o " + (dir / "o"));
        CHECK(r.code == 1);
        CHECK_THAT(r.output, Contains("feedback_seed = -3 must be >= 0"));
    }
    CHECK_FALSE(std::filesystem::exists(dir.path / "o"));
}

TEST_CASE("An FA run resumed from its checkpoint ends bit for bit where an uninterrupted one does",
          "[course][nobp][train][checkpoint]") {
    sf_test::ScratchDir s;
    sf::TrainOptions o;
    o.seed = 5;
    o.max_train = 300;
    o.max_test = 50;
    o.epochs = 4;
    o.out_dir = s / "full";
    const auto full = sf::train_ann(source("networks/digits-nobp/dfa.yaml"), o);
    o.out_dir = s / "part";
    o.epochs = 2;
    o.checkpoint_every = 1;
    sf::train_ann(source("networks/digits-nobp/dfa.yaml"), o);
    REQUIRE(std::filesystem::exists(s.path / "part/checkpoint/state.json"));
    CHECK_THAT(read(s / "part/checkpoint/network.yaml"), Contains("rule: dfa"));
    o.epochs = 4;
    o.checkpoint_every = 0;
    o.out_dir = s / "resumed";
    o.resume_dir = s / "part/checkpoint";
    const auto resumed = sf::train_ann(source("networks/digits-nobp/dfa.yaml"), o);
    const auto a = sf::read_npz(s / "full/weights.npz"), b = sf::read_npz(s / "resumed/weights.npz");
    for (const char* k : {"fc1.weight", "fc2.weight", "fc3.weight", "fc3.bias"}) {
        INFO(k);
        CHECK(a.at(k).bytes == b.at(k).bytes);
    }
    CHECK(resumed["accuracy"] == full["accuracy"]);
    // The resumed run's epochs 3 and 4 report the same angles as the uninterrupted run's.
    REQUIRE(resumed["history"].size() == 2);
    CHECK(resumed["history"][1]["signal_angle_deg"] == full["history"][3]["signal_angle_deg"]);
    CHECK(resumed["history"][1]["weight_angle_deg"] == full["history"][3]["weight_angle_deg"]);
}
