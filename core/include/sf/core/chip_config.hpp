// Chip configuration: every number of the chip (DESIGN.md §3) in one object, read from
// a chip YAML or a preset name (networks/chips/<name>.yaml). Defaults are preset `sf1`.
#pragma once

#include <cstdint>
#include <string>

namespace YAML {
class Node;
}

namespace sf {

// Energy per event [pJ] and static power; the source says where the numbers come from.
// The defaults are Loihi's published figures (presets sf1 and loihi-like).
struct EnergyTable {
    std::string source = "Loihi, Davies et al. 2018, IEEE Micro 38(1), Table 2 (pre-silicon, 0.75 V)";
    double syn_op_pj = 23.6;          // one synapse accumulated
    double row_read_pj = 0.0;         // one crossbar word read (0 when folded into syn_op)
    double neuron_update_active_pj = 81.0;
    double neuron_update_idle_pj = 52.0;
    double spike_pj = 1.7;            // one spike leaving a neuron into its tile's router
    double hop_ew_pj = 3.0;           // one packet crossing one east-west link
    double hop_ns_pj = 4.0;           // one packet crossing one north-south link
    double learn_update_pj = 120.0;   // one synaptic weight update by STDP
    double static_mw = 0.0;           // static power of the whole chip [mW]
};

struct ChipConfig {
    std::string name = "sf1";
    std::string source;               // file it was read from, or "preset sf1"

    // Mesh
    int mesh_w = 4, mesh_h = 4;

    // Core
    int neurons_per_core = 256;       // N
    int axons_per_core = 1024;        // A
    int weight_bits = 8;              // signed synaptic weight width
    int word_synapses = 16;           // synapses read from the crossbar per cycle
    int profiles_per_core = 4;        // neuron parameter profiles a core can hold
    int fanout = 4;                   // routing destinations per neuron (F)
    bool learning = true;             // cores can run STDP

    // Neuron state (fixed by the Loihi-compatible neuron; configurable for coursework)
    int state_bits = 24;              // u and v
    int decay_bits = 12;              // du, dv, trace decays
    int threshold_bits = 17;          // vth mantissa (unsigned)
    int bias_mant_bits = 13;          // signed bias mantissa
    int bias_exp_max = 7;             // bias = mant << exp, 0 <= exp <= max
    int refractory_bits = 4;          // refractory counter
    int trace_bits = 8;               // STDP pre/post traces (unsigned, saturating)

    // Network on chip
    int router_fifo_depth = 4;        // flits per input FIFO
    int host_fifo_depth = 16;

    // Timing
    double clock_mhz = 100.0;

    EnergyTable energy;

    int num_cores() const { return mesh_w * mesh_h; }
    int weight_max() const { return (1 << (weight_bits - 1)) - 1; }
    int weight_min() const { return -(1 << (weight_bits - 1)); }
};

// Load "sf1", "sf1-small", ... (looked up in the presets directory) or a path to a YAML
// file. Unknown keys, wrong types and out-of-range values raise InputError naming the
// file, line and key.
ChipConfig load_chip(const std::string& preset_or_path);

// Parse chip YAML text (the layout of a chip file); `source` names it in errors and is
// stored in ChipConfig::source. Used for the chip section embedded in image.yaml.
ChipConfig chip_from_yaml(const std::string& yaml_text, const std::string& source);
// The same for a mapping already parsed from `file` (the chip section of image.yaml), so
// errors give that file's own line numbers.
ChipConfig chip_from_yaml_node(const YAML::Node& node, const std::string& file);

// Check ranges; throws InputError naming the field.
void validate_chip(const ChipConfig& c, const std::string& where = {});

// YAML text of a config (all fields), which load_chip reads back to an equal config.
std::string chip_to_yaml(const ChipConfig& c);

// Directory holding the preset YAML files. Taken from $SPIKEFORGE_CHIPS if set, else the
// source tree's networks/chips (compiled in), else <prefix>/share/spikeforge/chips.
std::string chip_preset_dir();

}  // namespace sf
