// implicit_gemm.cuh — the one tiled GEMM mainloop of jgan, shared by dense.cu and conv.cu.
//
// C[M, N] = A[M, K] B[K, N], one 64x64 tile of C per block of 256 threads, K in steps of 16.
// The mainloop knows nothing of where A and B live: it asks two operand iterators (in
// CUTLASS's sense) for each thread's share of the next K-tile, as registers. A dense layer's
// row- or column-major matrix is one iterator (PitchLinearA/B below); a convolution's implicit
// im2col (conv.cu) is another, computing addresses from (n, p, q) x (r, s, c) with padding
// read as zeros — the activation tensor is never unfolded in memory. A dense layer is then the
// 1x1 convolution of this same machinery.
//
// Pipeline (one barrier per K-step): tile t is computed from shared buffer t&1 while tile t+1 is
// fetched from global memory into registers; after the math the registers go to the other
// buffer, then one __syncthreads. The global loads are thus in flight during the math.
//
// Math modes:
//   FP32: SIMT, each thread a 4x4 block of C (rows ty*4.., cols tx*4.., tx = tid%16, ty = tid/16);
//         the B row is one 128-bit shared load.
//   TF32: wmma m16n16k8 with FP32 accumulation, 8 warps each 16x32 of the tile; the fragments
//         are rounded to tf32 (nearest) after loading, so shared memory keeps exact FP32 (the
//         row sums below need it). Needs sm_80 (JGAN_HAS_WMMA_TF32_BF16); elsewhere FP32.
//
// Operand iterator contract (per thread; see PitchLinearA):
//   A: static constexpr bool kContiguousK; void load(int k0, float (&r)[4]) const — the thread's
//      4 elements of A[m0.., k0..k0+15] at tile coordinates a_coord(j) (0 outside the problem).
//   B: static constexpr bool kContiguousN; void load(int k0, float (&r)[4]) const — likewise at
//      b_coord(j).
// The coordinate maps put consecutive threads on consecutive addresses of the contiguous
// dimension, so a warp's loads coalesce whichever way an operand is laid out.
//
// Shared memory: 18,944 bytes (two A tiles 64x(16+4), two B tiles 16x(64+4); the TF32 result
// staging tile 64x(64+4) reuses the same bytes after the mainloop). The +4 pads keep rows on
// 16-byte multiples (wmma needs 32-byte aligned tiles, float4 loads 16) and shift banks.
#pragma once
#include "jgan_portable.cuh"
#include "activation.cuh"

// Full unrolling where a loop indexes the accumulators: a loop left rolled (its body is large,
// e.g. dgrad's epilogue) would index acc dynamically and move it to local memory. g++ (the host
// build) has no such pragma and needs none.
#if defined(JGAN_HOST)
#  define IGEMM_UNROLL
#else
#  define IGEMM_UNROLL _Pragma("unroll")
#endif

