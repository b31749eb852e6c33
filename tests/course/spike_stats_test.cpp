// Spike-train statistics and information estimates on synthetic cases with known answers.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "sf/core/error.hpp"
#include "sf/reference/spike_stats.hpp"

using namespace sf;

TEST_CASE("A regular spike train has ISI CV 0 and a Poisson train has CV near 1",
          "[course][stats]") {
    std::vector<double> reg;
    for (int i = 1; i <= 50; ++i) reg.push_back(10.0 * i);
    CHECK(isi_cv(reg) == Approx(0.0).margin(1e-12));
    CHECK(firing_rate_hz(reg, 500.0) == Approx(100.0));
    std::mt19937_64 rng(9);
    std::exponential_distribution<double> ex(1.0 / 20.0);  // 50 Hz
    std::vector<double> poisson;
    double t = 0;
    for (int i = 0; i < 4000; ++i) poisson.push_back(t += ex(rng));
    CHECK(isi_cv(poisson) == Approx(1.0).margin(0.05));
    CHECK(firing_rate_hz(poisson, t) == Approx(50.0).epsilon(0.05));
    CHECK_THROWS_WITH(isi_cv({1.0, 2.0}), Catch::Matchers::Contains("at least 3 spikes"));
}

TEST_CASE("Spike-count entropy of a uniform variable over 4 values is 2 bits",
          "[course][stats]") {
    std::vector<int> v;
    for (int i = 0; i < 400; ++i) v.push_back(i % 4);
    CHECK(entropy_bits(v) == Approx(2.0));
    CHECK(entropy_bits(std::vector<int>(10, 3)) == Approx(0.0));
    // Miller-Madow adds (m - 1) / (2 N ln 2).
    CHECK(entropy_bits(v, true) == Approx(2.0 + 3.0 / (800.0 * std::log(2.0))));
}

TEST_CASE("Mutual information: counts that name the class carry log2(K) bits",
          "[course][stats]") {
    std::vector<int> s, r;
    for (int i = 0; i < 800; ++i) {
        s.push_back(i % 8);
        r.push_back(3 * (i % 8) + 1);
    }
    CHECK(mutual_information_bits(s, r) == Approx(3.0));
    // The correction [sum_s (R_s - 1) - (R - 1)] / (2 N ln 2) = (0 - 7) / (1600 ln 2) is
    // negative here, so the corrected estimate is 3 + 7 / (1600 ln 2), by hand.
    CHECK(mutual_information_bits(s, r, true) == Approx(3.0 + 7.0 / (1600.0 * std::log(2.0))));
}

TEST_CASE("Mutual information of independent counts: the bias correction removes most of "
          "the plug-in bias",
          "[course][stats]") {
    // True I = 0. The plug-in estimate is biased upwards by about (K-1)(R-1) / (2 N ln 2).
    std::mt19937_64 rng(4);
    std::poisson_distribution<int> pois(3.0);
    double plugin = 0, corrected = 0;
    const int reps = 20;
    for (int k = 0; k < reps; ++k) {
        std::vector<int> s, r;
        for (int i = 0; i < 200; ++i) {
            s.push_back(i % 4);
            r.push_back(pois(rng));
        }
        plugin += mutual_information_bits(s, r) / reps;
        corrected += mutual_information_bits(s, r, true) / reps;
    }
    INFO("plug-in " << plugin << " bits, corrected " << corrected << " bits");
    CHECK(plugin > 0.04);
    CHECK(corrected < 0.35 * plugin);
}

TEST_CASE("Mutual information of a noisy channel matches the analytic value", "[course][stats]") {
    // Binary symmetric channel, equiprobable input, flip probability 0.1:
    // I = 1 - H(0.1) = 1 - 0.469 = 0.531 bits.
    std::mt19937_64 rng(2);
    std::bernoulli_distribution flip(0.1);
    std::vector<int> s, r;
    for (int i = 0; i < 40000; ++i) {
        s.push_back(i % 2);
        r.push_back(flip(rng) ? 1 - i % 2 : i % 2);
    }
    const double h = -(0.1 * std::log2(0.1) + 0.9 * std::log2(0.9));
    CHECK(mutual_information_bits(s, r, true) == Approx(1.0 - h).margin(0.01));
}

TEST_CASE("A tuning curve averages the response per stimulus class", "[course][stats]") {
    const std::vector<int> s{0, 0, 1, 1, 2};
    const std::vector<double> r{1.0, 3.0, 5.0, 5.0, 7.0};
    const TuningCurve tc = tuning_curve(s, r, 4);
    CHECK(tc.mean[0] == Approx(2.0));
    CHECK(tc.sem[0] == Approx(1.0));  // std sqrt(2) / sqrt(2)
    CHECK(tc.mean[1] == Approx(5.0));
    CHECK(tc.sem[1] == Approx(0.0));
    CHECK(std::isnan(tc.mean[3]));
    CHECK_THROWS_WITH(tuning_curve({5}, {1.0}, 4), Catch::Matchers::Contains("outside"));
    CHECK_THROWS_WITH(mutual_information_bits({1, 2}, {1}), Catch::Matchers::Contains("responses"));
}
