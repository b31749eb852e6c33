// Population statistics (analyse_population) on a hand-made raster, and `spikeforge
// simulate --analyse` end to end: on the float reference, on a chip run recorded by
// `spikeforge run --record spikes,u --out FILE` (the same numbers as course analyse on that
// backend), its HTML page (every figure equals the JSON's; rendered in headless chromium
// when installed), and one clear error for each misuse.
#include <catch2/catch.hpp>

#include "sf_test_util.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include <nlohmann/json.hpp>

#include "sf/analysis/report.hpp"
#include "sf/core/error.hpp"
#include "sf/reference/run_analysis.hpp"

using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

std::string source(const std::string& rel) {
    return std::string(SF_SOURCE_DIR) + "/" + rel;
}

std::string read(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

json last_json(const std::string& out) {
    const auto at = out.rfind("\n{");
    return json::parse(out.substr(at == std::string::npos ? 0 : at + 1));
}

const json* at_path(const json& j, const std::string& path) {
    const json* cur = &j;
    size_t start = 0;
    while (start <= path.size()) {
        const size_t dot = std::min(path.find('.', start), path.size());
        const std::string part = path.substr(start, dot - start);
        if (cur->is_object() && cur->contains(part))
            cur = &(*cur)[part];
        else if (cur->is_array() && std::all_of(part.begin(), part.end(), ::isdigit) &&
                 std::stoul(part) < cur->size())
            cur = &(*cur)[std::stoul(part)];
        else
            return nullptr;
        start = dot + 1;
    }
    return cur;
}

// Every tagged figure of the page against the JSON; returns how many were checked.
int check_figures(const std::string& html, const json& j) {
    const std::regex fig("data-json=\"([^\"]+)\" data-kind=\"([a-z]+)\">([^<]*)<");
    int n = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), fig);
         it != std::sregex_iterator(); ++it) {
        const std::string path = (*it)[1], kind = (*it)[2], shown = (*it)[3];
        const json* v = at_path(j, path);
        INFO(path << " shows '" << shown << "'");
        REQUIRE(v != nullptr);
        CHECK(shown == (v->is_number() ? sf::format_figure(v->get<double>(), kind) : "—"));
        ++n;
    }
    return n;
}

}  // namespace

TEST_CASE("Population statistics of a hand-made raster", "[course][analysis]") {
    // Two neurons, four samples of 10 steps, classes 0 1 0 1. Neuron 0 fires every second
    // step in class 0 (5 spikes, ISI 2, CV 0) with mean input 1, and is silent with input 0
    // in class 1; neuron 1 never fires (input 0).
    sf::PopulationSpikes p;
    p.name = "hidden";
    p.size = 2;
    const std::vector<int> labels{0, 1, 0, 1};
    for (int label : labels) {
        std::vector<std::pair<int32_t, int32_t>> s;
        if (label == 0)
            for (int t = 0; t < 10; t += 2) s.emplace_back(t, 0);
        p.samples.push_back(s);
        p.mean_u.push_back({label == 0 ? 1.0 : 0.0, 0.0});
    }
    const sf::PopulationAnalysis a = sf::analyse_population(p, labels, 10, 1.0);
    CHECK(a.spikes == 10);
    CHECK(a.rate_per_step == Approx(10.0 / 80.0));
    CHECK(a.rate_hz == Approx(125.0));
    CHECK(a.silent_fraction == 0.5);
    CHECK(a.max_neuron_rate_per_step == Approx(0.25));
    CHECK(a.isi_trains == 2);
    CHECK(a.isi_mean_steps == Approx(2.0));
    CHECK(a.isi_cv_mean == Approx(0.0).margin(1e-12));
    CHECK(a.mi_plugin_bits == Approx(1.0));  // the count names the class
    CHECK(a.count_entropy_bits > 0.9);
    REQUIRE(a.tuning.size() == 2);
    CHECK(a.tuning[0] == 5.0);
    CHECK(a.tuning[1] == 0.0);
    CHECK(a.preferred_class_neurons == std::vector<int64_t>{1, 0});
    // f-I: 6 pairs at input 0 (rate 0), 2 at input 1 (rate 0.5 per step).
    REQUIRE(a.fi_input.size() == 2);
    CHECK(a.fi_input[0] == Approx(0.05));
    CHECK(a.fi_input[1] == Approx(0.95));
    CHECK(a.fi_rate_per_step == std::vector<double>{0.0, 0.5});
    CHECK(a.fi_pairs == std::vector<int64_t>{6, 2});
    // A spike outside the raster, and labels that do not match.
    p.samples[1].emplace_back(10, 0);
    CHECK_THROWS_WITH(sf::analyse_population(p, labels, 10), Contains("lies outside 10 steps"));
    CHECK_THROWS_WITH(sf::analyse_population(p, {0, 1}, 11), Contains("2 labels for 4 samples"));
}

