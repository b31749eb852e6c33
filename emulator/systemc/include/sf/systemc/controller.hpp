// The timestep controller (docs/microarchitecture.md §7): the phase register, the age
// counter (saturating at 2), the registered AND of every block's idle (all_idle_q), the
// latched start_count / last of the step, and the chip counters of cycles and steps.
#pragma once

#include <cstdint>

namespace sf::sc {

enum class Phase : uint8_t { Pause = 0, Integ = 1, Compute = 2, Route = 3, Clear = 4 };

struct Controller {
    void reset() {
        phase = Phase::Pause;
        age = 0;
        all_idle_q = false;
        last = false;
        end_cycle = 0;
        cycles = steps = 0;
    }
    // A phase that began in cycle s ends in the first cycle c >= s + 2 with all_idle_q.
    bool ends_now() const { return age >= 2 && all_idle_q; }
    void enter(Phase p) {
        phase = p;
        age = 0;
    }

    Phase phase = Phase::Pause;
    uint8_t age = 0;
    bool all_idle_q = false;
    bool last = false;        // latched start_last_i: discard the ROUTE phase's events
    // COMPUTE and CLEAR have a length known at their first cycle (B + 2, max(n, a) + 2, at
    // least 3): the model computes it then and sleeps until this absolute cycle.
    uint64_t end_cycle = 0;
    uint64_t cycles = 0;      // chip counter 0: sum of step cycles
    uint64_t steps = 0;       // chip counter 3
};

}  // namespace sf::sc
