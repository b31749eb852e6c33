// The cycle-accurate SystemC chip (docs/microarchitecture.md): the chip top with the port
// interface of sf/harness/chip_ports.hpp, and a hierarchy of clocked modules, one per
// hardware block:
//
//   sf_chip                       configuration/debug port (§6), this module's own process
//   ├─ controller                 timestep controller (§7): phase, age, all_idle_q, busy_o
//   ├─ host_port                  host port (§5): input and output streams, inject FIFO
//   └─ tile_X_Y  (W x H)          tile (§1)
//      ├─ router                  router (§3): 5 input FIFOs, XY route, round-robin arbiters
//      └─ core                    core (§4): event queue, integrate engine, update, STDP, encoder
//
// Every block has clk_i / rst_ni bound to the chip's and its own process. Blocks talk through
// channels with two-phase semantics (channels.hpp): FIFOs with valid/ready (ready = room at the
// start of the cycle), the phase register, the idle tree, the cores' done lines and the host
// link. A block decides from start-of-cycle state; the channels apply every change after all
// blocks have run, so the order of processes never matters.
//
// It skips cycles whose outcome is known exactly (§10), block by block: COMPUTE and CLEAR,
// an integrate engine's reads of one event, drains in which only integrate engines work,
// and any block with nothing to do sleeps until something arrives. Every counter stays exact.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <systemc>

#include "sf/core/chip_config.hpp"
#include "sf/systemc/controller.hpp"
#include "sf/systemc/host_port.hpp"
#include "sf/systemc/tile.hpp"

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

    // SystemC elaborates a design once per process, so the chip is built with enough tiles
    // for every later mesh of the process: max(W * H of cfg, kMinTiles). Tiles are named
    // tile_X_Y after cfg's mesh (spare ones tile_spare_K).
    static constexpr int kMinTiles = 256;

    SC_HAS_PROCESS(Chip);
    Chip(sc_core::sc_module_name name, const ChipConfig& cfg);

    // Make it the chip of another configuration (the harness then resets it): the mesh is
    // rewired for its size. Throws if the mesh has more tiles than were built, or while
    // waveforms are traced (the traced state would move).
    void rebuild(const ChipConfig& cfg);
    const ChipConfig& config() const { return cfg_; }

    // Waveforms (§8 of the issue): the controller, the host port and, for each tile in
    // `tiles` (indices y * W + x), its router FIFO counts, event queue and counters, each
    // under its block's hierarchical name. Call before the first sc_start. Turns off the
    // drain skip so FIFO counts move cycle by cycle.
    void trace(sc_core::sc_trace_file* tf, const std::vector<int>& tiles);

    // Fault injection for the watchdog test: output `port` of tile `tile` is never ready.
    void break_router_output(int tile, int port);

    // Turn the exact cycle skipping of §10 off or on (on by default); results are identical.
    void set_fast(bool on);

  private:
    void cfg_run();
    uint64_t debug_read(uint32_t tile, uint32_t mem, uint32_t addr, uint32_t chunk) const;

    ChipConfig cfg_;
    int W_ = 1, H_ = 1;
    Controller ctl_;
    HostPort host_;
    sc_core::sc_vector<Tile> tiles_;
    bool fast_ = true;
    bool traced_ = false;
};

}  // namespace sf::sc
