// The command line: spikeforge import and export, and the trained-elsewhere path
// (NIR file → network → chip image → run on the chip).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nir_test_util.hpp"
#include "sf/nir/nir_file.hpp"
#include "sf/reference/encoders.hpp"

using namespace nir_test;
using sf_test::run_cli;

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("spikeforge import writes a network with its discretization recorded", "[nir]") {
    sf_test::ScratchDir dir;
    const auto r =
        run_cli("import " + fixture("cubalif.nir") +
                " --dt 1e-3 --reset subtract --refractory 2 --timesteps 7 -o " + (dir / "net"));
    INFO(r.output);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.output, Catch::Contains("population 'cuba' lif"));
    const sf::Graph g = sf::load_network(dir / "net");
    CHECK(g.timesteps == 7);
    CHECK(g.dt_ms == Approx(1.0f));
    CHECK(g.populations[1].params.reset == sf::ResetMode::Subtract);
    CHECK(g.populations[1].params.refractory_steps == 2);
    const std::string rec = read_text(dir / "net/nir-import.yaml");
    CHECK_THAT(rec, Catch::Contains("method: euler"));
    CHECK_THAT(rec, Catch::Contains("reset: subtract"));
    CHECK_THAT(rec, Catch::Contains("source: \"cubalif.nir\""));
}

TEST_CASE("spikeforge export writes a NIR file that spikeforge import reads back", "[nir]") {
    sf_test::ScratchDir dir;
    auto r = run_cli("export " + std::string(SF_SOURCE_DIR) + "/networks/digits-snn -o " +
                     (dir / "d.nir"));
    INFO(r.output);
    REQUIRE(r.code == 0);
    CHECK_THAT(r.output, Catch::Contains("--reset subtract"));
    const sf::nir::File f = sf::nir::read_nir(dir / "d.nir");
    CHECK(f.version == sf::nir::kNirVersion);
    r = run_cli("import " + (dir / "d.nir") + " --dt 0.001 --reset subtract -o " + (dir / "net"));
    INFO(r.output);
    REQUIRE(r.code == 0);
    const sf::Graph g = sf::load_network(dir / "net");
    CHECK(g.populations.size() == 3);
    CHECK(g.populations[1].kind == sf::NeuronKind::IF);
    // --activity options without --activity are refused.
    r = run_cli("export " + (dir / "net") + " --backend functional -o " + (dir / "x.nir"));
    CHECK(r.code == 1);
    CHECK_THAT(r.output, Catch::Contains("--activity"));
}

TEST_CASE("A network trained elsewhere runs from its NIR file on the chip and records NIRData",
          "[nir]") {
    sf_test::ScratchDir dir;
    const std::string model = std::string(SF_SOURCE_DIR) + "/networks/snntorch-cubalif/model.nir";
    auto r =
        run_cli("import " + model +
                " --dt 1e-4 --reset subtract --timesteps 32 --dataset digits -o " + (dir / "net"));
    INFO(r.output);
    REQUIRE(r.code == 0);
    r = run_cli("compile " + (dir / "net") + " --chip sf1 -o " + (dir / "img"));
    INFO(r.output);
    REQUIRE(r.code == 0);
    // Spikes of every population, on the chip and in float, for two input samples.
    const sf::SpikeInput in = random_input(64, 2, 32, 0.3, 3);
    sf::write_spike_file(dir / "in.npz", in);
    for (const char* backend : {"functional", "reference"}) {
        INFO(backend);
        r = run_cli("export " + (dir / "net") + " --activity --backend " + backend + " --input " +
                    (dir / "in.npz") + " -o " + (dir / (std::string(backend) + ".nir")));
        INFO(r.output);
        REQUIRE(r.code == 0);
        const sf::nir::Recording rec =
            sf::nir::read_nir_data(dir / (std::string(backend) + ".nir"));
        CHECK(rec.dt == Approx(1e-4));
        REQUIRE(rec.observables.size() == 3);
        for (const auto& o : rec.observables) {
            CHECK(o.samples == 2);
            CHECK(o.steps == 32);
        }
    }
}

TEST_CASE("spikeforge import of a malformed file prints one message, exits 1 and writes nothing",
          "[nir]") {
    sf_test::ScratchDir dir;
    for (const char* f : {"bad_cycle.nir", "bad_not_hdf5.nir", "bad_missing_field.nir"}) {
        INFO(f);
        const auto r = run_cli("import " + fixture(f) + " -o " + (dir / "net"));
        CHECK(r.code == 1);
        CHECK_THAT(r.output, Catch::StartsWith("spikeforge: error: "));
        CHECK_THAT(r.output, Catch::Contains("fix: "));
        CHECK_FALSE(std::filesystem::exists(dir / "net"));
        CHECK(std::distance(std::filesystem::directory_iterator(dir.path), {}) == 0);
    }
    const auto r = run_cli("import " + fixture("linear_lif.nir") + " --reset half -o " +
                                    (dir / "net"));
    CHECK(r.code == 1);
    CHECK_THAT(r.output, Catch::Contains("--reset"));
}
