// dense.cu — the dense (fully connected) layer as GEMM with fused epilogues: forward, data
// gradient, weight gradient (+ bias gradient).
//
// Shapes (row-major): x [B, IN], W [OUT, IN] (PyTorch's layout), b [OUT], y [B, OUT].
//   dense_forward:         y  = act(x W^T + b)
//   dense_backward_data:   dx = dz W,            dz = dy * act'(y)
//   dense_backward_weight: dW (=|+=) dz^T x,     db (=|+=) sum over rows of dz   (db optional)
// act is identity, ReLU, leaky ReLU (slope) or tanh. Its derivative is taken from the forward's
// OUTPUT y (all four allow it), and applied while dy is loaded into shared memory, so dz is
// never written out.
//
// Which tensor plays which GEMM role (C[M,N] = A[M,K] B[K,N]):
//   op        M    N    K    A                    B                   C
//   forward   B    OUT  IN   x      (row-major)   W^T (W row-major)   y   (+ bias, act)
//   data      B    IN   OUT  dz     (row-major)   W   (row-major)     dx
//   weight    OUT  IN   B    dz^T   (dz row-major) x  (row-major)     dW  (+ row sums of A -> db)
//
// One tiled kernel serves all three: 64x64 output tiles, 256 threads, K in steps of 16. The
// next K-tile is fetched from global memory into registers while the current one is computed
// from shared memory (two shared buffers, one barrier per step). Math modes:
//   0 FP32: SIMT FMAs, each thread a 4x4 block of outputs.
//   1 TF32: tensor cores through wmma m16n16k8, FP32 accumulation (8 warps, each 16x32 of the
//     tile); operands are rounded to tf32 (nearest) when loaded into fragments. Needs
//     sm_80; on older GPUs the kernel computes in FP32 whatever it is asked.
//
// Expected bound: compute for the layer sizes of real models (2*B*IN*OUT FLOPs for each of the
// three; H200: ~67 TFLOP/s FP32, ~495 TF32 dense), memory for the tiny 2-D toy layers where
// K or N is 2 (there the launch itself dominates).
#include "jgan_portable.cuh"

namespace dense_detail {

constexpr int BM = 64, BN = 64, BK = 16, THREADS = 256;
constexpr int A_LD = BK + 4;  // padded shared-memory rows: fewer bank conflicts, 16-byte multiples for wmma
constexpr int B_LD = BN + 4;
constexpr int C_LD = BN + 4;

enum Activation { IDENTITY = 0, RELU = 1, LEAKY_RELU = 2, TANH = 3 };

__device__ __forceinline__ float activate(float v, int act, float slope) {
    switch (act) {
        case RELU: return v > 0.f ? v : 0.f;
        case LEAKY_RELU: return v > 0.f ? v : slope * v;
        case TANH: return tanhf(v);
        default: return v;
    }
}

// d act / d pre-activation, from the activation's output y.
__device__ __forceinline__ float activation_grad(float y, int act, float slope) {
    switch (act) {
        case RELU: return y > 0.f ? 1.f : 0.f;
        case LEAKY_RELU: return y > 0.f ? 1.f : slope;
        case TANH: return 1.f - y * y;
        default: return 1.f;
    }
}

// How an operand is laid out in global memory, relative to its GEMM role.
//   A: ROW means A[m][k] = p[m*ld + k]; COL means A[m][k] = p[k*ld + m].
//   B: ROW means B[k][n] = p[k*ld + n]; COL means B[k][n] = p[n*ld + k].
enum Layout { ROW = 0, COL = 1 };

struct Problem {
    int M, N, K;
    const float* A;
    int lda;
    int a_layout;
    const float* A_act_out;  // non-null: A is dy, multiply by act'(this at the same offset)
    const float* B;
    int ldb;
    int b_layout;
    int act;
    float slope;
};

// Loads this thread's 4 elements of the A tile starting at (m0, k0) into registers. Consecutive
// threads read consecutive addresses whichever way A is laid out.
__device__ __forceinline__ void load_a(const Problem& p, int m0, int k0, float (&r)[4]) {
    for (int j = 0; j < 4; ++j) {
        const int e = threadIdx.x + j * THREADS;
        int m, k;
        if (p.a_layout == ROW) { m = e / BK; k = e % BK; } else { k = e / BM; m = e % BM; }
        const int gm = m0 + m, gk = k0 + k;
        float v = 0.f;
        if (gm < p.M && gk < p.K) {
            const long long off = p.a_layout == ROW ? (long long)gm * p.lda + gk : (long long)gk * p.lda + gm;
            v = p.A[off];
            if (p.A_act_out) v *= activation_grad(p.A_act_out[off], p.act, p.slope);
        }
        r[j] = v;
    }
}

__device__ __forceinline__ void load_b(const Problem& p, int k0, int n0, float (&r)[4]) {
    for (int j = 0; j < 4; ++j) {
        const int e = threadIdx.x + j * THREADS;
        int k, n;
        if (p.b_layout == ROW) { k = e / BN; n = e % BN; } else { n = e / BK; k = e % BK; }
        const int gk = k0 + k, gn = n0 + n;
        float v = 0.f;
        if (gk < p.K && gn < p.N) {
            v = p.b_layout == ROW ? p.B[(long long)gk * p.ldb + gn] : p.B[(long long)gn * p.ldb + gk];
        }
        r[j] = v;
    }
}

// Stores the registers of load_a/load_b into the shared tiles As[m][k] and Bs[k][n], unrounded
// (the bias gradient sums A exactly; TF32 fragments are rounded after they are loaded).
__device__ __forceinline__ void store_tiles(const Problem& p, const float (&ra)[4], const float (&rb)[4], float* As, float* Bs) {
    for (int j = 0; j < 4; ++j) {
        const int e = threadIdx.x + j * THREADS;
        int m, k;
        if (p.a_layout == ROW) { m = e / BK; k = e % BK; } else { k = e / BM; m = e % BM; }
        float a = ra[j];
        int kb, n;
        if (p.b_layout == ROW) { kb = e / BN; n = e % BN; } else { n = e / BK; kb = e % BK; }
        float b = rb[j];
        As[m * A_LD + k] = a;
        Bs[kb * B_LD + n] = b;
    }
}

// The tiled main loop. On return acc[i][j] holds C[m0 + ty*4 + i][n0 + tx*4 + j] (tx = tid % 16,
// ty = tid / 16), and row_sum (threads 0..63, when want_row_sums) the sum over K of A's row
// m0 + tid.
__device__ __forceinline__ void gemm_tile(const Problem& p, int m0, int n0, bool tf32, bool want_row_sums, float (&acc)[4][4],
                          float& row_sum) {
    __shared__ __align__(32) float As[2][BM * A_LD];
    __shared__ __align__(32) float Bs[2][BK * B_LD];
    __shared__ __align__(32) float Cs[BM * C_LD];
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) acc[i][j] = 0.f;
    row_sum = 0.f;

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
#endif

