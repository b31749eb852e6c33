// The analysis page (see analysis_report.hpp).
#include "sf/analysis/analysis_report.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

#include "report_script.hpp"
#include "sf/analysis/report.hpp"

namespace sf {
namespace {

using nlohmann::json;

std::string escape(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
            case '&':
                o += "&amp;";
                break;
            case '<':
                o += "&lt;";
                break;
            case '>':
                o += "&gt;";
                break;
            case '"':
                o += "&quot;";
                break;
            default:
                o += c;
        }
    }
    return o;
}

double number_or_nan(const json& v) {
    return v.is_number() ? v.get<double>() : std::nan("");
}

// A figure tagged with its JSON path and format.
std::string fig(const json& v, const std::string& path, const std::string& kind) {
    return "<span data-json=\"" + path + "\" data-kind=\"" + kind + "\">" +
           escape(format_figure(number_or_nan(v), kind)) + "</span>";
}

std::string td(const std::string& inner) {
    return "<td class=\"num\">" + inner + "</td>";
}

// Output neurons x classes: mean count, shaded by its fraction of the row's largest.
std::string tuning_heatmap(const json& outputs, int classes) {
    const int cell = 26, left = 70, top = 30;
    const int rows = int(outputs.size());
    const int w = left + classes * cell + 10, h = top + rows * cell + 10;
    std::ostringstream s;
    s << fmt::format("<svg width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">", w, h, w, h);
    for (int c = 0; c < classes; ++c)
        s << fmt::format(
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            left + c * cell + cell / 2, top - 8, c);
    for (int r = 0; r < rows; ++r) {
        const json& t = outputs[size_t(r)]["tuning"];
        double top_value = 0;
        for (const auto& v : t)
            top_value = std::max(top_value, number_or_nan(v) > 0 ? v.get<double>() : 0.0);
        s << fmt::format("<text x=\"4\" y=\"{}\" font-size=\"11\">out {}</text>",
                         top + r * cell + cell / 2 + 4, r);
        for (int c = 0; c < classes && c < int(t.size()); ++c) {
            const double v = number_or_nan(t[size_t(c)]);
            const double f = std::isfinite(v) && top_value > 0 ? v / top_value : 0.0;
            const int shade = int(std::lround(255.0 * (1.0 - f)));
            s << fmt::format(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"rgb({},{},255)\" "
                "stroke=\"#ddd\"><title>output {}, class {}: mean count {}</title></rect>",
                left + c * cell, top + r * cell, cell, cell, shade, shade, r, c,
                format_figure(v, "num"));
        }
    }
    s << "</svg>";
    return s.str();
}

// A line plot of y against x with axes and the ranges printed.
std::string line_plot(const std::vector<double>& x, const std::vector<double>& y,
                      const std::string& xlabel, const std::string& ylabel) {
    const int w = 360, h = 220, l = 50, r = 10, t = 10, b = 40;
    double x0 = x.front(), x1 = x.back(), y1 = 0;
    for (double v : y) y1 = std::max(y1, v);
    if (x1 <= x0) x1 = x0 + 1;
    if (y1 <= 0) y1 = 1;
    auto px = [&](double v) { return l + (v - x0) / (x1 - x0) * (w - l - r); };
    auto py = [&](double v) { return h - b - v / y1 * (h - t - b); };
    std::ostringstream s;
    s << fmt::format("<svg width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\">", w, h, w, h);
    s << fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>", l, h - b,
                     w - r, h - b);
    s << fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>", l, t, l,
                     h - b);
    std::string pts;
    for (size_t i = 0; i < x.size(); ++i) pts += fmt::format("{:.1f},{:.1f} ", px(x[i]), py(y[i]));
    s << "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"" << pts << "\"/>";
    for (size_t i = 0; i < x.size(); ++i)
        s << fmt::format(
            "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"#1f77b4\"><title>{} {}: "
            "{}</title></circle>",
            px(x[i]), py(y[i]), escape(xlabel), format_figure(x[i], "num"),
            format_figure(y[i], "num"));
    s << fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>", l, h - b + 14,
                     format_figure(x0, "num"));
    s << fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
                     w - r, h - b + 14, format_figure(x1, "num"));
    s << fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
                     (l + w - r) / 2, h - 6, escape(xlabel));
    s << fmt::format("<text x=\"4\" y=\"{}\" font-size=\"11\">{}</text>", t + 10,
                     format_figure(y1, "num"));
    s << fmt::format("<text x=\"4\" y=\"{}\" font-size=\"11\">{}</text>", h - b, "0");
    s << fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" transform=\"rotate(-90 {} {})\" "
        "text-anchor=\"middle\">{}</text>",
        14, (t + h - b) / 2, 14, (t + h - b) / 2, escape(ylabel));
    s << "</svg>";
    return s.str();
}

}  // namespace

