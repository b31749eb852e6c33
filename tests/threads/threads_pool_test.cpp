// sf::parallel_chunks's thread pool: chunks really run side by side, calls nested in a
// chunk or made from two threads at once finish with every item done once, thousands of
// calls in a row lose no work, and a child of fork() (which has none of the pool's
// threads) still gets its work done instead of waiting forever.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <numeric>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "sf/core/parallel.hpp"

namespace {

// Sum of i over [0, n), computed by parallel_chunks with per-chunk partials.
int64_t chunked_sum(int64_t n, int threads) {
    std::vector<int64_t> part(size_t(sf::parallel_chunk_count(n, threads)), 0);
    sf::parallel_chunks(n, threads, [&](int c, int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) part[size_t(c)] += i;
    });
    return std::accumulate(part.begin(), part.end(), int64_t(0));
}

int64_t expected_sum(int64_t n) { return n * (n - 1) / 2; }

}  // namespace

TEST_CASE("Two chunks run at the same time on two threads", "[threads][core]") {
    // Each chunk waits (up to 20 s) until both have started: run one after the other on a
    // single thread, the first would time out.
    std::atomic<int> started{0};
    std::atomic<int> timed_out{0};
    sf::parallel_chunks(2, 2, [&](int, int64_t, int64_t) {
        started.fetch_add(1);
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (started.load() < 2)
            if (std::chrono::steady_clock::now() > until) {
                timed_out.fetch_add(1);
                return;
            }
    });
    CHECK(started.load() == 2);
    CHECK(timed_out.load() == 0);
}

TEST_CASE("Thousands of calls in a row lose no work", "[threads][core]") {
    int bad = 0;
    for (int call = 0; call < 5000; ++call) {
        const int64_t n = 1 + call % 37;
        const int threads = 1 + call % 4;
        if (chunked_sum(n, threads) != expected_sum(n)) ++bad;
    }
    CHECK(bad == 0);
}

TEST_CASE("A call nested in a chunk runs its chunks and returns", "[threads][core]") {
    std::vector<int64_t> inner(4, -1);
    sf::parallel_chunks(4, 4, [&](int c, int64_t, int64_t) {
        inner[size_t(c)] = chunked_sum(1000, 3);
    });
    for (int64_t v : inner) CHECK(v == expected_sum(1000));
}

TEST_CASE("Two threads calling at once both get their work done", "[threads][core]") {
    std::atomic<int> bad{0};
    auto caller = [&](int threads) {
        for (int call = 0; call < 2000; ++call)
            if (chunked_sum(100 + call % 50, threads) != expected_sum(100 + call % 50)) ++bad;
    };
    std::thread a(caller, 2), b(caller, 3);
    a.join();
    b.join();
    CHECK(bad.load() == 0);
}

TEST_CASE("A child of fork() runs parallel_chunks without the parent's threads",
          "[threads][core]") {
    REQUIRE(chunked_sum(64, 2) == expected_sum(64));  // the pool has a worker now
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        alarm(20);  // a hang ends as SIGALRM, which the parent reports
        const bool ok = chunked_sum(5000, 4) == expected_sum(5000);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    INFO("child status " << status);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
