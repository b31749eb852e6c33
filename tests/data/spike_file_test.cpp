// Spike files (.npz with events, shape, num_inputs, labels): round trips and the errors
// that malformed files must raise.
#include <catch2/catch.hpp>
#include <fstream>

#include "data_test_util.hpp"
#include "sf/core/error.hpp"
#include "sf/core/tensor.hpp"
#include "sf/reference/encoders.hpp"

using namespace sf;
using sf_test::TempDir;

namespace {

SpikeInput small_input(bool labels) {
    SpikeInput in;
    in.num_inputs = 5;
    in.samples.resize(3);
    for (auto& s : in.samples) s.steps.assign(4, {});
    in.samples[0].steps[0] = {0, 4};
    in.samples[0].steps[3] = {2};
    in.samples[2].steps[1] = {1, 2, 3};
    if (labels) {
        in.samples[0].label = 7;
        in.samples[1].label = 0;
        in.samples[2].label = 3;
    }
    return in;
}

void check_equal(const SpikeInput& a, const SpikeInput& b) {
    REQUIRE(a.num_inputs == b.num_inputs);
    REQUIRE(a.samples.size() == b.samples.size());
    for (size_t s = 0; s < a.samples.size(); ++s) {
        CHECK(a.samples[s].steps == b.samples[s].steps);
        CHECK(a.samples[s].label == b.samples[s].label);
    }
}

// Standard, valid arrays that each malformed-file case then breaks one way.
std::map<std::string, Tensor> valid_arrays() {
    return {{"events", Tensor::from<int32_t>({0, 0, 1, 1, 2, 4}, {2, 3})},
            {"shape", Tensor::from<int64_t>({2, 3}, {2})},
            {"num_inputs", Tensor::from<int64_t>({5}, {})},
            {"labels", Tensor::from<int32_t>({1, 2}, {2})}};
}

}  // namespace

TEST_CASE("spike files round trip with and without labels", "[data][spikefile]") {
    TempDir dir;
    for (bool labels : {true, false}) {
        const std::string path = dir.file(labels ? "with.npz" : "without.npz");
        const SpikeInput in = small_input(labels);
        write_spike_file(path, in);
        check_equal(read_spike_file(path), in);
        const auto arrays = read_npz(path);
        CHECK(arrays.count("labels") == (labels ? 1u : 0u));
        CHECK(arrays.at("events").dtype == DType::I32);
        CHECK(arrays.at("events").shape == std::vector<int64_t>{6, 3});
        CHECK(arrays.at("shape").to<int64_t>() == std::vector<int64_t>{3, 4});
        CHECK(arrays.at("num_inputs").shape.empty());
        CHECK(arrays.at("num_inputs").to<int64_t>() == std::vector<int64_t>{5});
    }
}

TEST_CASE("reading a spike file sorts each step's inputs and accepts int64 arrays",
          "[data][spikefile]") {
    TempDir dir;
    auto arrays = valid_arrays();
    // Unsorted events, as int64, as a numpy user might write them.
    arrays["events"] = Tensor::from<int64_t>({1, 2, 4, 0, 0, 3, 0, 0, 1}, {3, 3});
    write_npz(dir.file("s.npz"), arrays);
    const SpikeInput in = read_spike_file(dir.file("s.npz"));
    REQUIRE(in.samples.size() == 2);
    CHECK(in.samples[0].steps[0] == std::vector<int32_t>{1, 3});
    CHECK(in.samples[1].steps[2] == std::vector<int32_t>{4});
    CHECK(in.samples[1].label == 2);
    CHECK(in.samples[0].steps[1].empty());
}

TEST_CASE("a spike file with no events reads as silent samples", "[data][spikefile]") {
    TempDir dir;
    auto arrays = valid_arrays();
    arrays["events"] = Tensor::from<int32_t>({}, {0, 3});
    write_npz(dir.file("e.npz"), arrays);
    const SpikeInput in = read_spike_file(dir.file("e.npz"));
    REQUIRE(in.samples.size() == 2);
    CHECK(in.samples[1].steps.size() == 3);
    CHECK(in.samples[1].steps[2].empty());
}

