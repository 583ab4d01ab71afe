// runtime_checks.cu — kernels that pin down the CUDA semantics the host runtime must honour.
//
// Not part of any model: the conformance tests run them on every device and compare with plain
// Java, so the host runtime's shuffles, ballots, barriers, shared memory, atomics and wmma are
// checked against the same expectations the GPU is checked against.
#include "jgan_portable.cuh"

// out has 6 ints per thread of a 1-D block:
//   [0] __shfl_sync      from lane (lane + 3) % 32          value 10 * tid + 1
//   [1] __shfl_xor_sync  lane ^ 5                           value tid
//   [2] __shfl_down_sync by 3 (own value past the end)      value tid
//   [3] __shfl_up_sync   by 2 within segments of 16         value tid
//   [4] __ballot_sync    of (tid % 3 == 0)                  (as int bits)
//   [5] __shfl_xor_sync  lane ^ 8 within segments of 8      value tid (reads its own: 8 is outside)
JGAN_KERNEL void check_warp_intrinsics(int* out) {
    const int tid = blockIdx.x * blockDim.x + threadIdx.x;
    const int lane = threadIdx.x % 32;
    int* o = out + 6 * tid;
    o[0] = __shfl_sync(JGAN_FULL_MASK, 10 * tid + 1, (lane + 3) % 32);
    o[1] = __shfl_xor_sync(JGAN_FULL_MASK, tid, 5);
    o[2] = __shfl_down_sync(JGAN_FULL_MASK, tid, 3);
    o[3] = __shfl_up_sync(JGAN_FULL_MASK, tid, 2, 16);
    o[4] = (int)__ballot_sync(JGAN_FULL_MASK, tid % 3 == 0);
    o[5] = __shfl_xor_sync(JGAN_FULL_MASK, tid, 8, 8);
}

// Shared-memory tree reduction per block (static shared memory and barriers), then one atomic
// add per block into *sum. blockDim.x must be 256.
JGAN_KERNEL void check_block_sum_atomic(const float* x, float* sum, int n) {
    __shared__ float s[256];
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    s[threadIdx.x] = i < n ? x[i] : 0.f;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) s[threadIdx.x] += s[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) atomicAdd(sum, s[0]);
}

// Reverses each block's slice through dynamic shared memory (blockDim.x floats of it).
JGAN_KERNEL void check_dynamic_shared_reverse(const float* x, float* y, int n) {
    JGAN_DYNAMIC_SHARED(float, tile);
    const int base = blockIdx.x * blockDim.x;
    const int i = base + threadIdx.x;
    tile[threadIdx.x] = i < n ? x[i] : 0.f;
    __syncthreads();
    const int j = base + (blockDim.x - 1 - threadIdx.x);
    if (j < n) y[j] = tile[threadIdx.x];
}

// One warp: C (16x16, row-major) = A (16x8, row-major) * B (8x16, row-major) in TF32 with the
// inputs rounded by __float_to_tf32 first.
// On sm_75 (no tf32/bf16 tensor cores) these two write nothing; their tests skip there.
JGAN_KERNEL void check_wmma_tf32(const float* a, const float* b, float* c) {
#if JGAN_HAS_WMMA_TF32_BF16
    using namespace nvcuda;
    wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fa;
    wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fb;
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> fc;
    wmma::fill_fragment(fc, 0.0f);
    wmma::load_matrix_sync(fa, a, 8);
    wmma::load_matrix_sync(fb, b, 16);
    for (int e = 0; e < fa.num_elements; ++e) fa.x[e] = wmma::__float_to_tf32(fa.x[e]);
    for (int e = 0; e < fb.num_elements; ++e) fb.x[e] = wmma::__float_to_tf32(fb.x[e]);
    wmma::mma_sync(fc, fa, fb, fc);
    wmma::store_matrix_sync(c, fc, 16, wmma::mem_row_major);
#endif
}

// One warp: C (16x16, row-major) = A (16x16, row-major) * B (16x16, column-major), the inputs
// rounded to half (use_bf16 == 0) or bfloat16 (use_bf16 != 0) through shared memory, fp32 sums.
JGAN_KERNEL void check_wmma_16bit(const float* a, const float* b, float* c, int use_bf16) {
#if JGAN_HAS_WMMA_TF32_BF16
    using namespace nvcuda;
    __shared__ __half ah[256], bh[256];
    __shared__ __nv_bfloat16 ab[256], bb[256];
    for (int e = threadIdx.x; e < 256; e += 32) {
        ah[e] = __float2half(a[e]);
        bh[e] = __float2half(b[e]);
        ab[e] = __float2bfloat16(a[e]);
        bb[e] = __float2bfloat16(b[e]);
    }
    __syncwarp();
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> fc;
    wmma::fill_fragment(fc, 0.0f);
    if (use_bf16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> fa;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> fb;
        wmma::load_matrix_sync(fa, ab, 16);
        wmma::load_matrix_sync(fb, bb, 16);
        wmma::mma_sync(fc, fa, fb, fc);
    } else {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> fa;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> fb;
        wmma::load_matrix_sync(fa, ah, 16);
        wmma::load_matrix_sync(fb, bh, 16);
        wmma::mma_sync(fc, fa, fb, fc);
    }
    wmma::store_matrix_sync(c, fc, 16, wmma::mem_row_major);
#endif
}
