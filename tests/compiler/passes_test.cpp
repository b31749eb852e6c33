// Pass-level tests: golden text dumps of small inline-YAML networks after every pass, and
// expected errors (malformed input -> InputError, does not fit -> CapacityError) per pass.
// Regenerate the goldens with SF_UPDATE_GOLDEN=1 after an intended change, and review
// the diff.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "compiler_helpers.hpp"
#include "sf/compiler/passes/partition.hpp"
#include "sf/core/error.hpp"
#include "sf/core/tensor.hpp"

using namespace sf;
using namespace sf::test;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

// A network directory in a fresh temp dir: the YAML text plus .npy weight files.
struct TempNet {
    fs::path dir;
    TempNet(const std::string& name, const std::string& yaml,
            const std::map<std::string, Tensor>& tensors) {
        dir = fs::temp_directory_path() /
              ("sf_compiler_test_" + name + "_" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        std::ofstream(dir / "network.yaml") << yaml;
        for (const auto& [file, t] : tensors) write_npy((dir / file).string(), t);
    }
    ~TempNet() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

const char* kSmallYaml = R"(
name: small
timesteps: 10
populations:
  - {name: in, kind: input, size: 4}
  - {name: h, kind: lif, size: 3, threshold: 1.0, decay_u: 0.5, decay_v: 0.125, bias: 0.1}
  - {name: out, kind: lif, size: 2, threshold: 0.5, reset: subtract, refractory: 2, output: true}
projections:
  - {name: fc1, kind: dense, from: in, to: h, weights: fc1.npy}
  - name: fc2
    kind: dense
    from: h
    to: out
    weights: fc2.npy
    stdp: {a_plus: 0.02, a_minus: 0.01, tau_pre: 10, tau_post: 10, w_min: -1, w_max: 1}
)";

const char* kConvYaml = R"(
name: conv
timesteps: 5
populations:
  - {name: img, kind: input, shape: [1, 4, 4]}
  - {name: c, kind: lif, shape: [2, 4, 4], threshold: 1.0}
  - {name: p, kind: if, shape: [2, 2, 2], threshold: 1.0, output: true}
projections:
  - {name: conv, kind: conv2d, from: img, to: c, weights: conv.npy, padding: [1, 1]}
  - {name: pool, kind: sum_pool, from: c, to: p, kernel: [2, 2], stride: [2, 2], scale: 0.5}
)";

Graph load_small(TempNet*& keep) {
    keep = new TempNet(
        "small", kSmallYaml,
        {{"fc1.npy", Tensor::from<float>({0.5f, -1.0f, 0.25f, 0.0f,  //
                                          0.1f, 0.2f, 0.3f, 0.4f,    //
                                          -0.7f, 0.0f, 0.0f, 0.9f},
                                         {3, 4})},
         {"fc2.npy", Tensor::from<float>({0.6f, -0.3f, 0.0f, 0.2f, 0.4f, -0.8f}, {2, 3})}});
    return load_network(keep->dir.string());
}

Graph load_conv(TempNet*& keep) {
    std::vector<float> w;
    for (int i = 0; i < 18; ++i) w.push_back(float((i * 7) % 11 - 5) / 5.0f);
    keep = new TempNet("conv", kConvYaml, {{"conv.npy", Tensor::from<float>(w, {2, 1, 3, 3})}});
    return load_network(keep->dir.string());
}

ChipConfig small_chip() {
    ChipConfig c;
    c.name = "test-small";
    c.mesh_w = c.mesh_h = 3;
    c.neurons_per_core = 8;
    c.axons_per_core = 16;
    return c;
}

std::string dump_after(const Graph& g, const ChipConfig& chip, const std::string& pass) {
    std::ostringstream os;
    CompileOptions opt;
    opt.seed = 5;
    opt.dump_after = pass;
    opt.dump = &os;
    compile(g, chip, opt);
    return os.str();
}

void check_golden(const std::string& name, const std::string& text) {
    const fs::path file = fs::path(SF_SOURCE_DIR) / "tests/compiler/golden" / (name + ".txt");
    const char* upd = std::getenv("SF_UPDATE_GOLDEN");
    if (upd && std::string(upd) == "1") {
        std::ofstream(file) << text;
        SUCCEED("updated " << file);
        return;
    }
    std::ifstream in(file);
    INFO("golden " << file << " (regenerate with SF_UPDATE_GOLDEN=1)");
    REQUIRE(in.good());
    std::stringstream want;
    want << in.rdbuf();
    CHECK(text == want.str());
}

