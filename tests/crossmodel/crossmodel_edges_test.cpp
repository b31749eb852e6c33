// Edge cases of the cycle-level chip: u reaching +2^(B_s-1) (the value that needs u's extra
// bit, chip-spec §2), the watchdog on a broken router and on a broken image, and images the
// chip refuses with a clear error instead of hanging.
#include <catch2/catch.hpp>

#include "crossmodel_util.hpp"
#include "sf/core/error.hpp"
#include "sf/functional/functional.hpp"
#include "sf/harness/harness.hpp"
#include "sf/systemc/chip.hpp"
#include "sf/systemc/systemc_backend.hpp"

using namespace sf_xm;

namespace {

// IF neuron (u = this step's input << 6) on 16-bit weights: five events summing to 2^17 drive
// u to exactly 2^23 = +2^(B_s-1) with B_s = 24.
sf::ChipImage u_edge_image() {
    sf::ChipImage img;
    img.chip.weight_bits = 16;
    img.network = "u-edge";
    img.timesteps = 2;
    img.num_inputs = 5;
    img.num_outputs = 1;
    sf::NeuronProfile p;
    p.du = 4095;
    p.dv = 0;
    p.spiking = false;  // v saturates at 2^23 - 1 and stays
    sf::CoreImage c = make_core(2, 1, 1, 5, p);
    c.weights = {32767, 32767, 32767, 32767, 4};
    set_routes(c, {{host_out(0)}});
    img.cores.push_back(c);
    std::vector<std::vector<sf::Destination>> in;
    for (int i = 0; i < 5; ++i) in.push_back({sf::Destination{2, 1, i}});
    set_input_routes(img, in);
    img.output_core = {0};
    img.output_neuron = {0};
    return img;
}

sf::SpikeInput all_inputs_once(int inputs, int steps) {
    sf::SpikeInput in;
    in.num_inputs = inputs;
    in.samples.resize(1);
    in.samples[0].steps.resize(size_t(steps));
    for (int i = 0; i < inputs; ++i) in.samples[0].steps[0].push_back(i);
    return in;
}

}  // namespace

TEST_CASE("u reaches +2^(B_s-1) and reads back as the functional model's value",
          "[crossmodel][systemc][edge]") {
    const sf::ChipImage img = u_edge_image();
    sf::RunOptions opt;
    opt.steps = 1;
    opt.record = sf::RecordU | sf::RecordV;
    const sf::SpikeInput in = all_inputs_once(5, 1);
    const sf::RunResult want = sf::run_functional(img, in, opt);
    const sf::RunResult got = sf::run_systemc(img, in, opt);
    REQUIRE(want.final_u[0][0] == (1 << 23));
    CHECK(want.final_v[0][0] == (1 << 23) - 1);
    CHECK(compare(img, want, got, true) == "");
    CHECK(got.final_u[0][0] == (1 << 23));
}

TEST_CASE("the SystemC core counts wrapped neuron updates (state_wraps) as the functional model",
          "[crossmodel][systemc][edge]") {
    // Weight 100 -> a_in << 6 = 6400 per step into u that keeps 4095/4096 of itself (du = 0)
    // on 16-bit state: u = 6400, 12798, 19194, 25589, 31982, then 38374 wraps (step 6 only).
    sf::ChipImage img;
    img.network = "wraps";
    img.timesteps = 8;
    img.num_inputs = 1;
    img.num_outputs = 1;
    img.chip.state_bits = 16;
    img.chip.threshold_bits = 10;
    sf::NeuronProfile p;
    p.du = 0;
    p.dv = 4095;
    p.vth = 1000;
    sf::CoreImage c = make_core(1, 1, 1, 1, p);
    c.weights = {100};
    set_routes(c, {{host_out(0)}});
    img.cores.push_back(c);
    set_input_routes(img, {{sf::Destination{1, 1, 0}}});
    img.output_core = {0};
    img.output_neuron = {0};
    sf::SpikeInput in;
    in.num_inputs = 1;
    in.samples.resize(1);
    in.samples[0].steps.assign(8, std::vector<int32_t>{0});
    sf::RunOptions opt;
    opt.steps = 8;
    const sf::RunResult want = sf::run_functional(img, in, opt);
    const sf::RunResult got = sf::run_systemc(img, in, opt);
    REQUIRE(want.state_wraps == 1);
    CHECK(got.state_wraps == 1);
    CHECK(compare(img, want, got, true) == "");
}

TEST_CASE("the watchdog stops a step whose flits a broken router never forwards and names them",
          "[crossmodel][systemc][watchdog]") {
    const sf::ChipImage img = u_edge_image();  // core at (2, 1): host flits go E then S
    sf::RunOptions opt;
    opt.steps = 1;
    sf::SystemCOptions so;
    so.watchdog_cycles = 2000;
    so.before_run = [](sf::sc::Chip& chip) { chip.break_router_output(1, sf::harness::PORT_E); };
    try {
        sf::run_systemc(img, all_inputs_once(5, 1), opt, so);
        FAIL("no watchdog error");
    } catch (const sf::harness::WatchdogError& e) {
        const std::string m = e.what() + std::string(" ") + e.problem();
        INFO(m);
        CHECK(m.find("did not finish within 2000 cycles") != std::string::npos);
        CHECK(m.find("router (1, 0) input W") != std::string::npos);
        CHECK(m.find("head {host 0, x 2, y 1, axon") != std::string::npos);
    }
    // The next run in the same process is not affected.
    const sf::RunResult ok = sf::run_systemc(img, all_inputs_once(5, 1), opt);
    CHECK(ok.final_u[0][0] == (1 << 23));
}

TEST_CASE("the watchdog stops a step of a broken image that routes off the mesh",
          "[crossmodel][systemc][watchdog]") {
    sf::ChipImage img = u_edge_image();
    img.input_dst[0] = sf::Destination{7, 1, 0};  // column 7 of a 4-wide mesh
    sf::RunOptions opt;
    opt.steps = 1;
    sf::SystemCOptions so;
    so.watchdog_cycles = 1000;
    so.check_image = false;
    REQUIRE_THROWS_AS(sf::run_systemc(img, all_inputs_once(5, 1), opt, so),
                      sf::harness::WatchdogError);
    // Checked images never get that far.
    REQUIRE_THROWS_AS(sf::run_systemc(img, all_inputs_once(5, 1), opt), sf::InputError);
}

TEST_CASE("an image with more host outputs than a flit can name is refused with the limit",
          "[crossmodel][systemc][edge]") {
    sf::ChipImage img = u_edge_image();
    img.num_outputs = 70000;
    img.output_core.assign(70000, 0);
    img.output_neuron.assign(70000, 0);
    sf::RunOptions opt;
    opt.steps = 1;
    try {
        sf::run_systemc(img, all_inputs_once(5, 1), opt);
        FAIL("no error");
    } catch (const sf::InputError& e) {
        CHECK(std::string(e.what()).find("65,536") != std::string::npos);
    }
}
