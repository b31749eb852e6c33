// The state.json of a training checkpoint (reference/src/checkpoint_state.hpp), read as
// an SNN and as an ANN checkpoint.
#include "checkpoint_state.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto dir = sf_fuzz::scratch() / "ckpt";
    std::filesystem::create_directories(dir);
    sf_fuzz::write_bytes(dir / "state.json", data, size);
    sf_fuzz::expect_clean([&] { sf::detail::read_checkpoint_state(dir.string(), "snn", {"lr", "rng", "history"}); });
    sf_fuzz::expect_clean([&] { sf::detail::read_checkpoint_state(dir.string(), "ann"); });
    return 0;
}
