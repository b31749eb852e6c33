// The host port (docs/microarchitecture.md §5): in the PAUSE cycle with start_i it latches
// the step's start_count; in INTEG it receives exactly that many flits from the input stream
// (in_valid_i / in_ready_o) into its inject FIFO (depth D_h) and injects one per cycle into
// the W input FIFO of tile (0, 0). Host-bound flits arrive on the host link from that
// router and are shown for one cycle on out_valid_o / out_index_o. It keeps the host link's
// counters (chip counters of §6). Its main process runs every cycle only while it receives
// or injects; its output process only when a flit is delivered.
#pragma once

#include <cstdint>

#include "sf/systemc/channels.hpp"
#include "sf/systemc/clocked.hpp"
#include "sf/systemc/controller.hpp"
#include "sf/systemc/router.hpp"

namespace sf::sc {

class HostPort : public Clocked {
  public:
    sc_core::sc_in<bool> start_i;
    sc_core::sc_in<uint32_t> start_count_i;
    sc_core::sc_in<bool> in_valid_i;
    sc_core::sc_in<uint64_t> in_flit_i;
    sc_core::sc_out<bool> in_ready_o;
    sc_core::sc_out<bool> out_valid_o;
    sc_core::sc_out<uint32_t> out_index_o;

    SC_HAS_PROCESS(HostPort);
    explicit HostPort(sc_core::sc_module_name name);

    // Build-time configuration: the inject FIFO's depth, the controller's phase register,
    // the idle tree, and tile (0, 0)'s W input.
    void configure(int depth, const Reg<PhaseWord>* phase, IdleTree* idle, Fifo* w_input);
    HostLink& link() { return link_; }

    // Counters (§6).
    uint64_t packets = 0;     // injections
    uint64_t hops_ew = 0;     // host link, both directions
    uint64_t host_flits = 0;  // delivered to the host

    // Waveforms.
    const uint32_t& trace_received() const { return received_; }
    const uint32_t& trace_inject_count() const { return inject_.count_ref(); }

  private:
    void run();
    void out_run();
    void reset_state();

    Fifo inject_{"inject"};
    HostLink link_{"link"};
    BusyFlag receiving_{"receiving"};
    const Reg<PhaseWord>* phase_ = nullptr;
    Fifo* w_input_ = nullptr;
    int depth_ = 1;
    uint32_t start_count_ = 0, received_ = 0;
    bool out_shown_ = false;
};

}  // namespace sf::sc
