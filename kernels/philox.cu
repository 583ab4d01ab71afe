// philox.cu — counter-based random numbers: Philox-4x32-10 (Salmon et al., SC'11; Random123).
//
// The numbers depend only on (seed, offset, element index): never on the launch geometry, the
// device or any host state, so a draw is reproducible anywhere and can sit in a CUDA graph.
//
// Mapping (the contract; jgan.reference.PhiloxReference implements the same):
//   element i of a draw at (seed, offset) comes from ONE Philox-4x32-10 block call with
//     counter c  = offset + i/4 (unsigned 64-bit), as the 128-bit counter {lo32(c), hi32(c), 0, 0}
//     key        = {lo32(seed), hi32(seed)}
//   and is built from output word i%4 of that call. A draw of n elements therefore uses the
//   ceil(n/4) counters offset .. offset + ceil(n/4) - 1 (Philox.countersFor(n)); the caller
//   advances its offset by that much for the next, independent draw. Consequence (tested):
//     draw(n, seed, offset + k) == draw(m, seed, offset)[4k : 4k + n]   whenever 4k + n <= m,
//   for bits, uniform and normal alike (a normal pair never straddles two counters).
//
// Entry points (out: n elements, any n >= 1; the tail of the last counter is discarded):
//   philox_bits(out, n, seed, offset):               out[i] = word i%4 (raw 32 bits, for exact tests)
//   philox_uniform(out, n, seed, offset, lo, hi):    out[i] = lo + (hi - lo) * u,   u in [0, 1)
//       u = (word >> 8) * 2^-24: the top 24 bits, exactly representable in float, every value
//       equally likely, 0 included, 1 excluded. The affine map is evaluated in double,
//       (float) fma((double)hi - (double)lo, u, lo), so it never overflows (hi - lo of two
//       finite floats is finite in double) and is bit-exact against the Java reference (one
//       fma, one subtraction, one rounding to float: all correctly rounded on both sides).
//       Rounding to float can land ON hi when the range is narrow next to |lo|, |hi|; such a
//       value is replaced by the largest float below hi, so out is always in [lo, hi).
//   philox_normal_at(out, n, seed, offset_ptr, mean, std): philox_normal with the offset read
//       from device memory, for draws inside a replayed CUDA graph (whose launch arguments are
//       fixed at capture): counter_add_i64 (counters.cu) advances *offset_ptr after the draw.
//   philox_normal(out, n, seed, offset, mean, std): out[i] = mean + std * z_i, z_i ~ N(0, 1),
//       Box-Muller on the word pairs (0, 1) and (2, 3) of each call:
//         u1 = ((w_a >> 8) + 1) * 2^-24 in (0, 1]   (so log(u1) is finite; u1 = 1 gives r = 0)
//         u2 =  (w_b >> 8)      * 2^-24 in [0, 1)
//         r = sqrt(-2 log u1), theta = 2 pi u2
//         z_{4k} = r cos(theta), z_{4k+1} = r sin(theta)    from words 0, 1
//         z_{4k+2}, z_{4k+3} likewise                        from words 2, 3
//       In float with the accurate logf / sincosf (never __logf: its absolute error near
//       u1 = 1 would swamp the tiny r there); within a few 1e-7 of the double reference
//       (|z| <= sqrt(2 * 24 ln 2) = 5.77, so the tails are cut there, at p ~ 8e-9).
//
// Philox-4x32-10: 10 rounds of two 32x32 -> 64-bit multiplies (multipliers 0xD2511F53,
// 0xCD9E8D57; __umulhi for the high halves), the key bumped by the Weyl constants
// (0x9E3779B9, 0xBB67AE85) between rounds. Passes BigCrush (Random123's claim); checked here
// against the published Random123 known-answer vectors through the Java reference.
//
// Launch: 1-D, a grid-stride loop over the ceil(n/4) counters, one counter (four outputs) per
// thread per step; a 128-bit store when out is 16-byte aligned and the four are all in range.
// Expected bound: compute, lightly. Per counter ~20 IMAD/IMAD.HI, ~30 XOR/IADD, 16 bytes
// written (uniform adds four FP64 FMAs: cheap on H200's full-rate FP64, ~1/64 rate on consumer
// parts, still below the store cost for latent-sized draws; normal adds two logf, two sincosf,
// two sqrtf). At H200's ~4.3 TB/s the store alone is ~3.7 us per 4M floats; the
// integer work is of the same order, so expect it near the memory roofline.
#include "philox.cuh"

