#include "sf/analysis/backends.hpp"

#include <set>
#include <sstream>

#include "sf/core/error.hpp"
#ifdef SF_HAVE_SYSTEMC
#include "sf/systemc/systemc_backend.hpp"
#endif
#ifdef SF_HAVE_RTL
#include "sf/rtl/rtl_backend.hpp"
#endif

namespace sf {

const std::vector<ChipBackend>& chip_backends() {
    // The cycle-level backends join here when their libraries are in the build (DESIGN.md
    // §8: systemc when SystemC is installed, rtl when Verilator is too); otherwise they are
    // named so that asking for them gives a clear error.
    static const std::vector<ChipBackend> all = {
        {"functional", true, false,
         [](const ChipImage& img, const SpikeInput& in, const RunOptions& o, const ProgressFn& p) {
             return run_functional(img, in, o, p);
         },
         {}},
#ifdef SF_HAVE_SYSTEMC
        {"systemc", true, true,
         [](const ChipImage& img, const SpikeInput& in, const RunOptions& o, const ProgressFn& p) {
             return run_systemc(img, in, o, SystemCOptions{}, p);
         },
         [](const ChipConfig& c) { prepare_systemc(c); }},
#else
        {"systemc", false, true, {}, {}},
#endif
#ifdef SF_HAVE_RTL
        {"rtl", true, true,
         [](const ChipImage& img, const SpikeInput& in, const RunOptions& o, const ProgressFn& p) {
             return run_rtl(img, in, o, RtlOptions{}, p);
         },
         [](const ChipConfig& c) { prepare_rtl(c); }},
#else
        {"rtl", false, true, {}, {}},
#endif
    };
    return all;
}

namespace {
std::string built_list() {
    std::string s = "reference";
    for (const auto& b : chip_backends())
        if (b.built) s += ", " + b.name;
    return s;
}
}  // namespace

const ChipBackend& chip_backend(const std::string& name) {
    for (const auto& b : chip_backends()) {
        if (b.name != name) continue;
        if (!b.built)
            throw InputError("backend " + name + " is not built yet", "--backends",
                             "leave it out of --backends (built here: " + built_list() + ")");
        return b;
    }
    throw InputError("unknown backend '" + name + "'", "--backends",
                     "use reference, functional, systemc or rtl, separated by commas");
}

void prepare_chip_backends(const std::vector<std::string>& names, const ChipConfig& chip) {
    std::vector<const ChipBackend*> cyc;
    for (const auto& n : names)
        if (n != "reference" && chip_backend(n).counts_cycles) cyc.push_back(&chip_backend(n));
    if (cyc.size() < 2) return;
    for (const auto* b : cyc)
        if (b->prepare) b->prepare(chip);
}

std::vector<std::string> parse_backend_list(const std::string& list) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    std::stringstream ss(list);
    std::string name;
    while (std::getline(ss, name, ',')) {
        const auto b = name.find_first_not_of(" \t"), e = name.find_last_not_of(" \t");
        name = b == std::string::npos ? "" : name.substr(b, e - b + 1);
        if (name.empty())
            throw InputError("empty backend name in '" + list + "'", "--backends",
                             "list backends separated by single commas, e.g. reference,functional");
        if (name != "reference") chip_backend(name);
        if (!seen.insert(name).second)
            throw InputError("backend '" + name + "' is listed twice", "--backends",
                             "name each backend once");
        out.push_back(name);
    }
    if (out.empty())
        throw InputError("no backends given", "--backends",
                         "list at least one, e.g. --backends reference,functional");
    return out;
}

}  // namespace sf
