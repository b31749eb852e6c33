// Bad network and chip files found by the command-line audit of 2026-11-30: each gives one
// InputError naming the file, line and key, with a fix, instead of being accepted, hanging
// the compiler or coming back without advice.
#include <catch2/catch.hpp>

#include <string>

#include "core_test_util.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/error.hpp"
#include "sf/core/graph.hpp"

using Catch::Matchers::Contains;
using sf::InputError;
using sf_test::TempDir;
using sf_test::write_text;

namespace {

// Loads `yaml` as network.yaml and returns the error it raises ("" if none).
std::string network_error(const TempDir& dir, const std::string& yaml, std::string* fix = nullptr) {
    write_text(dir / "network.yaml", yaml);
    try {
        sf::load_network(dir.str());
    } catch (const InputError& e) {
        if (fix) *fix = e.fix();
        return e.what();
    }
    return "";
}

const char* kPoolNet = R"(name: pool
timesteps: 4
populations:
  - {name: in, kind: input, shape: [1, 4, 4]}
  - {name: c, kind: lif, shape: [1, 2, 2], threshold: 1}
projections:
  - {name: p, kind: sum_pool, from: in, to: c, kernel: KERNEL, padding: PADDING}
)";

std::string pool_net(const std::string& kernel, const std::string& padding) {
    std::string s = kPoolNet;
    s.replace(s.find("KERNEL"), 6, kernel);
    s.replace(s.find("PADDING"), 7, padding);
    return s;
}

}  // namespace

TEST_CASE("A pooling window made of padding is rejected instead of hanging the compiler",
          "[core][graph][errors]") {
    TempDir d;
    // kernel 1e9 with padding 1e9 passed the output-shape check (2 x 2) and the lower pass
    // then looped over 10^18 window positions.
    std::string fix;
    const std::string e = network_error(d, pool_net("1000000000", "1000000000"), &fix);
    CHECK_THAT(e, Contains("network.yaml:7 (projection 'p')"));
    CHECK_THAT(e, Contains("padding [1000000000, 1000000000] must be smaller than the kernel"));
    CHECK_FALSE(fix.empty());
    // Padding no smaller than the kernel, or wider than the input.
    CHECK_THAT(network_error(d, pool_net("2", "2")), Contains("must be smaller than the kernel"));
    CHECK_THAT(network_error(d, pool_net("[2, 9]", "[0, 5]")),
               Contains("no larger than the input"));
    // The ordinary case still loads.
    CHECK(network_error(d, pool_net("2", "0")) == "");
}

TEST_CASE("A key given twice in a network file is an error at the second one",
          "[core][graph][errors]") {
    TempDir d;
    const std::string e = network_error(d, R"(name: t
timesteps: 8
timesteps: 9
populations:
  - {name: in, kind: input, size: 2}
  - {name: out, kind: lif, size: 2, threshold: 1, threshold: 2}
)");
    CHECK_THAT(e, Contains("network.yaml:3 (network)"));
    CHECK_THAT(e, Contains("key 'timesteps' appears twice"));
    const std::string e2 = network_error(d, R"(name: t
populations:
  - {name: in, kind: input, size: 2}
  - {name: out, kind: lif, size: 2, threshold: 1, threshold: 2}
)");
    CHECK_THAT(e2, Contains("network.yaml:4 (population 'out')"));
    CHECK_THAT(e2, Contains("key 'threshold' appears twice"));
}

TEST_CASE("Timesteps beyond 2^24 are refused in network files", "[core][graph][errors]") {
    TempDir d;
    const std::string e = network_error(d, R"(name: t
timesteps: 1000000000
populations:
  - {name: in, kind: input, size: 2}
  - {name: out, kind: lif, size: 2, threshold: 1}
)");
    CHECK_THAT(e, Contains("network.yaml:2 (network)"));
    CHECK_THAT(e, Contains("timesteps = 1000000000 must lie in [1, 2^24]"));
    // Graphs built in memory get the same check.
    sf::Graph g;
    g.name = "t";
    g.timesteps = sf::kMaxTimesteps + 1;
    sf::Population in;
    in.name = "in";
    in.kind = sf::NeuronKind::Input;
    in.shape = {2};
    sf::Population out = in;
    out.name = "out";
    out.kind = sf::NeuronKind::LIF;
    out.output = true;
    g.populations = {in, out};
    CHECK_THROWS_WITH(sf::validate_graph(g), Contains("must lie in [1, 2^24]"));
}

TEST_CASE("Missing keys, wrong types and out-of-range sizes in a network come with a fix",
          "[core][graph][errors]") {
    TempDir d;
    struct Case {
        const char* yaml;
        const char* message;
    };
    const Case cases[] = {
        {"name: t\npopulations:\n  - {name: in, size: 2}\n",
         "network.yaml:3 (population 'in'): missing required key 'kind'"},
        {"populations:\n  - {name: in, kind: input, size: 2}\n", "missing required key 'name'"},
        {"name: t\npopulations:\n  - {name: in, kind: input, size: 2}\n  - {name: o, kind: lif, "
         "size: 2, threshold: abc}\n",
         "network.yaml:4 (population 'o'): 'threshold' must be a number, got 'abc'"},
        {"name: t\npopulations:\n  - {name: in, kind: input, size: 0}\n",
         "size = 0 must lie in [1, 2^31 - 1]"},
        {"name: t\npopulations:\n  - {name: in, kind: input, shape: [2, -3]}\n",
         "shape dimension -3 must be >= 1"},
        {"name: t\ntimesteps: 0\npopulations:\n  - {name: in, kind: input, size: 2}\n",
         "timesteps = 0 must lie in"},
        {"name: t\npopulations: {a: 1}\n", "'populations' must be a non-empty list"},
        {"name: t\nencoder: [rate]\npopulations:\n  - {name: in, kind: input, size: 2}\n",
         "'encoder' must be a mapping"},
    };
    for (const Case& c : cases) {
        INFO(c.yaml);
        std::string fix;
        CHECK_THAT(network_error(d, c.yaml, &fix), Contains(c.message));
        CHECK_FALSE(fix.empty());
    }
}

TEST_CASE("Chip files with a key given twice or a value of the wrong type name a fix",
          "[core][chip][errors]") {
    auto error = [](const std::string& yaml, std::string* fix) {
        try {
            sf::chip_from_yaml(yaml, "chip.yaml");
        } catch (const InputError& e) {
            *fix = e.fix();
            return std::string(e.what());
        }
        return std::string();
    };
    std::string fix;
    CHECK_THAT(error("name: c\nmesh: {width: 2}\nmesh: {width: 3}\n", &fix),
               Contains("chip.yaml:3 (mesh): key 'mesh' appears twice"));
    CHECK_FALSE(fix.empty());
    CHECK_THAT(error("name: c\ncore: {neurons: 4, neurons: 8}\n", &fix),
               Contains("key 'core.neurons' appears twice"));
    CHECK_THAT(
        error("name: c\ncore: {neurons: abc}\n", &fix),
        Contains(
            "chip.yaml:2 (core.neurons): chip setting core.neurons must be an integer, got 'abc'"));
    CHECK(fix == "write an integer in [1, 65536]");
    CHECK_THAT(error("name: c\ncore: {learning: maybe}\n", &fix),
               Contains("must be true or false, got 'maybe'"));
    CHECK(fix == "write true or false");
}
