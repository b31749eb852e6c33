// The functional emulator on chips built in code, with results computed by hand from
// docs/chip-spec.md: spike times, the one-step delay per core, outputs, STDP on a 2x2
// crossbar and every event counter; and the order-independence contract (DESIGN.md §7).
#include <catch2/catch.hpp>

#include "functional_test_util.hpp"
#include "sf/core/error.hpp"
#include "sf/functional/detail.hpp"
#include "sf/functional/functional.hpp"

using sf::Destination;
using namespace sf_test;

namespace {

// IF neuron: u is this step's input (du = 4095), v never leaks (dv = 0).
sf::NeuronProfile if_neuron(int vth) {
    sf::NeuronProfile p;
    p.du = 4095;
    p.dv = 0;
    p.vth = vth;
    return p;
}

}  // namespace

TEST_CASE("One neuron driven by one axon spikes at the hand-computed steps",
          "[functional][engine]") {
    // Core at (1, 2); weight 3 -> a_in 3 -> u = 192 per step; threshold 10 << 6 = 640:
    // v = 192, 384, 576, 768 > 640 -> spike at step 3, then again every 4 steps.
    sf::ChipImage img = empty_image(2, 3, 1, 1);
    sf::CoreImage c = make_core(1, 2, 1, 1, if_neuron(10));
    c.weights = {3};
    set_routes(c, {{host_out(0)}});
    img.cores.push_back(c);
    set_input_routes(img, {{Destination{1, 2, 0}}});

    std::vector<std::vector<int32_t>> steps(12, std::vector<int32_t>{0});
    sf::RunOptions opt;
    opt.steps = 12;
    opt.record = sf::RecordSpikes | sf::RecordU | sf::RecordV;
    const sf::RunResult r = sf::run_functional(img, one_sample(1, steps), opt);

    REQUIRE(r.samples.size() == 1);
    const auto& s = r.samples[0];
    REQUIRE(s.output_spikes.size() == 12);
    for (int t = 0; t < 12; ++t) {
        INFO("step " << t);
        const bool fires = t % 4 == 3;
        CHECK(s.output_spikes[size_t(t)] ==
              (fires ? std::vector<int32_t>{0} : std::vector<int32_t>{}));
        CHECK(s.raster[size_t(t)].size() == (fires ? 1u : 0u));
        CHECK(s.u_trace[size_t(t)][0][0] == 192);
        CHECK(s.v_trace[size_t(t)][0][0] == (fires ? 0 : 192 * (t % 4 + 1)));
    }
    CHECK(s.output_counts == std::vector<int32_t>{3});
    CHECK(s.predicted == 0);
    CHECK(r.steps == 12);
    CHECK(r.backend == "functional");

    // Counters: 12 input packets host -> (1, 2): 2 E-W + 2 N-S hops each; 3 output
    // packets (1, 2) -> host: the same distance.
    CHECK(r.counters.syn_ops == 12);
    CHECK(r.counters.row_reads == 12);
    CHECK(r.counters.spikes == 3);
    CHECK(r.counters.packets == 15);
    CHECK(r.counters.hops_ew == 30);
    CHECK(r.counters.hops_ns == 30);
    CHECK(r.counters.neuron_updates_active == 12);
    CHECK(r.counters.neuron_updates_idle == 0);
    CHECK(r.counters.learn_updates == 0);
    CHECK(r.counters.cycles == 0);
    CHECK(r.final_u == std::vector<std::vector<int32_t>>{{192}});
    CHECK(r.final_weights.empty());  // no learning and not asked for
    CHECK(r.state_wraps == 0);
}

