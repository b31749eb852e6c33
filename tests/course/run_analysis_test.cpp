// Analysis of a network run and ablation, on the shipped digits-snn (networks/digits-snn)
// in the float reference: the same RunResult comes back from chip runs.
#include <catch2/catch.hpp>

#include <cmath>

#include "sf/core/error.hpp"
#include "sf/reference/datasets.hpp"
#include "sf/reference/run_analysis.hpp"
#include "sf/reference/snn.hpp"

using namespace sf;
using Catch::Matchers::Contains;

namespace {

const std::string kNet = std::string(SF_SOURCE_DIR) + "/networks/digits-snn";

RunResult run_digits(const Graph& g, int64_t count) {
    SnnSimulator sim(g);
    static const Dataset ds = load_dataset("digits", Split::Test);
    return simulate_dataset(sim, ds, 0, count).run;
}

}  // namespace

TEST_CASE("Analysis of digits-snn: output neuron n prefers digit n and carries information",
          "[course][analysis]") {
    const Graph g = load_network(kNet);
    const RunResult run = run_digits(g, 300);
    const RunAnalysis a = analyse_run(run);
    REQUIRE(a.outputs.size() == 10);
    CHECK(a.num_classes == 10);
    CHECK(a.accuracy > 0.8);
    int own = 0;
    for (int n = 0; n < 10; ++n) {
        const auto& o = a.outputs[size_t(n)];
        own += o.preferred_class == n;
        CHECK(o.mi_bits <= std::log2(10.0) + 1e-9);
        CHECK(o.mi_bits <= o.mi_plugin_bits + 1e-12);  // the correction never adds here
        CHECK(o.rate_per_step >= 0.0);
    }
    CHECK(own >= 9);  // a trained readout: neuron n codes digit n
    // The prediction carries most of log2(10) = 3.32 bits when accuracy is high.
    CHECK(a.mi_prediction_bits > 2.0);
    CHECK(a.mi_prediction_bits <= std::log2(10.0) + 0.05);
    const auto j = to_json(a);
    CHECK(j["outputs"].size() == 10);
    CHECK(j["accuracy"].get<double>() == Approx(a.accuracy));
}

TEST_CASE("Ablation: silencing the hidden layer stops the readout, half of it costs accuracy",
          "[course][analysis]") {
    const Graph g = load_network(kNet);
    const double base = run_digits(g, 200).accuracy();
    std::vector<int64_t> off;
    const Graph half = ablate_graph(g, "hidden", 0.5, 1, &off);
    REQUIRE(off.size() == 32);
    // The cut columns of fc2 are zero, the others untouched.
    const auto w0 = g.projections[1].weights.to<float>();
    const auto w1 = half.projections[1].weights.to<float>();
    for (int64_t r = 0; r < 10; ++r)
        for (int64_t i = 0; i < 64; ++i) {
            const bool cut = std::binary_search(off.begin(), off.end(), i);
            CHECK(w1[size_t(r * 64 + i)] == (cut ? 0.0f : w0[size_t(r * 64 + i)]));
        }
    const double acc_half = run_digits(half, 200).accuracy();
    const double acc_none = run_digits(ablate_graph(g, "hidden", 1.0, 1), 200).accuracy();
    INFO("accuracy: intact " << base << ", half the hidden layer silenced " << acc_half
                             << ", all of it " << acc_none);
    CHECK(acc_none == 0.0);  // no output spikes: no prediction
    CHECK(acc_half < base);
    CHECK(acc_half > acc_none);
    // Same seed, same neurons.
    std::vector<int64_t> again;
    ablate_graph(g, "hidden", 0.5, 1, &again);
    CHECK(again == off);
}

TEST_CASE("Ablation and analysis refuse bad requests with one clear error", "[course][analysis]") {
    const Graph g = load_network(kNet);
    CHECK_THROWS_WITH(ablate_graph(g, "nope", 0.5, 1), Contains("no population 'nope'"));
    CHECK_THROWS_WITH(ablate_graph(g, "hidden", 0.0, 1), Contains("must lie in (0, 1]"));
    CHECK_THROWS_WITH(ablate_graph(g, "out", 0.5, 1), Contains("output population"));
    RunResult empty;
    CHECK_THROWS_WITH(analyse_run(empty), Contains("no samples"));
}
