// Spike files read with exact conversions and checked against the network they drive
// (issue 7): labels outside the network's outputs and integers that wrapped were accepted.
#include <catch2/catch.hpp>

#include "data_test_util.hpp"
#include "sf/core/error.hpp"
#include "sf/core/tensor.hpp"
#include "sf/reference/encoders.hpp"

using namespace sf;
using Catch::Matchers::Contains;

namespace {
std::string regression(const std::string& name) {
    return std::string(SF_SOURCE_DIR) + "/fuzz/regressions/spike_file/" + name;
}
}  // namespace

TEST_CASE("A spike file's labels must be outputs of the network it drives",
          "[data][spikes][errors]") {
    const std::string f = regression("label-outside-outputs.npz");
    const SpikeInput in = read_spike_file(f);  // label 10: the file alone cannot tell
    CHECK_NOTHROW(check_spike_input_fits(in, 64, 11, f));
    CHECK_THROWS_WITH(check_spike_input_fits(in, 64, 10, f),
                      Contains(f) && Contains("label 10 of sample 0") && Contains("-1 .. 9"));
    CHECK_THROWS_WITH(check_spike_input_fits(in, 32, 11, f), Contains("for 64 inputs"));
}

TEST_CASE("A spike file's uint64 values beyond int64 are refused, not wrapped",
          "[data][spikes][errors]") {
    // 2^64 - 1 as uint64 became input index -1 before, caught only by luck of the range check.
    CHECK_THROWS_WITH(read_spike_file(regression("uint64-event-wraps.npz")),
                      Contains("array 'events'") && Contains("18446744073709551615"));
}

TEST_CASE("A spike path that is a device is refused instead of read forever",
          "[data][spikes][errors]") {
    CHECK_THROWS_WITH(read_spike_file("/dev/zero"), Contains("not a regular file"));
}
