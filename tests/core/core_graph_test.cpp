// Network YAML loading, checking and saving (graph.cpp).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include "core_test_util.hpp"
#include "sf/core/error.hpp"
#include "sf/core/graph.hpp"

using namespace sf;
using sf_test::TempDir;

namespace {

std::vector<float> ramp(size_t n, float step = 0.01f) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = step * float(int(i % 17) - 8);
    return v;
}

// The weights every test network refers to.
void write_weights(const TempDir& dir) {
    std::map<std::string, Tensor> w;
    w["fc1"] = Tensor::from<float>(ramp(5 * 4), {5, 4});
    w["fc2"] = Tensor::from<double>(std::vector<double>(3 * 5, 0.5), {3, 5});  // read as float32
    w["rec"] = Tensor::from<float>(ramp(5 * 5), {5, 5});
    w["hbias"] = Tensor::from<float>({0.1f, 0.2f, 0.3f, 0.4f, 0.5f}, {5});
    w["c1"] = Tensor::from<float>(ramp(2 * 1 * 3 * 3), {2, 1, 3, 3});
    w["sp_idx"] = Tensor::from<int32_t>({0, 0, 4, 2, 1, 1}, {3, 2});  // read as int64
    w["sp_bad"] = Tensor::from<int64_t>({0, 0, 4, 3, 1, 1}, {3, 2});  // post 3 >= size 3
    w["sp_w"] = Tensor::from<float>({1, -1, 0.5f}, {3});
    w["id"] = Tensor::from<float>({1, 2, 3, 4, 5}, {5});
    std::vector<float> bad = ramp(5 * 4);
    bad[6] = NAN;
    w["bad"] = Tensor::from<float>(bad, {5, 4});
    write_npz(dir / "weights.npz", w);
}

const char* kNet = R"(
name: test-net
dt_ms: 0.5
timesteps: 16
dataset: digits
encoder: {kind: rate, max_rate: 0.5, seed: 7}
populations:
  - {name: in, kind: input, shape: [4]}
  - name: hidden
    kind: lif
    size: 5
    tau_mem_ms: 20
    tau_syn_ms: 5
    threshold: 1.5
    reset: subtract
    refractory: 2
    bias: weights.npz:hbias
  - {name: copy, kind: if, shape: [5], threshold: 2}
  - {name: out, kind: li, shape: [3], decay_v: 0.25, output: true}
projections:
  - {name: fc1, kind: dense, from: in, to: hidden, weights: "weights.npz:fc1"}
  - name: rec
    kind: dense
    from: hidden
    to: hidden
    weights: weights.npz:rec
    stdp: {a_plus: 0.01, a_minus: 0.012, tau_pre: 20, tau_post: 15, w_min: -1, w_max: 1}
  - {name: id, kind: one_to_one, from: hidden, to: copy, weights: weights.npz:id}
  - {name: sp, kind: sparse, from: copy, to: out, indices: weights.npz:sp_idx, weights: weights.npz:sp_w}
  - {name: fc2, kind: dense, from: hidden, to: out, weights: weights.npz:fc2}
)";

const char* kConvNet = R"(
name: conv-net
populations:
  - {name: img, kind: input, shape: [1, 6, 6]}
  - {name: f1, kind: lif, shape: [2, 6, 6], decay_v: 0.1}
  - {name: p1, kind: if, shape: [2, 3, 3]}
  - {name: s1, kind: lif, shape: [2, 2, 2]}
  - {name: o, kind: lif, shape: [2, 2, 2]}
projections:
  - {name: c1, kind: conv2d, from: img, to: f1, weights: weights.npz:c1, stride: 1, padding: 1}
  - {name: pool1, kind: avg_pool, from: f1, to: p1, kernel: 2, stride: 2}
  - {name: pool2, kind: sum_pool, from: p1, to: s1, kernel: [2, 2], stride: [1, 1], scale: 0.5}
  - {name: ident, kind: one_to_one, from: s1, to: o, scale: 2.0}
)";

