// Each NIR node kind imported against values computed by hand from NIR's equations,
// discretized as docs/nir.md says (dt = 1e-3 s, forward Euler: decay = dt / tau).
#include <cmath>

#include "nir_test_util.hpp"
#include "sf/reference/snn.hpp"

using namespace nir_test;
using sf::NeuronKind;
using sf::ProjectionKind;

namespace {

const std::vector<float> kW = {1.0f, 0.5f, 0.0f, 0.0f, -1.0f, 2.0f};  // the fixtures' W23

std::vector<float> scaled(const std::vector<float>& w, float k) {
    std::vector<float> r;
    for (float x : w) r.push_back(x * k);
    return r;
}

sf::SnnResult run(const sf::Graph& g, const sf::SpikeInput& in) {
    sf::SnnSimulator sim(g);
    sf::SnnRunOptions opt;
    opt.steps = int(in.samples[0].steps.size());
    opt.record_spikes = opt.record_v = opt.record_u = true;
    return sim.run(in, opt);
}

}  // namespace

TEST_CASE(
    "A Linear into a LIF becomes a dense projection onto LIF neurons with decay dt/tau and gain "
    "r*dt/tau",
    "[nir]") {
    const auto r = import_fixture("linear_lif.nir");
    const sf::Graph& g = r.graph;
    REQUIRE(g.populations.size() == 2);
    CHECK(g.populations[0].kind == NeuronKind::Input);
    CHECK(g.populations[0].shape == std::vector<int64_t>{3});
    const sf::Population& lif = g.populations[1];
    CHECK(lif.name == "lif");
    CHECK(lif.kind == NeuronKind::LIF);
    CHECK(lif.output);
    CHECK(lif.params.decay_u == 1.0f);
    CHECK(lif.params.decay_v == Approx(0.1f));  // dt / tau = 1e-3 / 1e-2
    CHECK(lif.params.threshold == 1.0f);
    CHECK(g.dt_ms == Approx(1.0f));
    const sf::Projection& fc = projection(g, "fc");
    CHECK(fc.kind == ProjectionKind::Dense);
    CHECK(values(fc.weights) == kW);  // gain = r * dt / tau = 10 * 0.1 = 1

    // Hand trace: v = 0.9 v + W x; input 0 at steps 0 and 1, input 2 at step 2.
    const auto res = run(g, spikes(3, 4, {{0, 0}, {1, 0}, {2, 2}}));
    const auto& rec = res.records[0];
    CHECK(rec.v[1][0] == Approx(1.0));                   // step 0: v = 1, not above 1
    CHECK(rec.spikes[1][1] == std::vector<int32_t>{0});  // step 1: 0.9 + 1 = 1.9 > 1
    CHECK(rec.spikes[1][2] == std::vector<int32_t>{1});  // step 2: 2 * 1 > 1
    CHECK(rec.spikes[1][3].empty());
}

TEST_CASE("An Affine bias into IF neurons becomes their bias and v_reset shifts the threshold",
          "[nir]") {
    const auto r = import_fixture("affine_if.nir");
    const sf::Population& p = r.graph.populations[1];
    CHECK(p.kind == NeuronKind::IF);
    CHECK(p.params.threshold == 1.5f);  // v_threshold 2 - v_reset 0.5
    REQUIRE(p.bias);
    CHECK(values(*p.bias) == std::vector<float>{0.25f, -0.5f});  // gain dt * r = 1
    CHECK(values(projection(r.graph, "fc").weights) == kW);
}

TEST_CASE(
    "A CubaLIF becomes a LIF population with both decays, gain r*w_in*(dt/tau_mem)*(dt/tau_syn)",
    "[nir]") {
    const auto r = import_fixture("cubalif.nir");
    const sf::Population& p = r.graph.populations[1];
    CHECK(p.kind == NeuronKind::LIF);
    CHECK(p.params.decay_u == 0.5f);          // 1e-3 / 2e-3
    CHECK(p.params.decay_v == 0.25f);         // 1e-3 / 4e-3
    CHECK(p.params.threshold == 1.0f);        // 1.5 - 0.5
    CHECK(p.params.bias == Approx(-0.025f));  // 0.25 * (v_leak 0.4 - v_reset 0.5)
    const auto w = values(projection(r.graph, "fc").weights);
    const auto want = scaled(kW, 0.75f);  // 0.25 * 2 * 0.5 * 3
    for (std::size_t i = 0; i < w.size(); ++i) CHECK(w[i] == Approx(want[i]));

    // NIR's equations by forward Euler in the original frame, v starting at v_reset:
    // I = (1 - 0.5) I + 0.5 * 3 * x, v = (1 - 0.25) v + 0.25 * (0.4 + 2 I).
    const auto res = run(r.graph, spikes(3, 3, {{0, 0}}));
    double I = 0, v = 0.5;
    for (int t = 0; t < 3; ++t) {
        I = 0.5 * I + 0.5 * 3.0 * (t == 0 ? 1.0 : 0.0);
        v = 0.75 * v + 0.25 * (0.4 + 2.0 * I);
        CHECK(res.records[0].v[1][std::size_t(t) * 2] == Approx(v - 0.5).epsilon(1e-5));
    }
}

