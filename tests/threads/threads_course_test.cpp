// `spikeforge course` with --threads: fi (currents split over threads) and analyse (the
// float reference and the functional emulator split the samples) print byte-identical
// --json on 1, 2 and 4 threads apart from the `threads` field, which says the count used;
// the serial subcommands accept the flag and report 1; a count below 1 is refused.
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

using Catch::Matchers::Contains;
using sf_test::run_cli;

namespace {

// The one JSON line a --json run prints (the last line that starts with '{').
std::string json_line(const std::string& out) {
    const auto at = out.rfind("\n{");
    std::string line = out.substr(at == std::string::npos ? 0 : at + 1);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
}

// The output with its top-level "threads" member cut out, byte for byte otherwise.
std::string without_threads(const std::string& line) {
    static const std::regex field(R"(,"threads":[0-9]+|"threads":[0-9]+,?)");
    return std::regex_replace(line, field, "", std::regex_constants::format_first_only);
}

// Runs `args --threads t --json` for t = 1, 2, 4: the same bytes but for "threads", and
// "threads" equal to expected[t].
void check_same_for_any_count(const std::string& args, const std::vector<int>& expected) {
    const std::vector<int> counts{1, 2, 4};
    std::string first;
    for (size_t k = 0; k < counts.size(); ++k) {
        const auto r = run_cli(args + " --json --threads " + std::to_string(counts[k]));
        INFO(args << " --threads " << counts[k] << "\n" << r.output);
        REQUIRE(r.code == 0);
        const std::string line = json_line(r.output);
        const auto j = nlohmann::json::parse(line);
        REQUIRE(j.contains("threads"));
        CHECK(j["threads"].get<int>() == expected[k]);
        CHECK_FALSE(j.contains("wall_s"));  // no timing field to leave out
        const std::string rest = without_threads(line);
        CHECK(rest.find("\"threads\"") == std::string::npos);
        if (k == 0)
            first = rest;
        else
            CHECK(rest == first);
    }
}

std::string net() {
    return std::string(SF_SOURCE_DIR) + "/networks/digits-snn";
}

}  // namespace

TEST_CASE("course fi splits the currents over threads with the same curve for any count",
          "[threads][course][cli]") {
    // Seven HH currents (a fine step: each current is a 500 ms simulation at 0.01 ms).
    check_same_for_any_count("course fi --model hh --currents 5,6,6.5,8,10,20,50 --duration 500",
                       {1, 2, 4});
    // Fewer currents than threads: one thread per current.
    check_same_for_any_count("course fi --model izhikevich --preset ch --currents 5,10", {1, 2, 2});
}

TEST_CASE("course analyse on the float reference gives the same analysis for any count",
          "[threads][course][cli]") {
    // 300 samples: the first chunk of 256 is 4 batches of 64, so 4 threads are all used;
    // the ablation reruns the network on the same threads.
    check_same_for_any_count("course analyse " + net() + " --samples 300 --ablate hidden:0.5", {1, 2, 4});
}

TEST_CASE("course analyse on the functional emulator gives the same analysis for any count",
          "[threads][course][cli]") {
    check_same_for_any_count("course analyse " + net() +
                           " --backend functional --chip sf1 --samples 60 --ablate hidden:0.25",
                       {1, 2, 4});
}

TEST_CASE("The serial course subcommands take --threads and report one thread",
          "[threads][course][cli]") {
    for (const std::string args :
         {"course neuron --model lif --current 3 --duration 100",
          "course pca --data digits --k 2 --epochs 1 --samples 200",
          "course nobp --rule fa --data digits --hidden 16 --epochs 1 --train 200 --test 100",
          "course eprop --hidden 8 --epochs 1 --repeat 1"}) {
        const auto r = run_cli(args + " --json --threads 4");
        INFO(args << "\n" << r.output);
        REQUIRE(r.code == 0);
        CHECK(nlohmann::json::parse(json_line(r.output))["threads"] == 1);
    }
}

TEST_CASE("course refuses a thread count below one in one message", "[threads][course][cli]") {
    for (const std::string& sub :
         std::vector<std::string>{"neuron", "fi --currents 1,2", "analyse " + net()})
        for (const std::string bad : {"0", "-2"}) {
            const auto r = run_cli("course " + sub + " --threads " + bad + " --json");
            INFO(sub << " --threads " << bad << "\n" << r.output);
            CHECK(r.code != 0);
            CHECK_THAT(r.output, Contains("--threads"));
            CHECK(r.output.find('{') == std::string::npos);  // no JSON printed
        }
}