TEST_CASE("The run counts neuron updates whose u wrapped round a narrow state",
          "[functional][engine]") {
    // Weight 100 -> a_in << 6 = 6400 per step into a u that keeps 4095/4096 of itself each
    // step (du = 0): u = 6400, 12798, 19194, 25589, 31982, then 38374 wraps past 2^15 at
    // 16-bit state to 38374 - 65536.
    sf::ChipImage img = empty_image(1, 1, 1, 1);
    sf::NeuronProfile p = if_neuron(1000);
    p.du = 0;
    sf::CoreImage c = make_core(0, 0, 1, 1, p);
    c.weights = {100};
    set_routes(c, {{host_out(0)}});
    img.cores.push_back(c);
    set_input_routes(img, {{Destination{0, 0, 0}}});
    img.chip.state_bits = 16;
    img.chip.threshold_bits = 10;  // threshold_bits + 6 <= state_bits
    std::vector<std::vector<int32_t>> steps(8, std::vector<int32_t>{0});
    sf::RunOptions opt;
    opt.steps = 8;
    opt.record = sf::RecordU;
    const sf::RunResult r = sf::run_functional(img, one_sample(1, steps), opt);
    const auto& u = r.samples.at(0).u_trace;
    CHECK(u.at(4)[0][0] == 31982);
    CHECK(u.at(5)[0][0] == 38374 - 65536);  // wrapped
    CHECK(u.at(7)[0][0] == -14349);
    CHECK(r.state_wraps == 1);  // only step 6 wrapped
}

TEST_CASE("A relay chain across cores adds one step of delay per core and counts XY hops",
          "[functional][engine][routing]") {
    // host -> A(0,0) -> B(2,0) -> C(2,1) -> host. Weight 127 fires in one step.
    sf::ChipImage img = empty_image(3, 2, 1, 1);
    sf::NeuronProfile p = if_neuron(100);
    p.dv = 4095;
    sf::CoreImage a = make_core(0, 0, 1, 1, p), b = make_core(2, 0, 1, 1, p),
                  c = make_core(2, 1, 1, 1, p);
    a.weights = b.weights = c.weights = {127};
    set_routes(a, {{Destination{2, 0, 0}}});
    set_routes(b, {{Destination{2, 1, 0}}});
    set_routes(c, {{host_out(0)}});
    img.cores = {a, b, c};
    set_input_routes(img, {{Destination{0, 0, 0}}});

    sf::RunOptions opt;
    opt.steps = 5;
    opt.record = sf::RecordSpikes;
    const sf::RunResult r = sf::run_functional(img, one_sample(1, {{0}}), opt);
    const auto& s = r.samples[0];
    REQUIRE(s.raster.size() == 5);
    CHECK(s.raster[0] == std::vector<sf::ChipSpike>{{0, 0}});
    CHECK(s.raster[1] == std::vector<sf::ChipSpike>{{1, 0}});
    CHECK(s.raster[2] == std::vector<sf::ChipSpike>{{2, 0}});
    CHECK(s.raster[3].empty());
    CHECK(s.output_spikes[2] == std::vector<int32_t>{0});
    CHECK(s.output_counts == std::vector<int32_t>{1});

    // Hops: host->(0,0) 1 E-W; (0,0)->(2,0) 2 E-W; (2,0)->(2,1) 1 N-S; (2,1)->host 3 E-W 1 N-S.
    CHECK(r.counters.packets == 4);
    CHECK(r.counters.hops_ew == 6);
    CHECK(r.counters.hops_ns == 2);
    CHECK(r.counters.spikes == 3);
    CHECK(r.counters.syn_ops == 3);
    // Active: the step a core gets input, and the next one (u is still nonzero before it).
    CHECK(r.counters.neuron_updates_active == 6);
    CHECK(r.counters.neuron_updates_idle == 9);

    CHECK(sf::detail::hops_host(0, 0).ew == 1);
    CHECK(sf::detail::hops_host(3, 2).ns == 2);
    CHECK(sf::detail::hops_between(3, 0, 1, 2).ew == 2);
    CHECK(sf::detail::hops_between(3, 0, 1, 2).ns == 2);
}

