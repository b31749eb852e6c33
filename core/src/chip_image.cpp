// ChipImage on disk (see chip_image.hpp, docs/formats.md "Chip image"): image.yaml for
// the summary and per-core parameters, host.npz and cores/<x>_<y>/core.npz for arrays,
// and $readmemh files for the RTL. The .npz files are the source of truth; the .hex files
// are derived from them, and load regenerates them and compares, so a hand-edited or
// stale hex file is caught rather than silently disagreeing with the other backends.
#include "sf/core/chip_image.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <unistd.h>

#include "sf/core/error.hpp"
#include "sf/core/input_file.hpp"
#include "sf/core/temp_dir.hpp"
#include "sf/core/tensor.hpp"

namespace fs = std::filesystem;

namespace sf {

bool NeuronProfile::operator==(const NeuronProfile& o) const {
    return du == o.du && dv == o.dv && vth == o.vth && bias_exp == o.bias_exp &&
           reset == o.reset && refractory == o.refractory && spiking == o.spiking;
}

int ChipImage::core_at(int x, int y) const {
    for (size_t i = 0; i < cores.size(); ++i)
        if (cores[i].x == x && cores[i].y == y) return int(i);
    return -1;
}

namespace {

constexpr int kFormatVersion = 1;

// Bits needed to hold values 0..n-1 (at least 1, so every field has a width).
int bits_for(int64_t n) {
    int b = 1;
    while ((int64_t(1) << b) < n) ++b;
    return b;
}

std::string core_dir_name(const CoreImage& c) { return fmt::format("{}_{}", c.x, c.y); }

// Field widths of the hex files; they depend only on the chip and the number of outputs.
struct HexLayout {
    int weight_bits, word_synapses, words_per_row, word_bits;
    int profile_bits, bias_bits, neuron_bits;
    int x_bits, y_bits, axon_bits, route_bits;

    HexLayout(const ChipConfig& c, int num_outputs) {
        weight_bits = c.weight_bits;
        word_synapses = c.word_synapses;
        words_per_row = (c.neurons_per_core + c.word_synapses - 1) / c.word_synapses;
        word_bits = word_synapses * weight_bits;
        profile_bits = bits_for(c.profiles_per_core);
        bias_bits = c.bias_mant_bits;
        neuron_bits = profile_bits + bias_bits;
        x_bits = bits_for(c.mesh_w);
        y_bits = bits_for(c.mesh_h);
        // The axon field also carries the output index of host destinations.
        axon_bits = bits_for(std::max(c.axons_per_core, num_outputs));
        route_bits = 2 + x_bits + y_bits + axon_bits;
    }
};

// A wide unsigned value as a bit vector, printed as hex (most significant digit first).
class Bits {
public:
    explicit Bits(int width) : width_(width), words_(size_t((width + 63) / 64), 0) {}
    // Places the low `w` bits of v (two's complement for negatives) at bit offset `at`.
    void put(int at, int w, int64_t v) {
        const uint64_t u = uint64_t(v) & (w >= 64 ? ~uint64_t(0) : ((uint64_t(1) << w) - 1));
        for (int i = 0; i < w; ++i)
            if ((u >> i) & 1) words_[size_t((at + i) / 64)] |= uint64_t(1) << ((at + i) % 64);
    }
    std::string hex() const {
        const int digits = (width_ + 3) / 4;
        std::string s(size_t(digits), '0');
        for (int d = 0; d < digits; ++d) {
            unsigned nib = 0;
            for (int b = 0; b < 4; ++b) {
                const int bit = d * 4 + b;
                if (bit < width_ && ((words_[size_t(bit / 64)] >> (bit % 64)) & 1)) nib |= 1u << b;
            }
            s[size_t(digits - 1 - d)] = "0123456789abcdef"[nib];
        }
        return s;
    }

private:
    int width_;
    std::vector<uint64_t> words_;
};

std::string crossbar_hex(const CoreImage& c, const HexLayout& L) {
    std::string out;
    for (int a = 0; a < c.num_axons; ++a) {
        for (int w = 0; w < L.words_per_row; ++w) {
            Bits b(L.word_bits);
            for (int j = 0; j < L.word_synapses; ++j) {
                const int n = w * L.word_synapses + j;
                if (n < c.num_neurons) b.put(j * L.weight_bits, L.weight_bits, c.weight(a, n));
            }
            out += b.hex();
            out += '\n';
        }
    }
    return out;
}

std::string neurons_hex(const CoreImage& c, const HexLayout& L) {
    std::string out;
    for (int n = 0; n < c.num_neurons; ++n) {
        Bits b(L.neuron_bits);
        b.put(0, L.bias_bits, c.bias_mant[size_t(n)]);
        b.put(L.bias_bits, L.profile_bits, c.profile_of[size_t(n)]);
        out += b.hex();
        out += '\n';
    }
    return out;
}

std::string routes_hex(const CoreImage& c, const ChipConfig& chip, const HexLayout& L) {
    std::string out;
    for (int n = 0; n < c.num_neurons; ++n) {
        const int32_t begin = c.route_ptr[size_t(n)], end = c.route_ptr[size_t(n) + 1];
        for (int f = 0; f < chip.fanout; ++f) {
            Bits b(L.route_bits);
            if (begin + f < end) {
                const Destination& d = c.route_dst[size_t(begin + f)];
                b.put(0, L.axon_bits, d.axon);
                if (!d.is_host()) {
                    b.put(L.axon_bits, L.y_bits, d.y);
                    b.put(L.axon_bits + L.y_bits, L.x_bits, d.x);
                }
                b.put(L.axon_bits + L.y_bits + L.x_bits, 1, d.is_host() ? 1 : 0);
                b.put(L.axon_bits + L.y_bits + L.x_bits + 1, 1, 1);  // valid
            }
            out += b.hex();
            out += '\n';
        }
    }
    return out;
}

// ----------------------------------------------------------------------------- checks

struct ImageChecker {
    const ChipImage& img;
    std::string base;  // image directory or caller's where
    bool is_dir;