TEST_CASE("A CubaLI, an LI and an I become non-spiking LI populations", "[nir]") {
    {
        const auto r = import_fixture("cubali.nir");
        const sf::Population& p = r.graph.populations[1];
        CHECK(p.kind == NeuronKind::LI);
        CHECK(p.params.decay_u == 0.5f);
        CHECK(p.params.decay_v == 0.25f);
        CHECK(p.params.bias == Approx(0.1f));  // 0.25 * 0.4
        CHECK(values(projection(r.graph, "fc").weights)[0] == Approx(0.75f));
    }
    {
        const auto r = import_fixture("li.nir");
        const sf::Population& p = r.graph.populations[1];
        CHECK(p.kind == NeuronKind::LI);
        CHECK(p.params.decay_u == 1.0f);
        CHECK(p.params.decay_v == Approx(0.2f));                              // 1e-3 / 5e-3
        CHECK(p.params.bias == Approx(0.2f));                                 // 0.2 * v_leak 1
        CHECK(values(projection(r.graph, "fc").weights)[0] == Approx(1.0f));  // 0.2 * r 5
    }
    {
        const auto r = import_fixture("integrator.nir");
        const sf::Population& p = r.graph.populations[1];
        CHECK(p.kind == NeuronKind::LI);
        CHECK(p.params.decay_u == 1.0f);
        CHECK(p.params.decay_v == 0.0f);
        CHECK(values(projection(r.graph, "fc").weights) == scaled(kW, 0.5f));  // dt * r = 0.5
        // v integrates: input 2 at steps 0 and 1 gives 1, then 2 on neuron 1.
        const auto res = run(r.graph, spikes(3, 2, {{0, 2}, {1, 2}}));
        CHECK(res.records[0].v[1][1] == Approx(1.0));
        CHECK(res.records[0].v[1][3] == Approx(2.0));
    }
}

TEST_CASE("A Scale between an Input and neurons becomes a one-to-one projection", "[nir]") {
    const auto r = import_fixture("scale.nir");
    const sf::Projection& p = projection(r.graph, "scale");
    CHECK(p.kind == ProjectionKind::OneToOne);
    CHECK(values(p.weights) == std::vector<float>{1.0f, 2.0f, 3.0f});
}

TEST_CASE("Per-neuron thresholds are folded into the weights, with threshold 1", "[nir]") {
    const auto r = import_fixture("thresholds.nir");
    CHECK(r.graph.populations[1].params.threshold == 1.0f);
    CHECK(values(projection(r.graph, "fc").weights) ==
          std::vector<float>{1.0f, 0.5f, 0.0f, 0.0f, -0.25f, 0.5f});
    CHECK_FALSE(r.warnings.empty());
}

TEST_CASE("A Conv2d becomes a conv2d projection and its bias a per-channel neuron bias", "[nir]") {
    const auto r = import_fixture("conv2d.nir");
    const sf::Projection& p = projection(r.graph, "conv");
    CHECK(p.kind == ProjectionKind::Conv2d);
    CHECK(p.weights.shape == std::vector<int64_t>{2, 1, 3, 3});
    CHECK(values(p.weights)[0] == Approx(-0.8f));
    CHECK(p.padding == std::vector<int>{1, 1});
    const sf::Population& post = r.graph.populations[1];
    CHECK(post.shape == std::vector<int64_t>{2, 4, 4});
    REQUIRE(post.bias);
    const auto b = values(*post.bias);
    CHECK(b[0] == 0.5f);
    CHECK(b[15] == 0.5f);
    CHECK(b[16] == 0.0f);
    // One input spike at the centre pixel (1, 1): output (c, y, x) gets w[c][1 + 1 - y][1 + 1 - x].
    const auto res = run(r.graph, spikes(16, 1, {{0, 5}}));
    const auto& v = res.records[0].v[1];
    const auto w = values(p.weights);
    CHECK(v[0] == Approx(0.5f + w[8]));    // (0, 0, 0) sees tap (2, 2)
    CHECK(v[16 + 5] == Approx(w[9 + 4]));  // (1, 1, 1) sees the centre tap of channel 1
}

