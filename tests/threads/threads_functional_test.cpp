// The functional emulator over samples on 1, 2 and 4 threads gives bit-identical
// RunResults (spikes, rasters, traces, counters, final state), and runs that carry state
// from sample to sample (learning, no reset) stay serial.
#include <catch2/catch.hpp>

#include "../functional/functional_test_util.hpp"
#include "sf/core/parallel.hpp"
#include "sf/functional/functional.hpp"

using sf_test::diff_results;
using sf_test::random_image;
using sf_test::random_input;

TEST_CASE("Contiguous chunks cover every item once, in order", "[threads][core]") {
    for (int64_t n : {0, 1, 2, 3, 7, 64, 1000})
        for (int threads : {1, 2, 3, 4, 16}) {
            const int chunks = sf::parallel_chunk_count(n, threads);
            std::vector<int> seen(size_t(n), 0);
            std::vector<int64_t> begins(size_t(chunks), -1);
            sf::parallel_chunks(n, threads, [&](int c, int64_t b, int64_t e) {
                begins[size_t(c)] = b;
                for (int64_t i = b; i < e; ++i) ++seen[size_t(i)];
            });
            for (int v : seen) CHECK(v == 1);
            for (int c = 0; c < chunks; ++c)
                CHECK(begins[size_t(c)] == sf::chunk_begin(n, chunks, c));
        }
}

TEST_CASE("A failing chunk's error reaches the caller, the lowest chunk's first",
          "[threads][core]") {
    try {
        sf::parallel_chunks(8, 4, [](int c, int64_t, int64_t) {
            if (c >= 1) throw std::runtime_error("chunk " + std::to_string(c));
        });
        FAIL("no exception");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) == "chunk 1");
    }
}

TEST_CASE("The functional emulator gives bit-identical results on 1, 2 and 4 threads",
          "[threads][functional]") {
    int spiking = 0;
    for (uint64_t seed = 1; seed <= 8; ++seed) {
        sf::ChipImage img = random_image(seed);
        for (auto& c : img.cores) c.learning.enabled = false;  // samples independent
        const sf::SpikeInput in = random_input(img, seed * 17, 9, 20, 0.4);
        sf::RunOptions opt;
        opt.steps = 20;
        opt.record = sf::RecordSpikes | sf::RecordU | sf::RecordV | sf::RecordWeights;
        opt.threads = 1;
        const sf::RunResult base = sf::run_functional(img, in, opt);
        CHECK(base.threads == 1);
        spiking += base.counters.spikes > 0 ? 1 : 0;
        for (int threads : {2, 4}) {
            INFO("image seed " << seed << ", threads " << threads);
            opt.threads = threads;
            int64_t last = 0;
            bool monotonic = true;
            const sf::RunResult r = sf::run_functional(img, in, opt, [&](int64_t done, int64_t) {
                monotonic = monotonic && done == last + 1;
                last = done;
            });
            CHECK(r.threads == threads);
            CHECK(diff_results(base, r) == "");
            CHECK(r.state_wraps == base.state_wraps);
            CHECK(r.final_refractory == base.final_refractory);
            CHECK(r.accuracy() == base.accuracy());
            CHECK(monotonic);
            CHECK(last == 9);
        }
    }
    CHECK(spiking >= 6);
}

TEST_CASE("Learning or no reset between samples keeps the functional run serial",
          "[threads][functional]") {
    for (uint64_t seed = 1; seed <= 8; ++seed) {
        const sf::ChipImage img = random_image(seed);
        bool learns = false;
        for (const auto& c : img.cores)
            learns = learns || (c.learning.enabled && !c.plastic.empty());
        const sf::SpikeInput in = random_input(img, seed * 5, 5, 15, 0.4);
        sf::RunOptions opt;
        opt.steps = 15;
        opt.record = sf::RecordSpikes;
        opt.threads = 1;
        const sf::RunResult base = sf::run_functional(img, in, opt);
        opt.threads = 4;
        const sf::RunResult r = sf::run_functional(img, in, opt);
        CHECK(diff_results(base, r) == "");
        CHECK(r.threads == (learns ? 1 : 4));

        opt.reset_between_samples = false;
        opt.threads = 1;
        const sf::RunResult keep1 = sf::run_functional(img, in, opt);
        opt.threads = 4;
        const sf::RunResult keep4 = sf::run_functional(img, in, opt);
        CHECK(diff_results(keep1, keep4) == "");
        CHECK(keep4.threads == 1);
    }
}

TEST_CASE("More threads than samples, and no samples, still work", "[threads][functional]") {
    sf::ChipImage img = random_image(3);
    for (auto& c : img.cores) c.learning.enabled = false;
    sf::RunOptions opt;
    opt.steps = 10;
    opt.threads = 1;
    const sf::SpikeInput two = random_input(img, 3, 2, 10, 0.5);
    const sf::RunResult a = sf::run_functional(img, two, opt);
    opt.threads = 8;
    const sf::RunResult b = sf::run_functional(img, two, opt);
    CHECK(diff_results(a, b) == "");
    CHECK(b.threads == 2);
    sf::SpikeInput none = two;
    none.samples.clear();
    const sf::RunResult c = sf::run_functional(img, none, opt);
    CHECK(c.samples.empty());
    CHECK(c.threads == 1);
}
