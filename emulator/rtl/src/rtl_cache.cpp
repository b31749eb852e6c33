// The RTL model cache (rtl_cache.hpp): Verilate sf_chip for one chip's parameters, compile
// it with its own copy of the Verilator runtime into a shared library, and keep it under a
// hash of its inputs.
#include "sf/rtl/rtl_cache.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "sf/core/error.hpp"
#include "sf/rtl/rtl_backend.hpp"
#include "sf/rtl/rtl_model.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace sf::rtl {
namespace {

constexpr const char* kWhere = "--backend rtl";
constexpr int kDecayBits = 12;  // rtl/sf_pkg.sv DECAY_W

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

// The source tree holding rtl/ and the wrapper headers.
std::string source_dir() {
    std::string d = env("SPIKEFORGE_SOURCE_DIR");
    return d.empty() ? std::string(SF_SOURCE_ROOT) : d;
}

// A program on PATH (or the path itself when it holds a slash), "" when absent.
std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
    std::stringstream path(env("PATH"));
    std::string dir;
    while (std::getline(path, dir, ':')) {
        if (dir.empty()) continue;
        const std::string p = dir + "/" + name;
        if (::access(p.c_str(), X_OK) == 0 && !fs::is_directory(p)) return p;
    }
    return "";
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f)
        throw InputError("cannot read '" + path + "', needed to build the RTL model", kWhere,
                         "set SPIKEFORGE_SOURCE_DIR to a spikeforge source tree (it holds rtl/)");
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

// Start argv with stdout and stderr appended to `log`; returns the pid.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        throw InputError("cannot start '" + argv[0] + "' to build the RTL model", kWhere,
                         "check that the program is installed and executable");
    return pid;
}

int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Output of a short command (a version string), "" when it fails.
std::string capture(const std::vector<std::string>& argv, const std::string& scratch) {
    std::error_code ec;
    fs::remove(scratch, ec);
    if (wait_for(spawn(argv, scratch)) != 0) return "";
    std::string s = read_file(scratch);
    fs::remove(scratch, ec);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

// Run the commands, at most `jobs` at once; the first failure's index, or -1.
int run_all(const std::vector<std::vector<std::string>>& cmds, const std::string& log, int jobs) {
    std::map<pid_t, int> running;
    size_t next = 0;
    int failed = -1;
    while (next < cmds.size() || !running.empty()) {
        while (failed < 0 && next < cmds.size() && int(running.size()) < jobs) {
            running[spawn(cmds[next], log)] = int(next);
            ++next;
        }
        if (running.empty()) break;
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        auto it = running.find(pid);
        if (it == running.end()) continue;
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0) && failed < 0) failed = it->second;
        running.erase(it);
    }
    return failed;
}

// FNV-1a, 64 bits, from two starting points: a 128-bit name for the cache entry.
std::string hash_hex(const std::string& s) {
    uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
    for (unsigned char c : s) {
        a = (a ^ c) * 0x100000001b3ULL;
        b = (b ^ c) * 0x100000001b3ULL;
        b ^= b >> 29;
    }
    return fmt::format("{:016x}{:016x}", a, b);
}

// The last lines of a build log that say what went wrong.
std::string log_excerpt(const std::string& log) {
    std::ifstream f(log);
    std::vector<std::string> errors, tail;
    std::string line;
    while (std::getline(f, line)) {
        if (line.find("%Error") != std::string::npos || line.find("error:") != std::string::npos)
            errors.push_back(line);
        tail.push_back(line);
        if (tail.size() > 5) tail.erase(tail.begin());
    }
    const auto& pick = errors.empty() ? tail : errors;
    std::string out;
    for (size_t i = 0; i < pick.size() && i < 5; ++i) out += "\n  " + pick[i];
    return out;
}

std::vector<std::string> split_words(const std::string& s) {
    std::vector<std::string> v;
    std::istringstream in(s);
    std::string w;
    while (in >> w) v.push_back(w);
    return v;
}

// Verilator's list of files to compile (Vsf_chip_classes.mk): variable -> names.
std::map<std::string, std::vector<std::string>> class_lists(const std::string& mk) {
    std::map<std::string, std::vector<std::string>> out;
    std::ifstream f(mk);
    std::string line, var;
    while (std::getline(f, line)) {
        const auto pos = line.find("+=");
        if (pos != std::string::npos) {
            var = split_words(line.substr(0, pos)).at(0);
            out[var];
            continue;
        }
        if (var.empty()) continue;
        const auto words = split_words(line);
        if (words.empty()) {
            var.clear();
            continue;
        }
        for (const auto& w : words)
            if (w != "\\") out[var].push_back(w);
    }
    return out;
}