Graph load_text(const TempDir& dir, const std::string& yaml, const std::string& name = "network.yaml") {
    write_weights(dir);
    sf_test::write_text(dir / name, yaml);
    return load_network(dir / name);
}

// Loads YAML and returns the InputError it raises.
InputError net_error(const std::string& yaml) {
    TempDir dir;
    try {
        load_text(dir, yaml);
    } catch (const InputError& e) {
        return e;
    }
    FAIL("expected an InputError for:\n" << yaml);
    return InputError("unreachable");
}

using sf_test::edit;

void check_same_tensor(const Tensor& a, const Tensor& b) {
    CHECK(a.shape == b.shape);
    CHECK(a.to<double>() == b.to<double>());
}

void check_same_graph(const Graph& a, const Graph& b) {
    CHECK(a.name == b.name);
    CHECK(a.dt_ms == b.dt_ms);
    CHECK(a.timesteps == b.timesteps);
    CHECK(a.dataset == b.dataset);
    CHECK(a.encoder.kind == b.encoder.kind);
    CHECK(a.encoder.max_rate == b.encoder.max_rate);
    CHECK(a.encoder.gain == b.encoder.gain);
    CHECK(a.encoder.min_intensity == b.encoder.min_intensity);
    CHECK(a.encoder.seed == b.encoder.seed);
    REQUIRE(a.populations.size() == b.populations.size());
    for (size_t i = 0; i < a.populations.size(); ++i) {
        const auto& p = a.populations[i];
        const auto& r = b.populations[i];
        INFO("population " << p.name);
        CHECK(p.name == r.name);
        CHECK(p.kind == r.kind);
        CHECK(p.shape == r.shape);
        CHECK(p.output == r.output);
        CHECK(p.params.decay_u == r.params.decay_u);
        CHECK(p.params.decay_v == r.params.decay_v);
        CHECK(p.params.threshold == r.params.threshold);
        CHECK(p.params.bias == r.params.bias);
        CHECK(p.params.reset == r.params.reset);
        CHECK(p.params.refractory_steps == r.params.refractory_steps);
        REQUIRE(bool(p.bias) == bool(r.bias));
        if (p.bias) check_same_tensor(*p.bias, *r.bias);
    }
    REQUIRE(a.projections.size() == b.projections.size());
    for (size_t i = 0; i < a.projections.size(); ++i) {
        const auto& p = a.projections[i];
        const auto& r = b.projections[i];
        INFO("projection " << p.name);
        CHECK(p.name == r.name);
        CHECK(p.kind == r.kind);
        CHECK(p.pre == r.pre);
        CHECK(p.post == r.post);
        check_same_tensor(p.weights, r.weights);
        CHECK(p.weights.dtype == r.weights.dtype);
        check_same_tensor(p.indices, r.indices);
        CHECK(p.kernel == r.kernel);
        CHECK(p.stride == r.stride);
        CHECK(p.padding == r.padding);
        CHECK(p.scale == r.scale);
        CHECK(p.delay == r.delay);
        REQUIRE(bool(p.stdp) == bool(r.stdp));
        if (p.stdp) {
            CHECK(p.stdp->a_plus == r.stdp->a_plus);
            CHECK(p.stdp->a_minus == r.stdp->a_minus);
            CHECK(p.stdp->tau_pre == r.stdp->tau_pre);
            CHECK(p.stdp->tau_post == r.stdp->tau_post);
            CHECK(p.stdp->w_min == r.stdp->w_min);
            CHECK(p.stdp->w_max == r.stdp->w_max);
        }
    }
}

}  // namespace

