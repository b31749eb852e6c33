// The cycle-accurate SystemC chip (docs/microarchitecture.md): the chip top with the port
// interface of sf/harness/chip_ports.hpp, a W x H mesh of tiles (Router + Core), the host
// port and the timestep controller. One clocked SC_METHOD evaluates every block in two
// phases per cycle (decide from start-of-cycle state, then apply), so the order of blocks
// never matters; blocks are plain C++ state (no signal per wire) because the model must run
// millions of cycles per second. It skips cycles whose outcome is known exactly (§10): the
// COMPUTE and CLEAR phases, and stretches in which only integrate engines drain their
// queues, while every counter stays exact.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <systemc>

#include "sf/core/chip_config.hpp"
#include "sf/systemc/controller.hpp"
#include "sf/systemc/core.hpp"
#include "sf/systemc/host_port.hpp"
#include "sf/systemc/router.hpp"

namespace sf::sc {

class Chip : public sc_core::sc_module {
  public:
    sc_core::sc_in<bool> clk_i, rst_ni;
    sc_core::sc_in<bool> start_i, start_last_i, clear_i;
    sc_core::sc_in<uint32_t> start_count_i;
    sc_core::sc_out<bool> busy_o;
    sc_core::sc_in<bool> in_valid_i;
    sc_core::sc_in<uint64_t> in_flit_i;
    sc_core::sc_out<bool> in_ready_o;
    sc_core::sc_out<bool> out_valid_o;
    sc_core::sc_out<uint32_t> out_index_o;
    sc_core::sc_in<bool> cfg_we_i, cfg_re_i;
    sc_core::sc_in<uint32_t> cfg_tile_i, cfg_mem_i, cfg_addr_i, cfg_chunk_i;
    sc_core::sc_in<uint64_t> cfg_wdata_i;
    sc_core::sc_out<uint64_t> cfg_rdata_o;

    SC_HAS_PROCESS(Chip);
    Chip(sc_core::sc_module_name name, const ChipConfig& cfg);

    // SystemC elaborates once per process, so one Chip serves every run of a process:
    // rebuild() makes it the chip of another configuration (the harness then resets it).
    // Not allowed while waveforms are traced (the traced state would move).
    void rebuild(const ChipConfig& cfg);
    const ChipConfig& config() const { return cfg_; }

    // Waveforms (§8 of the issue): the controller, the host port and, for each tile in
    // `tiles` (indices y * W + x), its router FIFO counts, event queue and encoder. Call
    // before the first sc_start. Turns off the drain skip so FIFO counts move cycle by cycle.
    void trace(sc_core::sc_trace_file* tf, const std::vector<int>& tiles);

    // Fault injection for the watchdog test: output `port` of tile `tile` is never ready.
    void break_router_output(int tile, int port);

    // Turn the exact cycle skipping of §10 off or on (on by default); results are identical.
    void set_fast(bool on) { fast_ = on; }

  private:
    struct Move {
        Fifo* src;
        Router* src_r;
        Fifo* dst;
        Router* dst_r;
        uint64_t flit;
    };

    void on_clock();
    void reset_all();
    void write_outputs();
    bool chip_idle() const;
    void network_cycle(bool route_phase);
    bool try_drain(bool route_phase);
    void enter_compute();
    void enter_clear();
    uint64_t debug_read(uint32_t tile, uint32_t mem, uint32_t addr, uint32_t chunk) const;

    ChipConfig cfg_;
    int W_ = 1, H_ = 1;
    std::vector<Router> routers_;
    std::vector<Core> cores_;
    std::vector<uint8_t> broken_;  // [tile * 5 + port]
    HostPort host_;
    Controller ctl_;
    uint64_t now_ = 0;          // index of the cycle being evaluated
    uint64_t phase_start_ = 0;  // first cycle of the current phase
    bool sleeping_ = false;     // the current phase ends at ctl_.end_cycle, nothing to do
    uint64_t rdata_ = 0;
    bool fast_ = true;
    bool traced_ = false;
    std::vector<Move> moves_;
    // Traced copies of values that are not plain registers of a block.
    uint8_t trace_phase_ = 0;
};

}  // namespace sf::sc