Graph two_layer(int n_in, int n_h, float w = 0.5f) {
    Graph g;
    g.name = "two";
    g.file = "two.yaml";
    g.populations.push_back(make_pop("in", NeuronKind::Input, {n_in}));
    g.populations.push_back(make_pop("h", NeuronKind::LIF, {n_h}, true));
    Projection p;
    p.name = "fc";
    p.pre = "in";
    p.post = "h";
    p.weights = Tensor::from(std::vector<float>(size_t(n_in * n_h), w), {n_h, n_in});
    g.projections.push_back(p);
    return g;
}

}  // namespace

TEST_CASE("Dumps after every pass match the golden text", "[compiler][golden]") {
    TempNet* small = nullptr;
    TempNet* conv = nullptr;
    const Graph gs = load_small(small);
    const Graph gc = load_conv(conv);
    std::unique_ptr<TempNet> k1(small), k2(conv);
    for (const auto& pass : pass_names()) {
        check_golden("small." + pass, dump_after(gs, ChipConfig{}, pass));
        check_golden("conv." + pass, dump_after(gc, small_chip(), pass));
    }
}

TEST_CASE("Quantize picks one scale per target and fixed-point constants as documented",
          "[compiler][quantize]") {
    TempNet* keep = nullptr;
    const Graph g = load_small(keep);
    std::unique_ptr<TempNet> k(keep);
    PassStats st;
    const auto ir = passes::quantize(passes::validate(ir::make_ir(g, ChipConfig{}), st), st);
    const auto& h = ir.pops[1];
    CHECK(h.scale == Approx(127.0));  // max |w| into h is 1.0
    CHECK(ir.projs[0].w[0] == 64);    // round(0.5 * 127)
    CHECK(ir.projs[0].w[1] == -127);
    CHECK(h.profile.vth == 127);
    CHECK(h.profile.du == 2047);  // round(4096 * 0.5) - 1
    CHECK(h.profile.dv == 512);   // round(4096 * 0.125)
    CHECK(h.bias_mant[0] << h.profile.bias_exp ==
          Approx(0.1 * 127 * 64).margin(1 << h.profile.bias_exp));
    const auto& out = ir.pops[2];
    CHECK(out.scale == Approx(127.0 / 0.8));
    CHECK(out.profile.reset == ResetMode::Subtract);
    CHECK(out.profile.refractory == 2);
    REQUIRE(out.learning);
    CHECK(out.learn.x_inc == 128);
    CHECK(out.learn.w_min == -128);  // round(-158.75) clamped to 8 bits
    CHECK(out.learn.w_max == 127);
    // (a_plus * x_inc) >> shift approximates a_plus * s = 0.02 * 158.75 = 3.175
    CHECK(double(out.learn.a_plus) * out.learn.x_inc / double(1 << out.learn.shift) ==
          Approx(3.175).epsilon(0.02));
    CHECK(st.stats.at("max_rel_err_fc1") > 0.0);
    CHECK(st.stats.at("max_rel_err") <= 0.5 / 127 + 1e-9);
}

TEST_CASE("Quantize lowers the scale when the threshold would not fit and says so",
          "[compiler][quantize]") {
    Graph g = two_layer(4, 2, 0.001f);
    g.populations[1].params.threshold = 10.0f;  // 10 * 127000 does not fit 17 bits
    PassStats st;
    const auto ir = passes::quantize(passes::validate(ir::make_ir(g, ChipConfig{}), st), st);
    CHECK(ir.pops[1].scale_lowered);
    CHECK(ir.pops[1].profile.vth == (1 << 17) - 1);
    CHECK(st.stats.at("scale_lowered") == 1);
}

TEST_CASE("Lower sums duplicate synapses from two projections into one target",
          "[compiler][lower]") {
    Graph g = two_layer(3, 2);
    Projection dup = g.projections[0];
    dup.name = "fc_again";
    g.projections.push_back(dup);
    PassStats st;
    const auto ir =
        passes::lower(passes::quantize(passes::validate(ir::make_ir(g, ChipConfig{}), st), st), st);
    CHECK(st.stats.at("duplicates_merged") == 6);
    CHECK(ir.syn[1].size() == 6);
    CHECK(ir.syn[1].weight[0] == 127);  // 64 + 64 clamped to the weight range
    CHECK(st.stats.at("duplicates_clamped") == 6);
}

