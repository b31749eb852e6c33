// The cycle-level backends split the samples over worker processes (--threads N; the
// harness forks copies of the loaded chip, docs/microarchitecture.md section 7): every
// RunResult field is identical for 1, 2 and 3 processes (spikes, rasters, u and v traces,
// final state, counters, the cycles of every step, the per-tile cycle statistics). That
// holds only because CLEAR returns the whole chip to its state after loading, the routers'
// round-robin pointers included, so these cases use congested traffic, where arbitration
// decides the cycle counts. A worker's error reaches the caller as its own error type.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "crossmodel_util.hpp"
#include "sf/core/error.hpp"
#include "sf/harness/harness.hpp"
#include "sf/systemc/systemc_backend.hpp"
#ifdef SF_XM_HAVE_RTL
#include "sf/rtl/rtl_backend.hpp"
#endif

using namespace sf_xm;

namespace {

// "" when a split run equals the one-process run in every field, else the first difference.
std::string identical(const sf::ChipImage& img, const sf::RunResult& one,
                      const sf::RunResult& split) {
    std::string d = compare(img, one, split, true);
    if (d.empty()) d = same_cycles(one, split);
    if (!d.empty()) return d;
    const sf::CycleStats &a = one.cycle_stats, &b = split.cycle_stats;
    if (a.load_cycles != b.load_cycles) return "load cycles differ";
    if (a.steps != b.steps) return "step counts differ";
    if (a.host_in_flits != b.host_in_flits || a.host_out_flits != b.host_out_flits)
        return "host flit counts differ";
    if (a.busy_cycles != b.busy_cycles) return "busy cycles per tile differ";
    if (a.stall_cycles != b.stall_cycles) return "stall cycles per tile differ";
    if (a.max_fifo != b.max_fifo) return "maximum FIFO occupancy per tile differs";
    if (a.link_flits != b.link_flits) return "flits per link differ";
    if (one.state_wraps != split.state_wraps) return "state wrap counts differ";
    for (size_t s = 0; s < one.samples.size(); ++s) {
        const sf::SampleResult &x = one.samples[s], &y = split.samples[s];
        if (x.predicted != y.predicted || x.label != y.label || x.output_counts != y.output_counts ||
            x.output_v_sum != y.output_v_sum)
            return "sample " + std::to_string(s) + ": readout differs";
    }
    return "";
}

// Random images with congested traffic (many sources into one core), several samples that
// each start with a CLEAR, and no learning (learning carries weights across samples, so
// those runs stay in one process).
struct Case {
    sf::ChipImage img;
    sf::SpikeInput in;
    sf::RunOptions opt;
};

Case make_case(uint64_t seed, const sf::ChipConfig& chip) {
    GenOptions o;
    o.chip = chip;
    o.congested = seed % 4 != 3;
    o.max_cores = 8;
    Case c;
    c.img = with_output_map(random_image(seed, o));
    for (sf::CoreImage& core : c.img.cores) core.learning.enabled = false;
    c.in = random_input(c.img, seed * 31 + 5, 5 + int(seed % 3), 6, 0.3 + 0.1 * double(seed % 5));
    c.opt.steps = 6;
    c.opt.record = seed % 2 ? sf::RecordSpikes | sf::RecordU | sf::RecordV | sf::RecordWeights
                            : sf::RecordNone;
    return c;
}

template <class RunFn>
void check_split_runs(const std::vector<sf::ChipConfig>& chips, int images, RunFn run) {
    int failures = 0, congested_with_stalls = 0;
    for (int i = 0; i < images; ++i) {
        const uint64_t seed = 7000 + uint64_t(i);
        Case c = make_case(seed, chips[size_t(i) % chips.size()]);
        c.opt.threads = 1;
        const sf::RunResult one = run(c.img, c.in, c.opt);
        REQUIRE(one.threads == 1);
        uint64_t stalls = 0;
        for (uint64_t s : one.cycle_stats.stall_cycles) stalls += s;
        congested_with_stalls += stalls > 0 ? 1 : 0;
        for (int threads : {2, 3}) {
            c.opt.threads = threads;
            const sf::RunResult split = run(c.img, c.in, c.opt);
            CHECK(split.threads == threads);
            const std::string d = identical(c.img, one, split);
            if (!d.empty() && ++failures <= 10)
                FAIL_CHECK("image " << i << " on " << c.img.chip.name << ", " << threads
                                    << " processes: " << d);
        }
    }
    CHECK(failures == 0);
    // The cases must exercise arbitration, or they could not show a history dependence.
    CHECK(congested_with_stalls >= images / 2);
}

}  // namespace

