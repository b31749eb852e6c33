// The arithmetic of compare and the NeuroBench-style metrics on small cases checked by hand.
#include <catch2/catch.hpp>

#include <cmath>

#include "sf/analysis/ann_cost.hpp"
#include "sf/analysis/metrics.hpp"
#include "sf/analysis/report.hpp"
#include "sf/core/error.hpp"
#include "sf_test_util.hpp"

using namespace sf;

TEST_CASE("Pearson correlation of a few pairs matches the hand computation", "[compare][metrics]") {
    Correlation c;
    // x = 1 2 3 4, y = 2 4 5 9: mean x 2.5, mean y 5; sxy = 11, sxx = 5, syy = 26.
    c.add(1, 2);
    c.add(2, 4);
    c.add(3, 5);
    c.add(4, 9);
    REQUIRE(c.value().has_value());
    CHECK(*c.value() == Approx(11.0 / std::sqrt(5.0 * 26.0)).epsilon(1e-12));

    Correlation perfect, anti;
    for (int i = 0; i < 5; ++i) {
        perfect.add(i, 3 * i + 1);
        anti.add(i, -i);
    }
    CHECK(*perfect.value() == Approx(1.0));
    CHECK(*anti.value() == Approx(-1.0));
}

TEST_CASE("Correlation is undefined when one side never changes", "[compare][metrics]") {
    Correlation c;
    CHECK_FALSE(c.value().has_value());
    c.add(0, 1);
    c.add(0, 2);
    c.add(0, 3);
    CHECK_FALSE(c.value().has_value());
}

TEST_CASE("Layer agreement gives rates per neuron per step and the mean count error",
          "[compare][metrics]") {
    LayerAgreement la;
    // Two samples x two neurons; float counts 4 0 2 2, chip counts 3 0 2 4, over 10 steps.
    la.add(4, 3);
    la.add(0, 0);
    la.add(2, 2);
    la.add(2, 4);
    CHECK(la.pairs == 4);
    CHECK(la.identical == 2);
    CHECK(la.identical_fraction() == Approx(0.5));
    CHECK(la.float_rate(10) == Approx(8.0 / 4 / 10));
    CHECK(la.chip_rate(10) == Approx(9.0 / 4 / 10));
    CHECK(la.rate_error(10) == Approx((1.0 + 0 + 0 + 2) / 4 / 10));
}

TEST_CASE("The fraction of identical predictions counts equal positions", "[compare][metrics]") {
    CHECK(fraction_identical({1, 2, 3, 4}, {1, 0, 3, 0}) == Approx(0.5));
    CHECK(fraction_identical({}, {}) == 0.0);
    CHECK(fraction_identical({-1, 7}, {-1, 7}) == 1.0);
}

TEST_CASE("The Pareto front keeps the points no other beats on accuracy and energy",
          "[compare][metrics]") {
    // (accuracy, energy): A(0.90, 10) B(0.80, 5) C(0.85, 12) D(0.95, 20) E(0.80, 6)
    const std::vector<double> acc{0.90, 0.80, 0.85, 0.95, 0.80};
    const std::vector<double> en{10, 5, 12, 20, 6};
    const std::vector<bool> f = pareto_front(acc, en);
    CHECK(f == std::vector<bool>{true, true, false, true, false});
    // Equal points both stay.
    CHECK(pareto_front({0.5, 0.5}, {1, 1}) == std::vector<bool>{true, true});
}

