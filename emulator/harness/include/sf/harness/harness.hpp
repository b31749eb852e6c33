// The host side of a cycle-level run (docs/microarchitecture.md §5-§8): turns a ChipImage
// and a SpikeInput into stimuli on the port-level interface of chip_ports.hpp, and the
// chip's responses into a RunResult. It drives only those wires, so the same harness runs
// the SystemC chip (emulator/systemc/) and the Verilated RTL chip (rtl/): the caller
// constructs the chip, binds it to a ChipSignals, and calls run_cycle_level.
//
// Per run: reset (rst_ni low 2 cycles), load the image through the configuration port;
// per sample: CLEAR (first sample always, later ones when samples reset); per step: start,
// stream the input flits, collect output flits, wait for busy_o = 0, read what is recorded
// through the debug port; at the end: counters, final u, v, refractory counts, weights.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sf/core/chip_image.hpp"
#include "sf/core/error.hpp"
#include "sf/core/run_result.hpp"
#include "sf/harness/chip_ports.hpp"

namespace sf::harness {

struct HarnessOptions {
    std::string backend = "systemc";           // RunResult::backend
    uint64_t watchdog_cycles = 100000000;      // a step longer than this is stuck
    bool check_image = true;                   // refuse images the chip cannot hold
    std::function<void(int64_t, int64_t)> progress;  // (samples done, samples total)
    // Most processes to split the samples over (the caller and forked copies of it, each
    // with its own copy of the loaded chip). Used only where samples are independent: every
    // sample starts with a CLEAR and no core learns. Results are identical for any count.
    // Leave 1 where the chip writes waveforms or the process must not fork.
    int processes = 1;
};

// A timestep that never completed: the message names every router port with a stuck flit.
class WatchdogError : public Error {
  public:
    using Error::Error;
};

// Refuse, with a message naming the limit, an image the cycle-level chips cannot run
// (sizes beyond the chip's, more profiles or routes than it holds, fields wider than the
// configuration port's, more than 65,536 host outputs). Throws InputError.
void check_image_for_chip(const ChipImage& img);

// Run every sample on the chip behind `sig` (already bound and elaborated). The chip is
// reset and loaded first, so any earlier state is gone.
RunResult run_cycle_level(ChipSignals& sig, const ChipImage& img, const SpikeInput& input,
                          const RunOptions& opt, const HarnessOptions& ho = {});

}  // namespace sf::harness
