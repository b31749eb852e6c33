// ChipImage: a compiled network, ready for any emulator backend. In memory it is this
// struct; on disk a directory (docs/formats.md): image.yaml (summary and per-core
// parameters), cores/<x>_<y>/*.npy tensors, and cores/<x>_<y>/*.hex memory files that
// RTL loads with $readmemh. The compiler writes it; the emulators only read it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sf/core/chip_config.hpp"
#include "sf/core/graph.hpp"

namespace sf {

// Quantized neuron parameters shared by a group of neurons on a core (docs/chip-spec.md).
struct NeuronProfile {
    int du = 4095;        // current decay: u *= (4096 - (du + 1)) / 4096, 0..4095
    int dv = 0;           // voltage decay: v *= (4096 - dv) / 4096, 0..4095
    int vth = 1;          // threshold mantissa: spike when v > vth << 6
    int bias_exp = 0;     // bias = bias_mant << bias_exp
    ResetMode reset = ResetMode::Zero;
    int refractory = 0;   // steps
    bool spiking = true;  // false: leaky integrator, never spikes (LI readout)

    bool operator==(const NeuronProfile& o) const;
};

// Quantized STDP constants of a learning-enabled core (docs/chip-spec.md, "Learning").
struct LearningProfile {
    bool enabled = false;
    int a_plus = 0;       // signed, potentiation = (a_plus * x_pre) >> shift
    int a_minus = 0;      // signed, depression  = (a_minus * y_post) >> shift
    int shift = 0;
    int x_decay = 0;      // pre trace: x = (x * (4096 - x_decay)) >> 12
    int y_decay = 0;      // post trace: y = (y * (4096 - y_decay)) >> 12
    int x_inc = 0;        // added to a pre trace per pre spike (saturating at trace max)
    int y_inc = 0;        // added to a post trace per post spike
    int w_min = 0, w_max = 0;
};

// A routing destination. x, y name a core; x == -1 names the host, and then axon is the
// output index.
struct Destination {
    int x = 0, y = 0;
    int axon = 0;
    bool is_host() const { return x < 0; }
    bool operator==(const Destination& o) const { return x == o.x && y == o.y && axon == o.axon; }
};

struct CoreImage {
    int x = 0, y = 0;
    int num_neurons = 0;  // neurons used (<= chip neurons_per_core)
    int num_axons = 0;    // axons used (<= chip axons_per_core)

    std::vector<NeuronProfile> profiles;    // <= chip profiles_per_core
    std::vector<uint8_t> profile_of;        // [num_neurons] index into profiles
    std::vector<int32_t> bias_mant;         // [num_neurons]

    // Crossbar, axon-major: weights[a * num_neurons + n] is the weight from axon a to
    // neuron n. Unused synapses are 0.
    std::vector<int16_t> weights;
    // Plastic synapses (STDP applies) as 0/1 per crossbar entry; empty if not learning.
    std::vector<uint8_t> plastic;
    LearningProfile learning;

    // Routing table in CSR form: neuron n sends to route_dst[route_ptr[n] .. route_ptr[n+1]).
    std::vector<int32_t> route_ptr;         // [num_neurons + 1]
    std::vector<Destination> route_dst;

    // Provenance, for traces and reports: which network neuron each chip neuron is.
    std::vector<int32_t> neuron_pop;        // [num_neurons] population index in `populations`
    std::vector<int32_t> neuron_index;      // [num_neurons] flat index inside that population
    std::vector<int32_t> axon_pop;          // [num_axons] source population of each axon
    std::vector<int32_t> axon_index;        // [num_axons] flat source neuron index

    int16_t weight(int axon, int neuron) const { return weights[size_t(axon) * num_neurons + neuron]; }
};

struct PopulationInfo {
    std::string name;
    NeuronKind kind = NeuronKind::LIF;
    std::vector<int64_t> shape;
    bool output = false;
    // For chip neurons: where neuron i of the population lives (core index into cores,
    // neuron on that core). Empty for input populations (they live on the host).
    std::vector<int32_t> core_of, neuron_of;
};

struct ChipImage {
    ChipConfig chip;
    std::string network;              // network name
    uint64_t seed = 0;                // compile seed
    int timesteps = 0;                // per sample, from the network
    EncoderSpec encoder;
    std::string dataset;

    std::vector<PopulationInfo> populations;  // all populations of the network, in order

    // Host input: input neuron i (flat index over the input population) sends to
    // input_dst[input_ptr[i] .. input_ptr[i+1]).
    int num_inputs = 0;
    std::vector<int32_t> input_ptr;
    std::vector<Destination> input_dst;

    // Host output k is produced by output_core[k], output_neuron[k] (the network's output
    // population, flattened). Output spikes are delivered to the host as Destination{-1,-1,k}.
    int num_outputs = 0;
    std::vector<int32_t> output_core, output_neuron;

    std::vector<CoreImage> cores;     // only cores in use

    // The compile report (cores used, crossbar fill, memory, traffic, pass statistics) as
    // a JSON text; saved as report.json in the image directory. `spikeforge info` shows it.
    std::string report_json;

    int core_at(int x, int y) const;  // index into cores, or -1
};

// Write the image directory atomically: built under a temporary sibling, then renamed,
// so a failure leaves no partial directory. An existing directory is replaced.
void save_chip_image(const ChipImage& img, const std::string& dir);

// Load and check an image directory; any missing or inconsistent part raises InputError
// naming the file.
ChipImage load_chip_image(const std::string& dir);

// Structural checks (sizes, indices in range, limits of img.chip). Throws InputError.
void validate_chip_image(const ChipImage& img, const std::string& where = {});

}  // namespace sf
