// Internal: lanes [0, n) of a 16-lane vector of 4-byte elements read from p (the others
// zero; nothing past them is read), and lanes [0, n) of v written to p (nothing past them
// is written), 0 <= n <= 16: masked loads and stores on AVX-512 and AVX2, an element copy
// elsewhere. Shared by the pooling passes (ann_ops.cpp) and the fused conv block
// (conv_direct.cpp), whatever the build's own vector width.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace sf::ann_detail {

// (GCC notes that a 64-byte vector is passed differently with and without AVX-512; these
// inline helpers are no interface.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
template <class V, class T>
inline V load_first(const T* p, int64_t n) {
    static_assert(sizeof(V) == 64 && sizeof(T) == 4, "16 lanes of 4 bytes");
#if defined(__AVX512F__)
    return (V)_mm512_maskz_loadu_epi32(__mmask16((1u << n) - 1u), p);
#elif defined(__AVX2__)
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const auto* q = reinterpret_cast<const int*>(p);
    const __m256i lo =
        _mm256_maskload_epi32(q, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), lane));
    const __m256i hi =
        _mm256_maskload_epi32(q + 8, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n) - 8), lane));
    V v;
    std::memcpy(&v, &lo, 32);
    std::memcpy(reinterpret_cast<char*>(&v) + 32, &hi, 32);
    return v;
#else
    V v = {};
    std::memcpy(&v, p, size_t(n) * 4);
    return v;
#endif
}

template <class V, class T>
inline void store_first(T* p, V v, int64_t n) {
    static_assert(sizeof(V) == 64 && sizeof(T) == 4, "16 lanes of 4 bytes");
#if defined(__AVX512F__)
    _mm512_mask_storeu_epi32(p, __mmask16((1u << n) - 1u), (__m512i)v);
#elif defined(__AVX2__)
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i lo, hi;
    std::memcpy(&lo, &v, 32);
    std::memcpy(&hi, reinterpret_cast<const char*>(&v) + 32, 32);
    auto* q = reinterpret_cast<int*>(p);
    _mm256_maskstore_epi32(q, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n)), lane), lo);
    _mm256_maskstore_epi32(q + 8, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n) - 8), lane), hi);
#else
    std::memcpy(p, &v, size_t(n) * 4);
#endif
}
#pragma GCC diagnostic pop

}  // namespace sf::ann_detail
