// grid_reduce.cuh — deterministic sums over a whole grid in one launch, for the loss and
// statistics kernels.
//
// Each block sums its values (warp shuffles, then one warp over the warp sums: a fixed order),
// thread 0 writes the block's partial, and the last block to finish — found with an atomic
// ticket after a fence — adds the partials in block order. It writes the result and resets the
// ticket, so the kernel needs no host-side reset between launches or CUDA-graph replays. The
// same inputs give the same bits on every run, unlike float atomics.
//
// Workspace: partials[gridDim.x] floats and one unsigned ticket counter, zero before first use.
#pragma once

#include "jgan_portable.cuh"

namespace grid_reduce {

// The block's sum, valid in thread 0. Every thread of the block must call it. THREADS is the
// block size, a multiple of 32 and at most 1024.
template <int THREADS>
__device__ __forceinline__ float block_sum(float v) {
    static_assert(THREADS % 32 == 0 && THREADS <= 1024, "whole warps, at most 1024 threads");
    __shared__ float warp_sums[THREADS / 32];
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(JGAN_FULL_MASK, v, off);
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    v = 0.f;
    if (warp == 0) {
        v = lane < THREADS / 32 ? warp_sums[lane] : 0.f;
        for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(JGAN_FULL_MASK, v, off);
    }
    return v;
}

// Sums `thread_value` over the whole grid; the last block stores
// *out = scale * sum (or adds it to *out when accumulate). Every thread must call it.
template <int THREADS>
__device__ __forceinline__ void grid_sum(float thread_value, float* partials, unsigned* counter, float* out, float scale,
                                         int accumulate) {
    const float block_total = block_sum<THREADS>(thread_value);
    __shared__ bool last_block;
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = block_total;
        __threadfence();  // the partial is visible to every block before the ticket is taken
        last_block = atomicAdd(counter, 1u) == gridDim.x - 1;
    }
    __syncthreads();
    if (!last_block) return;
    // The last block: the partials in block order (volatile: from memory, not a stale L1 line).
    const volatile float* p = partials;
    float v = 0.f;
    for (int b = threadIdx.x; b < (int)gridDim.x; b += THREADS) v += p[b];
    const float total = block_sum<THREADS>(v);
    if (threadIdx.x == 0) {
        *out = accumulate ? *out + scale * total : scale * total;
        *counter = 0u;  // ready for the next launch or graph replay
    }
}

}  // namespace grid_reduce
