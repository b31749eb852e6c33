// Command-line values (issue 7): numbers out of range are refused rather than saturated,
// empty values are refused rather than taken as not given, every message names the option,
// its range and a fix; --record takes comma lists and repeats; run reports recorded data
// per population and warns when --steps differs from a spike file's length.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_test_util.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using sf_cli_test::Run;
using sf_cli_test::Sandbox;
using sf_cli_test::slurp;

TEST_CASE("Numbers out of range are refused with the option, its range and a fix",
          "[cli][args]") {
    Sandbox sb;
    struct Case {
        std::string args, option, range;
    };
    const Case cases[] = {
        {"compile net -o a.img --seed 18446744073709551616", "--seed",
         "from 0 to 18446744073709551615"},
        {"compile net -o a.img --seed -1", "--seed", "from 0 to 18446744073709551615"},
        {"compile net -o a.img --seed 1e3", "--seed", "from 0 to"},
        {"compile net -o a.img --seed 0x10", "--seed", "from 0 to"},
        {"eval net --samples 9223372036854775808", "--samples", "from 1 to 9223372036854775807"},
        {"simulate net --samples 0", "--samples", "from 1 to"},
        {"simulate net --steps 16777217", "--steps", "from 1 to 16777216"},
        {"run a.img --samples 2147483648", "--samples", "from 1 to 2147483647"},
        {"run a.img --first -1", "--first", "from 0 to 2147483647"},
        {"run a.img --steps 0", "--steps", "from 1 to 16777216"},
        {"train net -o t --epochs -2", "--epochs", "from 0 to"},
        {"train net -o t --max-train 99999999999999999999", "--max-train", "from 1 to"},
        {"convert net -o c --timesteps 0", "--timesteps", "from 1 to 16777216"},
        {"convert net -o c --curve 10,0", "--curve", "from 1 to"},
    };
    for (const auto& c : cases) {
        INFO(c.args);
        const Run r = sb.run(c.args);
        CHECK(r.rc != 0);
        CHECK(r.signal == 0);
        CHECK_THAT(r.err, Contains(c.option) && Contains(c.range) && Contains("fix:"));
        // One short message, not a 310-digit bound.
        CHECK(r.err.size() < 300);
        CHECK_THAT(r.err, !Contains("179769313486231570814527"));
    }
    CHECK_FALSE(fs::exists(sb.dir / "a.img"));
}

TEST_CASE("A leading zero is a decimal digit, not octal", "[cli][args]") {
    Sandbox sb;
    const Run r = sb.run("compile net -o a.img --seed 010 --json");
    INFO(r.err);
    REQUIRE(r.rc == 0);
    CHECK(slurp(sb.dir / "a.img/image.yaml").find("seed: 10\n") != std::string::npos);
}

TEST_CASE("Empty option values are refused, not taken as not given", "[cli][args]") {
    Sandbox sb;
    REQUIRE(sb.run("compile net -o a.img").rc == 0);
    for (const std::string args :
         {"run a.img --data ''", "run a.img --input ''", "run a.img --out ''",
          "compile net -o ''", "compile net --chip '' -o b.img", "eval net --data ''",
          "run a.img --record ''"}) {
        INFO(args);
        const Run r = sb.run(args);
        CHECK(r.rc != 0);
        CHECK_THAT(r.err, Contains("empty") && Contains("fix:"));
    }
    CHECK_FALSE(fs::exists(sb.dir / "b.img"));
}

