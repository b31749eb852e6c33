// The SystemC chip's blocks alone: the router under random traffic with random
// backpressure (every flit leaves once, on its XY output, in order per input and output),
// and the core's integrate, update and learning cycle counts on hand-built chips
// (docs/microarchitecture.md §3, §4, §7).
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <random>

#include "../crossmodel/crossmodel_util.hpp"
#include "sf/core/error.hpp"
#include "sf/systemc/channels.hpp"
#include "sf/systemc/router.hpp"
#include "sf/systemc/systemc_backend.hpp"

using namespace sf::harness;

namespace {

// The router's logic (route computation, arbiters) over plain FIFOs, stepped by the test.
struct TestRouter : sf::sc::XyArbiter {
    void reset(int x, int y, int depth) {
        XyArbiter::reset(x, y);
        for (sf::sc::FifoState& f : in) f.reset(depth);
    }
    sf::sc::FifoState in[5];
};

}  // namespace

TEST_CASE("a router delivers every flit once, on its XY output, in order, under backpressure",
          "[systemc][router]") {
    std::mt19937_64 rng(42);
    for (int depth : {1, 2, 4}) {
        TestRouter r;
        r.reset(2, 2, depth);  // tile (2, 2) of a 5 x 5 mesh
        std::map<std::pair<int, int>, std::deque<uint64_t>> expected;  // (input, output)
        uint64_t next_id = 0, delivered = 0, offered = 0;
        for (int cycle = 0; cycle < 20000; ++cycle) {
            // Requests and grants from start-of-cycle state.
            unsigned req[5] = {0, 0, 0, 0, 0};
            for (int i = 0; i < 5; ++i)
                if (!r.in[i].empty()) req[r.route(r.in[i].front())] |= 1u << i;
            int grant[5];
            for (int o = 0; o < 5; ++o) {
                grant[o] = -1;
                const bool ready = rng() % 3 != 0;  // random backpressure
                if (!req[o] || !ready) continue;
                grant[o] = r.arbitrate(o, req[o]);
                r.last_grant[o] = grant[o];
            }
            // Pops, then random pushes into inputs that had room at the start of the cycle.
            bool room[5];
            for (int i = 0; i < 5; ++i) room[i] = r.in[i].ready();
            for (int o = 0; o < 5; ++o) {
                if (grant[o] < 0) continue;
                const uint64_t f = r.in[grant[o]].front();
                r.in[grant[o]].pop();
                auto& q = expected[{grant[o], o}];
                REQUIRE(!q.empty());
                CHECK(q.front() == f);  // in order per input and output, never duplicated
                q.pop_front();
                ++delivered;
            }
            for (int i = 0; i < 5; ++i) {
                if (!room[i] || rng() % 2) continue;
                const uint32_t x = uint32_t(rng() % 5), y = uint32_t(rng() % 5);
                const bool host = rng() % 8 == 0;
                const uint64_t f = make_flit(host, host ? 0 : x, host ? 0 : y,
                                             uint32_t(next_id++ & 0xFFFF));
                r.in[i].push(f);
                expected[{i, r.route(f)}].push_back(f);
                ++offered;
            }
        }
        // Drain without backpressure: nothing is lost.
        for (int cycle = 0; cycle < 1000; ++cycle)
            for (int o = 0; o < 5; ++o) {
                unsigned req = 0;
                for (int i = 0; i < 5; ++i)
                    if (!r.in[i].empty() && r.route(r.in[i].front()) == o) req |= 1u << i;
                if (!req) continue;
                const int i = r.arbitrate(o, req);
                r.last_grant[o] = i;
                auto& q = expected[{i, o}];
                REQUIRE(!q.empty());
                CHECK(q.front() == r.in[i].front());
                q.pop_front();
                r.in[i].pop();
                ++delivered;
            }
        CHECK(delivered == offered);
        CHECK(offered > 10000);
        for (const auto& kv : expected) CHECK(kv.second.empty());
        // XY routing at tile (2, 2): x first, then y, the host via (0, 0) then west.
        CHECK(r.route(make_flit(false, 4, 0, 0)) == PORT_E);
        CHECK(r.route(make_flit(false, 2, 0, 0)) == PORT_N);
        CHECK(r.route(make_flit(false, 2, 3, 0)) == PORT_S);
        CHECK(r.route(make_flit(false, 2, 2, 0)) == PORT_L);
        CHECK(r.route(make_flit(true, 0, 0, 0)) == PORT_W);
    }
}

namespace {

// One core at (0, 0): n neurons, a axons, S = 16 (R = ceil(n / 16)); input 0 -> axon 0.
sf::ChipImage one_core(int n, int a, bool learning) {
    sf::ChipImage img;
    img.chip = sf::load_chip("sf1-small");
    img.network = "cycles";
    img.timesteps = 1;
    img.num_inputs = 1;
    img.num_outputs = 1;
    sf::NeuronProfile p;
    p.vth = 100000;  // never fires
    sf::CoreImage c = sf_xm::make_core(0, 0, n, a, p);
    for (auto& w : c.weights) w = 1;
    if (learning) {
        c.plastic.assign(c.weights.size(), 1);
        c.learning.enabled = true;
        c.learning.w_min = -8;
        c.learning.w_max = 8;
        c.learning.x_inc = 5;
    }
    sf_xm::set_routes(c, {});
    img.cores.push_back(c);
    sf_xm::set_input_routes(img, {{sf::Destination{0, 0, 0}}});
    img.output_core = {0};
    img.output_neuron = {0};
    return img;
}

uint64_t step_cycles(const sf::ChipImage& img) {
    sf::SpikeInput in;
    in.num_inputs = 1;
    in.samples.resize(1);
    in.samples[0].steps = {{0}};
    sf::RunOptions opt;
    opt.steps = 1;
    const sf::RunResult r = sf::run_systemc(img, in, opt);
    return r.samples.at(0).cycles_per_step.at(0);
}

}  // namespace

