#include "sf/analysis/report.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "report_script.hpp"

namespace sf {
namespace {

using nlohmann::json;

// The value at a dotted path ("backends.functional.accuracy", "layers.0.loss"), or null.
const json& at_path(const json& j, const std::string& path) {
    static const json null_value;
    const json* cur = &j;
    std::stringstream ss(path);
    std::string part;
    while (std::getline(ss, part, '.')) {
        if (cur->is_object()) {
            auto it = cur->find(part);
            if (it == cur->end()) return null_value;
            cur = &*it;
        } else if (cur->is_array()) {
            size_t i = 0;
            try {
                i = std::stoul(part);
            } catch (const std::exception&) {
                return null_value;
            }
            if (i >= cur->size()) return null_value;
            cur = &(*cur)[i];
        } else {
            return null_value;
        }
    }
    return *cur;
}

std::string esc(const std::string& s) {
    std::string o;
    for (char c : s) switch (c) {
            case '&': o += "&amp;"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '"': o += "&quot;"; break;
            default: o += c;
        }
    return o;
}

std::string fig_text(const json& j, const std::string& path, const std::string& kind) {
    const json& v = at_path(j, path);
    if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
    if (!v.is_number()) return "—";
    return format_figure(v.get<double>(), kind);
}

// A table cell holding one figure, tagged with where it came from.
std::string cell(const json& j, const std::string& path, const std::string& kind) {
    return "<td class=\"num\" data-json=\"" + esc(path) + "\" data-kind=\"" + kind + "\">" +
           esc(fig_text(j, path, kind)) + "</td>";
}

std::string str(const json& j, const std::string& path) {
    const json& v = at_path(j, path);
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "";
    return v.dump();
}

std::string embed_json(const json& j) {
    // Inside <script>, "</" would end the element; JSON allows "<\/".
    std::string s = j.dump();
    std::string o;
    o.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
            o += "<\\/";
            ++i;
        } else {
            o += s[i];
        }
    }
    return o;
}

std::string page(const std::string& title, const std::string& body, const json& data,
                 const std::string& kind) {
    std::string h;
    h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + esc(title) +
         "</title>\n<style>\n" + std::string(kReportCss) + "</style></head>\n<body data-report=\"" +
         kind + "\">\n" + body;
    h += "<script type=\"application/json\" id=\"sf-data\">" + embed_json(data) + "</script>\n";
    h += "<script>\n" + std::string(kReportScript) + "</script>\n</body></html>\n";
    return h;
}

// A sweep point's value of one parameter (keys hold dots, so no dotted path).
std::string set_value(const json& point, const std::string& key) {
    if (!point.contains("set") || !point["set"].contains(key)) return "";
    const json& v = point["set"][key];
    return v.is_string() ? v.get<std::string>() : v.dump();
}

// Backends in the order they were asked for (the JSON object keeps its keys sorted).
std::vector<std::string> backend_order(const json& j) {
    std::vector<std::string> names;
    if (j.contains("backends_run"))
        for (const auto& n : j["backends_run"])
            if (j["backends"].contains(n.get<std::string>())) names.push_back(n.get<std::string>());
    for (const auto& [n, v] : j["backends"].items())
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    return names;
}

std::string pad(const std::string& s, size_t w) {
    // Width in code points, so "µJ" and "—" line up.
    size_t cps = 0;
    for (unsigned char c : s) cps += (c & 0xC0) != 0x80;
    return cps >= w ? s : s + std::string(w - cps, ' ');
}

}  // namespace

