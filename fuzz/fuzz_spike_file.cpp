// Spike files (reference/src/data/spike_file.cpp), checked against a 64-input, 10-output
// network as `spikeforge run --input` does.
#include "fuzz_common.hpp"
#include "sf/reference/encoders.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto file = sf_fuzz::scratch() / "spikes.npz";
    sf_fuzz::write_bytes(file, data, size);
    sf_fuzz::expect_clean([&] {
        const sf::SpikeInput in = sf::read_spike_file(file.string());
        sf::check_spike_input_fits(in, 64, 10, file.string());
    });
    return 0;
}