    std::string core_where(const CoreImage& c) const {
        const std::string node = "core " + core_dir_name(c);
        if (is_dir) return at_file(base + "/cores/" + core_dir_name(c) + "/core.npz", 0, node);
        return base.empty() ? node : base + " (" + node + ")";
    }
    std::string host_where(const std::string& node) const {
        if (is_dir) return at_file(base + "/host.npz", 0, node);
        return base.empty() ? node : base + " (" + node + ")";
    }
    std::string yaml_where(const std::string& node) const {
        if (is_dir) return at_file(base + "/image.yaml", 0, node);
        return base.empty() ? node : base + " (" + node + ")";
    }
    [[noreturn]] void fail(const std::string& what, const std::string& where) const {
        throw InputError(what, where,
                         is_dir ? "the image is damaged or was edited by hand; compile it again"
                                : "this is a compiler bug or a hand-built image; fix the field named");
    }
    void size_is(size_t got, size_t want, const char* what, const std::string& w) const {
        if (got != want) fail(fmt::format("{} has {} entries, expected {}", what, got, want), w);
    }
    void dest_ok(const Destination& d, const std::string& what, const std::string& w,
                 bool allow_host) const {
        if (d.is_host()) {
            if (!allow_host) fail(what + " names the host, which cannot receive input spikes", w);
            if (d.y != -1 || d.axon < 0 || d.axon >= img.num_outputs)
                fail(fmt::format("{} is host output {} (y = {}); expected y = -1 and 0 <= output < {}",
                                 what, d.axon, d.y, img.num_outputs),
                     w);
            return;
        }
        const int ci = img.core_at(d.x, d.y);
        if (ci < 0) fail(fmt::format("{} names core ({}, {}), which is not in the image", what, d.x, d.y), w);
        if (d.axon < 0 || d.axon >= img.cores[size_t(ci)].num_axons)
            fail(fmt::format("{} names axon {} of core ({}, {}), which has {} axons", what, d.axon,
                             d.x, d.y, img.cores[size_t(ci)].num_axons),
                 w);
    }
    void csr_ok(const std::vector<int32_t>& ptr, size_t n, size_t total, const char* what,
                const std::string& w, int max_per_row) const {
        size_is(ptr.size(), n + 1, what, w);
        if (ptr[0] != 0) fail(std::string(what) + " must start at 0", w);
        for (size_t i = 0; i < n; ++i) {
            if (ptr[i + 1] < ptr[i]) fail(fmt::format("{} decreases at entry {}", what, i), w);
            if (max_per_row > 0 && ptr[i + 1] - ptr[i] > max_per_row)
                fail(fmt::format("{}: entry {} has {} destinations, the chip allows fanout {}",
                                 what, i, ptr[i + 1] - ptr[i], max_per_row),
                     w);
        }
        if (size_t(ptr[n]) != total)
            fail(fmt::format("{} ends at {} but there are {} destinations", what, ptr[n], total), w);
    }