TEST_CASE("Fan-out reaches several host outputs and cores in the same step",
          "[functional][engine][routing]") {
    sf::ChipImage img = empty_image(2, 1, 1, 3);
    sf::CoreImage a = make_core(1, 0, 1, 1, if_neuron(1)), b = make_core(0, 0, 2, 2, if_neuron(1));
    a.weights = {50};
    b.weights = {50, 0, 0, 50};  // axon 0 -> neuron 0, axon 1 -> neuron 1
    set_routes(a, {{host_out(0), host_out(2), Destination{0, 0, 0}, Destination{0, 0, 1}}});
    set_routes(b, {{host_out(1)}, {host_out(1)}});
    img.cores = {a, b};
    set_input_routes(img, {{Destination{1, 0, 0}}});

    sf::RunOptions opt;
    opt.steps = 3;
    const sf::RunResult r = sf::run_functional(img, one_sample(1, {{0}}), opt);
    const auto& s = r.samples[0];
    CHECK(s.output_spikes[0] == std::vector<int32_t>{0, 2});
    CHECK(s.output_spikes[1] == std::vector<int32_t>{1, 1});  // two neurons, one output each
    CHECK(s.output_spikes[2].empty());
    CHECK(s.output_counts == std::vector<int32_t>{1, 2, 1});
    CHECK(s.predicted == 1);
    // Packets: 1 input + 4 from a + 1 from each of b's two neurons.
    CHECK(r.counters.packets == 7);
    // E-W hops: host->(1,0) 2; a->host 2+2; a->(0,0) 1+1; b->host 1+1.
    CHECK(r.counters.hops_ew == 10);
    CHECK(r.counters.hops_ns == 0);
    // Crossbar b has two rows of 2 synapses with one present each.
    CHECK(r.counters.syn_ops == 3);
}

TEST_CASE("STDP on a 2x2 crossbar gives the hand-computed weights and update count",
          "[functional][engine][learning]") {
    sf::ChipImage img = empty_image(1, 1, 2, 0);
    sf::CoreImage c = make_core(0, 0, 2, 2, if_neuron(10));
    c.weights = {50, 0, 0, 50};
    c.plastic = {1, 1, 1, 1};
    auto& l = c.learning;
    l.enabled = true;
    l.a_plus = 64;
    l.a_minus = 32;
    l.shift = 4;
    l.x_decay = 2048;
    l.y_decay = 2048;
    l.x_inc = 16;
    l.y_inc = 16;
    l.w_min = -100;
    l.w_max = 100;
    set_routes(c, {});
    img.cores = {c};
    set_input_routes(img, {{Destination{0, 0, 0}}, {Destination{0, 0, 1}}});

    // Step 0: axon 0 spikes, neuron 0 fires. x0 = 16; (a0,n0): 50 + (64*16 >> 4) = 114 -> 100;
    //         (a0,n1): 0 - 0 = 0; (a1,n0): 0 + 0 = 0. y0 = 16.
    // Step 1: axon 1 spikes, neuron 1 fires. x0 = 8, x1 = 16, y0 = 8, y1 = 0;
    //         (a1,n0): 0 - (32*8 >> 4) = -16; (a1,n1): 50 + 64 -> 100; (a0,n1): 0 + (64*8 >> 4)
    //         = 32.
    sf::RunOptions opt;
    opt.steps = 2;
    const sf::RunResult r = sf::run_functional(img, one_sample(2, {{0}, {1}}), opt);
    REQUIRE(r.final_weights.size() == 1);
    CHECK(r.final_weights[0] == std::vector<int16_t>{100, 32, -16, 100});
    CHECK(r.counters.learn_updates == 6);
    CHECK(r.counters.spikes == 2);

    // Weights persist into the next sample while the neuron state is reset.
    sf::SpikeInput two = one_sample(2, {{0}, {1}});
    two.samples.push_back(two.samples[0]);
    const sf::RunResult r2 = sf::run_functional(img, two, opt);
    // Sample 2, step 0: both neurons fire (a_in 100 and 32), all 4 synapses update;
    // step 1: neuron 1 fires, row a1 and (a0,n1) update (traces were reset in between).
    CHECK(r2.final_weights[0] == std::vector<int16_t>{100, 100, -32, 100});
    CHECK(r2.counters.learn_updates == 6 + 7);
}

