// reduce.cu — device-side statistics without a host round trip: a deterministic mean, and a
// NaN/Inf watchdog.
//
//   reduce_mean(x, n, out, partials, counter, transform, accumulate):
//     out = (1/n) sum_i f(x_i)     (out += ... when accumulate != 0)
//     f = identity (transform 0) or sigmoid (transform 1: mean D(x) from the discriminator's
//     logits, for the GAN statistics; computed without overflow: exp only sees -|x|).
//   One launch, deterministic: as sigmoid_cross_entropy.cu, each block writes its partial sum,
//   the last block to finish (an atomic ticket) adds the partials in block order, writes out,
//   and resets the ticket so a captured graph can replay it. Workspace: partials[gridDim.x]
//   and one unsigned counter, zero before the first launch.
//
//   finite_check(x, n, flag):
//     *flag = 1 if any x_i is NaN or +-Inf; otherwise *flag is left as it was. It never clears
//     the flag: the caller zeroes it (fill32) and may check several tensors into one flag.
//     A float is not finite iff its exponent bits are all ones. Each warp votes (__any_sync)
//     and one lane stores, so even an all-NaN tensor costs one store per warp, not per element.
//
// Expected bound: memory: 4 bytes read per element (plus 4 written per block); the sigmoid
// adds ~10 FLOPs (one exp, one division). Both are grid-stride loops over at most 1024 and 2048
// blocks; finite_check reads float4 when x is 16-byte aligned.
#include "grid_reduce.cuh"

namespace reduce_detail {

constexpr int kThreads = 256;  // the Java face launches exactly this many threads per block

__device__ __forceinline__ float sigmoid(float z) {
    const float e = expf(-fabsf(z));  // in (0, 1]
    const float inv = 1.f / (1.f + e);
    return z >= 0.f ? inv : e * inv;
}

__device__ __forceinline__ bool not_finite(float v) { return (__float_as_uint(v) & 0x7f800000u) == 0x7f800000u; }

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

}  // namespace reduce_detail

JGAN_KERNEL void reduce_mean(const float* x, int n, float* out, float* partials, unsigned* counter, int transform, int accumulate) {
    using namespace reduce_detail;
    float acc = 0.f;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        const float v = x[i];
        acc += transform == 1 ? sigmoid(v) : v;
    }
    // the mean in one launch, deterministically (grid_reduce.cuh)
    grid_reduce::grid_sum<kThreads>(acc, partials, counter, out, 1.0f / (float)n, accumulate);
}

JGAN_KERNEL void finite_check(const float* x, int n, int* flag) {
    using namespace reduce_detail;
    const int stride = gridDim.x * blockDim.x;
    const int start = blockIdx.x * blockDim.x + threadIdx.x;
    bool bad = false;
    int done = 0;
    if (aligned16(x)) {
        const int n4 = n / 4;
        const float4* x4 = reinterpret_cast<const float4*>(x);
        for (int i = start; i < n4; i += stride) {
            const float4 v = x4[i];
            bad |= not_finite(v.x) | not_finite(v.y) | not_finite(v.z) | not_finite(v.w);
        }
        done = n4 * 4;
    }
    for (int i = done + start; i < n; i += stride) bad |= not_finite(x[i]);
    // Every lane of the warp is here (no early exit): one vote, one store per warp at most.
    if (__any_sync(JGAN_FULL_MASK, bad) && threadIdx.x % 32 == 0) atomicExch(flag, 1);
}
