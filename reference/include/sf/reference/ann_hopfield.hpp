// Hopfield networks of binary +-1 units: Hebbian storage of patterns, synchronous or
// asynchronous recall from corrupted cues, and the capacity experiment (recall success
// against load P/N, whose knee lies near the known 0.138 N for random patterns).
// A trained Hopfield network is a directory with network.yaml (type: hopfield) and
// weights.npz holding `weight` [N, N] and `patterns` [P, N].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sf/reference/ann.hpp"
#include "sf/reference/datasets.hpp"

namespace sf {

// Storage rules. Hebbian: W = (1/n) sum_p p p^T. PseudoInverse (the projection rule of
// Personnaz, Guyon & Dreyfus 1985): W = X^T (X X^T)^+ X for patterns X [P, n], which
// makes every stored pattern a fixed point even when the patterns are correlated (as
// images are), up to P < n. Both zero the diagonal.
enum class HopfieldRule { Hebbian, PseudoInverse };

struct HopfieldNet {
    int64_t n = 0;
    AnnMatrix weight;    // [n, n], symmetric, zero diagonal (see HopfieldRule)
    AnnMatrix patterns;  // [P, n], entries +-1
    HopfieldRule rule = HopfieldRule::Hebbian;
};

// Throws InputError if a pattern is not +-1 or the sizes differ.
HopfieldNet hopfield_store(const AnnMatrix& patterns, HopfieldRule rule = HopfieldRule::Hebbian);

// Recall from a cue (+-1 entries). Asynchronous: units updated one at a time in a seeded
// random order per sweep; synchronous: all at once. Stops at a fixed point or max_sweeps.
std::vector<float> hopfield_recall(const HopfieldNet& net, std::vector<float> cue, bool synchronous,
                                   int max_sweeps, uint64_t seed);

// Overlap m = (1/n) sum_i a_i b_i in [-1, 1].
double hopfield_overlap(const std::vector<float>& a, const float* b, int64_t n);

// Flip a fraction of the entries (exactly round(flip * n) of them, seeded).
std::vector<float> hopfield_corrupt(const float* pattern, int64_t n, double flip, uint64_t seed);

// Recall rate of the stored patterns: fraction recalled with overlap >= min_overlap from
// cues with `flip` of their bits flipped. The patterns split over `threads` (the result is
// the same for any count).
double hopfield_recall_rate(const HopfieldNet& net, double flip, double min_overlap,
                            bool synchronous, uint64_t seed, double* mean_overlap = nullptr,
                            int threads = 1);

struct HopfieldCapacityPoint {
    int64_t patterns = 0;
    double load = 0;         // P / N
    double recall_rate = 0;  // over all patterns of all trials
    double mean_overlap = 0;
};

// Random patterns, N units, for each P in counts: store, then recall every pattern from a
// cue with `flip` bits flipped; `trials` independent pattern sets per point.
std::vector<HopfieldCapacityPoint> hopfield_capacity(int64_t n, const std::vector<int64_t>& counts,
                                                     double flip, double min_overlap, int trials,
                                                     uint64_t seed, int threads = 1);

// Random +-1 patterns [count, n].
AnnMatrix hopfield_random_patterns(int64_t count, int64_t n, uint64_t seed);

// Patterns from a data set [count, pixels]: pixel > level -> +1, else -1. Samples are
// taken class by class in turn (the first sample of class 0, of class 1, ..., then the
// second of each), so a few patterns already cover several classes. Throws InputError if
// the set holds fewer samples than asked or level is not in (0, 1).
AnnMatrix hopfield_dataset_patterns(const Dataset& ds, int64_t count, float level);

// Network files. load throws InputError for anything malformed.
HopfieldNet load_hopfield(const std::string& path);
void save_hopfield(const HopfieldNet& net, const std::string& dir, const nlohmann::json& recall,
                   const std::string& name = "hopfield");

}  // namespace sf
