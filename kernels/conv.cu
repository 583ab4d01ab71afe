// conv.cu — 2-D convolution (cross-correlation, as PyTorch's Conv2d) as implicit GEMM on the
// mainloop of implicit_gemm.cuh (the one dense.cu uses): fprop, dgrad, wgrad, with fused
// epilogues. Transposed convolution (jgan.kernels.ConvTranspose2d) runs on these same kernels.
//
// Layouts (channels last): x [N, H, W, C] (NHWC), filter [K, R, S, C] (KRSC), y [N, P, Q, K].
//   y[n,p,q,k] = sum_{r,s,c} x[n, p*sh - pt + r*dh, q*sw - pl + s*dw, c] * filt[k,r,s,c]
// (outside the input: zero padding, never stored). Every kernel takes the problem as
// jgan.kernels.ConvProblem.addTo writes it: n h w c k r s p q pad_top pad_left stride_h stride_w
// dilation_h dilation_w.
//
// Roles (C[M,N] = A[M,Kg] B[Kg,N]; the GEMM K is written Kg to keep K for output channels):
//   pass   M        N      Kg            A                              B                          C
//   fprop  N*P*Q    K      R*S*C         x, implicit im2col (FpropA)    filt as [RSC x K] (pitch)  y  (+bias, act, BN partials)
//   dgrad  N*Hp*Wp  C      Rp*Sp*K       dz = dy*act'(y), implicit     filt as [RpSpK x C]        dx (=|+=; +bias, act: convT fwd)
//          per phase (Hp x Wp output rows of one stride phase, Rp x Sp the filter taps that hit them; grid.z = phase)
//   wgrad  K        R*S*C  N*P*Q         dz^T (pitch, column-major)     x, implicit im2col (WgradB) dw (=|+=), db = row sums of A
// fprop's A and wgrad's B may also be scaled by act'(aux) while loaded (x_act_y: the backward of
// a transposed convolution, whose "x" role is a gradient). dz is never written out.
//
// Epilogues: fprop y = act(acc + bias), bias optional, act identity/ReLU/leaky(slope)/tanh
// (jgan.kernels.Activation codes), and optionally the batch-norm statistics partials of
// the contract in batch_norm.cu's header: one partial per M-tile (P = gridDim.x = ceil(N*P*Q / 64)) holding, per
// channel, {count, mean, m2} of the tile's post-bias values, two-pass from the tile staged in
// shared memory. dgrad dx (=|+=) act(acc + bias). wgrad dw (=|+=) acc, db (=|+=) row sums.
//
// Strided dgrad does not multiply zeros. dx row h receives filter row r only when
// (h + pt - r*dh) is a multiple of sh; so rows are grouped by phase (h + pt) mod sh (likewise
// columns), sh*sw sub-problems on grid.z, and each phase's GEMM runs over exactly the taps
// r ≡ r0 (mod sh / gcd(sh, dh)) that hit it. What is left of wasted work is only the border
// taps whose p or q falls outside [0, P) x [0, Q) (the padding, as in fprop) and tile
// quantization. Useful MACs for DCGAN's k4 s2 p1 (transposed: 2x upsampling): per dimension
// each output row meets 2 taps, of which the first and last row lose one, so the fraction is
// (1 - 1/(2*Pin))^2: 77% for 4->8, 88% for 8->16, 94% for 16->32, 97% for 32->64 — against
// 25% (1/(sh*sw)) for a dgrad over all R*S taps or a zero-stuffed transposed convolution.
// The exception is a mirror with P = Q = 1 (DCGAN-64's first layer, 1x1 -> 4x4, stride 1): each
// output pixel meets one of the R*S taps, so this GEMM would do 1/16 useful MACs; without bias
// and activation (DCGAN's case: BN follows) ConvTranspose2d runs it as the dense GEMM
// y[N, R*S*C] = x[N, K] w[K, R*S*C] instead (dense_backward_data, 100% useful).
//
// wgrad's Kg = N*P*Q is long and its output small: split-K on grid.z, in chunks of whole
// K-tiles chosen by the Java face from the problem alone; each split writes its partial tile to
// a workspace [splits][K][RSC] (+ [splits][K] for db) and conv2d_wgrad_reduce sums the splits in
// index order. No float atomics: bits are identical run to run and independent of the GPU.
//
// conv2d_channel_sums is ConvTranspose2d's bias gradient (per output channel over N*H*W: a sum
// no GEMM of the three passes forms), split over rows the same way.
//
// Narrow GEMM-N path (conv2d_fprop_narrow for K <= 4, conv2d_dgrad_narrow for C <= 4: D's final
// 4x4 logit, G's RGB/grey output): a 64-wide tile would compute 60+ columns of nothing. One
// warp per output row instead, the lanes striding over the reduction (coalesced along C or K)
// with up to 4 accumulators each, then a fixed xor-butterfly: deterministic.
//
// Math modes as dense.cu: 0 FP32 SIMT, 1 TF32 wmma m16n16k8 with FP32 accumulation (sm_80+;
// operands rounded to tf32 nearest; the narrow kernels round their operands the same way).
//
// ptxas (nvcc 13.0, sm_90: 64K registers, 64 warps, 228 KB shared per SM; 256 threads a block):
//   kernel                regs  shared     blocks/SM  occupancy   limited by
//   conv2d_fprop          110   18,944 B   2          16 warps 25%  registers (3 blocks need <= 80: spills)
//   conv2d_dgrad          128   18,944 B   2          25%           registers
//   conv2d_wgrad          110   18,944 B   2          25%           registers
//   conv2d_wgrad_reduce    32   0          8          100%          (memory-bound, one pass)
//   conv2d_fprop_narrow    32   0          8          100%          (memory-bound)
//   conv2d_dgrad_narrow    31   0          8          100%          (memory-bound)
//   conv2d_channel_sums    32   1,056 B    8          100%          (memory-bound; convT's bias gradient)
// No spills and no local memory on sm_75/80/86/89/90/100/120 (the build's table has all). The
// tiled kernels keep 16 accumulators, 8 prefetch registers and the iterators' per-row offsets
// live, so 2 blocks (16 warps) per SM: the register prefetch of the next K-tile is what hides
// the global latency (__launch_bounds__(256, 3) was tried: it spills; a 3-stage cp.async
// pipeline is the next step, to be measured on a GPU). Expected bound: compute for every
// DCGAN layer except those with C or K of 1-3 (the narrow kernels, memory-bound there).
#include "implicit_gemm.cuh"

