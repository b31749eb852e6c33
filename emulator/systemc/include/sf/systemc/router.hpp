// The router of one tile (docs/microarchitecture.md §3): five input FIFOs (L, N, E, S, W),
// dimension-ordered XY route computation on the head flit, one round-robin arbiter per
// output, and the counters the router keeps itself (hops, stall cycles, flits per output,
// maximum FIFO occupancy). The chip top evaluates every router in two phases each cycle:
// decide() reads only start-of-cycle state and returns the grants; the top applies them.
#pragma once

#include <cstdint>

#include "sf/harness/chip_ports.hpp"
#include "sf/systemc/fifo.hpp"

namespace sf::sc {

class Router {
  public:
    static constexpr int PORTS = 5;

    void reset(int x, int y, int depth) {
        x_ = x;
        y_ = y;
        for (Fifo& f : in) f.reset(depth);
        for (int o = 0; o < PORTS; ++o) last_grant[o] = PORTS - 1;
        flits = 0;
        hops_ew = hops_ns = stalls = 0;
        for (uint64_t& s : sent) s = 0;
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

    uint32_t max_occupancy() const {
        uint32_t m = 0;
        for (const Fifo& f : in)
            if (f.max_occupancy() > m) m = f.max_occupancy();
        return m;
    }

    int x() const { return x_; }
    int y() const { return y_; }

    Fifo in[PORTS];
    int last_grant[PORTS] = {4, 4, 4, 4, 4};
    uint32_t flits = 0;  // flits in the five input FIFOs (for the idle test)
    // Counters (§3): by the router that sends.
    uint64_t hops_ew = 0, hops_ns = 0, stalls = 0;
    uint64_t sent[PORTS] = {0, 0, 0, 0, 0};  // per output port, L = delivered to the core

  private:
    int x_ = 0, y_ = 0;
};

}  // namespace sf::sc