std::string format_figure(double v, const std::string& kind) {
    if (!std::isfinite(v)) return "—";
    if (kind == "pct") return fmt::format("{:.2f}%", v * 100.0);
    if (kind == "pj") {
        const double a = std::fabs(v);
        if (a < 1e3) return fmt::format("{:.1f} pJ", v);
        if (a < 1e6) return fmt::format("{:.2f} nJ", v / 1e3);
        if (a < 1e9) return fmt::format("{:.2f} µJ", v / 1e6);
        return fmt::format("{:.2f} mJ", v / 1e9);
    }
    if (kind == "int") {
        const long long n = std::llround(v);
        std::string d = std::to_string(n < 0 ? -n : n), o;
        for (size_t i = 0; i < d.size(); ++i) {
            if (i && (d.size() - i) % 3 == 0) o += ',';
            o += d[i];
        }
        return (n < 0 ? "-" : "") + o;
    }
    if (kind == "ratio") return format_figure(v, "num") + "×";
    if (kind == "s") return fmt::format("{:.3f} s", v);
    if (kind == "us") return fmt::format("{:.2f} µs", v);
    // "num": 4 significant digits, as JavaScript's toPrecision(4) without exponents for
    // ordinary magnitudes.
    if (v == 0) return "0";
    const double a = std::fabs(v);
    if (a >= 1e-3 && a < 1e7) {
        const int digits = int(std::floor(std::log10(a))) + 1;
        const int dec = std::max(0, 4 - digits);
        return fmt::format("{:.{}f}", v, dec);
    }
    return fmt::format("{:.3e}", v);
}

// ------------------------------------------------------------------------- compare

