// ChipImage directories: save, load, checks and the .hex memory files (chip_image.cpp).
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include "core_test_util.hpp"
#include "sf/core/chip_image.hpp"
#include "sf/core/error.hpp"

using namespace sf;
using sf_test::TempDir;
namespace fs = std::filesystem;

namespace {

// A small consistent image on sf1-like settings: input (4) -> hidden (3, core (0,0))
// -> out (2, core (1,0)) -> host. Word of 2 synapses, 4-bit weights, so hex lines are short.
ChipImage sample_image() {
    ChipImage img;
    img.chip.name = "test";
    img.chip.mesh_w = 2;
    img.chip.mesh_h = 1;
    img.chip.neurons_per_core = 4;
    img.chip.axons_per_core = 8;
    img.chip.weight_bits = 4;
    img.chip.word_synapses = 2;
    img.chip.fanout = 2;
    img.network = "tiny";
    img.seed = 42;
    img.timesteps = 8;
    img.encoder.kind = EncoderKind::Direct;
    img.encoder.gain = 0.5f;
    img.dataset = "digits";
    PopulationInfo in{"in", NeuronKind::Input, {4}, false, {}, {}};
    PopulationInfo hid{"hid", NeuronKind::LIF, {3}, false, {0, 0, 0}, {0, 1, 2}};
    PopulationInfo out{"out", NeuronKind::LI, {2}, true, {1, 1}, {0, 1}};
    img.populations = {in, hid, out};
    img.num_inputs = 4;
    img.input_ptr = {0, 1, 2, 3, 5};
    img.input_dst = {{0, 0, 0}, {0, 0, 1}, {0, 0, 2}, {0, 0, 3}, {1, 0, 3}};
    img.num_outputs = 2;
    img.output_core = {1, 1};
    img.output_neuron = {0, 1};

    CoreImage a;
    a.x = 0;
    a.y = 0;
    a.num_neurons = 3;
    a.num_axons = 4;
    NeuronProfile p0;
    p0.du = 100;
    p0.dv = 200;
    p0.vth = 300;
    p0.bias_exp = 2;
    p0.reset = ResetMode::Subtract;
    p0.refractory = 3;
    a.profiles = {p0, NeuronProfile{}};
    a.profile_of = {0, 1, 0};
    a.bias_mant = {-1, 0, 5};
    a.weights = {1, -2, 7,   // axon 0
                 -8, 0, 3,   // axon 1
                 0, 0, 0,    // axon 2
                 4, 5, -6};  // axon 3
    a.plastic = {1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1};
    a.learning.enabled = true;
    a.learning.a_plus = 3;
    a.learning.a_minus = -2;
    a.learning.shift = 4;
    a.learning.x_decay = 100;
    a.learning.y_decay = 200;
    a.learning.x_inc = 10;
    a.learning.y_inc = 20;
    a.learning.w_min = -8;
    a.learning.w_max = 7;
    a.route_ptr = {0, 2, 3, 4};
    a.route_dst = {{1, 0, 0}, {1, 0, 1}, {1, 0, 2}, {1, 0, 0}};
    a.neuron_pop = {1, 1, 1};
    a.neuron_index = {0, 1, 2};
    a.axon_pop = {0, 0, 0, 0};
    a.axon_index = {0, 1, 2, 3};

    CoreImage b;
    b.x = 1;
    b.y = 0;
    b.num_neurons = 2;
    b.num_axons = 4;
    NeuronProfile li;
    li.spiking = false;
    li.dv = 1000;
    b.profiles = {li};
    b.profile_of = {0, 0};
    b.bias_mant = {0, 0};
    b.weights = {1, 1, 2, 2, 3, 3, -1, 0};
    b.route_ptr = {0, 1, 2};
    b.route_dst = {{-1, -1, 0}, {-1, -1, 1}};
    b.neuron_pop = {2, 2};
    b.neuron_index = {0, 1};
    b.axon_pop = {1, 1, 1, 0};
    b.axon_index = {0, 1, 2, 3};
    img.cores = {a, b};
    img.report_json = "{\"cores_used\": 2}";
    return img;
}

void check_same_image(const ChipImage& x, const ChipImage& y) {
    CHECK(chip_to_yaml(x.chip) == chip_to_yaml(y.chip));
    CHECK(x.network == y.network);
    CHECK(x.seed == y.seed);
    CHECK(x.timesteps == y.timesteps);
    CHECK(x.encoder.kind == y.encoder.kind);
    CHECK(x.encoder.max_rate == y.encoder.max_rate);
    CHECK(x.encoder.gain == y.encoder.gain);
    CHECK(x.encoder.min_intensity == y.encoder.min_intensity);
    CHECK(x.encoder.seed == y.encoder.seed);
    CHECK(x.dataset == y.dataset);
    REQUIRE(x.populations.size() == y.populations.size());
    for (size_t i = 0; i < x.populations.size(); ++i) {
        CHECK(x.populations[i].name == y.populations[i].name);
        CHECK(x.populations[i].kind == y.populations[i].kind);
        CHECK(x.populations[i].shape == y.populations[i].shape);
        CHECK(x.populations[i].output == y.populations[i].output);
        CHECK(x.populations[i].core_of == y.populations[i].core_of);
        CHECK(x.populations[i].neuron_of == y.populations[i].neuron_of);
    }
    CHECK(x.num_inputs == y.num_inputs);
    CHECK(x.input_ptr == y.input_ptr);
    CHECK(x.input_dst == y.input_dst);
    CHECK(x.num_outputs == y.num_outputs);
    CHECK(x.output_core == y.output_core);
    CHECK(x.output_neuron == y.output_neuron);
    CHECK(x.report_json == y.report_json);
    REQUIRE(x.cores.size() == y.cores.size());
    for (size_t i = 0; i < x.cores.size(); ++i) {
        const CoreImage& a = x.cores[i];
        const CoreImage& b = y.cores[i];
        INFO("core " << i);
        CHECK(a.x == b.x);
        CHECK(a.y == b.y);
        CHECK(a.num_neurons == b.num_neurons);
        CHECK(a.num_axons == b.num_axons);
        CHECK(a.profiles == b.profiles);
        CHECK(a.profile_of == b.profile_of);
        CHECK(a.bias_mant == b.bias_mant);
        CHECK(a.weights == b.weights);
        CHECK(a.plastic == b.plastic);
        CHECK(a.learning.enabled == b.learning.enabled);
        CHECK(a.learning.a_plus == b.learning.a_plus);
        CHECK(a.learning.a_minus == b.learning.a_minus);
        CHECK(a.learning.shift == b.learning.shift);
        CHECK(a.learning.x_decay == b.learning.x_decay);
        CHECK(a.learning.y_decay == b.learning.y_decay);
        CHECK(a.learning.x_inc == b.learning.x_inc);
        CHECK(a.learning.y_inc == b.learning.y_inc);
        CHECK(a.learning.w_min == b.learning.w_min);
        CHECK(a.learning.w_max == b.learning.w_max);
        CHECK(a.route_ptr == b.route_ptr);
        CHECK(a.route_dst == b.route_dst);
        CHECK(a.neuron_pop == b.neuron_pop);
        CHECK(a.neuron_index == b.neuron_index);
        CHECK(a.axon_pop == b.axon_pop);
        CHECK(a.axon_index == b.axon_index);
    }
}

std::vector<std::string> lines_of(const std::string& path) {
    std::istringstream in(sf_test::read_text(path));
    std::vector<std::string> r;
    for (std::string l; std::getline(in, l);) r.push_back(l);
    return r;
}

InputError load_error(const std::string& dir) {
    try {
        load_chip_image(dir);
    } catch (const InputError& e) {
        return e;
    }
    FAIL("expected an InputError loading " << dir);
    return InputError("unreachable");
}

}  // namespace

