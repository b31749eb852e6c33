// The RTL backend: Verilated sf_chip models bound to the harness's wires (see the header).
#include "sf/rtl/rtl_backend.hpp"

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "sf/core/error.hpp"
#include "sf/harness/chip_ports.hpp"
#include "sf/harness/harness.hpp"
#include "sf_rtl_models.hpp"
#include "verilated.h"
#include "verilated_fst_sc.h"

namespace sf {
namespace {

// One Verilated chip and its wires. The model type differs per preset, so the world keeps
// it as an sc_module and a function that adds it to a trace file.
struct World {
    explicit World(const std::string& name)
        : sig(("rtl_" + name).c_str()), model_name("rtl_chip_" + name) {}
    harness::ChipSignals sig;
    std::string model_name;  // the Verilated module's SystemC name, the trace's top scope
    std::unique_ptr<sc_core::sc_module> chip;
    std::function<void(VerilatedFstSc*)> trace;
    bool ran = false;
};

struct Model {
    const char* chip;
    const char* key;
    std::function<void(World&)> make;
};

const std::vector<Model>& models() {
    static const std::vector<Model> m = {
#define SF_RTL_MODEL(cls, chip_name, key_str)                                   \
    Model{chip_name, key_str, [](World& w) {                                    \
              auto c = std::make_unique<cls>(w.model_name.c_str());                 \
              harness::bind(*c, w.sig);                                         \
              cls* raw = c.get();                                               \
              w.trace = [raw](VerilatedFstSc* tf) { raw->trace(tf, 99); };      \
              w.chip = std::move(c);                                            \
          }},
        SF_RTL_MODELS(SF_RTL_MODEL)
#undef SF_RTL_MODEL
    };
    return m;
}

// The chips live until the process ends and are never destroyed: Verilator's global
// context goes away during static destruction, and a Verilated model destroyed after it
// waits forever on its mutex. SystemC never lets a design go before the process ends anyway.
std::map<std::string, std::unique_ptr<World>>& worlds() {
    static auto* w = new std::map<std::string, std::unique_ptr<World>>();
    return *w;
}

bool simulation_started() {
    return sc_core::sc_get_status() != sc_core::SC_ELABORATION &&
           sc_core::sc_get_status() != sc_core::SC_BEFORE_END_OF_ELABORATION;
}

World& world(const ChipConfig& chip) {
    const std::string key = rtl_params_key(chip);
    auto& ws = worlds();
    auto it = ws.find(key);
    if (it != ws.end()) return *it->second;
    const Model* found = nullptr;
    for (const Model& m : models())
        if (key == m.key) found = &m;
    if (!found) {
        std::string names;
        for (const Model& m : models()) names += (names.empty() ? "" : ", ") + std::string(m.chip);
        throw InputError(
            fmt::format("no RTL model for chip '{}' in this build: Verilator fixes the chip's "
                        "sizes when it compiles the RTL, and this build holds {} ({})",
                        chip.name, names.empty() ? "none" : names, key),
            "--backend rtl",
            "run a network compiled for one of those chips, or rebuild with "
            "-DSF_RTL_PRESETS=\"sf1-small;sf1;<your chip YAML path>\" (docs/rtl.md)");
    }
    if (simulation_started())
        throw InputError(
            fmt::format("the RTL chip for '{}' must be built before the first cycle-level run of "
                        "this process (SystemC elaborates once)",
                        chip.name),
            "--backend rtl", "call sf::prepare_rtl(chip) before any run, or use one process per chip");
    ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    Verilated::traceEverOn(true);
    auto w = std::make_unique<World>(std::string(found->chip));
    found->make(*w);
    World& ref = *w;
    ws.emplace(key, std::move(w));
    return ref;
}

}  // namespace

std::string rtl_params_key(const ChipConfig& c) {
    return fmt::format(
        "MeshW={},MeshH={},NumNeurons={},NumAxons={},WordSyn={},WeightBits={},NumProfiles={},"
        "Fanout={},StateBits={},ThresholdBits={},BiasMantBits={},BiasExpMax={},RefrBits={},"
        "TraceBits={},Learning={},RouterDepth={},HostDepth={}",
        c.mesh_w, c.mesh_h, c.neurons_per_core, c.axons_per_core, c.word_synapses, c.weight_bits,
        c.profiles_per_core, c.fanout, c.state_bits, c.threshold_bits, c.bias_mant_bits,
        c.bias_exp_max, c.refractory_bits, c.trace_bits, c.learning ? 1 : 0, c.router_fifo_depth,
        c.host_fifo_depth);
}

std::vector<std::string> rtl_prebuilt_chips() {
    std::vector<std::string> v;
    for (const Model& m : models()) v.push_back(m.chip);
    return v;
}

void prepare_rtl(const ChipConfig& chip) {
    (void)world(chip);
}

RunResult run_rtl(const ChipImage& img, const SpikeInput& input, const RunOptions& opt,
                  const RtlOptions& ro, const std::function<void(int64_t, int64_t)>& progress) {
    if (ro.check_image) harness::check_image_for_chip(img);
    World& w = world(img.chip);

    std::unique_ptr<VerilatedFstSc> tf;
    std::string tmp;
    if (!ro.trace_file.empty()) {
        if (w.ran || simulation_started())
            throw InputError("waveforms can be traced only in the first cycle-level run of a process",
                             "--trace", "trace one image per spikeforge run");
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
        tf = std::make_unique<VerilatedFstSc>();
        w.trace(tf.get());
        const int W = std::max(1, img.chip.mesh_w);
        // Chosen tiles: the chip's ports and top-level signals (controller, host port links),
        // and everything inside each tile. Verilator names generate scopes "g_row g_row[y]".
        if (!ro.trace_tiles.empty()) {
            tf->dumpvars(1, w.model_name);
            tf->dumpvars(1, w.model_name + ".sf_chip");
        }
        for (int t : ro.trace_tiles) {
            if (t < 0 || t >= W * std::max(1, img.chip.mesh_h))
                throw InputError(fmt::format("no tile {} on the {}x{} mesh", t, W, img.chip.mesh_h),
                                 "--trace-tiles", "name tiles as y * width + x");
            tf->dumpvars(99, fmt::format("{}.sf_chip.g_row.g_row[{}].g_col.g_col[{}]", w.model_name,
                                         t / W, t % W));
        }
        tmp = ro.trace_file + ".tmp." + std::to_string(::getpid());
        tf->open(tmp.c_str());
    } else if (!simulation_started()) {
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
    }
    w.ran = true;

    harness::HarnessOptions ho;
    ho.backend = "rtl";
    ho.watchdog_cycles = ro.watchdog_cycles;
    ho.check_image = ro.check_image;
    ho.progress = progress;
    auto finish_trace = [&](bool keep) {
        if (!tf) return;
        tf->close();
        tf.reset();
        std::error_code ec;
        if (keep) {
            std::filesystem::rename(tmp, ro.trace_file, ec);
            if (ec) {
                std::filesystem::remove(tmp, ec);
                throw InputError("cannot move the waveforms into place at '" + ro.trace_file + "'",
                                 "--trace", "check that the directory is writable");
            }
        } else {
            std::filesystem::remove(tmp, ec);
        }
    };
    try {
        RunResult r = harness::run_cycle_level(w.sig, img, input, opt, ho);
        finish_trace(true);
        return r;
    } catch (...) {
        finish_trace(false);
        throw;
    }
}

}  // namespace sf