std::string compare_table(const json& j) {
    std::ostringstream o;
    if (j.value("kind", "") == "ann")
        o << fmt::format("compare {} (an ANN model: no chip; {} samples of {})\n",
                         str(j, "network"), str(j, "samples"), str(j, "data"));
    else
    o << fmt::format("compare {} on {} ({} samples of {}, {} steps, {} encoding{})\n",
                     str(j, "network"), str(j, "chip"), str(j, "samples"), str(j, "data"),
                     str(j, "steps"), str(j, "encoder"),
                     j.value("learning_on_chip", false) ? ", learning on the chip" : "");
    const bool snn = j.value("kind", "") != "ann";
    if (snn) {
    o << "\n" << pad("backend", 12) << pad("accuracy", 10) << pad("energy/inf", 12)
      << pad("steps", 7) << pad("cycles/inf", 12) << pad("µs/inf", 10) << "inferences/s\n";
    for (const std::string& name : backend_order(j)) {
        const std::string p = "backends." + name + ".";
        o << pad(name, 12) << pad(fig_text(j, p + "accuracy", "pct"), 10)
          << pad(fig_text(j, p + "energy_pj_per_inference", "pj"), 12)
          << pad(fig_text(j, p + "latency_steps", "int"), 7)
          << pad(fig_text(j, p + "cycles_per_inference", "int"), 12)
          << pad(fig_text(j, p + "latency_us", "num"), 10)
          << fig_text(j, p + "inferences_per_s", "num") << "\n";
    }
    const json& ag = j["agreement"];
    o << "\nagreement\n";
    if (ag.value("chip_backends_compared", 0) >= 2) {
        o << "  chip backends identical: " << (ag["chip_backends_identical"].get<bool>() ? "yes" : "NO")
          << "\n";
        for (const auto& d : ag["defects"])
            o << "  DEFECT: " << d.value("backend", "") << " differs from "
              << d.value("against", "") << ": " << d.dump() << "\n";
    } else {
        o << "  chip backends identical: (one chip backend ran)\n";
    }
    if (ag["float_vs_chip_prediction_match"].is_number())
        o << fmt::format("  float and chip predict the same class: {} ({} of {})\n",
                         fig_text(j, "agreement.float_vs_chip_prediction_match", "pct"),
                         str(j, "agreement.float_vs_chip_identical_predictions"), str(j, "samples"));
    }
    if (j.contains("layers") && !j["layers"].empty()) {
        o << "\nper layer (float vs chip)\n  " << pad("layer", 14) << pad("kind", 5)
          << pad("neurons", 9) << pad("float rate", 12) << pad("chip rate", 12)
          << pad("rate err", 10) << pad("corr", 10) << "cause\n";
        for (size_t k = 0; k < j["layers"].size(); ++k) {
            const std::string p = "layers." + std::to_string(k) + ".";
            const json& l = j["layers"][k];
            o << "  " << pad(l.value("name", ""), 14) << pad(l.value("kind", ""), 5)
              << pad(fig_text(j, p + "neurons", "int"), 9)
              << pad(fig_text(j, p + "float_rate", "num"), 12)
              << pad(fig_text(j, p + "chip_rate", "num"), 12)
              << pad(fig_text(j, p + "rate_error", "num"), 10)
              << pad(fig_text(j, p + "spike_count_correlation", "num"), 10)
              << (l["causes"].empty() ? "" : l["causes"][0].value("cause", "")) << "\n";
        }
        if (!j["most_lossy_layers"].empty()) {
            o << "  loses most:";
            for (const auto& l : j["most_lossy_layers"])
                o << fmt::format(" {} ({}: {})", l.value("name", ""), l.value("cause", ""),
                                 l.value("evidence", ""));
            o << "\n";
        }
    }
    if (j.contains("energy")) {
        o << "\nenergy per inference (" << str(j, "energy.backend") << ", table: "
          << str(j, "energy.table_source") << "): " << fig_text(j, "energy.pj_per_inference", "pj")
          << "\n";
        for (const auto& [k, v] : j["energy"]["by_kind_pj_per_inference"].items())
            if (v.get<double>() != 0.0)
                o << "  " << pad(k, 26) << format_figure(v.get<double>(), "pj") << "\n";
    }
    if (j.contains("latency")) {
    o << "\nlatency: " << str(j, "latency.steps") << " steps";
    if (j["latency"]["cycles_per_inference"].is_number())
        o << ", " << fig_text(j, "latency.cycles_per_inference", "int") << " cycles, "
          << fig_text(j, "latency.us_per_inference", "us");
    else
        o << " (" << str(j, "latency.note") << ")";
    o << "\n";
    const json& nb = j["neurobench"];
    o << "\nNeuroBench metrics\n";
    o << "  footprint: chip " << fig_text(j, "neurobench.footprint_bytes.chip", "int")
      << " bytes, float " << fig_text(j, "neurobench.footprint_bytes.float", "int") << " bytes\n";
    o << "  connection sparsity " << fig_text(j, "neurobench.connection_sparsity", "num")
      << ", activation sparsity float " << fig_text(j, "neurobench.activation_sparsity.float", "num")
      << " chip " << fig_text(j, "neurobench.activation_sparsity.chip", "num") << "\n";
    o << "  synaptic ops per inference: effective ACs "
      << fig_text(j, "neurobench.synaptic_operations.effective_acs_per_inference", "int")
      << ", dense " << fig_text(j, "neurobench.synaptic_operations.dense_per_inference", "int")
      << "\n";
    (void)nb;
    }
    if (j.contains("ann")) {
        o << "\nANN counterpart " << str(j, "ann.model") << " (" << str(j, "ann.energy_table.name")
          << ": " << str(j, "ann.energy_table.source") << ")\n";
        o << "  accuracy " << fig_text(j, "ann.accuracy", "pct") << ", MACs/inference "
          << fig_text(j, "ann.macs_per_inference", "int") << " (effective "
          << fig_text(j, "ann.effective_macs_per_inference", "int") << "), memory accesses "
          << fig_text(j, "ann.memory_accesses_per_inference", "int") << "\n";
        o << "  energy/inference " << fig_text(j, "ann.energy_pj_per_inference", "pj")
          << " (MACs " << fig_text(j, "ann.energy_pj_by_kind.mac", "pj") << ", weights "
          << fig_text(j, "ann.energy_pj_by_kind.weight_reads", "pj") << ", activations "
          << fig_text(j, "ann.energy_pj_by_kind.activations", "pj") << ")\n";
        if (j["ann"].contains("energy_ratio_ann_over_snn"))
            o << "  ANN / SNN-on-chip energy "
              << fig_text(j, "ann.energy_ratio_ann_over_snn", "ratio")
              << ", SNN-on-chip minus ANN accuracy "
              << fig_text(j, "ann.accuracy_difference_snn_minus_ann", "pct") << "\n";
        o << "  NeuroBench: footprint " << fig_text(j, "ann.footprint_bytes", "int")
          << " bytes, connection sparsity " << fig_text(j, "ann.connection_sparsity", "num")
          << ", activation sparsity " << fig_text(j, "ann.activation_sparsity", "num") << "\n";
    }
    if (j.contains("diagnostics")) {
        for (const auto& w : j["diagnostics"]["compile_warnings"])
            o << "\ncompile warning: " << w.get<std::string>() << "\n";
        for (const auto& w : j["diagnostics"]["run_warnings"])
            o << "\nrun warning: " << w.get<std::string>() << "\n";
    }
    o << "\ntime " << fig_text(j, "timing.total_s", "s") << ":";
    for (size_t k = 0; k < j["timing"]["stages"].size(); ++k) {
        const std::string p = "timing.stages." + std::to_string(k) + ".";
        o << " " << str(j, p + "stage") << " " << fig_text(j, p + "wall_s", "s") << " ("
          << fig_text(j, p + "share", "pct") << ")";
    }
    o << "\n";
    return o.str();
}