struct Inputs {
    std::string src;                      // source tree
    std::vector<std::string> rtl_files;   // waivers, build options, sources in order
    std::vector<std::string> gparams;     // -GName=Value
    std::string params_key;
};

Inputs inputs_of(const ChipConfig& chip) {
    Inputs in;
    in.src = source_dir();
    const std::string rtl = in.src + "/rtl";
    in.rtl_files = {rtl + "/sf_lint.vlt", rtl + "/sf_build.vlt"};
    std::istringstream list(read_file(rtl + "/sources.f"));
    std::string line;
    while (std::getline(list, line)) {
        line.erase(0, line.find_first_not_of(" \t"));
        if (line.empty() || line.rfind("//", 0) == 0) continue;  // a comment (Verilator's -F syntax)
        in.rtl_files.push_back(rtl + "/" + split_words(line).at(0));
    }
    in.params_key = rtl_params_key(chip);
    std::istringstream kv(in.params_key);
    while (std::getline(kv, line, ',')) in.gparams.push_back("-G" + line);
    return in;
}

const char* kWrapper = R"(// Generated by spikeforge (emulator/rtl/src/rtl_cache.cpp): the entry point of this model.
#include "Vsf_chip.h"
#include "sf/rtl/rtl_model_impl.hpp"

extern "C" sf::rtl::ChipModel* sf_rtl_make_chip(const char* name, sf::harness::ChipSignals* sig,
                                                int abi) {
    if (abi != sf::rtl::SF_RTL_MODEL_ABI) return nullptr;
    Verilated::traceEverOn(true);
    return new sf::rtl::VerilatedChip<Vsf_chip>(name, *sig);
}
)";

}  // namespace

std::string cache_root() {
    std::string r = env("SPIKEFORGE_RTL_CACHE");
    if (!r.empty()) return r;
    std::string xdg = env("XDG_CACHE_HOME");
    if (xdg.empty()) {
        const std::string home = env("HOME");
        if (home.empty())
            throw InputError("no directory for the RTL model cache (HOME is not set)", kWhere,
                             "set SPIKEFORGE_RTL_CACHE to a writable directory");
        xdg = home + "/.cache";
    }
    return xdg + "/spikeforge/rtl";
}

void check_chip_buildable(const ChipConfig& chip) {
    if (chip.decay_bits > kDecayBits)
        throw InputError(
            fmt::format("the RTL cannot build chip '{}': neuron.decay_bits = {}, but the RTL's "
                        "neuron and trace units multiply by (4096 - d) with {}-bit decays "
                        "(rtl/sf_pkg.sv DECAY_W, chip-spec section 2)",
                        chip.name, chip.decay_bits, kDecayBits),
            kWhere, "use neuron.decay_bits <= 12, or run this chip on --backend functional or systemc");
    // The configuration port writes a crossbar word in 64-bit chunks numbered by the 8-bit
    // cfg_chunk_i (chip_ports.hpp), so a word holds at most 256 * 64 bits.
    if (int64_t(chip.word_synapses) * chip.weight_bits > 256 * 64)
        throw InputError(
            fmt::format("the RTL cannot build chip '{}': a crossbar word of core.word_synapses = {} "
                        "weights of {} bits is {} bits, and the configuration port reaches {} bits "
                        "of a word (256 chunks of 64, microarchitecture.md section 6)",
                        chip.name, chip.word_synapses, chip.weight_bits,
                        int64_t(chip.word_synapses) * chip.weight_bits, 256 * 64),
            kWhere, "use fewer synapses per word, or run this chip on --backend functional or systemc");
}

