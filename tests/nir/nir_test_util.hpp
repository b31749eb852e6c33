// Helpers of the NIR tests: fixture paths, importing with the default discretization,
// comparing graphs field by field, and seeded random input spikes.
#pragma once

#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "sf/core/graph.hpp"
#include "sf/core/run_result.hpp"
#include "sf/nir/nir_import.hpp"
#include "sf_test_util.hpp"

namespace nir_test {

inline std::string fixture(const std::string& name) {
    return std::string(SF_SOURCE_DIR) + "/tests/nir/fixtures/" + name;
}

inline sf::nir::ImportResult import_fixture(const std::string& name,
                                            sf::nir::ImportOptions opt = {}) {
    return sf::nir::import_nir(fixture(name), opt);
}

inline const sf::Projection& projection(const sf::Graph& g, const std::string& name) {
    for (const auto& p : g.projections)
        if (p.name == name) return p;
    FAIL("no projection '" << name << "'");
    throw 0;
}

inline std::vector<float> values(const sf::Tensor& t) {
    return t.to<float>();
}

// Every field that changes what a network computes, compared exactly.
inline void require_same_graph(const sf::Graph& a, const sf::Graph& b) {
    REQUIRE(a.populations.size() == b.populations.size());
    REQUIRE(a.projections.size() == b.projections.size());
    CHECK(a.dt_ms == b.dt_ms);
    for (std::size_t i = 0; i < a.populations.size(); ++i) {
        const sf::Population &p = a.populations[i], &q = b.populations[i];
        INFO("population " << p.name);
        CHECK(p.name == q.name);
        CHECK(p.kind == q.kind);
        CHECK(p.shape == q.shape);
        CHECK(p.output == q.output);
        CHECK(p.params.decay_u == q.params.decay_u);
        CHECK(p.params.decay_v == q.params.decay_v);
        CHECK(p.params.threshold == q.params.threshold);
        CHECK(p.params.reset == q.params.reset);
        CHECK(p.params.refractory_steps == q.params.refractory_steps);
        CHECK(p.params.bias == q.params.bias);
        CHECK(bool(p.bias) == bool(q.bias));
        if (p.bias && q.bias) CHECK(values(*p.bias) == values(*q.bias));
    }
    for (std::size_t i = 0; i < a.projections.size(); ++i) {
        const sf::Projection &p = a.projections[i], &q = b.projections[i];
        INFO("projection " << p.name);
        CHECK(p.name == q.name);
        CHECK(p.kind == q.kind);
        CHECK(p.pre == q.pre);
        CHECK(p.post == q.post);
        CHECK(p.weights.shape == q.weights.shape);
        if (!p.weights.bytes.empty() && !q.weights.bytes.empty())
            CHECK(values(p.weights) == values(q.weights));
        CHECK(p.kernel == q.kernel);
        CHECK(p.stride == q.stride);
        CHECK(p.padding == q.padding);
        CHECK(p.scale == q.scale);
        CHECK(p.delay == q.delay);
    }
}

// Bernoulli input spikes with probability p per input and step, from a fixed seed.
inline sf::SpikeInput random_input(int num_inputs, int samples, int steps, double p,
                                   unsigned seed) {
    std::mt19937 rng(seed);
    std::bernoulli_distribution on(p);
    sf::SpikeInput in;
    in.num_inputs = num_inputs;
    for (int s = 0; s < samples; ++s) {
        sf::SampleInput si;
        si.steps.resize(std::size_t(steps));
        for (int t = 0; t < steps; ++t)
            for (int i = 0; i < num_inputs; ++i)
                if (on(rng)) si.steps[std::size_t(t)].push_back(i);
        in.samples.push_back(std::move(si));
    }
    return in;
}

// A spike input with the given (step, input) events for one sample.
inline sf::SpikeInput spikes(int num_inputs, int steps,
                             const std::vector<std::pair<int, int>>& events) {
    sf::SpikeInput in;
    in.num_inputs = num_inputs;
    sf::SampleInput si;
    si.steps.resize(std::size_t(steps));
    for (auto [t, i] : events) si.steps[std::size_t(t)].push_back(i);
    in.samples.push_back(si);
    return in;
}

}  // namespace nir_test