    void core(const CoreImage& c) const {
        const ChipConfig& chip = img.chip;
        const std::string w = core_where(c);
        if (c.x < 0 || c.x >= chip.mesh_w || c.y < 0 || c.y >= chip.mesh_h)
            fail(fmt::format("core position ({}, {}) is outside the {}x{} mesh", c.x, c.y,
                             chip.mesh_w, chip.mesh_h),
                 w);
        if (c.num_neurons < 0 || c.num_neurons > chip.neurons_per_core)
            fail(fmt::format("core uses {} neurons, the chip has {} per core", c.num_neurons,
                             chip.neurons_per_core),
                 w);
        if (c.num_axons < 0 || c.num_axons > chip.axons_per_core)
            fail(fmt::format("core uses {} axons, the chip has {} per core", c.num_axons,
                             chip.axons_per_core),
                 w);
        if (int(c.profiles.size()) > chip.profiles_per_core)
            fail(fmt::format("core has {} neuron profiles, the chip holds {}", c.profiles.size(),
                             chip.profiles_per_core),
                 w);
        const int dmax = (1 << chip.decay_bits) - 1;
        const int64_t vmax = (int64_t(1) << chip.threshold_bits) - 1;
        const int rmax = (1 << chip.refractory_bits) - 1;
        for (size_t i = 0; i < c.profiles.size(); ++i) {
            const NeuronProfile& p = c.profiles[i];
            if (p.du < 0 || p.du > dmax || p.dv < 0 || p.dv > dmax || p.vth < 0 || p.vth > vmax ||
                p.bias_exp < 0 || p.bias_exp > chip.bias_exp_max || p.refractory < 0 ||
                p.refractory > rmax)
                fail(fmt::format("profile {} (du {}, dv {}, vth {}, bias_exp {}, refractory {}) "
                                 "exceeds the chip's fields (decays <= {}, vth <= {}, bias_exp <= "
                                 "{}, refractory <= {})",
                                 i, p.du, p.dv, p.vth, p.bias_exp, p.refractory, dmax, vmax,
                                 chip.bias_exp_max, rmax),
                     w);
        }
        const size_t nn = size_t(c.num_neurons), na = size_t(c.num_axons);
        size_is(c.profile_of.size(), nn, "profile_of", w);
        for (size_t n = 0; n < nn; ++n)
            if (c.profile_of[n] >= c.profiles.size())
                fail(fmt::format("neuron {} uses profile {}, the core has {}", n, c.profile_of[n],
                                 c.profiles.size()),
                     w);
        size_is(c.bias_mant.size(), nn, "bias_mant", w);
        const int64_t bmax = (int64_t(1) << (chip.bias_mant_bits - 1)) - 1;
        for (size_t n = 0; n < nn; ++n)
            if (c.bias_mant[n] > bmax || c.bias_mant[n] < -bmax - 1)
                fail(fmt::format("neuron {} bias mantissa {} does not fit {} signed bits", n,
                                 c.bias_mant[n], chip.bias_mant_bits),
                     w);
        size_is(c.weights.size(), na * nn, "weights", w);
        for (size_t i = 0; i < c.weights.size(); ++i)
            if (c.weights[i] > chip.weight_max() || c.weights[i] < chip.weight_min())
                fail(fmt::format("weight {} (axon {}, neuron {}) is outside [{}, {}] of {}-bit "
                                 "weights",
                                 c.weights[i], i / std::max<size_t>(nn, 1), i % std::max<size_t>(nn, 1),
                                 chip.weight_min(), chip.weight_max(), chip.weight_bits),
                     w);
        if (!c.plastic.empty()) {
            size_is(c.plastic.size(), na * nn, "plastic", w);
            for (uint8_t p : c.plastic)
                if (p > 1) fail("plastic holds a value other than 0 or 1", w);
        }
        const LearningProfile& l = c.learning;
        if (l.enabled || !c.plastic.empty()) {
            if (!chip.learning) fail("core learns but the chip has learning disabled", w);
            if (l.w_min > l.w_max || l.w_min < chip.weight_min() || l.w_max > chip.weight_max())
                fail(fmt::format("learning bounds [{}, {}] are not inside the weight range [{}, {}]",
                                 l.w_min, l.w_max, chip.weight_min(), chip.weight_max()),
                     w);
            if (l.x_decay < 0 || l.x_decay > dmax || l.y_decay < 0 || l.y_decay > dmax)
                fail("trace decays are outside 0.." + std::to_string(dmax), w);
            if (l.shift < 0 || l.shift > 31) fail("learning shift is outside 0..31", w);
            const int tmax = (1 << chip.trace_bits) - 1;
            if (l.x_inc < 0 || l.x_inc > tmax || l.y_inc < 0 || l.y_inc > tmax)
                fail("trace increments are outside 0.." + std::to_string(tmax), w);
        }
        csr_ok(c.route_ptr, nn, c.route_dst.size(), "route_ptr", w, chip.fanout);
        for (size_t k = 0; k < c.route_dst.size(); ++k)
            dest_ok(c.route_dst[k], fmt::format("route_dst[{}]", k), w, true);
        if (!c.neuron_pop.empty() || !c.neuron_index.empty()) {
            size_is(c.neuron_pop.size(), nn, "neuron_pop", w);
            size_is(c.neuron_index.size(), nn, "neuron_index", w);
            for (size_t n = 0; n < nn; ++n) prov_ok(c.neuron_pop[n], c.neuron_index[n], "neuron", n, w);
        }
        if (!c.axon_pop.empty() || !c.axon_index.empty()) {
            size_is(c.axon_pop.size(), na, "axon_pop", w);
            size_is(c.axon_index.size(), na, "axon_index", w);
            for (size_t a = 0; a < na; ++a) prov_ok(c.axon_pop[a], c.axon_index[a], "axon", a, w);
        }
    }

    void prov_ok(int32_t pop, int32_t idx, const char* what, size_t i, const std::string& w) const {
        if (pop < 0 || size_t(pop) >= img.populations.size())
            fail(fmt::format("{} {} comes from population {}, the image has {}", what, i, pop,
                             img.populations.size()),
                 w);
        int64_t size = 1;
        for (int64_t d : img.populations[size_t(pop)].shape) size *= d;
        if (idx < 0 || idx >= size)
            fail(fmt::format("{} {} is neuron {} of population '{}', which has {}", what, i, idx,
                             img.populations[size_t(pop)].name, size),
                 w);
    }

