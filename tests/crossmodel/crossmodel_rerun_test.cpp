// Runs in one process, back to back: the SystemC chip must count the same cycles in every
// step of an image whatever ran before it in the process (another image, another step count,
// a run stopped by the watchdog, a chip of another clock, simulated time with the chip idle,
// the Verilated RTL chip), because the harness resets the chip before each run
// (docs/microarchitecture.md section 12). The first SystemC run of a process used to count
// one cycle fewer when the simulation had started before it (an RTL run first): the chip was
// rebuilt while its blocks slept, and the harness's first reset had no falling edge to wake
// them. Under ctest each test case runs in its own process.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include "crossmodel_util.hpp"
#include "sf/core/error.hpp"
#include "sf/harness/chip_ports.hpp"
#include "sf/harness/harness.hpp"
#include "sf/systemc/chip.hpp"
#include "sf/systemc/systemc_backend.hpp"

using namespace sf_xm;

namespace {

struct Case {
    sf::ChipImage img;
    sf::SpikeInput in;
    sf::RunOptions opt;
};

Case make_case(uint64_t seed, const sf::ChipConfig& chip, int steps) {
    GenOptions o;
    o.chip = chip;
    o.congested = seed % 3 == 0;
    Case c;
    c.img = with_output_map(random_image(seed, o));
    c.in = random_input(c.img, seed * 7, 2, steps, seed % 2 ? 0.3 : 0.8);
    c.opt.steps = steps;
    c.opt.reset_between_samples = seed % 4 != 0;
    if (seed % 2) c.opt.record = sf::RecordSpikes | sf::RecordU | sf::RecordV | sf::RecordWeights;
    return c;
}

}  // namespace

TEST_CASE("the SystemC chip counts the same cycles whatever ran before it in the process",
          "[crossmodel][systemc][rerun]") {
    const sf::ChipConfig small = sf::load_chip("sf1-small");
    sf::ChipConfig wide = small;  // more tiles, another clock (period not a multiple)
    wide.name = "sf1-small-3x2-odd-clock";
    wide.mesh_w = 3;
    wide.mesh_h = 2;
    wide.clock_mhz = 333.0;
    sf::ChipConfig slow = small;
    slow.name = "sf1-small-slow-clock";
    slow.clock_mhz = 70.0;
    sf::ChipConfig d1 = small;
    d1.name = "sf1-small-depth1";
    d1.router_fifo_depth = 1;
    d1.host_fifo_depth = 1;
    const std::vector<sf::ChipConfig> chips = {small, wide, slow, d1};
    sf::prepare_systemc(wide);  // the largest first
    std::vector<Case> cases;
    for (uint64_t seed = 0; seed < 16; ++seed)
        cases.push_back(make_case(500 + seed, chips[seed % 4], 3 + int(seed % 3)));
    // Reference counts: each case run right after the same case (a state it cannot depend on).
    std::vector<sf::RunResult> ref;
    for (const Case& c : cases) {
        (void)sf::run_systemc(c.img, c.in, c.opt);
        ref.push_back(sf::run_systemc(c.img, c.in, c.opt));
    }
    int failures = 0;
    // Every case after every other one.
    for (size_t i = 0; i < cases.size(); ++i)
        for (size_t j = 0; j < cases.size(); ++j) {
            if (i == j) continue;
            (void)sf::run_systemc(cases[j].img, cases[j].in, cases[j].opt);
            const std::string d =
                same_cycles(ref[i], sf::run_systemc(cases[i].img, cases[i].in, cases[i].opt));
            if (!d.empty() && ++failures <= 10)
                FAIL_CHECK("case " << i << " after case " << j << ": " << d);
        }
    // After a run stopped by the watchdog in the middle of a step.
    for (size_t i = 0; i < cases.size(); ++i) {
        // A step takes at least 8 cycles (INTEG 2, COMPUTE 3, ROUTE 3), so the watchdog fires.
        sf::SystemCOptions so;
        so.watchdog_cycles = 3 + i % 5;
        const Case& other = cases[(i + 1) % cases.size()];
        bool stopped = false;
        try {
            (void)sf::run_systemc(other.img, other.in, other.opt, so);
        } catch (const sf::harness::WatchdogError&) {
            stopped = true;
        }
        CHECK(stopped);
        const std::string d =
            same_cycles(ref[i], sf::run_systemc(cases[i].img, cases[i].in, cases[i].opt));
        if (!d.empty() && ++failures <= 10)
            FAIL_CHECK("case " << i << " after a watchdog stop: " << d);
    }
    CHECK(failures == 0);
}