TEST_CASE("Placement weighs traffic in packets, one per source neuron and destination core",
          "[compiler][place]") {
    // 6 inputs densely into 16 neurons on cores of 8: two cores, each receiving one packet
    // per input spike (6 axons), not one per synapse (48).
    const Graph g = two_layer(6, 16);
    const auto r = compile(g, small_chip());
    const auto& place = r.passes.at(4);
    REQUIRE(place.pass == "place");
    CHECK(r.passes.at(3).stats.at("cores_used") == 2);
    CHECK(place.stats.at("traffic") == 12);
    // The host is west of (0, 0): the best placement is one core at 1 hop, one at 2.
    CHECK(place.stats.at("cost_final") == 6 * 1 + 6 * 2);
    CHECK_THAT(dump_after(g, small_chip(), "place"), Contains("traffic host -> slot 0 6 packets"));
}

TEST_CASE("Quantize warns when one projection's weights are drowned by another's into the "
          "same population, and names the weight width that fixes it",
          "[compiler][quantize]") {
    // Input weights of 0.01 beside lateral weights of -10 into the same population: at 8 bits
    // the input weights round to 0; 1 + ceil(log2(8 * 1000 + 1)) = 14 bits keep 8 levels.
    Graph g = two_layer(4, 3, 0.01f);
    Projection lateral;
    lateral.name = "lateral";
    lateral.pre = "h";
    lateral.post = "h";
    lateral.weights = Tensor::from(std::vector<float>(9, -10.0f), {3, 3});
    g.projections.push_back(lateral);

    ChipConfig chip;
    const auto r = compile(g, chip);
    const auto& q = r.passes.at(1);
    REQUIRE(q.pass == "quantize");
    CHECK(q.stats.at("weak_projections") == 1);
    REQUIRE(q.warnings.size() == 1);
    CHECK_THAT(q.warnings[0], Contains("projection 'fc'") && Contains("projection 'lateral'") &&
                                  Contains("12 of its 12 nonzero weights round to 0") &&
                                  Contains("core.weight_bits >= 14"));
    CHECK_THAT(r.image.report_json, Contains("core.weight_bits >= 14"));

    chip.weight_bits = 14;
    const auto r14 = compile(g, chip);
    CHECK(r14.passes.at(1).warnings.empty());
    CHECK(r14.passes.at(1).stats.at("weak_projections") == 0);
    chip.weight_bits = 13;
    CHECK(compile(g, chip).passes.at(1).warnings.size() == 1);
}

TEST_CASE("Conv populations are partitioned into spatial tiles", "[compiler][partition]") {
    TempNet* keep = nullptr;
    const Graph g = load_conv(keep);
    std::unique_ptr<TempNet> k(keep);
    const auto r = compile(g, small_chip());
    const auto& part = r.passes.at(3);
    CHECK(part.stats.at("spatial_populations") == 2);
    CHECK(part.stats.at("max_axons") <= 16);
    const std::string text = dump_after(g, small_chip(), "partition");
    CHECK_THAT(text, Contains("tile rows 0-1 cols 0-1"));
}

TEST_CASE("Validate rejects what the chip cannot run, naming the node and the fix",
          "[compiler][validate][errors]") {
    SECTION("delay other than one") {
        Graph g = two_layer(3, 2);
        g.projections[0].delay = 2;
        CHECK_THROWS_AS(compile(g, ChipConfig{}), InputError);
        CHECK_THROWS_WITH(compile(g, ChipConfig{}),
                          Contains("delay 2 is not supported") && Contains("fc"));
    }
    SECTION("refractory period wider than the counter") {
        Graph g = two_layer(3, 2);
        g.populations[1].params.refractory_steps = 40;
        CHECK_THROWS_WITH(compile(g, ChipConfig{}),
                          Contains("refractory period 40 steps does not fit refractory_bits = 4") &&
                              Contains("neuron.refractory_bits >= 6"));
    }
    SECTION("STDP on a chip without learning") {
        Graph g = two_layer(3, 2);
        g.projections[0].stdp = StdpParams{};
        ChipConfig chip;
        chip.learning = false;
        CHECK_THROWS_WITH(compile(g, chip),
                          Contains("no learning cores") && Contains("core.learning"));
    }
    SECTION("malformed network caught by the graph checks") {
        Graph g = two_layer(3, 2);
        g.projections[0].post = "nope";
        CHECK_THROWS_AS(compile(g, ChipConfig{}), InputError);
    }
    SECTION("unknown pass for --dump-after") {
        std::ostringstream os;
        CompileOptions opt;
        opt.dump_after = "optimize";
        opt.dump = &os;
        CHECK_THROWS_WITH(compile(two_layer(3, 2), ChipConfig{}, opt),
                          Contains("unknown pass 'optimize'"));
    }
}

