// softmax_cross_entropy.cu — softmax cross-entropy with logits and integer labels: the loss, its
// gradient and (optionally) the argmax predictions in one launch. PyTorch's
// F.cross_entropy(logits, labels) on [N, K] logits, with reduction 'mean' or 'sum'.
//
// Inputs: logits z [rows, classes] row-major (one row per example), labels y [rows] int32 in
// [0, classes). With m_r = max_k z_rk, e_rk = exp(z_rk - m_r), s_r = sum_k e_rk:
//   l_r      = log(s_r) - (z_ry - m_r)                    (= -log softmax(z_r)_y, the log-sum-exp form)
//   loss     = scale * sum_r l_r                          (Java passes scale = 1/rows for the mean)
//   grad_rk  = scale * (e_rk / s_r - [k == y_r])          (skipped when grad is nullptr)
//   pred_r   = argmax_k z_rk, the smallest such k; a NaN counts as larger than any number, as in
//              torch.argmax (skipped when predictions is nullptr)
// Numerics: max subtraction keeps every exp in (0, 1]. The sum is split as s = s_rest + e_y (the
// terms of the other classes, then the label's), so a confident right answer keeps its small
// loss and gradient instead of rounding them to 0: when z_y is the maximum, l = log1p(s_rest) and
// grad_y = -s_rest / s. E.g. logits (20, 0) with label 0 give l = 2.06e-9 and grad_y = -2.06e-9.
// Non-finite input propagates as in PyTorch: a row holding a NaN or a +Inf, or only -Inf, has
// l = NaN and NaN gradients (log_softmax is NaN there); a -Inf logit among finite ones has
// probability 0, and a label whose logit is -Inf gives l = +Inf.
// A label outside [0, classes) sets *error_flag = 1 (when error_flag is not nullptr; it is never
// cleared here: the caller zeroes it) and makes that row's loss and gradient NaN, so the mean is
// NaN and cannot pass unnoticed; its prediction is still written.
//
// Parallel layout: one warp per row (lanes stride over the classes; butterfly shuffles give every
// lane the same max and sums), eight rows per 256-thread block, the grid striding over the rows.
// The mean is reduced on the device, deterministically, in the same launch (grid_reduce.cuh),
// into `loss`, or added to it when `accumulate` is set; the kernel can be replayed in a CUDA
// graph. Workspace: partials[gridDim.x] and one unsigned counter. No float atomics: the same
// inputs give the same bits on every run.
//
// Expected bound: memory; each logit is read three times (max, sum, gradient: the row stays in
// L1/L2 for rows of a few thousand classes), 4 bytes written per logit, ~2 expf per logit. For
// the classifier's K = 10 a warp leaves 22 lanes idle: the launch, not the math, dominates.
#include "grid_reduce.cuh"

namespace softmax_ce_detail {
constexpr int kThreads = 256;  // the Java face launches exactly this many threads per block
constexpr int kRowsPerBlock = kThreads / 32;

__device__ __forceinline__ float warp_max(float v) {
    for (int off = 16; off > 0; off >>= 1) v = fmaxf(v, __shfl_xor_sync(JGAN_FULL_MASK, v, off));
    return v;
}

// Butterfly sum: at each step lane i adds its partner's value, and a + b == b + a exactly, so
// every lane ends with the same bits.
__device__ __forceinline__ float warp_sum(float v) {
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(JGAN_FULL_MASK, v, off);
    return v;
}

// Does (v, i) beat (best, best_i) for torch.argmax: NaN above every number, then larger, then the
// smaller index. best_i < 0 is "nothing yet".
__device__ __forceinline__ bool beats(float v, int i, float best, int best_i) {
    if (i < 0) return false;
    if (best_i < 0) return true;
    const bool vn = v != v, bn = best != best;
    if (vn != bn) return vn;
    if (!vn && v != best) return v > best;
    return i < best_i;
}
}  // namespace softmax_ce_detail

JGAN_KERNEL void softmax_cross_entropy_forward_backward(const float* logits, const int* labels, float* grad, int* predictions, float* loss, float* partials, unsigned* counter, int* error_flag, int rows, int classes, float scale, int accumulate) {
    using namespace softmax_ce_detail;
    const int lane = threadIdx.x % 32;
    float acc = 0.f;  // lane 0: the losses of this warp's rows, in row order
    for (int row = blockIdx.x * kRowsPerBlock + threadIdx.x / 32; row < rows; row += gridDim.x * kRowsPerBlock) {
        const float* z = logits + (long long)row * classes;
        // Pass 1: the max (fmaxf skips a NaN here; it reaches the sum below) and the argmax.
        float m = -INFINITY, best = 0.f;
        int best_i = -1;
        for (int k = lane; k < classes; k += 32) {
            const float v = z[k];
            m = fmaxf(m, v);
            if (beats(v, k, best, best_i)) {
                best = v;
                best_i = k;
            }
        }
        m = warp_max(m);
        if (predictions) {
            for (int off = 16; off > 0; off >>= 1) {
                const float ob = __shfl_xor_sync(JGAN_FULL_MASK, best, off);
                const int oi = __shfl_xor_sync(JGAN_FULL_MASK, best_i, off);
                if (beats(ob, oi, best, best_i)) {
                    best = ob;
                    best_i = oi;
                }
            }
            if (lane == 0) predictions[row] = best_i;
        }
        const int y = labels[row];
        const bool bad = y < 0 || y >= classes;
        // Pass 2: the sum of the other classes' terms; the label's term apart.
        float s_rest = 0.f;
        for (int k = lane; k < classes; k += 32) {
            if (k != y) s_rest += expf(z[k] - m);
        }
        s_rest = warp_sum(s_rest);
        const float d_y = bad ? NAN : z[y] - m;  // 0 when the label is the max; NaN for Inf - Inf
        const float s = s_rest + expf(d_y);
        const float l = d_y == 0.f ? log1pf(s_rest) : logf(s) - d_y;
        if (lane == 0) {
            acc += l;
            if (bad && error_flag) atomicExch(error_flag, 1);
        }
        // Pass 3: the gradient.
        if (grad) {
            float* g = grad + (long long)row * classes;
            for (int k = lane; k < classes; k += 32) {
                const float p = k == y ? -(s_rest / s) : expf(z[k] - m) / s;  // softmax - onehot
                g[k] = bad ? NAN : scale * p;
            }
        }
    }
    grid_reduce::grid_sum<kThreads>(acc, partials, counter, loss, scale, accumulate);
}
