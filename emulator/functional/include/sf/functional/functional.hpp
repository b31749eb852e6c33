// The functional emulator: the executable specification of the chip. Event-driven and
// bit-exact by definition; it counts events for the energy model but no cycles.
#pragma once

#include <functional>

#include "sf/core/chip_image.hpp"
#include "sf/core/run_result.hpp"

namespace sf {

// Progress callback: (samples done, samples total). May be empty.
using ProgressFn = std::function<void(int64_t, int64_t)>;

// Run every sample of `input` on the image. Neuron state and traces are reset between
// samples (unless opt.reset_between_samples is false); learned weights carry over.
RunResult run_functional(const ChipImage& img, const SpikeInput& input, const RunOptions& opt,
                         const ProgressFn& progress = {});

}  // namespace sf
