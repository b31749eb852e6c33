// Internal: forward and backward of one ANN layer on a batch. One call per layer per
// batch; the inner loops are Eigen expressions or plain loops over contiguous rows.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "conv_direct.hpp"
#include "sf/reference/ann.hpp"

namespace sf::ann_detail {

// What a layer keeps from its forward pass for the backward pass.
struct LayerCache {
    AnnMatrix cols;                 // conv2d (strided or padded otherwise): im2col [C*k*k, B*P]
    ConvScratch conv;               // conv2d with 'same' padding and stride 1: shifted planes
    AnnMatrix mask;                 // dropout: scaled keep mask
    std::vector<int32_t> argmax;    // max pooling: input index of each output
    std::vector<AnnMatrix> h, c, gates;  // rnn/lstm per time step
};

// cache may be null (inference); rng is used by dropout when train is true.
void layer_forward(const AnnLayer& l, const AnnMatrix& x, AnnMatrix& y, LayerCache* cache,
                   bool train, std::mt19937_64* rng);

// dparams[i] receives (overwrites) the gradient of l.params[i]; dx may be null.
// cache is the one layer_forward filled; its scratch buffers are reused here.
void layer_backward(const AnnLayer& l, const AnnMatrix& x, const AnnMatrix& y,
                    const AnnMatrix& dy, LayerCache& cache, AnnMatrix* dx,
                    std::vector<std::vector<float>>& dparams);

// Shape inference of one layer (sets out_shape and creates params with their shapes but
// leaves values as they are). Throws InputError naming the layer on a mismatch.
void infer_layer(AnnLayer& l, const std::vector<int64_t>& in_shape, const std::string& where);

int64_t shape_size(const std::vector<int64_t>& s);

}  // namespace sf::ann_detail
