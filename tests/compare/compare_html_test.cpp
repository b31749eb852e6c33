// The report page in a real headless browser (Debian's chromium): it renders without script
// errors, every plot is drawn, and every figure it shows equals the JSON's. Without
// chromium the browser part is skipped with a message (the page's static checks still run).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sf/analysis/report.hpp"
#include "sf_test_util.hpp"

using nlohmann::json;

namespace {

std::string src(const std::string& rel) { return std::string(SF_SOURCE_DIR) + "/" + rel; }

std::string read(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

const json* at_path(const json& j, const std::string& path) {
    const json* cur = &j;
    std::stringstream ss(path);
    std::string part;
    while (std::getline(ss, part, '.')) {
        if (cur->is_object() && cur->contains(part))
            cur = &(*cur)[part];
        else if (cur->is_array() && std::stoul(part) < cur->size())
            cur = &(*cur)[std::stoul(part)];
        else
            return nullptr;
    }
    return cur;
}

std::string unescape(std::string s) {
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}}) {
        for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
            s.replace(at, from.size(), to);
    }
    return s;
}

// Every tagged figure of a page (or of the DOM chromium dumps) against the JSON.
int check_figures(const std::string& html, const json& j) {
    const std::regex fig("data-json=\"([^\"]+)\" data-kind=\"([a-z]+)\">([^<]*)<");
    int checked = 0;
    for (auto it = std::sregex_iterator(html.begin(), html.end(), fig); it != std::sregex_iterator();
         ++it) {
        const std::string path = (*it)[1], kind = (*it)[2], shown = unescape((*it)[3]);
        const json* v = at_path(j, path);
        std::string expected = "—";
        if (v && v->is_boolean())
            expected = v->get<bool>() ? "yes" : "no";
        else if (v && v->is_number())
            expected = sf::format_figure(v->get<double>(), kind);
        INFO(path << " shows '" << shown << "'");
        CHECK(shown == expected);
        ++checked;
    }
    return checked;
}

std::string chromium() {
    for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
        if (std::ifstream(c).good()) return c;
    return {};
}

}  // namespace

TEST_CASE("The compare report page shows the JSON's numbers and draws every plot in a browser",
          "[compare][report][html][browser]") {
    sf_test::ScratchDir d;
    const std::string page = d / "report.html";
    const auto r = sf_test::run_cli("compare " + src("networks/digits-snn") +
                                    " --chip sf1-small --samples 30 --ann " +
                                    src("networks/digits-logreg") + " --json --html " + page);
    INFO(r.output);
    REQUIRE(r.code == 0);
    const json j = json::parse(r.output.substr(r.output.rfind("\n{") + 1));
    const std::string html = read(page);
    REQUIRE(html.rfind("<!DOCTYPE html>", 0) == 0);
    // Self-contained: nothing fetched from anywhere.
    CHECK(html.find("src=\"http") == std::string::npos);
    CHECK(html.find("href=\"http") == std::string::npos);
    CHECK(html.find("<link") == std::string::npos);
    // Static figures equal the JSON's.
    CHECK(check_figures(html, j) > 40);

    const std::string browser = chromium();
    if (browser.empty()) {
        WARN("SKIPPED: chromium is not installed, so the page was not rendered in a browser "
             "(apt-get install chromium)");
        return;
    }
    const std::string dom = d / "dom.html", log = d / "console.txt", shot = d / "shot.png";
    const std::string cmd = browser +
                            " --headless=new --no-sandbox --disable-gpu --enable-logging=stderr "
                            "--v=0 --virtual-time-budget=5000 --dump-dom file://" + page + " > " +
                            dom + " 2> " + log;
    REQUIRE(std::system(cmd.c_str()) == 0);
    const std::string out = read(dom), console = read(log);
    INFO(console);
    // No script errors on the console.
    CHECK(console.find("Uncaught") == std::string::npos);
    CHECK(console.find("SyntaxError") == std::string::npos);
    // The script ran and drew each plot (layers, energy, raster, membranes, mesh).
    const std::regex drawn("data-plots-drawn=\"([0-9]+)\"");
    std::smatch m;
    REQUIRE(std::regex_search(out, m, drawn));
    CHECK(std::stoi(m[1]) == 5);
    CHECK(out.find("<svg") != std::string::npos);
    // The rendered page still shows exactly the JSON's numbers.
    CHECK(check_figures(out, j) > 40);
    // And it renders to pixels.
    const std::string sc = browser +
                           " --headless=new --no-sandbox --disable-gpu --window-size=1400,1000 "
                           "--screenshot=" + shot + " file://" + page + " > /dev/null 2>&1";
    CHECK(std::system(sc.c_str()) == 0);
    CHECK(std::ifstream(shot).good());
}

TEST_CASE("The sweep report page draws its Pareto plot in a browser",
          "[compare][report][html][browser][sweep]") {
    sf_test::ScratchDir d;
    const std::string page = d / "sweep.html";
    const auto r = sf_test::run_cli("sweep " + src("networks/digits-snn") +
                                    " --chip sf1-small --samples 20 --set core.weight_bits=3,6 "
                                    "--json --html " + page);
    INFO(r.output);
    REQUIRE(r.code == 0);
    const json j = json::parse(r.output.substr(r.output.rfind("\n{") + 1));
    CHECK(check_figures(read(page), j) >= 8);
    const std::string browser = chromium();
    if (browser.empty()) {
        WARN("SKIPPED: chromium is not installed (apt-get install chromium)");
        return;
    }
    const std::string dom = d / "dom.html", log = d / "console.txt";
    const std::string cmd = browser +
                            " --headless=new --no-sandbox --disable-gpu --enable-logging=stderr "
                            "--v=0 --dump-dom file://" + page + " > " + dom + " 2> " + log;
    REQUIRE(std::system(cmd.c_str()) == 0);
    const std::string out = read(dom), console = read(log);
    INFO(console);
    CHECK(console.find("Uncaught") == std::string::npos);
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex("data-plots-drawn=\"([0-9]+)\"")));
    CHECK(std::stoi(m[1]) == 2);
    CHECK(check_figures(out, j) >= 8);
}

TEST_CASE("The report page of an ANN model shows the JSON's numbers without script errors",
          "[compare][report][html][browser][ann]") {
    sf_test::ScratchDir d;
    const std::string page = d / "ann.html";
    const auto r = sf_test::run_cli("compare " + src("networks/digits-logreg") +
                                    " --samples 30 --json --html " + page);
    INFO(r.output);
    REQUIRE(r.code == 0);
    const json j = json::parse(r.output.substr(r.output.rfind("\n{") + 1));
    CHECK(check_figures(read(page), j) >= 10);
    const std::string browser = chromium();
    if (browser.empty()) {
        WARN("SKIPPED: chromium is not installed (apt-get install chromium)");
        return;
    }
    const std::string log = d / "console.txt", dom = d / "dom.html";
    const std::string cmd = browser +
                            " --headless=new --no-sandbox --disable-gpu --enable-logging=stderr "
                            "--v=0 --dump-dom file://" + page + " > " + dom + " 2> " + log;
    REQUIRE(std::system(cmd.c_str()) == 0);
    INFO(read(log));
    CHECK(read(log).find("Uncaught") == std::string::npos);
    CHECK(read(dom).find("data-plots-drawn=\"0\"") != std::string::npos);
}
