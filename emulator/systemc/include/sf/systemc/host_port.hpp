// The host port (docs/microarchitecture.md §5): receives exactly start_count flits of a
// step in the INTEG phase into its inject FIFO (depth D_h), injects one per cycle into the
// W input FIFO of tile (0, 0), and registers each host-bound flit for one cycle on the
// output stream. It counts the host link (chip counters of §6).
#pragma once

#include <cstdint>

#include "sf/systemc/fifo.hpp"

namespace sf::sc {

struct HostPort {
    void reset(int depth) {
        inject.reset(depth);
        start_count = received = 0;
        out_valid = false;
        out_index = 0;
        packets = hops_ew = host_flits = 0;
    }
    bool idle() const { return received >= start_count && inject.empty(); }

    Fifo inject;
    uint32_t start_count = 0, received = 0;
    bool out_valid = false;     // registered host-bound flit, shown for one cycle
    uint32_t out_index = 0;
    uint64_t packets = 0;       // injections
    uint64_t hops_ew = 0;       // host link, both directions
    uint64_t host_flits = 0;    // delivered to the host
};

}  // namespace sf::sc
