// Chip YAML reading, checking and writing (see chip_config.hpp, docs/formats.md "Chip YAML").
// One table lists every field once (section, key, type, range, member), so the reader,
// the range checks and the writer cannot drift apart.
#include "sf/core/chip_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <vector>

#include "sf/core/error.hpp"
#include "sf/core/input_file.hpp"

namespace fs = std::filesystem;

namespace sf {

namespace {

enum class FieldType { Int, Double, Bool, String };

struct Field {
    const char* section;  // "" for top level
    const char* key;
    FieldType type;
    double lo, hi;        // inclusive range for numbers; lo_open: lo excluded
    bool lo_open;
    int ChipConfig::*i = nullptr;
    double ChipConfig::*d = nullptr;
    bool ChipConfig::*b = nullptr;
    std::string ChipConfig::*s = nullptr;
    double EnergyTable::*e = nullptr;       // energy section
    std::string EnergyTable::*es = nullptr;
    const char* hint = "";  // why the range is what it is
};

constexpr double kInf = 1e300;

Field fi(const char* sec, const char* key, int ChipConfig::*m, double lo, double hi,
         const char* hint) {
    Field f{sec, key, FieldType::Int, lo, hi, false};
    f.i = m;
    f.hint = hint;
    return f;
}
Field fd(const char* sec, const char* key, double ChipConfig::*m, double lo, double hi,
         bool lo_open, const char* hint) {
    Field f{sec, key, FieldType::Double, lo, hi, lo_open};
    f.d = m;
    f.hint = hint;
    return f;
}
Field fe(const char* key, double EnergyTable::*m) {
    Field f{"energy", key, FieldType::Double, 0, kInf, false};
    f.e = m;
    f.hint = "energies are >= 0 pJ (static power >= 0 mW)";
    return f;
}

const std::vector<Field>& fields() {
    static const std::vector<Field> table = [] {
        std::vector<Field> t;
        Field name{"", "name", FieldType::String, 0, 0, false};
        name.s = &ChipConfig::name;
        name.hint = "";
        t.push_back(name);
        t.push_back(fi("mesh", "width", &ChipConfig::mesh_w, 1, 64, "the mesh is 1..64 tiles wide"));
        t.push_back(fi("mesh", "height", &ChipConfig::mesh_h, 1, 64, "the mesh is 1..64 tiles high"));
        t.push_back(fi("core", "neurons", &ChipConfig::neurons_per_core, 1, 65536,
                       "a core holds 1..65536 neurons"));
        t.push_back(fi("core", "axons", &ChipConfig::axons_per_core, 1, 65536,
                       "a core holds 1..65536 axons"));
        t.push_back(fi("core", "weight_bits", &ChipConfig::weight_bits, 2, 16,
                       "weights are signed 2..16-bit (stored as int16)"));
        t.push_back(fi("core", "word_synapses", &ChipConfig::word_synapses, 1, 65536,
                       "a crossbar word holds at least one synapse"));
        t.push_back(fi("core", "profiles", &ChipConfig::profiles_per_core, 1, 256,
                       "profile indices are 8-bit, so 1..256 profiles"));
        t.push_back(fi("core", "fanout", &ChipConfig::fanout, 1, 64,
                       "a neuron has 1..64 routing destinations"));
        Field learning{"core", "learning", FieldType::Bool, 0, 0, false};
        learning.b = &ChipConfig::learning;
        learning.hint = "";
        t.push_back(learning);
        t.push_back(fi("neuron", "state_bits", &ChipConfig::state_bits, 8, 31,
                       "u and v are 8..31-bit (u wraps into (-2^(bits-1), 2^(bits-1)], held in 32 bits)"));
        t.push_back(fi("neuron", "decay_bits", &ChipConfig::decay_bits, 1, 16,
                       "decays are 1..16-bit fractions"));
        t.push_back(fi("neuron", "threshold_bits", &ChipConfig::threshold_bits, 1, 24,
                       "the threshold mantissa is 1..24-bit (it is shifted left by 6)"));
        t.push_back(fi("neuron", "bias_mant_bits", &ChipConfig::bias_mant_bits, 2, 31,
                       "the signed bias mantissa is 2..31-bit"));
        t.push_back(fi("neuron", "bias_exp_max", &ChipConfig::bias_exp_max, 0, 31,
                       "the bias exponent is 0..31"));
        t.push_back(fi("neuron", "refractory_bits", &ChipConfig::refractory_bits, 1, 16,
                       "the refractory counter is 1..16-bit"));
        t.push_back(fi("neuron", "trace_bits", &ChipConfig::trace_bits, 1, 16,
                       "STDP traces are 1..16-bit"));
        t.push_back(fi("noc", "router_fifo_depth", &ChipConfig::router_fifo_depth, 1, 1 << 20,
                       "a FIFO holds at least one flit"));
        t.push_back(fi("noc", "host_fifo_depth", &ChipConfig::host_fifo_depth, 1, 1 << 20,
                       "a FIFO holds at least one flit"));
        t.push_back(fd("timing", "clock_mhz", &ChipConfig::clock_mhz, 0, 1e6, true,
                       "the clock must be > 0 MHz"));
        Field src{"energy", "source", FieldType::String, 0, 0, false};
        src.es = &EnergyTable::source;
        src.hint = "";
        t.push_back(src);
        t.push_back(fe("syn_op_pj", &EnergyTable::syn_op_pj));
        t.push_back(fe("row_read_pj", &EnergyTable::row_read_pj));
        t.push_back(fe("neuron_update_active_pj", &EnergyTable::neuron_update_active_pj));
        t.push_back(fe("neuron_update_idle_pj", &EnergyTable::neuron_update_idle_pj));
        t.push_back(fe("spike_pj", &EnergyTable::spike_pj));
        t.push_back(fe("hop_ew_pj", &EnergyTable::hop_ew_pj));
        t.push_back(fe("hop_ns_pj", &EnergyTable::hop_ns_pj));
        t.push_back(fe("learn_update_pj", &EnergyTable::learn_update_pj));
        t.push_back(fe("static_mw", &EnergyTable::static_mw));
        return t;
    }();
    return table;
}

const char* kSections[] = {"mesh", "core", "neuron", "noc", "timing", "energy"};

std::string dotted(const Field& f) {
    return std::string(f.section).empty() ? f.key : std::string(f.section) + "." + f.key;
}

double number_of(const ChipConfig& c, const Field& f) {
    if (f.i) return c.*(f.i);
    if (f.d) return c.*(f.d);
    if (f.e) return c.energy.*(f.e);
    return 0;
}

std::string fmt_range(const Field& f) {
    auto num = [](double v) { return v >= kInf ? std::string("inf") : fmt::format("{}", v); };
    return std::string(f.lo_open ? "(" : "[") + num(f.lo) + ", " + num(f.hi) + "]";
}

// Range checks; where_of(key) gives the location for an error on that key.
void check_ranges(const ChipConfig& c, const std::function<std::string(const Field&)>& where_of) {
    for (const Field& f : fields()) {
        if (f.type != FieldType::Int && f.type != FieldType::Double) continue;
        const double v = number_of(c, f);
        const bool ok = std::isfinite(v) && (f.lo_open ? v > f.lo : v >= f.lo) && v <= f.hi;
        if (!ok) {
            throw InputError(fmt::format("chip setting {} = {} is out of range {}", dotted(f), v,
                                         fmt_range(f)),
                             where_of(f), std::string(f.hint));
        }
    }
    // Cross-field limits: the neuron update needs the threshold and bias to fit u/v.
    if (c.threshold_bits + 6 > c.state_bits) {
        const Field* f = &fields()[0];
        for (const Field& g : fields())
            if (std::string(g.key) == "threshold_bits") f = &g;
        throw InputError(fmt::format("neuron.threshold_bits = {} does not fit state_bits = {} "
                                     "(the threshold is vth << 6)",
                                     c.threshold_bits, c.state_bits),
                         where_of(*f), "use threshold_bits <= state_bits - 6");
    }
}

std::string yaml_quote(const std::string& s) {
    std::string r = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') r += '\\';
        if (ch == '\n') { r += "\\n"; continue; }
        r += ch;
    }
    return r + "\"";
}

const char* yaml_type_name(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map: return "a mapping";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Null: return "empty";
        default: return "a scalar";
    }
}