TEST_CASE("Conv2d padding 'same', dilation and groups are written out as an equivalent conv2d",
          "[nir]") {
    const auto r = import_fixture("conv2d_same_dilation_groups.nir");
    const sf::Projection& p = projection(r.graph, "conv");
    CHECK(p.kind == ProjectionKind::Conv2d);
    CHECK(p.weights.shape == std::vector<int64_t>{2, 2, 5, 5});  // dilation 2: 3 taps span 5
    CHECK(p.padding == std::vector<int>{2, 2});
    const auto w = values(p.weights);
    auto at = [&](int o, int c, int y, int x) {
        return w[std::size_t(((o * 2 + c) * 5 + y) * 5 + x)];
    };
    CHECK(at(0, 0, 0, 0) == 1.0f);
    CHECK(at(0, 0, 0, 4) == 2.0f);
    CHECK(at(0, 0, 4, 0) == 3.0f);
    CHECK(at(0, 0, 0, 1) == 0.0f);  // between dilated taps
    CHECK(at(0, 1, 2, 2) == 0.0f);  // other group
    CHECK(at(1, 1, 2, 2) == -1.0f);
    CHECK(r.graph.populations[1].shape == std::vector<int64_t>{2, 5, 5});
}

TEST_CASE("A Conv1d runs as a conv2d over [C, 1, L]", "[nir]") {
    const auto r = import_fixture("conv1d.nir");
    CHECK(r.graph.populations[0].shape == std::vector<int64_t>{2, 1, 6});
    CHECK(r.graph.populations[1].shape == std::vector<int64_t>{3, 1, 6});
    const sf::Projection& p = projection(r.graph, "conv");
    CHECK(p.kind == ProjectionKind::Conv2d);
    CHECK(p.kernel == std::vector<int>{1, 3});
    CHECK(p.padding == std::vector<int>{0, 1});
    // Input channel 1, position 2 -> output channel 1 at 1..3 gets weight 1 (c1[1][1] = 1 1 1).
    const auto res = run(r.graph, spikes(12, 1, {{0, 8}}));
    const auto& v = res.records[0].v[1];
    CHECK(v[6 + 1] == Approx(1.0));
    CHECK(v[6 + 4] == Approx(0.0));
}

TEST_CASE("SumPool2d and AvgPool2d become sum_pool and avg_pool projections", "[nir]") {
    const auto r = import_fixture("pooling.nir");
    const sf::Projection& s = projection(r.graph, "sum");
    CHECK(s.kind == ProjectionKind::SumPool);
    CHECK(s.kernel == std::vector<int>{2, 2});
    CHECK(s.stride == std::vector<int>{2, 2});
    CHECK(projection(r.graph, "avg").kind == ProjectionKind::AvgPool);
    CHECK(r.graph.populations[1].shape == std::vector<int64_t>{1, 2, 2});
    CHECK(r.graph.populations[2].shape == std::vector<int64_t>{1, 1, 1});
    CHECK(r.graph.populations[2].params.threshold == Approx(0.2f));
}

TEST_CASE("A Flatten between neurons and a Linear keeps the flat order", "[nir]") {
    const auto r = import_fixture("flatten.nir");
    const sf::Projection& p = projection(r.graph, "fc");
    CHECK(p.kind == ProjectionKind::Dense);
    CHECK(p.pre == "if1");
    CHECK(p.weights.shape == std::vector<int64_t>{3, 4});
}

TEST_CASE("A Delay of d seconds adds d/dt steps to the projection's delay", "[nir]") {
    const auto r = import_fixture("delay.nir");
    CHECK(projection(r.graph, "fc").delay == 3);  // one step per edge + 2e-3 / 1e-3
    CHECK_FALSE(r.warnings.empty());              // the chip runs delay 1 only
}

TEST_CASE("A Threshold becomes neurons that spike when this step's input exceeds it", "[nir]") {
    const auto r = import_fixture("threshold.nir");
    const sf::Population& p = r.graph.populations[1];
    CHECK(p.kind == NeuronKind::LIF);
    CHECK(p.params.decay_u == 1.0f);
    CHECK(p.params.decay_v == 1.0f);
    CHECK(p.params.threshold == 0.75f);
    // Input 0 gives 1 > 0.75 on neuron 0 at every step it spikes, and nothing in between.
    const auto res = run(r.graph, spikes(3, 3, {{0, 0}, {2, 0}}));
    CHECK(res.records[0].spikes[1][0] == std::vector<int32_t>{0});
    CHECK(res.records[0].spikes[1][1].empty());
    CHECK(res.records[0].spikes[1][2] == std::vector<int32_t>{0});
}

