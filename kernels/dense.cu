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
// All three run the one mainloop of implicit_gemm.cuh (shared with conv.cu: a dense layer is a
// 1x1 convolution): 64x64 output tiles, 256 threads, K in steps of 16, the next K-tile fetched
// into registers while the current one is computed from shared memory. The operands are its
// pitch-linear iterators: PitchLinearA<true> is row-major A, PitchLinearA<false> column-major,
// likewise for B. Math modes: 0 FP32 (SIMT, 4x4 per thread), 1 TF32 (wmma m16n16k8, FP32
// accumulation; sm_80+, FP32 elsewhere whatever is asked).
//
// Expected bound: compute for the layer sizes of real models (2*B*IN*OUT FLOPs for each of the
// three; H200: ~67 TFLOP/s FP32, ~495 TF32 dense), memory for the tiny 2-D toy layers where
// K or N is 2 (there the launch itself dominates).
#include "implicit_gemm.cuh"

// y[B, OUT] = act(x[B, IN] W[OUT, IN]^T + b[OUT]); b may be null.
JGAN_KERNEL void dense_forward(const float* x, const float* w, const float* b, float* y, int rows, int in, int out, int act, float slope, int math_mode) {
    using namespace igemm;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const PitchLinearA<true> a{x, in, rows, in, m0, nullptr, act, slope};
    const PitchLinearB<false> bw{w, in, in, out, n0};
    float acc[4][4], unused;
    mainloop(a, bw, 0, in, math_mode == 1, false, acc, unused);
    for_each_output(rows, out, m0, n0, acc, [&](int m, int n, float v) {
        y[(long long)m * out + n] = activate(v + (b ? b[n] : 0.f), act, slope);
    });
}

// dx[B, IN] = (dy * act'(y))[B, OUT] W[OUT, IN].
JGAN_KERNEL void dense_backward_data(const float* dy, const float* y, const float* w, float* dx, int rows, int in, int out, int act, float slope, int math_mode) {
    using namespace igemm;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const PitchLinearA<true> a{dy, out, rows, out, m0, y, act, slope};
    const PitchLinearB<true> bw{w, in, out, in, n0};
    float acc[4][4], unused;
    mainloop(a, bw, 0, out, math_mode == 1, false, acc, unused);
    for_each_output(rows, in, m0, n0, acc, [&](int m, int n, float v) { dx[(long long)m * in + n] = v; });
}

// dW[OUT, IN] (=|+=) (dy * act'(y))^T x; db[OUT] (=|+=) its row sums (db may be null). The
// blocks of the first column of tiles compute db, in a fixed order: deterministic.
JGAN_KERNEL void dense_backward_weight(const float* dy, const float* y, const float* x, float* dw, float* db, int rows, int in, int out, int act, float slope, int accumulate, int math_mode) {
    using namespace igemm;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const PitchLinearA<false> a{dy, out, out, rows, m0, y, act, slope};
    const PitchLinearB<true> bx{x, in, rows, in, n0};
    const bool bias_block = db != nullptr && blockIdx.x == 0;
    float acc[4][4], row_sum;
    mainloop(a, bx, 0, rows, math_mode == 1, bias_block, acc, row_sum);
    for_each_output(out, in, m0, n0, acc, [&](int m, int n, float v) {
        float* d = dw + (long long)m * in + n;
        *d = accumulate ? *d + v : v;
    });
    if (bias_block && (int)threadIdx.x < BM && m0 + (int)threadIdx.x < out) {
        float* d = db + m0 + threadIdx.x;
        *d = accumulate ? *d + row_sum : row_sum;
    }
}
