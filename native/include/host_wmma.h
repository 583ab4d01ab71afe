// host_wmma.h — half, bfloat16 and nvcuda::wmma on the CPU, for the host build.
//
// Tensor-core kernels are tested here too, so the numerics follow the hardware:
//   - __float2half / __float2bfloat16 round to nearest even (as cvt.rn does);
//   - wmma::__float_to_tf32 rounds to nearest, ties away from zero (cvt.rna.tf32.f32);
//   - mma_sync on tf32 fragments uses only the top 19 bits of each input (the tensor core
//     ignores the low 13 mantissa bits of a float that was not converted), forms exact
//     products and accumulates them in fp32.
// The lane-to-element mapping of a fragment is opaque in CUDA; here every lane holds the
// whole tile, so elementwise loops over `num_elements` work as they do on the GPU.
// load/store/mma are warp collectives: all 32 lanes must call them together (checked).
#pragma once

#include <stdint.h>
#include <string.h>
#include <cmath>

struct __half {
    uint16_t bits;
};
struct __nv_bfloat16 {
    uint16_t bits;
};

namespace jgan_host {
inline uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
inline float bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

inline uint16_t f32_to_f16_rn(float f) {
    uint32_t x = f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t man = x & 0x7fffffu;
    if (exp == 0xffu) return (uint16_t)(sign | 0x7c00u | (man ? 0x200u | (man >> 13) : 0u));
    int e = (int)exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00u);  // overflow -> inf
    if (e <= 0) {                                        // subnormal half (or zero)
        if (e < -10) return (uint16_t)sign;
        man |= 0x800000u;
        int shift = 14 - e;
        uint32_t half_man = man >> shift;
        uint32_t rem = man & ((1u << shift) - 1u);
        uint32_t halfway = 1u << (shift - 1);
        if (rem > halfway || (rem == halfway && (half_man & 1u))) half_man++;
        return (uint16_t)(sign | half_man);
    }
    uint32_t h = sign | ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;  // carries into the exponent correctly
    return (uint16_t)h;
}
inline float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0) {
        float v = std::ldexp((float)man, -24);
        return sign ? -v : v;
    }
    if (exp == 31) return bits_f32(sign | 0x7f800000u | (man << 13));
    return bits_f32(sign | ((exp - 15 + 127) << 23) | (man << 13));
}
inline uint16_t f32_to_bf16_rn(float f) {
    uint32_t x = f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);  // quiet NaN
    uint32_t lsb = (x >> 16) & 1u;
    x += 0x7fffu + lsb;
    return (uint16_t)(x >> 16);
}
inline float bf16_to_f32(uint16_t b) { return bits_f32((uint32_t)b << 16); }
// What the tensor core reads of an fp32 input in tf32 mode: the top 19 bits.
inline float tf32_truncate(float f) {
    if (std::isnan(f)) return f;
    return bits_f32(f32_bits(f) & 0xffffe000u);
}
}  // namespace jgan_host

inline __half __float2half(float f) { return __half{jgan_host::f32_to_f16_rn(f)}; }
inline __half __float2half_rn(float f) { return __float2half(f); }
inline float __half2float(__half h) { return jgan_host::f16_to_f32(h.bits); }
inline __nv_bfloat16 __float2bfloat16(float f) { return __nv_bfloat16{jgan_host::f32_to_bf16_rn(f)}; }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __float2bfloat16(f); }
inline float __bfloat162float(__nv_bfloat16 b) { return jgan_host::bf16_to_f32(b.bits); }

namespace nvcuda {
namespace wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };
namespace precision {
struct tf32 {};
}

// Round to tf32: nearest, ties away from zero; NaN and Inf pass through.
inline float __float_to_tf32(float f) {
    if (!std::isfinite(f)) return f;
    uint32_t u = jgan_host::f32_bits(f);
    u = (u + 0x1000u) & 0xffffe000u;
    return jgan_host::bits_f32(u);
}

namespace detail {
template <class T> struct storage { using type = T; };
template <> struct storage<precision::tf32> { using type = float; };

template <class Use, int M, int N, int K> struct extent;
template <int M, int N, int K> struct extent<matrix_a, M, N, K> { static constexpr int rows = M, cols = K; };
template <int M, int N, int K> struct extent<matrix_b, M, N, K> { static constexpr int rows = K, cols = N; };
template <int M, int N, int K> struct extent<accumulator, M, N, K> { static constexpr int rows = M, cols = N; };

template <class T> inline float to_float(T v) { return (float)v; }
template <> inline float to_float<__half>(__half v) { return __half2float(v); }
template <> inline float to_float<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }
template <class T> inline T from_float(float v) { return (T)v; }
template <> inline __half from_float<__half>(float v) { return __float2half(v); }
template <> inline __nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16(v); }

inline void sync(const char* op, const char* file, int line) {
    jgan_host::warp_collective(0xffffffffu, 0, op, file, line);
}

