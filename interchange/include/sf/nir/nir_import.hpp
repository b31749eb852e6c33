// NIR graphs to and from spikeforge's Graph IR (docs/nir.md). NIR states continuous-time
// equations and leaves the time step, the discretization, the reset mode and the
// refractory period open; ImportOptions asks for them, and the imported network records
// them (dt_ms, every population's reset and refractory, and nir-import.yaml beside it).
//
// Example: a file with Input(784) → Linear → CubaLIF(128) → Linear → CubaLIF(10) → Output
// becomes populations `input` (input), two LIF populations named after the CubaLIF nodes,
// and two dense projections named after the Linear nodes; the second LIF is the output.
#pragma once

#include <string>
#include <vector>

#include "sf/core/graph.hpp"
#include "sf/nir/nir_file.hpp"

namespace sf::nir {

enum class Method {
    Euler,  // decay = dt / tau (forward Euler; snnTorch's and Norse's own discretization)
    Exp,    // decay = 1 - exp(-dt / tau) (exact for input held constant over a step)
};

const char* to_string(Method m);

struct ImportOptions {
    double dt = 1e-3;  // [file time unit, seconds for every exporter]
    Method method = Method::Euler;
    ResetMode reset = ResetMode::Zero;  // NIR's v := v_reset; snnTorch trains with subtract
    int refractory_steps = 0;           // [steps] for spiking populations
    int timesteps = 20;                 // per sample, recorded in the network
    std::string name;                   // network name; "" = the file's stem
    EncoderSpec encoder;                // how data sets drive the input population(s)
    std::string dataset;                // optional default data set
};

struct ImportResult {
    Graph graph;
    std::vector<std::string> warnings;  // approximations made (named by node)
    std::vector<std::string> mapping;   // one line per NIR node: what it became
};

// Convert a NIR file's graph. Every node kind is mapped (docs/nir.md, "Node kinds") or
// refused with an InputError naming the file, the node and what would be needed.
ImportResult import_nir(const File& f, const ImportOptions& opt);
ImportResult import_nir(const std::string& path, const ImportOptions& opt);

struct ExportResult {
    File file;
    std::vector<std::string> warnings;  // what NIR cannot carry (reset modes, STDP, ...)
    double dt = 1e-3;                   // [s] pass as --dt on import
    ResetMode reset = ResetMode::Zero;  // pass as --reset on import
    int refractory_steps = 0;           // pass as --refractory on import
};

// Convert a Graph to a NIR graph whose import with {dt = g.dt_ms / 1000, Euler, reset,
// refractory} gives the same network (same float outputs; the same graph when g was
// itself imported). Things NIR cannot express are refused with an InputError naming the
// population or projection.
ExportResult export_nir(const Graph& g);

// Save an imported network to dir (network.yaml, weights.npz and nir-import.yaml, the
// settings of the import), atomically.
void save_imported(const ImportResult& r, const ImportOptions& opt, const std::string& source,
                   const std::string& dir);

}  // namespace sf::nir