TEST_CASE("A membrane readout is tuned by its membrane value and carries no count information",
          "[course][analysis]") {
    // Two LI outputs, four samples: output k's summed membrane is high for class k.
    sf::RunResult run;
    run.steps = 5;
    run.num_outputs = 2;
    for (int s = 0; s < 4; ++s) {
        sf::SampleResult r;
        r.label = s % 2;
        r.output_counts = {0, 0};
        r.output_v_sum = {r.label == 0 ? 100 : 10, r.label == 1 ? 300 : 30};
        r.predicted = r.label;
        run.samples.push_back(r);
    }
    const sf::RunAnalysis a = sf::analyse_run(run);
    CHECK(a.membrane);
    CHECK(a.accuracy == 1.0);
    CHECK(a.outputs[0].preferred_class == 0);
    CHECK(a.outputs[1].preferred_class == 1);
    CHECK(a.outputs[1].tuning == std::vector<double>{30.0, 300.0});
    CHECK(std::isnan(a.outputs[0].mi_bits));
    const json j = sf::to_json(a);
    CHECK(j["readout"] == "membrane");
    CHECK(j["outputs"][0]["mi_bits"].is_null());
    // The float reference's mean v given explicitly takes the place of output_v_sum.
    const std::vector<std::vector<double>> v{{1, 0}, {0, 1}, {1, 0}, {0, 1}};
    CHECK(sf::analyse_run(run, &v).outputs[0].tuning == std::vector<double>{1.0, 0.0});
    const std::vector<std::vector<double>> short_v{{1, 0}};
    CHECK_THROWS_WITH(sf::analyse_run(run, &short_v), Contains("1 membrane readouts for 4 samples"));
}

TEST_CASE("spikeforge simulate --analyse on the float reference, with ablation and the page",
          "[course][analysis][cli][html]") {
    sf_test::ScratchDir d;
    const std::string page = d / "analysis.html";
    const auto r =
        sf_test::run_cli("simulate " + source("networks/digits-snn") +
                         " --analyse --samples 120 --ablate hidden:0.5 --json --report " + page);
    INFO(r.output);
    REQUIRE(r.code == 0);
    const json j = last_json(r.output);
    CHECK(j["backend"] == "reference");
    CHECK(j["samples"] == 120);
    CHECK(j["accuracy"].get<double>() > 0.9);
    REQUIRE(j["populations"].size() == 2);  // the IF layers hidden and out (not the input)
    CHECK(j["populations"][1]["name"] == "out");
    const json& h = j["populations"][0];
    CHECK(h["name"] == "hidden");
    CHECK(h["size"] == 64);
    CHECK(h["rate_per_step"].get<double>() > 0.0);
    CHECK(h["rate_hz"].get<double>() ==
          Approx(h["rate_per_step"].get<double>() * 1000.0 / j["dt_ms"].get<double>()));
    CHECK(h["mi_bits"].get<double>() <= std::log2(10.0));
    CHECK(h["neuron_mi_bits_max"].get<double>() > 0.3);
    REQUIRE(h.contains("fi_curve"));
    // The f-I curve of IF neurons rises: the top input bin fires more than the bottom one.
    const auto rate = h["fi_curve"]["rate_per_step"].get<std::vector<double>>();
    CHECK(rate.back() > rate.front());
    CHECK(j["ablation"]["silenced"] == 32);
    CHECK(j["ablation"]["accuracy_drop"].get<double>() > 0.05);
    // The course command runs the same code and gives the same numbers.
    const auto c = sf_test::run_cli("course analyse " + source("networks/digits-snn") +
                                    " --samples 120 --ablate hidden:0.5 --json");
    REQUIRE(c.code == 0);
    json jc = last_json(c.output), js = j;
    jc.erase("data");
    js.erase("data");
    CHECK(jc == js);

    // The page: self-contained, and every figure on it is the JSON's.
    const std::string html = read(page);
    REQUIRE(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("http") == std::string::npos);
    CHECK(check_figures(html, j) > 50);
    CHECK_THAT(html, Contains("data-plots=\"3\""));  // the tuning heat map, two f-I curves
    const char* browser = "/usr/bin/chromium";
    if (!std::ifstream(browser).good()) {
        WARN(
            "SKIPPED: chromium is not installed, so the page was not rendered (apt-get install "
            "chromium)");
        return;
    }
    const std::string dom = d / "dom.html", log = d / "console.txt";
    const std::string cmd =
        std::string(browser) +
        " --headless=new --no-sandbox --disable-gpu --enable-logging=stderr --v=0 "
        "--virtual-time-budget=3000 --dump-dom file://" +
        page + " > " + dom + " 2> " + log;
    REQUIRE(std::system(cmd.c_str()) == 0);
    const std::string out = read(dom), console = read(log);
    INFO(console);
    CHECK(console.find("Uncaught") == std::string::npos);
    CHECK(out.find("<svg") != std::string::npos);
    CHECK(check_figures(out, j) > 50);
}