TEST_CASE("A network file loads with every field, time constants turned into decays",
          "[core][graph]") {
    TempDir dir;
    const Graph g = load_text(dir, kNet);
    CHECK(g.name == "test-net");
    CHECK(g.dt_ms == 0.5f);
    CHECK(g.timesteps == 16);
    CHECK(g.dataset == "digits");
    CHECK(g.encoder.kind == EncoderKind::Rate);
    CHECK(g.encoder.max_rate == 0.5f);
    CHECK(g.encoder.seed == 7);
    CHECK(g.base_dir == dir.str());
    REQUIRE(g.populations.size() == 4);
    const Population& h = *g.find_population("hidden");
    CHECK(h.kind == NeuronKind::LIF);
    CHECK(h.shape == std::vector<int64_t>{5});
    CHECK(h.params.decay_v == Approx(1.0 - std::exp(-0.5 / 20.0)));
    CHECK(h.params.decay_u == Approx(1.0 - std::exp(-0.5 / 5.0)));
    CHECK(h.params.threshold == 1.5f);
    CHECK(h.params.reset == ResetMode::Subtract);
    CHECK(h.params.refractory_steps == 2);
    REQUIRE(h.bias);
    CHECK(h.bias->to<float>() == std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f, 0.5f});
    CHECK(h.loc.line == 9);
    const Population& c = *g.find_population("copy");
    CHECK(c.kind == NeuronKind::IF);
    CHECK(c.params.decay_u == 1.0f);
    CHECK(c.params.decay_v == 0.0f);
    CHECK(g.find_population("out")->kind == NeuronKind::LI);
    CHECK(g.population_index("out") == 3);
    CHECK(g.population_index("nope") == -1);
    REQUIRE(g.inputs().size() == 1);
    CHECK(g.inputs()[0]->name == "in");
    REQUIRE(g.outputs().size() == 1);
    CHECK(g.outputs()[0]->name == "out");

    REQUIRE(g.projections.size() == 5);
    CHECK(g.projections[0].weights.dtype == DType::F32);
    CHECK(g.projections[0].weights.shape == std::vector<int64_t>{5, 4});
    CHECK(g.projections[1].pre == g.projections[1].post);
    REQUIRE(g.projections[1].stdp);
    CHECK(g.projections[1].stdp->a_minus == 0.012f);
    CHECK(g.projections[1].stdp->tau_post == 15.0f);
    CHECK(g.projections[3].indices.dtype == DType::I64);
    CHECK(g.projections[3].indices.to<int64_t>() == std::vector<int64_t>{0, 0, 4, 2, 1, 1});
    CHECK(g.projections[4].weights.dtype == DType::F32);  // converted from float64
    CHECK(to_string(g.projections[3].kind) == std::string("sparse"));
}

TEST_CASE("Convolution and pooling shapes are checked and defaults applied", "[core][graph]") {
    TempDir dir;
    const Graph g = load_text(dir, kConvNet);
    const Projection& c1 = g.projections[0];
    CHECK(c1.kernel == std::vector<int>{3, 3});
    CHECK(c1.stride == std::vector<int>{1, 1});
    CHECK(c1.padding == std::vector<int>{1, 1});
    CHECK(g.projections[1].kind == ProjectionKind::AvgPool);
    CHECK(g.projections[1].stride == std::vector<int>{2, 2});
    CHECK(g.projections[2].scale == 0.5f);
    CHECK(g.projections[3].scale == 2.0f);
    CHECK_FALSE(g.projections[3].weights.bytes.size());
    // No population marked: the last one is the output.
    REQUIRE(g.outputs().size() == 1);
    CHECK(g.outputs()[0]->name == "o");
    CHECK(g.populations.back().output);

    // A wrong declared conv output shape names expected and actual shapes.
    const auto e = net_error(edit(kConvNet, "shape: [2, 6, 6]", "shape: [2, 5, 5]"));
    CHECK_THAT(e.problem(), Catch::Contains("[2, 6, 6]"));
    CHECK_THAT(e.problem(), Catch::Contains("[2, 5, 5]"));
    CHECK_THAT(e.where(), Catch::Contains("projection 'c1'"));
    // Pooling likewise, channels unchanged.
    CHECK_THAT(net_error(edit(kConvNet, "shape: [2, 3, 3]", "shape: [3, 3, 3]")).where(),
               Catch::Contains("pool1"));
    // A kernel key that disagrees with the conv weights.
    CHECK_THAT(net_error(edit(kConvNet, "stride: 1, padding: 1", "kernel: 5, padding: 1")).problem(),
               Catch::Contains("kernel"));
    // Wrong in_channels in the weights.
    CHECK_THAT(net_error(edit(kConvNet, "shape: [1, 6, 6]", "shape: [2, 6, 6]")).problem(),
               Catch::Contains("expected [2, 2, 3, 3]"));
}

