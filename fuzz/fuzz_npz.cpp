// .npz archives through libzip (tensor.cpp), and every element conversion of each array.
#include "fuzz_common.hpp"
#include "sf/core/tensor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    sf_fuzz::expect_clean([&] {
        for (const auto& kv : sf::parse_npz(data, size, "fuzz.npz")) {
            const sf::Tensor& t = kv.second;
            sf_fuzz::expect_clean([&] { t.to<float>(); });
            sf_fuzz::expect_clean([&] { t.to<int64_t>(); });
            sf_fuzz::expect_clean([&] { t.to<int32_t>(); });
            sf_fuzz::expect_clean([&] { t.to<int16_t>(); });
            sf_fuzz::expect_clean([&] { t.to<uint8_t>(); });
        }
    });
    return 0;
}
