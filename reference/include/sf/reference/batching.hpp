// Batching helpers for the trainers: a seeded permutation of sample indices, minibatches
// cut from it, copying selected samples out of a Dataset, and seeded shift augmentation.
// Every helper depends only on its arguments and seed (our own draws, never the standard
// library's shuffle, whose algorithm is unspecified), so training is reproducible across
// compilers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sf/reference/datasets.hpp"

namespace sf {

// Indices 0..n-1 in an order that depends only on (n, seed) (Fisher-Yates, mt19937_64).
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed);

// Cuts `order` into consecutive batches of batch_size indices; the last may be shorter
// unless drop_last. batch_size < 1 throws InputError.
std::vector<std::vector<int64_t>> minibatches(const std::vector<int64_t>& order, int64_t batch_size,
                                              bool drop_last = false);

// The samples ds[indices[k]], in that order, as a new Dataset (same name, split, shape).
Dataset gather(const Dataset& ds, const std::vector<int64_t>& indices);

// A training split cut in two for choosing hyper-parameters, stratified by label: the k-th
// sample of each class (k = 0, 1, ... in split order) is held out when
// floor((k + 1) * fraction) > floor(k * fraction), so `validation` holds an evenly spread
// `fraction` of every class whatever order the split is stored in, and `train` the rest,
// both in their original order. fraction must lie in (0, 1) and leave both parts non-empty,
// else InputError.
struct HeldOut {
    Dataset train, validation;
};
HeldOut hold_out(const Dataset& ds, double fraction);

// The data a trainer learns from and the data its final accuracy is measured on: the test
// split, or with validation > 0 the held-out part of the (first max_train samples of the)
// training split, so hyper-parameters can be chosen without looking at the test split.
// max_eval < 0 keeps every evaluation sample. eval_split is "test" or "validation".
struct TrainData {
    Dataset train, eval;
    std::string eval_split;
};
TrainData load_train_data(const std::string& set, int64_t max_train, int64_t max_eval,
                          double validation);

// Shifts every sample by (dy, dx) drawn uniformly from [-max_shift, max_shift] (zero
// fill). The shift of sample i depends only on (seed, i). Samples must be {C, H, W} or
// {H, W}; max_shift = 0 returns the data unchanged.
void shift_augment(Dataset& ds, int max_shift, uint64_t seed);

// Shifts one {C, H, W} image by (dy, dx) pixels in place (zero fill).
void shift_image(float* image, int64_t channels, int64_t height, int64_t width, int dy, int dx);

}  // namespace sf