namespace conv_detail {
using namespace igemm;

struct Conv {
    int n, h, w, c, k, r, s, p, q, pt, pl, sh, sw, dh, dw;
};

__device__ __forceinline__ float tf32_round(float v, bool tf32) {
#if JGAN_HAS_WMMA_TF32_BF16
    return tf32 ? nvcuda::wmma::__float_to_tf32(v) : v;
#else
    (void)tf32;
    return v;
#endif
}

// fprop's A: im2col(x)[m = (n,p,q)][kg = (r,s,c)], c fastest (K-contiguous: 16 threads read 16
// consecutive channels of one pixel). The thread's 4 rows are fixed for the whole mainloop, so
// their (image offset, top-left input corner) are computed once here; each K-tile costs one
// (r, s, c) decomposition of the thread's single column.
struct FpropA {
    static constexpr bool kContiguousK = true;
    const float* x;
    const float* act_y;  // non-null: multiply by act'(act_y) (x is a gradient)
    int act;
    float slope;
    Conv cv;
    int M, Kg;
    int base[4], h0[4], w0[4];  // base < 0: row outside the problem
    __device__ __forceinline__ FpropA(const float* x_, const float* act_y_, int act_, float slope_, const Conv& cv_, int m0)
        : x(x_), act_y(act_y_), act(act_), slope(slope_), cv(cv_) {
        M = cv.n * cv.p * cv.q;
        Kg = cv.r * cv.s * cv.c;
        for (int j = 0; j < 4; ++j) {
            int m, kk;
            a_coord<true>(j, m, kk);
            const int gm = m0 + m;
            if (gm < M) {
                const int img = gm / (cv.p * cv.q), pq = gm % (cv.p * cv.q);
                base[j] = img * cv.h * cv.w * cv.c;
                h0[j] = (pq / cv.q) * cv.sh - cv.pt;
                w0[j] = (pq % cv.q) * cv.sw - cv.pl;
            } else {
                base[j] = -1;
                h0[j] = w0[j] = 0;
            }
        }
    }
    __device__ __forceinline__ void load(int k0, float (&rg)[4]) const {
        const int gk = k0 + (int)threadIdx.x % BK;  // a_coord<true>: the column is the same for j = 0..3
        int c = 0, dr = 0, ds = 0;
        const bool col = gk < Kg;
        if (col) {
            c = gk % cv.c;
            const int rs = gk / cv.c;
            dr = (rs / cv.s) * cv.dh;
            ds = (rs % cv.s) * cv.dw;
        }
        for (int j = 0; j < 4; ++j) {
            const int hh = h0[j] + dr, ww = w0[j] + ds;
            float v = 0.f;
            if (col && base[j] >= 0 && hh >= 0 && hh < cv.h && ww >= 0 && ww < cv.w) {
                const int off = base[j] + (hh * cv.w + ww) * cv.c + c;
                v = x[off];
                if (act_y) v *= activation_grad(act_y[off], act, slope);
            }
            rg[j] = v;
        }
    }
};

// One stride phase of dgrad: output rows h = h0 + i*sh (i < hn) and the filter rows r = r0 +
// j*rstep (j < rn) that reach them with an integral p = (h + pt - r*dh) / sh; likewise columns.
struct Phase {
    int h0, hn, r0, rstep, rn;
    int w0, wn, s0, sstep, sn;
};

__device__ __forceinline__ int gcd_int(int a, int b) {
    while (b) {
        const int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

// One dimension: residue ph of (h + pad) mod stride; size, pad, filter, dilation.
__device__ __forceinline__ void phase_dim(int ph, int size, int pad, int filter, int dil, int stride, int& first, int& count, int& t0,
                                          int& tstep, int& tn) {
    first = ((ph - pad) % stride + stride) % stride;
    count = first < size ? (size - first + stride - 1) / stride : 0;
    tstep = stride / gcd_int(stride, dil);  // r*dil mod stride repeats with this period
    t0 = -1;
    for (int t = 0; t < filter && t < tstep; ++t) {
        if ((t * dil) % stride == ph) {
            t0 = t;
            break;
        }
    }
    tn = t0 >= 0 ? (filter - t0 + tstep - 1) / tstep : 0;
    if (t0 < 0) t0 = 0;
}

__device__ __forceinline__ Phase phase_of(const Conv& cv, int z) {
    Phase f;
    phase_dim(z / cv.sw, cv.h, cv.pt, cv.r, cv.dh, cv.sh, f.h0, f.hn, f.r0, f.rstep, f.rn);
    phase_dim(z % cv.sw, cv.w, cv.pl, cv.s, cv.dw, cv.sw, f.w0, f.wn, f.s0, f.sstep, f.sn);
    return f;
}

// dgrad's A: dz[m = (n, i, j) of the phase][kg = (tap_r, tap_s, k)], k fastest (K-contiguous).
struct DgradA {
    static constexpr bool kContiguousK = true;
    const float* dy;
    const float* y;  // non-null: dz = dy * act'(y)
    int act;
    float slope;
    Conv cv;
    Phase f;
    int Kg;
    int base[4], hp[4], wp[4];  // base: offset of the image in dy (< 0: outside); hp = h + pt, wp = w + pl
    __device__ __forceinline__ DgradA(const float* dy_, const float* y_, int act_, float slope_, const Conv& cv_, const Phase& f_, int m0)
        : dy(dy_), y(y_), act(act_), slope(slope_), cv(cv_), f(f_) {
        Kg = f.rn * f.sn * cv.k;
        const int per_image = f.hn * f.wn, M = cv.n * per_image;
        for (int j = 0; j < 4; ++j) {
            int m, kk;
            a_coord<true>(j, m, kk);
            const int gm = m0 + m;
            if (gm < M) {
                const int img = gm / per_image, rem = gm % per_image;
                base[j] = img * cv.p * cv.q * cv.k;
                hp[j] = f.h0 + (rem / f.wn) * cv.sh + cv.pt;
                wp[j] = f.w0 + (rem % f.wn) * cv.sw + cv.pl;
            } else {
                base[j] = -1;
                hp[j] = wp[j] = 0;
            }
        }
    }
    __device__ __forceinline__ void load(int k0, float (&rg)[4]) const {
        const int gk = k0 + (int)threadIdx.x % BK;
        int k = 0, dr = 0, ds = 0;
        const bool col = gk < Kg;
        if (col) {
            k = gk % cv.k;
            const int rs = gk / cv.k;
            dr = (f.r0 + (rs / f.sn) * f.rstep) * cv.dh;
            ds = (f.s0 + (rs % f.sn) * f.sstep) * cv.dw;
        }
        for (int j = 0; j < 4; ++j) {
            const int nh = hp[j] - dr, nw = wp[j] - ds;  // multiples of sh, sw by the phase's choice of taps
            float v = 0.f;
            if (col && base[j] >= 0 && nh >= 0 && nw >= 0) {
                const int pp = nh / cv.sh, qq = nw / cv.sw;
                if (pp < cv.p && qq < cv.q) {
                    const int off = base[j] + (pp * cv.q + qq) * cv.k + k;
                    v = dy[off];
                    if (y) v *= activation_grad(y[off], act, slope);
                }
            }
            rg[j] = v;
        }
    }
};

// dgrad's B: filt[k, r, s, c] as [kg = (tap_r, tap_s, k)][n = c], c contiguous.
struct DgradB {
    static constexpr bool kContiguousN = true;
    const float* filt;
    Conv cv;
    Phase f;
    int Kg, n0;
    __device__ __forceinline__ void load(int k0, float (&rg)[4]) const {
        for (int j = 0; j < 4; ++j) {
            int kk, n;
            b_coord<true>(j, kk, n);
            const int gk = k0 + kk, c = n0 + n;
            float v = 0.f;
            if (gk < Kg && c < cv.c) {
                const int k = gk % cv.k, rs = gk / cv.k;
                const int r = f.r0 + (rs / f.sn) * f.rstep, s = f.s0 + (rs % f.sn) * f.sstep;
                v = filt[((k * cv.r + r) * cv.s + s) * cv.c + c];
            }
            rg[j] = v;
        }
    }
};

// wgrad's B: im2col(x)[kg = (n,p,q)][col = (r,s,c)], c contiguous. The thread's column is fixed,
// so its (c, r*dh, s*dw) are computed once; each K-tile decomposes its 4 (n,p,q) rows.
struct WgradB {
    static constexpr bool kContiguousN = true;
    const float* x;
    const float* act_y;  // non-null: multiply by act'(act_y) (x is a gradient: transposed conv)
    int act;
    float slope;
    Conv cv;
    int NPQ;
    int c, dr, ds;
    bool col;
    __device__ __forceinline__ WgradB(const float* x_, const float* act_y_, int act_, float slope_, const Conv& cv_, int n0)
        : x(x_), act_y(act_y_), act(act_), slope(slope_), cv(cv_) {
        NPQ = cv.n * cv.p * cv.q;
        int kk, n;
        b_coord<true>(0, kk, n);  // the column is the same for j = 0..3
        const int gn = n0 + n;
        col = gn < cv.r * cv.s * cv.c;
        c = gn % cv.c;
        const int rs = gn / cv.c;
        dr = (rs / cv.s) * cv.dh;
        ds = (rs % cv.s) * cv.dw;
    }
    __device__ __forceinline__ void load(int k0, float (&rg)[4]) const {
        for (int j = 0; j < 4; ++j) {
            int kk, n;
            b_coord<true>(j, kk, n);
            const int gk = k0 + kk;
            float v = 0.f;
            if (col && gk < NPQ) {
                const int img = gk / (cv.p * cv.q), pq = gk % (cv.p * cv.q);
                const int hh = (pq / cv.q) * cv.sh - cv.pt + dr, ww = (pq % cv.q) * cv.sw - cv.pl + ds;
                if (hh >= 0 && hh < cv.h && ww >= 0 && ww < cv.w) {
                    const int off = ((img * cv.h + hh) * cv.w + ww) * cv.c + c;
                    v = x[off];
                    if (act_y) v *= activation_grad(act_y[off], act, slope);
                }
            }
            rg[j] = v;
        }
    }
};

// Batch-norm statistics partial of one M-tile (the statistics-partials contract in kernels/batch_norm.cu's header): the tile's post-bias values
// are staged in shared memory and each of the first 64 threads reduces one channel, two-pass,
// rows in order. Every thread of the block must call it.
__device__ __forceinline__ void bn_partial(const float (&v)[4][4], int rows, int K, int n0, float* partials, int tile) {
    float* Cs = shared_storage();  // free: the mainloop ends with a barrier
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) Cs[(ty * 4 + i) * C_LD + tx * 4 + j] = v[i][j];
    __syncthreads();
    if (tid < BN && n0 + tid < K) {
        float sum = 0.f;
        for (int i = 0; i < rows; ++i) sum += Cs[i * C_LD + tid];
        const float mean = sum / (float)rows;
        float m2 = 0.f;
        for (int i = 0; i < rows; ++i) {
            const float d = Cs[i * C_LD + tid] - mean;
            m2 = fmaf(d, d, m2);
        }
        float* out = partials + ((long long)tile * K + n0 + tid) * 3;
        out[0] = (float)rows;
        out[1] = mean;
        out[2] = m2;
    }
}

}  // namespace conv_detail

// y[N,P,Q,K] = act(conv(x, filt) + bias) (bias [K] or null). With x_act_y non-null, x is a
// gradient multiplied by act'_{x_act}(x_act_y) on load (ConvTranspose2d's backward data). With
// bn_partials non-null ([gridDim.x][K][3]), the batch-norm statistics partials of the
// post-bias values (the Java face refuses act != identity then). Grid: (ceil(NPQ/64), ceil(K/64)).
JGAN_KERNEL void conv2d_fprop(const float* x, const float* x_act_y, const float* filt, const float* bias, float* y, float* bn_partials, int n, int h, int w, int c, int k, int r, int s, int p, int q, int pad_top, int pad_left, int stride_h, int stride_w, int dilation_h, int dilation_w, int x_act, int act, float slope, int math_mode) {
    using namespace conv_detail;
    const Conv cv{n, h, w, c, k, r, s, p, q, pad_top, pad_left, stride_h, stride_w, dilation_h, dilation_w};
    const int M = n * p * q, Kg = r * s * c;
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
    const FpropA a(x, x_act_y, x_act, slope, cv, m0);
    const PitchLinearB<false> b{filt, Kg, Kg, k, n0};  // filt [K][RSC] read as B[rsc][k]
    float acc[4][4], unused;
    mainloop(a, b, 0, Kg, math_mode == 1, false, acc, unused);
    const int tx = threadIdx.x % 16;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
            const int col = n0 + tx * 4 + j;
            acc[i][j] += (bias && col < k) ? bias[col] : 0.f;  // post-bias, pre-activation: what BN normalises
        }
    for_each_output(M, k, m0, n0, acc, [&](int m, int col, float v) { y[(long long)m * k + col] = activate(v, act, slope); });
    if (bn_partials) bn_partial(acc, min(BM, M - m0), k, n0, bn_partials, blockIdx.x);
}

