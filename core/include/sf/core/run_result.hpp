// What every emulator backend takes (SpikeInput, RunOptions) and gives back (RunResult),
// so that comparison and reporting code never cares which backend ran.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sf/core/chip_config.hpp"

namespace sf {

// Input spikes of one sample: steps[t] lists the input indices (flat over the input
// population) that spike at step t. Input spikes of step t are integrated at step t.
struct SampleInput {
    std::vector<std::vector<int32_t>> steps;
    int label = -1;  // -1 when unknown
};

struct SpikeInput {
    int num_inputs = 0;
    std::vector<SampleInput> samples;
};

// Event counts by kind; every backend counts the same events (docs/chip-spec.md, "Energy").
struct EventCounters {
    uint64_t syn_ops = 0;                 // synapses accumulated (present synapses of rows read)
    uint64_t row_reads = 0;               // crossbar words read
    uint64_t neuron_updates_active = 0;   // neuron updates with input or nonzero state
    uint64_t neuron_updates_idle = 0;     // the other neuron updates
    uint64_t spikes = 0;                  // spikes fired by chip neurons
    uint64_t packets = 0;                 // packets injected into the mesh (incl. host input)
    uint64_t hops_ew = 0;                 // link traversals east-west
    uint64_t hops_ns = 0;                 // link traversals north-south
    uint64_t learn_updates = 0;           // synaptic weight updates by STDP
    uint64_t cycles = 0;                  // clock cycles (cycle-level backends only)

    EventCounters& operator+=(const EventCounters& o);
    bool operator==(const EventCounters& o) const;
    std::map<std::string, uint64_t> by_name() const;
};

struct Energy {
    double total_pj = 0;
    std::map<std::string, double> by_kind_pj;  // syn_ops, row_reads, ..., static
};

// Energy = counts x table + static power x (cycles / clock). Without cycles, static is 0.
Energy energy_of(const EventCounters& c, const ChipConfig& chip);

enum RecordFlags : unsigned {
    RecordNone = 0,
    RecordSpikes = 1,   // full raster of every chip neuron
    RecordU = 2,        // u of every chip neuron per step
    RecordV = 4,        // v of every chip neuron per step
    RecordWeights = 8,  // final crossbar weights of every core
    RecordCycles = 16,  // report every step's cycles (cycle-level backends always keep them)
};

struct RunOptions {
    int steps = 0;              // steps per sample; 0 = the image's timesteps
    unsigned record = RecordNone;
    bool reset_between_samples = true;  // neuron state and traces; weights persist
    // Worker threads over samples (sf/core/parallel.hpp); results are bit-identical for any
    // count. Backends that cannot split the samples (learning carries weights from one
    // sample to the next) run serially and say so in RunResult::threads.
    int threads = 1;
};

// What only the cycle-level backends (systemc, rtl) measure, read from the chip's own
// counters (docs/microarchitecture.md §4.5, §3, §6). Tiles are indexed y * mesh_w + x.
struct CycleStats {
    bool present = false;            // false for the functional backend
    int mesh_w = 0, mesh_h = 0;
    double clock_mhz = 0;
    uint64_t load_cycles = 0;        // configuration-port writes before the first step
    uint64_t clear_cycles = 0;       // CLEAR phases between samples (not step cycles)
    uint64_t steps = 0;              // steps run (chip counter)
    uint64_t host_in_flits = 0;      // flits injected by the host port
    uint64_t host_out_flits = 0;     // flits delivered to the host
    std::vector<uint64_t> busy_cycles;       // [tile] core busy cycles
    std::vector<uint64_t> stall_cycles;      // [tile] router stall cycles
    std::vector<uint64_t> max_fifo;          // [tile] router maximum input-FIFO occupancy
    std::vector<std::vector<uint64_t>> link_flits;  // [tile][L, N, E, S, W] flits sent
};

// Spikes as (core index, neuron) pairs per step, sorted.
struct ChipSpike {
    int32_t core = 0, neuron = 0;
    bool operator==(const ChipSpike& o) const { return core == o.core && neuron == o.neuron; }
    bool operator<(const ChipSpike& o) const {
        return core != o.core ? core < o.core : neuron < o.neuron;
    }
};

struct SampleResult {
    std::vector<std::vector<int32_t>> output_spikes;  // [step] sorted output indices
    std::vector<int32_t> output_counts;               // [num_outputs]
    // argmax of output_counts (lowest index on ties; -1 if no spikes), or, when every output
    // population is LI (non-spiking), argmax of output_v_sum.
    int predicted = -1;
    std::vector<int64_t> output_v_sum;                // [num_outputs] LI outputs: v summed over steps
    int label = -1;
    std::vector<std::vector<ChipSpike>> raster;       // [step], if RecordSpikes
    // [step][core][neuron], if RecordU / RecordV
    std::vector<std::vector<std::vector<int32_t>>> u_trace, v_trace;
    std::vector<uint64_t> cycles_per_step;            // cycle-level backends
};

// The class a sample's outputs name (docs/chip-spec.md, "Readout"): argmax of output_counts
// (lowest index on ties; -1 if no output spiked), or with a membrane readout argmax of
// output_v_sum (lowest index on ties). Every backend decides the same way.
int predicted_class(const SampleResult& sr, bool membrane_readout);

struct RunResult {
    std::string backend;
    int steps = 0;        // per sample
    int num_outputs = 0;
    std::vector<SampleResult> samples;
    EventCounters counters;   // totals over all samples
    // Neuron updates whose u overflowed its state_bits and wrapped round (the chip's
    // arithmetic, but a sign that the state is too narrow for the weights). Not an energy
    // event; cycle-level backends need not report it.
    uint64_t state_wraps = 0;
    double wall_s = 0;
    int threads = 1;  // worker threads actually used over the samples
    // Final state after the last sample, per core: u, v and crossbar weights.
    std::vector<std::vector<int32_t>> final_u, final_v;
    std::vector<std::vector<int16_t>> final_weights;  // if RecordWeights or learning
    std::vector<std::vector<int32_t>> final_refractory;  // per core: refractory counts
    CycleStats cycle_stats;   // cycle-level backends only

    // Fraction of samples with a label whose prediction matches it; -1 without labels.
    double accuracy() const;
    uint64_t spikes_total() const { return counters.spikes; }
};

}  // namespace sf