TEST_CASE("A chip image saves and loads back equal field by field", "[core][image]") {
    TempDir dir;
    const ChipImage img = sample_image();
    REQUIRE_NOTHROW(validate_chip_image(img));
    CHECK(img.core_at(1, 0) == 1);
    CHECK(img.core_at(0, 1) == -1);
    const std::string d = dir / "img";
    save_chip_image(img, d);
    for (const char* f : {"image.yaml", "host.npz", "report.json", "summary.txt",
                          "cores/0_0/core.npz", "cores/0_0/crossbar.hex", "cores/0_0/neurons.hex",
                          "cores/0_0/routes.hex", "cores/1_0/core.npz"})
        CHECK(fs::exists(d + "/" + f));
    const ChipImage back = load_chip_image(d);
    check_same_image(img, back);
    CHECK_THAT(sf_test::read_text(d + "/summary.txt"), Catch::Contains("cores used   2 of 2"));
    // Saving again replaces the directory whole (no stale core directories survive).
    ChipImage one = img;
    one.cores[1].x = 1;
    save_chip_image(one, d);
    CHECK(load_chip_image(d).cores.size() == 2);
    CHECK_FALSE(fs::exists(d + "/.img.tmp"));
    int entries = 0;
    for (const auto& e : fs::directory_iterator(dir.str())) {
        (void)e;
        ++entries;
    }
    CHECK(entries == 1);  // no temporary directories left
}