    void run() const {
        const std::string yw = yaml_where("chip");
        try {
            validate_chip(img.chip, yw);
        } catch (const InputError& e) {
            fail(e.problem(), e.where());
        }
        if (int(img.cores.size()) > img.chip.num_cores())
            fail(fmt::format("image uses {} cores, the chip has {}", img.cores.size(),
                             img.chip.num_cores()),
                 yaml_where("cores"));
        if (img.timesteps < 0) fail("timesteps must be >= 0", yaml_where("timesteps"));
        std::set<std::pair<int, int>> seen;
        for (const auto& c : img.cores) {
            if (c.x < 0 || c.x >= img.chip.mesh_w || c.y < 0 || c.y >= img.chip.mesh_h)
                fail(fmt::format("core position ({}, {}) is outside the {}x{} mesh", c.x, c.y,
                                 img.chip.mesh_w, img.chip.mesh_h),
                     core_where(c));
            if (!seen.insert({c.x, c.y}).second)
                fail(fmt::format("two cores at ({}, {})", c.x, c.y), yaml_where("cores"));
        }
        for (const auto& c : img.cores) core(c);

        if (img.num_inputs < 0 || img.num_outputs < 0)
            fail("num_inputs and num_outputs must be >= 0", yaml_where("num_inputs"));
        const std::string hw = host_where("input");
        if (img.num_inputs == 0 && img.input_ptr.empty() && img.input_dst.empty()) {
            // no host input at all
        } else {
            csr_ok(img.input_ptr, size_t(img.num_inputs), img.input_dst.size(), "input_ptr", hw, 0);
            for (size_t k = 0; k < img.input_dst.size(); ++k)
                dest_ok(img.input_dst[k], fmt::format("input_dst[{}]", k), hw, false);
        }
        const std::string ow = host_where("output");
        size_is(img.output_core.size(), size_t(img.num_outputs), "output_core", ow);
        size_is(img.output_neuron.size(), size_t(img.num_outputs), "output_neuron", ow);
        for (int k = 0; k < img.num_outputs; ++k) {
            const int ci = img.output_core[size_t(k)], n = img.output_neuron[size_t(k)];
            if (ci < 0 || size_t(ci) >= img.cores.size() || n < 0 ||
                n >= img.cores[size_t(ci)].num_neurons)
                fail(fmt::format("output {} is neuron {} of core index {}, which does not exist", k,
                                 n, ci),
                     ow);
        }
        for (const auto& p : img.populations) {
            const std::string pw = host_where("population '" + p.name + "'");
            if (p.core_of.empty() && p.neuron_of.empty()) continue;
            int64_t size = 1;
            for (int64_t d : p.shape) size *= d;
            size_is(p.core_of.size(), size_t(size), "core_of", pw);
            size_is(p.neuron_of.size(), size_t(size), "neuron_of", pw);
            for (int64_t i = 0; i < size; ++i) {
                const int ci = p.core_of[size_t(i)], n = p.neuron_of[size_t(i)];
                if (ci < 0 || size_t(ci) >= img.cores.size() || n < 0 ||
                    n >= img.cores[size_t(ci)].num_neurons)
                    fail(fmt::format("neuron {} is placed on neuron {} of core index {}, which "
                                     "does not exist",
                                     i, n, ci),
                         pw);
            }
        }
    }
};

// ----------------------------------------------------------------------------- writing

std::string q(const std::string& s) {
    std::string r = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') r += '\\';
        if (c == '\n') { r += "\\n"; continue; }
        r += c;
    }
    return r + "\"";
}

template <class T>
Tensor t1(const std::vector<T>& v) {
    return Tensor::from<T>(v, {int64_t(v.size())});
}

Tensor dst_tensor(const std::vector<Destination>& d) {
    std::vector<int32_t> v;
    v.reserve(d.size() * 3);
    for (const auto& x : d) {
        v.push_back(x.x);
        v.push_back(x.y);
        v.push_back(x.axon);
    }
    return Tensor::from<int32_t>(v, {int64_t(d.size()), 3});
}

std::string image_yaml(const ChipImage& img, const HexLayout& L) {
    std::string y;
    y += "# spikeforge chip image; format: docs/formats.md \"Chip image\".\n";
    y += "format_version: " + std::to_string(kFormatVersion) + "\n";
    y += "network: " + q(img.network) + "\n";
    y += "seed: " + std::to_string(img.seed) + "\n";
    y += "timesteps: " + std::to_string(img.timesteps) + "\n";
    const EncoderSpec& e = img.encoder;
    y += fmt::format("encoder: {{kind: {}, max_rate: {}, gain: {}, min_intensity: {}, seed: {}}}\n",
                     to_string(e.kind), e.max_rate, e.gain, e.min_intensity, e.seed);
    y += "dataset: " + q(img.dataset) + "\n";
    y += "chip:\n";
    std::istringstream chip(chip_to_yaml(img.chip));
    for (std::string line; std::getline(chip, line);) y += "  " + line + "\n";
    y += "populations:\n";
    for (const auto& p : img.populations) {
        std::string s;
        for (int64_t d : p.shape) s += (s.empty() ? "" : ", ") + std::to_string(d);
        y += fmt::format("  - {{name: {}, kind: {}, shape: [{}], output: {}}}\n", q(p.name),
                         to_string(p.kind), s, p.output ? "true" : "false");
    }
    if (img.populations.empty()) y += "  []\n";
    y += "num_inputs: " + std::to_string(img.num_inputs) + "\n";
    y += "num_outputs: " + std::to_string(img.num_outputs) + "\n";
    // Widths of the .hex fields, for the RTL testbench (derived; ignored on load).
    y += fmt::format("hex: {{word_synapses: {}, weight_bits: {}, words_per_row: {}, word_bits: {}, "
                     "profile_bits: {}, bias_bits: {}, neuron_bits: {}, x_bits: {}, y_bits: {}, "
                     "axon_bits: {}, route_bits: {}, fanout: {}}}\n",
                     L.word_synapses, L.weight_bits, L.words_per_row, L.word_bits, L.profile_bits,
                     L.bias_bits, L.neuron_bits, L.x_bits, L.y_bits, L.axon_bits, L.route_bits,
                     img.chip.fanout);
    y += img.cores.empty() ? "cores: []\n" : "cores:\n";
    for (const auto& c : img.cores) {
        y += fmt::format("  - x: {}\n    y: {}\n    neurons: {}\n    axons: {}\n", c.x, c.y,
                         c.num_neurons, c.num_axons);
        y += c.profiles.empty() ? "    profiles: []\n" : "    profiles:\n";
        for (const auto& p : c.profiles) {
            y += fmt::format("      - {{du: {}, dv: {}, vth: {}, bias_exp: {}, reset: {}, "
                             "refractory: {}, spiking: {}}}\n",
                             p.du, p.dv, p.vth, p.bias_exp, to_string(p.reset), p.refractory,
                             p.spiking ? "true" : "false");
        }
        const LearningProfile& l = c.learning;
        y += fmt::format("    learning: {{enabled: {}, a_plus: {}, a_minus: {}, shift: {}, "
                         "x_decay: {}, y_decay: {}, x_inc: {}, y_inc: {}, w_min: {}, w_max: {}}}\n",
                         l.enabled ? "true" : "false", l.a_plus, l.a_minus, l.shift, l.x_decay,
                         l.y_decay, l.x_inc, l.y_inc, l.w_min, l.w_max);
    }
    return y;
}

std::string summary_text(const ChipImage& img) {
    const ChipConfig& chip = img.chip;
    std::string s;
    s += fmt::format("network      {}\n", img.network);
    s += fmt::format("chip         {} ({}x{} mesh, {} neurons x {} axons per core, {}-bit weights)\n",
                     chip.name, chip.mesh_w, chip.mesh_h, chip.neurons_per_core,
                     chip.axons_per_core, chip.weight_bits);
    s += fmt::format("cores used   {} of {}\n", img.cores.size(), chip.num_cores());
    s += fmt::format("inputs       {}\noutputs      {}\ntimesteps    {}\nseed         {}\n",
                     img.num_inputs, img.num_outputs, img.timesteps, img.seed);
    int64_t neurons = 0, axons = 0, synapses = 0, routes = 0;
    s += "\ncore   neurons        axons          synapses  crossbar fill  routes  learning\n";
    for (const auto& c : img.cores) {
        int64_t nz = 0;
        for (int16_t w : c.weights) nz += w != 0;
        // Fill over the used neurons x used axons, as the compile report counts it.
        const double cap = std::max(1.0, double(c.num_neurons) * c.num_axons);
        s += fmt::format("{:<6} {:>5}/{:<7} {:>6}/{:<7} {:>9}  {:>12.2f}%  {:>6}  {}\n",
                         core_dir_name(c), c.num_neurons, chip.neurons_per_core, c.num_axons,
                         chip.axons_per_core, nz, 100.0 * double(nz) / cap, c.route_dst.size(),
                         c.learning.enabled ? "yes" : "no");
        neurons += c.num_neurons;
        axons += c.num_axons;
        synapses += nz;
        routes += int64_t(c.route_dst.size());
    }
    s += fmt::format("total  {:>5}         {:>6}          {:>9}                 {:>6}\n", neurons,
                     axons, synapses, routes);
    return s;
}

void write_text_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
    out.flush();
    if (!out) throw InputError("cannot write file", p.string(), "check free disk space and permissions");
}



