#include "sf/core/parallel.hpp"

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace sf {

int default_thread_count() {
    const unsigned hc = std::thread::hardware_concurrency();
    return int(std::clamp<unsigned>(hc, 1u, unsigned(kMaxThreads)));
}

int parallel_chunk_count(int64_t n, int threads) {
    if (n <= 0) return 0;
    return int(std::min<int64_t>(n, std::max(1, threads)));
}

int64_t chunk_begin(int64_t n, int chunks, int c) {
    if (chunks <= 0) return 0;
    const int64_t base = n / chunks, rem = n % chunks;
    return int64_t(c) * base + std::min<int64_t>(c, rem);
}

void parallel_chunks(int64_t n, int threads,
                     const std::function<void(int chunk, int64_t begin, int64_t end)>& fn) {
    const int chunks = parallel_chunk_count(n, threads);
    if (chunks == 0) return;
    if (chunks == 1) {
        fn(0, 0, n);
        return;
    }
    std::vector<std::exception_ptr> err(static_cast<size_t>(chunks));
    auto body = [&](int c) {
        try {
            fn(c, chunk_begin(n, chunks, c), chunk_begin(n, chunks, c + 1));
        } catch (...) {
            err[size_t(c)] = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(size_t(chunks - 1));
    try {
        for (int c = 1; c < chunks; ++c) pool.emplace_back(body, c);
    } catch (...) {
        // Could not start a thread: run the rest here, in order.
        for (int c = int(pool.size()) + 1; c < chunks; ++c) body(c);
    }
    body(0);
    for (std::thread& t : pool) t.join();
    for (const std::exception_ptr& e : err)
        if (e) std::rethrow_exception(e);
}

}  // namespace sf