TEST_CASE("NeuroBench static metrics of a small network are counted by hand",
          "[compare][metrics][neurobench]") {
    sf_test::ScratchDir d;
    // in [1,3,3] -> conv 2x[1,2,2] kernel, stride 1, no padding -> c [2,2,2]
    //            -> dense 8 -> 3 (one zero weight) -> out
    std::vector<float> conv{1, 0, 0.5f, -1, 0, 0, 2, 1};  // [2,1,2,2], 3 zeros
    std::vector<float> fc(24, 0.25f);
    fc[5] = 0;
    write_npz(d / "w.npz", {{"conv", Tensor::from<float>(conv, {2, 1, 2, 2})},
                             {"fc", Tensor::from<float>(fc, {3, 8})}});
    sf_test::write_text(d / "network.yaml", R"(
name: tiny
populations:
  - {name: in, kind: input, shape: [1, 3, 3]}
  - {name: c, kind: if, shape: [2, 2, 2]}
  - {name: out, kind: if, size: 3, output: true}
projections:
  - {name: conv, kind: conv2d, from: in, to: c, weights: w.npz:conv}
  - {name: fc, kind: dense, from: c, to: out, weights: w.npz:fc}
)");
    const Graph g = load_network(d.str());
    const SnnStaticMetrics m = snn_static_metrics(g);
    CHECK(m.neurons == 8 + 3);
    CHECK(m.weights == 8 + 24);
    CHECK(m.zero_weights == 3 + 1);
    CHECK(m.connection_sparsity() == Approx(4.0 / 32.0));
    // conv: 2 output channels x 4 positions x 1 input channel x 4 taps; dense 8 x 3.
    CHECK(m.connections == 2 * 4 * 4 + 24);
    CHECK(m.parameter_bytes == 4 * 32);
    CHECK(m.state_bytes == 2 * 4 * 11);
}

TEST_CASE("Padding taps are not connections", "[compare][metrics][neurobench]") {
    sf_test::ScratchDir d;
    write_npz(d / "w.npz", {{"conv", Tensor::from<float>(std::vector<float>(9, 1.0f), {1, 1, 3, 3})}});
    sf_test::write_text(d / "network.yaml", R"(
name: pad
populations:
  - {name: in, kind: input, shape: [1, 2, 2]}
  - {name: c, kind: if, shape: [1, 2, 2], output: true}
projections:
  - {name: conv, kind: conv2d, from: in, to: c, padding: 1, weights: w.npz:conv}
)");
    const Graph g = load_network(d.str());
    // Every output pixel of a 2x2 map with a 3x3 kernel and padding 1 sees all 4 inputs.
    CHECK(projection_connections(g, g.projections[0]) == 4 * 4);
}

TEST_CASE("The ANN cost counts MACs, effective MACs, memory traffic and energy by hand",
          "[compare][ann]") {
    sf_test::ScratchDir d;
    sf_test::write_text(d / "t.yaml", R"(
name: t
source: "hand-made for a test"
word_bits: 32
ops: {mult_pj: 3, add_pj: 1}
memory:
  access_bits: 64
  levels:
    - {name: small, bytes: 64, pj: 10}
    - {name: big, bytes: 0, pj: 100}
)");
    const AnnEnergyTable t = load_ann_energy_table(d / "t.yaml");
    CHECK(t.mac_pj() == 4);
    CHECK(t.word_pj(t.levels[0]) == 5);  // a 32-bit word of a 64-bit access

    // dense 4 -> 2 (weights: one zero), relu, dense 2 -> 2.
    AnnModel m;
    m.name = "m";
    m.input_shape = {4};
    AnnLayer d1;
    d1.name = "d1";
    d1.kind = AnnLayerKind::Dense;
    d1.units = 2;
    d1.in_shape = {4};
    d1.out_shape = {2};
    d1.params = {{"weight", {2, 4}, {1, 0, 1, 1, 1, 1, 1, 1}}, {"bias", {2}, {0, 0}}};
    AnnLayer r;
    r.name = "r";
    r.kind = AnnLayerKind::ReLU;
    r.in_shape = r.out_shape = {2};
    AnnLayer d2 = d1;
    d2.name = "d2";
    d2.in_shape = {2};
    d2.params = {{"weight", {2, 2}, {1, -1, -1, 1}}, {"bias", {2}, {0, 0}}};
    m.layers = {d1, r, d2};
    m.initialised = true;
    Dataset ds;
    ds.name = "toy";
    ds.sample_shape = {4};
    // Sample 0: inputs 1 0 0 1 (input 1 is zero; column nonzeros 2 1 2 2): effective
    // MACs of d1 = 2 + 2 = 4. Hidden = (2, 2) both nonzero: d2 effective = 4.
    // Sample 1: inputs 0 0 0 0: d1 effective 0, hidden (0, 0), d2 effective 0.
    ds.images = {1, 0, 0, 1, 0, 0, 0, 0};
    ds.labels = {0, 0};
    const AnnCost c = ann_cost(m, ds, 2, t);
    CHECK(c.macs == 8 + 4);
    CHECK(c.effective_macs == Approx((4.0 + 4.0) / 2 + 0.0));
    CHECK(c.params == 10 + 6);
    CHECK(c.zero_weights == 1);
    // Weights read once (16 words: 64 bytes fits "small"); activations: reads 4 + 2,
    // writes 2 + 2 (largest layer 6 words = 24 bytes: "small").
    CHECK(c.weight_reads == 16);
    CHECK(c.activation_reads == 6);
    CHECK(c.activation_writes == 4);
    CHECK(c.weight_level == "small");
    CHECK(c.energy_pj() == Approx(12 * 4.0 + 16 * 5.0 + 10 * 5.0));
    // Activation sparsity: ReLU outputs (2, 2) and (0, 0): half are zero.
    CHECK(c.zero_activations / c.activations == Approx(0.5));
    CHECK(c.accuracy == Approx(1.0));  // both predict class 0 (ties: the lowest index)
}

