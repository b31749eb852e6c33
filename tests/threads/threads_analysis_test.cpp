// `spikeforge compare` and `sweep` with --threads: the compiler, the float reference and the
// functional emulator inside them split their work, and the JSON is the same for any count
// apart from the fields that time the run and "threads", which says the count used.
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

using sf_test::run_cli;

namespace {

// The one JSON line a --json run prints (the last line that starts with '{').
nlohmann::json json_of(const std::string& out) {
    const auto at = out.rfind("\n{");
    return nlohmann::json::parse(out.substr(at == std::string::npos ? 0 : at + 1));
}

// The JSON without "threads" and without every member that measures time, at any depth.
nlohmann::json untimed(nlohmann::json j) {
    if (j.is_object()) {
        for (const char* k : {"threads", "wall_s", "inferences_per_s", "timing"}) j.erase(k);
        for (auto& [k, v] : j.items()) v = untimed(v);
    } else if (j.is_array()) {
        for (auto& v : j) v = untimed(v);
    }
    return j;
}

// Runs `args --json --threads t` for each count: the same untimed JSON, and "threads" as
// expected.
void check_same_for_any_count(const std::string& args, const std::vector<int>& counts,
                        const std::vector<int>& expected) {
    nlohmann::json first;
    for (size_t k = 0; k < counts.size(); ++k) {
        const auto r = run_cli(args + " --json --threads " + std::to_string(counts[k]));
        INFO(args << " --threads " << counts[k] << "\n" << r.output);
        REQUIRE(r.code == 0);
        const nlohmann::json j = json_of(r.output);
        REQUIRE(j.contains("threads"));
        CHECK(j["threads"].get<int>() == expected[k]);
        const nlohmann::json rest = untimed(j);
        if (k == 0)
            first = rest;
        else
            CHECK(rest.dump() == first.dump());
    }
}

std::string net() { return std::string(SF_SOURCE_DIR) + "/networks/digits-snn"; }

}  // namespace

TEST_CASE("compare splits the float reference and the functional emulator over threads with "
          "the same report for any count",
          "[threads][compare][cli]") {
    // 120 samples: two float batches of 64, and at least four chunks for the emulator.
    check_same_for_any_count("compare " + net() + " --samples 120", {1, 2, 4}, {1, 2, 4});
}

TEST_CASE("sweep passes the thread count to each point and reports the same points for any "
          "count",
          "[threads][sweep][cli]") {
    check_same_for_any_count("sweep " + net() + " --set core.weight_bits=4,8 --samples 60", {1, 2},
                       {1, 2});
}

TEST_CASE("compare on a cycle-level backend reports the threads its other engines used",
          "[threads][compare][cli]") {
    // SystemC runs its samples on one thread; the float reference beside it still splits.
    const auto r = run_cli("compare " + net() + " --chip sf1-small --samples 70 "
                           "--backends reference,systemc --json --threads 2");
    INFO(r.output);
    if (r.output.find("backend systemc is not built yet") != std::string::npos) {
        CHECK(r.code != 0);
        WARN("SKIPPED: this build has no SystemC backend (libsystemc-dev is not installed)");
        return;
    }
    REQUIRE(r.code == 0);
    CHECK(json_of(r.output)["threads"].get<int>() == 2);
}
