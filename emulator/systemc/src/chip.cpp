// The SystemC chip top: see chip.hpp and docs/microarchitecture.md §3-§7.
#include "sf/systemc/chip.hpp"

#include <algorithm>
#include <cassert>

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
      cfg_rdata_o("cfg_rdata_o") {
    rebuild(cfg);
    SC_METHOD(on_clock);
    sensitive << clk_i.pos();
    dont_initialize();
}

void Chip::rebuild(const ChipConfig& cfg) {
    if (traced_)
        throw Error("the traced SystemC chip cannot be rebuilt for another configuration",
                    "systemc backend", "trace one image per process");
    cfg_ = cfg;
    W_ = std::max(1, cfg.mesh_w);
    H_ = std::max(1, cfg.mesh_h);
    routers_.assign(size_t(W_) * H_, Router{});
    cores_.assign(size_t(W_) * H_, Core{});
    broken_.assign(size_t(W_) * H_ * Router::PORTS, 0);
    reset_all();
}

void Chip::break_router_output(int tile, int port) {
    broken_.at(size_t(tile) * Router::PORTS + size_t(port)) = 1;
}

void Chip::reset_all() {
    for (int y = 0; y < H_; ++y)
        for (int x = 0; x < W_; ++x) routers_[size_t(y) * W_ + x].reset(x, y, cfg_.router_fifo_depth);
    for (Core& c : cores_) c.reset(cfg_);
    host_.reset(cfg_.host_fifo_depth);
    ctl_.reset();
    sleeping_ = false;
    rdata_ = 0;
    moves_.clear();
    moves_.reserve(size_t(W_) * H_ * 6 + 2);
}

void Chip::write_outputs() {
    busy_o.write(ctl_.phase != Phase::Pause);
    in_ready_o.write(ctl_.phase == Phase::Integ && host_.received < host_.start_count &&
                     host_.inject.ready());
    out_valid_o.write(host_.out_valid);
    out_index_o.write(host_.out_index);
    cfg_rdata_o.write(rdata_);
    trace_phase_ = uint8_t(ctl_.phase);
}

bool Chip::chip_idle() const {
    if (!host_.idle()) return false;
    const bool route = ctl_.phase == Phase::Route;
    for (size_t t = 0; t < routers_.size(); ++t) {
        if (routers_[t].flits != 0 || !cores_[t].integrate_idle()) return false;
        if (route && !cores_[t].encoder_idle()) return false;
    }
    return true;
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
    const Router& r = routers_[tile];
    const Core& c = cores_[tile];
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
            default: return 0;
        }
    }
    if (mem == MEM_ROUTER) {
        if (addr >= uint32_t(Router::PORTS)) return 0;
        const Fifo& f = r.in[addr];
        return uint64_t(f.count() & 0xFFFF) | (f.empty() ? 0 : (f.front() & FLIT_MASK) << 16);
    }
    return c.cfg_read(mem, addr, chunk);
}

void Chip::on_clock() {
    if (!rst_ni.read()) {
        reset_all();
        write_outputs();
        ++now_;
        return;
    }
    // Configuration and debug port: one write and one read per cycle, in any phase.
    if (cfg_we_i.read()) {
        const uint32_t tile = cfg_tile_i.read();
        if (tile < uint32_t(W_ * H_))
            cores_[tile].cfg_write(cfg_mem_i.read(), cfg_addr_i.read(), cfg_chunk_i.read(),
                                   cfg_wdata_i.read());
    }
    if (cfg_re_i.read())
        rdata_ = debug_read(cfg_tile_i.read(), cfg_mem_i.read(), cfg_addr_i.read(),
                            cfg_chunk_i.read());

    switch (ctl_.phase) {
        case Phase::Pause:
            host_.out_valid = false;
            if (start_i.read()) {
                ctl_.last = start_last_i.read();
                host_.start_count = start_count_i.read();
                host_.received = 0;
                ctl_.enter(Phase::Integ);
                ++ctl_.steps;
                phase_start_ = now_ + 1;
                sleeping_ = false;
            } else if (clear_i.read()) {
                enter_clear();
            }
            break;
        case Phase::Integ:
        case Phase::Route: {
            ++ctl_.cycles;
            const bool route = ctl_.phase == Phase::Route;
            bool ends;
            if (sleeping_) {
                host_.out_valid = false;
                ends = now_ == ctl_.end_cycle;
            } else {
                ends = ctl_.ends_now();
                const bool idle = chip_idle();
                if (!(fast_ && try_drain(route))) network_cycle(route);
                ctl_.all_idle_q = idle;
                if (ctl_.age < 2) ++ctl_.age;
            }
            if (ends) {
                if (route) {
                    ctl_.enter(Phase::Pause);
                } else {
                    enter_compute();
                }
                sleeping_ = ctl_.phase == Phase::Compute;
            }
            break;
        }
        case Phase::Compute:
            ++ctl_.cycles;
            if (now_ == ctl_.end_cycle) {
                ctl_.enter(Phase::Route);
                phase_start_ = now_ + 1;
                sleeping_ = false;
            }
            break;
        case Phase::Clear:
            if (now_ == ctl_.end_cycle) {
                ctl_.enter(Phase::Pause);
                sleeping_ = false;
            }
            break;
    }
    write_outputs();
    ++now_;
}