TEST_CASE("load(save(g)) equals g for every field", "[core][graph]") {
    TempDir src, out;
    for (const char* text : {kNet, kConvNet}) {
        const Graph g = load_text(src, text);
        const std::string dest = out / g.name;
        save_network(g, dest);
        CHECK(std::filesystem::exists(dest + "/network.yaml"));
        CHECK(std::filesystem::exists(dest + "/weights.npz"));
        const Graph back = load_network(dest);
        check_same_graph(g, back);
        CHECK(back.base_dir == dest);
        // Saving over an existing directory keeps its other files and replaces ours.
        sf_test::write_text(dest + "/README.md", "notes");
        Graph changed = back;
        changed.timesteps = 99;
        save_network(changed, dest);
        CHECK(load_network(dest + "/network.yaml").timesteps == 99);
        CHECK(sf_test::read_text(dest + "/README.md") == "notes");
    }
    // Every encoder kind round-trips, and a graph built in memory saves too.
    Graph g;
    g.name = "mem";
    g.encoder.kind = EncoderKind::Latency;
    g.encoder.min_intensity = 0.125f;
    Population in;
    in.name = "in";
    in.kind = NeuronKind::Input;
    in.shape = {3};
    Population o;
    o.name = "o";
    o.shape = {3};
    o.params.decay_v = 0.1f + 0.2f;
    o.params.bias = 0.3f;
    g.populations = {in, o};
    Projection p;
    p.name = "p";
    p.kind = ProjectionKind::OneToOne;
    p.pre = "in";
    p.post = "o";
    p.scale = 1.0f / 3.0f;
    p.stdp = StdpParams{};
    g.projections = {p};
    save_network(g, out / "mem");
    Graph back = load_network(out / "mem");
    CHECK(back.outputs()[0]->name == "o");
    back.populations[1].output = false;  // marked explicitly on load
    check_same_graph(g, back);
    g.encoder.kind = EncoderKind::Direct;
    g.encoder.gain = 0.75f;
    save_network(g, out / "mem");
    CHECK(load_network(out / "mem").encoder.gain == 0.75f);
}

TEST_CASE("A failed save leaves no directory behind", "[core][graph]") {
    TempDir src, out;
    Graph g = load_text(src, kNet);
    g.populations[1].params.threshold = -1;  // invalid: validate_graph rejects it
    CHECK_THROWS_AS(save_network(g, out / "bad"), InputError);
    CHECK(std::filesystem::is_empty(out.str()));
    CHECK_THROWS_AS(save_network(load_text(src, kNet), out / "no/such/parent/x"), InputError);
    CHECK(std::filesystem::is_empty(out.str()));
}

