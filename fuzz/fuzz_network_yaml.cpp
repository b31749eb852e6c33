// Network YAML (graph.cpp) in a directory holding the tensors of networks/digits-snn, then
// the compiler's checks and arithmetic on it: validate and quantize against sf1.
#include "fuzz_common.hpp"
#include "sf/compiler/passes/quantize.hpp"
#include "sf/compiler/passes/validate.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/graph.hpp"

namespace {
const sf::ChipConfig& chip() {
    static const sf::ChipConfig c = sf::load_chip(SF_SOURCE_DIR "/networks/chips/sf1.yaml");
    return c;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const auto dir = sf_fuzz::scratch() / "net";
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(SF_SOURCE_DIR "/networks/digits-snn/weights.npz", dir / "weights.npz",
                               std::filesystem::copy_options::overwrite_existing);
    chip();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto dir = sf_fuzz::scratch() / "net";
    sf_fuzz::write_bytes(dir / "network.yaml", data, size);
    sf_fuzz::expect_clean([&] {
        const sf::Graph g = sf::load_network(dir.string());
        sf::PassStats st;
        sf::ir::Ir ir = sf::passes::validate(sf::ir::make_ir(g, chip()), st);
        sf::passes::quantize(std::move(ir), st);
    });
    return 0;
}
