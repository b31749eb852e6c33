#include "sf/core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SF_CPU_RELAX() _mm_pause()
#else
#define SF_CPU_RELAX() std::this_thread::yield()
#endif

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

namespace {

using ChunkFn = std::function<void(int, int64_t, int64_t)>;

// One parallel_chunks call. Threads take chunk numbers from `next`; which thread runs a
// chunk does not matter, because a chunk's range depends on its number only. The caller
// keeps the job alive until `done` reaches `chunks`; a worker that comes late still holds
// its own shared_ptr, so the counters it touches stay valid after the caller returns (it
// finds no chunk left and never calls fn).
struct Job {
    const ChunkFn* fn = nullptr;
    int64_t n = 0;
    int chunks = 0;
    int helpers = 0;  // workers 0..helpers-1 join this job
    std::atomic<int> next{0};
    std::atomic<int> done{0};
    std::vector<std::exception_ptr> err;
};

thread_local bool t_inside_chunk = false;

void run_chunks(Job& job) {
    const bool was_inside = t_inside_chunk;
    t_inside_chunk = true;
    for (int c; (c = job.next.fetch_add(1, std::memory_order_relaxed)) < job.chunks;) {
        try {
            (*job.fn)(c, chunk_begin(job.n, job.chunks, c), chunk_begin(job.n, job.chunks, c + 1));
        } catch (...) {
            job.err[size_t(c)] = std::current_exception();
        }
        job.done.fetch_add(1, std::memory_order_acq_rel);
    }
    t_inside_chunk = was_inside;
}

// Workers are started on first need and kept, parked, for the rest of the process. Between
// jobs a worker spins for a short while before it sleeps, because training calls
// parallel_chunks hundreds of times a second and a sleep/wake round trip costs 10-20 us; it
// spins only while the pool has no more threads than the machine has cores.
class Pool {
public:
    // Never destroyed: workers may still be parked when the process exits, and a child of
    // fork() must not try to join threads it does not have.
    static Pool& instance() {
        static Pool* pool = new Pool;
        return *pool;
    }

    // Runs the job on the calling thread and up to job.helpers workers; returns when every
    // chunk is done.
    void run(const std::shared_ptr<Job>& job) {
        std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
        // Work alone when another thread is using the pool, or in a child of fork(), which
        // inherits the pool's bookkeeping but none of its threads.
        if (!busy.owns_lock() || getpid() != owner_) {
            run_chunks(*job);
            return;
        }
        job->helpers = grow(job->chunks - 1);
        if (job->helpers > 0) {
            {
                std::lock_guard<std::mutex> lk(m_);
                current_ = job;
                generation_.fetch_add(1, std::memory_order_release);
            }
            work_cv_.notify_all();
        }
        run_chunks(*job);
        wait_done(*job);
        if (job->helpers > 0) {
            std::lock_guard<std::mutex> lk(m_);
            current_.reset();
        }
    }

private:
    static constexpr auto kSpin = std::chrono::microseconds(300);

    // Starts workers until there are `want` (or thread creation fails); returns how many
    // take part, at most want.
    int grow(int want) {
        if (int(workers_.size()) < want) {
            while (int(workers_.size()) < want) {
                try {
                    const int id = int(workers_.size());
                    workers_.emplace_back([this, id] { worker(id); });
                } catch (...) {
                    break;
                }
            }
            spin_.store(workers_.size() + 1 <= cores_, std::memory_order_relaxed);
        }
        return std::min(want, int(workers_.size()));
    }

    template <class Ready>
    bool spin_until(Ready ready) const {
        if (!spin_.load(std::memory_order_relaxed)) return ready();
        const auto until = std::chrono::steady_clock::now() + kSpin;
        for (int i = 0;; ++i) {
            if (ready()) return true;
            SF_CPU_RELAX();
            if ((i & 63) == 63 && std::chrono::steady_clock::now() > until) return false;
        }
    }

    void wait_done(Job& job) {
        auto finished = [&] { return job.done.load(std::memory_order_acquire) == job.chunks; };
        if (spin_until(finished)) return;
        std::unique_lock<std::mutex> lk(m_);
        done_cv_.wait(lk, finished);
    }

    void worker(int id) {
        uint64_t seen = 0;
        for (;;) {
            spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; });
            std::shared_ptr<Job> job;
            {
                std::unique_lock<std::mutex> lk(m_);
                work_cv_.wait(lk, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
                seen = generation_.load(std::memory_order_relaxed);
                job = current_;
            }
            if (!job || id >= job->helpers) continue;
            run_chunks(*job);
            if (job->done.load(std::memory_order_acquire) == job->chunks) {
                // The caller may be asleep on done_cv_: take the lock so the notify
                // cannot fall between its check and its wait.
                { std::lock_guard<std::mutex> lk(m_); }
                done_cv_.notify_all();
            }
        }
    }

    const pid_t owner_ = getpid();
    // Read once: std::thread::hardware_concurrency reads /sys on every call.
    const size_t cores_ = std::max(1u, std::thread::hardware_concurrency());
    std::mutex busy_;  // held by the one caller the pool serves at a time
    std::mutex m_;
    std::condition_variable work_cv_, done_cv_;
    std::vector<std::thread> workers_;
    std::shared_ptr<Job> current_;
    std::atomic<uint64_t> generation_{0};
    std::atomic<bool> spin_{false};
};

}  // namespace

void parallel_chunks(int64_t n, int threads, const ChunkFn& fn) {
    const int chunks = parallel_chunk_count(n, threads);
    if (chunks == 0) return;
    if (chunks == 1) {
        fn(0, 0, n);
        return;
    }
    auto job = std::make_shared<Job>();
    job->fn = &fn;
    job->n = n;
    job->chunks = chunks;
    job->err.resize(size_t(chunks));
    if (t_inside_chunk)
        run_chunks(*job);  // nested call: the chunks run here, in order
    else
        Pool::instance().run(job);
    for (const std::exception_ptr& e : job->err)
        if (e) std::rethrow_exception(e);
}

}  // namespace sf
