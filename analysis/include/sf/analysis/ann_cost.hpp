// The ANN counterpart of a spiking network, costed on a conventional accelerator: MACs and
// memory accesses per inference, priced by a table file (networks/energy/*.yaml; default
// horowitz-45nm: Horowitz, ISSCC 2014, 45 nm). Also the link that `convert` records from
// a converted SNN to the ANN it came from (converted-from.json in the SNN's directory).
//
// Memory model (docs/compare.md): every weight is read once per inference from the
// smallest memory level of the table that holds all weights; every MAC layer reads its
// input activations once and writes its outputs once, from the smallest level that holds
// that layer's input and output together. It is a lower bound of the traffic of a real
// accelerator (no re-reads, no spills), and the MACs run at the table's precision.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sf/core/temp_dir.hpp"  // write_file_atomically, for the reports
#include "sf/reference/ann.hpp"
#include "sf/reference/datasets.hpp"

namespace sf {

struct MemoryLevel {
    std::string name;        // "sram_8kb", ..., "dram"
    int64_t bytes = 0;       // capacity; 0 = unbounded (DRAM)
    double pj_per_access = 0;  // per access of access_bits
};

struct AnnEnergyTable {
    std::string name;
    std::string source;      // where the numbers come from (required in the file)
    std::string file;        // the file it was read from
    std::string precision = "fp32";  // the arithmetic the MACs are priced at
    int word_bits = 32;      // bits of one weight or activation
    double mult_pj = 0, add_pj = 0;  // one multiply, one add at `precision`
    int access_bits = 64;    // the width the memory energies are given for
    std::vector<MemoryLevel> levels;  // ascending capacity; the last may be unbounded

    double mac_pj() const { return mult_pj + add_pj; }
    // Energy of one word, scaled from the table's access width (a 32-bit word of a
    // 64-bit access costs half of it).
    double word_pj(const MemoryLevel& l) const {
        return l.pj_per_access * double(word_bits) / double(access_bits);
    }
    // The smallest level that holds `bytes` (the last level if none does).
    const MemoryLevel& level_for(int64_t bytes) const;
};

// "horowitz-45nm" (a name in the energy directory) or a path to a YAML file. Unknown keys,
// a missing source or non-positive energies raise InputError naming the file and key.
AnnEnergyTable load_ann_energy_table(const std::string& name_or_path);
// networks/energy in the source tree, or <prefix>/share/spikeforge/energy; $SPIKEFORGE_ENERGY wins.
std::string ann_energy_dir();

struct AnnLayerCost {
    std::string name, kind;
    int64_t macs = 0;            // dense multiply-accumulates per inference
    double effective_macs = 0;   // mean per inference: input and weight both nonzero
    bool effective_exact = true; // false: estimated from nonzero fractions (conv)
    int64_t params = 0, zero_weights = 0, weights = 0;
    int64_t in_size = 0, out_size = 0;
};

struct AnnCost {
    std::string model;
    std::vector<AnnLayerCost> layers;
    int64_t samples = 0;
    double accuracy = -1;
    std::vector<int> predicted;
    int64_t macs = 0;
    double effective_macs = 0;
    int64_t params = 0, weights = 0, zero_weights = 0;
    int64_t weight_reads = 0, activation_reads = 0, activation_writes = 0;  // words
    std::string weight_level, activation_level;
    double activations = 0, zero_activations = 0;  // mean per inference, after nonlinearities
    double energy_mac_pj = 0, energy_weights_pj = 0, energy_activations_pj = 0;
    double wall_s = 0;

    double energy_pj() const { return energy_mac_pj + energy_weights_pj + energy_activations_pj; }
    int64_t memory_accesses() const { return weight_reads + activation_reads + activation_writes; }
    int64_t footprint_bytes(int word_bits) const { return params * word_bits / 8; }
};

// Run the model on samples [0, count) of ds (forward passes in batches) and cost it.
// Throws InputError when the data set does not fit the model's input.
AnnCost ann_cost(const AnnModel& model, const Dataset& ds, int64_t count,
                 const AnnEnergyTable& table);

nlohmann::json to_json(const AnnCost& c, const AnnEnergyTable& table);

// The text of converted-from.json: {"ann": "<path relative to the SNN directory>",
// "ann_given": "<as given to convert>", ...details}. `convert` saves it with the network
// (save_network's extra files), so the two are swapped in together.
std::string ann_link_text(const std::string& snn_dir, const std::string& ann_path,
                          const nlohmann::json& details = {});
// The ANN an SNN directory (or its network.yaml) was converted from, resolved to a path,
// or nullopt if it records none. A recorded ANN that no longer exists raises InputError.
std::optional<std::string> read_ann_link(const std::string& snn_path);

}  // namespace sf
