// Event counters, energy accounting and accuracy (run_result.cpp).
#include <catch2/catch.hpp>

#include "sf/core/run_result.hpp"

using namespace sf;

TEST_CASE("Event counters add field by field and list every kind by name",
          "[core][energy]") {
    EventCounters a, b;
    a.syn_ops = 10;
    a.row_reads = 2;
    a.neuron_updates_active = 3;
    a.neuron_updates_idle = 4;
    a.spikes = 5;
    a.packets = 6;
    a.hops_ew = 7;
    a.hops_ns = 8;
    a.learn_updates = 9;
    a.cycles = 100;
    b = a;
    CHECK(a == b);
    b += a;
    CHECK_FALSE(a == b);
    const auto names = b.by_name();
    REQUIRE(names.size() == 10);
    CHECK(names.at("syn_ops") == 20);
    CHECK(names.at("row_reads") == 4);
    CHECK(names.at("neuron_updates_active") == 6);
    CHECK(names.at("neuron_updates_idle") == 8);
    CHECK(names.at("spikes") == 10);
    CHECK(names.at("packets") == 12);
    CHECK(names.at("hops_ew") == 14);
    CHECK(names.at("hops_ns") == 16);
    CHECK(names.at("learn_updates") == 18);
    CHECK(names.at("cycles") == 200);
}

TEST_CASE("Energy is counts times the table, packets cost nothing, hops by direction",
          "[core][energy]") {
    ChipConfig chip;  // sf1 defaults: the Loihi table
    EventCounters c;
    c.syn_ops = 1000;
    c.neuron_updates_active = 10;
    c.neuron_updates_idle = 20;
    c.spikes = 5;
    c.packets = 99;  // must not add energy
    c.hops_ew = 3;
    c.hops_ns = 2;
    c.learn_updates = 4;
    const Energy e = energy_of(c, chip);
    CHECK(e.by_kind_pj.at("syn_ops") == Approx(23600.0));
    CHECK(e.by_kind_pj.at("neuron_updates_active") == Approx(810.0));
    CHECK(e.by_kind_pj.at("neuron_updates_idle") == Approx(1040.0));
    CHECK(e.by_kind_pj.at("spikes") == Approx(8.5));
    CHECK(e.by_kind_pj.at("hops_ew") == Approx(9.0));
    CHECK(e.by_kind_pj.at("hops_ns") == Approx(8.0));
    CHECK(e.by_kind_pj.at("learn_updates") == Approx(480.0));
    CHECK(e.by_kind_pj.at("static") == 0.0);
    CHECK(e.by_kind_pj.count("packets") == 0);
    CHECK(e.total_pj == Approx(23600.0 + 810 + 1040 + 8.5 + 9 + 8 + 480));
}

TEST_CASE("Static energy is static power times cycles over the clock, zero without cycles",
          "[core][energy]") {
    ChipConfig chip;
    chip.clock_mhz = 100.0;
    chip.energy = EnergyTable{};
    chip.energy.syn_op_pj = 0;
    chip.energy.neuron_update_active_pj = 0;
    chip.energy.neuron_update_idle_pj = 0;
    chip.energy.static_mw = 2.0;
    EventCounters c;
    CHECK(energy_of(c, chip).total_pj == 0.0);
    // 1e6 cycles at 100 MHz = 10 ms; 2 mW x 10 ms = 20 uJ = 2e7 pJ.
    c.cycles = 1000000;
    const Energy e = energy_of(c, chip);
    CHECK(e.by_kind_pj.at("static") == Approx(2e7));
    CHECK(e.total_pj == Approx(2e7));
}

TEST_CASE("Accuracy counts only labelled samples and is -1 without labels",
          "[core][energy]") {
    RunResult r;
    CHECK(r.accuracy() == -1.0);
    SampleResult s;
    s.label = -1;
    s.predicted = 3;
    r.samples.push_back(s);
    CHECK(r.accuracy() == -1.0);
    s.label = 3;
    r.samples.push_back(s);  // correct
    s.label = 2;
    r.samples.push_back(s);  // wrong
    s.label = 1;
    s.predicted = -1;        // no spikes: wrong
    r.samples.push_back(s);
    CHECK(r.accuracy() == Approx(1.0 / 3.0));
}