TEST_CASE("The hex memory files follow the documented bit layouts", "[core][image]") {
    TempDir dir;
    const std::string d = dir / "img";
    save_chip_image(sample_image(), d);
    // crossbar.hex: 4 used rows x ceil(4 neurons / 2 per word) = 8 lines of 2 x 4 bits,
    // synapse 0 in the low nibble; neuron 3 does not exist and reads 0.
    const auto xb = lines_of(d + "/cores/0_0/crossbar.hex");
    REQUIRE(xb.size() == 8);
    CHECK(xb[0] == "e1");  // axon 0: neurons 0,1 = 1, -2 -> 0xe, 0x1
    CHECK(xb[1] == "07");  // axon 0: neuron 2 = 7, neuron 3 absent
    CHECK(xb[2] == "08");  // axon 1: -8, 0
    CHECK(xb[3] == "03");
    CHECK(xb[4] == "00");
    CHECK(xb[6] == "54");  // axon 3: 4, 5
    CHECK(xb[7] == "0a");  // axon 3: -6 -> 0xa
    // neurons.hex: profile (2 bits for 4 profiles) above a 13-bit bias mantissa.
    const auto nh = lines_of(d + "/cores/0_0/neurons.hex");
    REQUIRE(nh.size() == 3);
    CHECK(nh[0] == "1fff");  // profile 0, bias -1
    CHECK(nh[1] == "2000");  // profile 1, bias 0
    CHECK(nh[2] == "0005");  // profile 0, bias 5
    // routes.hex: F = 2 entries per neuron; {valid, host, x (1 bit), y (1 bit), axon (3 bits)}.
    const auto rh = lines_of(d + "/cores/0_0/routes.hex");
    REQUIRE(rh.size() == 6);
    CHECK(rh[0] == "50");  // valid, x=1, y=0, axon 0: 1_0_1_0_000 = 0x50
    CHECK(rh[1] == "51");  // axon 1
    CHECK(rh[2] == "52");
    CHECK(rh[3] == "00");  // unused entry
    const auto hr = lines_of(d + "/cores/1_0/routes.hex");
    REQUIRE(hr.size() == 4);
    CHECK(hr[0] == "60");  // valid, host, output 0: 1_1_0_0_000
    CHECK(hr[2] == "61");  // output 1
}