void set_field(ChipConfig& c, const Field& f, const YAML::Node& v, const std::string& file) {
    const std::string where = at_file(file, v.Mark().line + 1, dotted(f));
    if (!v.IsScalar()) {
        throw InputError(fmt::format("chip setting {} must be a value, got {}", dotted(f),
                                     yaml_type_name(v)),
                         where, "write `" + std::string(f.key) + ": <value>`");
    }
    try {
        switch (f.type) {
            case FieldType::Int: {
                const long long x = v.as<long long>();
                if (x < -(1LL << 31) || x > (1LL << 31) - 1) throw YAML::BadConversion(v.Mark());
                c.*(f.i) = int(x);
                break;
            }
            case FieldType::Double: {
                const double x = v.as<double>();
                if (f.d) c.*(f.d) = x;
                else c.energy.*(f.e) = x;
                break;
            }
            case FieldType::Bool: c.*(f.b) = v.as<bool>(); break;
            case FieldType::String:
                if (f.s) c.*(f.s) = v.as<std::string>();
                else c.energy.*(f.es) = v.as<std::string>();
                break;
        }
    } catch (const YAML::BadConversion&) {
        const char* want = f.type == FieldType::Int      ? "an integer"
                           : f.type == FieldType::Double ? "a number"
                           : f.type == FieldType::Bool   ? "true or false"
                                                         : "a string";
        throw InputError(
            fmt::format("chip setting {} must be {}, got '{}'", dotted(f), want, v.Scalar()), where,
            std::string("write ") + want +
                (f.type == FieldType::Int || f.type == FieldType::Double ? " in " + fmt_range(f)
                                                                         : std::string()));
    }
}

