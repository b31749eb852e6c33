// Round trips: import → export → import gives the same network, and export → import of
// every shipped spiking network gives the same float outputs.
#include "nir_test_util.hpp"
#include "sf/nir/nir_file.hpp"
#include "sf/reference/snn.hpp"

using namespace nir_test;

namespace {

const char* kFixtures[] = {"linear_lif.nir",
                           "affine_if.nir",
                           "cubalif.nir",
                           "cubali.nir",
                           "li.nir",
                           "integrator.nir",
                           "scale.nir",
                           "thresholds.nir",
                           "conv2d.nir",
                           "conv2d_same_dilation_groups.nir",
                           "conv1d.nir",
                           "pooling.nir",
                           "flatten.nir",
                           "delay.nir",
                           "threshold.nir",
                           "chain.nir",
                           "linear_output.nir",
                           "nested.nir",
                           "old_layout.nir"};

// Export, write, read back and import with the settings the export names.
sf::Graph through_nir(const sf::Graph& g, const std::string& path, sf::nir::ImportOptions opt) {
    const sf::nir::ExportResult e = sf::nir::export_nir(g);
    sf::nir::write_nir(e.file, path);
    opt.dt = e.dt;
    opt.reset = e.reset;
    opt.refractory_steps = e.refractory_steps;
    opt.name = g.name;
    opt.timesteps = g.timesteps;
    opt.encoder = g.encoder;
    opt.dataset = g.dataset;
    return sf::nir::import_nir(path, opt).graph;
}

}  // namespace

TEST_CASE("Import then export then import gives the same network for every fixture", "[nir]") {
    sf_test::ScratchDir dir;
    for (const char* name : kFixtures) {
        INFO(name);
        sf::nir::ImportOptions opt;
        opt.reset = sf::ResetMode::Subtract;
        opt.refractory_steps = 1;
        const sf::Graph first = import_fixture(name, opt).graph;
        const sf::Graph second = through_nir(first, dir / "rt.nir", opt);
        require_same_graph(first, second);
    }
}

TEST_CASE("The NIR file model reads back what it wrote", "[nir]") {
    sf_test::ScratchDir dir;
    const sf::nir::File f = sf::nir::read_nir(fixture("nested.nir"));
    sf::nir::write_nir(f, dir / "copy.nir");
    const sf::nir::File g = sf::nir::read_nir(dir / "copy.nir");
    CHECK(g.version == f.version);
    REQUIRE(g.graph.nodes.size() == f.graph.nodes.size());
    CHECK(g.graph.edges == f.graph.edges);
    for (std::size_t i = 0; i < f.graph.nodes.size(); ++i) {
        CHECK(g.graph.nodes[i].first == f.graph.nodes[i].first);
        CHECK(g.graph.nodes[i].second.type == f.graph.nodes[i].second.type);
        CHECK(g.graph.nodes[i].second.fields.size() == f.graph.nodes[i].second.fields.size());
    }
}

TEST_CASE("Export then import of every shipped spiking network gives the same float outputs",
          "[nir]") {
    sf_test::ScratchDir dir;
    for (const char* net : {"digits-snn", "fmnist-snn", "fmnist-cnn-snn", "mnist-stdp"}) {
        INFO(net);
        const sf::Graph g = sf::load_network(std::string(SF_SOURCE_DIR) + "/networks/" + net);
        const sf::Graph h = through_nir(g, dir / (std::string(net) + ".nir"), {});
        int num_inputs = 0;
        for (const auto* p : g.inputs()) num_inputs += int(p->size());
        // Random input spikes: no data set needed; long enough to cross every layer.
        const int steps = std::min(g.timesteps, 40);
        const sf::SpikeInput in = random_input(num_inputs, 4, steps, 0.2, 7);
        sf::SnnRunOptions opt;
        opt.steps = steps;
        opt.record_spikes = true;
        sf::SnnSimulator a(g), b(h);
        const sf::SnnResult ra = a.run(in, opt), rb = b.run(in, opt);
        REQUIRE(ra.readout.size() == rb.readout.size());
        for (std::size_t s = 0; s < ra.readout.size(); ++s) CHECK(ra.readout[s] == rb.readout[s]);
        CHECK(ra.population_spikes == rb.population_spikes);
        uint64_t total = 0;
        for (auto x : ra.population_spikes) total += x;
        CHECK(total > 0);
    }
}

TEST_CASE("Recorded spikes are written in NIRData's layout and read back", "[nir]") {
    sf_test::ScratchDir dir;
    sf::nir::Recording r;
    r.dt = 1e-3;
    sf::nir::Observable o;
    o.node = "lif";
    o.samples = 2, o.steps = 3, o.neurons = 2;
    o.data = {1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1};
    r.observables.push_back(o);
    o.node = "li";
    o.name = "v";
    o.binary = false;
    o.data = {0.5f, -1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11.25f};
    r.observables.push_back(o);
    sf::nir::write_nir_data(r, dir / "act.nir");
    const sf::nir::Recording back = sf::nir::read_nir_data(dir / "act.nir");
    CHECK(back.dt == 1e-3);
    REQUIRE(back.observables.size() == 2);
    for (const auto& b : back.observables) {
        const auto& want = b.node == "lif" ? r.observables[0] : r.observables[1];
        CHECK(b.name == want.name);
        CHECK(b.data == want.data);
        CHECK(b.binary == want.binary);
    }
}