// ----------------------------------------------------------------------------- reading

// A file of the image, read with the bounds of input_file.hpp (regular files only, at most
// max_bytes); a missing or odd file means the image is incomplete.
std::string read_image_file(const fs::path& p, uint64_t max_bytes = kMaxTextFileBytes) {
    try {
        return read_input_text(p.string(), p.filename().string(), max_bytes);
    } catch (const InputError& e) {
        throw InputError(e.problem(), e.where(), "the image is incomplete or damaged; compile it again");
    }
}

struct Reader {
    std::string file;  // image.yaml path

    int line(const YAML::Node& n) const { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }
    [[noreturn]] void fail(const YAML::Node& n, const std::string& what) const {
        throw InputError(what, at_file(file, line(n)), "the image is damaged or was edited by hand; compile it again");
    }
    YAML::Node req(const YAML::Node& m, const char* key) const {
        if (!m.IsMap()) fail(m, std::string("expected a mapping holding '") + key + "'");
        YAML::Node v = m[key];
        if (!v) fail(m, std::string("missing key '") + key + "'");
        return v;
    }
    // Refuses a key given twice anywhere in the document: yaml-cpp would keep the first.
    void unique_keys(const YAML::Node& n) const {
        if (n.IsSequence()) {
            for (const auto& e : n) unique_keys(e);
        } else if (n.IsMap()) {
            std::set<std::string> seen;
            for (const auto& kv : n) {
                if (!kv.first.IsScalar()) fail(kv.first, "a key must be a name, not a list or mapping");
                if (!seen.insert(kv.first.Scalar()).second)
                    throw InputError("key '" + kv.first.Scalar() + "' appears twice",
                                     at_file(file, line(kv.first), kv.first.Scalar()),
                                     "keep one of the two entries (the image was edited by hand; "
                                     "compiling again gives a clean one)");
                unique_keys(kv.second);
            }
        }
    }
    // Rejects keys the writer never emits: a hand edit that would otherwise be ignored.
    void only(const YAML::Node& m, std::initializer_list<const char*> keys) const {
        if (!m.IsMap()) return;  // req() reports a missing or wrong-typed section
        for (const auto& kv : m) {
            const std::string k = kv.first.Scalar();
            bool known = false;
            std::string list;
            for (const char* a : keys) {
                known = known || k == a;
                list += std::string(list.empty() ? "" : ", ") + a;
            }
            if (!known) fail(kv.first, "unknown key '" + k + "' (known here: " + list + ")");
        }
    }
    template <class T>
    T get(const YAML::Node& m, const char* key) const {
        const YAML::Node v = req(m, key);
        try {
            if (!v.IsScalar()) throw YAML::BadConversion(v.Mark());
            return v.as<T>();
        } catch (const YAML::BadConversion&) {
            fail(v, std::string("key '") + key + "' has the wrong type");
        }
    }
};