TEST_CASE("Results do not depend on the order spike events are delivered",
          "[functional][engine][order]") {
    int spiking_images = 0;
    for (uint64_t seed = 1; seed <= 16; ++seed) {
        const sf::ChipImage img = random_image(seed);
        const sf::SpikeInput in = random_input(img, seed * 31, 3, 25, 0.4);
        sf::RunOptions opt;
        opt.steps = 25;
        opt.record = sf::RecordSpikes | sf::RecordU | sf::RecordV | sf::RecordWeights;
        const sf::RunResult base = sf::detail::run_functional_shuffled(img, in, opt, 0);
        spiking_images += base.counters.spikes > 0 ? 1 : 0;
        for (uint64_t shuffle : {1u, 2u, 977u}) {
            INFO("image seed " << seed << ", shuffle " << shuffle);
            const sf::RunResult other = sf::detail::run_functional_shuffled(img, in, opt, shuffle);
            CHECK(diff_results(base, other) == "");
        }
        CHECK(diff_results(base, sf::run_functional(img, in, opt)) == "");
    }
    CHECK(spiking_images >= 12);  // the comparison saw real traffic
}

TEST_CASE("Counters follow their definitions on random chips", "[functional][engine][counters]") {
    // syn_ops = sum over row reads of present synapses; row_reads = events x words per row;
    // every neuron is updated once per step.
    for (uint64_t seed = 40; seed < 46; ++seed) {
        sf::ChipImage img = random_image(seed);
        for (auto& c : img.cores) c.learning.enabled = false;  // rows stay fixed
        const sf::SpikeInput in = random_input(img, seed, 2, 15, 0.3);
        sf::RunOptions opt;
        opt.steps = 15;
        opt.record = sf::RecordSpikes;
        const sf::RunResult r = sf::run_functional(img, in, opt);
        uint64_t neurons = 0, spikes = 0;
        for (const auto& c : img.cores) neurons += uint64_t(c.num_neurons);
        for (const auto& s : r.samples)
            for (const auto& st : s.raster) spikes += st.size();
        CHECK(r.counters.neuron_updates_active + r.counters.neuron_updates_idle ==
              neurons * 15 * 2);
        CHECK(r.counters.spikes == spikes);
        CHECK(r.counters.syn_ops <= r.counters.row_reads * uint64_t(img.chip.word_synapses));
    }
}

TEST_CASE("Bad images and inputs raise InputError instead of crashing",
          "[functional][engine][errors]") {
    sf::ChipImage img = empty_image(1, 1, 1, 1);
    sf::CoreImage c = make_core(0, 0, 1, 1, if_neuron(1));
    set_routes(c, {{Destination{0, 0, 5}}});  // axon 5 does not exist
    img.cores = {c};
    set_input_routes(img, {{Destination{0, 0, 0}}});
    sf::RunOptions opt;
    opt.steps = 2;
    CHECK_THROWS_AS(sf::run_functional(img, one_sample(1, {{0}}), opt), sf::InputError);

    set_routes(img.cores[0], {{host_out(0)}});
    CHECK_NOTHROW(sf::run_functional(img, one_sample(1, {{0}}), opt));
    CHECK_THROWS_AS(sf::run_functional(img, one_sample(1, {{3}}), opt), sf::InputError);  // input 3
    img.cores[0].weights.clear();
    CHECK_THROWS_AS(sf::run_functional(img, one_sample(1, {{0}}), opt), sf::InputError);
    opt.steps = 0;
    img.timesteps = 0;
    CHECK_THROWS_AS(sf::run_functional(img, one_sample(1, {{0}}), opt), sf::InputError);
}