TEST_CASE("Network errors name file, line and node", "[core][graph]") {
    SECTION("malformed YAML") {
        const auto e = net_error("name: x\npopulations: [\n  {name: a\n");
        CHECK_THAT(e.problem(), Catch::Contains("YAML"));
        CHECK_THAT(e.where(), Catch::Contains("network.yaml:"));
    }
    SECTION("unknown keys at every level") {
        auto e = net_error(edit(kNet, "timesteps: 16", "timestep: 16"));
        CHECK_THAT(e.where(), Catch::Contains("network.yaml:4"));
        CHECK_THAT(e.problem(), Catch::Contains("timestep"));
        e = net_error(edit(kNet, "    refractory: 2", "    refactory: 2"));
        CHECK_THAT(e.where(), Catch::Contains("network.yaml:16 (population 'hidden')"));
        e = net_error(edit(kNet, "w_max: 1}", "w_mx: 1}"));
        CHECK_THAT(e.where(), Catch::Contains("projection 'rec'"));
        e = net_error(edit(kNet, "seed: 7", "sead: 7"));
        CHECK_THAT(e.where(), Catch::Contains("encoder"));
        // a key that exists but does not apply to the kind
        e = net_error(edit(kNet, "weights: \"weights.npz:fc1\"", "weights: \"weights.npz:fc1\", kernel: 3"));
        CHECK_THAT(e.problem(), Catch::Contains("kernel"));
        e = net_error(edit(kNet, "{name: copy, kind: if, shape: [5], threshold: 2}",
                           "{name: copy, kind: if, shape: [5], threshold: 2, decay_v: 0.1}"));
        CHECK_THAT(e.where(), Catch::Contains("population 'copy'"));
    }
    SECTION("missing required keys") {
        CHECK_THAT(net_error(edit(kNet, "name: test-net", "")).problem(), Catch::Contains("'name'"));
        CHECK_THAT(net_error(edit(kNet, ", from: in, to: hidden", ", to: hidden")).problem(),
                   Catch::Contains("'from'"));
        CHECK_THAT(net_error(edit(kNet, "{name: in, kind: input, shape: [4]}", "{name: in, kind: input}"))
                       .problem(),
                   Catch::Contains("shape"));
        CHECK_THAT(net_error(edit(kNet, "weights: weights.npz:sp_w", "")).problem(),
                   Catch::Contains("'weights'"));
    }
    SECTION("duplicate names and unknown references") {
        auto e = net_error(edit(kNet, "name: copy", "name: hidden"));
        CHECK_THAT(e.problem(), Catch::Contains("duplicate population"));
        e = net_error(edit(kNet, "name: fc2", "name: fc1"));
        CHECK_THAT(e.problem(), Catch::Contains("duplicate projection"));
        e = net_error(edit(kNet, "from: copy", "from: cpy"));
        CHECK_THAT(e.problem(), Catch::Contains("cpy"));
        CHECK_THAT(e.fix(), Catch::Contains("copy"));
    }
    SECTION("unknown kinds") {
        CHECK_THAT(net_error(edit(kNet, "kind: lif", "kind: izhikevich")).fix(), Catch::Contains("lif"));
        CHECK_THAT(net_error(edit(kNet, "kind: sparse", "kind: lowrank")).where(),
                   Catch::Contains("projection 'sp'"));
        CHECK_THAT(net_error(edit(kNet, "kind: rate", "kind: poisson")).where(), Catch::Contains("encoder"));
        CHECK_THAT(net_error(edit(kNet, "reset: subtract", "reset: hold")).where(),
                   Catch::Contains("network.yaml:15"));
    }
    SECTION("wrong tensor shapes say expected and got") {
        const auto e = net_error(edit(kNet, "weights.npz:fc2", "weights.npz:rec"));
        CHECK_THAT(e.problem(), Catch::Contains("[5, 5]"));
        CHECK_THAT(e.problem(), Catch::Contains("expected [3, 5]"));
        CHECK_THAT(net_error(edit(kNet, "weights.npz:hbias", "weights.npz:sp_w")).problem(),
                   Catch::Contains("expected [5]"));
        CHECK_THAT(net_error(edit(kNet, "weights.npz:id", "weights.npz:sp_w")).where(),
                   Catch::Contains("projection 'id'"));
    }
    SECTION("NaN and Inf in tensors and parameters") {
        auto e = net_error(edit(kNet, "weights: \"weights.npz:fc1\"", "weights: weights.npz:bad"));
        CHECK_THAT(e.problem(), Catch::Contains("non-finite"));
        e = net_error(edit(kNet, "threshold: 1.5", "threshold: .nan"));
        CHECK_THAT(e.where(), Catch::Contains("population 'hidden'"));
        e = net_error(edit(kNet, "max_rate: 0.5", "max_rate: .inf"));
        CHECK_THAT(e.problem(), Catch::Contains("finite"));
    }
    SECTION("out-of-range parameters") {
        CHECK_THAT(net_error(edit(kNet, "decay_v: 0.25", "decay_v: 1.5")).where(),
                   Catch::Contains("population 'out'"));
        CHECK_THAT(net_error(edit(kNet, "tau_mem_ms: 20", "tau_mem_ms: 0")).problem(),
                   Catch::Contains("tau_mem_ms"));
        CHECK_THAT(net_error(edit(kNet, "threshold: 1.5", "threshold: 0")).problem(),
                   Catch::Contains("threshold"));
        CHECK_THAT(net_error(edit(kNet, "refractory: 2", "refractory: -1")).problem(),
                   Catch::Contains("refractory"));
        CHECK_THAT(net_error(edit(kNet, "dt_ms: 0.5", "dt_ms: 0")).problem(), Catch::Contains("dt_ms"));
        CHECK_THAT(net_error(edit(kNet, "timesteps: 16", "timesteps: 0")).problem(),
                   Catch::Contains("timesteps"));
        CHECK_THAT(net_error(edit(kNet, "max_rate: 0.5", "max_rate: 1.5")).problem(),
                   Catch::Contains("max_rate"));
        CHECK_THAT(net_error(edit(kNet, "tau_pre: 20", "tau_pre: -3")).where(),
                   Catch::Contains("projection 'rec'"));
        CHECK_THAT(net_error(edit(kNet, "threshold: 1.5", "threshold: many")).problem(),
                   Catch::Contains("number"));
        CHECK_THAT(net_error(edit(kNet, "shape: [4]", "shape: [4000000000, 4000000000]")).problem(),
                   Catch::Contains("2^31"));
    }
    SECTION("missing weight files say which path was tried") {
        const auto e = net_error(edit(kNet, "weights.npz:rec", "other.npz:rec"));
        CHECK_THAT(e.problem(), Catch::Contains("other.npz"));
        CHECK_THAT(e.where(), Catch::Contains("projection 'rec'"));
        CHECK_THAT(net_error(edit(kNet, "weights.npz:rec", "weights.npz:nokey")).problem(),
                   Catch::Contains("nokey"));
    }
    SECTION("sparse indices out of range") {
        const auto e = net_error(edit(kNet, "weights.npz:sp_idx", "weights.npz:sp_bad"));
        CHECK_THAT(e.problem(), Catch::Contains("out of range"));
        CHECK_THAT(e.where(), Catch::Contains("projection 'sp'"));
    }
    SECTION("an input population with incoming projections") {
        const auto e = net_error(edit(kNet, "from: hidden, to: copy", "from: hidden, to: in"));
        CHECK_THAT(e.problem(), Catch::Contains("input"));
        CHECK_THAT(e.where(), Catch::Contains("projection 'id'"));
    }
    SECTION("an ANN model or an unknown type") {
        CHECK_THAT(net_error("name: m\ntype: ann\nlayers: []\n").problem(), Catch::Contains("ANN"));
        CHECK_THAT(net_error(edit(kNet, "dt_ms: 0.5", "type: cnn")).problem(), Catch::Contains("cnn"));
        TempDir dir;
        CHECK(load_text(dir, edit(kNet, "dt_ms: 0.5", "type: snn")).name == "test-net");
    }
    SECTION("no output population") {
        const auto e = net_error("name: x\npopulations:\n  - {name: a, kind: input, size: 2}\n");
        CHECK_THAT(e.problem(), Catch::Contains("no output"));
    }
}

