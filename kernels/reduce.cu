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
#include "jgan_portable.cuh"

namespace reduce_detail {

constexpr int kThreads = 256;  // the Java face launches exactly this many threads per block

// Sum over the block; the result is valid in thread 0. Fixed order: deterministic.
__device__ __forceinline__ float block_sum(float v) {
    __shared__ float warp_sums[kThreads / 32];
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(JGAN_FULL_MASK, v, off);
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    v = 0.f;
    if (warp == 0) {
        v = lane < kThreads / 32 ? warp_sums[lane] : 0.f;
        for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(JGAN_FULL_MASK, v, off);
    }
    return v;
}

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
    const float block_total = block_sum(acc);

    __shared__ bool last_block;
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = block_total;
        __threadfence();  // the partial is visible to every block before the ticket is taken
        last_block = atomicAdd(counter, 1u) == gridDim.x - 1;
    }
    __syncthreads();
    if (!last_block) return;

    // The last block: add the partials in block order (volatile: read them from memory, not L1).
    const volatile float* p = partials;
    float v = 0.f;
    for (int b = threadIdx.x; b < (int)gridDim.x; b += blockDim.x) v += p[b];
    const float total = block_sum(v);
    if (threadIdx.x == 0) {
        const float mean = total / (float)n;
        *out = accumulate ? *out + mean : mean;
        *counter = 0u;  // ready for the next launch or graph replay
    }
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
