// `spikeforge sweep`: run compare over the Cartesian product of chip and run parameters
// (--set core.weight_bits=2..8 --set timesteps=16,32,64) and answer accuracy against
// energy per point, with the Pareto front marked: what a bit (or a step) costs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sf {

struct SweepParam {
    std::string key;                  // "core.weight_bits", "timesteps", "seed"
    std::vector<std::string> values;  // as written, in order
};

// "key=2..8" (integers, both ends included), "key=16,32,64" or "key=v". Throws InputError
// for a malformed setting or an unknown key (listing the keys that exist).
SweepParam parse_sweep_set(const std::string& text);

// Keys a sweep accepts: every field of the chip YAML as section.key (except name and the
// energy source), and the run parameters timesteps and seed.
std::vector<std::string> sweep_keys();

struct SweepOptions {
    std::string network;
    std::string chip = "sf1";
    std::string data;
    int64_t samples = 100;
    std::string backend = "functional";
    bool reference = true;            // float accuracy per timesteps value
    uint64_t seed = 1;
    std::vector<SweepParam> sets;
    bool progress = false;
    // Worker threads inside each point's compare (CompareOptions::threads); the points run
    // one after another. The JSON's "threads" is the most any point used.
    int threads = 1;
};

// Every chip configuration is built and checked before anything runs (a value out of
// range is an InputError naming the key); a point that does not fit the chip is kept in
// the result with its error and no figures.
nlohmann::json run_sweep(const SweepOptions& opt);

}  // namespace sf
