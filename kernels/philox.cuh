// philox.cuh — the Philox-4x32-10 block function and its uniform/normal conversions, shared by
// philox.cu (the draws) and every kernel that samples (mixture.cu). The mapping from (seed,
// counter) to numbers is documented in philox.cu.
#pragma once

#include "jgan_portable.cuh"

namespace philox_detail {

constexpr unsigned kMul0 = 0xD2511F53u;
constexpr unsigned kMul1 = 0xCD9E8D57u;
constexpr unsigned kWeyl0 = 0x9E3779B9u;
constexpr unsigned kWeyl1 = 0xBB67AE85u;
constexpr float kTwoPow24Inv = 1.0f / 16777216.0f;  // 2^-24, exact
constexpr float kTwoPi = 6.283185307179586f;

struct Block {
    unsigned w0, w1, w2, w3;
};

// One Philox-4x32-10 call on the counter {lo32(c), hi32(c), 0, 0} with the key {lo32(s), hi32(s)}.
__device__ __forceinline__ Block philox4x32_10(unsigned long long counter, unsigned long long seed) {
    unsigned c0 = (unsigned)counter, c1 = (unsigned)(counter >> 32), c2 = 0u, c3 = 0u;
    unsigned k0 = (unsigned)seed, k1 = (unsigned)(seed >> 32);
    for (int round = 0; round < 10; ++round) {  // nvcc unrolls it fully at -O3 (no #pragma: g++ warns)
        const unsigned hi0 = __umulhi(kMul0, c0), lo0 = kMul0 * c0;
        const unsigned hi1 = __umulhi(kMul1, c2), lo1 = kMul1 * c2;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += kWeyl0;  // the bump after the last round is never used: harmless, and keeps the loop simple
        k1 += kWeyl1;
    }
    return Block{c0, c1, c2, c3};
}

// Top 24 bits as a float in [0, 1), exact.
__device__ __forceinline__ float u01_closed_open(unsigned w) { return (float)(w >> 8) * kTwoPow24Inv; }
// Top 24 bits plus one as a float in (0, 1], exact (integers up to 2^24 are floats).
__device__ __forceinline__ float u01_open_closed(unsigned w) { return (float)((w >> 8) + 1u) * kTwoPow24Inv; }

// lo + (hi - lo) * u in double, rounded once to float, kept below hi (see the header).
__device__ __forceinline__ float affine(unsigned w, double lo, double range, float hi) {
    const float r = (float)fma(range, (double)u01_closed_open(w), lo);
    return r >= hi ? nextafterf(hi, (float)lo) : r;
}

// Box-Muller on one word pair: the cos and sin normals, scaled and shifted.
__device__ __forceinline__ void box_muller(unsigned wa, unsigned wb, float mean, float stddev, float& z0, float& z1) {
    const float u1 = u01_open_closed(wa), u2 = u01_closed_open(wb);
    const float r = sqrtf(-2.0f * logf(u1));
    float s, c;
    sincosf(kTwoPi * u2, &s, &c);  // one argument reduction for both (glibc has sincosf too)
    z0 = mean + stddev * (r * c);
    z1 = mean + stddev * (r * s);
}

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

}  // namespace philox_detail