TEST_CASE("run --record takes a comma list and repeated options alike", "[cli][args][record]") {
    Sandbox sb;
    REQUIRE(sb.run("compile net -o a.img").rc == 0);
    const Run comma = sb.run("run a.img --input spikes.npz --record u,v,spikes --json");
    INFO(comma.err);
    REQUIRE(comma.rc == 0);
    const Run repeated =
        sb.run("run a.img --input spikes.npz --record u --record v --record spikes --json");
    REQUIRE(repeated.rc == 0);
    const auto a = nlohmann::json::parse(comma.out), b = nlohmann::json::parse(repeated.out);
    CHECK(a["recorded"] == b["recorded"]);
    const auto& s0 = a["recorded"]["samples"][0];
    CHECK(s0.contains("raster"));
    CHECK(s0.contains("u"));
    CHECK(s0.contains("v"));
    const Run bad = sb.run("run a.img --input spikes.npz --record u,w");
    CHECK(bad.rc != 0);
    CHECK_THAT(bad.err, Contains("'w'") && Contains("spikes, u, v"));
}

TEST_CASE("Recorded data names populations and neuron indices, matching the chip's view",
          "[cli][record]") {
    Sandbox sb;
    REQUIRE(sb.run("compile net -o a.img").rc == 0);
    const Run r = sb.run("run a.img --input spikes.npz --record spikes,u,v --out rec.json");
    INFO(r.err);
    REQUIRE(r.rc == 0);
    const auto j = nlohmann::json::parse(slurp(sb.dir / "rec.json"));
    const auto& rec = j["recorded"];
    REQUIRE(rec["populations"].size() == 3);
    CHECK(rec["populations"][1]["name"] == "h");
    CHECK(rec["populations"][0]["on_chip"] == false);
    const auto& s0 = rec["samples"][0];
    const auto& h = s0["by_population"]["h"];
    const auto& out = s0["by_population"]["out"];
    REQUIRE(h["u"].size() == 8);
    CHECK(h["u"][0].size() == 5);
    CHECK(out["v"][0].size() == 3);
    CHECK_FALSE(s0["by_population"].contains("in"));
    // Every chip spike appears once under its population, and the output population's
    // spikes are the output spikes.
    size_t chip_spikes = 0;
    for (const auto& step : s0["raster"]) chip_spikes += step.size();
    CHECK(chip_spikes == h["spikes"].size() + out["spikes"].size());
    size_t outputs = 0;
    for (const auto& step : s0["output_spikes"]) outputs += step.size();
    CHECK(outputs == out["spikes"].size());
    CHECK(chip_spikes > 0);
    for (const auto& sp : out["spikes"]) {
        const int t = sp[0], i = sp[1];
        bool found = false;
        for (const auto& o : s0["output_spikes"][t]) found |= int(o) == i;
        CHECK(found);
    }
}

TEST_CASE("run warns when --steps differs from the spike file's length", "[cli][args]") {
    Sandbox sb;
    REQUIRE(sb.run("compile net -o a.img").rc == 0);
    const Run longer = sb.run("run a.img --input spikes.npz --steps 12");
    INFO(longer.err);
    REQUIRE(longer.rc == 0);
    CHECK_THAT(longer.err, Contains("warning: --steps 12 differs from the 8 steps") &&
                               Contains("steps 8..11 run with no input"));
    const Run shorter = sb.run("run a.img --input spikes.npz --steps 5 --json");
    REQUIRE(shorter.rc == 0);
    const auto j = nlohmann::json::parse(shorter.out);
    REQUIRE(j["warnings"].size() == 1);
    CHECK_THAT(j["warnings"][0].get<std::string>(), Contains("steps 5..7 are not run"));
    const Run same = sb.run("run a.img --input spikes.npz --steps 8 --json");
    REQUIRE(same.rc == 0);
    CHECK(nlohmann::json::parse(same.out)["warnings"].empty());
}

TEST_CASE("train --resume with a directory in place of a checkpoint file names it",
          "[cli][args]") {
    Sandbox sb;
    fs::create_directories(sb.dir / "ck/network.yaml");
    std::ofstream(sb.dir / "ck/state.json") << "{}";
    const Run r = sb.run("train net -o t --resume ck");
    CHECK(r.rc != 0);
    CHECK_THAT(r.err, Contains("network.yaml is not a regular file") && Contains("fix:"));
    CHECK_THAT(r.err, !Contains("basic_filebuf"));
}
