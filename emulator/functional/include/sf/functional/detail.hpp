// Internals of the functional emulator that tests (and later backends' cross-checks) need:
// the routing distance rules of docs/chip-spec.md and a run entry point that delivers each
// timestep's spike events in a shuffled order, so tests can show that results do not
// depend on delivery order (DESIGN.md §7). Not part of the stable API.
#pragma once

#include <cstdint>

#include "sf/functional/functional.hpp"

namespace sf::detail {

// Link traversals of one packet under dimension-ordered XY routing.
struct Hops {
    int ew = 0;  // east-west links
    int ns = 0;  // north-south links
};

// Between two tiles: |dx| east-west hops, then |dy| north-south hops.
Hops hops_between(int x0, int y0, int x1, int y1);

// Between the host (a virtual node west of tile (0, 0)) and tile (x, y), either way:
// x + 1 east-west hops and y north-south hops.
Hops hops_host(int x, int y);

// run_functional with each core's list of spike events of every timestep shuffled by a
// generator seeded from shuffle_seed (0: the natural order run_functional uses).
RunResult run_functional_shuffled(const ChipImage& img, const SpikeInput& input,
                                  const RunOptions& opt, uint64_t shuffle_seed,
                                  const ProgressFn& progress = {});

}  // namespace sf::detail
