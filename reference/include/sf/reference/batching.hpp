// Batching helpers for the trainers: a seeded permutation of sample indices, minibatches
// cut from it, copying selected samples out of a Dataset, and seeded shift augmentation.
// Every helper depends only on its arguments and seed (our own draws, never the standard
// library's shuffle, whose algorithm is unspecified), so training is reproducible across
// compilers.
#pragma once

#include <cstdint>
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

// Shifts every sample by (dy, dx) drawn uniformly from [-max_shift, max_shift] (zero
// fill). The shift of sample i depends only on (seed, i). Samples must be {C, H, W} or
// {H, W}; max_shift = 0 returns the data unchanged.
void shift_augment(Dataset& ds, int max_shift, uint64_t seed);

// Shifts one {C, H, W} image by (dy, dx) pixels in place (zero fill).
void shift_image(float* image, int64_t channels, int64_t height, int64_t width, int dy, int dx);

}  // namespace sf
