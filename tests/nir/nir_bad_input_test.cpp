// Every malformed NIR file gives one clear InputError: what, which file and node, how to fix.
#include "nir_test_util.hpp"

using namespace nir_test;
using sf_test::error_of;

namespace {

struct Bad {
    const char* file;
    const char* node;    // what the message names ("" when the file as a whole is wrong)
    const char* phrase;  // what it says
};

const Bad kBad[] = {
    {"bad_missing_field.nir", "lif", "has no field 'tau'"},
    {"bad_weight_shape.nir", "fc", "takes 4 inputs but gets [3]"},
    {"bad_param_shape.nir", "lif", "has parameters of shape [3]"},
    {"bad_unknown_type.nir", "lif", "'Spiky' is not a NIR 1.0 node kind"},
    {"bad_tau_per_neuron.nir", "lif", "different tau values per neuron"},
    {"bad_nan_weight.nir", "fc", "holds nan"},
    {"bad_tau_below_dt.nir", "lif", "shorter than dt"},
    {"bad_threshold_below_reset.nir", "lif", "v_threshold - v_reset = -0.5"},
    {"bad_edge.nir", "/node/edges", "names 'outptu', which is not a node"},
    {"bad_edges_not_pairs.nir", "/node/edges", "edges must be an N×2 array"},
    {"bad_cycle.nir", "'a'", "has no neuron in it"},
    {"bad_li_feeds_linear.nir", "li", "continuous membrane value"},
    {"bad_same_even_kernel.nir", "conv", "even kernel"},
    {"bad_delay_fraction.nir", "delay", "not a whole number of time steps"},
    {"bad_no_version.nir", "/version", "no `version` dataset"},
    {"bad_no_type.nir", "/node/nodes/lif", "no `type` dataset"},
    {"bad_no_node.nir", "/node", "no `node` group"},
    {"bad_not_hdf5.nir", "", "not an HDF5 file"},
};

}  // namespace

TEST_CASE("Every malformed NIR fixture is refused with the file, the node and a fix", "[nir]") {
    for (const Bad& b : kBad) {
        INFO(b.file);
        const auto e = error_of([&] { import_fixture(b.file); });
        REQUIRE_FALSE(e.what.empty());
        CHECK_THAT(e.what, Catch::Contains(b.file));
        CHECK_THAT(e.what, Catch::Contains(b.node));
        CHECK_THAT(e.what, Catch::Contains(b.phrase));
        CHECK_FALSE(e.fix.empty());
    }
}

TEST_CASE("A missing NIR file and bad options are named", "[nir]") {
    CHECK_THAT(error_of([] { import_fixture("no_such.nir"); }).what,
               Catch::Contains("does not exist"));
    sf::nir::ImportOptions opt;
    opt.dt = -1;
    CHECK_THAT(error_of([&] { import_fixture("linear_lif.nir", opt); }).what,
               Catch::Contains("--dt"));
}

TEST_CASE("Exporting a network NIR cannot express is refused with the population named", "[nir]") {
    sf::Graph g = import_fixture("cubalif.nir").graph;
    g.populations[1].params.decay_v = 0.0f;  // a current-based neuron without leak
    const auto e = error_of([&] { sf::nir::export_nir(g); });
    CHECK_THAT(e.what, Catch::Contains("population 'cuba'"));
    CHECK_THAT(e.what, Catch::Contains("CubaLIF"));
}