// The first run of the process after the simulation started and time passed with the chip
// idle (what an RTL run before it does), against a second run of the same image.
TEST_CASE("the first SystemC run after the simulation started counts the same cycles as the next",
          "[crossmodel][systemc][rerun]") {
    const sf::ChipConfig small = sf::load_chip("sf1-small");
    sf::ChipConfig d1 = small;
    d1.name = "sf1-small-depth1";
    d1.router_fifo_depth = 1;
    d1.host_fifo_depth = 1;
    sf::prepare_systemc(small);
    sf::prepare_systemc(d1);
    sc_core::sc_start(sc_core::SC_ZERO_TIME);
    sc_core::sc_start(sc_core::sc_time(123450, sc_core::SC_NS));
    int failures = 0;
    for (uint64_t i = 0; i < 8; ++i) {
        GenOptions o;
        o.chip = i % 2 ? d1 : small;
        o.congested = i % 3 == 0;
        o.max_neurons = i % 4 == 0 ? 64 : 40;
        const sf::ChipImage img = with_output_map(random_image(100000 + i, o));
        const sf::SpikeInput in = random_input(img, (100000 + i) * 7, 2, 5, i % 2 ? 0.3 : 0.8);
        sf::RunOptions opt;
        opt.steps = 5;
        opt.reset_between_samples = i % 5 != 0;
        const sf::RunResult a = sf::run_systemc(img, in, opt);
        sc_core::sc_start(sc_core::sc_time(double(7 + i), sc_core::SC_NS));  // not a period
        const sf::RunResult b = sf::run_systemc(img, in, opt);
        const std::string d = same_cycles(b, a);
        if (!d.empty() && ++failures <= 10)
            FAIL_CHECK("image " << i << ": second run, then first: " << d);
    }
    CHECK(failures == 0);
}

#ifdef SF_XM_HAVE_RTL
#include "sf/rtl/rtl_backend.hpp"

// The RTL chip first on each image, then the SystemC chip twice: identical cycles per step
// (the order in which tests/rtl's long run found the difference). Only the prebuilt RTL
// chips, so that no Verilator build runs here.
TEST_CASE("the SystemC chip counts the same cycles as the RTL chip run before it in the process",
          "[crossmodel][systemc][rtl][rerun]") {
    if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) {
        WARN(
            "skipped: the RTL chips must be built before the first simulation of the process "
            "(ctest runs this case alone)");
        return;
    }
    const std::vector<sf::ChipConfig> chips = {sf::load_chip("sf1-small"), sf::load_chip("sf1")};
    for (const auto& c : chips) sf::prepare_rtl(c);
    for (const auto& c : chips) sf::prepare_systemc(c);
    int failures = 0;
    for (uint64_t i = 0; i < 12; ++i) {
        const uint64_t seed = 100000 + i;
        GenOptions o;
        o.chip = chips[size_t(i) % chips.size()];
        o.congested = i % 3 == 0;
        o.max_neurons = i % 4 == 0 ? 64 : 40;
        const sf::ChipImage img = with_output_map(random_image(seed, o));
        const sf::SpikeInput in = random_input(img, seed * 7, 2, 5, i % 2 ? 0.3 : 0.8);
        sf::RunOptions opt;
        opt.steps = 5;
        opt.record = sf::RecordSpikes | sf::RecordU | sf::RecordV | sf::RecordWeights;
        opt.reset_between_samples = i % 5 != 0;
        const sf::RunResult rtl = sf::run_rtl(img, in, opt);
        const sf::RunResult sc = sf::run_systemc(img, in, opt);
        const sf::RunResult again = sf::run_systemc(img, in, opt);
        std::string d = same_cycles(rtl, sc);
        if (!d.empty())
            d = "RTL, then SystemC: " + d;
        else if (!(d = same_cycles(sc, again)).empty())
            d = "SystemC, then SystemC again: " + d;
        if (!d.empty() && ++failures <= 10)
            FAIL_CHECK("image " << i << " on " << o.chip.name << ": " << d);
    }
    CHECK(failures == 0);
}
#endif
