// The faces of a compare or sweep result: a table for the terminal, CSV for a sweep, and
// one self-contained HTML page (no network access needed: the data, the script that draws
// the plots as inline SVG and the styles are all in the file). Everything is drawn from
// the result's JSON, so the three show the same numbers; every figure on the page carries
// the JSON path it came from (data-json="backends.functional.accuracy") for checking.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace sf {

std::string compare_table(const nlohmann::json& result);
std::string compare_html(const nlohmann::json& result);

std::string sweep_table(const nlohmann::json& result);
std::string sweep_csv(const nlohmann::json& result);
std::string sweep_html(const nlohmann::json& result);

// How the page prints a number: the same function in C++ (the static summary) and in the
// page's script (plots and tables), so a test can recompute any figure from the JSON.
// kind: "pct" (0.8871 -> "88.71%"), "pj" (energy with unit), "num" (4 significant digits),
// "int" (thousands separated by commas).
std::string format_figure(double value, const std::string& kind);

}  // namespace sf