std::string compare_html(const json& j) {
    const bool snn = j.value("kind", "") != "ann";
    std::ostringstream b;
    b << "<header><h1>spikeforge compare: " << esc(str(j, "network")) << " on " << esc(str(j, "chip"))
      << "</h1><p class=\"meta\">" << esc(str(j, "samples")) << " test samples of "
      << esc(str(j, "data")) << ", " << esc(snn ? str(j, "steps") : "—") << " steps each, "
      << esc(str(j, "encoder")) << " encoding, compile seed " << esc(str(j, "seed"))
      << (j.value("learning_on_chip", false) ? ", learning on the chip" : "")
      << ". Energy table: " << esc(str(j, "energy.table_source")) << ".</p></header>\n";

    if (snn) {
    b << "<section id=\"backends\"><h2>Backends</h2><table><thead><tr><th>backend</th>"
         "<th>accuracy</th><th>energy / inference</th><th>latency [steps]</th>"
         "<th>cycles / inference</th><th>latency [µs]</th><th>inferences / s (simulated)</th>"
         "</tr></thead><tbody>\n";
    for (const std::string& name : backend_order(j)) {
        const std::string p = "backends." + name + ".";
        b << "<tr><th>" << esc(name) << "</th>" << cell(j, p + "accuracy", "pct")
          << cell(j, p + "energy_pj_per_inference", "pj") << cell(j, p + "latency_steps", "int")
          << cell(j, p + "cycles_per_inference", "int") << cell(j, p + "latency_us", "num")
          << cell(j, p + "inferences_per_s", "num") << "</tr>\n";
    }
    b << "</tbody></table>\n";
    const json& ag = j["agreement"];
    b << "<table class=\"kv\"><tr><th>chip backends identical</th>"
      << cell(j, "agreement.chip_backends_identical", "bool") << "<td>"
      << esc(str(j, "agreement.chip_backends_compared")) << " chip backends compared</td></tr>"
      << "<tr><th>float and chip predict the same class</th>"
      << cell(j, "agreement.float_vs_chip_prediction_match", "pct") << "<td></td></tr></table>\n";
    for (const auto& d : ag["defects"])
        b << "<p class=\"defect\">DEFECT: " << esc(d.value("backend", "")) << " differs from "
          << esc(d.value("against", "")) << ": <code>" << esc(d.dump()) << "</code></p>\n";
    b << "</section>\n";
    }

    if (!j["layers"].empty()) {
        b << "<section id=\"layers\"><h2>Float versus chip, per layer</h2><div class=\"plot\" "
             "id=\"plot-layers\"></div><table><thead><tr><th>layer</th><th>kind</th>"
             "<th>neurons</th><th>float spikes / inf</th><th>chip spikes / inf</th>"
             "<th>float rate</th><th>chip rate</th><th>rate error</th><th>correlation</th>"
             "<th>likely cause</th></tr></thead><tbody>\n";
        for (size_t k = 0; k < j["layers"].size(); ++k) {
            const std::string p = "layers." + std::to_string(k) + ".";
            const json& l = j["layers"][k];
            std::string cause;
            for (const auto& c : l["causes"])
                cause += "<b>" + esc(c.value("cause", "")) + "</b>: " + esc(c.value("evidence", "")) +
                         "<br>";
            b << "<tr><th>" << esc(l.value("name", "")) << "</th><td>" << esc(l.value("kind", ""))
              << "</td>" << cell(j, p + "neurons", "int")
              << cell(j, p + "float_spikes_per_inference", "num")
              << cell(j, p + "chip_spikes_per_inference", "num") << cell(j, p + "float_rate", "num")
              << cell(j, p + "chip_rate", "num") << cell(j, p + "rate_error", "num")
              << cell(j, p + "spike_count_correlation", "num") << "<td class=\"cause\">" << cause
              << "</td></tr>\n";
        }
        b << "</tbody></table></section>\n";
    }

    if (j.contains("energy")) {
        b << "<section id=\"energy\"><h2>Energy per inference</h2><p>"
          << esc(str(j, "energy.backend")) << " backend, table: "
          << esc(str(j, "energy.table_source")) << ". Total "
          << "<span class=\"fig\" data-json=\"energy.pj_per_inference\" data-kind=\"pj\">"
          << esc(fig_text(j, "energy.pj_per_inference", "pj")) << "</span>.</p>"
          << "<div class=\"plot\" id=\"plot-energy\"></div><table><thead><tr><th>event kind</th>"
             "<th>energy / inference</th></tr></thead><tbody>\n";
        for (const auto& [k, v] : j["energy"]["by_kind_pj_per_inference"].items())
            b << "<tr><th>" << esc(k) << "</th>"
              << cell(j, "energy.by_kind_pj_per_inference." + k, "pj") << "</tr>\n";
        b << "</tbody></table></section>\n";
    }

    if (j.contains("latency")) {
    b << "<section id=\"latency\"><h2>Latency</h2><table class=\"kv\"><tr><th>steps</th>"
      << cell(j, "latency.steps", "int") << "</tr><tr><th>cycles / inference</th>"
      << cell(j, "latency.cycles_per_inference", "int") << "</tr><tr><th>µs / inference</th>"
      << cell(j, "latency.us_per_inference", "num") << "</tr></table>";
    if (j["latency"].contains("note")) b << "<p>" << esc(str(j, "latency.note")) << "</p>";
    b << "</section>\n";
    }

    if (j.contains("ann")) {
        b << "<section id=\"ann\"><h2>ANN counterpart: " << esc(str(j, "ann.model"))
          << "</h2><p>On a conventional accelerator, table " << esc(str(j, "ann.energy_table.name"))
          << " (" << esc(str(j, "ann.energy_table.source"))
          << "). Memory traffic often dominates, and 45 nm is not the chip table's process: "
             "see docs/compare.md.</p><table><thead><tr><th></th><th>accuracy</th>"
             "<th>energy / inference</th><th>operations / inference</th></tr></thead><tbody>"
          << "<tr><th>ANN (" << esc(str(j, "ann.model")) << ")</th>" << cell(j, "ann.accuracy", "pct")
          << cell(j, "ann.energy_pj_per_inference", "pj")
          << cell(j, "ann.macs_per_inference", "int") << "</tr>";
        const std::string cb = str(j, "energy.backend");
        if (!cb.empty())
            b << "<tr><th>SNN on the chip (" << esc(cb) << ")</th>"
              << cell(j, "backends." + cb + ".accuracy", "pct")
              << cell(j, "backends." + cb + ".energy_pj_per_inference", "pj")
              << cell(j, "neurobench.synaptic_operations.effective_acs_per_inference", "int")
              << "</tr>";
        b << "</tbody></table><table class=\"kv\"><tr><th>ANN / SNN energy</th>"
          << cell(j, "ann.energy_ratio_ann_over_snn", "ratio")
          << "</tr><tr><th>SNN minus ANN accuracy</th>"
          << cell(j, "ann.accuracy_difference_snn_minus_ann", "pct")
          << "</tr><tr><th>ANN effective MACs</th>"
          << cell(j, "ann.effective_macs_per_inference", "int")
          << "</tr><tr><th>ANN memory accesses</th>"
          << cell(j, "ann.memory_accesses_per_inference", "int")
          << "</tr><tr><th>ANN energy: MACs</th>" << cell(j, "ann.energy_pj_by_kind.mac", "pj")
          << "</tr><tr><th>ANN energy: weight reads</th>"
          << cell(j, "ann.energy_pj_by_kind.weight_reads", "pj")
          << "</tr><tr><th>ANN energy: activations</th>"
          << cell(j, "ann.energy_pj_by_kind.activations", "pj") << "</tr></table></section>\n";
    }

    b << "<section id=\"neurobench\"><h2>NeuroBench metrics</h2><table class=\"kv\">";
    if (snn) b
      << "<tr><th>footprint, chip [bytes]</th>" << cell(j, "neurobench.footprint_bytes.chip", "int")
      << "</tr><tr><th>footprint, float [bytes]</th>"
      << cell(j, "neurobench.footprint_bytes.float", "int")
      << "</tr><tr><th>connection sparsity</th>" << cell(j, "neurobench.connection_sparsity", "num")
      << "</tr><tr><th>activation sparsity, float</th>"
      << cell(j, "neurobench.activation_sparsity.float", "num")
      << "</tr><tr><th>activation sparsity, chip</th>"
      << cell(j, "neurobench.activation_sparsity.chip", "num")
      << "</tr><tr><th>effective ACs / inference (chip)</th>"
      << cell(j, "neurobench.synaptic_operations.effective_acs_per_inference", "int")
      << "</tr><tr><th>dense synaptic ops / inference</th>"
      << cell(j, "neurobench.synaptic_operations.dense_per_inference", "int") << "</tr>";
    if (j.contains("ann"))
        b << "<tr><th>ANN footprint [bytes]</th>" << cell(j, "ann.footprint_bytes", "int")
          << "</tr><tr><th>ANN effective MACs</th>"
          << cell(j, "ann.effective_macs_per_inference", "int")
          << "</tr><tr><th>ANN dense MACs</th>" << cell(j, "ann.macs_per_inference", "int")
          << "</tr><tr><th>ANN activation sparsity</th>"
          << cell(j, "ann.activation_sparsity", "num") << "</tr>";
    b << "</table></section>\n";

    if (j.contains("trace")) {
        b << "<section id=\"raster\"><h2>Spike raster of sample 0 (label "
          << esc(str(j, "trace.label")) << ")</h2><div class=\"plot\" id=\"plot-raster\"></div>"
          << "</section>\n<section id=\"membranes\"><h2>Membrane traces, sample 0</h2><p>"
          << esc(str(j, "trace.note")) << ".</p><div class=\"plot\" id=\"plot-membranes\"></div>"
          << "</section>\n";
    }
    if (j.contains("mesh")) {
        b << "<section id=\"mesh\"><h2>Placement on the " << esc(str(j, "mesh.width")) << "×"
          << esc(str(j, "mesh.height")) << " mesh, link load</h2><p>Packets per inference over "
          << "each link (XY routing; the host is west of tile (0, 0)). East-west hops "
          << "<span class=\"fig\" data-json=\"mesh.hops_ew\" data-kind=\"int\">"
          << esc(fig_text(j, "mesh.hops_ew", "int")) << "</span>, north-south "
          << "<span class=\"fig\" data-json=\"mesh.hops_ns\" data-kind=\"int\">"
          << esc(fig_text(j, "mesh.hops_ns", "int")) << "</span> in the whole run.</p>"
          << "<div class=\"plot\" id=\"plot-mesh\"></div></section>\n";
    }
    b << "<section id=\"timing\"><h2>Where the time went</h2><table><thead><tr><th>stage</th>"
         "<th>wall</th><th>share</th></tr></thead><tbody>";
    for (size_t k = 0; k < j["timing"]["stages"].size(); ++k) {
        const std::string p = "timing.stages." + std::to_string(k) + ".";
        b << "<tr><th>" << esc(str(j, p + "stage")) << "</th>" << cell(j, p + "wall_s", "s")
          << cell(j, p + "share", "pct") << "</tr>";
    }
    b << "</tbody></table></section>\n";
    return page("spikeforge compare: " + str(j, "network") + " on " + str(j, "chip"), b.str(), j,
                "compare");
}

