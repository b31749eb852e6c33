// NIR files (the Neuromorphic Intermediate Representation, HDF5) as plain data: how
// trained spiking networks arrive from snnTorch, Norse, Lava-DL, Rockpool, Sinabs and
// others (DESIGN.md §6). This layer only reads and writes the published HDF5 layout
// (docs/nir.md, "File layout"); what the nodes mean for spikeforge is nir_import.hpp.
//
// Layout (NIR 1.0, neuromorphs/NIR nir/serialization.py): a root dataset `version`
// (string) and a group `node` holding the top graph. A graph group has `type` =
// "NIRGraph", a group `nodes` with one group per node, and `edges`, an N×2 dataset of
// strings (source, target). Every other node group has `type` and one dataset per field;
// a nested graph is a node of type "NIRGraph", read recursively. Groups `metadata`,
// `input_type` and `output_type` are read as fields of the node (metadata is kept aside).
//
// The companion format for recorded activity, NIRData (nir/serialization.py write_data),
// is written by write_nir_data.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace sf::nir {

// One dataset: numbers (any HDF5 integer or float type, held as double) or strings.
struct Array {
    std::vector<int64_t> shape;        // {} for a scalar
    std::vector<double> data;          // numeric datasets
    std::vector<std::string> strings;  // string datasets
    bool is_string = false;
    // Stored dtype when written: float64 by default, float32 (weights) or int64 (shapes,
    // strides and other counts).
    bool f32 = false;
    bool i64 = false;

    int64_t size() const;
    std::string shape_str() const;  // "[3, 4]", "scalar"

    static Array scalar(double v);
    static Array vec(std::vector<double> v, std::vector<int64_t> shape = {}, bool f32 = false);
    static Array text(const std::string& s);
    static Array ints(const std::vector<int64_t>& v, bool scalar = false);
};

struct Node {
    std::string type;                     // "LIF", "Affine", "NIRGraph", ...
    std::map<std::string, Array> fields;  // every dataset of the node but `type`
    // Sub-groups other than nodes (input_type, output_type, metadata): name -> datasets.
    std::map<std::string, std::map<std::string, Array>> groups;
    // NIRGraph only: the nodes (in the order HDF5 lists them: by name) and the edges.
    std::vector<std::pair<std::string, Node>> nodes;
    std::vector<std::pair<std::string, std::string>> edges;
    std::string where;  // HDF5 path of the node group, for messages

    bool has(const std::string& field) const { return fields.count(field) != 0; }
};

struct File {
    std::string version;  // root `version`
    Node graph;           // root `node` (type NIRGraph)
    std::string path;     // where it was read from
};

// The layout version spikeforge writes in `version` and follows when reading.
inline constexpr const char* kNirVersion = "1.0.0";

// Read a NIR file. Anything that is not that layout (not HDF5, no `version` or `node`,
// a node without `type`, unreadable datasets, edges that are not N×2 strings, nesting
// deeper than 32) raises InputError naming the file and the HDF5 path of the node.
File read_nir(const std::string& path);

// Write a NIR file atomically (a temporary name in the same directory, then a rename).
void write_nir(const File& f, const std::string& path);

// Recorded activity in NIRData's layout: one TimeGriddedData observable per node.
struct Observable {
    std::string node;             // node key of the NIR graph (population name)
    std::string name = "spikes";  // observable key: "spikes", "v", ...
    int64_t samples = 0, steps = 0, neurons = 0;
    std::vector<float> data;  // [samples, steps, neurons], C order
    bool binary = true;       // spikes: written as uint8, else float32
};

struct Recording {
    double dt = 1e-3;  // [s] time step of the grid
    std::vector<Observable> observables;
};

// Write NIRData (root attribute __type__ = "NIRGraphData", nodes/<node>/observables/<name>
// with __type__ = "TimeGriddedData", dataset `data` and attribute `dt`), atomically.
void write_nir_data(const Recording& r, const std::string& path);
// Read it back (for tests and tools): the same observables; InputError on other layouts.
Recording read_nir_data(const std::string& path);

}  // namespace sf::nir