// The same as conv2d_fprop without BN partials, for K <= 4: one warp per output row (n,p,q).
// Grid: ceil(NPQ / 8) blocks of 256.
JGAN_KERNEL void conv2d_fprop_narrow(const float* x, const float* x_act_y, const float* filt, const float* bias, float* y, int n, int h, int w, int c, int k, int r, int s, int p, int q, int pad_top, int pad_left, int stride_h, int stride_w, int dilation_h, int dilation_w, int x_act, int act, float slope, int math_mode) {
    using namespace conv_detail;
    const int lane = threadIdx.x % 32;
    const long long m = (long long)blockIdx.x * (THREADS / 32) + threadIdx.x / 32;
    if (m >= (long long)n * p * q) return;  // whole warps only
    const bool tf32 = math_mode == 1;
    const int img = (int)(m / (p * q)), pq = (int)(m % (p * q));
    const int h0 = (pq / q) * stride_h - pad_top, w0 = (pq % q) * stride_w - pad_left;
    const int Kg = r * s * c, base = img * h * w * c;
    float acc[4] = {0.f, 0.f, 0.f, 0.f};
    for (int gk = lane; gk < Kg; gk += 32) {  // lanes along (r, s, c): consecutive channels
        const int cc = gk % c, rs = gk / c;
        const int hh = h0 + (rs / s) * dilation_h, ww = w0 + (rs % s) * dilation_w;
        if (hh < 0 || hh >= h || ww < 0 || ww >= w) continue;
        const int off = base + (hh * w + ww) * c + cc;
        float v = x[off];
        if (x_act_y) v *= igemm::activation_grad(x_act_y[off], x_act, slope);
        v = tf32_round(v, tf32);
        for (int o = 0; o < 4; ++o)
            if (o < k) acc[o] = fmaf(v, tf32_round(filt[(long long)o * Kg + gk], tf32), acc[o]);
    }
    for (int o = 0; o < 4; ++o)
        for (int d = 16; d > 0; d >>= 1) acc[o] += __shfl_xor_sync(JGAN_FULL_MASK, acc[o], d);
    if (lane < k) {
        const float v = lane == 0 ? acc[0] : lane == 1 ? acc[1] : lane == 2 ? acc[2] : acc[3];  // no dynamic index: acc stays in registers
        y[m * k + lane] = igemm::activate(v + (bias ? bias[lane] : 0.f), act, slope);
    }
}

