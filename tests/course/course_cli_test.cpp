// `spikeforge course ...` end to end: JSON out of each subcommand, files written, and one
// clear error for bad input.
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

using sf_test::run_cli;
using Catch::Matchers::Contains;

TEST_CASE("spikeforge course neuron prints the chattering pattern's spikes as JSON",
          "[course][cli]") {
    const auto r = run_cli("course neuron --model izhikevich --preset ch --current 10 --json");
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.output);
    CHECK(j["spikes"].get<int>() > 20);
    CHECK(j["isi_cv"].get<double>() > 1.0);  // bursts: short and long ISIs
    CHECK(j["current_unit"] == "(dimensionless)");
}

TEST_CASE("spikeforge course fi gives the HH f-I curve with its discontinuous onset",
          "[course][cli]") {
    const auto r = run_cli("course fi --model hh --currents 5,8 --duration 500 --json");
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.output);
    CHECK(j["rate_hz"][0].get<double>() == 0.0);
    CHECK(j["rate_hz"][1].get<double>() > 40.0);
}

TEST_CASE("spikeforge course pca writes the components and reaches the PCA optimum",
          "[course][cli]") {
    sf_test::ScratchDir dir;
    const auto r = run_cli("course pca --data digits --k 3 --json --out " + (dir / "pcs"));
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.output);
    REQUIRE(j["components"].size() == 3);
    for (const auto& c : j["components"])
        CHECK(c["reconstruction_error"].get<double>() < 1.01 * c["optimum"].get<double>());
    CHECK(std::filesystem::exists(dir.path / "pcs" / "pc2.pgm"));
    // The error-against-k table beside the images holds the JSON's numbers.
    std::ifstream csv(dir / "pcs/reconstruction.csv");
    std::string line;
    REQUIRE(std::getline(csv, line));
    CHECK(line == "k,reconstruction_error,optimum,abs_cos_to_eigenvector");
    for (const auto& c : j["components"]) {
        REQUIRE(std::getline(csv, line));
        CHECK(std::stoi(line) == c["k"].get<int>());
        const double err = std::stod(line.substr(line.find(',') + 1));
        CHECK(err == Approx(c["reconstruction_error"].get<double>()).epsilon(1e-5));
    }
    // An 8x8 image: the P2 header.
    std::ifstream pgm(dir / "pcs/pc0.pgm");
    REQUIRE(std::getline(pgm, line));
    CHECK(line == "P2");
    REQUIRE(std::getline(pgm, line));
    CHECK(line == "8 8");
}

TEST_CASE("spikeforge course analyse reports tuning, information and the ablation drop",
          "[course][cli]") {
    const auto r = run_cli("course analyse " + std::string(SF_SOURCE_DIR) +
                           "/networks/digits-snn --samples 100 --ablate hidden:1 --json");
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.output);
    CHECK(j["outputs"].size() == 10);
    CHECK(j["ablation"]["accuracy"].get<double>() == 0.0);
    CHECK(j["ablation"]["accuracy_drop"].get<double>() == Approx(j["accuracy"].get<double>()));
}

TEST_CASE("spikeforge course refuses an unknown model and a bad ablation with one message",
          "[course][cli]") {
    auto r = run_cli("course neuron --model quadratic");
    CHECK(r.code == 1);
    CHECK_THAT(r.output, Contains("unknown course neuron model 'quadratic'"));
    CHECK_THAT(r.output, Contains("fix:"));
    r = run_cli("course analyse " + std::string(SF_SOURCE_DIR) +
                "/networks/digits-snn --ablate out:0.5");
    CHECK(r.code == 1);
    CHECK_THAT(r.output, Contains("output population"));
    r = run_cli("course nobp --rule sgd --data digits");
    CHECK(r.code == 1);
    CHECK_THAT(r.output, Contains("use bp, fa or dfa"));
}

TEST_CASE("spikeforge course nobp and eprop train and report per epoch as JSON", "[course][cli]") {
    auto r = run_cli("course nobp --rule dfa --data digits --hidden 32,32 --epochs 2 --json");
    REQUIRE(r.code == 0);
    auto j = nlohmann::json::parse(r.output);
    REQUIRE(j["epochs"].size() == 2);
    CHECK(j["epochs"][1]["signal_angle_deg"].size() == 2);
    CHECK(j["epochs"][1]["test_accuracy"].get<double>() > 0.3);
    r = run_cli("course eprop --rule eprop --epochs 1 --hidden 32 --json");
    REQUIRE(r.code == 0);
    j = nlohmann::json::parse(r.output);
    REQUIRE(j["epochs"].size() == 1);
    CHECK(j["epochs"][0]["test_accuracy"].get<double>() > 0.2);
    r = run_cli("course eprop --rule rtrl");
    CHECK(r.code == 1);
    CHECK_THAT(r.output, Contains("use eprop, eprop-random or bptt"));
}

TEST_CASE("spikeforge course analyse reads a chip run (functional backend) like a float run",
          "[course][cli]") {
    const auto r = run_cli("course analyse " + std::string(SF_SOURCE_DIR) +
                           "/networks/digits-snn --samples 100 --backend functional --json");
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(r.output);
    CHECK(j["backend"] == "functional");
    CHECK(j["accuracy"].get<double>() > 0.9);
    CHECK(j["outputs"].size() == 10);
    CHECK(j["mi_prediction_bits"].get<double>() > 2.0);
}

TEST_CASE("spikeforge compile refuses a course neuron kind the chip cannot run, naming the "
          "chip's neurons",
          "[course][cli]") {
    sf_test::ScratchDir dir;
    const std::string src = std::string(SF_SOURCE_DIR) + "/networks/digits-snn/";
    std::ifstream in(src + "network.yaml");
    const std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    sf_test::write_text(dir / "network.yaml",
                        sf_test::edit(yaml, "{name: hidden, kind: if", "{name: hidden, kind: izhikevich"));
    std::filesystem::copy_file(src + "weights.npz", dir / "weights.npz");
    const auto r = run_cli("compile " + dir.str() + " -o " + (dir / "img"));
    CHECK(r.code == 1);
    CHECK_THAT(r.output, Contains("izhikevich"));
    CHECK_THAT(r.output, Contains("lif"));  // the fix lists the chip's neurons
    CHECK_FALSE(std::filesystem::exists(dir.path / "img"));
}
