// .npy parser (tensor.cpp), and every element conversion the loaders use.
#include "fuzz_common.hpp"
#include "sf/core/tensor.hpp"

namespace {
void convert_all(const sf::Tensor& t) {
    sf_fuzz::expect_clean([&] { t.to<float>(); });
    sf_fuzz::expect_clean([&] { t.to<double>(); });
    sf_fuzz::expect_clean([&] { t.to<int64_t>(); });
    sf_fuzz::expect_clean([&] { t.to<int32_t>(); });
    sf_fuzz::expect_clean([&] { t.to<int16_t>(); });
    sf_fuzz::expect_clean([&] { t.to<uint8_t>(); });
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    sf_fuzz::expect_clean([&] { convert_all(sf::parse_npy(data, size, "fuzz.npy")); });
    return 0;
}