template <class T>
std::vector<T> vec(const std::map<std::string, Tensor>& z, const std::string& key,
                   const std::vector<int64_t>& shape, const std::string& where) {
    auto it = z.find(key);
    if (it == z.end())
        throw InputError("array '" + key + "' is missing", where, "the image is incomplete; compile it again");
    if (it->second.shape != shape) {
        std::string s;
        for (int64_t d : shape) s += (s.empty() ? "" : ", ") + std::to_string(d);
        throw InputError("array '" + key + "' has shape " + it->second.shape_str() + ", expected [" +
                             s + "]",
                         where, "the image is inconsistent; compile it again");
    }
    return it->second.to<T>(where + " (array '" + key + "')");
}

// A 1-D int32 array of n entries, or of none (an optional table left empty).
std::vector<int32_t> vec_or_empty(const std::map<std::string, Tensor>& z, const std::string& key,
                                  int64_t n, const std::string& where) {
    auto it = z.find(key);
    const bool empty = it != z.end() && it->second.shape == std::vector<int64_t>{0};
    return vec<int32_t>(z, key, {empty ? 0 : n}, where);
}

std::vector<Destination> dsts(const std::map<std::string, Tensor>& z, const std::string& key,
                              const std::string& where) {
    auto it = z.find(key);
    if (it == z.end())
        throw InputError("array '" + key + "' is missing", where, "the image is incomplete; compile it again");
    const Tensor& t = it->second;
    if (t.shape.size() != 2 || t.shape[1] != 3)
        throw InputError("array '" + key + "' has shape " + t.shape_str() + ", expected [k, 3]", where,
                         "the image is inconsistent; compile it again");
    const auto v = t.to<int32_t>(where + " (array '" + key + "')");
    std::vector<Destination> d(size_t(t.shape[0]));
    for (size_t i = 0; i < d.size(); ++i) d[i] = Destination{v[3 * i], v[3 * i + 1], v[3 * i + 2]};
    return d;
}

NeuronKind kind_from(const std::string& s, const Reader& r, const YAML::Node& n) {
    for (NeuronKind k : {NeuronKind::Input, NeuronKind::LIF, NeuronKind::IF, NeuronKind::LI})
        if (s == to_string(k)) return k;
    r.fail(n, "unknown population kind '" + s + "'");
}

}  // namespace

void validate_chip_image(const ChipImage& img, const std::string& where) {
    ImageChecker{img, where, false}.run();
}

void save_chip_image(const ChipImage& img, const std::string& dir) {
    // Check first: a bad image must not leave anything on disk.
    validate_chip_image(img, dir);
    const HexLayout L(img.chip, img.num_outputs);
    TempSiblingDir out(dir, OutputKind::ChipImage);
    const fs::path& tmp = out.path();
    try {
        write_text_file(tmp / "image.yaml", image_yaml(img, L));
        std::map<std::string, Tensor> host;
        host["input_ptr"] = t1(img.input_ptr);
        host["input_dst"] = dst_tensor(img.input_dst);
        host["output_core"] = t1(img.output_core);
        host["output_neuron"] = t1(img.output_neuron);
        for (const auto& p : img.populations) {
            host[p.name + ".core_of"] = t1(p.core_of);
            host[p.name + ".neuron_of"] = t1(p.neuron_of);
        }
        write_npz((tmp / "host.npz").string(), host);
        fs::create_directory(tmp / "cores");
        for (const auto& c : img.cores) {
            const fs::path cd = tmp / "cores" / core_dir_name(c);
            fs::create_directory(cd);
            const int64_t na = c.num_axons, nn = c.num_neurons;
            std::map<std::string, Tensor> z;
            z["weights"] = Tensor::from<int16_t>(c.weights, {na, nn});
            if (!c.plastic.empty()) z["plastic"] = Tensor::from<uint8_t>(c.plastic, {na, nn});
            z["profile_of"] = t1(c.profile_of);
            z["bias_mant"] = t1(c.bias_mant);
            z["route_ptr"] = t1(c.route_ptr);
            z["route_dst"] = dst_tensor(c.route_dst);
            z["neuron_pop"] = t1(c.neuron_pop);
            z["neuron_index"] = t1(c.neuron_index);
            z["axon_pop"] = t1(c.axon_pop);
            z["axon_index"] = t1(c.axon_index);
            write_npz((cd / "core.npz").string(), z);
            write_text_file(cd / "crossbar.hex", crossbar_hex(c, L));
            write_text_file(cd / "neurons.hex", neurons_hex(c, L));
            write_text_file(cd / "routes.hex", routes_hex(c, img.chip, L));
        }
        if (!img.report_json.empty()) write_text_file(tmp / "report.json", img.report_json);
        write_text_file(tmp / "summary.txt", summary_text(img));
        out.commit_replace();
    } catch (const InputError&) {
        throw;
    } catch (const std::exception& e) {
        throw InputError(std::string("cannot write the image: ") + e.what(), dir,
                         "check free disk space and permissions");
    }
}