TEST_CASE("Quantize rejects two plastic projections with different constants into one target",
          "[compiler][quantize][errors]") {
    Graph g = two_layer(3, 2);
    g.projections[0].stdp = StdpParams{};
    Projection p2 = g.projections[0];
    p2.name = "fc_b";
    p2.stdp->a_plus = 0.5f;
    g.projections.push_back(p2);
    CHECK_THROWS_WITH(compile(g, ChipConfig{}),
                      Contains("different learning constants") && Contains("fc_b"));
}

TEST_CASE("Lower rejects weight tensors that do not match the populations",
          "[compiler][lower][errors]") {
    Graph g = two_layer(3, 2);
    g.projections[0].weights = Tensor::from(std::vector<float>(5, 0.5f), {5});
    PassStats st;
    // validate would catch it first; lower checks on its own, since it indexes by shape
    auto ir = passes::quantize(ir::make_ir(g, ChipConfig{}), st);
    CHECK_THROWS_AS(passes::lower(std::move(ir), st), InputError);
    auto ir2 = passes::quantize(ir::make_ir(g, ChipConfig{}), st);
    CHECK_THROWS_WITH(passes::lower(std::move(ir2), st),
                      Contains("dense weights have 5 elements, expected 2 x 3"));
}

TEST_CASE("Partition says which layer does not fit, by how much, and which setting would",
          "[compiler][partition][errors]") {
    SECTION("one neuron needs more axons than a core has") {
        CHECK_THROWS_AS(compile(two_layer(1400, 2), ChipConfig{}), CapacityError);
        CHECK_THROWS_WITH(compile(two_layer(1400, 2), ChipConfig{}),
                          Contains("layer 'h'") &&
                              Contains("needs 1400 axons, the core has 1024") &&
                              Contains("core.axons >= 1400"));
    }
    SECTION("more cores than the mesh has") {
        ChipConfig chip;
        chip.mesh_w = chip.mesh_h = 1;
        chip.neurons_per_core = 8;
        CHECK_THROWS_AS(compile(two_layer(4, 20), chip), CapacityError);
        CHECK_THROWS_WITH(compile(two_layer(4, 20), chip),
                          Contains("needs 3 cores, the 1x1 mesh has 1") &&
                              Contains("mesh.width: 2") && Contains("mesh.height: 2"));
    }
    SECTION("fan-out above the routing table") {
        Graph g = two_layer(4, 40);
        Projection rec;
        rec.name = "rec";
        rec.pre = "h";
        rec.post = "h";
        rec.weights = Tensor::from(std::vector<float>(1600, 0.1f), {40, 40});
        g.projections.push_back(rec);
        ChipConfig chip;
        chip.neurons_per_core = 8;
        // every h neuron feeds all 5 cores of h, plus the host: 6 destinations
        CHECK_THROWS_AS(compile(g, chip), CapacityError);
        CHECK_THROWS_WITH(compile(g, chip), Contains("sends to 6 destinations (cores + host)") &&
                                                Contains("routing table holds 4") &&
                                                Contains("core.fanout >= 6"));
    }
}

TEST_CASE("Mutated networks either compile or raise sf::Error, never crash",
          "[compiler][errors][fuzz]") {
    std::mt19937_64 rng(2026);
    int compiled = 0, rejected = 0;
    const char* kinds[] = {"dense", "conv", "pooling", "sparse", "recurrent", "mixed"};
    for (int trial = 0; trial < 120; ++trial) {
        Graph g = random_network(kinds[trial % 6], 1 + trial / 6);
        Projection& pr = g.projections[rng() % g.projections.size()];
        Population& pop = g.populations[rng() % g.populations.size()];
        switch (rng() % 10) {
            case 0:
                pr.weights = Tensor::from(std::vector<float>(3, 0.5f), {3});
                break;
            case 1:
                pr.kernel = {0, 3};
                break;
            case 2:
                pr.stride = {0, 1};
                break;
            case 3:
                pr.padding = {-1, 0};
                break;
            case 4:
                pr.delay = int(rng() % 4);
                break;
            case 5:
                pop.params.threshold = 1e9f;
                break;
            case 6:
                pop.params.refractory_steps = int(rng() % 40);
                break;
            case 7:
                pr.post = g.populations[0].name;
                break;
            case 8:
                pop.params.bias = 1e6f;
                break;
            default:
                pr.scale = -3.0f;
                break;
        }
        CAPTURE(trial);
        try {
            compile(g, ChipConfig{});
            ++compiled;
        } catch (const Error&) {
            ++rejected;
        }
    }
    CHECK(compiled > 0);
    CHECK(rejected > 0);
}
