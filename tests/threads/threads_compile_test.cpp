// The compiler on 1, 2 and 4 threads writes byte-identical images (every file of the saved
// image, and report.json apart from its wall times), for shipped networks and for a larger
// synthetic one whose passes really split (several populations, projections of more than
// one quantisation block, duplicate sparse synapses, a plastic projection, hundreds of
// cores). `compile --threads` reports the count used and refuses 0.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sf/compiler/compile.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/chip_image.hpp"
#include "sf/core/graph.hpp"
#include "sf_test_util.hpp"

namespace fs = std::filesystem;
using namespace sf;

namespace {

// Every file of a saved image by its path inside the image, report.json without the
// per-pass wall times (the only thing in an image that may change from run to run).
std::map<std::string, std::string> image_files(const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        std::ifstream in(e.path(), std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        std::string text = s.str();
        if (e.path().filename() == "report.json") {
            nlohmann::json j = nlohmann::json::parse(text);
            for (auto& p : j["passes"]) p.erase("wall_s");
            text = j.dump(1);
        }
        files[fs::relative(e.path(), dir).string()] = text;
    }
    return files;
}

std::map<std::string, std::string> compiled_files(const Graph& g, const ChipConfig& chip,
                                                  int threads, const sf_test::ScratchDir& tmp,
                                                  int* threads_used = nullptr,
                                                  std::string* dump = nullptr) {
    CompileOptions opt;
    opt.seed = 7;
    opt.threads = threads;
    std::ostringstream text;
    if (dump) {
        opt.dump_after = "all";
        opt.dump = &text;
    }
    const CompileResult r = compile(g, chip, opt);
    if (threads_used) *threads_used = r.threads;
    if (dump) *dump = text.str();
    const std::string dir = tmp / ("img" + std::to_string(threads));
    save_chip_image(r.image, dir);
    return image_files(dir);
}

void check_identical_on_1_2_4(const Graph& g, const ChipConfig& chip, bool with_dumps) {
    sf_test::ScratchDir tmp;
    std::string dump1;
    int used = 0;
    const auto base = compiled_files(g, chip, 1, tmp, &used, with_dumps ? &dump1 : nullptr);
    CHECK(used == 1);
    CHECK(base.count("report.json") == 1);
    CHECK(base.size() > 3);
    for (int threads : {2, 4}) {
        INFO(g.name << " on " << threads << " threads");
        std::string dump;
        const auto other =
            compiled_files(g, chip, threads, tmp, &used, with_dumps ? &dump : nullptr);
        CHECK(used >= 2);
        CHECK(used <= threads);
        REQUIRE(other.size() == base.size());
        for (const auto& [path, text] : base) {
            INFO(path);
            REQUIRE(other.count(path) == 1);
            CHECK(other.at(path) == text);
        }
        if (with_dumps) CHECK(dump == dump1);  // every pass's IR, not just the image
    }
}

Population layer(const std::string& name, NeuronKind kind, std::vector<int64_t> shape,
                 float threshold = 1.0f) {
    Population p;
    p.name = name;
    p.kind = kind;
    p.shape = std::move(shape);
    p.params.decay_u = kind == NeuronKind::IF ? 1.0f : 0.5f;  // IF: no leak, one-step current
    p.params.decay_v = kind == NeuronKind::IF ? 0.0f : 0.1f;
    p.params.threshold = threshold;
    return p;
}

// input {3, 40, 40} -conv 5x5-> c1 {6, 40, 40} -sparse (repeated sources)-> s1 {6000};
// input -conv 5x5 stride 2-> c2 {2, 20, 20} -dense, STDP-> h {300} -dense-> out {10}.
// Five on-chip populations keep lower and partition busy on several threads.
Graph synthetic(uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    auto weights = [&](int64_t n, int zero_in = 5) {
        std::vector<float> w(static_cast<size_t>(n));
        for (auto& x : w) x = rng() % uint64_t(zero_in) == 0 ? 0.0f : u(rng);
        return w;
    };
    Graph g;
    g.name = "synthetic";
    g.timesteps = 10;
    g.populations.push_back(layer("in", NeuronKind::Input, {3, 40, 40}));
    g.populations.push_back(layer("c1", NeuronKind::LIF, {6, 40, 40}));
    g.populations.push_back(layer("c2", NeuronKind::IF, {2, 20, 20}, 2.0f));
    g.populations.push_back(layer("s1", NeuronKind::LIF, {6000}));
    g.populations.push_back(layer("h", NeuronKind::LIF, {300}));
    g.populations.push_back(layer("out", NeuronKind::LI, {10}));
    g.populations.back().output = true;
    auto conv = [&](const std::string& name, const std::string& pre, const std::string& post,
                    int64_t oc, int64_t ic, int stride) {
        Projection p;
        p.name = name;
        p.kind = ProjectionKind::Conv2d;
        p.pre = pre;
        p.post = post;
        p.weights = Tensor::from(weights(oc * ic * 25), {oc, ic, 5, 5});
        p.kernel = {5, 5};
        p.padding = {2, 2};
        p.stride = {stride, stride};
        g.projections.push_back(std::move(p));
    };
    conv("conv1", "in", "c1", 6, 3, 1);
    conv("conv2", "in", "c2", 2, 3, 2);
    {
        // Sources drawn with repeats from a window of c1, so lower sorts and merges.
        Projection p;
        p.name = "sp";
        p.kind = ProjectionKind::Sparse;
        p.pre = "c1";
        p.post = "s1";
        const int64_t n = 6000, fan = 60, npre = 6 * 40 * 40;
        std::vector<int64_t> idx;
        std::vector<float> w;
        for (int64_t j = 0; j < n; ++j)
            for (int64_t k = 0; k < fan; ++k) {
                idx.push_back((j * npre / n + int64_t(rng() % 150)) % npre);
                idx.push_back(j);
                w.push_back(u(rng) * 0.3f);
            }
        p.indices = Tensor::from(idx, {n * fan, 2});
        p.weights = Tensor::from(w, {n * fan});
        g.projections.push_back(std::move(p));
    }
    auto dense = [&](const std::string& name, const std::string& pre, const std::string& post,
                     int64_t a, int64_t b) {
        Projection p;
        p.name = name;
        p.kind = ProjectionKind::Dense;
        p.pre = pre;
        p.post = post;
        p.weights = Tensor::from(weights(a * b), {b, a});
        g.projections.push_back(std::move(p));
    };
    dense("fc1", "c2", "h", 2 * 20 * 20, 300);  // 240 k weights: 4 quantisation blocks
    g.projections.back().stdp = StdpParams{};
    dense("fc2", "h", "out", 300, 10);
    return g;
}

ChipConfig synthetic_chip() {
    ChipConfig c;
    c.name = "threads-test";
    c.mesh_w = c.mesh_h = 40;
    c.neurons_per_core = 64;
    c.axons_per_core = 1024;
    c.fanout = 64;
    c.learning = true;
    return c;
}

}  // namespace