ChipImage load_chip_image(const std::string& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw InputError("chip image directory not found (tried '" + dir + "')", dir,
                         "give the directory written by `spikeforge compile`");
    const fs::path root_dir(dir);
    const std::string yfile = (root_dir / "image.yaml").string();
    const Reader r{yfile};
    YAML::Node root;
    try {
        root = YAML::Load(read_image_file(yfile));
    } catch (const YAML::ParserException& e) {
        throw InputError("malformed YAML: " + e.msg, at_file(yfile, e.mark.line + 1),
                         "the image is damaged; compile it again");
    }
    ChipImage img;
    try {
        r.unique_keys(root);
        r.only(root, {"format_version", "network", "seed", "timesteps", "encoder", "dataset", "chip",
                      "populations", "num_inputs", "num_outputs", "hex", "cores"});
        const int version = r.get<int>(root, "format_version");
        if (version != kFormatVersion)
            r.fail(root["format_version"],
                   fmt::format("image format version {} is not supported (this build reads {})",
                               version, kFormatVersion));
        img.network = r.get<std::string>(root, "network");
        img.seed = r.get<uint64_t>(root, "seed");
        img.timesteps = r.get<int>(root, "timesteps");
        const YAML::Node enc = r.req(root, "encoder");
        r.only(enc, {"kind", "max_rate", "gain", "min_intensity", "seed"});
        const std::string ek = r.get<std::string>(enc, "kind");
        bool found = false;
        for (EncoderKind k : {EncoderKind::Rate, EncoderKind::Direct, EncoderKind::Latency})
            if (ek == to_string(k)) img.encoder.kind = k, found = true;
        if (!found) r.fail(enc, "unknown encoder kind '" + ek + "'");
        img.encoder.max_rate = r.get<float>(enc, "max_rate");
        img.encoder.gain = r.get<float>(enc, "gain");
        img.encoder.min_intensity = r.get<float>(enc, "min_intensity");
        img.encoder.seed = r.get<uint64_t>(enc, "seed");
        img.dataset = r.get<std::string>(root, "dataset");
        const YAML::Node chip = r.req(root, "chip");
        // Parsed in place, so its errors carry image.yaml's own line numbers.
        img.chip = chip_from_yaml_node(chip, yfile);
        const YAML::Node pops = r.req(root, "populations");
        if (!pops.IsSequence()) r.fail(pops, "populations must be a list");
        for (const auto& pn : pops) {
            PopulationInfo p;
            r.only(pn, {"name", "kind", "shape", "output"});
            p.name = r.get<std::string>(pn, "name");
            p.kind = kind_from(r.get<std::string>(pn, "kind"), r, pn);
            const YAML::Node sh = r.req(pn, "shape");
            if (!sh.IsSequence()) r.fail(sh, "shape must be a list");
            int64_t total = 1;
            for (const auto& d : sh) {
                const int64_t v = d.as<int64_t>();
                // Neuron indices are int32: larger populations cannot be in an image.
                if (v < 1 || v > INT32_MAX || total > INT32_MAX / v)
                    r.fail(d, "shape dimensions must be >= 1 and hold at most 2^31 - 1 neurons");
                total *= v;
                p.shape.push_back(v);
            }
            p.output = r.get<bool>(pn, "output");
            img.populations.push_back(std::move(p));
        }
        img.num_inputs = r.get<int>(root, "num_inputs");
        img.num_outputs = r.get<int>(root, "num_outputs");
        if (img.num_inputs < 0 || img.num_outputs < 0)
            r.fail(root, "num_inputs and num_outputs must be >= 0");
        const YAML::Node cores = r.req(root, "cores");
        if (!cores.IsSequence()) r.fail(cores, "cores must be a list");
        for (const auto& cn : cores) {
            CoreImage c;
            r.only(cn, {"x", "y", "neurons", "axons", "profiles", "learning"});
            c.x = r.get<int>(cn, "x");
            c.y = r.get<int>(cn, "y");
            c.num_neurons = r.get<int>(cn, "neurons");
            c.num_axons = r.get<int>(cn, "axons");
            if (c.num_neurons < 0 || c.num_axons < 0 ||
                c.num_neurons > img.chip.neurons_per_core || c.num_axons > img.chip.axons_per_core)
                r.fail(cn, fmt::format("core ({}, {}) has {} neurons and {} axons; the chip allows "
                                       "{} and {}",
                                       c.x, c.y, c.num_neurons, c.num_axons,
                                       img.chip.neurons_per_core, img.chip.axons_per_core));
            const YAML::Node prof = r.req(cn, "profiles");
            if (!prof.IsSequence()) r.fail(prof, "profiles must be a list");
            for (const auto& pn : prof) {
                NeuronProfile p;
                r.only(pn, {"du", "dv", "vth", "bias_exp", "reset", "refractory", "spiking"});
                p.du = r.get<int>(pn, "du");
                p.dv = r.get<int>(pn, "dv");
                p.vth = r.get<int>(pn, "vth");
                p.bias_exp = r.get<int>(pn, "bias_exp");
                const std::string reset = r.get<std::string>(pn, "reset");
                if (reset == "zero") p.reset = ResetMode::Zero;
                else if (reset == "subtract") p.reset = ResetMode::Subtract;
                else r.fail(pn, "unknown reset '" + reset + "'");
                p.refractory = r.get<int>(pn, "refractory");
                p.spiking = r.get<bool>(pn, "spiking");
                c.profiles.push_back(p);
            }
            const YAML::Node ln = r.req(cn, "learning");
            r.only(ln, {"enabled", "a_plus", "a_minus", "shift", "x_decay", "y_decay", "x_inc", "y_inc",
                        "w_min", "w_max"});
            LearningProfile& l = c.learning;
            l.enabled = r.get<bool>(ln, "enabled");
            l.a_plus = r.get<int>(ln, "a_plus");
            l.a_minus = r.get<int>(ln, "a_minus");
            l.shift = r.get<int>(ln, "shift");
            l.x_decay = r.get<int>(ln, "x_decay");
            l.y_decay = r.get<int>(ln, "y_decay");
            l.x_inc = r.get<int>(ln, "x_inc");
            l.y_inc = r.get<int>(ln, "y_inc");
            l.w_min = r.get<int>(ln, "w_min");
            l.w_max = r.get<int>(ln, "w_max");
            img.cores.push_back(std::move(c));
        }
    } catch (const YAML::Exception& e) {
        throw InputError("malformed image.yaml: " + e.msg, at_file(yfile, e.mark.line + 1),
                         "the image is damaged; compile it again");
    }

    // Arrays. Shapes are checked against image.yaml as they are read.
    const std::string hfile = (root_dir / "host.npz").string();
    const auto host = read_npz(hfile);
    img.input_ptr = vec_or_empty(host, "input_ptr", int64_t(img.num_inputs) + 1, hfile);
    img.input_dst = dsts(host, "input_dst", hfile);
    img.output_core = vec<int32_t>(host, "output_core", {img.num_outputs}, hfile);
    img.output_neuron = vec<int32_t>(host, "output_neuron", {img.num_outputs}, hfile);
    for (auto& p : img.populations) {
        int64_t n = 1;
        for (int64_t d : p.shape) n *= d;
        p.core_of = vec_or_empty(host, p.name + ".core_of", n, hfile);
        p.neuron_of = vec_or_empty(host, p.name + ".neuron_of", n, hfile);
    }
    const HexLayout L(img.chip, img.num_outputs);
    for (auto& c : img.cores) {
        const fs::path cd = root_dir / "cores" / core_dir_name(c);
        const std::string zf = (cd / "core.npz").string();
        const auto z = read_npz(zf);
        const int64_t na = c.num_axons, nn = c.num_neurons;
        c.weights = vec<int16_t>(z, "weights", {na, nn}, zf);
        if (z.count("plastic")) c.plastic = vec<uint8_t>(z, "plastic", {na, nn}, zf);
        c.profile_of = vec<uint8_t>(z, "profile_of", {nn}, zf);
        c.bias_mant = vec<int32_t>(z, "bias_mant", {nn}, zf);
        c.route_ptr = vec<int32_t>(z, "route_ptr", {nn + 1}, zf);
        c.route_dst = dsts(z, "route_dst", zf);
        // Provenance arrays may be empty (images built by hand in tests).
        c.neuron_pop = vec_or_empty(z, "neuron_pop", nn, zf);
        c.neuron_index = vec_or_empty(z, "neuron_index", nn, zf);
        c.axon_pop = vec_or_empty(z, "axon_pop", na, zf);
        c.axon_index = vec_or_empty(z, "axon_index", na, zf);
    }
    const fs::path rj = root_dir / "report.json";
    if (fs::exists(rj, ec)) img.report_json = read_image_file(rj);

    ImageChecker{img, dir, true}.run();

    // The memory files must say exactly what the arrays say.
    for (const auto& c : img.cores) {
        const fs::path cd = root_dir / "cores" / core_dir_name(c);
        const std::pair<const char*, std::string> files[] = {
            {"crossbar.hex", crossbar_hex(c, L)},
            {"neurons.hex", neurons_hex(c, L)},
            {"routes.hex", routes_hex(c, img.chip, L)},
        };
        for (const auto& [name, want] : files) {
            const fs::path f = cd / name;
            if (read_image_file(f) != want)
                throw InputError(std::string(name) + " disagrees with core.npz", f.string(),
                                 "the image was edited by hand or is stale; compile it again");
        }
    }
    return img;
}

}  // namespace sf
