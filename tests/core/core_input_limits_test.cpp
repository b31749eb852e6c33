// Memory safety and value ranges of the loaders (issue 7): the cases found by the audit
// and by fuzzing (docs/fuzzing.md), each refused with one InputError naming the file
// instead of an out-of-bounds read, an absurd allocation, an endless read or a silent cast.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>

#include "core_test_util.hpp"
#include "sf/compiler/compile.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/chip_image.hpp"
#include "sf/core/error.hpp"
#include "sf/core/graph.hpp"
#include "sf/core/input_file.hpp"
#include "sf/core/tensor.hpp"

using Catch::Matchers::Contains;
using sf::InputError;
using sf::Tensor;
using sf_test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string regression(const std::string& target, const std::string& name) {
    return sf_test::source_dir() + "/fuzz/regressions/" + target + "/" + name;
}

// The InputError f throws (REQUIREd), as what() text.
template <class F>
std::string error_text(F&& f) {
    const sf_test::Caught c = sf_test::error_of(f);
    REQUIRE_FALSE(c.what.empty());
    return c.what;
}

// networks/digits-snn compiled onto sf1 and saved in dir/img (one core).
std::string digits_image(const TempDir& dir) {
    const sf::Graph g = sf::load_network(sf_test::source_dir() + "/networks/digits-snn");
    const std::string d = dir / "img";
    sf::save_chip_image(sf::compile(g, sf::load_chip("sf1")).image, d);
    return d;
}

}  // namespace

TEST_CASE("ZIP64 records whose offsets wrap around are refused, not read out of bounds",
          "[core][tensor][errors]") {
    // The locator pointed at 2^64 - 40 and the extra field put the local header at
    // 2^64 - 16: `offset + size > n` wrapped and the old reader read before the buffer.
    for (const char* f : {"zip64-locator-wraps.npz", "zip64-extra-local-header-wraps.npz"}) {
        const std::string path = regression("npz", f);
        CHECK_THAT(error_text([&] { sf::read_npz(path); }), Contains(f));
    }
}

TEST_CASE("A DEFLATE member claiming more than its data can inflate to is refused before "
          "allocating",
          "[core][tensor][errors]") {
    // 226 bytes claiming 8 GiB: the old reader allocated the claim first.
    const std::string e = error_text([] { sf::read_npz(regression("npz", "deflate-claims-8gib.npz")); });
    CHECK_THAT(e, Contains("8589934592"));
}

TEST_CASE("An archive holding one array name twice is refused", "[core][tensor][errors]") {
    CHECK_THAT(error_text([] { sf::read_npz(regression("npz", "duplicate-member.npz")); }),
               Contains("appears twice"));
}

TEST_CASE("Devices, FIFOs and directories are refused instead of read forever",
          "[core][tensor][errors]") {
    CHECK_THAT(error_text([] { sf::read_npy("/dev/zero"); }), Contains("not a regular file"));
    CHECK_THAT(error_text([] { sf::read_npz("/dev/zero"); }), Contains("not a regular file"));
    CHECK_THAT(error_text([] { sf::load_tensor_ref("/dev", "zero"); }), Contains("not a regular file"));
    TempDir dir;
    // A FIFO with no writer: opening it for reading would block for ever.
    REQUIRE(::mkfifo((dir / "fifo.npy").c_str(), 0600) == 0);
    CHECK_THAT(error_text([&] { sf::read_npy(dir / "fifo.npy"); }), Contains("not a regular file"));
    fs::create_directories(dir / "net/network.yaml");
    CHECK_THAT(error_text([&] { sf::load_network(dir / "net"); }), Contains("network.yaml"));
    // A network whose weights are /dev/zero.
    sf_test::write_text(dir / "zero.yaml", R"(name: z
populations:
  - {name: in, kind: input, shape: [2]}
  - {name: out, kind: lif, shape: [2]}
projections:
  - {name: p, kind: dense, from: in, to: out, weights: /dev/zero}
)");
    CHECK_THAT(error_text([&] { sf::load_network(dir / "zero.yaml"); }), Contains("not a regular file"));
}

TEST_CASE("Files larger than the documented limits are refused before they are read",
          "[core][tensor][errors]") {
    TempDir dir;
    // Sparse files: the size is real, the disk use is not.
    const std::string npy = dir / "big.npy";
    sf_test::write_text(npy, "");
    fs::resize_file(npy, sf::kMaxTensorFileBytes + 1);
    const std::string e = error_text([&] { sf::read_npy(npy); });
    CHECK_THAT(e, Contains("more than the limit of 4 GiB"));
    const std::string yaml = dir / "network.yaml";
    sf_test::write_text(yaml, "");
    fs::resize_file(yaml, sf::kMaxTextFileBytes + 1);
    CHECK_THAT(error_text([&] { sf::load_network(yaml); }), Contains("more than the limit of 64 MiB"));
}

