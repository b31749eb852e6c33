// The RTL backend: Verilated sf_chip models bound to the harness's wires (see the header).
// A chip is a preset compiled into this binary or a model library of the cache
// (rtl_cache.hpp) loaded with dlopen(); both are a ChipModel (rtl_model.hpp).
#include "sf/rtl/rtl_backend.hpp"

#include <dlfcn.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "gtkwave/fstapi.h"
#include "sf/core/error.hpp"
#include "sf/harness/chip_ports.hpp"
#include "sf/harness/harness.hpp"
#include "sf/rtl/rtl_cache.hpp"
#include "sf/rtl/rtl_model_impl.hpp"
#include "sf_rtl_models.hpp"
#include "verilated.h"

namespace sf {
namespace {

// One Verilated chip and its wires.
struct World {
    explicit World(const std::string& name)
        : sig(("rtl_" + name).c_str()), model_name("rtl_chip_" + name) {}
    harness::ChipSignals sig;
    std::string model_name;  // the Verilated module's SystemC name, the trace's top scope
    std::unique_ptr<rtl::ChipModel> chip;
    bool ran = false;
};

struct Model {
    const char* chip;
    const char* key;
    rtl::ChipModel* (*make)(const char* name, harness::ChipSignals* sig);
};

const std::vector<Model>& models() {
    static const std::vector<Model> m = {
#define SF_RTL_MODEL(cls, chip_name, key_str)                                          \
    Model{chip_name, key_str, [](const char* name, harness::ChipSignals* sig) -> rtl::ChipModel* { \
              return new rtl::VerilatedChip<cls>(name, *sig);                          \
          }},
        SF_RTL_MODELS(SF_RTL_MODEL)
#undef SF_RTL_MODEL
    };
    return m;
}

// The chips live until the process ends and are never destroyed: Verilator's global
// context goes away during static destruction, and a Verilated model destroyed after it
// waits forever on its mutex. SystemC never lets a design go before the process ends anyway.
// Model libraries stay loaded for the same reason.
std::map<std::string, std::unique_ptr<World>>& worlds() {
    static auto* w = new std::map<std::string, std::unique_ptr<World>>();
    return *w;
}

bool simulation_started() {
    return sc_core::sc_get_status() != sc_core::SC_ELABORATION &&
           sc_core::sc_get_status() != sc_core::SC_BEFORE_END_OF_ELABORATION;
}

// The maker of a cached model library (built now when missing).
rtl::MakeChipFn load_library(const ChipConfig& chip, std::ostream& log) {
    const rtl::CachedModel cm = rtl::cached_model(chip, log);
    void* h = ::dlopen(cm.library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* e = ::dlerror();
        throw InputError(fmt::format("cannot load the RTL model library '{}': {}", cm.library,
                                     e ? e : "unknown error"),
                         "--backend rtl",
                         "delete the directory " + cm.dir + " so that the next run rebuilds it");
    }
    auto fn = reinterpret_cast<rtl::MakeChipFn>(::dlsym(h, SF_RTL_MAKE_CHIP_SYMBOL));
    if (!fn)
        throw InputError("the RTL model library '" + cm.library + "' has no " SF_RTL_MAKE_CHIP_SYMBOL,
                         "--backend rtl", "delete the directory " + cm.dir + " so that the next run rebuilds it");
    return fn;
}

World& world(const ChipConfig& chip, std::ostream& log) {
    rtl::check_chip_buildable(chip);
    const std::string key = rtl_params_key(chip);
    auto& ws = worlds();
    auto it = ws.find(key);
    if (it != ws.end()) return *it->second;
    const Model* found = nullptr;
    for (const Model& m : models())
        if (key == m.key) found = &m;
    if (simulation_started())
        throw InputError(
            fmt::format("the RTL chip for '{}' must be built before the first cycle-level run of "
                        "this process (SystemC elaborates once)",
                        chip.name),
            "--backend rtl", "call sf::prepare_rtl(chip) before any run, or use one process per chip");
    ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    Verilated::traceEverOn(true);
    auto w = std::make_unique<World>(found ? std::string(found->chip) : "cached_" + std::to_string(ws.size()));
    if (found) {
        w->chip.reset(found->make(w->model_name.c_str(), &w->sig));
    } else {
        const rtl::MakeChipFn make = load_library(chip, log);
        w->chip.reset(make(w->model_name.c_str(), &w->sig, rtl::SF_RTL_MODEL_ABI));
        if (!w->chip)
            throw InputError("the cached RTL model of chip '" + chip.name + "' was built for another "
                             "version of spikeforge",
                             "--backend rtl", "delete it under " + rtl::cache_root() + " and run again");
    }
    World& ref = *w;
    ws.emplace(key, std::move(w));
    return ref;
}

// Rewrite an FST file as VCD (Verilator's FST reader, as gtkwave's fst2vcd does).
void fst_to_vcd(const std::string& fst, const std::string& vcd) {
    void* r = fstReaderOpen(fst.c_str());
    if (!r) throw InputError("cannot read back the waveforms '" + fst + "'", "--trace", "");
    FILE* f = std::fopen(vcd.c_str(), "w");
    if (!f) {
        fstReaderClose(r);
        throw InputError("cannot write '" + vcd + "'", "--trace", "check that the directory is writable");
    }
    const bool ok = fstReaderProcessHier(r, f) != 0;
    fstReaderSetFacProcessMaskAll(r);
    const bool ok2 = fstReaderIterBlocks(r, nullptr, nullptr, f) != 0;
    fstReaderClose(r);
    const bool closed = std::fclose(f) == 0;
    if (!ok || !ok2 || !closed)
        throw InputError("cannot convert the waveforms to VCD in '" + vcd + "'", "--trace",
                         "check the free disk space, or trace to a .fst file");
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
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

void prepare_rtl(const ChipConfig& chip, std::ostream* build_log) {
    (void)world(chip, build_log ? *build_log : std::cerr);
}

RunResult run_rtl(const ChipImage& img, const SpikeInput& input, const RunOptions& opt,
                  const RtlOptions& ro, const std::function<void(int64_t, int64_t)>& progress) {
    const bool vcd = ends_with(ro.trace_file, ".vcd");
    if (!ro.trace_file.empty() && !vcd && !ends_with(ro.trace_file, ".fst"))
        throw InputError("the RTL backend writes waveforms as FST or VCD, chosen by the file name, "
                         "and '" + ro.trace_file + "' ends in neither .fst nor .vcd",
                         "--trace", "name the file NAME.fst (compact, for GTKWave) or NAME.vcd");
    if (ro.check_image) harness::check_image_for_chip(img);
    World& w = world(img.chip, ro.build_log ? *ro.build_log : std::cerr);

    bool tracing = false;
    std::string tmp, tmp_fst;
    if (!ro.trace_file.empty()) {
        if (w.ran || simulation_started())
            throw InputError("waveforms can be traced only in the first cycle-level run of a process",
                             "--trace", "trace one image per spikeforge run");
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
        const int W = std::max(1, img.chip.mesh_w);
        // Chosen tiles: the chip's ports and top-level signals (controller, host port links),
        // and everything inside each tile. Verilator names generate scopes "g_row g_row[y]".
        std::vector<std::pair<int, std::string>> scopes;
        if (!ro.trace_tiles.empty()) {
            scopes.push_back({1, w.model_name});
            scopes.push_back({1, w.model_name + ".sf_chip"});
        }
        for (int t : ro.trace_tiles) {
            if (t < 0 || t >= W * std::max(1, img.chip.mesh_h))
                throw InputError(fmt::format("no tile {} on the {}x{} mesh", t, W, img.chip.mesh_h),
                                 "--trace-tiles", "name tiles as y * width + x");
            scopes.push_back({99, fmt::format("{}.sf_chip.g_row.g_row[{}].g_col.g_col[{}]",
                                              w.model_name, t / W, t % W)});
        }
        tmp = ro.trace_file + ".tmp." + std::to_string(::getpid());
        // VCD: Verilator traces FST, rewritten as VCD at the end of the run.
        tmp_fst = vcd ? tmp + ".fst" : tmp;
        w.chip->trace_open(tmp_fst, scopes);
        tracing = true;
    } else if (!simulation_started()) {
        sc_core::sc_start(sc_core::SC_ZERO_TIME);
    }
    w.ran = true;

    harness::HarnessOptions ho;
    ho.backend = "rtl";
    ho.watchdog_cycles = ro.watchdog_cycles;
    ho.check_image = ro.check_image;
    ho.progress = progress;
    ho.processes = tracing ? 1 : opt.threads;  // a worker would write into the same waveform file
    auto finish_trace = [&](bool keep) {
        if (!tracing) return;
        tracing = false;
        w.chip->trace_close();
        std::error_code ec;
        if (keep) {
            try {
                if (vcd) fst_to_vcd(tmp_fst, tmp);
            } catch (...) {
                std::filesystem::remove(tmp_fst, ec);
                std::filesystem::remove(tmp, ec);
                throw;
            }
            if (vcd) std::filesystem::remove(tmp_fst, ec);
            std::filesystem::rename(tmp, ro.trace_file, ec);
            if (ec) {
                std::filesystem::remove(tmp, ec);
                throw InputError("cannot move the waveforms into place at '" + ro.trace_file + "'",
                                 "--trace", "check that the directory is writable");
            }
        } else {
            std::filesystem::remove(tmp_fst, ec);
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
