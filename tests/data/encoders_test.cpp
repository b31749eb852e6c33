// Encoders: rate statistics, determinism and batching independence; exact spike counts
// of the direct encoder and exact spike times of the latency encoder.
#include <catch2/catch.hpp>
#include <cmath>

#include "sf/core/error.hpp"
#include "sf/reference/encoders.hpp"

using namespace sf;

namespace {

// A data set of `n` samples with the given pixels (the same for every sample).
Dataset constant_set(const std::vector<float>& pixels, int64_t n, std::vector<int64_t> shape = {}) {
    Dataset ds;
    ds.name = "synthetic";
    ds.sample_shape = shape.empty() ? std::vector<int64_t>{int64_t(pixels.size())} : shape;
    for (int64_t i = 0; i < n; ++i) {
        ds.images.insert(ds.images.end(), pixels.begin(), pixels.end());
        ds.labels.push_back(int32_t(i % 10));
    }
    return ds;
}

int64_t count_spikes(const SampleInput& s) {
    int64_t n = 0;
    for (const auto& step : s.steps) n += int64_t(step.size());
    return n;
}

// Steps at which input j spikes.
std::vector<int> spike_times(const SampleInput& s, int32_t j) {
    std::vector<int> t;
    for (size_t k = 0; k < s.steps.size(); ++k)
        for (int32_t i : s.steps[k])
            if (i == j) t.push_back(int(k));
    return t;
}

EncoderSpec spec_of(EncoderKind kind) {
    EncoderSpec s;
    s.kind = kind;
    return s;
}

}  // namespace

TEST_CASE("rate encoding fires with probability intensity * max_rate per step",
          "[data][encoders]") {
    // 1000 pixels at 0.3 over 200 steps: 200,000 Bernoulli draws; the standard deviation of
    // the count is sqrt(n p (1-p)) ~ 205 at p = 0.3, so 1% (~3 sigma) is a safe tolerance.
    const Dataset ds = constant_set(std::vector<float>(1000, 0.3f), 1);
    EncoderSpec spec = spec_of(EncoderKind::Rate);
    spec.seed = 42;
    const SpikeInput a = encode(ds, spec, 200, 0, 1);
    REQUIRE(a.num_inputs == 1000);
    REQUIRE(a.samples.size() == 1);
    REQUIRE(a.samples[0].steps.size() == 200);
    CHECK(double(count_spikes(a.samples[0])) == Approx(0.3 * 200000).epsilon(0.01));

    spec.max_rate = 0.5f;  // p = 0.15
    CHECK(double(count_spikes(encode(ds, spec, 200, 0, 1).samples[0])) ==
          Approx(0.15 * 200000).epsilon(0.015));

    spec.max_rate = 5.0f;  // p clamps to 1: every pixel every step
    CHECK(count_spikes(encode(ds, spec, 20, 0, 1).samples[0]) == 20 * 1000);

    const Dataset dark = constant_set(std::vector<float>(100, 0.0f), 1);
    CHECK(count_spikes(encode(dark, spec, 50, 0, 1).samples[0]) == 0);
}

TEST_CASE("rate encoding is deterministic for a seed and independent of batching",
          "[data][encoders]") {
    std::vector<float> px(64);
    for (size_t i = 0; i < px.size(); ++i) px[i] = float(i) / 64.0f;
    const Dataset ds = constant_set(px, 12);
    EncoderSpec spec = spec_of(EncoderKind::Rate);
    spec.seed = 7;
    const SpikeInput all = encode(ds, spec, 30, 0, 12);
    const SpikeInput again = encode(ds, spec, 30, 0, 12);
    for (size_t s = 0; s < 12; ++s) CHECK(all.samples[s].steps == again.samples[s].steps);

    // Same pixels but a different sample index gives a different stream.
    CHECK(all.samples[0].steps != all.samples[1].steps);

    const SpikeInput part = encode(ds, spec, 30, 5, 4);
    REQUIRE(part.samples.size() == 4);
    for (size_t k = 0; k < 4; ++k) {
        CHECK(part.samples[k].steps == all.samples[5 + k].steps);
        CHECK(part.samples[k].label == ds.labels[5 + k]);
    }

    spec.seed = 8;
    CHECK(encode(ds, spec, 30, 0, 1).samples[0].steps != all.samples[0].steps);
}

