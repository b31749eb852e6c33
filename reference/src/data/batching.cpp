// Seeded permutations, minibatches, gathering and shift augmentation (batching.hpp).
#include "sf/reference/batching.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "sf/core/error.hpp"

namespace sf {

namespace {

uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed) {
    if (n < 0) throw InputError("cannot permute " + std::to_string(n) + " indices");
    std::vector<int64_t> idx(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) idx[size_t(i)] = i;
    std::mt19937_64 rng(mix64(seed));
    for (int64_t i = n - 1; i > 0; --i) {
        // Modulo bias is below 2^-40 for any realistic n; simplicity wins here.
        const int64_t j = int64_t(rng() % uint64_t(i + 1));
        std::swap(idx[size_t(i)], idx[size_t(j)]);
    }
    return idx;
}

std::vector<std::vector<int64_t>> minibatches(const std::vector<int64_t>& order, int64_t batch_size,
                                              bool drop_last) {
    if (batch_size < 1)
        throw InputError("batch size must be at least 1, got " + std::to_string(batch_size), "",
                         "set the batch size to a positive number, e.g. 64");
    std::vector<std::vector<int64_t>> batches;
    for (size_t b = 0; b < order.size(); b += size_t(batch_size)) {
        const size_t e = std::min(order.size(), b + size_t(batch_size));
        if (drop_last && e - b < size_t(batch_size)) break;
        batches.emplace_back(order.begin() + long(b), order.begin() + long(e));
    }
    return batches;
}

HeldOut hold_out(const Dataset& ds, double fraction) {
    if (!(fraction > 0.0 && fraction < 1.0))
        throw InputError("validation fraction " + std::to_string(fraction) + " is not in (0, 1)",
                         "--validation", "give a fraction such as 0.1 or 0.2");
    // Count within each label, so the hold-out is stratified whatever order the split is
    // stored in (class by class, or classes interleaved).
    std::vector<int64_t> keep, held, seen;
    for (int64_t i = 0; i < ds.size(); ++i) {
        const size_t y = size_t(std::max(0, ds.labels[size_t(i)]));
        if (y >= seen.size()) seen.resize(y + 1, 0);
        const double k = double(seen[y]++);
        const bool h = std::floor((k + 1) * fraction) > std::floor(k * fraction);
        (h ? held : keep).push_back(i);
    }
    if (keep.empty() || held.empty())
        throw InputError("a validation fraction of " + std::to_string(fraction) + " of " +
                             std::to_string(ds.size()) + " training samples leaves one part empty",
                         "--validation", "use more training samples or another fraction");
    return HeldOut{gather(ds, keep), gather(ds, held)};
}

TrainData load_train_data(const std::string& set, int64_t max_train, int64_t max_eval,
                          double validation) {
    TrainData d;
    if (validation == 0.0) {
        d.train = load_dataset(set, Split::Train, max_train);
        d.eval = load_dataset(set, Split::Test, max_eval);
        d.eval_split = "test";
        return d;
    }
    HeldOut h = hold_out(load_dataset(set, Split::Train, max_train), validation);
    d.train = std::move(h.train);
    d.eval = std::move(h.validation);
    if (max_eval >= 0 && max_eval < d.eval.size()) {
        d.eval.images.resize(size_t(max_eval * d.eval.sample_size()));
        d.eval.labels.resize(size_t(max_eval));
    }
    d.eval_split = "validation";
    return d;
}

Dataset gather(const Dataset& ds, const std::vector<int64_t>& indices) {
    Dataset out;
    out.name = ds.name;
    out.split = ds.split;
    out.sample_shape = ds.sample_shape;
    out.num_classes = ds.num_classes;
    const int64_t ss = ds.sample_size();
    out.images.reserve(indices.size() * size_t(ss));
    out.labels.reserve(indices.size());
    for (int64_t i : indices) {
        if (i < 0 || i >= ds.size())
            throw InputError("sample index " + std::to_string(i) + " is outside data set '" +
                             ds.name + "' of " + std::to_string(ds.size()) + " samples");
        const float* x = ds.sample(i);
        out.images.insert(out.images.end(), x, x + ss);
        out.labels.push_back(ds.labels[size_t(i)]);
    }
    return out;
}

void shift_image(float* image, int64_t channels, int64_t height, int64_t width, int dy, int dx) {
    if (dy == 0 && dx == 0) return;
    std::vector<float> src(image, image + channels * height * width);
    for (int64_t c = 0; c < channels; ++c)
        for (int64_t y = 0; y < height; ++y)
            for (int64_t x = 0; x < width; ++x) {
                const int64_t sy = y - dy, sx = x - dx;
                const bool in = sy >= 0 && sy < height && sx >= 0 && sx < width;
                image[(c * height + y) * width + x] =
                    in ? src[size_t((c * height + sy) * width + sx)] : 0.0f;
            }
}

void shift_augment(Dataset& ds, int max_shift, uint64_t seed) {
    if (max_shift < 0) throw InputError("max_shift must be >= 0, got " + std::to_string(max_shift));
    if (max_shift == 0) return;
    int64_t C = 1, H = 0, W = 0;
    if (ds.sample_shape.size() == 3) {
        C = ds.sample_shape[0], H = ds.sample_shape[1], W = ds.sample_shape[2];
    } else if (ds.sample_shape.size() == 2) {
        H = ds.sample_shape[0], W = ds.sample_shape[1];
    } else {
        throw InputError(
            "shift augmentation needs image samples ({C, H, W} or {H, W}); data set '" + ds.name +
            "' has samples of rank " + std::to_string(ds.sample_shape.size()));
    }
    const uint64_t span = uint64_t(2 * max_shift + 1);
    for (int64_t i = 0; i < ds.size(); ++i) {
        std::mt19937_64 rng(mix64(mix64(seed) ^ uint64_t(i)));
        const int dy = int(rng() % span) - max_shift;
        const int dx = int(rng() % span) - max_shift;
        shift_image(ds.images.data() + i * ds.sample_size(), C, H, W, dy, dx);
    }
}

}  // namespace sf