// Tile <-> fragment copies: element (r, c) of the tile is p[r * ldm + c] (row-major) or
// p[c * ldm + r]. In the race-check build they are not instrumented (every lane of the host
// model copies the whole tile); lane 0 records the tile once for its warp instead, as the
// collective access of the warp's lanes that it is.
#if JGAN_RACECHECK
#define JGAN_WMMA_COPY __attribute__((noinline, no_sanitize_thread))
#else
#define JGAN_WMMA_COPY inline __attribute__((always_inline))
#endif
template <class E, class P>
JGAN_WMMA_COPY void tile_to_fragment(E* x, const P* p, int rows, int cols, unsigned ldm, bool row) {
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) x[r * cols + c] = row ? p[r * ldm + c] : p[c * ldm + r];
}
template <class P, class E>
JGAN_WMMA_COPY void fragment_to_tile(P* p, const E* x, int rows, int cols, unsigned ldm, bool row) {
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) (row ? p[r * ldm + c] : p[c * ldm + r]) = x[r * cols + c];
}
template <class P>
inline void record_tile(const P* p, int rows, int cols, unsigned ldm, bool row, bool write) {
#if JGAN_RACECHECK
    if (jgan_host::lane_id() == 0)
        jgan_host::race_tile(p, row ? rows : cols, (unsigned)((row ? cols : rows) * sizeof(P)), (size_t)ldm * sizeof(P), write);
#else
    (void)p, (void)rows, (void)cols, (void)ldm, (void)row, (void)write;
#endif
}

template <class T> struct is_valid_input : std::false_type {};
template <> struct is_valid_input<precision::tf32> : std::true_type {};
template <> struct is_valid_input<__half> : std::true_type {};
template <> struct is_valid_input<__nv_bfloat16> : std::true_type {};
}  // namespace detail

template <class Use, int M, int N, int K, class T, class Layout = void>
class fragment {
    static_assert((M == 16 && N == 16 && (K == 8 || K == 16)), "the host runtime models m16n16k8 (tf32) and m16n16k16 (half, bf16)");

  public:
    using element_type = typename detail::storage<T>::type;
    static constexpr int rows = detail::extent<Use, M, N, K>::rows;
    static constexpr int cols = detail::extent<Use, M, N, K>::cols;
    static constexpr int num_elements = rows * cols;
    element_type x[num_elements];
};

template <class Use, int M, int N, int K, class T, class L, class V>
inline void fill_fragment(fragment<Use, M, N, K, T, L>& f, const V& v) {
    using E = typename fragment<Use, M, N, K, T, L>::element_type;
    for (int i = 0; i < f.num_elements; ++i) f.x[i] = detail::from_float<E>((float)v);
}

// Operand tiles: layout from the fragment type. Stored row-major in the fragment.
template <class Use, int M, int N, int K, class T, class L, class P>
inline void load_matrix_sync(fragment<Use, M, N, K, T, L>& f, const P* p, unsigned ldm,
                             const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    static_assert(!std::is_same<Use, accumulator>::value, "an accumulator load needs a layout_t");
    detail::sync("wmma::load_matrix_sync", file, line);
    constexpr bool row = std::is_same<L, row_major>::value;
    using F = fragment<Use, M, N, K, T, L>;
    detail::record_tile(p, F::rows, F::cols, ldm, row, false);
    detail::tile_to_fragment(f.x, p, F::rows, F::cols, ldm, row);
}

template <int M, int N, int K, class T>
inline void load_matrix_sync(fragment<accumulator, M, N, K, T>& f, const T* p, unsigned ldm, layout_t layout,
                             const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    detail::sync("wmma::load_matrix_sync", file, line);
    detail::record_tile(p, M, N, ldm, layout == mem_row_major, false);
    detail::tile_to_fragment(f.x, p, M, N, ldm, layout == mem_row_major);
}

template <int M, int N, int K, class T>
inline void store_matrix_sync(T* p, const fragment<accumulator, M, N, K, T>& f, unsigned ldm, layout_t layout,
                              const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    detail::sync("wmma::store_matrix_sync", file, line);
    // Every lane holds the whole tile; one lane stores it (the others would store the same values).
    if (jgan_host::lane_id() == 0) {
        detail::record_tile(p, M, N, ldm, layout == mem_row_major, true);
        detail::fragment_to_tile(p, f.x, M, N, ldm, layout == mem_row_major);
    }
    detail::sync("wmma::store_matrix_sync", file, line);
}

template <int M, int N, int K, class Tin, class LA, class LB, class Tc, class Td>
inline void mma_sync(fragment<accumulator, M, N, K, Td>& d, const fragment<matrix_a, M, N, K, Tin, LA>& a,
                     const fragment<matrix_b, M, N, K, Tin, LB>& b, const fragment<accumulator, M, N, K, Tc>& c,
                     const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    static_assert(detail::is_valid_input<Tin>::value, "wmma inputs must be precision::tf32, __half or __nv_bfloat16");
    static_assert(std::is_same<Tin, precision::tf32>::value ? K == 8 : K == 16, "tf32 is m16n16k8; half/bf16 are m16n16k16");
    detail::sync("wmma::mma_sync", file, line);
    float out[M * N];
    for (int i = 0; i < M; ++i) {
        for (int j = 0; j < N; ++j) {
            float acc = detail::to_float(c.x[i * N + j]);
            for (int k = 0; k < K; ++k) {
                float av, bv;
                if constexpr (std::is_same<Tin, precision::tf32>::value) {
                    av = jgan_host::tf32_truncate(a.x[i * K + k]);
                    bv = jgan_host::tf32_truncate(b.x[k * N + j]);
                } else {
                    av = detail::to_float(a.x[i * K + k]);
                    bv = detail::to_float(b.x[k * N + j]);
                }
                acc = fmaf(av, bv, acc);  // the product of two tf32/half/bf16 values is exact in fp32
            }
            out[i * N + j] = acc;
        }
    }
    for (int e = 0; e < M * N; ++e) d.x[e] = detail::from_float<Td>(out[e]);
}

}  // namespace wmma
}  // namespace nvcuda