namespace philox_detail {

// Writes the four values of counter k: one 128-bit store when possible, else the ones in range.
template <class T, class V4>
__device__ __forceinline__ void store4(T* out, int n, int base, bool vector_ok, T a, T b, T c, T d) {
    if (vector_ok && base + 3 < n) {
        V4 v;
        v.x = a; v.y = b; v.z = c; v.w = d;
        *reinterpret_cast<V4*>(out + base) = v;
    } else {
        out[base] = a;  // base < n always: k < ceil(n/4)
        if (base + 1 < n) out[base + 1] = b;
        if (base + 2 < n) out[base + 2] = c;
        if (base + 3 < n) out[base + 3] = d;
    }
}

// ceil(n/4) without overflowing int at n near INT_MAX.
__device__ __forceinline__ int counters_for(int n) { return n > 0 ? (n - 1) / 4 + 1 : 0; }

}  // namespace philox_detail

JGAN_KERNEL void philox_bits(unsigned* out, int n, long long seed, long long offset) {
    using namespace philox_detail;
    const int counters = counters_for(n);
    const bool vector_ok = aligned16(out);
    int* outi = reinterpret_cast<int*>(out);  // int4 stores (the host runtime has no uint4); int may alias unsigned
    for (int k = blockIdx.x * blockDim.x + threadIdx.x; k < counters; k += gridDim.x * blockDim.x) {
        const Block b = philox4x32_10((unsigned long long)offset + (unsigned long long)k, (unsigned long long)seed);
        store4<int, int4>(outi, n, 4 * k, vector_ok, (int)b.w0, (int)b.w1, (int)b.w2, (int)b.w3);
    }
}

JGAN_KERNEL void philox_uniform(float* out, int n, long long seed, long long offset, float lo, float hi) {
    using namespace philox_detail;
    const int counters = counters_for(n);
    const bool vector_ok = aligned16(out);
    const double dlo = lo, range = (double)hi - (double)lo;  // exact enough and finite: see the header
    for (int k = blockIdx.x * blockDim.x + threadIdx.x; k < counters; k += gridDim.x * blockDim.x) {
        const Block b = philox4x32_10((unsigned long long)offset + (unsigned long long)k, (unsigned long long)seed);
        store4<float, float4>(out, n, 4 * k, vector_ok, affine(b.w0, dlo, range, hi), affine(b.w1, dlo, range, hi),
                              affine(b.w2, dlo, range, hi), affine(b.w3, dlo, range, hi));
    }
}

namespace philox_detail {
__device__ __forceinline__ void normal_draw(float* out, int n, long long seed, long long offset, float mean, float stddev) {
    const int counters = counters_for(n);
    const bool vector_ok = aligned16(out);
    for (int k = blockIdx.x * blockDim.x + threadIdx.x; k < counters; k += gridDim.x * blockDim.x) {
        const Block b = philox4x32_10((unsigned long long)offset + (unsigned long long)k, (unsigned long long)seed);
        float z0, z1, z2, z3;
        box_muller(b.w0, b.w1, mean, stddev, z0, z1);
        box_muller(b.w2, b.w3, mean, stddev, z2, z3);
        store4<float, float4>(out, n, 4 * k, vector_ok, z0, z1, z2, z3);
    }
}
}  // namespace philox_detail

JGAN_KERNEL void philox_normal(float* out, int n, long long seed, long long offset, float mean, float stddev) {
    philox_detail::normal_draw(out, n, seed, offset, mean, stddev);
}

JGAN_KERNEL void philox_normal_at(float* out, int n, long long seed, const long long* offset, float mean, float stddev) {
    philox_detail::normal_draw(out, n, seed, *offset, mean, stddev);
}