CachedModel cached_model(const ChipConfig& chip, std::ostream& log) {
    check_chip_buildable(chip);
    const Inputs in = inputs_of(chip);

    // Everything that goes into the library, hashed into the entry's name.
    const std::string verilator = find_program(env("SPIKEFORGE_VERILATOR").empty()
                                                   ? "verilator"
                                                   : env("SPIKEFORGE_VERILATOR"));
    const std::string cxx_name = env("CXX").empty() ? "c++" : env("CXX");
    const std::string root = cache_root();
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec || !fs::is_directory(root))
        throw InputError("cannot create the RTL model cache '" + root + "'", kWhere,
                         "set SPIKEFORGE_RTL_CACHE to a writable directory");
    const std::string scratch = root + "/.version." + std::to_string(::getpid());

    std::string desc = fmt::format("abi {}\nparams {}\n", SF_RTL_MODEL_ABI, in.params_key);
    for (const auto& f : in.rtl_files) desc += "file " + fs::path(f).filename().string() + "\n" + read_file(f);
    const std::string inc_rtl = in.src + "/emulator/rtl/include";
    const std::string inc_harness = in.src + "/emulator/harness/include";
    for (const std::string& f : std::vector<std::string>{inc_rtl + "/sf/rtl/rtl_model.hpp", inc_rtl + "/sf/rtl/rtl_model_impl.hpp",
                                inc_harness + "/sf/harness/chip_ports.hpp"})
        desc += "file " + f.substr(in.src.size()) + "\n" + read_file(f);
    desc += kWrapper;

    // The Verilator version is part of the hash, so nothing can be found without Verilator.
    if (verilator.empty())
        throw InputError(
            fmt::format("chip '{}' has no prebuilt RTL model ({}), and Verilator, needed to build "
                        "one, is not installed (no 'verilator' on PATH)",
                        chip.name, in.params_key),
            kWhere,
            "install it (apt-get install verilator) or set SPIKEFORGE_VERILATOR to its path; or "
            "run a network compiled for a prebuilt chip (sf1-small, sf1)");
    const std::string vversion = capture({verilator, "--version"}, scratch);
    const std::string vroot = capture({verilator, "--getenv", "VERILATOR_ROOT"}, scratch);
    if (vversion.empty() || vroot.empty() || !fs::exists(vroot + "/include/verilated.h"))
        throw InputError("'" + verilator + "' does not work (no version, or no include/verilated.h under "
                         "its VERILATOR_ROOT '" + vroot + "')",
                         kWhere, "reinstall Verilator (apt-get install verilator)");
    const std::string cxx = find_program(cxx_name);
    if (cxx.empty())
        throw InputError(fmt::format("no C++ compiler '{}' on PATH, needed to build the RTL model of "
                                     "chip '{}'",
                                     cxx_name, chip.name),
                         kWhere, "install g++ (apt-get install g++) or set CXX to a compiler");
    const std::string cversion = capture({cxx, "--version"}, scratch);
    std::string systemc_inc;
    for (const std::string& d : split_words(SF_SYSTEMC_INCLUDE_DIRS " /usr/include /usr/local/include"))
        if (systemc_inc.empty() && fs::exists(d + "/systemc.h")) systemc_inc = d;
    if (systemc_inc.empty())
        throw InputError("the SystemC headers (systemc.h) are not installed; the RTL model of chip '" +
                             chip.name + "' is compiled against them",
                         kWhere, "install them (apt-get install libsystemc-dev)");

    const std::vector<std::string> common = {
        "-std=c++17", "-fPIC", "-faligned-new", "-w", "-DVM_COVERAGE=0", "-DVM_SC=1",
        "-DVM_TRACE=1", "-DVM_TRACE_FST=1", "-DVM_TRACE_VCD=0", "-I" + vroot + "/include",
        "-I" + vroot + "/include/vltstd", "-I" + inc_rtl, "-I" + inc_harness, "-I" + systemc_inc};
    const std::vector<std::string> vargs = {"--sc", "--trace-fst", "--assert", "--x-assign", "fast",
                                            "--x-initial", "0", "-O3", "-Wno-fatal"};
    // Extra compiler flags for the model's fast-path code (e.g. -O3 -march=native), after the
    // defaults so that they win; part of the hash.
    const std::vector<std::string> extra = split_words(env("SPIKEFORGE_RTL_CXXFLAGS"));
    desc += "verilator " + vversion + "\ncompiler " + cversion + "\n";
    for (const auto& a : common) desc += a + " ";
    for (const auto& a : vargs) desc += a + " ";
    for (const auto& a : extra) desc += "extra " + a + " ";
    const std::string hash = hash_hex(desc);

    CachedModel m;
    m.dir = root + "/" + hash;
    m.library = m.dir + "/libsf_chip.so";
    if (fs::exists(m.dir + "/params.txt") && fs::exists(m.library)) return m;

    // Build in a private directory, then publish it with one rename.
    const std::string tmp = m.dir + ".tmp." + std::to_string(::getpid());
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp + "/obj", ec);
    if (ec)
        throw InputError("cannot create '" + tmp + "' for the RTL model build", kWhere,
                         "set SPIKEFORGE_RTL_CACHE to a writable directory");
    const std::string blog = tmp + "/build.log";
    int jobs = std::max(1u, std::thread::hardware_concurrency());
    if (!env("SPIKEFORGE_RTL_JOBS").empty()) jobs = std::max(1, std::atoi(env("SPIKEFORGE_RTL_JOBS").c_str()));
    log << fmt::format(
               "spikeforge: chip '{}' has no prebuilt RTL model: building one with Verilator ({} "
               "compile jobs; about 1-2 minutes on 2 CPUs for a small chip, longer for big meshes). "
               "It is cached in {} and later runs load it at once.\n",
               chip.name, jobs, m.dir)
        << std::flush;
    const auto t0 = std::chrono::steady_clock::now();
    auto fail = [&](const std::string& what) {
        const std::string kept = root + "/failed-" + hash + ".log";
        fs::copy_file(blog, kept, fs::copy_options::overwrite_existing, ec);
        const std::string excerpt = log_excerpt(blog);
        fs::remove_all(tmp, ec);
        throw InputError(fmt::format("{} for chip '{}' ({}):{}", what, chip.name, in.params_key, excerpt),
                         kWhere, "the full log is in " + kept);
    };

    std::vector<std::string> vcmd = {verilator};
    vcmd.insert(vcmd.end(), vargs.begin(), vargs.end());
    for (const std::string& a : std::vector<std::string>{"-Mdir", tmp + "/obj", "--prefix", "Vsf_chip", "--top-module", "sf_chip"})
        vcmd.push_back(a);
    vcmd.insert(vcmd.end(), in.rtl_files.begin(), in.rtl_files.end());
    vcmd.insert(vcmd.end(), in.gparams.begin(), in.gparams.end());
    if (wait_for(spawn(vcmd, blog)) != 0) fail("Verilator could not build the RTL");

    {
        std::ofstream w(tmp + "/obj/sf_chip_entry.cpp");
        w << kWrapper;
    }
    auto lists = class_lists(tmp + "/obj/Vsf_chip_classes.mk");
    std::vector<std::pair<std::string, std::string>> units;  // source, -O level
    for (const char* v : {"VM_CLASSES_FAST", "VM_SUPPORT_FAST"})
        for (const auto& c : lists[v]) units.push_back({tmp + "/obj/" + c + ".cpp", "-O2"});
    for (const char* v : {"VM_CLASSES_SLOW", "VM_SUPPORT_SLOW"})
        for (const auto& c : lists[v]) units.push_back({tmp + "/obj/" + c + ".cpp", "-O1"});
    auto globals = lists["VM_GLOBAL_FAST"];
    for (const auto& c : lists["VM_GLOBAL_SLOW"]) globals.push_back(c);
    if (std::find(globals.begin(), globals.end(), "verilated_fst_sc") == globals.end())
        globals.push_back("verilated_fst_sc");
    for (const auto& c : globals) units.push_back({vroot + "/include/" + c + ".cpp", "-O2"});
    units.push_back({tmp + "/obj/sf_chip_entry.cpp", "-O2"});
    if (units.size() < 4) fail("Verilator listed no files to compile");

    std::vector<std::vector<std::string>> cc;
    std::vector<std::string> objs;
    for (size_t i = 0; i < units.size(); ++i) {
        std::vector<std::string> c = {cxx};
        c.insert(c.end(), common.begin(), common.end());
        const std::string obj = tmp + "/obj/u" + std::to_string(i) + ".o";
        c.push_back(units[i].second);
        if (units[i].second == "-O2") c.insert(c.end(), extra.begin(), extra.end());
        for (const std::string& a : std::vector<std::string>{"-I" + tmp + "/obj", "-c", units[i].first, "-o", obj})
            c.push_back(a);
        cc.push_back(c);
        objs.push_back(obj);
    }
    const int bad = run_all(cc, blog, jobs);
    if (bad >= 0) fail("the C++ compiler could not compile " + fs::path(units[size_t(bad)].first).filename().string());
    std::vector<std::string> link = {cxx, "-shared", "-Wl,-Bsymbolic", "-o", tmp + "/libsf_chip.so"};
    link.insert(link.end(), objs.begin(), objs.end());
    for (const std::string& a : std::vector<std::string>{"-lsystemc", "-lz", "-pthread", "-latomic"}) link.push_back(a);
    if (wait_for(spawn(link, blog)) != 0) fail("the model library could not be linked");
    for (const auto& o : objs) fs::remove(o, ec);

    m.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    {
        std::ofstream p(tmp + "/params.txt");
        p << "chip " << chip.name << "\n" << in.params_key << "\nverilator " << vversion << "\nbuilt in "
          << fmt::format("{:.1f}", m.build_seconds) << " s\n";
    }
    fs::rename(tmp, m.dir, ec);
    if (ec) {
        // Another process published the same entry first: use it, drop ours.
        fs::remove_all(tmp, ec);
        if (!fs::exists(m.library))
            throw InputError("cannot move the RTL model into the cache at '" + m.dir + "'", kWhere,
                             "check that " + root + " is writable");
    }
    m.built_now = true;
    log << fmt::format("spikeforge: RTL model built in {:.0f} s\n", m.build_seconds) << std::flush;
    return m;
}

}  // namespace sf::rtl