TEST_CASE("validate_graph checks graphs built in memory like files", "[core][graph]") {
    TempDir dir;
    const Graph good = load_text(dir, kNet);
    CHECK_NOTHROW(validate_graph(good));
    Graph g = good;
    g.populations[2].params.decay_v = 0.5f;  // an 'if' population with a leak
    CHECK_THROWS_AS(validate_graph(g), InputError);
    g = good;
    g.projections[0].weights = Tensor::from<float>({1, 2}, {2});
    try {
        validate_graph(g);
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.where(), Catch::Contains("network.yaml:21"));
        CHECK_THAT(e.where(), Catch::Contains("fc1"));
    }
    g = good;
    g.projections[3].indices = Tensor::from<int64_t>({0, 0, 4, 2, 1, -1}, {3, 2});
    CHECK_THROWS_AS(validate_graph(g), InputError);
    g = good;
    // A bias may also have the population's own shape (here the same as flat).
    g.populations[1].bias = Tensor::from<float>({1, 2, 3, 4, 5}, {5});
    CHECK_NOTHROW(validate_graph(g));
    g.populations[1].shape = {5, 1};
    g.populations[1].bias = Tensor::from<float>({1, 2, 3, 4, 5}, {5, 1});
    g.projections.erase(g.projections.begin(), g.projections.end());
    CHECK_NOTHROW(validate_graph(g));
    g.populations[1].bias = Tensor::from<float>({1, 2, 3, 4, 5}, {1, 5});
    CHECK_THROWS_AS(validate_graph(g), InputError);
    g = good;
    g.populations[0].name = "bad name";
    CHECK_THROWS_AS(validate_graph(g), InputError);
    g = good;
    g.projections[0].delay = 0;
    CHECK_THROWS_AS(validate_graph(g), InputError);
}