    float ra[4], rb[4];
    load_a(p, m0, 0, ra);
    load_b(p, 0, n0, rb);
    store_tiles(p, ra, rb, As[0], Bs[0]);
    __syncthreads();

    const int tiles = (p.K + BK - 1) / BK;
    for (int t = 0; t < tiles; ++t) {
        const int cur = t & 1;
        const bool more = t + 1 < tiles;
        if (more) {  // fetch the next tile while this one is computed
            load_a(p, m0, (t + 1) * BK, ra);
            load_b(p, (t + 1) * BK, n0, rb);
        }
        const float* A = As[cur];
        const float* B = Bs[cur];
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
        if (more) store_tiles(p, ra, rb, As[cur ^ 1], Bs[cur ^ 1]);
        __syncthreads();
    }

#if JGAN_HAS_WMMA_TF32_BF16
    if (tf32) {
        // Fragments to shared memory, then every thread takes its 4x4 block as in FP32 mode.
        for (int f = 0; f < 2; ++f)
            wmma::store_matrix_sync(Cs + (wm * 16) * C_LD + wn * 32 + f * 16, cf[f], C_LD, wmma::mem_row_major);
        __syncthreads();
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) acc[i][j] = Cs[(ty * 4 + i) * C_LD + tx * 4 + j];
    }
#endif
    (void)Cs;
}

// The epilogue's walk over this thread's 4x4 outputs of the tile at (m0, n0): store(m, n, v)
// for every one inside the M x N problem.
template <class Store>
__device__ __forceinline__ void for_each_output(const Problem& p, int m0, int n0, const float (&acc)[4][4], Store store) {
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    for (int i = 0; i < 4; ++i) {
        const int m = m0 + ty * 4 + i;
        if (m >= p.M) continue;
        for (int j = 0; j < 4; ++j) {
            const int n = n0 + tx * 4 + j;
            if (n < p.N) store(m, n, acc[i][j]);
        }
    }
}

}  // namespace dense_detail

// y[B, OUT] = act(x[B, IN] W[OUT, IN]^T + b[OUT]); b may be null.
JGAN_KERNEL void dense_forward(const float* x, const float* w, const float* b, float* y, int rows, int in, int out, int act, float slope, int math_mode) {
    using namespace dense_detail;
    const Problem p{rows, out, in, x, in, ROW, nullptr, w, in, COL, act, slope};
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    float acc[4][4], unused;
    gemm_tile(p, m0, n0, math_mode == 1, false, acc, unused);
    for_each_output(p, m0, n0, acc, [&](int m, int n, float v) {
        y[(long long)m * out + n] = activate(v + (b ? b[n] : 0.f), act, slope);
    });
}

// dx[B, IN] = (dy * act'(y))[B, OUT] W[OUT, IN].
JGAN_KERNEL void dense_backward_data(const float* dy, const float* y, const float* w, float* dx, int rows, int in, int out, int act, float slope, int math_mode) {
    using namespace dense_detail;
    const Problem p{rows, in, out, dy, out, ROW, y, w, in, ROW, act, slope};
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    float acc[4][4], unused;
    gemm_tile(p, m0, n0, math_mode == 1, false, acc, unused);
    for_each_output(p, m0, n0, acc, [&](int m, int n, float v) { dx[(long long)m * in + n] = v; });
}

// dW[OUT, IN] (=|+=) (dy * act'(y))^T x; db[OUT] (=|+=) its row sums (db may be null). The
// blocks of the first column of tiles compute db, in a fixed order: deterministic.
JGAN_KERNEL void dense_backward_weight(const float* dy, const float* y, const float* x, float* dw, float* db, int rows, int in, int out, int act, float slope, int accumulate, int math_mode) {
    using namespace dense_detail;
    const Problem p{out, in, rows, dy, out, COL, y, x, in, ROW, act, slope};
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const bool bias_block = db != nullptr && blockIdx.x == 0;
    float acc[4][4], row_sum;
    gemm_tile(p, m0, n0, math_mode == 1, bias_block, acc, row_sum);
    for_each_output(p, m0, n0, acc, [&](int m, int n, float v) {
        float* d = dw + (long long)m * in + n;
        *d = accumulate ? *d + v : v;
    });
    if (bias_block && (int)threadIdx.x < BM && m0 + (int)threadIdx.x < out) {
        float* d = db + m0 + threadIdx.x;
        *d = accumulate ? *d + row_sum : row_sum;
    }
}
