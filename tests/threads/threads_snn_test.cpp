// Float simulation and `eval` over samples on 1, 2 and 4 threads give bit-identical
// results, and the CLI refuses a thread count below 1 with one clear error.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

#include "sf/core/graph.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/snn.hpp"
#include "sf/reference/train_api.hpp"
#include "sf_test_util.hpp"

namespace {

const std::string kDigitsSnn = std::string(SF_SOURCE_DIR) + "/networks/digits-snn";

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
}

}  // namespace

TEST_CASE("Float simulation gives bit-identical results on 1, 2 and 4 threads", "[threads][snn]") {
    const sf::Graph g = sf::load_network(kDigitsSnn);
    const sf::Dataset ds = sf::load_dataset("digits", sf::Split::Test, 150);
    sf::SnnSimulator sim(g);
    sf::SnnRunOptions o;
    o.batch = 16;  // ten batches, the last one short
    o.record_spikes = o.record_u = o.record_v = true;
    o.threads = 1;
    const sf::SnnResult base = sf::simulate_dataset(sim, ds, 0, 150, o);
    REQUIRE(base.run.samples.size() == 150);
    CHECK(base.run.threads == 1);
    CHECK(base.run.counters.spikes > 0);
    for (int threads : {2, 4}) {
        INFO("threads " << threads);
        o.threads = threads;
        const sf::SnnResult r = sf::simulate_dataset(sim, ds, 0, 150, o);
        CHECK(r.run.threads == threads);
        CHECK(r.run.counters == base.run.counters);
        CHECK(r.population_spikes == base.population_spikes);
        CHECK(r.run.accuracy() == base.run.accuracy());
        REQUIRE(r.run.samples.size() == base.run.samples.size());
        size_t differing = 0;
        for (size_t s = 0; s < r.run.samples.size(); ++s) {
            const auto& x = r.run.samples[s];
            const auto& y = base.run.samples[s];
            const bool same = x.output_spikes == y.output_spikes &&
                              x.output_counts == y.output_counts && x.predicted == y.predicted &&
                              x.label == y.label && same_bits(r.readout[s], base.readout[s]) &&
                              r.records[s].spikes == base.records[s].spikes;
            bool traces = r.records[s].u.size() == base.records[s].u.size();
            for (size_t k = 0; traces && k < r.records[s].u.size(); ++k)
                traces = same_bits(r.records[s].u[k], base.records[s].u[k]) &&
                         same_bits(r.records[s].v[k], base.records[s].v[k]);
            if (!same || !traces) ++differing;
        }
        CHECK(differing == 0);
    }
}

TEST_CASE("eval of a spiking network gives the same JSON on 1, 2 and 4 threads",
          "[threads][eval]") {
    sf::EvalOptions opt;
    opt.samples = 300;
    opt.threads = 1;
    nlohmann::json base = sf::eval_snn(kDigitsSnn, opt);
    CHECK(base["threads"] == 1);
    base.erase("wall_s");
    base.erase("threads");
    for (int threads : {2, 4}) {
        opt.threads = threads;
        nlohmann::json r = sf::eval_snn(kDigitsSnn, opt);
        CHECK(r["threads"] == std::min(threads, 2));  // 300 samples are two batches of 256
        r.erase("wall_s");
        r.erase("threads");
        CHECK(r.dump() == base.dump());
    }
}

TEST_CASE("A thread count of 0 or below is one clear error on every threaded command",
          "[threads][cli]") {
    for (const std::string& cmd :
         {"simulate " + kDigitsSnn + " --samples 5", "eval " + kDigitsSnn + " --samples 5",
          "run " + std::string(SF_SOURCE_DIR) + "/no-such-image", std::string("compile x -o y"),
          std::string("info x"), std::string("train x -o y"), std::string("import x -o y"),
          std::string("export x -o y"), std::string("convert x -o y"), std::string("compare x"),
          std::string("sweep x"), std::string("learn x")})
        for (const std::string bad : {"0", "-1", "two", "1025"}) {
            INFO(cmd << " --threads " << bad);
            const sf_test::Ran r = sf_test::run_cli(cmd + " --threads " + bad);
            CHECK(r.code != 0);
            CHECK(r.output.find("--threads") != std::string::npos);
            CHECK(r.output.find("from 1 to 1024") != std::string::npos);
            CHECK(r.output.find("\n  fix:") != std::string::npos);
        }
}

TEST_CASE("The JSON output reports the thread count used", "[threads][cli]") {
    const sf_test::Ran r =
        sf_test::run_cli("simulate " + kDigitsSnn + " --samples 300 --threads 2 --json");
    REQUIRE(r.code == 0);
    CHECK(r.output.find("\"threads\":2") != std::string::npos);
    const sf_test::Ran e =
        sf_test::run_cli("eval " + kDigitsSnn + " --samples 300 --threads 1 --json");
    REQUIRE(e.code == 0);
    CHECK(e.output.find("\"threads\":1") != std::string::npos);
}