namespace igemm {

constexpr int BM = 64, BN = 64, BK = 16, THREADS = 256;
constexpr int A_LD = BK + 4;
constexpr int B_LD = BN + 4;
constexpr int C_LD = BN + 4;
constexpr int A_TILE = BM * A_LD;  // floats per A buffer (multiple of 8: 32-byte aligned buffers)
constexpr int B_TILE = BK * B_LD;
constexpr int SMEM_FLOATS = 2 * A_TILE + 2 * B_TILE;
static_assert(BM * C_LD <= SMEM_FLOATS, "the C staging tile reuses the operand buffers");

using namespace jgan_activation;  // activate / activation_grad: one definition, kernels/activation.cuh

// Tile coordinates of a thread's j-th element (j = 0..3) of an A tile [BM][BK].
template <bool kContiguousK>
__device__ __forceinline__ void a_coord(int j, int& m, int& k) {
    const int e = threadIdx.x + j * THREADS;
    if (kContiguousK) { m = e / BK; k = e % BK; } else { k = e / BM; m = e % BM; }
}

// Tile coordinates of a thread's j-th element of a B tile [BK][BN].
template <bool kContiguousN>
__device__ __forceinline__ void b_coord(int j, int& k, int& n) {
    const int e = threadIdx.x + j * THREADS;
    if (kContiguousN) { k = e / BN; n = e % BN; } else { n = e / BK; k = e % BK; }
}

// A in memory as a matrix: K-contiguous A[m][k] = p[m*ld + k], or M-contiguous p[k*ld + m].
// With act_y, A is a gradient dy and each element is multiplied by act'(act_y at the same
// offset) as it is loaded (dz = dy * act'(y) is never written out).
template <bool kContigK>
struct PitchLinearA {
    static constexpr bool kContiguousK = kContigK;
    const float* p;
    int ld, M, K, m0;
    const float* act_y;
    int act;
    float slope;
    __device__ __forceinline__ void load(int k0, float (&r)[4]) const {
        for (int j = 0; j < 4; ++j) {
            int m, k;
            a_coord<kContigK>(j, m, k);
            const int gm = m0 + m, gk = k0 + k;
            float v = 0.f;
            if (gm < M && gk < K) {
                const long long off = kContigK ? (long long)gm * ld + gk : (long long)gk * ld + gm;
                v = p[off];
                if (act_y) v *= activation_grad(act_y[off], act, slope);
            }
            r[j] = v;
        }
    }
};

// B in memory as a matrix: N-contiguous B[k][n] = p[k*ld + n], or K-contiguous p[n*ld + k]
// (a weight [N, K] used transposed).
template <bool kContigN>
struct PitchLinearB {
    static constexpr bool kContiguousN = kContigN;
    const float* p;
    int ld, K, N, n0;
    __device__ __forceinline__ void load(int k0, float (&r)[4]) const {
        for (int j = 0; j < 4; ++j) {
            int k, n;
            b_coord<kContigN>(j, k, n);
            const int gk = k0 + k, gn = n0 + n;
            float v = 0.f;
            if (gk < K && gn < N) v = kContigN ? p[(long long)gk * ld + gn] : p[(long long)gn * ld + gk];
            r[j] = v;
        }
    }
};

// The block's shared memory (one static array: every kernel built on this header uses the same).
__device__ __forceinline__ float* shared_storage() {
    __shared__ __align__(32) float smem[SMEM_FLOATS];
    return smem;
}

// Registers of the iterators -> shared tiles As[m][k], Bs[k][n], unrounded.
template <class IterA, class IterB>
__device__ __forceinline__ void store_tiles(const float (&ra)[4], const float (&rb)[4], float* As, float* Bs) {
    for (int j = 0; j < 4; ++j) {
        int m, k, kb, n;
        a_coord<IterA::kContiguousK>(j, m, k);
        b_coord<IterB::kContiguousN>(j, kb, n);
        As[m * A_LD + k] = ra[j];
        Bs[kb * B_LD + n] = rb[j];
    }
}

// The mainloop over K-tiles starting at k_begin, k_begin + BK, ... < k_end (k_begin a multiple
// of BK; the iterators zero anything past their own K). On return acc[i][j] holds the tile's
// C[ty*4 + i][tx*4 + j] (tx = tid%16, ty = tid/16) summed over those K, and row_sum (threads
// 0..63, when want_row_sums) the sum of A's row tid over the same K, in a fixed order. Must be
// reached by every thread of the block. Ends with a barrier: shared memory is free on return.
template <class IterA, class IterB>
__device__ __forceinline__ void mainloop(const IterA& ia, const IterB& ib, int k_begin, int k_end, bool tf32, bool want_row_sums,
                                         float (&acc)[4][4], float& row_sum) {
    float* smem = shared_storage();
    float* const As = smem;               // As + buf * A_TILE (offsets, not an array of pointers: no local memory)
    float* const Bs = smem + 2 * A_TILE;  // Bs + buf * B_TILE
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;
    row_sum = 0.f;
    // An empty K range (a dgrad phase that no filter tap reaches) still runs one tile, of zeros
    // (the iterators zero everything past their K): cheaper than a branch that keeps acc out of
    // registers.
    const int tiles = k_end > k_begin ? (k_end - k_begin + BK - 1) / BK : 1;

#if JGAN_HAS_WMMA_TF32_BF16
    using namespace nvcuda;
    const int warp = tid / 32, wm = warp % 4, wn = warp / 4;  // warp tile: rows wm*16.., cols wn*32..
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> cf[2];
    if (tf32) {
        wmma::fill_fragment(cf[0], 0.f);
        wmma::fill_fragment(cf[1], 0.f);
    }
#else
    tf32 = false;
    (void)tf32;
#endif

    float ra[4], rb[4];
    ia.load(k_begin, ra);
    ib.load(k_begin, rb);
    store_tiles<IterA, IterB>(ra, rb, As, Bs);
    __syncthreads();

    for (int t = 0; t < tiles; ++t) {
        const int cur = t & 1;
        const bool more = t + 1 < tiles;
        if (more) {  // fetch the next tile while this one is computed
            ia.load(k_begin + (t + 1) * BK, ra);
            ib.load(k_begin + (t + 1) * BK, rb);
        }
        const float* A = As + cur * A_TILE;
        const float* B = Bs + cur * B_TILE;
        if (want_row_sums && tid < BM) {
            for (int k = 0; k < BK; ++k) row_sum += A[tid * A_LD + k];
        }
#if JGAN_HAS_WMMA_TF32_BF16
        if (tf32) {
            for (int kk = 0; kk < BK; kk += 8) {
                wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> af;
                wmma::load_matrix_sync(af, A + (wm * 16) * A_LD + kk, A_LD);
                for (int e = 0; e < af.num_elements; ++e) af.x[e] = wmma::__float_to_tf32(af.x[e]);
                for (int f = 0; f < 2; ++f) {
                    wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> bf;
                    wmma::load_matrix_sync(bf, B + kk * B_LD + wn * 32 + f * 16, B_LD);
                    for (int e = 0; e < bf.num_elements; ++e) bf.x[e] = wmma::__float_to_tf32(bf.x[e]);
                    wmma::mma_sync(cf[f], af, bf, cf[f]);
                }
            }
        } else
#endif
        {
            for (int k = 0; k < BK; ++k) {
                float a[4];
                for (int i = 0; i < 4; ++i) a[i] = A[(ty * 4 + i) * A_LD + k];
                const float4 b4 = *reinterpret_cast<const float4*>(B + k * B_LD + tx * 4);  // one 128-bit load
                const float b[4] = {b4.x, b4.y, b4.z, b4.w};
                for (int i = 0; i < 4; ++i)
                    for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
            }
        }
        if (more) store_tiles<IterA, IterB>(ra, rb, As + (cur ^ 1) * A_TILE, Bs + (cur ^ 1) * B_TILE);
        __syncthreads();
    }

#if JGAN_HAS_WMMA_TF32_BF16
    if (tf32) {
        // Fragments to shared memory (the operand buffers are free after the last barrier), then
        // every thread takes its 4x4 block as in FP32 mode.
        float* Cs = smem;
        for (int f = 0; f < 2; ++f)
            wmma::store_matrix_sync(Cs + (wm * 16) * C_LD + wn * 32 + f * 16, cf[f], C_LD, wmma::mem_row_major);
        __syncthreads();
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) acc[i][j] = Cs[(ty * 4 + i) * C_LD + tx * 4 + j];
        __syncthreads();
    }
#endif
}

// The epilogue's walk over this thread's 4x4 outputs of the tile at (m0, n0): store(m, n, v) for
// every one inside the M x N problem.
template <class Store>
__device__ __forceinline__ void for_each_output(int M, int N, int m0, int n0, const float (&acc)[4][4], Store store) {
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    IGEMM_UNROLL
    for (int i = 0; i < 4; ++i) {
        const int m = m0 + ty * 4 + i;
        if (m >= M) continue;
        IGEMM_UNROLL
        for (int j = 0; j < 4; ++j) {
            const int n = n0 + tx * 4 + j;
            if (n < N) store(m, n, acc[i][j]);
        }
    }
}

}  // namespace igemm