// dx[N,H,W,C] (=|+= with accumulate) out_act(conv^T(dz, filt) + bias), dz = dy * act'(y) (y may
// be null: dz = dy). bias [C] or null, out_act identity for a plain dgrad; ConvTranspose2d's
// forward uses both. Grid: (ceil(N*ceil(H/sh)*ceil(W/sw) / 64), ceil(C/64), sh*sw phases).
JGAN_KERNEL void conv2d_dgrad(const float* dy, const float* y, const float* filt, const float* bias, float* dx, int n, int h, int w, int c, int k, int r, int s, int p, int q, int pad_top, int pad_left, int stride_h, int stride_w, int dilation_h, int dilation_w, int act, float slope, int out_act, int accumulate, int math_mode) {
    using namespace conv_detail;
    const Conv cv{n, h, w, c, k, r, s, p, q, pad_top, pad_left, stride_h, stride_w, dilation_h, dilation_w};
    const Phase f = phase_of(cv, blockIdx.z);
    const int M = n * f.hn * f.wn;
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
    if (m0 >= M) return;  // the whole block: this phase has fewer rows than the largest
    const DgradA a(dy, y, act, slope, cv, f, m0);
    const DgradB b{filt, cv, f, a.Kg, n0};
    float acc[4][4], unused;
    mainloop(a, b, 0, a.Kg, math_mode == 1, false, acc, unused);
    const int per_image = f.hn * f.wn;
    for_each_output(M, c, m0, n0, acc, [&](int m, int col, float v) {
        const int img = m / per_image, rem = m % per_image;
        const int hh = f.h0 + (rem / f.wn) * stride_h, ww = f.w0 + (rem % f.wn) * stride_w;
        float* d = dx + ((long long)(img * h + hh) * w + ww) * c + col;
        const float out = igemm::activate(v + (bias ? bias[col] : 0.f), out_act, slope);
        *d = accumulate ? *d + out : out;
    });
}