void Chip::enter_compute() {
    // COMPUTE begins in cycle s = now_ + 1; each core's update and learning take B cycles
    // s .. s + B - 1 and the phase lasts max(3, max B + 2) cycles (§4.3, §7).
    uint64_t max_b = 0;
    for (Core& c : cores_) {
        const uint64_t b = c.compute();
        c.busy += b;
        max_b = std::max(max_b, b);
    }
    ctl_.enter(Phase::Compute);
    phase_start_ = now_ + 1;
    ctl_.end_cycle = phase_start_ + std::max<uint64_t>(3, max_b + 2) - 1;
}

void Chip::enter_clear() {
    uint64_t max_w = 0;
    for (Core& c : cores_) max_w = std::max(max_w, c.clear_state());
    ctl_.enter(Phase::Clear);
    phase_start_ = now_ + 1;
    ctl_.end_cycle = phase_start_ + std::max<uint64_t>(3, max_w + 2) - 1;
    sleeping_ = true;
}

// A stretch in which no flit is in the mesh or the host port and no encoder has work: only
// integrate engines drain their queues, and nothing new can arrive. Run them to the end at
// once, counting exactly, and sleep until the cycle the idle test ends the phase (§10).
bool Chip::try_drain(bool route_phase) {
    if (!host_.idle()) return false;
    for (size_t t = 0; t < routers_.size(); ++t) {
        if (routers_[t].flits != 0) return false;
        if (route_phase && !cores_[t].encoder_idle()) return false;
    }
    const bool discard = route_phase && ctl_.last;
    uint64_t longest = 0;
    for (Core& c : cores_) {
        uint64_t k = 0;
        while (!c.integrate_idle()) {
            c.busy += c.integrate_cycle(discard);
            ++k;
        }
        longest = std::max(longest, k);
    }
    if (longest == 0) return false;  // everything idle: the idle test ends the phase
    // Last working cycle b = now_ + longest - 1; idle from b + 1; all_idle_q from b + 2.
    ctl_.end_cycle = std::max(now_ + longest + 1, phase_start_ + 2);
    sleeping_ = true;
    host_.out_valid = false;
    return true;
}

