// Internal: direct 'same' convolution (stride 1, padding k/2, odd k) on batches laid out
// [B, C*H*W], forward and both backward products, without im2col.
//
// Every pass works on "shifted planes": for each sample, each kernel column kx and each
// channel c, a copy of the image shifted sideways by kx - k/2 (zeros where that falls off
// the edge), flattened with k/2 zero rows above and below. In such a plane, the input that
// output pixel p = y*W + x sees at kernel offset (ky, kx) sits at ky*W + p, for every p, so
// 16 consecutive output pixels read 16 consecutive floats: the products vectorise along the
// pixels with plain loads and no edge tests.
// - forward: out[co][p] = bias[co] + sum over (ci, ky, kx) of w * plane[kx][ci][ky*W + p]
// - input gradient: the same kernel on the output gradient's planes with the flipped,
//   transposed weights (a 'same' convolution's adjoint is one with the kernel turned round)
// - weight gradient: dw[co][ci][ky][kx] = sum over samples and p of
//   dy[co][p] * plane[kx][ci][ky*W + p], kept as 16-lane partial sums and added up at the
//   end in a fixed order.
// The order of every sum depends only on the layer's shape and the number of rows, never
// on the thread that runs it, so results are the same bits on any thread count.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <new>
#include <vector>

namespace sf::ann_detail {

// Allocator for 64-byte aligned storage, so that the planes' vector loads stay inside
// cache lines wherever the offsets allow.
template <class T>
struct Aligned64 {
    using value_type = T;
    Aligned64() = default;
    template <class U>
    Aligned64(const Aligned64<U>&) {}
    T* allocate(size_t n) {
        const size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
        void* p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
        if (!p) throw std::bad_alloc();
        return static_cast<T*>(p);
    }
    void deallocate(T* p, size_t) { std::free(p); }
    template <class U>
    bool operator==(const Aligned64<U>&) const { return true; }
    template <class U>
    bool operator!=(const Aligned64<U>&) const { return false; }
};
using AlignedFloats = std::vector<float, Aligned64<float>>;

struct ConvGeometry {
    int64_t c, h, w, k, oc;  // input channels, height, width, kernel size, output channels
};

// True when the direct kernels handle this conv2d: stride 1, odd kernel, padding k/2.
bool conv_direct_applies(int64_t k, int64_t stride, int64_t pad);

// Buffers a conv layer keeps between its forward and backward pass and across batches.
struct ConvScratch {
    AlignedFloats xplanes;  // the input's shifted planes, a slice at a time
    AlignedFloats dplanes;  // the output gradient's shifted planes
    AlignedFloats wt;       // weights rearranged for the pass at hand
    AlignedFloats part;     // weight gradient's 16-lane partial sums
    AlignedFloats masks;    // column masks of the shifted planes
    AlignedFloats slice;    // one slice's outputs or output gradients, for a ConvSliceHook
    // The plane layouts xplanes and dplanes were last zeroed for (see conv_direct.cpp): a
    // buffer keeps its zero borders between calls with the same layout.
    std::array<int64_t, 5> xlayout{}, dlayout{};
};

// Both passes work on slices of a few rows, so that what one slice reads and writes stays
// in the cache. A hook lets the caller fuse its own pass over the layer's output with the
// convolution's, a slice at a time: hook(r0, n, rows) gets the n rows of outputs (or of
// output gradients) of samples r0 .. r0 + n - 1, laid out [n][oc*H*W] in s.slice.
using ConvSliceHook = std::function<void(int64_t r0, int64_t n, float* rows)>;

// y[b][co*H*W + p] for rows b < rows; rows are `x_stride` and `y_stride` floats apart.
// w is [oc][c][k][k], bias [oc]. With `after` given, y is not written: each slice's outputs
// go to `after` instead.
void conv_direct_forward(const ConvGeometry& g, int64_t rows, const float* x, int64_t x_stride,
                         const float* w, const float* bias, float* y, int64_t y_stride,
                         ConvScratch& s, const ConvSliceHook& after = {});

// Gradients from dy [rows][oc*H*W] and the layer's input x [rows][c*H*W] (rows `x_row`
// floats apart): dw [oc][c][k][k] and db [oc] are overwritten; dx [rows][c*H*W] is written
// when not null. With `before` given, dy is not read: `before` writes each slice's output
// gradients.
void conv_direct_backward(const ConvGeometry& g, int64_t rows, const float* x, int64_t x_row,
                          const float* dy, int64_t dy_stride, const float* w, float* dw, float* db,
                          float* dx, int64_t dx_stride, ConvScratch& s,
                          const ConvSliceHook& before = {});

// True when conv_relu_maxpool_forward handles the layer: one input channel, a 3x3 kernel
// (stride 1, padding 1), a map of even height and even width at most 32, on an AVX-512
// build.
bool conv_relu_maxpool_applies(const ConvGeometry& g);

// The convolution, the ReLU and a 2x2 max pooling with stride 2, in one pass that never
// writes the convolution's output: y[b][o*OH*OW + i] (OH = H/2, OW = W/2) and each window's
// code[b*oc*OH*OW + o*OH*OW + i] (0 to 3 for the first maximum in the order top-left,
// top-right, bottom-left, bottom-right, when the pooled value is positive; else 4) are the
// bits conv_direct_forward, a ReLU (0 > v ? 0 : v) and that pooling give.
void conv_relu_maxpool_forward(const ConvGeometry& g, int64_t rows, const float* x,
                               int64_t x_stride, const float* w, const float* bias, float* y,
                               int64_t y_stride, uint8_t* code, ConvScratch& s);

}  // namespace sf::ann_detail
