// The compiler's intermediate representation: one object that the passes of
// compile() hand along, each pass filling in its part (quantized parameters, synapse
// lists, groups, core slots, placement, routes). Every part has a deterministic text
// form (dump_*) so passes can be tested against golden text.
//
// Neurons are named by a global id: pop_offset[p] + flat index inside population p.
// Sorting by global id therefore sorts by (population index, neuron index), the axon
// order the route pass promises.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sf/core/chip_config.hpp"
#include "sf/core/chip_image.hpp"
#include "sf/core/graph.hpp"

namespace sf::ir {

// Quantized parameters of one population (quantize pass).
struct PopQuant {
    bool on_chip = false;         // false for Input populations (they live on the host)
    double scale = 1.0;           // s: integer weight = round(float weight * s)
    bool scale_lowered = false;   // s was lowered so the threshold fits threshold_bits
    double max_abs_weight = 0.0;  // max |w| over all incoming float weights
    NeuronProfile profile;
    std::vector<int32_t> bias_mant;  // [size], bias = bias_mant << profile.bias_exp
    bool learning = false;           // some incoming projection is plastic
    LearningProfile learn;           // the STDP constants of its plastic projections
};

// Quantized weights of one projection (quantize pass).
struct ProjQuant {
    std::vector<int32_t> w;    // same layout as the float tensor; pooling and scalar
                               // one-to-one: one element
    double max_rel_err = 0.0;  // max |w - q/s| / max|w| of this projection
    double rms_rel_err = 0.0;  // RMS of the same
    int64_t clamped = 0;       // weights clamped to the weight range
    bool plastic = false;
};

// All synapses into one population, CSR by post neuron, pre ids ascending and unique per
// post neuron (lower pass). Struct of arrays: 7 bytes per synapse.
struct SynapseList {
    std::vector<int64_t> post_ptr;  // [size + 1]
    std::vector<int32_t> pre;       // global source id
    std::vector<int16_t> weight;    // integer weight
    std::vector<uint8_t> plastic;   // 0/1
    int64_t size() const { return int64_t(pre.size()); }
};

// A set of neurons of one population that fits one core (partition pass).
struct Group {
    int pop = 0;
    std::vector<int32_t> neurons;  // flat indices in the population, ascending
    std::vector<int32_t> axons;    // distinct global source ids, ascending
    std::string tile;              // "rows 0-3, cols 0-3" for spatial tiles, else ""
    int slot = -1;                 // core slot it is packed into
};

// One core in use: the groups packed into it, and (place pass) its mesh position.
struct Slot {
    std::vector<int> groups;
    std::vector<int32_t> axons;  // union of its groups' axons, ascending = axon ids
    int neurons = 0;
    int x = -1, y = -1;
};

struct Ir {
    const Graph* graph = nullptr;
    ChipConfig chip;
    std::vector<int64_t> pop_offset;  // [P + 1] global id of each population's neuron 0
    std::vector<PopQuant> pops;       // [P]
    std::vector<ProjQuant> projs;     // [projections]
    std::vector<SynapseList> syn;     // [P] synapses into each population
    std::vector<Group> groups;
    std::vector<Slot> slots;
    // Routing (route pass): CSR over global ids. dst_slot == -1 is the host; dst_axon
    // is then the output index.
    std::vector<int64_t> route_ptr;  // [total neurons + 1]
    std::vector<int32_t> route_slot;
    std::vector<int32_t> route_axon;
    double placement_cost = 0.0;  // sum traffic * hops after place

    int num_pops() const { return int(pop_offset.size()) - 1; }
    int64_t total_neurons() const { return pop_offset.empty() ? 0 : pop_offset.back(); }
    // Population of a global id (binary search over pop_offset).
    int pop_of(int64_t gid) const;
    // "pop[idx]" for messages and dumps.
    std::string neuron_name(int64_t gid) const;
};

// Build the empty IR of a graph (offsets, sizes); the passes fill the rest.
Ir make_ir(const Graph& g, const ChipConfig& chip);

}  // namespace sf::ir
