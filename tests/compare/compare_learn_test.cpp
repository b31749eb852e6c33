// On-chip learning (spikeforge learn): the Diehl & Cook read-out by hand; a bounded run of
// mnist-stdp-chip whose learned weights must be identical on every chip backend; a short
// learning run that must beat chance and the same network left unlearned; bad options.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "sf/analysis/learn.hpp"
#include "sf_test_util.hpp"

using nlohmann::json;

TEST_CASE("Neurons are labelled by their most responsive class and vote by class means",
          "[compare][learn]") {
    // Three neurons, four labelled samples of classes 0, 1, 0, 2 (3 classes).
    const std::vector<std::vector<int32_t>> counts{{4, 0, 0}, {0, 3, 0}, {2, 0, 0}, {0, 1, 0}};
    const std::vector<int> labels{0, 1, 0, 2};
    const std::vector<int> a = sf::assign_classes(counts, labels, 3);
    // Neuron 0: class 0 mean 3, others 0 -> 0. Neuron 1: class 1 mean 3, class 2 mean 1 -> 1.
    // Neuron 2 never fired -> -1.
    CHECK(a == std::vector<int>{0, 1, -1});
    CHECK(sf::vote({5, 1, 9}, a, 3) == 0);  // neuron 2 is unlabelled: its spikes do not vote
    CHECK(sf::vote({1, 5, 0}, a, 3) == 1);
    CHECK(sf::vote({0, 0, 7}, a, 3) == -1);  // no labelled neuron fired
}

TEST_CASE("Learning on the chip gives identical weights on every chip backend",
          "[compare][learn][cli]") {
    const std::string net = std::string(SF_SOURCE_DIR) + "/networks/mnist-stdp-chip";
    auto r = sf_test::run_cli("learn " + net + " --chip " + net +
                              "/chip-sf1-w16.yaml --train 4 --label 4 --test 4 --check 2 "
                              "--continuous --rest 20 --backends functional,systemc --json");
    if (r.output.find("backend systemc is not built yet") != std::string::npos) {
        WARN("SKIPPED the systemc half: this build has no SystemC backend");
        r = sf_test::run_cli("learn " + net + " --chip " + net +
                             "/chip-sf1-w16.yaml --train 4 --label 4 --test 4 --continuous "
                             "--rest 20 --json");
    }
    INFO(r.output);
    REQUIRE(r.code == 0);
    const json j = json::parse(r.output.substr(r.output.find("{\"agreement")));
    CHECK(j["agreement"]["weights_identical"] == true);
    const json& c = j["on_chip"];
    CHECK(c["learn_updates"].get<uint64_t>() > 0);
    CHECK(c["learning_energy_pj_per_sample"].get<double>() > 0);
    CHECK(c["mean_abs_weight_change_lsb"].get<double>() > 0);  // the weights did move
    CHECK(j["float"]["accuracy"].is_number());
    CHECK(j["float_diehl_cook_reference"]["accuracy"] == 0.8229);
    CHECK(j["continuous"] == true);
    CHECK(j["rest_steps"] == 20);
}

TEST_CASE("mnist-stdp-chip learns on the chip: well above chance and above its unlearned self",
          "[compare][learn][cli]") {
    // 500 training digits streamed through the functional chip, 300 to label, 300 test
    // digits. The control is the same command with one training digit: the initial random
    // weights (a random projection with lateral inhibition and the adaptive threshold
    // already votes well above chance, 10%). Measured when written: 54.7% learned, 46.3%
    // with one training digit (README.md); learning must add at least 5 points.
    const std::string net = std::string(SF_SOURCE_DIR) + "/networks/mnist-stdp-chip";
    const std::string common = "learn " + net + " --chip " + net +
                               "/chip-sf1-w16.yaml --label 300 --test 300 --continuous --rest 20 "
                               "--no-reference --json --train ";
    auto accuracy = [&](int train) {
        const auto r = sf_test::run_cli(common + std::to_string(train));
        INFO(r.output);
        REQUIRE(r.code == 0);
        const json j = json::parse(r.output.substr(r.output.find("{\"agreement")));
        CHECK(j["scored_on"] == "test digits");
        return j["on_chip"]["accuracy"].get<double>();
    };
    const double learned = accuracy(500), control = accuracy(1);
    INFO("learned " << learned << ", control " << control);
    CHECK(learned >= 0.50);  // five times chance
    CHECK(learned >= control + 0.05);
}

TEST_CASE("learn refuses bad presentation options with one clear error", "[compare][learn][cli]") {
    const std::string net = std::string(SF_SOURCE_DIR) + "/networks/mnist-stdp-chip";
    const struct {
        std::string args, message;
    } cases[] = {
        {"learn " + net + " --rest -1", "--rest"},
        {"learn " + net + " --rest 100001", "--rest"},
        {"learn " + net + " --chip " + net + "/chip-sf1-w16.yaml --train 60000 --label 1 "
             "--test 5 --validation --no-reference",
         "--validation needs training digits after the first 60000"},
    };
    for (const auto& c : cases) {
        INFO(c.args);
        const auto r = sf_test::run_cli(c.args);
        INFO(r.output);
        CHECK(r.code != 0);
        CHECK(r.code != 128);
        CHECK(r.output.find("spikeforge: error:") != std::string::npos);
        CHECK(r.output.find(c.message) != std::string::npos);
        CHECK(r.output.find("fix:") != std::string::npos);
    }
}