TEST_CASE("spikeforge simulate --analyse reads a recorded chip run like course analyse runs it",
          "[course][analysis][cli]") {
    sf_test::ScratchDir d;
    REQUIRE(sf_test::run_cli("compile " + source("networks/digits-snn") + " --chip sf1 -o " +
                             (d / "img"))
                .code == 0);
    const auto run =
        sf_test::run_cli("run " + (d / "img") +
                         " --data digits --samples 60 --record spikes,u --out " + (d / "run.json"));
    INFO(run.output);
    REQUIRE(run.code == 0);
    const auto r =
        sf_test::run_cli("simulate --analyse --recorded " + (d / "run.json") + " --json");
    INFO(r.output);
    REQUIRE(r.code == 0);
    const json j = last_json(r.output);
    const json file = json::parse(read(d / "run.json"));
    CHECK(j["accuracy"] == file["accuracy"]);
    CHECK(j["samples"] == 60);
    REQUIRE(j["populations"].size() == 2);
    int64_t spikes = 0;
    for (const auto& s : file["recorded"]["samples"])
        spikes += int64_t(s["by_population"]["hidden"]["spikes"].size());
    CHECK(j["populations"][0]["spikes"] == spikes);
    CHECK(j["populations"][0].contains("fi_curve"));  // from the chip's recorded u
    // course analyse on the functional backend runs the same chip: the same analysis.
    const auto c = sf_test::run_cli("course analyse " + source("networks/digits-snn") +
                                    " --backend functional --chip sf1 --samples 60 --json");
    REQUIRE(c.code == 0);
    json jc = last_json(c.output);
    // Only the rate in Hz differs: a recorded run does not know the network's dt.
    for (auto& p : jc["populations"]) {
        CHECK(p.contains("rate_hz"));
        p.erase("rate_hz");
    }
    CHECK(jc["outputs"] == j["outputs"]);
    CHECK(jc["populations"] == j["populations"]);
    CHECK(jc["mi_prediction_bits"] == j["mi_prediction_bits"]);
}

TEST_CASE("spikeforge simulate --analyse refuses misuse in one message",
          "[course][analysis][cli]") {
    sf_test::ScratchDir d;
    auto fails = [](const std::string& args, const std::string& says) {
        const auto r = sf_test::run_cli(args);
        INFO(args << "\n" << r.output);
        CHECK(r.code == 1);
        CHECK_THAT(r.output, Contains(says));
    };
    const std::string net = source("networks/digits-snn");
    fails("simulate " + net + " --ablate hidden:0.5", "--ablate applies to --analyse only");
    fails("simulate --analyse", "no network given");
    fails("simulate " + net + " --analyse --samples 10 --ablate hidden",
          "is not POPULATION:FRACTION");
    fails("simulate " + net + " --analyse --samples 10 --ablate out:0.5",
          "is an output population");
    fails("simulate " + net + " --analyse --samples 10 --ablate hidden:1.5", "must lie in (0, 1]");
    fails("simulate " + net + " --analyse --out x.npz", "--out does not apply to --analyse");
    sf_test::write_text(d / "bad.json", "{\"steps\": 5}");
    fails("simulate --analyse --recorded " + (d / "bad.json"), "holds no recorded data");
    sf_test::write_text(d / "nojson.json", "spikes");
    fails("simulate --analyse --recorded " + (d / "nojson.json"), "is not JSON");
    fails("simulate --analyse --recorded " + (d / "none.json"), "cannot read the recorded run");
    fails("simulate --analyse --recorded " + (d / "bad.json") + " --ablate hidden:0.5",
          "--ablate does not apply to a recorded run");
}
