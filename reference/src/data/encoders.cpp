// Input encoders (rate, direct, latency): pixels in [0, 1] to input spikes. Every
// encoder is a pure function of (spec, sample index, pixels), so the spikes of sample i
// are the same whether it is encoded alone or inside any batch.
#include "sf/reference/encoders.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "sf/core/error.hpp"

namespace sf {

namespace {

// splitmix64's finaliser: a cheap, well-mixed hash for deriving per-sample seeds.
uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// The seed of sample i's random stream: depends on (spec seed, global index) only.
uint64_t sample_seed(uint64_t seed, int64_t index) {
    return splitmix64(splitmix64(seed) ^ uint64_t(index));
}

// A uniform float in [0, 1) from the top 24 bits, so the comparison with p is exact
// and identical on every platform (std::uniform_real_distribution is not specified).
float uniform01(std::mt19937_64& rng) {
    return float(rng() >> 40) * (1.0f / 16777216.0f);
}

void encode_rate(const float* x, int64_t n, const EncoderSpec& spec, int64_t index,
                 SampleInput& out) {
    std::mt19937_64 rng(sample_seed(spec.seed, index));
    std::vector<float> p(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j)
        p[size_t(j)] = std::min(1.0f, std::max(0.0f, x[j] * spec.max_rate));
    for (auto& step : out.steps) {
        // One draw per pixel per step, whatever p is, so the stream position of a pixel
        // does not depend on other pixels' values.
        for (int64_t j = 0; j < n; ++j)
            if (uniform01(rng) < p[size_t(j)]) step.push_back(int32_t(j));
    }
}

void encode_direct(const float* x, int64_t n, const EncoderSpec& spec, SampleInput& out) {
    std::vector<float> acc(size_t(n), 0.0f);
    for (auto& step : out.steps) {
        for (int64_t j = 0; j < n; ++j) {
            float& a = acc[size_t(j)];
            a += x[j] * spec.gain;
            if (a >= 1.0f) {
                step.push_back(int32_t(j));
                a -= 1.0f;
            }
        }
    }
}

void encode_latency(const float* x, int64_t n, const EncoderSpec& spec, SampleInput& out) {
    const int T = int(out.steps.size());
    for (int64_t j = 0; j < n; ++j) {
        const float v = x[j];
        if (!(v > spec.min_intensity)) continue;
        // Intensities above 1 clamp to step 0; std::lround rounds halves away from zero.
        const float frac = std::max(0.0f, 1.0f - v);
        const long t = std::lround(double(frac * float(T - 1)));
        if (t >= 0 && t < T) out.steps[size_t(t)].push_back(int32_t(j));
    }
}

}  // namespace

SpikeInput encode(const Dataset& ds, const EncoderSpec& spec, int timesteps, int64_t first,
                  int64_t count) {
    if (timesteps < 1)
        throw InputError("cannot encode over " + std::to_string(timesteps) + " timesteps", "",
                         "set timesteps to 1 or more");
    if (first < 0 || count < 0 || first + count > ds.size())
        throw InputError("samples [" + std::to_string(first) + ", " +
                             std::to_string(first + count) + ") are outside data set '" + ds.name +
                             "' of " + std::to_string(ds.size()) + " samples",
                         "", "ask for at most " + std::to_string(ds.size()) + " samples");
    const int64_t n = ds.sample_size();
    if (n > INT32_MAX)
        throw InputError("samples of '" + ds.name + "' are too large to encode", "", "");
    if (spec.kind == EncoderKind::Rate && !(spec.max_rate >= 0.0f))
        throw InputError("rate encoder max_rate must be >= 0, got " + std::to_string(spec.max_rate),
                         "", "set encoder.max_rate to a probability per step, e.g. 1.0");
    if (spec.kind == EncoderKind::Direct && !(spec.gain >= 0.0f && std::isfinite(spec.gain)))
        throw InputError(
            "direct encoder gain must be finite and >= 0, got " + std::to_string(spec.gain), "",
            "set encoder.gain to e.g. 1.0");

    SpikeInput in;
    in.num_inputs = int(n);
    in.samples.resize(size_t(count));
    for (int64_t s = 0; s < count; ++s) {
        const int64_t i = first + s;
        SampleInput& out = in.samples[size_t(s)];
        out.steps.assign(size_t(timesteps), {});
        out.label = ds.labels.empty() ? -1 : ds.labels[size_t(i)];
        const float* x = ds.sample(i);
        switch (spec.kind) {
            case EncoderKind::Rate:
                encode_rate(x, n, spec, i, out);
                break;
            case EncoderKind::Direct:
                encode_direct(x, n, spec, out);
                break;
            case EncoderKind::Latency:
                encode_latency(x, n, spec, out);
                break;
        }
    }
    return in;
}

}  // namespace sf
