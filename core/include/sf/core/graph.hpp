// The Graph IR: a spiking network as populations of neurons joined by projections,
// with float parameters. The float reference simulator runs it directly; the compiler
// quantizes and maps it onto a chip. It is read from and written to network.yaml plus
// tensor files (see docs/formats.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sf/core/tensor.hpp"

namespace sf {

// Where a node came from, for error messages ("network.yaml:14").
struct SourceLoc {
    std::string file;
    int line = 0;
};

enum class NeuronKind {
    Input,  // driven by the host (an encoder or a spike file); no dynamics on chip
    LIF,    // current-based leaky integrate-and-fire (u: synaptic current, v: membrane)
    IF,     // integrate-and-fire: no membrane leak, instantaneous current
    LI,     // leaky integrator without threshold (readout)
};

enum class ResetMode {
    Zero,      // v := 0 after a spike (Loihi)
    Subtract,  // v := v - threshold after a spike
};

const char* to_string(NeuronKind k);
const char* to_string(ResetMode m);

// The neuron and synapse models of the course (reference/neuron_models.hpp) that the chip
// cannot run, keyed by the kind a network file would name: alif, adex, izhikevich, hh and
// the conductance-based synapse (coba). For such a kind: what the chip lacks (problem) and
// the nearest chip neuron with the settings that bring it closest (fix); both empty for
// any other kind. The network loader, and so the compiler, refuses these kinds with it.
struct ChipNeuronHint {
    std::string problem, fix;
};
ChipNeuronHint nearest_chip_neuron(const std::string& kind);

// Float neuron parameters of a population. Discrete-time CUBA dynamics per step dt:
//   u[t] = (1 - decay_u) * u[t-1] + I[t]
//   v[t] = (1 - decay_v) * v[t-1] + u[t] + bias
//   spike if v[t] > threshold, then reset; refractory steps hold v at 0 and block spikes.
// decay_u, decay_v are fractions per step in [0, 1]; when the file gives time constants
// instead, decay = 1 - exp(-dt / tau), computed once on load.
struct NeuronParams {
    float decay_u = 1.0f;     // [1/step] 1 = current lasts one step
    float decay_v = 0.0f;     // [1/step] 0 = no leak
    float threshold = 1.0f;   // [weight units]
    float bias = 0.0f;        // [weight units per step], used when the bias tensor is absent
    ResetMode reset = ResetMode::Zero;
    int refractory_steps = 0;  // [steps]
};

struct Population {
    std::string name;
    NeuronKind kind = NeuronKind::LIF;
    std::vector<int64_t> shape;  // e.g. {784} or {C, H, W}
    NeuronParams params;
    std::optional<Tensor> bias;  // per-neuron bias [size()], overrides params.bias
    bool output = false;         // recorded as the network's output
    SourceLoc loc;

    int64_t size() const;
};

enum class ProjectionKind {
    Dense,     // weights [post_size, pre_size]
    Conv2d,    // weights [out_ch, in_ch, kh, kw]; pre {C,H,W} -> post {out_ch, H', W'}
    SumPool,   // kernel, stride; post {C, H', W'}; each window sums with weight `scale`
    AvgPool,   // like SumPool with weight scale / (kh*kw)
    OneToOne,  // weights [size] or a scalar `scale`; pre and post of the same size
    Sparse,    // indices [nnz, 2] (pre, post) and weights [nnz]
};

const char* to_string(ProjectionKind k);

// Trace-based pair STDP on a projection (DESIGN.md §3, docs/chip-spec.md).
struct StdpParams {
    float a_plus = 0.01f;     // [weight units] potentiation per unit pre-trace
    float a_minus = 0.01f;    // [weight units] depression per unit post-trace
    float tau_pre = 20.0f;    // [steps] pre-trace time constant
    float tau_post = 20.0f;   // [steps] post-trace time constant
    float w_min = 0.0f;       // [weight units]
    float w_max = 1.0f;       // [weight units]
};

struct Projection {
    std::string name;
    ProjectionKind kind = ProjectionKind::Dense;
    std::string pre, post;  // population names; pre == post is a recurrent projection
    Tensor weights;         // float32 layout per kind (empty for pooling)
    Tensor indices;         // Sparse only: int64 [nnz, 2]
    std::vector<int> kernel{1, 1}, stride{1, 1}, padding{0, 0};  // Conv2d and pooling
    float scale = 1.0f;     // pooling and scalar one-to-one weight
    int delay = 1;          // [steps] only 1 is supported on chip
    std::optional<StdpParams> stdp;
    SourceLoc loc;
};

enum class EncoderKind {
    Rate,     // Bernoulli spikes with p = intensity * max_rate per step (seeded)
    Direct,   // host IF neurons integrate intensity * gain per step, spike at 1, subtract
    Latency,  // one spike per pixel at step round((1 - intensity) * (T - 1)); 0 never fires
};

const char* to_string(EncoderKind k);

struct EncoderSpec {
    EncoderKind kind = EncoderKind::Rate;
    float max_rate = 1.0f;        // Rate: probability per step at intensity 1
    float gain = 1.0f;            // Direct: current per step at intensity 1
    float min_intensity = 0.0f;   // Latency: pixels at or below never fire
    uint64_t seed = 1;
};

// The most timesteps per sample anything accepts (network files, spike files, --steps):
// more is a typo, and a run over it would exhaust memory or time.
constexpr int kMaxTimesteps = 1 << 24;

struct Graph {
    std::string name;
    float dt_ms = 1.0f;
    int timesteps = 20;           // per sample
    EncoderSpec encoder;
    std::string dataset;          // optional default data set ("fashion-mnist", ...)
    std::vector<Population> populations;
    std::vector<Projection> projections;
    std::string base_dir;         // directory holding network.yaml, for tensor refs
    std::string file;             // path of network.yaml

    const Population* find_population(const std::string& name) const;
    Population* find_population(const std::string& name);
    int population_index(const std::string& name) const;  // -1 if absent
    std::vector<const Population*> inputs() const;
    std::vector<const Population*> outputs() const;
};

// Load a network: a directory with network.yaml, or the YAML file itself. Tensors are
// read eagerly. Checks structure (unknown keys, missing fields, shapes, NaN/Inf,
// parameter ranges); every error names file, line and node.
Graph load_network(const std::string& path);

// Check a Graph built in memory the same way load_network checks a file.
void validate_graph(const Graph& g);

// Save to dir/network.yaml plus dir/weights.npz, atomically (temp dir, then rename).
// `extra_files` (name -> content) are written beside them and swapped in with them, so a
// kill never leaves the network without its companions (convert's converted-from.json).
void save_network(const Graph& g, const std::string& dir,
                  const std::map<std::string, std::string>& extra_files = {});

}  // namespace sf