// --------------------------------------------------------------------------- sweep

std::string sweep_table(const json& j) {
    std::ostringstream o;
    o << fmt::format("sweep {} on {} ({} samples of {}, {} points)\n\n", str(j, "network"),
                     str(j, "chip"), str(j, "samples"), str(j, "data"), j["points"].size());
    std::vector<std::string> keys;
    for (const auto& p : j["parameters"]) keys.push_back(p.get<std::string>());
    for (const auto& k : keys) o << pad(k, std::max<size_t>(12, k.size() + 2));
    o << pad("accuracy", 10) << pad("float", 10) << pad("energy/inf", 12) << pad("memory", 12)
      << "pareto\n";
    for (size_t i = 0; i < j["points"].size(); ++i) {
        const std::string p = "points." + std::to_string(i) + ".";
        for (const auto& k : keys)
            o << pad(set_value(j["points"][i], k), std::max<size_t>(12, k.size() + 2));
        o << pad(fig_text(j, p + "accuracy", "pct"), 10)
          << pad(fig_text(j, p + "float_accuracy", "pct"), 10)
          << pad(fig_text(j, p + "energy_pj_per_inference", "pj"), 12)
          << pad(fig_text(j, p + "memory_bytes", "int"), 12)
          << (j["points"][i].value("pareto", false) ? "*" : "") << "\n";
    }
    o << "\n* on the Pareto front (no other point is at least as accurate for less energy)\n";
    return o.str();
}

