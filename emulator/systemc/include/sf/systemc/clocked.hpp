// The base of every clocked block of the SystemC chip: clock and reset ports (bound to the
// chip's clk_i and rst_ni), the cycle number of the current edge, and the ways a block's
// process waits (docs/microarchitecture.md §10): until the next rising edge, until the edge
// of a later cycle whose arrival it knows exactly (one timed wake-up instead of one
// activation per cycle), or until an event (a flit arrived, the phase changed). Every wait
// also ends at a reset.
//
// The harness drives clk_i with period 2 * half, half = (10^6 / clock_mhz / 2) ps: each of
// its cycles starts with the falling edge, at time c * period, and the rising edge of cycle c
// follows at c * period + half. A block acts only in the delta cycle of a rising edge,
// together with every other block, so the channels' two-phase rule holds; a timed wake-up
// therefore lands on the falling edge before the edge it waits for (a time at which no block
// acts, and one the harness's half-period steps and a waveform's time unit can represent)
// and then waits for the rising edge.
#pragma once

#include <cstdint>

#include <systemc>

namespace sf::sc {

class Clocked : public sc_core::sc_module {
  public:
    sc_core::sc_in<bool> clk_i;
    sc_core::sc_in<bool> rst_ni;

    // The clock period of the chip's configuration (the harness uses the same formula).
    void set_clock(double clock_mhz) {
        const double period_ps = clock_mhz > 0 ? 1e6 / clock_mhz : 10000.0;
        const sc_core::sc_time half(period_ps / 2, sc_core::SC_PS);
        period_ = half + half;
        lead_ = half;
    }

  protected:
    explicit Clocked(sc_core::sc_module_name name)
        : sc_core::sc_module(name), clk_i("clk_i"), rst_ni("rst_ni") {}

    // The cycle whose rising edge is now (time c * period + half).
    uint64_t cycle() const { return sc_core::sc_time_stamp().value() / period_.value(); }

    void next_cycle() { next_trigger(clk_i.posedge_event()); }
    // Wake at the rising edge of cycle c > cycle().
    void at_cycle(uint64_t c) {
        const uint64_t now = cycle();
        if (c <= now + 1 || lead_.value() == 0) {
            next_cycle();
            if (c > now + 1) target_ = c;  // a clock too fast for a timed wake: count edges
            return;
        }
        target_ = c;
        timed_ = true;
        next_trigger(period_ * double(c - now) - lead_, rst_ni.negedge_event());
    }
    // Wait for `e` (or a reset); the block then acts at the next rising edge.
    void sleep_on(const sc_core::sc_event& e) {
        target_ = 0;
        event_ = true;
        next_trigger(e | rst_ni.negedge_event());
    }
    void sleep_on(const sc_core::sc_event_or_list& l) {
        target_ = 0;
        event_ = true;
        next_trigger(l | rst_ni.negedge_event());
    }
    // Call first in a process after the reset test: true when this activation only moves
    // the block on to the edge it waits for (it must return at once).
    bool waiting() {
        if (timed_ || event_) {
            timed_ = event_ = false;
            next_cycle();
            return true;
        }
        if (target_ != 0 && cycle() < target_) {
            next_cycle();
            return true;
        }
        target_ = 0;
        return false;
    }
    // After a reset: forget any wait.
    void clear_wait() { timed_ = event_ = false, target_ = 0; }

    sc_core::sc_time period_{10, sc_core::SC_NS};
    sc_core::sc_time lead_{5, sc_core::SC_NS};

  private:
    bool timed_ = false, event_ = false;
    uint64_t target_ = 0;
};

}  // namespace sf::sc
