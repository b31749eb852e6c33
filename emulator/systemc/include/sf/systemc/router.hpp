// The router of one tile (docs/microarchitecture.md §3): five input FIFOs (L, N, E, S, W),
// dimension-ordered XY route computation on the head flits, one round-robin arbiter per
// output, and the counters the router keeps itself (hops, stall cycles, flits per output,
// maximum FIFO occupancy). Its process runs at every rising edge while a flit is in one of
// its FIFOs and sleeps on their arrival event otherwise. Each cycle it decides every grant
// from start-of-cycle state (its heads, the consumers' ready = room at the start of the
// cycle) and requests the pops and pushes, which the FIFO channels apply after the cycle.
#pragma once

#include <cstdint>

#include "sf/harness/chip_ports.hpp"
#include "sf/systemc/channels.hpp"
#include "sf/systemc/clocked.hpp"

namespace sf::sc {

// The router's combinational logic: route computation and the round-robin arbiters with
// their last-grant registers (usable without a simulator, for block tests).
struct XyArbiter {
    static constexpr int PORTS = 5;

    void reset(int x, int y) {
        x_ = x;
        y_ = y;
        for (int o = 0; o < PORTS; ++o) last_grant[o] = PORTS - 1;
    }

    // Output port for a head flit at this tile (§3 "Route computation").
    int route(uint64_t flit) const {
        using namespace sf::harness;
        int tx, ty, last;
        if (flit_host(flit)) {
            tx = 0;
            ty = 0;
            last = PORT_W;
        } else {
            tx = int(flit_x(flit));
            ty = int(flit_y(flit));
            last = PORT_L;
        }
        if (tx > x_) return PORT_E;
        if (tx < x_) return PORT_W;
        if (ty > y_) return PORT_S;
        if (ty < y_) return PORT_N;
        return last;
    }

    // Round-robin arbitration for output o among the inputs whose bit is set in `req`:
    // the first input after last_grant[o]; -1 if none.
    int arbitrate(int o, unsigned req) const {
        for (int k = 1; k <= PORTS; ++k) {
            const int i = (last_grant[o] + k) % PORTS;
            if (req & (1u << i)) return i;
        }
        return -1;
    }

    int x() const { return x_; }
    int y() const { return y_; }

    int last_grant[PORTS] = {4, 4, 4, 4, 4};

  private:
    int x_ = 0, y_ = 0;
};

// The host's end of the link west of tile (0, 0): the router hands it a host-bound flit's
// output index; the host port shows it on out_valid_o / out_index_o from the next delta.
class HostLink : public sc_core::sc_prim_channel {
  public:
    explicit HostLink(const char* name) : sc_core::sc_prim_channel(name) {}
    void deliver(uint32_t index) {
        pending_ = index;
        request_update();
    }
    uint32_t index() const { return index_; }
    const sc_core::sc_event& delivered() const { return delivered_; }

  protected:
    void update() override {
        index_ = pending_;
        delivered_.notify(sc_core::SC_ZERO_TIME);
    }

  private:
    uint32_t pending_ = 0, index_ = 0;
    sc_core::sc_event delivered_{"delivered"};
};

class Router : public Clocked {
  public:
    static constexpr int PORTS = XyArbiter::PORTS;

    SC_HAS_PROCESS(Router);
    explicit Router(sc_core::sc_module_name name);

    // Build-time configuration: position, FIFO depth, whether the tile is part of the mesh
    // (the chip keeps spare tiles for larger meshes), the idle tree, the outputs' consumers
    // (nullptr: off the mesh, never ready) and the host link (tile (0, 0) only).
    void configure(int x, int y, int depth, bool active, IdleTree* idle);
    void connect(int port, Fifo* consumer) { out_[port] = consumer; }
    void connect_host(HostLink* h) { host_ = h; }
    void break_output(int port) { broken_ |= 1u << port; }  // fault injection (watchdog test)

    // CLEAR (§3, §7): the round-robin pointers go back to their reset value, so that no
    // sample's arbitration depends on the samples before it. No flit moves in CLEAR.
    void clear_grants() { arb_.reset(arb_.x(), arb_.y()); }

    Fifo& input(int port) { return in_[size_t(port)]; }
    const Fifo& input(int port) const { return in_[size_t(port)]; }
    uint32_t max_occupancy() const;
    int x() const { return arb_.x(); }
    int y() const { return arb_.y(); }

    // Counters (§3), by the router that sends.
    uint64_t hops_ew = 0, hops_ns = 0, stalls = 0;
    uint64_t sent[PORTS] = {0, 0, 0, 0, 0};  // per output port, L = delivered to the core

  private:
    void run();
    void reset_state();

    sc_core::sc_vector<Fifo> in_;
    sc_core::sc_event arrival_{"arrival"};
    XyArbiter arb_;
    Fifo* out_[PORTS] = {nullptr, nullptr, nullptr, nullptr, nullptr};
    HostLink* host_ = nullptr;
    unsigned broken_ = 0;
    int depth_ = 1;
    bool active_ = false;
};

}  // namespace sf::sc
