// The worked example of docs/microarchitecture.md §9, cycle by cycle: one input spike
// through a 2 x 2 chip takes 19 cycles (INTEG 9, COMPUTE 4, ROUTE 6) with the counters the
// document lists, the same as the functional model's.
#include <catch2/catch.hpp>

#include "crossmodel_util.hpp"
#include "sf/functional/functional.hpp"
#include "sf/systemc/systemc_backend.hpp"

using namespace sf_xm;

namespace {

sf::ChipImage worked_example() {
    sf::ChipConfig chip;
    chip.mesh_w = chip.mesh_h = 2;
    chip.word_synapses = 16;
    chip.router_fifo_depth = 4;
    chip.host_fifo_depth = 16;
    return sf_xm::worked_example(chip);
}

}  // namespace

TEST_CASE("the worked example of docs/microarchitecture.md takes 19 cycles with the listed counters",
          "[crossmodel][systemc]") {
    const sf::ChipImage img = worked_example();
    sf::SpikeInput in;
    in.num_inputs = 1;
    in.samples.resize(1);
    in.samples[0].steps = {{0}};
    sf::RunOptions opt;
    opt.steps = 1;
    for (bool fast : {true, false}) {
        CAPTURE(fast);
        sf::SystemCOptions so;
        so.fast = fast;
        const sf::RunResult r = sf::run_systemc(img, in, opt, so);
        REQUIRE(r.samples.size() == 1);
        CHECK(r.backend == "systemc");
        CHECK(r.samples[0].cycles_per_step == std::vector<uint64_t>{19});
        CHECK(r.samples[0].output_spikes == std::vector<std::vector<int32_t>>{{0}});
        CHECK(r.counters.cycles == 19);
        CHECK(r.counters.packets == 2);
        CHECK(r.counters.hops_ew == 4);
        CHECK(r.counters.hops_ns == 2);
        CHECK(r.counters.spikes == 1);
        CHECK(r.counters.syn_ops == 1);
        CHECK(r.counters.row_reads == 1);
        CHECK(r.counters.neuron_updates_active == 1);
        CHECK(r.counters.neuron_updates_idle == 0);
        CHECK(r.final_u == std::vector<std::vector<int32_t>>{{64}});
        const sf::CycleStats& cs = r.cycle_stats;
        REQUIRE(cs.present);
        CHECK(cs.steps == 1);
        CHECK(cs.host_in_flits == 1);
        CHECK(cs.host_out_flits == 1);
        // Tile (1, 1) (index 3): busy in cycles 5, 6 (integrate), 9, 10 (update), 13 (encoder).
        CHECK(cs.busy_cycles == std::vector<uint64_t>{0, 0, 0, 5});
        CHECK(cs.link_flits[0] == std::vector<uint64_t>{0, 0, 1, 0, 1});  // (0,0): E, W to host
        CHECK(cs.link_flits[3] == std::vector<uint64_t>{1, 0, 0, 0, 1});  // (1,1): L, W
        const sf::RunResult f = sf::run_functional(img, in, opt);
        CHECK(compare(img, f, r, true) == "");
    }
}
