// Work over samples on every core, with results that do not depend on the thread count.
//
// Why std::thread and not TBB: the work split here is one static partition of independent
// samples (or sample batches) into contiguous chunks, one per thread, merged afterwards in
// chunk order by the caller. That needs no work stealing, and a fixed partition is what
// makes the merge order — and so every counter and float sum — the same for any count.
// std::thread does it in two pages of code with no new dependency for the project or its users.
//
// The threads are kept in a pool, started on first use and parked between calls: training
// calls this hundreds of times a second, and starting a thread per call cost about 40 us
// each time (7% of an MLP epoch on 2 threads). A parked worker spins for 300 us before it
// sleeps, and only while the pool has no more threads than the machine has cores.
//
//   std::vector<Partial> part(parallel_chunk_count(n, threads));
//   parallel_chunks(n, threads, [&](int c, int64_t begin, int64_t end) { ... part[c] ... });
//   for (const Partial& p : part) total += p;   // chunk order, so deterministic
#pragma once

#include <cstdint>
#include <functional>

namespace sf {

// The CLI's default: every core the machine reports (at least 1).
int default_thread_count();

// Largest thread count the tools accept (--threads 1..kMaxThreads).
constexpr int kMaxThreads = 1024;

// Number of chunks parallel_chunks will use for n items: min(threads, n), at least 1
// when n > 0, 0 when n == 0. threads < 1 counts as 1.
int parallel_chunk_count(int64_t n, int threads);

// First item of chunk c when n items are split into `chunks` contiguous chunks whose sizes
// differ by at most one (the earlier chunks take the remainder).
int64_t chunk_begin(int64_t n, int chunks, int c);

// Calls fn(chunk, begin, end) once per chunk of [0, n), on the calling thread and up to
// chunks-1 pool workers, and waits for all. Which thread runs which chunk varies; a chunk's
// range does not. A call made from inside a chunk, or while another thread is using the
// pool, or in a child of fork(), runs its chunks on the calling thread in order. If any call throws, the
// exception of the lowest-numbered failing chunk is rethrown (with contiguous chunks that
// is the one a serial loop would have met first); the other chunks still run to their end.
void parallel_chunks(int64_t n, int threads,
                     const std::function<void(int chunk, int64_t begin, int64_t end)>& fn);

}  // namespace sf
