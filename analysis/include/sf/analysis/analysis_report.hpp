// The HTML page of `spikeforge simulate --analyse --report FILE`: one self-contained page
// (styles and inline SVG plots drawn here, no script, nothing fetched) of the analysis JSON
// (the CLI's analyse.hpp): the run's accuracy and information, the output neurons' tuning as
// a heat map with their mutual information, each population's statistics with its f-I
// curve, and the ablation. Every figure carries the JSON path it shows
// (data-json="populations.0.rate_per_step" data-kind="num"), printed by format_figure
// (report.hpp), so a test can recompute each one from the JSON.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace sf {

std::string analysis_html(const nlohmann::json& analysis);

}  // namespace sf