TEST_CASE("malformed spike files raise InputError saying what is wrong", "[data][spikefile]") {
    TempDir dir;
    const std::string path = dir.file("bad.npz");
    auto arrays = valid_arrays();
    std::string expect;
    SECTION("events missing") {
        arrays.erase("events");
        expect = "'events' is missing";
    }
    SECTION("events with two columns") {
        arrays["events"] = Tensor::from<int32_t>({0, 0, 1, 1}, {2, 2});
        expect = "[n, 3]";
    }
    SECTION("events as floats") {
        arrays["events"] = Tensor::from<float>({0, 0, 1}, {1, 3});
        expect = "must hold integers";
    }
    SECTION("a sample index out of range") {
        arrays["events"] = Tensor::from<int32_t>({2, 0, 1}, {1, 3});
        expect = "sample outside";
    }
    SECTION("a step out of range") {
        arrays["events"] = Tensor::from<int32_t>({0, 3, 1}, {1, 3});
        expect = "step outside";
    }
    SECTION("a negative input index") {
        arrays["events"] = Tensor::from<int32_t>({0, 0, -1}, {1, 3});
        expect = "input index outside";
    }
    SECTION("an input index beyond num_inputs") {
        arrays["events"] = Tensor::from<int32_t>({0, 0, 5}, {1, 3});
        expect = "input index outside";
    }
    SECTION("the same input twice in one step") {
        arrays["events"] = Tensor::from<int32_t>({0, 0, 1, 0, 0, 1}, {2, 3});
        expect = "spikes twice";
    }
    SECTION("shape of the wrong size") {
        arrays["shape"] = Tensor::from<int64_t>({2, 3, 1}, {3});
        expect = "'shape' must have shape [2]";
    }
    SECTION("zero steps") {
        arrays["shape"] = Tensor::from<int64_t>({2, 0}, {2});
        expect = "out of range";
    }
    SECTION("num_inputs as a vector") {
        arrays["num_inputs"] = Tensor::from<int64_t>({5, 5}, {2});
        expect = "must be a scalar";
    }
    SECTION("labels of the wrong length") {
        arrays["labels"] = Tensor::from<int32_t>({1, 2, 3}, {3});
        expect = "'labels' must have shape [2]";
    }
    SECTION("an unknown array") {
        arrays["spikes"] = Tensor::from<int32_t>({1}, {1});
        expect = "unknown array 'spikes'";
    }
    write_npz(path, arrays);
    try {
        read_spike_file(path);
        FAIL("expected InputError");
    } catch (const InputError& e) {
        CHECK_THAT(e.problem(), Catch::Contains(expect));
        CHECK_THAT(e.problem(), Catch::Contains(path));
        CHECK_THAT(e.fix(), Catch::Contains("Spike files"));
    }
}

TEST_CASE("a spike file that is not an npz archive raises InputError", "[data][spikefile]") {
    TempDir dir;
    const std::string path = dir.file("text.npz");
    std::ofstream(path) << "these are not spikes";
    CHECK_THROWS_AS(read_spike_file(path), InputError);
    CHECK_THROWS_AS(read_spike_file(dir.file("absent.npz")), InputError);
}

TEST_CASE("writing a spike file rejects out-of-range and repeated input indices",
          "[data][spikefile]") {
    TempDir dir;
    SpikeInput in = small_input(false);
    in.samples[1].steps[2] = {5};
    CHECK_THROWS_AS(write_spike_file(dir.file("w.npz"), in), InputError);
    in.samples[1].steps[2] = {1, 1};
    CHECK_THROWS_AS(write_spike_file(dir.file("w.npz"), in), InputError);
    in.num_inputs = 0;
    CHECK_THROWS_AS(write_spike_file(dir.file("w.npz"), in), InputError);
}
