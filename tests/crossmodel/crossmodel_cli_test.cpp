// `spikeforge run --backend systemc` end to end: the same predictions and counters as the
// functional backend, the cycle-level fields in --json and the text report, every step's
// cycles with --record cycles, and VCD waveforms with --trace.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "sf/compiler/compile.hpp"
#include "sf/core/graph.hpp"
#include "sf_test_util.hpp"

using sf_test::run_cli;

TEST_CASE("spikeforge run --backend systemc reports cycles and agrees with the functional backend",
          "[crossmodel][systemc][cli]") {
    sf_test::ScratchDir dir;
    const sf::Graph g = sf::load_network(std::string(SF_SOURCE_DIR) + "/networks/digits-snn");
    sf::save_chip_image(sf::compile(g, sf::load_chip("sf1")).image, dir / "image");

    const auto f = run_cli("run " + dir / "image" + " --samples 3 --json");
    REQUIRE(f.code == 0);
    const auto s = run_cli("run " + dir / "image" + " --samples 3 --json --backend systemc " +
                           "--record cycles --trace " + dir / "w.vcd" + " --trace-tiles '0,0;1,0'");
    INFO(s.output);
    REQUIRE(s.code == 0);
    const auto jf = nlohmann::json::parse(f.output), js = nlohmann::json::parse(s.output);
    CHECK(js["backend"] == "systemc");
    CHECK(js["predicted"] == jf["predicted"]);
    CHECK(js["output_counts"] == jf["output_counts"]);
    for (const auto& kv : jf["counters"].items())
        if (kv.key() != "cycles") CHECK(js["counters"][kv.key()] == kv.value());
    const uint64_t cycles = js["cycles"];
    CHECK(cycles == js["counters"]["cycles"]);
    CHECK(cycles > 0);
    const auto& per = js["cycles_per_step"];
    REQUIRE(per["all"].size() == 3);
    uint64_t sum = 0;
    for (const auto& sample : per["all"])
        for (const auto& c : sample) sum += c.get<uint64_t>();
    CHECK(sum == cycles);
    CHECK(per["min"].get<uint64_t>() <= per["max"].get<uint64_t>());
    CHECK(js["latency_us_per_step"]["mean"].get<double>() > 0);
    CHECK(js["tiles"].size() == 16);
    CHECK(js["noc"]["flit_hops"] == jf["counters"]["hops_ew"].get<uint64_t>() +
                                       jf["counters"]["hops_ns"].get<uint64_t>());
    CHECK(js["energy_pj"]["by_kind"].contains("static"));
    std::ifstream vcd(dir / "w.vcd");
    std::string text((std::istreambuf_iterator<char>(vcd)), std::istreambuf_iterator<char>());
    CHECK(text.find("$enddefinitions") != std::string::npos);
    CHECK(text.find("busy_o") != std::string::npos);
    CHECK(text.find("tile_1_0") != std::string::npos);
    CHECK(text.find("tile_1_1") == std::string::npos);
    // Signals under their blocks' hierarchical names (docs/microarchitecture.md §12).
    CHECK(text.find("$scope module controller $end") != std::string::npos);
    CHECK(text.find("$scope module router $end") != std::string::npos);
    CHECK(text.find("update_neuron") != std::string::npos);

    const auto t = run_cli("run " + dir / "image" + " --samples 2 --backend systemc");
    REQUIRE(t.code == 0);
    CHECK(t.output.find("backend   systemc") != std::string::npos);
    CHECK(t.output.find("cycles    ") != std::string::npos);
    CHECK(t.output.find("latency   ") != std::string::npos);
    CHECK(t.output.find("(x, y)  busy") != std::string::npos);

    const auto bad = run_cli("run " + dir / "image" + " --samples 1 --backend systemc --trace-tiles 9,9");
    CHECK(bad.code != 0);
    CHECK(bad.output.find("--trace-tiles") != std::string::npos);
}

TEST_CASE("spikeforge run --backend systemc --threads N gives the one-process JSON and reports N",
          "[crossmodel][systemc][cli][threads]") {
    sf_test::ScratchDir dir;
    const sf::Graph g = sf::load_network(std::string(SF_SOURCE_DIR) + "/networks/digits-snn");
    sf::save_chip_image(sf::compile(g, sf::load_chip("sf1")).image, dir / "image");
    nlohmann::json one;
    for (int threads : {1, 3}) {
        const auto r = run_cli("run " + dir / "image" + " --samples 7 --json --backend systemc " +
                               "--record cycles --threads " + std::to_string(threads));
        INFO(r.output);
        REQUIRE(r.code == 0);
        nlohmann::json j = nlohmann::json::parse(r.output);
        CHECK(j["threads"] == threads);  // 7 samples: one chunk per process
        for (const char* k : {"threads", "wall_s"}) j.erase(k);
        if (threads == 1)
            one = j;
        else
            CHECK(j == one);
    }
    // Waveforms come from one chip, so a traced run stays in one process.
    const auto t = run_cli("run " + dir / "image" + " --samples 3 --json --backend systemc " +
                           "--threads 3 --trace " + dir / "w.vcd");
    REQUIRE(t.code == 0);
    CHECK(nlohmann::json::parse(t.output)["threads"] == 1);
}
