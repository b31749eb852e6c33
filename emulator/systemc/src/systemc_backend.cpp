// The SystemC backend: one chip and one set of wires per process (see the header).
#include "sf/systemc/systemc_backend.hpp"

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "sf/core/error.hpp"
#include "sf/harness/chip_ports.hpp"
#include "sf/harness/harness.hpp"
#include "sf/systemc/chip.hpp"

namespace sf {
namespace {

struct World {
    explicit World(const ChipConfig& cfg) : sig("sf"), chip("sf_chip", cfg) {
        harness::bind(chip, sig);
    }
    harness::ChipSignals sig;
    sc::Chip chip;
    bool started = false;
};

World& world(const ChipConfig& cfg, bool* fresh) {
    // SystemC allows one elaboration per process: the design lives as long as the process.
    static std::unique_ptr<World> w;
    *fresh = !w;
    if (!w) {
        const auto st = sc_core::sc_get_status();
        if (st != sc_core::SC_ELABORATION && st != sc_core::SC_BEFORE_END_OF_ELABORATION)
            throw Error("the SystemC chip cannot be built after this process started simulating "
                        "another chip (SystemC elaborates once per process)",
                        "systemc backend", "call sf::prepare_systemc before the first run");
        ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
        // SystemC prints its informational reports on stdout, which carries --json.
        sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
        w = std::make_unique<World>(cfg);
    } else {
        w->chip.rebuild(cfg);
    }
    return *w;
}

}  // namespace

void prepare_systemc(const ChipConfig& chip) {
    bool fresh = false;
    world(chip, &fresh);
}

RunResult run_systemc(const ChipImage& img, const SpikeInput& input, const RunOptions& opt,
                      const SystemCOptions& so,
                      const std::function<void(int64_t, int64_t)>& progress) {
    if (so.check_image) harness::check_image_for_chip(img);
    bool fresh = false;
    World& w = world(img.chip, &fresh);
    w.chip.set_fast(so.fast);
    if (so.before_run) so.before_run(w.chip);

    sc_core::sc_trace_file* tf = nullptr;
    std::string tmp_base;
    if (!so.trace_file.empty()) {
        if (w.started)
            throw InputError("waveforms can be traced only in the first SystemC run of a process",
                             "--trace", "trace one image per spikeforge run");
        std::vector<int> tiles = so.trace_tiles;
        if (tiles.empty())
            for (int t = 0; t < img.chip.mesh_w * img.chip.mesh_h; ++t) tiles.push_back(t);
        tmp_base = so.trace_file + ".tmp." + std::to_string(::getpid());
        tf = sc_core::sc_create_vcd_trace_file(tmp_base.c_str());
        if (!tf)
            throw InputError("cannot write '" + so.trace_file + "'", "--trace",
                             "check that the directory exists and is writable");
        tf->set_time_unit(1, sc_core::SC_NS);
        const harness::ChipSignals& s = w.sig;
        sc_core::sc_trace(tf, s.clk_i, "clk_i");
        sc_core::sc_trace(tf, s.rst_ni, "rst_ni");
        sc_core::sc_trace(tf, s.start_i, "start_i");
        sc_core::sc_trace(tf, s.start_count_i, "start_count_i");
        sc_core::sc_trace(tf, s.start_last_i, "start_last_i");
        sc_core::sc_trace(tf, s.clear_i, "clear_i");
        sc_core::sc_trace(tf, s.busy_o, "busy_o");
        sc_core::sc_trace(tf, s.in_valid_i, "in_valid_i");
        sc_core::sc_trace(tf, s.in_flit_i, "in_flit_i");
        sc_core::sc_trace(tf, s.in_ready_o, "in_ready_o");
        sc_core::sc_trace(tf, s.out_valid_o, "out_valid_o");
        sc_core::sc_trace(tf, s.out_index_o, "out_index_o");
        sc_core::sc_trace(tf, s.cfg_we_i, "cfg_we_i");
        sc_core::sc_trace(tf, s.cfg_re_i, "cfg_re_i");
        sc_core::sc_trace(tf, s.cfg_tile_i, "cfg_tile_i");
        sc_core::sc_trace(tf, s.cfg_mem_i, "cfg_mem_i");
        sc_core::sc_trace(tf, s.cfg_addr_i, "cfg_addr_i");
        w.chip.trace(tf, tiles);
    }
    if (!w.started) {
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
        w.started = true;
    }

    harness::HarnessOptions ho;
    ho.backend = "systemc";
    ho.watchdog_cycles = so.watchdog_cycles;
    ho.check_image = so.check_image;
    ho.progress = progress;
    ho.processes = tf ? 1 : opt.threads;  // a worker would write into the same waveform file
    auto finish_trace = [&](bool keep) {
        if (!tf) return;
        sc_core::sc_close_vcd_trace_file(tf);
        tf = nullptr;
        std::error_code ec;
        if (keep) {
            std::filesystem::rename(tmp_base + ".vcd", so.trace_file, ec);
            if (ec) {
                std::filesystem::remove(tmp_base + ".vcd", ec);
                throw InputError("cannot move the waveforms into place at '" + so.trace_file + "'",
                                 "--trace", "check that the directory is writable");
            }
        } else {
            std::filesystem::remove(tmp_base + ".vcd", ec);
        }
    };
    try {
        RunResult r = harness::run_cycle_level(w.sig, img, input, opt, ho);
        finish_trace(true);
        return r;
    } catch (...) {
        finish_trace(false);
        throw;
    }
}

}  // namespace sf