std::vector<std::string> list_presets(const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

ChipConfig parse_chip_node(const YAML::Node& root, const std::string& file) {
    if (!root.IsMap()) {
        throw InputError("a chip file must be a YAML mapping (name:, mesh:, core:, ...)",
                         at_file(file, root.Mark().line >= 0 ? root.Mark().line + 1 : 1),
                         "see docs/formats.md, \"Chip YAML\"");
    }
    ChipConfig c;
    // Key lines, so range errors point at the offending line.
    std::map<std::string, int> line_of;
    const std::set<std::string> sections(std::begin(kSections), std::end(kSections));
    auto find_field = [](const std::string& sec, const std::string& key) -> const Field* {
        for (const Field& f : fields())
            if (sec == f.section && key == f.key) return &f;
        return nullptr;
    };
    auto keys_of = [](const std::string& sec) {
        std::string s;
        for (const Field& f : fields())
            if (sec == f.section) s += (s.empty() ? "" : ", ") + std::string(f.key);
        return s;
    };
    // yaml-cpp keeps the first of two equal keys silently; the user meant one of them.
    std::set<std::string> seen;
    auto once = [&](const std::string& dotted_key, const YAML::Node& k) {
        if (!seen.insert(dotted_key).second)
            throw InputError("key '" + dotted_key + "' appears twice in the chip file",
                             at_file(file, k.Mark().line + 1, dotted_key),
                             "keep one of the two entries");
    };
    for (const auto& kv : root) {
        if (!kv.first.IsScalar())
            throw InputError("a chip file's keys must be names", at_file(file, kv.first.Mark().line + 1),
                             "known keys: name, mesh, core, neuron, noc, timing, energy");
        const std::string key = kv.first.Scalar();
        const int line = kv.first.Mark().line + 1;
        once(key, kv.first);
        if (sections.count(key)) {
            if (!kv.second.IsMap()) {
                throw InputError("chip section '" + key + "' must be a mapping",
                                 at_file(file, line, key), "keys: " + keys_of(key));
            }
            for (const auto& kv2 : kv.second) {
                if (!kv2.first.IsScalar())
                    throw InputError("chip section '" + key + "' has a key that is not a name",
                                     at_file(file, kv2.first.Mark().line + 1, key),
                                     "keys: " + keys_of(key));
                const std::string k2 = kv2.first.Scalar();
                once(key + "." + k2, kv2.first);
                const Field* f = find_field(key, k2);
                if (!f) {
                    throw InputError("unknown key '" + k2 + "' in chip section '" + key + "'",
                                     at_file(file, kv2.first.Mark().line + 1, key + "." + k2),
                                     "known keys: " + keys_of(key));
                }
                set_field(c, *f, kv2.second, file);
                line_of[dotted(*f)] = kv2.first.Mark().line + 1;
            }
        } else if (const Field* f = find_field("", key)) {
            set_field(c, *f, kv.second, file);
            line_of[key] = line;
        } else {
            throw InputError("unknown top-level key '" + key + "' in chip file",
                             at_file(file, line, key),
                             "known keys: name, mesh, core, neuron, noc, timing, energy");
        }
    }
    check_ranges(c, [&](const Field& f) {
        auto it = line_of.find(dotted(f));
        return at_file(file, it == line_of.end() ? 0 : it->second, dotted(f));
    });
    // Energy numbers given without a source no longer are the defaults' published figures.
    bool energy_numbers = false;
    for (const auto& [key, at] : line_of)
        energy_numbers |= key.rfind("energy.", 0) == 0 && key != "energy.source";
    if (energy_numbers && !line_of.count("energy.source"))
        c.energy.source = "not given (energy numbers set in " + file + ")";
    c.source = file;
    return c;
}

}  // namespace