TEST_CASE("a core integrates one word per cycle and updates n neurons in n + 1 cycles",
          "[systemc][core]") {
    // INTEG: receive 0, inject 1, router to L 2, reads 3..3+R-1, accumulate to 3+R, idle
    // 4+R, ends 5+R: 6 + R cycles. COMPUTE: B + 2 = n + 3. ROUTE, nothing to send: 3.
    for (int n : {1, 16, 20, 64}) {
        CAPTURE(n);
        const uint64_t R = uint64_t((n + 15) / 16);
        CHECK(step_cycles(one_core(n, 3, false)) == (6 + R) + uint64_t(n + 3) + 3);
    }
}

TEST_CASE("learning adds a + n + (sum of row costs + 1) + n cycles to COMPUTE",
          "[systemc][core]") {
    // Axon 0 had a pre spike (R cycles), axons 1, 2 are skipped (1 each), no neuron fired.
    for (int n : {1, 20, 40}) {
        CAPTURE(n);
        const uint64_t R = uint64_t((n + 15) / 16), a = 3;
        const uint64_t L = a + uint64_t(n) + (R + 2 + 1) + uint64_t(n);
        CHECK(step_cycles(one_core(n, int(a), true)) == (6 + R) + (uint64_t(n) + 1 + L + 2) + 3);
    }
}

namespace {

// The processes (SC_METHODs) directly inside a module.
int processes_of(const sc_core::sc_object* o) {
    int n = 0;
    for (const sc_core::sc_object* c : o->get_child_objects())
        if (std::string(c->kind()) == "sc_method_process") ++n;
    return n;
}

}  // namespace

TEST_CASE("every block is a clocked SystemC module with its own process in the chip hierarchy",
          "[systemc][hierarchy]") {
    // Run a 2 x 2 image so the chip exists (the process's chip may be bigger: tiles_X_Y are
    // named after the first configuration, tile 0 is tile_0_0 in every mesh).
    step_cycles(one_core(4, 2, false));
    const sc_core::sc_object* chip = sc_core::sc_find_object("sf_chip");
    REQUIRE(chip != nullptr);
    CHECK(std::string(chip->kind()) == "sc_module");
    for (const char* name : {"sf_chip.controller", "sf_chip.host_port", "sf_chip.tile_0_0",
                             "sf_chip.tile_0_0.router", "sf_chip.tile_0_0.core"}) {
        CAPTURE(name);
        const sc_core::sc_object* m = sc_core::sc_find_object(name);
        REQUIRE(m != nullptr);
        CHECK(std::string(m->kind()) == "sc_module");
        // Clock and reset ports, bound (through the tile) to the chip's.
        const auto* clk = dynamic_cast<const sc_core::sc_in<bool>*>(
            sc_core::sc_find_object((std::string(name) + ".clk_i").c_str()));
        const auto* rst = dynamic_cast<const sc_core::sc_in<bool>*>(
            sc_core::sc_find_object((std::string(name) + ".rst_ni").c_str()));
        REQUIRE(clk != nullptr);
        REQUIRE(rst != nullptr);
        CHECK(clk->get_interface() != nullptr);
        CHECK(rst->get_interface() != nullptr);
    }
    CHECK(processes_of(sc_core::sc_find_object("sf_chip")) == 1);             // cfg/debug port
    CHECK(processes_of(sc_core::sc_find_object("sf_chip.controller")) == 1);
    CHECK(processes_of(sc_core::sc_find_object("sf_chip.host_port")) == 2);   // in, out
    CHECK(processes_of(sc_core::sc_find_object("sf_chip.tile_0_0")) == 0);    // structural
    CHECK(processes_of(sc_core::sc_find_object("sf_chip.tile_0_0.router")) == 1);
    CHECK(processes_of(sc_core::sc_find_object("sf_chip.tile_0_0.core")) == 1);
    // The FIFOs between blocks are channels of the blocks that pop them.
    for (const char* f : {"sf_chip.tile_0_0.router.in_0", "sf_chip.tile_0_0.router.in_4",
                          "sf_chip.tile_0_0.core.event_queue", "sf_chip.host_port.inject"}) {
        CAPTURE(f);
        CHECK(dynamic_cast<const sf::sc::Fifo*>(sc_core::sc_find_object(f)) != nullptr);
    }
}

TEST_CASE("a mesh larger than the process's SystemC chip was built for gets a clear error",
          "[systemc][hierarchy]") {
    sf::prepare_systemc(sf::load_chip("sf1-small"));  // builds 256 tiles if not built yet
    sf::ChipImage img = one_core(4, 2, false);
    img.chip.mesh_w = 20;
    img.chip.mesh_h = 20;
    sf::SpikeInput in;
    in.num_inputs = 1;
    in.samples.resize(1);
    in.samples[0].steps = {{0}};
    sf::RunOptions opt;
    opt.steps = 1;
    sf::SystemCOptions so;
    so.check_image = false;
    try {
        sf::run_systemc(img, in, opt, so);
        FAIL("no error for a 20 x 20 mesh");
    } catch (const sf::Error& e) {
        const std::string m = e.problem() + " " + e.fix();
        CHECK(m.find("20 x 20") != std::string::npos);
        CHECK(m.find("its own process") != std::string::npos);
    }
    // The chip still runs images that fit.
    CHECK(step_cycles(one_core(4, 2, false)) > 0);
}