TEST_CASE("The SystemC chip gives identical results split over 1 to 3 processes",
          "[crossmodel][systemc][threads]") {
    check_split_runs({sf::load_chip("sf1-small"), sf::load_chip("sf1"), sf::load_chip("loihi-like")},
                     24, [](const sf::ChipImage& img, const sf::SpikeInput& in,
                            const sf::RunOptions& opt) { return sf::run_systemc(img, in, opt); });
}

TEST_CASE("Runs that carry state from sample to sample stay in one process",
          "[crossmodel][systemc][threads]") {
    Case c = make_case(7100, sf::load_chip("sf1-small"));
    c.opt.threads = 4;
    c.opt.reset_between_samples = false;
    CHECK(sf::run_systemc(c.img, c.in, c.opt).threads == 1);
    c.opt.reset_between_samples = true;
    CHECK(sf::run_systemc(c.img, c.in, c.opt).threads == 4);
    bool any_plastic = false;
    GenOptions o;
    o.chip = sf::load_chip("sf1-small");
    for (uint64_t seed = 1; seed < 200 && !any_plastic; ++seed) {
        c.img = with_output_map(random_image(seed, o));
        for (const sf::CoreImage& core : c.img.cores)
            any_plastic = any_plastic || (core.learning.enabled && !core.plastic.empty());
    }
    REQUIRE(any_plastic);
    c.in = random_input(c.img, 9, 4, 4, 0.3);
    c.opt.steps = 4;
    CHECK(sf::run_systemc(c.img, c.in, c.opt).threads == 1);
}

TEST_CASE("An error in a worker process reaches the caller with its type and message",
          "[crossmodel][systemc][threads]") {
    Case c = make_case(7200, sf::load_chip("sf1-small"));
    // Only the last sample names an input the image does not have: the last worker meets it.
    c.in.samples.back().steps[0].push_back(c.img.num_inputs + 3);
    for (int threads : {1, 3}) {
        c.opt.threads = threads;
        INFO(threads << " processes");
        try {
            sf::run_systemc(c.img, c.in, c.opt);
            FAIL("no error");
        } catch (const sf::InputError& e) {
            CHECK(std::string(e.problem()).find("input spike names input " +
                                                std::to_string(c.img.num_inputs + 3)) !=
                  std::string::npos);
        }
    }
    // The chip still runs afterwards, in this process and in new workers.
    c.in.samples.back().steps[0].pop_back();
    c.opt.threads = 3;
    CHECK(sf::run_systemc(c.img, c.in, c.opt).samples.size() == c.in.samples.size());
}

TEST_CASE("A watchdog stop in a worker process reaches the caller as a WatchdogError",
          "[crossmodel][systemc][threads][watchdog]") {
    Case c = make_case(7300, sf::load_chip("sf1-small"));
    REQUIRE(c.img.num_inputs > 0);
    REQUIRE(c.img.input_ptr[1] > c.img.input_ptr[0]);
    // Input 0 now routes off the mesh, and only the last sample spikes it: only the last
    // worker's step hangs.
    c.img.input_dst[size_t(c.img.input_ptr[0])] = sf::Destination{c.img.chip.mesh_w + 3, 0, 0};
    for (sf::SampleInput& smp : c.in.samples)
        for (std::vector<int32_t>& st : smp.steps)
            st.erase(std::remove(st.begin(), st.end(), 0), st.end());
    c.in.samples.back().steps[1].push_back(0);
    sf::SystemCOptions so;
    so.check_image = false;
    so.watchdog_cycles = 1000;
    for (int threads : {1, 3}) {
        c.opt.threads = threads;
        INFO(threads << " processes");
        try {
            sf::run_systemc(c.img, c.in, c.opt, so);
            FAIL("no watchdog error");
        } catch (const sf::harness::WatchdogError& e) {
            const std::string sample = std::to_string(c.in.samples.size() - 1);
            CHECK(std::string(e.problem()).find("step 1 of sample " + sample +
                                                " did not finish within 1000 cycles") !=
                  std::string::npos);
        }
    }
}

#ifdef SF_XM_HAVE_RTL
// Only the prebuilt RTL chips, so that no Verilator build runs here; the RTL chip must be
// built before the process's first simulation, so this case runs the RTL alone.
TEST_CASE("The RTL chip gives identical results split over 1 to 3 processes",
          "[crossmodel][rtl][threads]") {
    if (sc_core::sc_get_status() != sc_core::SC_ELABORATION) {
        WARN("skipped: the RTL chips must be built before the first simulation of the process "
             "(ctest runs this case alone)");
        return;
    }
    const std::vector<sf::ChipConfig> chips = {sf::load_chip("sf1-small"), sf::load_chip("sf1")};
    for (const auto& chip : chips) sf::prepare_rtl(chip);
    check_split_runs(chips, 8, [](const sf::ChipImage& img, const sf::SpikeInput& in,
                                  const sf::RunOptions& opt) { return sf::run_rtl(img, in, opt); });
}
#endif