void Chip::network_cycle(bool route_phase) {
    moves_.clear();
    const bool discard = route_phase && ctl_.last;
    bool to_host = false;
    uint32_t host_index = 0;
    const int T = W_ * H_;

    // Routers: requests from head flits, one grant per output whose consumer is ready.
    for (int t = 0; t < T; ++t) {
        Router& r = routers_[size_t(t)];
        if (r.flits == 0) continue;
        unsigned req[Router::PORTS] = {0, 0, 0, 0, 0};
        unsigned heads = 0, granted = 0;
        for (int i = 0; i < Router::PORTS; ++i) {
            if (r.in[i].empty()) continue;
            req[r.route(r.in[i].front())] |= 1u << i;
            heads |= 1u << i;
        }
        const int x = r.x(), y = r.y();
        for (int o = 0; o < Router::PORTS; ++o) {
            if (!req[o]) continue;
            Fifo* dst = nullptr;
            Router* dst_r = nullptr;
            bool host = false;
            switch (o) {
                case PORT_L: dst = &cores_[size_t(t)].eq; break;
                case PORT_N:
                    if (y > 0) dst_r = &routers_[size_t(t - W_)], dst = &dst_r->in[PORT_S];
                    break;
                case PORT_E:
                    if (x < W_ - 1) dst_r = &routers_[size_t(t + 1)], dst = &dst_r->in[PORT_W];
                    break;
                case PORT_S:
                    if (y < H_ - 1) dst_r = &routers_[size_t(t + W_)], dst = &dst_r->in[PORT_N];
                    break;
                case PORT_W:
                    if (x > 0)
                        dst_r = &routers_[size_t(t - 1)], dst = &dst_r->in[PORT_E];
                    else if (y == 0)
                        host = true;
                    break;
            }
            if (broken_[size_t(t) * Router::PORTS + size_t(o)]) continue;
            if (!host && !(dst && dst->ready())) continue;  // off the mesh: never ready
            const int i = r.arbitrate(o, req[o]);
            r.last_grant[o] = i;
            granted |= 1u << i;
            const uint64_t flit = r.in[i].front();
            ++r.sent[o];
            if (o == PORT_E || o == PORT_W)
                ++r.hops_ew;
            else if (o == PORT_N || o == PORT_S)
                ++r.hops_ns;
            if (host) {
                to_host = true;
                host_index = flit_axon(flit);
                ++host_.hops_ew;
                ++host_.host_flits;
                moves_.push_back(Move{&r.in[i], &r, nullptr, nullptr, flit});
            } else {
                moves_.push_back(Move{&r.in[i], &r, dst, dst_r, flit});
            }
        }
        if (heads & ~granted) ++r.stalls;
    }

    // Spike encoders (ROUTE) and integrate engines; a core is busy in a cycle in which
    // either did work.
    for (int t = 0; t < T; ++t) {
        Core& c = cores_[size_t(t)];
        bool worked = false;
        if (route_phase && !c.encoder_idle()) {
            Router& r = routers_[size_t(t)];
            uint64_t flit = 0;
            bool sent = false;
            worked = c.encoder_cycle(r.in[PORT_L].ready(), &flit, &sent);
            if (sent) moves_.push_back(Move{nullptr, nullptr, &r.in[PORT_L], &r, flit});
        }
        if (!c.integrate_idle()) worked = c.integrate_cycle(discard) || worked;
        c.busy += worked;
    }

    // Host port: receive from the input stream, inject into tile (0, 0)'s W FIFO.
    if (ctl_.phase == Phase::Integ && host_.received < host_.start_count && host_.inject.ready() &&
        in_valid_i.read()) {
        moves_.push_back(Move{nullptr, nullptr, &host_.inject, nullptr, in_flit_i.read() & FLIT_MASK});
        ++host_.received;
    }
    if (!host_.inject.empty() && routers_[0].in[PORT_W].ready()) {
        moves_.push_back(Move{&host_.inject, nullptr, &routers_[0].in[PORT_W], &routers_[0],
                              host_.inject.front()});
        ++host_.packets;
        ++host_.hops_ew;
    }

    // Apply: every pop, then every push (§0: a full FIFO popped this cycle took no push).
    for (const Move& m : moves_)
        if (m.src) {
            m.src->pop();
            if (m.src_r) --m.src_r->flits;
        }
    for (const Move& m : moves_)
        if (m.dst) {
            m.dst->push(m.flit);
            if (m.dst_r) ++m.dst_r->flits;
        }
    host_.out_valid = to_host;
    host_.out_index = host_index;
}

void Chip::trace(sc_core::sc_trace_file* tf, const std::vector<int>& tiles) {
    traced_ = true;
    fast_ = false;
    const std::string n = name();
    sc_core::sc_trace(tf, trace_phase_, n + ".phase");
    sc_core::sc_trace(tf, ctl_.age, n + ".age");
    sc_core::sc_trace(tf, ctl_.all_idle_q, n + ".all_idle_q");
    sc_core::sc_trace(tf, host_.received, n + ".host.received");
    sc_core::sc_trace(tf, host_.inject.count_ref(), n + ".host.inject_count");
    static const char* port_names[] = {"L", "N", "E", "S", "W"};
    for (int t : tiles) {
        if (t < 0 || t >= W_ * H_) continue;
        const Router& r = routers_[size_t(t)];
        const std::string p =
            n + ".tile_" + std::to_string(r.x()) + "_" + std::to_string(r.y());
        for (int i = 0; i < Router::PORTS; ++i)
            sc_core::sc_trace(tf, r.in[i].count_ref(), p + ".router.in_" + port_names[i] + "_count");
        sc_core::sc_trace(tf, r.stalls, p + ".router.stalls");
        sc_core::sc_trace(tf, cores_[size_t(t)].eq.count_ref(), p + ".core.event_queue_count");
        sc_core::sc_trace(tf, cores_[size_t(t)].busy, p + ".core.busy_cycles");
        sc_core::sc_trace(tf, cores_[size_t(t)].spikes, p + ".core.spikes");
        sc_core::sc_trace(tf, cores_[size_t(t)].packets, p + ".core.packets");
    }
}

}  // namespace sf::sc
