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
    std::vector<uint8_t> positive;  // conv block with average pooling: conv output > 0
    // Conv block with max pooling: each window's winner (0 to 3, row by row) where the pooled
    // value is positive, else 4 (no gradient passes); 16 bytes of slack follow the last.
    std::vector<uint8_t> winner;
    std::vector<AnnMatrix> h, c, gates;  // rnn/lstm per time step
};

// cache may be null (inference); rng is used by dropout when train is true.
void layer_forward(const AnnLayer& l, const AnnMatrix& x, AnnMatrix& y, LayerCache* cache,
                   bool train, std::mt19937_64* rng);

// dparams[i] receives (overwrites) the gradient of l.params[i]; dx may be null.
// cache is the one layer_forward filled; its scratch buffers are reused here.
// add_to (see AnnGradients::add_to): where a dense layer's weight gradient may be added
// instead, leaving dparams[0] empty; null or of another size: not.
void layer_backward(const AnnLayer& l, const AnnMatrix& x, const AnnMatrix& y,
                    const AnnMatrix& dy, LayerCache& cache, AnnMatrix* dx,
                    std::vector<std::vector<float>>& dparams,
                    std::vector<float>* add_to = nullptr);

// A conv block: layers i, i+1, i+2 are a conv2d the direct kernels handle, a ReLU and a
// 2x2, stride-2 max or average pooling on a map of even height and width (max pooling:
// at least 8 wide). The trainer runs such a block as one pass, a few samples at a time,
// instead of three passes over the whole batch: the ReLU and the pooling work on each
// slice of the convolution's output while it is in the cache, and the full-size output
// and its gradient are never stored. The results have the same bits as the three layers'
// own passes.
bool conv_block_fuses(const std::vector<AnnLayer>& layers, size_t i);

// y: the pooling's output. The block's state (planes, pooling winners or ReLU mask) goes
// to `cache`, the conv layer's cache.
void conv_block_forward(const AnnLayer& conv, const AnnLayer& pool, const AnnMatrix& x,
                        AnnMatrix& y, LayerCache& cache);

// Inference through a conv block: y, the pooling's output, in blocks of rows through
// one scratch, so memory stays bounded for any number of rows.
void conv_block_infer(const AnnLayer& conv, const AnnLayer& pool, const AnnMatrix& x,
                      AnnMatrix& y);

// From dy, the gradient at the pooling's output y: the conv layer's parameter gradients
// into dparams and, when dx is not null, the gradient at the block's input x.
void conv_block_backward(const AnnLayer& conv, const AnnLayer& pool, const AnnMatrix& x,
                         const AnnMatrix& y, const AnnMatrix& dy, LayerCache& cache,
                         AnnMatrix* dx, std::vector<std::vector<float>>& dparams);

// Shape inference of one layer (sets out_shape and creates params with their shapes but
// leaves values as they are). Throws InputError naming the layer on a mismatch.
void infer_layer(AnnLayer& l, const std::vector<int64_t>& in_shape, const std::string& where);

int64_t shape_size(const std::vector<int64_t>& s);

}  // namespace sf::ann_detail