std::string sweep_csv(const json& j) {
    std::ostringstream o;
    std::vector<std::string> keys;
    for (const auto& p : j["parameters"]) keys.push_back(p.get<std::string>());
    for (const auto& k : keys) o << k << ",";
    o << "accuracy,float_accuracy,prediction_match,energy_pj_per_inference,memory_bytes,"
         "syn_ops_per_inference,spikes_per_inference,state_wraps,pareto\n";
    auto num = [](const json& v) -> std::string {
        if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
        if (v.is_number()) return fmt::format("{:.10g}", v.get<double>());
        if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
        if (v.is_string()) return v.get<std::string>();
        return "";
    };
    for (const auto& p : j["points"]) {
        for (const auto& k : keys) o << num(p["set"].value(k, json())) << ",";
        for (const char* f : {"accuracy", "float_accuracy", "prediction_match",
                              "energy_pj_per_inference", "memory_bytes", "syn_ops_per_inference",
                              "spikes_per_inference", "state_wraps"})
            o << num(p.value(f, json())) << ",";
        o << (p.value("pareto", false) ? "1" : "0") << "\n";
    }
    return o.str();
}

std::string sweep_html(const json& j) {
    std::ostringstream b;
    b << "<header><h1>spikeforge sweep: " << esc(str(j, "network")) << " on "
      << esc(str(j, "chip")) << "</h1><p class=\"meta\">" << esc(str(j, "samples"))
      << " test samples of " << esc(str(j, "data")) << "; backend " << esc(str(j, "backend"))
      << "; energy table: " << esc(str(j, "energy_source")) << ".</p></header>\n";
    b << "<section id=\"pareto\"><h2>Accuracy against energy</h2><p>Filled points lie on the "
         "Pareto front: no other setting is at least as accurate for less energy.</p>"
         "<div class=\"plot\" id=\"plot-pareto\"></div></section>\n";
    b << "<section id=\"by-parameter\"><h2>Accuracy and energy against each parameter</h2>"
         "<div class=\"plot\" id=\"plot-params\"></div></section>\n";
    b << "<section id=\"points\"><h2>Points</h2><table><thead><tr>";
    std::vector<std::string> keys;
    for (const auto& p : j["parameters"]) keys.push_back(p.get<std::string>());
    for (const auto& k : keys) b << "<th>" << esc(k) << "</th>";
    b << "<th>accuracy</th><th>float accuracy</th><th>energy / inference</th>"
         "<th>chip memory [bytes]</th><th>Pareto</th></tr></thead><tbody>\n";
    for (size_t i = 0; i < j["points"].size(); ++i) {
        const std::string p = "points." + std::to_string(i) + ".";
        b << "<tr>";
        for (const auto& k : keys) b << "<td>" << esc(set_value(j["points"][i], k)) << "</td>";
        b << cell(j, p + "accuracy", "pct") << cell(j, p + "float_accuracy", "pct")
          << cell(j, p + "energy_pj_per_inference", "pj") << cell(j, p + "memory_bytes", "int")
          << cell(j, p + "pareto", "bool") << "</tr>\n";
    }
    b << "</tbody></table></section>\n";
    return page("spikeforge sweep: " + str(j, "network"), b.str(), j, "sweep");
}

}  // namespace sf