std::string analysis_html(const json& a) {
    std::ostringstream p;
    const std::string title = "Analysis of " + a.value("network", std::string("a run"));
    int plots = 0;
    p << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << escape(title)
      << "</title><style>" << kReportCss << "</style></head><body>\n";
    p << "<h1>" << escape(title) << "</h1>\n<p class=\"meta\">backend "
      << escape(a.value("backend", std::string("reference")));
    if (a.contains("data")) p << ", data " << escape(a["data"].get<std::string>());
    if (a.contains("recorded")) p << ", recorded run " << escape(a["recorded"].get<std::string>());
    p << "</p>\n<table><tbody>";
    p << "<tr><th>samples</th>" << td(fig(a["samples"], "samples", "int")) << "</tr>";
    p << "<tr><th>steps per sample</th>" << td(fig(a["steps"], "steps", "int")) << "</tr>";
    p << "<tr><th>accuracy</th>" << td(fig(a["accuracy"], "accuracy", "pct")) << "</tr>";
    p << "<tr><th>I(class; prediction) [bits]</th>"
      << td(fig(a["mi_prediction_bits"], "mi_prediction_bits", "num")) << "</tr>";
    p << "<tr><th>entropy of the summed output count [bits]</th>"
      << td(fig(a["count_entropy_bits"], "count_entropy_bits", "num")) << "</tr>";
    p << "</tbody></table>\n";

    const json& outs = a["outputs"];
    p << "<h2>Output neurons: tuning and information</h2>\n";
    p << "<div class=\"plot\" id=\"tuning\">" << tuning_heatmap(outs, a["num_classes"].get<int>())
      << "<div class=\"caption\">mean "
      << (a.value("readout", std::string()) == "membrane" ? "membrane readout" : "spike count")
      << " of each output neuron (row) per class (column), shaded by its fraction of the "
         "row's largest</div></div>\n";
    ++plots;
    p << "<table><thead><tr><th>output</th><th>preferred class</th><th>rate per step</th>"
         "<th>I(class; count) [bits]</th><th>plug-in</th></tr></thead><tbody>";
    for (size_t n = 0; n < outs.size(); ++n) {
        const std::string b = "outputs." + std::to_string(n) + ".";
        p << "<tr><td>" << n << "</td>"
          << td(fig(outs[n]["preferred_class"], b + "preferred_class", "int"))
          << td(fig(outs[n]["rate_per_step"], b + "rate_per_step", "num"))
          << td(fig(outs[n]["mi_bits"], b + "mi_bits", "num"))
          << td(fig(outs[n]["mi_plugin_bits"], b + "mi_plugin_bits", "num")) << "</tr>";
    }
    p << "</tbody></table>\n";

    if (a.contains("populations") && !a["populations"].empty()) {
        p << "<h2>Populations</h2>\n<table><thead><tr><th>population</th><th>neurons</th>"
             "<th>rate per step</th><th>silent</th><th>ISI CV (mean)</th><th>mean ISI [steps]</th>"
             "<th>count entropy [bits]</th><th>I(class; count) [bits]</th><th>plug-in</th>"
             "<th>mean neuron I [bits]</th><th>best neuron I [bits]</th></tr></thead><tbody>";
        const json& pops = a["populations"];
        for (size_t k = 0; k < pops.size(); ++k) {
            const json& q = pops[k];
            const std::string b = "populations." + std::to_string(k) + ".";
            p << "<tr><td>" << escape(q["name"].get<std::string>()) << "</td>"
              << td(fig(q["size"], b + "size", "int"))
              << td(fig(q["rate_per_step"], b + "rate_per_step", "num"))
              << td(fig(q["silent_fraction"], b + "silent_fraction", "pct"))
              << td(fig(q["isi_cv_mean"], b + "isi_cv_mean", "num"))
              << td(fig(q["isi_mean_steps"], b + "isi_mean_steps", "num"))
              << td(fig(q["count_entropy_bits"], b + "count_entropy_bits", "num"))
              << td(fig(q["mi_bits"], b + "mi_bits", "num"))
              << td(fig(q["mi_plugin_bits"], b + "mi_plugin_bits", "num"))
              << td(fig(q["neuron_mi_bits_mean"], b + "neuron_mi_bits_mean", "num"))
              << td(fig(q["neuron_mi_bits_max"], b + "neuron_mi_bits_max", "num")) << "</tr>";
        }
        p << "</tbody></table>\n";
        for (size_t k = 0; k < pops.size(); ++k) {
            const json& q = pops[k];
            if (!q.contains("fi_curve")) continue;
            const json& f = q["fi_curve"];
            const auto x = f["mean_u"].get<std::vector<double>>();
            const auto y = f["rate_per_step"].get<std::vector<double>>();
            if (x.empty()) continue;
            p << "<div class=\"plot\" id=\"fi-" << k << "\">"
              << line_plot(x, y, "mean input current u", "spikes per step")
              << "<div class=\"caption\">f-I curve of '" << escape(q["name"].get<std::string>())
              << "': each neuron in each sample, binned by its mean input current u over the "
                 "sample, against its rate</div></div>\n";
            ++plots;
        }
    }
    if (a.contains("ablation")) {
        const json& b = a["ablation"];
        p << "<h2>Ablation</h2>\n<p>" << fig(b["silenced"], "ablation.silenced", "int")
          << " neurons of '" << escape(b["population"].get<std::string>())
          << "' silenced (fraction " << fig(b["fraction"], "ablation.fraction", "num")
          << "): accuracy " << fig(b["accuracy"], "ablation.accuracy", "pct") << ", a drop of "
          << fig(b["accuracy_drop"], "ablation.accuracy_drop", "pct") << ".</p>\n";
    }
    p << "<script id=\"sf-data\" type=\"application/json\">" <<
        [&] {
            // "</" would end the script element early.
            std::string d = a.dump(), o;
            for (size_t i = 0; i < d.size(); ++i) {
                if (d[i] == '<' && i + 1 < d.size() && d[i + 1] == '/')
                    o += "<\\";
                else
                    o += d[i];
            }
            return o;
        }()
      << "</script>\n";
    p << "<p class=\"meta\" data-plots=\"" << plots << "\">" << plots << " plots</p>\n";
    p << "</body></html>\n";
    return p.str();
}

}  // namespace sf
