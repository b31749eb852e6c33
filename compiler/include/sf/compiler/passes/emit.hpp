// Pass `emit`: the ChipImage: one CoreImage per slot (profiles, bias mantissas, the dense
// axons x neurons crossbar, the plastic mask and learning profile on learning cores,
// routing tables, provenance), population maps, host maps, and the compile report JSON
// (cores used, per-core fill and memory, traffic, per-pass statistics).
//
// Statistics: cores_used, synapses, crossbar_fill (nonzero or plastic / allocated),
// memory_bytes, routing_entries.
#pragma once

#include <string>
#include <vector>

#include "sf/compiler/compile.hpp"
#include "sf/compiler/ir.hpp"

namespace sf::passes {

ChipImage emit(const ir::Ir& ir, uint64_t seed, PassStats& st, int threads = 1);
std::string dump_emit(const ChipImage& img);

// The report JSON of an image given the statistics of all passes (emit's included).
std::string make_report(const ChipImage& img, const std::vector<PassStats>& passes,
                        int threads = 1, int* threads_used = nullptr);

}  // namespace sf::passes
