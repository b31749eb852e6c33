// Input encoders: turn images into input spikes for the chip and the float simulator.
// rate (seeded Bernoulli), direct (host IF neurons driven by pixel current), latency (time
// to first spike). Spike files read and write the same SpikeInput (docs/formats.md).
#pragma once

#include <string>

#include "sf/core/graph.hpp"
#include "sf/core/run_result.hpp"
#include "sf/reference/datasets.hpp"

namespace sf {

// Encode samples [first, first + count) of ds over `timesteps` steps. The result is the
// same for the same spec (including its seed), whatever the sample range's batching.
SpikeInput encode(const Dataset& ds, const EncoderSpec& spec, int timesteps, int64_t first,
                  int64_t count);

// Spike files: see docs/formats.md. Throws InputError for malformed files.
SpikeInput read_spike_file(const std::string& path);
// Checks a spike file read for a network: its input count, and every label an output index
// (or -1). Throws InputError naming the file and the sample.
void check_spike_input_fits(const SpikeInput& in, int num_inputs, int num_outputs,
                            const std::string& path);
void write_spike_file(const std::string& path, const SpikeInput& in);

}  // namespace sf