TEST_CASE("Shipped networks compile to byte-identical images on 1, 2 and 4 threads",
          "[threads][compiler]") {
    const ChipConfig sf1 = load_chip("sf1");
    for (const char* net : {"digits-snn", "fmnist-snn"}) {
        const Graph g = load_network(std::string(SF_SOURCE_DIR) + "/networks/" + net);
        check_identical_on_1_2_4(g, sf1, true);
    }
}

TEST_CASE("A larger synthetic network compiles to byte-identical images on 1, 2 and 4 threads",
          "[threads][compiler]") {
    const Graph g = synthetic(3);
    const ChipConfig chip = synthetic_chip();
    // It is large enough that every splitting pass has pieces for several threads.
    const CompileResult r = compile(g, chip);
    CHECK(r.image.cores.size() >= 100);
    int64_t plastic_cores = 0;
    for (const auto& c : r.image.cores) plastic_cores += c.plastic.empty() ? 0 : 1;
    CHECK(plastic_cores >= 1);
    CHECK(r.passes.at(2).stats.at("duplicates_merged") > 0);
    check_identical_on_1_2_4(g, chip, false);
}

TEST_CASE("compile --threads N reports the count used, writes the same image and refuses 0",
          "[threads][compiler][cli]") {
    sf_test::ScratchDir d;
    const std::string net = std::string(SF_SOURCE_DIR) + "/networks/fmnist-snn";
    std::vector<std::map<std::string, std::string>> images;
    for (int threads : {1, 2}) {
        const std::string out = d / ("img" + std::to_string(threads));
        const sf_test::Ran r = sf_test::run_cli("compile " + net + " --chip sf1 -o " + out +
                                                " --json --threads " + std::to_string(threads));
        INFO(r.output);
        REQUIRE(r.code == 0);
        const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
        CHECK(j["threads"] == threads);
        images.push_back(image_files(out));
    }
    CHECK(images[0] == images[1]);

    const sf_test::Ran z =
        sf_test::run_cli("compile " + net + " --chip sf1 -o " + (d / "img0") + " --threads 0");
    CHECK(z.code != 0);
    CHECK(z.output.find("--threads") != std::string::npos);
    CHECK(z.output.find("from 1 to") != std::string::npos);
    CHECK(!fs::exists(d / "img0"));
}
