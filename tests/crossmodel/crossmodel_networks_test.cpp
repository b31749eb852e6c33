// Every spiking network of networks/ compiled onto a preset where it fits, run on a few
// samples of its own data set through the SystemC chip and the functional model: results,
// states, weights (mnist-stdp learns) and counters must agree.
#include <catch2/catch.hpp>

#include <filesystem>

#include "crossmodel_util.hpp"
#include "sf/compiler/compile.hpp"
#include "sf/core/graph.hpp"
#include "sf/functional/functional.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/encoders.hpp"
#include "sf/systemc/systemc_backend.hpp"

namespace {

void check_network(const std::string& net, const std::string& chip, int samples, int steps = 0) {
    const std::string dir = std::string(SF_SOURCE_DIR) + "/networks/" + net;
    const std::string chip_path =
        std::filesystem::exists(dir + "/" + chip) ? dir + "/" + chip : chip;
    const sf::Graph g = sf::load_network(dir);
    const sf::ChipImage img = sf::compile(g, sf::load_chip(chip_path)).image;
    const int T = steps > 0 ? steps : img.timesteps;
    const sf::Dataset ds = sf::load_dataset(img.dataset, sf::Split::Test, samples);
    const sf::SpikeInput in = sf::encode(ds, img.encoder, T, 0, samples);
    sf::RunOptions opt;
    opt.steps = T;
    opt.record = sf::RecordSpikes;
    INFO(net << " on " << chip << ": " << img.cores.size() << " cores, " << samples << " x " << T
             << " steps");
    const sf::RunResult want = sf::run_functional(img, in, opt);
    const sf::RunResult got = sf::run_systemc(img, in, opt);
    REQUIRE(sf_xm::compare(img, want, got, true) == "");
    CHECK(got.counters.cycles > 0);
    CHECK(want.counters.spikes > 0);
}

}  // namespace

TEST_CASE("digits-snn on sf1 gives the functional model's results on the SystemC chip",
          "[crossmodel][systemc][networks]") {
    check_network("digits-snn", "sf1", 4);
}

TEST_CASE("fmnist-snn on sf1 gives the functional model's results on the SystemC chip",
          "[crossmodel][systemc][networks]") {
    check_network("fmnist-snn", "sf1", 2);
}

TEST_CASE("mnist-stdp on its 12-bit sf1 learns the same weights on the SystemC chip",
          "[crossmodel][systemc][networks]") {
    check_network("mnist-stdp", "chip-sf1-w12.yaml", 2, 20);
}

TEST_CASE("fmnist-cnn-snn on loihi-like gives the functional model's results on the SystemC chip",
          "[crossmodel][systemc][networks]") {
    check_network("fmnist-cnn-snn", "loihi-like", 1, 4);
}
