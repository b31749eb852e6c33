// The timestep controller: see controller.hpp and docs/microarchitecture.md §7.
#include "sf/systemc/controller.hpp"

#include <algorithm>

namespace sf::sc {

Controller::Controller(sc_core::sc_module_name name)
    : Clocked(name),
      start_i("start_i"),
      start_last_i("start_last_i"),
      clear_i("clear_i"),
      busy_o("busy_o") {
    SC_METHOD(run);
}

void Controller::reset_state() {
    phase_.reset(PhaseWord{});
    done_.reset();
    idle_.reset();
    ph_ = Phase::Pause;
    last_ = false;
    phase_u8_ = age_ = 0;
    all_idle_q_ = false;
    draining_ = await_done_ = false;
    phase_start_ = step_start_ = end_cycle_ = 0;
    cycles = steps = 0;
    clear_wait();
}

void Controller::enter(Phase p, uint64_t c) {
    ph_ = p;
    phase_u8_ = uint8_t(p);
    age_ = 0;
    phase_start_ = c + 1;
    end_cycle_ = 0;
    phase_.write(PhaseWord{p, last_});
    busy_o.write(p != Phase::Pause);
    if (p == Phase::Compute || p == Phase::Clear || p == Phase::Route)
        core_start_.notify(sc_core::SC_ZERO_TIME);
}

// The last cycle of an INTEG or ROUTE phase.
void Controller::end_phase(uint64_t c) {
    if (ph_ == Phase::Route) {
        cycles += c - step_start_ + 1;
        enter(Phase::Pause, c);
        sleep_on(start_i.posedge_event() | clear_i.posedge_event());
        return;
    }
    // COMPUTE from c + 1 on: the cores report their work's length in that cycle.
    enter(Phase::Compute, c);
    done_.clear();
    await_done_ = true;
    at_cycle(c + 2);
}

void Controller::run() {
    if (!rst_ni.read()) {
        reset_state();
        busy_o.write(false);
        sleep_on(start_i.posedge_event() | clear_i.posedge_event());
        return;
    }
    if (draining_) {
        // Woken one delta after the update that left every block idle: cycle b was the last
        // busy one, all_idle_q rises at the end of b + 1, and the phase ends in b + 2.
        if (!idle_.all_idle()) {
            next_trigger(idle_.idle_event() | rst_ni.negedge_event());
            return;
        }
        draining_ = false;
        end_cycle_ = std::max(cycle() + 2, phase_start_ + 2);
        at_cycle(end_cycle_);
        return;
    }
    if (waiting()) return;
    const uint64_t c = cycle();
    switch (ph_) {
        case Phase::Pause:
            if (start_i.read()) {
                last_ = start_last_i.read();
                ++steps;
                step_start_ = c + 1;
                enter(Phase::Integ, c);
                next_cycle();
            } else if (clear_i.read()) {
                enter(Phase::Clear, c);
                if (on_clear_) on_clear_();
                done_.clear();
                await_done_ = true;
                at_cycle(c + 2);
            } else {
                sleep_on(start_i.posedge_event() | clear_i.posedge_event());
            }
            return;
        case Phase::Integ:
        case Phase::Route: {
            if (end_cycle_ != 0) {  // the end of a drain
                end_phase(c);
                return;
            }
            const bool ends = age_ >= 2 && all_idle_q_;
            const bool idle = idle_.all_idle();
            if (fast_ && !idle && idle_.net_idle()) {
                // No flit is in the mesh or the host port and no encoder has a spike left:
                // nothing new can reach an event queue, so only integrate engines drain.
                draining_ = true;
                next_trigger(idle_.idle_event() | rst_ni.negedge_event());
                return;
            }
            all_idle_q_ = idle;
            if (age_ < 2) ++age_;
            if (ends)
                end_phase(c);
            else
                next_cycle();
            return;
        }
        case Phase::Compute:
        case Phase::Clear:
            if (await_done_) {
                await_done_ = false;
                end_cycle_ = phase_start_ + std::max<uint64_t>(3, done_.read() + 2) - 1;
                at_cycle(end_cycle_);
                return;
            }
            if (ph_ == Phase::Compute) {
                enter(Phase::Route, c);
                next_cycle();
            } else {
                enter(Phase::Pause, c);
                sleep_on(start_i.posedge_event() | clear_i.posedge_event());
            }
            return;
    }
}

}  // namespace sf::sc
