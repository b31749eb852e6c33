// The timestep controller (docs/microarchitecture.md §7): the phase register (with the
// step's "last" bit), the age counter (saturating at 2), the registered AND of every block's
// idle output (all_idle_q, from the idle tree), and the chip counters of cycles and steps.
// It drives busy_o.
//
// Exact cycle skipping (§10): COMPUTE and CLEAR last max(3, B + 2) cycles with B the longest
// core's work, which the cores report in the phase's first cycle; the controller reads it in
// the second and sleeps until the phase's last cycle. In INTEG and ROUTE it runs every cycle,
// except when no flit can move any more (the idle tree's net group is empty): then only
// integrate engines drain, and it sleeps until the tree reports every block idle.
#pragma once

#include <cstdint>
#include <functional>

#include "sf/systemc/channels.hpp"
#include "sf/systemc/clocked.hpp"

namespace sf::sc {

enum class Phase : uint8_t { Pause = 0, Integ = 1, Compute = 2, Route = 3, Clear = 4 };

// The phase register's value, as the other blocks read it.
struct PhaseWord {
    Phase phase = Phase::Pause;
    bool last = false;  // latched start_last_i: the ROUTE phase discards its events
    bool operator==(const PhaseWord& o) const { return phase == o.phase && last == o.last; }
};

class Controller : public Clocked {
  public:
    sc_core::sc_in<bool> start_i, start_last_i, clear_i;
    sc_core::sc_out<bool> busy_o;

    SC_HAS_PROCESS(Controller);
    explicit Controller(sc_core::sc_module_name name);

    void set_fast(bool on) { fast_ = on; }
    // Called when a CLEAR phase begins (the chip resets its routers' round-robin pointers).
    void set_on_clear(std::function<void()> f) { on_clear_ = std::move(f); }
    void reset_state();

    const Reg<PhaseWord>& phase() const { return phase_; }
    // Notified (one delta later) when COMPUTE, CLEAR or ROUTE begins: the phases in which a
    // core has work without an event arriving (its start line).
    const sc_core::sc_event& core_start() const { return core_start_; }
    MaxReg& done() { return done_; }
    IdleTree& idle() { return idle_; }

    // Chip counters (§6).
    uint64_t cycles = 0;  // sum of step cycles
    uint64_t steps = 0;

    // Waveforms.
    const uint8_t& trace_phase() const { return phase_u8_; }
    const uint8_t& trace_age() const { return age_; }
    const bool& trace_all_idle_q() const { return all_idle_q_; }

  private:
    void run();
    void enter(Phase p, uint64_t c);
    void end_phase(uint64_t c);

    Reg<PhaseWord> phase_{"phase"};
    sc_core::sc_event core_start_{"core_start"};
    MaxReg done_{"done"};
    IdleTree idle_;
    Phase ph_ = Phase::Pause;  // this block's copy of the phase register
    bool last_ = false;
    uint8_t phase_u8_ = 0, age_ = 0;
    bool all_idle_q_ = false;
    bool fast_ = true;
    std::function<void()> on_clear_;
    bool draining_ = false;   // asleep until the idle tree reports every block idle
    bool await_done_ = false; // COMPUTE / CLEAR: read the cores' lengths next cycle
    uint64_t phase_start_ = 0, step_start_ = 0, end_cycle_ = 0;
};

}  // namespace sf::sc