// conv2d_dgrad for C <= 4: one warp per dx pixel (n, h, w), lanes along K, visiting only the
// taps with an integral p, q (no zero products). Grid: ceil(N*H*W / 8) blocks of 256.
JGAN_KERNEL void conv2d_dgrad_narrow(const float* dy, const float* y, const float* filt, const float* bias, float* dx, int n, int h, int w, int c, int k, int r, int s, int p, int q, int pad_top, int pad_left, int stride_h, int stride_w, int dilation_h, int dilation_w, int act, float slope, int out_act, int accumulate, int math_mode) {
    using namespace conv_detail;
    const int lane = threadIdx.x % 32;
    const long long m = (long long)blockIdx.x * (THREADS / 32) + threadIdx.x / 32;
    if (m >= (long long)n * h * w) return;  // whole warps only
    const bool tf32 = math_mode == 1;
    const int img = (int)(m / (h * w)), hw = (int)(m % (h * w));
    const int hp = hw / w + pad_top, wp = hw % w + pad_left;
    float acc[4] = {0.f, 0.f, 0.f, 0.f};
    for (int rr = 0; rr < r; ++rr) {
        const int nh = hp - rr * dilation_h;
        if (nh < 0 || nh % stride_h != 0 || nh / stride_h >= p) continue;
        for (int ss = 0; ss < s; ++ss) {
            const int nw = wp - ss * dilation_w;
            if (nw < 0 || nw % stride_w != 0 || nw / stride_w >= q) continue;
            const int row = ((img * p + nh / stride_h) * q + nw / stride_w) * k;
            for (int kk = lane; kk < k; kk += 32) {
                float v = dy[row + kk];
                if (y) v *= igemm::activation_grad(y[row + kk], act, slope);
                v = tf32_round(v, tf32);
                const float* f = filt + ((kk * r + rr) * s + ss) * c;
                for (int o = 0; o < 4; ++o)
                    if (o < c) acc[o] = fmaf(v, tf32_round(f[o], tf32), acc[o]);
            }
        }
    }
    for (int o = 0; o < 4; ++o)
        for (int d = 16; d > 0; d >>= 1) acc[o] += __shfl_xor_sync(JGAN_FULL_MASK, acc[o], d);
    if (lane < c) {
        const float v = lane == 0 ? acc[0] : lane == 1 ? acc[1] : lane == 2 ? acc[2] : acc[3];
        float* d = dx + m * c + lane;
        const float out = igemm::activate(v + (bias ? bias[lane] : 0.f), out_act, slope);
        *d = accumulate ? *d + out : out;
    }
}

