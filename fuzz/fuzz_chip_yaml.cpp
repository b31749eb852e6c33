// Chip YAML (chip_config.cpp), then its YAML form read back.
#include "fuzz_common.hpp"
#include "sf/core/chip_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    sf_fuzz::expect_clean([&] {
        const sf::ChipConfig c = sf::chip_from_yaml(text, "fuzz-chip.yaml");
        // What loads must write out and load back (the image embeds it).
        sf::chip_from_yaml(sf::chip_to_yaml(c), "fuzz-chip-again.yaml");
    });
    return 0;
}
