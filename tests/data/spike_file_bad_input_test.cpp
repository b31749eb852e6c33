// Spike files whose header claims more sample steps than fit in memory: found by the
// command-line audit of 2026-11-30, where [3000, 16000000] with no events ran out of
// memory (or time) instead of failing on the header.
#include <catch2/catch.hpp>

#include "data_test_util.hpp"
#include "sf/core/error.hpp"
#include "sf/core/tensor.hpp"
#include "sf/reference/encoders.hpp"

using namespace sf;
using Catch::Matchers::Contains;
using sf_test::TempDir;

namespace {

void write_header_only(const std::string& path, int64_t samples, int64_t steps) {
    write_npz(path, {{"events", Tensor::from<int32_t>({}, {0, 3})},
                     {"shape", Tensor::from<int64_t>({samples, steps}, {2})},
                     {"num_inputs", Tensor::from<int64_t>({6}, {})}});
}

}  // namespace

TEST_CASE("A spike file claiming more than 2^26 sample steps is refused on its header",
          "[data][spikes][errors][audit]") {
    TempDir d;
    const std::string f = d.file("big.npz");
    write_header_only(f, 3000, 16000000);
    try {
        read_spike_file(f);
        FAIL("no error");
    } catch (const InputError& e) {
        CHECK_THAT(e.what(), Contains(f));
        CHECK_THAT(e.what(),
                   Contains("'shape' = [3000, 16000000] holds more than 2^26 sample steps"));
        CHECK_FALSE(e.fix().empty());
    }
    write_header_only(f, 2, int64_t(1) << 25);
    CHECK_THROWS_WITH(read_spike_file(f), Contains("1 <= steps <= 2^24"));
    // Just under the limit is read (no events, so it is cheap).
    write_header_only(f, 4, 1000);
    CHECK(read_spike_file(f).samples.size() == 4);
}