void validate_chip(const ChipConfig& c, const std::string& where) {
    check_ranges(c, [&](const Field& f) {
        return where.empty() ? dotted(f) : where + " (" + dotted(f) + ")";
    });
}

ChipConfig chip_from_yaml(const std::string& yaml_text, const std::string& source) {
    // Whatever yaml-cpp raises on odd input (keys that are lists, ...) becomes one InputError.
    try {
        YAML::Node root;
        try {
            root = YAML::Load(yaml_text);
        } catch (const YAML::ParserException& e) {
            throw InputError("malformed YAML: " + e.msg, at_file(source, e.mark.line + 1),
                             "fix the YAML syntax at that line");
        }
        return parse_chip_node(root, source);
    } catch (const YAML::Exception& e) {
        throw InputError("malformed chip YAML: " + e.msg, at_file(source, e.mark.line + 1),
                         "see docs/formats.md, \"Chip YAML\"");
    }
}

ChipConfig chip_from_yaml_node(const YAML::Node& node, const std::string& file) {
    try {
        return parse_chip_node(node, file);
    } catch (const YAML::Exception& e) {
        throw InputError("malformed chip YAML: " + e.msg, at_file(file, e.mark.line + 1),
                         "see docs/formats.md, \"Chip YAML\"");
    }
}

std::string chip_preset_dir() {
    if (const char* env = std::getenv("SPIKEFORGE_CHIPS"); env && *env) return env;
    std::error_code ec;
    if (fs::is_directory(SF_SOURCE_CHIPS_DIR, ec)) return SF_SOURCE_CHIPS_DIR;
    return SF_INSTALL_CHIPS_DIR;
}

ChipConfig load_chip(const std::string& preset_or_path) {
    if (preset_or_path.empty()) {
        throw InputError("empty chip name", "", "give a preset name such as sf1, or a YAML path");
    }
    std::error_code ec;
    const bool looks_like_path = preset_or_path.find('/') != std::string::npos ||
                                 fs::path(preset_or_path).has_extension() ||
                                 fs::is_regular_file(preset_or_path, ec);
    std::string file;
    if (looks_like_path) {
        file = preset_or_path;
        // "sf1.yaml" with no such file here: take it from the presets.
        const fs::path in_presets = fs::path(chip_preset_dir()) / preset_or_path;
        if (!fs::is_regular_file(file, ec) && preset_or_path.find('/') == std::string::npos &&
            fs::is_regular_file(in_presets, ec))
            file = in_presets.string();
        if (!fs::is_regular_file(file, ec)) {
            throw InputError("chip file not found (tried '" + file + "')", file,
                             "check the path, or give a preset name");
        }
    } else {
        const std::string dir = chip_preset_dir();
        file = (fs::path(dir) / (preset_or_path + ".yaml")).string();
        if (!fs::is_regular_file(file, ec)) {
            std::string avail;
            for (const auto& n : list_presets(dir)) avail += (avail.empty() ? "" : ", ") + n;
            throw InputError("unknown chip preset '" + preset_or_path + "' (looked in " + dir + ")",
                             "",
                             "available presets: " + (avail.empty() ? std::string("(none found; "
                                                                      "set SPIKEFORGE_CHIPS)")
                                                                    : avail) +
                                 "; or give a path to a chip YAML file");
        }
    }
    return chip_from_yaml(read_input_text(file, "chip file"), file);
}

std::string chip_to_yaml(const ChipConfig& c) {
    std::string out;
    std::string section = "-";
    for (const Field& f : fields()) {
        const std::string sec = f.section;
        const bool nested = !sec.empty();
        if (sec != section) {
            if (nested) out += sec + ":\n";
            section = sec;
        }
        std::string value;
        switch (f.type) {
            case FieldType::Int: value = std::to_string(c.*(f.i)); break;
            case FieldType::Double: value = fmt::format("{}", number_of(c, f)); break;
            case FieldType::Bool: value = c.*(f.b) ? "true" : "false"; break;
            case FieldType::String: value = yaml_quote(f.s ? c.*(f.s) : c.energy.*(f.es)); break;
        }
        out += (nested ? "  " : "") + std::string(f.key) + ": " + value + "\n";
    }
    return out;
}

}  // namespace sf
