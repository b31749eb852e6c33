// Chip image directories (load_chip_image, validate_chip_image in chip_image.cpp). One
// input holds the files of a one-core image, separated by "\0SFPART\0": image.yaml,
// host.npz, cores/0_0/core.npz, crossbar.hex, neurons.hex, routes.hex (the seeds are
// images compiled from networks/digits-snn; scripts/fuzz.sh makes them).
#include <cstring>
#include <iterator>
#include <vector>

#include "fuzz_common.hpp"
#include "sf/compiler/compile.hpp"
#include "sf/core/chip_config.hpp"
#include "sf/core/chip_image.hpp"
#include "sf/core/graph.hpp"

namespace {

const char kSep[] = "\0SFPART\0";
const char* const kFiles[] = {"image.yaml",            "host.npz",
                              "cores/0_0/core.npz",    "cores/0_0/crossbar.hex",
                              "cores/0_0/neurons.hex", "cores/0_0/routes.hex"};

// SF_FUZZ_MAKE_SEEDS=DIR: write the seed inputs (networks/digits-snn compiled onto one-core
// chips) into DIR and exit; fuzz/corpus/chip_image was made this way.
void make_seeds(const std::string& out) {
    const sf::Graph g = sf::load_network(SF_SOURCE_DIR "/networks/digits-snn");
    const std::pair<const char*, int> chips[] = {{"sf1", 8}, {"odin-like", 4}, {"sf1", 12}};
    int n = 0;
    for (const auto& [name, bits] : chips) {
        sf::ChipConfig chip = sf::load_chip(name);
        chip.weight_bits = bits;
        chip.mesh_w = chip.mesh_h = 1;  // one core, the one the input format holds
        const auto dir = sf_fuzz::scratch() / ("seed" + std::to_string(n));
        sf::save_chip_image(sf::compile(g, chip).image, dir.string());
        std::ofstream o(std::filesystem::path(out) / (std::string("digits-") + name + "-w" +
                                                      std::to_string(bits) + ".bin"),
                        std::ios::binary);
        for (size_t i = 0; i < std::size(kFiles); ++i) {
            if (i) o.write(kSep, sizeof kSep - 1);
            std::ifstream in(dir / kFiles[i], std::ios::binary);
            o << in.rdbuf();
        }
        ++n;
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (const char* out = std::getenv("SF_FUZZ_MAKE_SEEDS")) {
        make_seeds(out);
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const size_t sep_len = sizeof kSep - 1;
    const auto dir = sf_fuzz::scratch() / "image";
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    std::filesystem::create_directories(dir / "cores" / "0_0");
    size_t start = 0;
    for (const char* name : kFiles) {
        if (start > size) break;
        const uint8_t* hit = nullptr;
        for (size_t i = start; i + sep_len <= size; ++i)
            if (std::memcmp(data + i, kSep, sep_len) == 0) {
                hit = data + i;
                break;
            }
        const size_t end = hit ? size_t(hit - data) : size;
        sf_fuzz::write_bytes(dir / name, data + start, end - start);
        start = end + sep_len;
    }
    sf_fuzz::expect_clean([&] { sf::validate_chip_image(sf::load_chip_image(dir.string())); });
    return 0;
}