TEST_CASE("An empty .npy array whose other dimensions multiply past 2^62 is refused, not "
          "multiplied into an overflow",
          "[core][tensor][errors]") {
    // Found by the one-hour fuzz run of npy: shape (24787496, 401239443748, 0, 8) holds no
    // element, so the data size check passed, and Tensor::size() overflowed int64 before it
    // reached the 0 (signed overflow, UBSan).
    CHECK_THAT(error_text([] { sf::read_npy(regression("npy", "empty-shape-product-overflows.npy")); }),
               Contains("too large") && Contains("empty-shape-product-overflows.npy"));
    Tensor t;
    t.shape = {24787496, 401239443748, 0, 8};
    CHECK(t.size() == 0);
    t.shape = {int64_t(1) << 32, int64_t(1) << 32};
    CHECK_THROWS_AS(t.size(), InputError);
    t.shape = {3, 4};
    CHECK(t.size() == 12);
}

TEST_CASE("Tensor conversions refuse values the target type cannot hold exactly",
          "[core][tensor][errors]") {
    // Each was wrapped or truncated before: 2147483647 became -1 as int16, -2^31 became 0 as
    // uint8, 0.5 became 0.
    CHECK_THAT(error_text([] { Tensor::from<int32_t>({1, 2147483647}, {2}).to<int16_t>("w.npz"); }),
               Contains("element 1 (2147483647)") && Contains("w.npz"));
    CHECK_THAT(error_text([] { Tensor::from<int32_t>({-2147483647 - 1}, {1}).to<uint8_t>(); }),
               Contains("-2147483648"));
    CHECK_THAT(error_text([] { Tensor::from<double>({0.5}, {1}).to<int32_t>(); }),
               Contains("whole numbers"));
    for (double bad : {std::nan(""), HUGE_VAL, -HUGE_VAL, 1e10})
        CHECK_THROWS_AS(Tensor::from<double>({bad}, {1}).to<int32_t>(), InputError);
    CHECK_THROWS_AS(Tensor::from<double>({1e300}, {1}).to<float>(), InputError);
    CHECK_THROWS_AS(Tensor::from<uint64_t>({uint64_t(1) << 63}, {1}).to<int64_t>(), InputError);
    CHECK_THROWS_AS(Tensor::from<int8_t>({-1}, {1}).to<uint64_t>(), InputError);
    // Exact conversions still work at both ends of the range.
    CHECK(Tensor::from<int32_t>({-32768, 32767}, {2}).to<int16_t>() == std::vector<int16_t>{-32768, 32767});
    CHECK(Tensor::from<float>({-128.0f, 127.0f}, {2}).to<int8_t>() == std::vector<int8_t>{-128, 127});
    CHECK(Tensor::from<double>({1.5, -HUGE_VAL}, {2}).to<float>()[0] == 1.5f);
    CHECK(Tensor::from<uint64_t>({(uint64_t(1) << 63) - 1}, {1}).to<int64_t>()[0] == INT64_MAX);
}

TEST_CASE("An image whose arrays hold out-of-range or non-integer values is refused naming the "
          "array",
          "[core][image][errors]") {
    TempDir dir;
    const std::string d = digits_image(dir);
    const std::string core = d + "/cores/0_0/core.npz";
    auto z = sf::read_npz(core);
    const auto good = z;
    const int64_t na = z["weights"].shape[0], nn = z["weights"].shape[1];
    // int32 weights of which one is 2147483647 (became -1 as int16 before).
    std::vector<int32_t> w(size_t(na * nn), 0);
    w[5] = 2147483647;
    z["weights"] = Tensor::from<int32_t>(w, {na, nn});
    sf::write_npz(core, z);
    CHECK_THAT(error_text([&] { sf::load_chip_image(d); }),
               Contains("core.npz (array 'weights')") && Contains("2147483647"));
    // profile_of -2^31 (became 0 as uint8).
    z = good;
    std::vector<int32_t> p(size_t(nn), 0);
    p[0] = -2147483647 - 1;
    z["profile_of"] = Tensor::from<int32_t>(p, {nn});
    sf::write_npz(core, z);
    CHECK_THAT(error_text([&] { sf::load_chip_image(d); }), Contains("profile_of"));
    // Float arrays holding 0.5, NaN, Inf or 1e10 (cast before).
    for (double bad : {0.5, std::nan(""), HUGE_VAL, 1e10}) {
        z = good;
        std::vector<double> b(size_t(nn), 0.0);
        b[1] = bad;
        z["bias_mant"] = Tensor::from<double>(b, {nn});
        sf::write_npz(core, z);
        CHECK_THAT(error_text([&] { sf::load_chip_image(d); }), Contains("bias_mant"));
    }
}