TEST_CASE("Inconsistent images are rejected before anything is written", "[core][image]") {
    TempDir dir;
    const std::string d = dir / "img";
    auto rejects = [&](ChipImage img, const std::string& words) {
        try {
            save_chip_image(img, d);
            FAIL("expected an InputError mentioning " << words);
        } catch (const InputError& e) {
            CHECK_THAT(e.problem(), Catch::Contains(words));
        }
        CHECK_FALSE(fs::exists(d));
        CHECK(fs::is_empty(dir.str()));
    };
    ChipImage img = sample_image();
    img.cores[0].weights[0] = 8;  // 4-bit weights hold -8..7
    rejects(img, "weight 8");
    img = sample_image();
    img.cores[0].route_dst[0] = {1, 0, 9};
    rejects(img, "axon 9");
    img = sample_image();
    img.cores[0].route_ptr = {0, 3, 3, 4};  // 3 destinations, fanout 2
    rejects(img, "fanout");
    img = sample_image();
    img.cores[1].route_dst[0] = {-1, -1, 5};
    rejects(img, "host output 5");
    img = sample_image();
    img.cores[1].x = 2;
    rejects(img, "outside");
    img = sample_image();
    img.cores[0].profile_of[1] = 7;
    rejects(img, "profile 7");
    img = sample_image();
    img.cores[0].num_neurons = 5;
    rejects(img, "5 neurons");
    img = sample_image();
    img.input_ptr = {0, 1, 2, 3};
    rejects(img, "input_ptr");
    img = sample_image();
    img.output_neuron[1] = 3;
    rejects(img, "output 1");
    img = sample_image();
    img.chip.learning = false;
    rejects(img, "learning");
    img = sample_image();
    img.cores[0].bias_mant[0] = 5000;
    rejects(img, "bias mantissa");
    img = sample_image();
    img.cores[0].neuron_index[2] = 3;
    rejects(img, "population 'hid'");
    // The parent directory must exist.
    CHECK_THROWS_AS(save_chip_image(sample_image(), dir / "no/such/img"), InputError);
    CHECK(fs::is_empty(dir.str()));
}

TEST_CASE("A failed write leaves no partial directory and keeps the old image", "[core][image]") {
    TempDir dir;
    // The target is a file: the image is built, then cannot replace it; nothing is left.
    sf_test::write_text(dir / "afile", "keep me");
    CHECK_THROWS_AS(save_chip_image(sample_image(), dir / "afile"), InputError);
    CHECK(sf_test::read_text(dir / "afile") == "keep me");
    int before = 0;
    for (const auto& e : fs::directory_iterator(dir.str())) {
        (void)e;
        ++before;
    }
    CHECK(before == 1);

    const std::string parent = dir / "ro";
    fs::create_directory(parent);
    const std::string d = parent + "/img";
    save_chip_image(sample_image(), d);
    fs::permissions(parent, fs::perms::owner_read | fs::perms::owner_exec);
    ChipImage other = sample_image();
    other.network = "other";
    bool threw = false;
    try {
        save_chip_image(other, d);
    } catch (const InputError&) {
        threw = true;
    }
    fs::permissions(parent, fs::perms::owner_all);
    if (!threw) {
        WARN("running as root: the read-only parent did not stop the write; check skipped");
        return;
    }
    CHECK(load_chip_image(d).network == "tiny");
    int entries = 0;
    for (const auto& e : fs::directory_iterator(parent)) {
        (void)e;
        ++entries;
    }
    CHECK(entries == 1);
}