TEST_CASE("Two events on one axon in one step add its row twice and count twice",
          "[functional][engine]") {
    // Host inputs 0 and 1 both target axon 0: a_in = 2 x 3 = 6 -> u = 384 at step 0.
    sf::ChipImage img = empty_image(1, 1, 2, 1);
    sf::CoreImage c = make_core(0, 0, 1, 1, if_neuron(100));
    c.weights = {3};
    set_routes(c, {{host_out(0)}});
    img.cores = {c};
    set_input_routes(img, {{Destination{0, 0, 0}}, {Destination{0, 0, 0}}});
    sf::RunOptions opt;
    opt.steps = 1;
    opt.record = sf::RecordU;
    const sf::RunResult r = sf::run_functional(img, one_sample(2, {{0, 1}}), opt);
    CHECK(r.samples[0].u_trace[0][0][0] == 384);
    CHECK(r.counters.syn_ops == 2);
    CHECK(r.counters.row_reads == 2);
    CHECK(r.counters.packets == 2);
}

TEST_CASE("Neuron state resets between samples unless the run asks to keep it",
          "[functional][engine]") {
    // The one-neuron chip under constant input fires at step 3 of a fresh start; with two
    // samples of 2 steps, only a run that keeps state reaches the spike (in sample 2, step 1).
    sf::ChipImage img = empty_image(1, 1, 1, 1);
    sf::CoreImage c = make_core(0, 0, 1, 1, if_neuron(10));
    c.weights = {3};
    set_routes(c, {{host_out(0)}});
    img.cores = {c};
    set_input_routes(img, {{Destination{0, 0, 0}}});
    sf::SpikeInput in = one_sample(1, {{0}, {0}});
    in.samples.push_back(in.samples[0]);
    sf::RunOptions opt;
    opt.steps = 2;
    const sf::RunResult reset = sf::run_functional(img, in, opt);
    CHECK(reset.counters.spikes == 0);
    CHECK(reset.final_v == std::vector<std::vector<int32_t>>{{384}});
    opt.reset_between_samples = false;
    const sf::RunResult kept = sf::run_functional(img, in, opt);
    CHECK(kept.counters.spikes == 1);
    CHECK(kept.samples[1].output_spikes[1] == std::vector<int32_t>{0});
    CHECK(kept.final_v == std::vector<std::vector<int32_t>>{{0}});
}

TEST_CASE("LI outputs never spike, so the class is read from their summed membranes",
          "[functional][engine][readout]") {
    // Two LI neurons on one core, both fed by axon 0 with weights 2 and 5 (no leak, u is
    // this step's input): v grows by 128 and 320 per step; neuron 1 must win, and the sums
    // are the arithmetic series of v.
    sf::ChipImage img = empty_image(1, 1, 1, 2);
    sf::NeuronProfile li = if_neuron(1);
    li.spiking = false;
    sf::CoreImage c = make_core(0, 0, 2, 1, li);
    c.weights = {2, 5};
    set_routes(c, {{}, {}});
    img.cores.push_back(c);
    set_input_routes(img, {{Destination{0, 0, 0}}});
    img.output_core = {0, 0};
    img.output_neuron = {0, 1};
    sf::PopulationInfo in, out;
    in.name = "in";
    in.kind = sf::NeuronKind::Input;
    in.shape = {1};
    out.name = "out";
    out.kind = sf::NeuronKind::LI;
    out.shape = {2};
    out.output = true;
    out.core_of = {0, 0};
    out.neuron_of = {0, 1};
    img.populations = {in, out};

    std::vector<std::vector<int32_t>> steps(4, std::vector<int32_t>{0});
    sf::RunOptions opt;
    opt.steps = 4;
    const sf::RunResult r = sf::run_functional(img, one_sample(1, steps), opt);
    REQUIRE(r.samples.size() == 1);
    const auto& s = r.samples[0];
    CHECK(s.output_counts == std::vector<int32_t>{0, 0});
    CHECK(s.output_v_sum == std::vector<int64_t>{128 * 10, 320 * 10});
    CHECK(s.predicted == 1);

    // With a spiking output population the membrane sums are not kept.
    img.populations[1].kind = sf::NeuronKind::LIF;
    const sf::RunResult r2 = sf::run_functional(img, one_sample(1, steps), opt);
    CHECK(r2.samples[0].output_v_sum.empty());
    CHECK(r2.samples[0].predicted == -1);
}