TEST_CASE("load_network accepts a directory or a YAML file and reports missing ones",
          "[core][graph]") {
    TempDir dir;
    load_text(dir, kNet, "other.yaml");
    CHECK(load_network(dir / "other.yaml").name == "test-net");
    try {
        load_network(dir.str());  // no network.yaml in it
        FAIL("expected an InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.problem(), Catch::Contains("network.yaml"));
    }
    CHECK_THROWS_AS(load_network(dir / "absent"), InputError);
}

TEST_CASE("Every example network in networks/ loads and round-trips through save_network",
          "[core][graph]") {
    TempDir out;
    int found = 0;
    for (const auto& e : std::filesystem::directory_iterator(sf_test::source_dir() + "/networks")) {
        const std::string yaml = e.path().string() + "/network.yaml";
        if (!std::filesystem::exists(yaml)) continue;
        INFO(yaml);
        const std::string text = sf_test::read_text(yaml);
        if (text.find("\ntype: ") != std::string::npos && text.find("\ntype: snn") == std::string::npos) {
            // ANN models share the file name; the loader must say what they are.
            try {
                load_network(yaml);
                FAIL("an ANN model loaded as a spiking network");
            } catch (const InputError& err) {
                CHECK_THAT(err.problem(), Catch::Contains("not a spiking network"));
                // A Hopfield network cannot be converted, so its fix must not say so.
                if (text.find("\ntype: hopfield") != std::string::npos)
                    CHECK_THAT(err.fix(), !Catch::Contains("convert it"));
                else
                    CHECK_THAT(err.fix(), Catch::Contains("spikeforge convert"));
            }
            continue;
        }
        ++found;
        const Graph g = load_network(e.path().string());
        save_network(g, out / e.path().filename().string());
        check_same_graph(g, load_network(out / e.path().filename().string()));
    }
    if (found == 0) WARN("no networks/*/network.yaml in the source tree; nothing checked");
}

TEST_CASE("Randomly mutated network YAML only ever raises InputError", "[core][graph]") {
    TempDir dir;
    write_weights(dir);
    uint64_t state = 99;  // fixed seed: the same mutations every run
    auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return uint32_t(state >> 33);
    };
    const std::string src = kNet;
    const char junk[] = "{}[]:,-#&*!|>'\"%@` \n\t0123456789.abcxyz";
    int errors = 0, ok = 0;
    for (int round = 0; round < 300; ++round) {
        std::string s = src;
        const int edits = 1 + int(next() % 3);
        for (int k = 0; k < edits; ++k) {
            const size_t at = next() % s.size();
            switch (next() % 3) {
                case 0: s[at] = junk[next() % (sizeof(junk) - 1)]; break;
                case 1: s.erase(at, 1 + next() % 8); break;
                default: s.insert(at, 1, junk[next() % (sizeof(junk) - 1)]); break;
            }
        }
        sf_test::write_text(dir / "network.yaml", s);
        try {
            load_network(dir.str());
            ++ok;
        } catch (const InputError&) {
            ++errors;
        }
    }
    CHECK(errors + ok == 300);
    CHECK(errors > 100);
}
