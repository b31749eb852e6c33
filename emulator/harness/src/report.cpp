// The cycle-level report: see report.hpp.
#include "sf/harness/report.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sf::harness {
namespace {

struct StepStats {
    uint64_t min = 0, max = 0, total = 0, count = 0;
    double mean() const { return count ? double(total) / double(count) : 0.0; }
};

StepStats step_stats(const RunResult& r) {
    StepStats s;
    bool first = true;
    for (const auto& sm : r.samples)
        for (uint64_t c : sm.cycles_per_step) {
            s.min = first ? c : std::min(s.min, c);
            s.max = first ? c : std::max(s.max, c);
            first = false;
            s.total += c;
            ++s.count;
        }
    return s;
}

const char* kLinks[] = {"L", "N", "E", "S", "W"};

}  // namespace

nlohmann::json cycle_report_json(const RunResult& r, bool all_steps) {
    const CycleStats& cs = r.cycle_stats;
    if (!cs.present) return nlohmann::json::object();
    const StepStats st = step_stats(r);
    const double us = cs.clock_mhz > 0 ? 1.0 / cs.clock_mhz : 0.0;  // per cycle
    nlohmann::json j;
    j["cycles"] = r.counters.cycles;
    j["clock_mhz"] = cs.clock_mhz;
    nlohmann::json per = {{"min", st.min}, {"mean", st.mean()}, {"max", st.max}};
    if (all_steps) {
        nlohmann::json all = nlohmann::json::array();
        for (const auto& sm : r.samples) all.push_back(sm.cycles_per_step);
        per["all"] = std::move(all);
    }
    j["cycles_per_step"] = std::move(per);
    j["latency_us_per_step"] = {
        {"min", double(st.min) * us}, {"mean", st.mean() * us}, {"max", double(st.max) * us}};
    j["latency_us_total"] = double(r.counters.cycles) * us;
    j["load_cycles"] = cs.load_cycles;
    j["clear_cycles"] = cs.clear_cycles;
    nlohmann::json tiles = nlohmann::json::array();
    uint64_t stalls = 0;
    for (size_t t = 0; t < cs.busy_cycles.size(); ++t) {
        const int x = cs.mesh_w ? int(t) % cs.mesh_w : 0, y = cs.mesh_w ? int(t) / cs.mesh_w : 0;
        nlohmann::json links = nlohmann::json::object();
        for (int p = 0; p < 5; ++p) links[kLinks[p]] = cs.link_flits[t][size_t(p)];
        tiles.push_back({{"tile", {x, y}},
                         {"busy_fraction", r.counters.cycles
                                               ? double(cs.busy_cycles[t]) / double(r.counters.cycles)
                                               : 0.0},
                         {"busy_cycles", cs.busy_cycles[t]},
                         {"stall_cycles", cs.stall_cycles[t]},
                         {"max_fifo", cs.max_fifo[t]},
                         {"flits_sent", std::move(links)}});
        stalls += cs.stall_cycles[t];
    }
    j["tiles"] = std::move(tiles);
    j["noc"] = {{"flit_hops", r.counters.hops_ew + r.counters.hops_ns},
                {"stall_cycles", stalls},
                {"host_in_flits", cs.host_in_flits},
                {"host_out_flits", cs.host_out_flits},
                {"max_fifo", cs.max_fifo.empty() ? 0 : *std::max_element(cs.max_fifo.begin(), cs.max_fifo.end())}};
    j["note"] =
        "tiles are [x, y]; busy_fraction is core busy cycles / step cycles; flits_sent counts "
        "flits per router output (L = delivered to the core, W of tile (0, 0) = to the host)";
    return j;
}

std::string cycle_report_text(const RunResult& r, bool all_steps) {
    const CycleStats& cs = r.cycle_stats;
    if (!cs.present) return "";
    const StepStats st = step_stats(r);
    const double us = cs.clock_mhz > 0 ? 1.0 / cs.clock_mhz : 0.0;
    std::string s;
    s += fmt::format("cycles    {} in {} steps; per step min {}, mean {:.1f}, max {}\n",
                     r.counters.cycles, st.count, st.min, st.mean(), st.max);
    s += fmt::format("latency   {:.3f} us per step (mean; min {:.3f}, max {:.3f}) at {} MHz, {:.1f} us in all\n",
                     st.mean() * us, double(st.min) * us, double(st.max) * us, cs.clock_mhz,
                     double(r.counters.cycles) * us);
    s += fmt::format("          plus {} cycles loading the image and {} clearing between samples\n",
                     cs.load_cycles, cs.clear_cycles);
    if (all_steps)
        for (size_t i = 0; i < r.samples.size(); ++i)
            s += fmt::format("  sample {} cycles per step: {}\n", i,
                             fmt::join(r.samples[i].cycles_per_step, " "));
    uint64_t stalls = 0;
    for (uint64_t v : cs.stall_cycles) stalls += v;
    s += fmt::format("noc       {} flit-hops, {} router stall cycles, {} flits in / {} out of the host port\n",
                     r.counters.hops_ew + r.counters.hops_ns, stalls, cs.host_in_flits,
                     cs.host_out_flits);
    s += "tiles     (x, y)  busy   stalls  max FIFO  flits sent L/N/E/S/W\n";
    for (size_t t = 0; t < cs.busy_cycles.size(); ++t) {
        const int x = int(t) % std::max(1, cs.mesh_w), y = int(t) / std::max(1, cs.mesh_w);
        const auto& l = cs.link_flits[t];
        s += fmt::format("          ({}, {})  {:5.1f}%  {:6}  {:8}  {}/{}/{}/{}/{}\n", x, y,
                         r.counters.cycles ? 100.0 * double(cs.busy_cycles[t]) / double(r.counters.cycles) : 0.0,
                         cs.stall_cycles[t], cs.max_fifo[t], l[0], l[1], l[2], l[3], l[4]);
    }
    return s;
}

}  // namespace sf::harness