TEST_CASE("direct encoding integrates intensity * gain and spikes at 1 exactly",
          "[data][encoders]") {
    // Pixels chosen as binary fractions so float accumulation is exact.
    const Dataset ds = constant_set({0.25f, 0.5f, 1.0f, 0.0f, 0.75f}, 1);
    EncoderSpec spec = spec_of(EncoderKind::Direct);
    const SpikeInput in = encode(ds, spec, 8, 0, 1);
    const SampleInput& s = in.samples[0];
    CHECK(spike_times(s, 0) == std::vector<int>{3, 7});
    CHECK(spike_times(s, 1) == std::vector<int>{1, 3, 5, 7});
    CHECK(spike_times(s, 2) == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
    CHECK(spike_times(s, 3).empty());
    // 0.75: acc 0.75, 1.5 -> spike (0.5), 1.25 -> spike (0.25), 1.0 -> spike (0), 0.75, ...
    CHECK(spike_times(s, 4) == std::vector<int>{1, 2, 3, 5, 6, 7});

    spec.gain = 2.0f;  // 0.25 * 2 = 0.5 per step
    CHECK(spike_times(encode(ds, spec, 8, 0, 1).samples[0], 0) == std::vector<int>{1, 3, 5, 7});
    // Deterministic and sample independent: no randomness at all.
    const SpikeInput twice =
        encode(constant_set({0.25f, 0.5f, 1.0f, 0.0f, 0.75f}, 3), spec, 8, 2, 1);
    CHECK(twice.samples[0].steps == encode(ds, spec, 8, 0, 1).samples[0].steps);
}

TEST_CASE("latency encoding fires once at round((1 - intensity) * (T - 1))", "[data][encoders]") {
    const Dataset ds = constant_set({1.0f, 0.5f, 0.0f, 0.1f, 0.75f, 0.25f, 0.3f}, 1);
    EncoderSpec spec = spec_of(EncoderKind::Latency);
    spec.min_intensity = 0.2f;
    const SampleInput s = encode(ds, spec, 11, 0, 1).samples[0];
    CHECK(spike_times(s, 0) == std::vector<int>{0});
    CHECK(spike_times(s, 1) == std::vector<int>{5});
    CHECK(spike_times(s, 2).empty());                 // zero never fires
    CHECK(spike_times(s, 3).empty());                 // below min_intensity
    CHECK(spike_times(s, 4) == std::vector<int>{3});  // 2.5 rounds away from zero
    CHECK(spike_times(s, 5) == std::vector<int>{8});  // 7.5 rounds away from zero
    CHECK(spike_times(s, 6) == std::vector<int>{7});  // 0.7 * 10 = 7
    CHECK(count_spikes(s) == 5);

    // With min_intensity 0 every positive pixel fires once; T = 1 puts them all at step 0.
    spec.min_intensity = 0.0f;
    const SampleInput one = encode(ds, spec, 1, 0, 1).samples[0];
    CHECK(one.steps[0] == std::vector<int32_t>{0, 1, 3, 4, 5, 6});
}

TEST_CASE("encoder input indices are flat C, H, W pixel indices", "[data][encoders]") {
    std::vector<float> px(2 * 3 * 4, 0.0f);
    px[(1 * 3 + 2) * 4 + 1] = 1.0f;  // channel 1, row 2, column 1
    const Dataset ds = constant_set(px, 1, {2, 3, 4});
    const SpikeInput in = encode(ds, spec_of(EncoderKind::Latency), 4, 0, 1);
    CHECK(in.num_inputs == 24);
    CHECK(in.samples[0].steps[0] == std::vector<int32_t>{21});
}

TEST_CASE("encoding rejects sample ranges outside the data set and zero timesteps",
          "[data][encoders]") {
    const Dataset ds = constant_set({0.5f}, 3);
    CHECK_THROWS_AS(encode(ds, spec_of(EncoderKind::Rate), 10, 2, 2), InputError);
    CHECK_THROWS_AS(encode(ds, spec_of(EncoderKind::Rate), 10, -1, 1), InputError);
    CHECK_THROWS_AS(encode(ds, spec_of(EncoderKind::Rate), 0, 0, 1), InputError);
    CHECK(encode(ds, spec_of(EncoderKind::Rate), 10, 3, 0).samples.empty());
}