TEST_CASE("Missing, truncated or hand-edited image files give one clear InputError",
          "[core][image]") {
    TempDir dir;
    const std::string d = dir / "img";
    auto fresh = [&] { save_chip_image(sample_image(), d); };
    auto edit_yaml = [&](const std::string& from, const std::string& to) {
        const std::string f = d + "/image.yaml";
        sf_test::write_text(f, sf_test::edit(sf_test::read_text(f), from, to));
    };

    fresh();
    fs::remove(d + "/cores/1_0/core.npz");
    CHECK_THAT(load_error(d).where(), Catch::Contains("cores/1_0/core.npz"));

    fresh();
    fs::remove(d + "/host.npz");
    CHECK_THAT(load_error(d).where(), Catch::Contains("host.npz"));

    fresh();
    fs::remove(d + "/image.yaml");
    CHECK_THAT(load_error(d).where(), Catch::Contains("image.yaml"));

    fresh();
    {
        const std::string t = sf_test::read_text(d + "/cores/0_0/core.npz");
        sf_test::write_text(d + "/cores/0_0/core.npz", t.substr(0, t.size() / 2));
    }
    CHECK_THAT(load_error(d).where(), Catch::Contains("cores/0_0/core.npz"));

    fresh();
    edit_yaml("neurons: 3", "neurons: 2");
    CHECK_THAT(load_error(d).where(), Catch::Contains("core.npz"));  // shapes disagree

    fresh();
    edit_yaml("format_version: 1", "format_version: 9");
    CHECK_THAT(load_error(d).problem(), Catch::Contains("version 9"));

    fresh();
    edit_yaml("  - x: 1", "  - x: [");
    CHECK_THAT(load_error(d).where(), Catch::Contains("image.yaml:"));

    fresh();
    edit_yaml("weight_bits: 4", "weight_bits: 3");
    CHECK_THAT(load_error(d).problem(), Catch::Contains("weight"));

    fresh();
    {
        std::string t = sf_test::read_text(d + "/cores/0_0/crossbar.hex");
        t[0] = t[0] == 'f' ? '0' : 'f';
        sf_test::write_text(d + "/cores/0_0/crossbar.hex", t);
    }
    CHECK_THAT(load_error(d).where(), Catch::Contains("crossbar.hex"));

    fresh();
    edit_yaml("shape: [3]", "shape: [99999999999, 99999999999]");
    CHECK_THAT(load_error(d).where(), Catch::Contains("image.yaml:"));

    // An unknown key at the top level or inside a core's profile is a hand edit, not ignored.
    fresh();
    edit_yaml("seed: ", "bogus_key: 3\nseed: ");
    CHECK_THAT(load_error(d).problem(), Catch::Contains("unknown key 'bogus_key'"));
    CHECK_THAT(load_error(d).where(), Catch::Contains("image.yaml:"));
    fresh();
    edit_yaml("{du: ", "{leak: 1, du: ");
    CHECK_THAT(load_error(d).problem(), Catch::Contains("unknown key 'leak'"));

    fresh();
    fs::remove(d + "/cores/1_0/routes.hex");
    CHECK_THAT(load_error(d).where(), Catch::Contains("routes.hex"));

    CHECK_THAT(load_error(dir / "nothing-here").problem(), Catch::Contains("not found"));
}

TEST_CASE("Randomly mutated image files only ever raise InputError", "[core][image]") {
    TempDir dir;
    const std::string d = dir / "img";
    save_chip_image(sample_image(), d);
    const char* files[] = {"image.yaml", "host.npz", "cores/0_0/core.npz", "cores/1_0/neurons.hex"};
    std::map<std::string, std::string> original;
    for (const char* f : files) original[f] = sf_test::read_text(d + "/" + f);
    uint64_t state = 7;  // fixed seed: the same mutations every run
    auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return uint32_t(state >> 33);
    };
    const char junk[] = "{}[]:,-#0123456789 \n9999999999999";
    int errors = 0, ok = 0;
    for (int round = 0; round < 200; ++round) {
        const std::string f = files[round % 4];
        std::string s = original[f];
        for (int k = 0, n = 1 + int(next() % 3); k < n; ++k) {
            const size_t at = next() % s.size();
            if (f == "image.yaml" && next() % 2) s.insert(at, 1, junk[next() % (sizeof(junk) - 1)]);
            else s[at] = char(next() & 0xff);
        }
        sf_test::write_text(d + "/" + f, s);
        try {
            load_chip_image(d);
            ++ok;
        } catch (const InputError&) {
            ++errors;
        }
        sf_test::write_text(d + "/" + f, original[f]);
    }
    CHECK(errors + ok == 200);
    CHECK(errors > 100);
    CHECK_NOTHROW(load_chip_image(d));
}