TEST_CASE("An ANN energy table without a source or with unknown keys is refused",
          "[compare][ann][errors]") {
    sf_test::ScratchDir d;
    sf_test::write_text(d / "nosrc.yaml",
                        "name: x\nops: {mult_pj: 1, add_pj: 1}\nmemory: {levels: [{name: a, "
                        "bytes: 0, pj: 1}]}\n");
    const auto m1 = sf_test::error_of([&] { load_ann_energy_table(d / "nosrc.yaml"); });
    CHECK_THAT(m1.what, Catch::Contains("names no source"));
    sf_test::write_text(d / "typo.yaml",
                        "name: x\nsource: s\nops: {mult_pj: 1, add_pj: 1, mul_pj: 2}\nmemory: "
                        "{levels: [{name: a, bytes: 0, pj: 1}]}\n");
    const auto m2 = sf_test::error_of([&] { load_ann_energy_table(d / "typo.yaml"); });
    CHECK_THAT(m2.what, Catch::Contains("unknown key 'mul_pj'"));
    const auto m3 = sf_test::error_of([&] { load_ann_energy_table("no-such-table"); });
    CHECK_THAT(m3.what, Catch::Contains("not found"));
}

TEST_CASE("The shipped Horowitz table carries its source and its numbers", "[compare][ann]") {
    const AnnEnergyTable t = load_ann_energy_table("horowitz-45nm");
    CHECK_THAT(t.source, Catch::Contains("Horowitz, ISSCC 2014"));
    CHECK(t.mac_pj() == Approx(4.6));
    REQUIRE(t.levels.size() == 4);
    CHECK(t.levels.back().bytes == 0);
    CHECK(t.word_pj(t.levels[2]) == Approx(50.0));  // 100 pJ per 64 bits, a 32-bit word
    CHECK(t.level_for(4 * 1000 * 1000).name == "dram");
    CHECK(t.level_for(20000).name == "sram_32kb");
}

TEST_CASE("Figures are printed the same way everywhere", "[compare][report]") {
    CHECK(format_figure(0.8871, "pct") == "88.71%");
    CHECK(format_figure(950.0, "pj") == "950.0 pJ");
    CHECK(format_figure(65800000.0, "pj") == "65.80 µJ");
    CHECK(format_figure(1234567.0, "int") == "1,234,567");
    CHECK(format_figure(0.123456, "num") == "0.1235");
    CHECK(format_figure(12.0, "num") == "12.00");
    CHECK(format_figure(0.0, "num") == "0");
}