TEST_CASE("Two weight nodes in a row multiply out into one dense projection", "[nir]") {
    const auto r = import_fixture("chain.nir");
    REQUIRE(r.graph.projections.size() == 1);
    // [[1, 1], [2, 0]] x W23
    CHECK(values(r.graph.projections[0].weights) ==
          std::vector<float>{1.0f, -0.5f, 2.0f, 2.0f, 1.0f, 0.0f});
}

TEST_CASE("An Output fed by weights gets a readout population that holds this step's input",
          "[nir]") {
    const auto r = import_fixture("linear_output.nir");
    REQUIRE(r.graph.populations.size() == 3);
    const sf::Population& out = r.graph.populations[2];
    CHECK(out.name == "output");
    CHECK(out.kind == NeuronKind::LI);
    CHECK(out.params.decay_u == 1.0f);
    CHECK(out.params.decay_v == 1.0f);
    CHECK(out.output);
}

TEST_CASE("A nested NIRGraph with a recurrent Linear becomes a recurrent projection", "[nir]") {
    const auto r = import_fixture("nested.nir");
    const sf::Graph& g = r.graph;
    REQUIRE(g.populations.size() == 3);
    CHECK(g.populations[1].name == "rsyn.lif");
    CHECK(g.populations[1].params.decay_u == 0.5f);
    const sf::Projection& rec = projection(g, "rsyn.w_rec");
    CHECK(rec.pre == "rsyn.lif");
    CHECK(rec.post == "rsyn.lif");
    // gain 0.25 * 4 * 0.5 * 2 = 1
    CHECK(values(rec.weights) == std::vector<float>{0.0f, -0.5f, -0.5f, 0.0f});
    CHECK(projection(g, "fc1").post == "rsyn.lif");
    CHECK(projection(g, "fc2").pre == "rsyn.lif");
    CHECK(g.populations[2].shape == std::vector<int64_t>{1});  // scalar parameters broadcast
    CHECK(g.populations[2].output);
}

TEST_CASE("Files of the older layout without v_reset and w_in take NIR's defaults 0 and 1",
          "[nir]") {
    const auto r = import_fixture("old_layout.nir");
    CHECK(r.graph.populations[1].params.threshold == 1.0f);
    CHECK(values(projection(r.graph, "fc").weights)[0] == Approx(0.25f));  // 0.25 * 2 * 0.5 * 1
}

TEST_CASE("The exp method gives decay 1 - exp(-dt/tau), and reset and refractory are recorded",
          "[nir]") {
    sf::nir::ImportOptions opt;
    opt.method = sf::nir::Method::Exp;
    opt.reset = sf::ResetMode::Subtract;
    opt.refractory_steps = 2;
    opt.dt = 2e-3;
    const auto r = import_fixture("linear_lif.nir", opt);
    const sf::Population& p = r.graph.populations[1];
    CHECK(p.params.decay_v == Approx(1.0 - std::exp(-0.2)));
    CHECK(p.params.reset == sf::ResetMode::Subtract);
    CHECK(p.params.refractory_steps == 2);
    CHECK(r.graph.dt_ms == Approx(2.0f));
}

TEST_CASE("The snnTorch-style example imports as two LIF populations with snnTorch's decays",
          "[nir]") {
    sf::nir::ImportOptions opt;
    opt.dt = 1e-4;  // snnTorch's export uses dt = 1e-4 s
    const auto r = sf::nir::import_nir(
        std::string(SF_SOURCE_DIR) + "/networks/snntorch-cubalif/model.nir", opt);
    REQUIRE(r.graph.populations.size() == 3);
    for (int i : {1, 2}) {
        const sf::Population& p = r.graph.populations[std::size_t(i)];
        CHECK(p.kind == NeuronKind::LIF);
        CHECK(p.params.decay_u == Approx(0.5f));   // 1 - alpha
        CHECK(p.params.decay_v == Approx(0.05f));  // 1 - beta
        CHECK(p.params.threshold == 2.0f);
    }
    // snnTorch's own update (syn = alpha syn + W x, mem = beta mem + syn) has gain 1.
    const sf::Graph digits = sf::load_network(std::string(SF_SOURCE_DIR) + "/networks/digits-snn");
    const auto a = values(projection(r.graph, "fc1").weights),
               b = values(digits.projections[0].weights);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); i += 97) CHECK(a[i] == Approx(b[i]).epsilon(1e-5));
}
