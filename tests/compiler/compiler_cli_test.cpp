// The compile and info commands through the built binary: summaries, JSON, dumps, and
// that a failed compile exits non-zero with a clear message and writes nothing at -o.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sf/core/tensor.hpp"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

struct Run {
    int rc = -1;
    std::string out, err;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Sandbox {
    fs::path dir;
    Sandbox() {
        dir = fs::temp_directory_path() / ("sf_cli_test_" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir / "net");
        std::ofstream(dir / "net/network.yaml") << R"(
name: cli
timesteps: 8
populations:
  - {name: in, kind: input, size: 6}
  - {name: h, kind: lif, size: 5, threshold: 1.0, decay_u: 0.5, decay_v: 0.1}
  - {name: out, kind: lif, size: 3, threshold: 1.0, output: true}
projections:
  - {name: fc1, kind: dense, from: in, to: h, weights: w.npz:fc1}
  - {name: fc2, kind: dense, from: h, to: out, weights: w.npz:fc2}
)";
        std::vector<float> w1(30), w2(15);
        for (size_t i = 0; i < w1.size(); ++i) w1[i] = float(int(i % 7) - 3) / 3.0f;
        for (size_t i = 0; i < w2.size(); ++i) w2[i] = float(int(i % 5) - 2) / 2.0f;
        sf::write_npz((dir / "net/w.npz").string(), {{"fc1", sf::Tensor::from(w1, {5, 6})},
                                                     {"fc2", sf::Tensor::from(w2, {3, 5})}});
        // A chip whose cores hold only 4 axons: h needs 6.
        std::ofstream(dir / "narrow.yaml") << "name: narrow\ncore:\n  axons: 4\n";
    }
    ~Sandbox() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    Run run(const std::string& args) const {
        Run r;
        const std::string cmd = std::string(SF_SPIKEFORGE_BIN) + " " + args + " > " +
                                (dir / "stdout").string() + " 2> " + (dir / "stderr").string();
        const int st = std::system(cmd.c_str());
        r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        r.out = slurp(dir / "stdout");
        r.err = slurp(dir / "stderr");
        return r;
    }
    std::string p(const std::string& rel) const { return (dir / rel).string(); }
};

}  // namespace

TEST_CASE("compile writes an image and info reads its report back", "[compiler][cli]") {
    Sandbox sb;
    const Run c =
        sb.run("compile " + sb.p("net") + " --chip sf1-small -o " + sb.p("img") + " --seed 3");
    INFO(c.err);
    REQUIRE(c.rc == 0);
    CHECK_THAT(c.out, Contains("cores used"));
    CHECK(fs::exists(sb.p("img/image.yaml")));
    CHECK(fs::exists(sb.p("img/report.json")));

    const Run i = sb.run("info " + sb.p("img"));
    INFO(i.err);
    REQUIRE(i.rc == 0);
    CHECK_THAT(i.out, Contains("cores used") && Contains("synapses"));

    const Run j = sb.run("info " + sb.p("img") + " --json");
    REQUIRE(j.rc == 0);
    const auto r = nlohmann::json::parse(j.out);
    CHECK(r.at("cores_used").get<int>() >= 1);
    CHECK(r.at("passes").size() == 7);
}

TEST_CASE("compile --json prints one object with cores, passes and the image path",
          "[compiler][cli]") {
    Sandbox sb;
    const Run c =
        sb.run("compile " + sb.p("net") + " -o " + sb.p("img") + " --json --dump-after quantize");
    INFO(c.err);
    REQUIRE(c.rc == 0);
    const auto j = nlohmann::json::parse(c.out);
    CHECK(j.at("cores_used").get<int>() >= 1);
    CHECK(j.at("image").get<std::string>() == sb.p("img"));
    REQUIRE(j.at("passes").size() == 7);
    CHECK(j["passes"][1]["pass"] == "quantize");
    CHECK(j["passes"][1]["stats"].contains("max_rel_err"));
    // with --json the dump goes to stderr, so stdout stays one JSON object
    CHECK_THAT(c.err, Contains("# after quantize") && Contains("proj fc1"));
}

TEST_CASE("compile --dump-after prints the IR of that pass on stdout", "[compiler][cli]") {
    Sandbox sb;
    const Run c =
        sb.run("compile " + sb.p("net") + " -o " + sb.p("img") + " --dump-after partition");
    REQUIRE(c.rc == 0);
    CHECK_THAT(c.out, Contains("# after partition") && Contains("group 0 h"));
}

TEST_CASE("A network that does not fit fails with a clear message and writes nothing",
          "[compiler][cli][errors]") {
    Sandbox sb;
    const Run c =
        sb.run("compile " + sb.p("net") + " --chip " + sb.p("narrow.yaml") + " -o " + sb.p("img"));
    CHECK(c.rc != 0);
    CHECK_THAT(c.err, Contains("needs 6 axons, the core has 4") && Contains("core.axons >= 6"));
    CHECK_FALSE(fs::exists(sb.p("img")));
}

TEST_CASE("A malformed network or unknown chip fails and writes nothing",
          "[compiler][cli][errors]") {
    Sandbox sb;
    std::ofstream(sb.dir / "bad.yaml") << "name: bad\npopulations:\n  - {name: a, kind: lif}\n";
    const Run c = sb.run("compile " + sb.p("bad.yaml") + " -o " + sb.p("img"));
    CHECK(c.rc != 0);
    CHECK_THAT(c.err, Contains("error"));
    CHECK_FALSE(fs::exists(sb.p("img")));

    const Run d = sb.run("compile " + sb.p("net") + " --chip no-such-chip -o " + sb.p("img2"));
    CHECK(d.rc != 0);
    CHECK_FALSE(fs::exists(sb.p("img2")));

    const Run e =
        sb.run("compile " + sb.p("net") + " -o " + sb.p("img3") + " --dump-after optimize");
    CHECK(e.rc != 0);
    CHECK_THAT(e.err, Contains("unknown pass 'optimize'"));
    CHECK_FALSE(fs::exists(sb.p("img3")));
}