// dw[K,R,S,C] (=|+=) dz^T im2col(x), dz = dy * act'(y) (y may be null), db[K] (=|+=) sum of dz
// over N*P*Q (db may be null). With x_act_y non-null, x is multiplied by act'_{x_act}(x_act_y)
// on load (ConvTranspose2d's backward weight, roles swapped). Split-K: blockIdx.z covers
// N*P*Q rows [z*chunk, (z+1)*chunk) (chunk a multiple of 16); with ws null (one split) the
// results go to dw/db directly, otherwise to ws [splits][K][RSC] then [splits][K] for
// conv2d_wgrad_reduce. Grid: (ceil(K/64), ceil(RSC/64), splits).
JGAN_KERNEL void conv2d_wgrad(const float* dy, const float* y, const float* x, const float* x_act_y, float* dw, float* db, float* ws, int n, int h, int w, int c, int k, int r, int s, int p, int q, int pad_top, int pad_left, int stride_h, int stride_w, int dilation_h, int dilation_w, int act, int x_act, float slope, int accumulate, int math_mode, int chunk) {
    using namespace conv_detail;
    const Conv cv{n, h, w, c, k, r, s, p, q, pad_top, pad_left, stride_h, stride_w, dilation_h, dilation_w};
    const int NPQ = n * p * q, RSC = r * s * c;
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
    const int k_begin = blockIdx.z * chunk, k_end = min(NPQ, k_begin + chunk);
    const PitchLinearA<false> a{dy, k, k, NPQ, m0, y, act, slope};  // dz^T: A[k][npq] = dz[npq*K + k]
    const WgradB b(x, x_act_y, x_act, slope, cv, n0);
    const bool bias_block = db != nullptr && blockIdx.y == 0;
    float acc[4][4], row_sum;
    mainloop(a, b, k_begin, k_end, math_mode == 1, bias_block, acc, row_sum);
    if (ws == nullptr) {
        for_each_output(k, RSC, m0, n0, acc, [&](int m, int col, float v) {
            float* d = dw + (long long)m * RSC + col;
            *d = accumulate ? *d + v : v;
        });
        if (bias_block && (int)threadIdx.x < BM && m0 + (int)threadIdx.x < k) {
            float* d = db + m0 + threadIdx.x;
            *d = accumulate ? *d + row_sum : row_sum;
        }
    } else {
        float* part = ws + (long long)blockIdx.z * k * RSC;
        for_each_output(k, RSC, m0, n0, acc, [&](int m, int col, float v) { part[(long long)m * RSC + col] = v; });
        if (bias_block && (int)threadIdx.x < BM && m0 + (int)threadIdx.x < k)
            ws[(long long)gridDim.z * k * RSC + (long long)blockIdx.z * k + m0 + threadIdx.x] = row_sum;
    }
}

