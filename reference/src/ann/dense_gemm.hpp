// Internal: the three matrix products of a dense layer, with the same bits as Eigen's.
//
// A dense layer's products were Eigen expressions, and every trained network shipped in
// networks/ carries the bits of Eigen's summation order. Eigen's matrix product, for a
// product whose destination has at least two rows and two columns, works in the frame of
// a column-major result ("rows" below; for our row-major matrices that is the
// destination's columns). It splits the sum over k into blocks of kc terms (kc from
// Eigen's own cache heuristics) and adds each block's partial sum, a chain of fused
// multiply-adds that starts at zero, to the destination, which starts at +0. In its
// kernel's one-packet row panels (fewer than two packets' worth of rows at the end of each
// panel of mc rows, and only in the columns that fill groups of four), the chain is split
// in two: the even and odd terms of the block's largest multiple of eight are summed apart
// and then added, and the rest follows in order.
//
// The kernels here follow that order term by term, so they give the same bits, but do the
// work in register tiles that stay busy: they repack nothing but the forward pass's input
// (transposed once per call), and read the weights where they lie. They handle what
// Eigen's kernel does without its scalar rows (every panel's row count a multiple of four)
// on AVX-512 builds and AVX2 builds with fused multiply-add; otherwise each function
// returns false, writes nothing, and the caller keeps Eigen's expression.
#pragma once

#include <cstdint>

namespace sf::ann_detail {

// y[b][o] = sum over i of x[b][i] * w[o][i] for b < batch, o < out (no bias); x is
// [batch][in], w [out][in], y [batch][out], all rows contiguous.
bool dense_product_forward(int64_t batch, int64_t in, int64_t out, const float* x, const float* w,
                           float* y);

// dw[o][i] = sum over b of dy[b][o] * x[b][i]; dy is [batch][out], dw [out][in]. With
// `add`, dw[o][i] becomes dw[o][i] + that sum instead: the bits of adding Eigen's product
// to dw, which holds no -0 (a sum that starts from +0 never does); false where Eigen would
// cut the sum into more than one block of terms.
bool dense_product_weight_grad(int64_t batch, int64_t in, int64_t out, const float* dy,
                               const float* x, float* dw, bool add = false);

// dx[b][i] = sum over o of dy[b][o] * w[o][i]; dx is [batch][in].
bool dense_product_input_grad(int64_t batch, int64_t in, int64_t out, const float* dy,
                              const float* w, float* dx);

}  // namespace sf::ann_detail