TEST_CASE("Duplicate keys in image.yaml are refused with their line", "[core][image][errors]") {
    TempDir dir;
    const std::string d = digits_image(dir);
    const std::string f = d + "/image.yaml";
    const std::string text = sf_test::read_text(f);
    sf_test::write_text(f, sf_test::edit(text, "seed: ", "seed: 5\nseed: "));
    CHECK_THAT(error_text([&] { sf::load_chip_image(d); }),
               Contains("image.yaml:") && Contains("'seed' appears twice"));
    // Also inside a core's entry and inside the chip section.
    sf_test::write_text(f, sf_test::edit(text, "    neurons: ", "    neurons: 1\n    neurons: "));
    CHECK_THAT(error_text([&] { sf::load_chip_image(d); }), Contains("appears twice"));
}

TEST_CASE("Errors in image.yaml's chip section give image.yaml's own line numbers",
          "[core][image][errors]") {
    TempDir dir;
    const std::string d = digits_image(dir);
    const std::string f = d + "/image.yaml";
    const std::string text = sf_test::read_text(f);
    const std::string edited = sf_test::edit(text, "weight_bits: 8", "weight_bits: 99");
    sf_test::write_text(f, edited);
    // The line of weight_bits in the whole file, counted from 1.
    const size_t at = edited.find("weight_bits: 99");
    const int line = 1 + int(std::count(edited.begin(), edited.begin() + long(at), '\n'));
    CHECK_THAT(error_text([&] { sf::load_chip_image(d); }),
               Contains("image.yaml:" + std::to_string(line) + " (core.weight_bits)"));
}

TEST_CASE("A refractory period beyond the chip's widest counter is refused by the network loader",
          "[core][graph][errors]") {
    // refractory: 2^30 was accepted, and validate's advice then overflowed an int
    // computing the bits it needs (and advised refractory_bits >= 31, outside 1..16).
    TempDir dir;
    fs::copy_file(sf_test::source_dir() + "/networks/digits-snn/weights.npz", dir / "weights.npz");
    fs::copy_file(regression("network_yaml", "refractory-2-30.yaml"), dir / "network.yaml");
    const std::string e = error_text([&] { sf::load_network(dir.str()); });
    CHECK_THAT(e, Contains("network.yaml:5") && Contains("[0, 65535]"));
    // 65535 loads; on sf1 (4-bit counter) validate names the width that fits.
    sf_test::write_text(dir / "network.yaml",
                        sf_test::edit(sf_test::read_text(dir / "network.yaml"), "1073741824", "65535"));
    const sf::Graph g = sf::load_network(dir.str());
    const sf_test::Caught c = sf_test::error_of([&] { sf::compile(g, sf::load_chip("sf1")); });
    CHECK_THAT(c.what, Contains("refractory_bits = 4"));
    CHECK_THAT(c.fix, Contains("refractory_bits >= 16"));
}

TEST_CASE("STDP constants too large for the chip are refused instead of wrapping",
          "[compiler][quantize][errors]") {
    // a_plus: 1e30 compiled with exit 0 into a_plus -2147483648.
    TempDir dir;
    fs::copy_file(sf_test::source_dir() + "/networks/digits-snn/weights.npz", dir / "weights.npz");
    fs::copy_file(regression("network_yaml", "stdp-a-plus-1e30.yaml"), dir / "network.yaml");
    CHECK_THAT(error_text([&] { sf::load_network(dir.str()); }),
               Contains("a_plus") && Contains("[-1e6, 1e6]"));
    // Within the format's range but beyond the chip's 8-bit weights: quantize says so.
    fs::copy_file(regression("network_yaml", "stdp-a-plus-1e6.yaml"), dir / "network.yaml",
                  fs::copy_options::overwrite_existing);
    const sf::Graph g = sf::load_network(dir.str());
    const sf_test::Caught c = sf_test::error_of([&] { sf::compile(g, sf::load_chip("sf1")); });
    CHECK_THAT(c.what, Contains("projection 'fc1'") && Contains("8-bit weights"));
    CHECK_THAT(c.fix, Contains("a_plus"));
}

TEST_CASE("Numbers beyond float32 in a network file are refused, not cast",
          "[core][graph][errors]") {
    TempDir dir;
    fs::copy_file(regression("network_yaml", "huge-float.yaml"), dir / "network.yaml");
    CHECK_THAT(error_text([&] { sf::load_network(dir.str()); }),
               Contains("network.yaml:2") && Contains("dt_ms"));
}

TEST_CASE("A key given twice in a chip section is refused", "[core][chip][errors]") {
    CHECK_THAT(error_text([] { sf::load_chip(regression("chip_yaml", "duplicate-section-key.yaml")); }),
               Contains(":3") && Contains("core.neurons"));
}