// Sums conv2d_wgrad's split partials in split order: dw[i] (=|+=) sum_z ws[z][i] for the K*RSC
// weights, then db[i] from the [splits][K] block after them (when db is non-null). One thread
// per output; grid: ceil((K*RSC + K) / 256).
JGAN_KERNEL void conv2d_wgrad_reduce(const float* ws, float* dw, float* db, int splits, int k, int rsc, int accumulate) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long weights = (long long)k * rsc;
    if (i < weights) {
        float v = 0.f;
        for (int z = 0; z < splits; ++z) v += ws[z * weights + i];
        dw[i] = accumulate ? dw[i] + v : v;
    } else if (db != nullptr && i < weights + k) {
        const long long j = i - weights;
        const float* part = ws + splits * weights;
        float v = 0.f;
        for (int z = 0; z < splits; ++z) v += part[z * k + j];
        db[j] = accumulate ? db[j] + v : v;
    }
}

// db[C] (=|+=) sum over the rows of dz = dy * act'(y) (y may be null), dy [rows, C] row-major:
// the bias gradient of a transposed convolution (its output's channels are the columns of an
// NHWC tensor, which no GEMM of the three passes sums). Block: 32 columns x 8 row lanes; lane
// l sums rows l, l+8, ... of the block's chunk in order, then the 8 lane sums are added in lane
// order. Split over rows on grid.y in chunks of `chunk` rows (a multiple of 8): with ws null
// (one split) db is written directly, otherwise ws[split][C] and conv2d_wgrad_reduce (k = 1,
// rsc = C) adds the splits in order. Grid: (ceil(C/32), splits).
JGAN_KERNEL void conv2d_channel_sums(const float* dy, const float* y, float* db, float* ws, int rows, int cols, int act, float slope, int accumulate, int chunk) {
    __shared__ float part[8][33];
    const int col = blockIdx.x * 32 + threadIdx.x % 32, lane = threadIdx.x / 32;
    const int r0 = blockIdx.y * chunk, r1 = min(rows, r0 + chunk);
    float sum = 0.f;
    if (col < cols) {
        for (int r = r0 + lane; r < r1; r += 8) {
            const long long off = (long long)r * cols + col;
            float v = dy[off];
            if (y) v *= igemm::activation_grad(y[off], act, slope);
            sum += v;
        }
    }
    part[lane][threadIdx.x % 32] = sum;
    __syncthreads();
    if (lane == 0 && col < cols) {
        float total = 0.f;
        for (int l = 0; l < 8; ++l) total += part[l][threadIdx.x];
        if (ws == nullptr) {
            db[col] = accumulate ? db[col] + total : total;
        } else {
            ws[(long long)blockIdx.y * cols + col] = total;
        }
    }
}
