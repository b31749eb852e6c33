// Property tests on seeded random networks: the image holds every lowered synapse exactly
// once, routes deliver every spike to exactly its targets, no core exceeds its limits, and
// the same seed gives the same image.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler_helpers.hpp"
#include "sf/core/error.hpp"

using namespace sf;
using namespace sf::test;

namespace {

ChipConfig tiny_chip() {
    ChipConfig c;
    c.name = "tiny";
    c.mesh_w = c.mesh_h = 8;
    c.neurons_per_core = 16;
    c.axons_per_core = 128;
    c.fanout = 8;
    c.profiles_per_core = 2;
    return c;
}

// Every synapse of the image as (source, target) -> (weight, plastic), read from the
// crossbars and the axon provenance; counts entries seen twice.
SynMap image_synapses(const ChipImage& img, const std::vector<int64_t>& off, int64_t& twice) {
    SynMap m;
    twice = 0;
    for (const auto& c : img.cores)
        for (int a = 0; a < c.num_axons; ++a) {
            const int64_t src = off[c.axon_pop[a]] + c.axon_index[a];
            for (int n = 0; n < c.num_neurons; ++n) {
                const size_t k = size_t(a) * c.num_neurons + n;
                const bool pl = !c.plastic.empty() && c.plastic[k];
                if (c.weights[k] == 0 && !pl) continue;
                const SynKey key{src, c.neuron_pop[n], c.neuron_index[n]};
                if (m.count(key)) ++twice;
                m[key] = {c.weights[k], pl};
            }
        }
    return m;
}

SynMap without_zero_fixed(SynMap m) {
    for (auto it = m.begin(); it != m.end();)
        it = (it->second.first == 0 && !it->second.second) ? m.erase(it) : std::next(it);
    return m;
}

void check_image(const Graph& g, const ChipConfig& chip, const ChipImage& img) {
    const auto off = pop_offsets(g);
    const SynMap want = without_zero_fixed(lowered_synapses(g, chip));

    // 1. every synapse exactly once, in exactly one crossbar, with its quantized weight
    int64_t twice = 0;
    const SynMap got = image_synapses(img, off, twice);
    CHECK(twice == 0);
    CHECK(got.size() == want.size());
    CHECK(got == want);

    // 2. every spike reaches exactly its targets
    std::map<int64_t, std::vector<Destination>> routes;
    for (const auto& c : img.cores)
        for (int n = 0; n < c.num_neurons; ++n)
            for (int k = c.route_ptr[n]; k < c.route_ptr[n + 1]; ++k)
                routes[off[c.neuron_pop[n]] + c.neuron_index[n]].push_back(c.route_dst[k]);
    int64_t in_gid = 0;
    int input_flat = 0;
    for (size_t p = 0; p < g.populations.size(); ++p) {
        if (g.populations[p].kind != NeuronKind::Input) continue;
        for (int64_t i = 0; i < g.populations[p].size(); ++i, ++input_flat) {
            in_gid = off[p] + i;
            for (int k = img.input_ptr[input_flat]; k < img.input_ptr[input_flat + 1]; ++k)
                routes[in_gid].push_back(img.input_dst[k]);
        }
    }
    CHECK(input_flat == img.num_inputs);
    std::map<int64_t, std::set<std::pair<int, int64_t>>> expected;
    for (const auto& [key, v] : want)
        expected[std::get<0>(key)].insert({std::get<1>(key), std::get<2>(key)});
    std::set<std::tuple<int, int>> axon_used;  // (core, axon) reached by some route
    int64_t bad_axon = 0, missed = 0, outputs_seen = 0;
    for (int64_t src = 0; src < off.back(); ++src) {
        std::set<std::pair<int, int64_t>> reached;
        std::set<int> cores_seen;
        for (const auto& d : routes[src]) {
            if (d.is_host()) {
                ++outputs_seen;
                continue;
            }
            const int ci = img.core_at(d.x, d.y);
            REQUIRE(ci >= 0);
            CHECK(cores_seen.insert(ci).second);  // one axon per destination core
            const auto& c = img.cores[ci];
            REQUIRE(d.axon < c.num_axons);
            if (off[c.axon_pop[d.axon]] + c.axon_index[d.axon] != src) ++bad_axon;
            axon_used.insert({ci, d.axon});
            for (int n = 0; n < c.num_neurons; ++n) {
                const size_t k = size_t(d.axon) * c.num_neurons + n;
                if (c.weights[k] != 0 || (!c.plastic.empty() && c.plastic[k]))
                    reached.insert({c.neuron_pop[n], c.neuron_index[n]});
            }
        }
        if (reached != expected[src]) ++missed;
    }
    CHECK(bad_axon == 0);
    CHECK(missed == 0);
    CHECK(outputs_seen == img.num_outputs);
    size_t axons_total = 0;
    for (const auto& c : img.cores) axons_total += size_t(c.num_axons);
    CHECK(axon_used.size() == axons_total);

    // outputs: host k is produced by output_core[k], output_neuron[k], routed to host k
    for (int k = 0; k < img.num_outputs; ++k) {
        const auto& c = img.cores.at(img.output_core[k]);
        const int n = img.output_neuron[k];
        bool found = false;
        for (int e = c.route_ptr[n]; e < c.route_ptr[n + 1]; ++e)
            found |= c.route_dst[e] == Destination{-1, -1, k};
        CHECK(found);
    }

    // 3. limits
    std::set<std::pair<int, int>> tiles;
    for (const auto& c : img.cores) {
        CHECK(c.num_neurons <= chip.neurons_per_core);
        CHECK(c.num_axons <= chip.axons_per_core);
        CHECK(int(c.profiles.size()) <= chip.profiles_per_core);
        CHECK((c.x >= 0 && c.x < chip.mesh_w && c.y >= 0 && c.y < chip.mesh_h));
        CHECK(tiles.insert({c.x, c.y}).second);
        for (int n = 0; n < c.num_neurons; ++n)
            CHECK(c.route_ptr[n + 1] - c.route_ptr[n] <= chip.fanout);
        CHECK(c.weights.size() == size_t(c.num_axons) * size_t(c.num_neurons));
    }
    CHECK(int(img.cores.size()) <= chip.num_cores());
    // and the image passes core's own structural checks, which every backend relies on
    CHECK_NOTHROW(validate_chip_image(img));
}

bool same_image(const ChipImage& a, const ChipImage& b) {
    if (a.cores.size() != b.cores.size()) return false;
    for (size_t i = 0; i < a.cores.size(); ++i) {
        const auto &x = a.cores[i], &y = b.cores[i];
        if (x.x != y.x || x.y != y.y || x.weights != y.weights || x.plastic != y.plastic ||
            x.route_ptr != y.route_ptr || !(x.route_dst == y.route_dst) ||
            x.bias_mant != y.bias_mant || x.profile_of != y.profile_of ||
            x.axon_index != y.axon_index || x.neuron_index != y.neuron_index)
            return false;
    }
    return a.input_ptr == b.input_ptr && a.input_dst == b.input_dst &&
           a.output_core == b.output_core && a.output_neuron == b.output_neuron;
}

}  // namespace

