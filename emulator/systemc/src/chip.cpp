// The SystemC chip top: see chip.hpp and docs/microarchitecture.md §1-§7.
#include "sf/systemc/chip.hpp"

#include <algorithm>

#include "sf/core/error.hpp"
#include "sf/harness/chip_ports.hpp"

namespace sf::sc {

using namespace sf::harness;

Chip::Chip(sc_core::sc_module_name name, const ChipConfig& cfg)
    : sc_core::sc_module(name),
      clk_i("clk_i"),
      rst_ni("rst_ni"),
      start_i("start_i"),
      start_last_i("start_last_i"),
      clear_i("clear_i"),
      start_count_i("start_count_i"),
      busy_o("busy_o"),
      in_valid_i("in_valid_i"),
      in_flit_i("in_flit_i"),
      in_ready_o("in_ready_o"),
      out_valid_o("out_valid_o"),
      out_index_o("out_index_o"),
      cfg_we_i("cfg_we_i"),
      cfg_re_i("cfg_re_i"),
      cfg_tile_i("cfg_tile_i"),
      cfg_mem_i("cfg_mem_i"),
      cfg_addr_i("cfg_addr_i"),
      cfg_chunk_i("cfg_chunk_i"),
      cfg_wdata_i("cfg_wdata_i"),
      cfg_rdata_o("cfg_rdata_o"),
      ctl_("controller"),
      host_("host_port"),
      tiles_("tile") {
    const int w = std::max(1, cfg.mesh_w), h = std::max(1, cfg.mesh_h);
    const size_t n = size_t(std::max(w * h, kMinTiles));
    tiles_.init(n, [w, h](const char*, size_t i) {
        const std::string nm = int(i) < w * h ? "tile_" + std::to_string(int(i) % w) + "_" +
                                                    std::to_string(int(i) / w)
                                              : "tile_spare_" + std::to_string(int(i) - w * h);
        return new Tile(nm.c_str());
    });
    ctl_.clk_i(clk_i);
    ctl_.rst_ni(rst_ni);
    ctl_.start_i(start_i);
    ctl_.start_last_i(start_last_i);
    ctl_.clear_i(clear_i);
    ctl_.busy_o(busy_o);
    ctl_.set_on_clear([this] {
        for (Tile& t : tiles_) t.router.clear_grants();
    });
    host_.clk_i(clk_i);
    host_.rst_ni(rst_ni);
    host_.start_i(start_i);
    host_.start_count_i(start_count_i);
    host_.in_valid_i(in_valid_i);
    host_.in_flit_i(in_flit_i);
    host_.in_ready_o(in_ready_o);
    host_.out_valid_o(out_valid_o);
    host_.out_index_o(out_index_o);
    for (Tile& t : tiles_) {
        t.clk_i(clk_i);
        t.rst_ni(rst_ni);
    }
    rebuild(cfg);
    SC_METHOD(cfg_run);
}

void Chip::rebuild(const ChipConfig& cfg) {
    if (traced_)
        throw Error("the traced SystemC chip cannot be rebuilt for another configuration",
                    "systemc backend", "trace one image per process");
    const int w = std::max(1, cfg.mesh_w), h = std::max(1, cfg.mesh_h);
    if (size_t(w) * size_t(h) > tiles_.size())
        throw Error("the SystemC chip of this process was built with " +
                        std::to_string(tiles_.size()) + " tiles, and the " + std::to_string(w) +
                        " x " + std::to_string(h) + " mesh of chip '" + cfg.name +
                        "' needs more (SystemC elaborates once per process)",
                    "systemc backend",
                    "run this image in its own process, or call sf::prepare_systemc with the "
                    "largest chip first");
    cfg_ = cfg;
    W_ = w;
    H_ = h;
    const int T = W_ * H_;
    ctl_.set_clock(cfg.clock_mhz);
    host_.set_clock(cfg.clock_mhz);
    ctl_.reset_state();
    IdleTree* idle = &ctl_.idle();
    for (size_t i = 0; i < tiles_.size(); ++i) {
        const int t = int(i);
        const bool active = t < T;
        Tile& tile = tiles_[i];
        tile.router.set_clock(cfg.clock_mhz);
        tile.core.set_clock(cfg.clock_mhz);
        tile.router.configure(active ? t % W_ : 0, active ? t / W_ : 0, cfg.router_fifo_depth,
                              active, idle);
        tile.core.configure(cfg, active, &ctl_.phase(), &ctl_.core_start(), &ctl_.done(), idle,
                            &tile.router.input(PORT_L));
    }
    // The mesh: each output to the neighbour's facing input FIFO (none at the mesh's edge).
    for (int t = 0; t < T; ++t) {
        const int x = t % W_, y = t / W_;
        Router& r = tiles_[size_t(t)].router;
        r.connect(PORT_L, &tiles_[size_t(t)].core.eq);
        if (y > 0) r.connect(PORT_N, &tiles_[size_t(t - W_)].router.input(PORT_S));
        if (x < W_ - 1) r.connect(PORT_E, &tiles_[size_t(t + 1)].router.input(PORT_W));
        if (y < H_ - 1) r.connect(PORT_S, &tiles_[size_t(t + W_)].router.input(PORT_N));
        if (x > 0) r.connect(PORT_W, &tiles_[size_t(t - 1)].router.input(PORT_E));
    }
    tiles_[0].router.connect_host(&host_.link());
    host_.configure(cfg.host_fifo_depth, &ctl_.phase(), idle, &tiles_[0].router.input(PORT_W));
    set_fast(fast_);
}

void Chip::set_fast(bool on) {
    fast_ = on;
    ctl_.set_fast(on);
    for (Tile& t : tiles_) t.core.set_fast(on);
}

void Chip::break_router_output(int tile, int port) {
    if (tile < 0 || tile >= W_ * H_ || port < 0 || port >= Router::PORTS)
        throw Error("no router output " + std::to_string(port) + " at tile " + std::to_string(tile),
                    "systemc backend", "name a tile of the mesh and a port 0..4");
    tiles_[size_t(tile)].router.break_output(port);
}

uint64_t Chip::debug_read(uint32_t tile, uint32_t mem, uint32_t addr, uint32_t chunk) const {
    const uint32_t tiles = uint32_t(W_ * H_);
    if (tile == tiles) {  // the chip itself
        if (mem != MEM_COUNTERS) return 0;
        switch (addr) {
            case CC_CYCLES: return ctl_.cycles;
            case CC_PACKETS: return host_.packets;
            case CC_HOPS_EW: return host_.hops_ew;
            case CC_STEPS: return ctl_.steps;
            case CC_HOST_FLITS: return host_.host_flits;
            default: return 0;
        }
    }
    if (tile > tiles) return 0;
    const Router& r = tiles_[tile].router;
    const Core& c = tiles_[tile].core;
    if (mem == MEM_COUNTERS) {
        switch (addr) {
            case TC_SYN_OPS: return c.syn_ops;
            case TC_ROW_READS: return c.row_reads;
            case TC_NU_ACTIVE: return c.nu_active;
            case TC_NU_IDLE: return c.nu_idle;
            case TC_SPIKES: return c.spikes;
            case TC_PACKETS: return c.packets;
            case TC_HOPS_EW: return r.hops_ew;
            case TC_HOPS_NS: return r.hops_ns;
            case TC_LEARN_UPDATES: return c.learn_updates;
            case TC_BUSY: return c.busy;
            case TC_STALLS: return r.stalls;
            case TC_MAX_FIFO: return r.max_occupancy();
            case TC_SENT_N: return r.sent[PORT_N];
            case TC_SENT_E: return r.sent[PORT_E];
            case TC_SENT_S: return r.sent[PORT_S];
            case TC_SENT_W: return r.sent[PORT_W];
            case TC_SENT_L: return r.sent[PORT_L];
            case TC_STATE_WRAPS: return c.state_wraps;
            default: return 0;
        }
    }
    if (mem == MEM_ROUTER) {
        if (addr >= uint32_t(Router::PORTS)) return 0;
        const Fifo& f = r.input(int(addr));
        return uint64_t(f.count() & 0xFFFF) | (f.empty() ? 0 : (f.front() & FLIT_MASK) << 16);
    }
    return c.cfg_read(mem, addr, chunk);
}

// The configuration and debug port (§6): one write and one read per cycle, in any phase.
// It runs at each rising edge while the host drives cfg_we_i or cfg_re_i. The host changes
// them while the clock is high (§6), so a request that wakes the port waits for that edge.
void Chip::cfg_run() {
    if (!clk_i.posedge()) {
        next_trigger(clk_i.posedge_event());
        return;
    }
    const bool we = cfg_we_i.read(), re = cfg_re_i.read();
    if (!rst_ni.read()) {
        cfg_rdata_o.write(0);
    } else {
        if (we) {
            const uint32_t tile = cfg_tile_i.read();
            if (tile < uint32_t(W_ * H_))
                tiles_[tile].core.cfg_write(cfg_mem_i.read(), cfg_addr_i.read(),
                                            cfg_chunk_i.read(), cfg_wdata_i.read());
        }
        if (re)
            cfg_rdata_o.write(debug_read(cfg_tile_i.read(), cfg_mem_i.read(), cfg_addr_i.read(),
                                         cfg_chunk_i.read()));
    }
    if (we || re)
        next_trigger(clk_i.posedge_event());
    else
        next_trigger(cfg_we_i.posedge_event() | cfg_re_i.posedge_event());
}

void Chip::trace(sc_core::sc_trace_file* tf, const std::vector<int>& tiles) {
    traced_ = true;
    set_fast(false);
    const std::string c = ctl_.name(), h = host_.name();
    sc_core::sc_trace(tf, ctl_.trace_phase(), c + ".phase");
    sc_core::sc_trace(tf, ctl_.trace_age(), c + ".age");
    sc_core::sc_trace(tf, ctl_.trace_all_idle_q(), c + ".all_idle_q");
    sc_core::sc_trace(tf, host_.trace_received(), h + ".received");
    sc_core::sc_trace(tf, host_.trace_inject_count(), h + ".inject_count");
    static const char* port_names[] = {"L", "N", "E", "S", "W"};
    for (int t : tiles) {
        if (t < 0 || t >= W_ * H_) continue;
        const Router& r = tiles_[size_t(t)].router;
        Core& k = tiles_[size_t(t)].core;
        const std::string rn = r.name(), kn = k.name();
        for (int i = 0; i < Router::PORTS; ++i)
            sc_core::sc_trace(tf, r.input(i).count_ref(),
                              rn + ".in_" + port_names[i] + "_count");
        sc_core::sc_trace(tf, r.stalls, rn + ".stalls");
        sc_core::sc_trace(tf, k.eq.count_ref(), kn + ".event_queue_count");
        sc_core::sc_trace(tf, k.busy, kn + ".busy_cycles");
        sc_core::sc_trace(tf, k.spikes, kn + ".spikes");
        sc_core::sc_trace(tf, k.packets, kn + ".packets");
        sc_core::sc_trace(tf, k.trace_update_neuron(), kn + ".update_neuron");
        sc_core::sc_trace(tf, k.trace_update_u(), kn + ".update_u");
        sc_core::sc_trace(tf, k.trace_update_v(), kn + ".update_v");
        sc_core::sc_trace(tf, k.trace_update_spike(), kn + ".update_spike");
        tiles_[size_t(t)].core.set_traced(true);
    }
}

}  // namespace sf::sc