TEST_CASE("Random networks of every kind compile to images holding each synapse exactly once",
          "[compiler][properties]") {
    for (const std::string kind : {"dense", "conv", "pooling", "sparse", "recurrent", "mixed"})
        for (uint64_t seed = 1; seed <= 4; ++seed)
            for (const ChipConfig& chip : {ChipConfig{}, tiny_chip()}) {
                const Graph g = random_network(kind, seed);
                CAPTURE(kind, seed, chip.name);
                CompileOptions opt;
                opt.seed = seed;
                const CompileResult r = compile(g, chip, opt);
                check_image(g, chip, r.image);
            }
}

TEST_CASE("On preset sf1-small, random networks fit or fail with a capacity error",
          "[compiler][properties]") {
    const ChipConfig chip = load_chip("sf1-small");  // 2x2 mesh of 64-neuron, 256-axon cores
    int fits = 0, too_big = 0;
    for (const std::string kind : {"dense", "conv", "pooling", "sparse", "recurrent", "mixed"})
        for (uint64_t seed = 1; seed <= 4; ++seed) {
            const Graph g = random_network(kind, seed);
            CAPTURE(kind, seed);
            try {
                const CompileResult r = compile(g, chip);
                check_image(g, chip, r.image);
                ++fits;
            } catch (const CapacityError& e) {
                // only the mesh can be too small for these networks, and the message says so
                CHECK_THAT(e.what(), Catch::Matchers::Contains("cores, the 2x2 mesh has 4"));
                ++too_big;
            }
        }
    CHECK(fits >= 12);
    CHECK(too_big >= 1);
}

TEST_CASE("The same seed gives an identical image and a different seed still a valid one",
          "[compiler][properties][determinism]") {
    const Graph g = random_network("conv", 7);
    const ChipConfig chip = tiny_chip();
    CompileOptions opt;
    opt.seed = 42;
    const auto a = compile(g, chip, opt), b = compile(g, chip, opt);
    CHECK(same_image(a.image, b.image));
    opt.seed = 43;
    const auto c = compile(g, chip, opt);
    check_image(g, chip, c.image);

    // Saved images are byte-identical, file by file (report.json aside: it holds wall times).
    namespace fs = std::filesystem;
    const fs::path root = fs::temp_directory_path() / ("sf_det_" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root);
    save_chip_image(a.image, (root / "a").string());
    save_chip_image(b.image, (root / "b").string());
    auto slurp = [](const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    };
    int files = 0;
    for (const auto& e : fs::recursive_directory_iterator(root / "a")) {
        if (!e.is_regular_file() || e.path().filename() == "report.json") continue;
        const fs::path other = root / "b" / fs::relative(e.path(), root / "a");
        INFO(e.path());
        REQUIRE(fs::exists(other));
        CHECK(slurp(e.path()) == slurp(other));
        ++files;
    }
    CHECK(files > 3);
    fs::remove_all(root);
}

TEST_CASE("Quantized weights are within half a step of the float weights", "[compiler][quantize]") {
    const Graph g = random_network("dense", 3);
    const ChipConfig chip;
    PassStats st;
    auto ir = passes::quantize(passes::validate(ir::make_ir(g, chip), st), st);
    for (size_t j = 0; j < g.projections.size(); ++j) {
        const auto w = g.projections[j].weights.to<float>();
        const double s = ir.pops[g.population_index(g.projections[j].post)].scale;
        for (size_t i = 0; i < w.size(); ++i)
            CHECK(std::fabs(ir.projs[j].w[i] / s - w[i]) <= 0.5 / s + 1e-9);
        CHECK(ir.projs[j].max_rel_err <= 0.5 / chip.weight_max() + 1e-9);
    }
    CHECK(st.stats.count("max_rel_err_fc1") == 1);
    CHECK(st.stats.at("max_rel_err") > 0.0);
}

TEST_CASE("Placement cost after annealing is never above the greedy placement",
          "[compiler][place]") {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
        const Graph g = random_network("conv", seed);
        CompileOptions opt;
        opt.seed = seed;
        const auto r = compile(g, tiny_chip(), opt);
        const auto& place = r.passes.at(4);
        REQUIRE(place.pass == "place");
        CHECK(place.stats.at("cost_final") <= place.stats.at("cost_greedy"));
    }
}
