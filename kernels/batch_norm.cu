// batch_norm.cu — batch normalisation as PyTorch's BatchNorm2d (NHWC) and BatchNorm1d ([N, C]):
// statistics, training and eval forward with a fused activation, backward.
//
// Shapes: x, y, dy, dx are [rows, C] row-major, channels innermost: rows = N*H*W for an NHWC
// tensor [N, H, W, C] (statistics over N, H, W per channel), rows = N for [N, C] after a dense
// layer (statistics over N per feature). Per-channel vectors (gamma, beta, mean, invstd,
// running_mean, running_var, dgamma, dbeta) are [C].
//
//   batch_norm_stats:            partials[P][C][3] = {count, mean, m2} of each chunk of rows
//   batch_norm_finalize:         mean, invstd = 1/sqrt(var + eps) from partials (biased var);
//                                running_mean = (1-m) running_mean + m mean,
//                                running_var  = (1-m) running_var  + m var * n/(n-1)
//   batch_norm_forward_train:    y = act(gamma (x - mean) invstd + beta), mean/invstd as saved
//   batch_norm_forward_eval:     the same with running_mean and 1/sqrt(running_var + eps)
//   batch_norm_backward_reduce:  partials[P][C][2] = {sum dz, sum dz xhat} of each chunk,
//                                dz = dy act'(y), xhat = (x - mean) invstd
//   batch_norm_backward_finalize: sums[C][2] = the chunks' sums added in chunk order;
//                                dbeta = sum dz, dgamma = sum dz xhat (written, or added to)
//   batch_norm_backward_data:    dx = gamma invstd (dz - sum dz / n - xhat sum(dz xhat) / n)
// act: 0 identity, 1 ReLU, 2 leaky ReLU (slope), 3 tanh (jgan.kernels.Activation). NaN passes
// through every activation (as PyTorch's). The backward takes act' from the forward's OUTPUT y
// (as dense.cu), applied as dy is loaded; y may be null for identity.
//
// The statistics partials follow the contract shared with conv.cu's fprop epilogue (see
// jgan.kernels.BatchNorm): a partial is {count, mean, m2} of its rows, m2 computed two-pass from
// values held on chip; batch_norm_finalize combines partials p = 0 .. P-1 in index order with
// Chan et al.'s update (n = na + nb, d = mb - ma, mean = ma + d nb/n, m2 = m2a + m2b + d^2 na nb/n).
// No float atomics anywhere: every sum has an order fixed by (rows, C), so results are the
// same bits run to run.
//
// Block layout (256 threads, every kernel but the finalizers): a group of cw channels by
// lanes = 256 / cw row lanes; thread t is lane r = t / cw of channel c = t % cw of the group.
//   C <= 128: cw = C, one group: a block step reads lanes whole consecutive rows, lanes * C
//             contiguous floats (C = 1 or 3 read as coalesced as C = 64);
//   C >  128: cw = 32: a warp reads 128 contiguous bytes of one row, 8 rows a block step.
// Threads past lanes * cw (C = 3: one) only join barriers. Grid y = channel groups.
//   stats / backward_reduce: grid x = chunks of kChunkRowsPerLane * lanes rows (P = ceil(rows /
//     chunk)), one chunk a block; in stats each thread holds its kChunkRowsPerLane values in
//     registers, so the chunk's mean and then its squared deviations come from registers.
//     Lanes are added by a shared-memory tree with a fixed pairing.
//   forward_train / forward_eval / backward_data: grid-stride over rows; each thread loads its
//     channel's constants once.
// Finalizers: one thread per channel, 128 a block, the P partials in index order (coalesced:
// consecutive channels are consecutive triples).
//
// Expected bound: memory. Per element: stats reads 4 bytes, forward 8 (x in, y out), backward
// reduce 12 (dy, y, x; 8 for identity), backward data 16 (12 for identity): a training step of
// one BN layer moves 40 bytes an element with its own statistics, 36 with the conv's. At the
// H200's ~4.3 TB/s: DCGAN-64 32x32x64 at batch 128 (8.4 M elements) ~23 us forward with its
// own stats, ~55 us backward. The finalizers are latency bound: P dependent steps per channel
// (the contract's index order; ~10 cycles a step once unrolled loads run ahead), on C threads.
// There P = 2048 (conv: 64-row tiles; stats: 64-row chunks at C = 64): ~10 us, against ~16 us
// for forward_train; at 16x16x128 and below P <= 512 and it is <= 3 us. (A fixed tree over
// runs of partials would cut it to ~1 us, at the price of the contract's index order.)
// Memory-level parallelism: what HBM3e needs in flight is ~4.3 TB/s x ~0.7 us / 132 SMs ~ 23 KiB
// an SM. stats holds a thread's 16 loads in flight at once; the other passes issue the loads of
// kRowsInFlight = 4 rows together (forward: 4 loads a thread, backward: 12).
// Occupancy on sm_90 (ptxas -v; 65536 registers and 2048 threads an SM; no spills on sm_75 ..
// sm_120), with what that keeps in flight an SM:
//   batch_norm_stats            55 regs, 1 KiB shared: 4 blocks of 256 = 1024 threads (50%), 64 KiB
//   batch_norm_backward_reduce  48 regs, 1 KiB shared: 5 blocks = 1280 threads (62%),        60 KiB
//   batch_norm_backward_data    48 regs, no shared:    5 blocks = 1280 threads (62%),        60 KiB
//   batch_norm_forward_train    40 regs:               6 blocks = 1536 threads (75%),        24 KiB
//   batch_norm_forward_eval     32 regs:               8 blocks = 2048 threads (100%),       32 KiB
//   finalize / backward_finalize 28-29 regs, 128-thread blocks (C / 128 of them: latency bound)
#include "jgan_portable.cuh"
#include "activation.cuh"

namespace batch_norm_detail {

constexpr int kThreads = 256;         // the Java face launches exactly this many threads per block
constexpr int kNarrowChannels = 128;  // up to this many channels a block covers them all
constexpr int kWideGroup = 32;        // wider tensors go by groups of 32 channels
constexpr int kChunkRowsPerLane = 16; // rows per thread in a stats / backward-reduce chunk
constexpr int kRowsInFlight = 4;      // rows whose loads a thread issues together in the other passes

using namespace jgan_activation;  // activate / activation_grad: one definition, kernels/activation.cuh

__device__ __forceinline__ int group_width(int channels) { return channels <= kNarrowChannels ? channels : kWideGroup; }

// Where this thread sits in the block layout above.
struct Lane {
    int cw, lanes, r, c, channel;
    bool active;  // a real lane (r < lanes) of a real channel (channel < C)
};

__device__ __forceinline__ Lane lane_of(int channels) {
    Lane l;
    l.cw = group_width(channels);
    l.lanes = kThreads / l.cw;
    l.r = threadIdx.x / l.cw;
    l.c = threadIdx.x % l.cw;
    l.channel = blockIdx.y * l.cw + l.c;
    l.active = l.r < l.lanes && l.channel < channels;
    return l;
}

// Adds v over the row lanes of each channel of the block with a fixed pairing, and returns the
// channel's total to every thread of it. Every thread of the block must call it (barriers);
// threads that are not lanes pass anything and are never read.
__device__ __forceinline__ float lane_sum(float v, const Lane& l) {
    __shared__ float s[kThreads];
    const int t = threadIdx.x;
    __syncthreads();  // the previous call's readers are done with s
    s[t] = v;
    __syncthreads();
    int half = 1;
    while (half < l.lanes) half <<= 1;
    // The first step folds lanes [half/2 .. lanes) onto [0 ..); from then on a power of two.
    for (half >>= 1; half > 0; half >>= 1) {
        if (l.r < half && l.r + half < l.lanes) s[t] += s[t + half * l.cw];
        __syncthreads();
    }
    return s[l.c];
}

// The constants of one channel for y = act((x - mean) * scale + shift).
struct Affine {
    float mean, scale, shift;
};

// Grid-stride walk over this thread's rows of its channel, kRowsInFlight rows at a time: load(k,
// offset) for each of them first, so that their loads are in flight together, then store(k,
// offset). (One load at a time would keep ~8 KiB in flight an SM, a third of what HBM3e needs.)
template <class Load, class Store>
__device__ __forceinline__ void for_each_row(const Lane& l, int rows, int channels, Load load, Store store) {
    if (!l.active) return;
    const long long step = (long long)l.lanes * gridDim.x;
    for (long long row = (long long)blockIdx.x * l.lanes + l.r; row < rows; row += kRowsInFlight * step) {
#pragma unroll
        for (int k = 0; k < kRowsInFlight; ++k) {
            const long long rk = row + k * step;
            if (rk < rows) load(k, rk * channels + l.channel);
        }
#pragma unroll
        for (int k = 0; k < kRowsInFlight; ++k) {
            const long long rk = row + k * step;
            if (rk < rows) store(k, rk * channels + l.channel);
        }
    }
}

__device__ __forceinline__ void apply(const float* x, float* y, int rows, int channels, const Lane& l, Affine a, int act,
                                      float slope) {
    float v[kRowsInFlight];
    for_each_row(
        l, rows, channels, [&](int k, long long i) { v[k] = x[i]; },
        [&](int k, long long i) { y[i] = activate(fmaf(v[k] - a.mean, a.scale, a.shift), act, slope); });
}

}  // namespace batch_norm_detail

// partials[(p * C + c) * 3 + {0, 1, 2}] = {count, mean, m2} of rows [p * chunk, (p + 1) * chunk)
// of channel c, chunk = 16 * lanes rows. Grid (P, channel groups), 256 threads.
JGAN_KERNEL void batch_norm_stats(const float* x, float* partials, int rows, int channels) {
    using namespace batch_norm_detail;
    const Lane l = lane_of(channels);
    const long long row0 = (long long)blockIdx.x * kChunkRowsPerLane * l.lanes;
    const long long left = (long long)rows - row0;
    const int count = left < kChunkRowsPerLane * l.lanes ? (int)left : kChunkRowsPerLane * l.lanes;
    float v[kChunkRowsPerLane];
    float s = 0.f;
#pragma unroll
    for (int i = 0; i < kChunkRowsPerLane; ++i) {
        const long long row = row0 + l.r + (long long)i * l.lanes;
        v[i] = l.active && row < rows ? x[row * channels + l.channel] : 0.f;
        s += v[i];
    }
    const float mean = lane_sum(s, l) / (float)count;
    float q = 0.f;
#pragma unroll
    for (int i = 0; i < kChunkRowsPerLane; ++i) {
        const long long row = row0 + l.r + (long long)i * l.lanes;
        const float d = v[i] - mean;
        if (l.active && row < rows) q = fmaf(d, d, q);
    }
    const float m2 = lane_sum(q, l);
    if (l.active && l.r == 0) {
        float* p = partials + ((long long)blockIdx.x * channels + l.channel) * 3;
        p[0] = (float)count;
        p[1] = mean;
        p[2] = m2;
    }
}

// Combines partials[P][C][3] in index order (Chan et al.): mean[c], invstd[c] = 1/sqrt(var + eps)
// with the biased variance; when running_mean is not null, updates running_mean and running_var
// (unbiased variance) with momentum. One thread per channel, 128 a block.
JGAN_KERNEL void batch_norm_finalize(const float* partials, float* mean, float* invstd, float* running_mean, float* running_var, int num_partials, int channels, float momentum, float eps) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= channels) return;
    int n = 0;
    float ma = 0.f, m2 = 0.f;
    // Loads are unconditional so that unrolling batches them ahead of the dependent chain (mean:
    // two operations a step; the count and ratio do not depend on it).
#pragma unroll 4
    for (int p = 0; p < num_partials; ++p) {
        const float* q = partials + ((long long)p * channels + c) * 3;
        const float count = q[0], mb = q[1], m2b = q[2];
        if (count > 0.f) {  // an empty partial contributes nothing (its mean may be 0/0)
            const int na = n, nb = (int)count;
            n = na + nb;
            const float ratio = count / (float)n;
            const float d = mb - ma;
            ma = fmaf(d, ratio, ma);
            m2 = m2 + m2b + d * d * (float)na * ratio;
        }
    }
    const float var = m2 / (float)n;
    mean[c] = ma;
    invstd[c] = 1.f / sqrtf(var + eps);
    if (running_mean) {
        const float unbiased = m2 / (float)(n - 1);
        running_mean[c] = (1.f - momentum) * running_mean[c] + momentum * ma;
        running_var[c] = (1.f - momentum) * running_var[c] + momentum * unbiased;
    }
}

// y = act(gamma (x - mean) invstd + beta) with the batch's mean and invstd. y may be x.
JGAN_KERNEL void batch_norm_forward_train(const float* x, const float* mean, const float* invstd, const float* gamma, const float* beta, float* y, int rows, int channels, int act, float slope) {
    using namespace batch_norm_detail;
    const Lane l = lane_of(channels);
    if (!l.active) return;
    const int c = l.channel;
    apply(x, y, rows, channels, l, Affine{mean[c], gamma[c] * invstd[c], beta[c]}, act, slope);
}

// y = act(gamma (x - running_mean) / sqrt(running_var + eps) + beta). y may be x.
JGAN_KERNEL void batch_norm_forward_eval(const float* x, const float* running_mean, const float* running_var, const float* gamma, const float* beta, float* y, int rows, int channels, float eps, int act, float slope) {
    using namespace batch_norm_detail;
    const Lane l = lane_of(channels);
    if (!l.active) return;
    const int c = l.channel;
    apply(x, y, rows, channels, l, Affine{running_mean[c], gamma[c] * (1.f / sqrtf(running_var[c] + eps)), beta[c]}, act, slope);
}

// partials[(p * C + c) * 2 + {0, 1}] = {sum dz, sum dz xhat} over the rows of chunk p (chunks as
// in batch_norm_stats). y may be null when act is identity.
JGAN_KERNEL void batch_norm_backward_reduce(const float* dy, const float* y, const float* x, const float* mean, const float* invstd, float* partials, int rows, int channels, int act, float slope) {
    using namespace batch_norm_detail;
    const Lane l = lane_of(channels);
    const long long row0 = (long long)blockIdx.x * kChunkRowsPerLane * l.lanes;
    float sb = 0.f, sg = 0.f;
    if (l.active) {
        const float m = mean[l.channel], is = invstd[l.channel];
        // Rows i = 0 .. 15 of the chunk in order, their loads issued kRowsInFlight at a time.
        for (int i0 = 0; i0 < kChunkRowsPerLane; i0 += kRowsInFlight) {
            float g[kRowsInFlight], o[kRowsInFlight], v[kRowsInFlight];
#pragma unroll
            for (int k = 0; k < kRowsInFlight; ++k) {
                const long long row = row0 + l.r + (long long)(i0 + k) * l.lanes;
                if (row < rows) {
                    const long long e = row * channels + l.channel;
                    g[k] = dy[e];
                    if (act != IDENTITY) o[k] = y[e];
                    v[k] = x[e];
                }
            }
#pragma unroll
            for (int k = 0; k < kRowsInFlight; ++k) {
                const long long row = row0 + l.r + (long long)(i0 + k) * l.lanes;
                if (row < rows) {
                    float dz = g[k];
                    if (act != IDENTITY) dz *= activation_grad(o[k], act, slope);
                    sb += dz;
                    sg = fmaf(dz, (v[k] - m) * is, sg);
                }
            }
        }
    }
    sb = lane_sum(sb, l);
    sg = lane_sum(sg, l);
    if (l.active && l.r == 0) {
        float* p = partials + ((long long)blockIdx.x * channels + l.channel) * 2;
        p[0] = sb;
        p[1] = sg;
    }
}

// sums[c * 2 + {0, 1}] = partials summed over p in index order; dbeta[c] = sums[c * 2],
// dgamma[c] = sums[c * 2 + 1] (added to what they hold when accumulate; either may be null).
// One thread per channel, 128 a block.
JGAN_KERNEL void batch_norm_backward_finalize(const float* partials, float* sums, float* dgamma, float* dbeta, int num_partials, int channels, int accumulate) {
    const int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= channels) return;
    float sb = 0.f, sg = 0.f;
#pragma unroll 4
    for (int p = 0; p < num_partials; ++p) {
        const float* q = partials + ((long long)p * channels + c) * 2;
        sb += q[0];
        sg += q[1];
    }
    sums[2 * c] = sb;
    sums[2 * c + 1] = sg;
    if (dbeta) dbeta[c] = accumulate ? dbeta[c] + sb : sb;
    if (dgamma) dgamma[c] = accumulate ? dgamma[c] + sg : sg;
}

// dx = gamma invstd (dz - sum dz / n - xhat sum(dz xhat) / n), n = rows, sums from
// batch_norm_backward_finalize. y may be null when act is identity. dx may be dy.
JGAN_KERNEL void batch_norm_backward_data(const float* dy, const float* y, const float* x, const float* mean, const float* invstd, const float* gamma, const float* sums, float* dx, int rows, int channels, int act, float slope) {
    using namespace batch_norm_detail;
    const Lane l = lane_of(channels);
    if (!l.active) return;
    const int c = l.channel;
    const float m = mean[c], is = invstd[c], scale = gamma[c] * is;
    const float mean_dz = sums[2 * c] / (float)rows, mean_dz_xhat = sums[2 * c + 1] / (float)rows;
    float g[kRowsInFlight], o[kRowsInFlight], v[kRowsInFlight];
    for_each_row(
        l, rows, channels,
        [&](int k, long long e) {
            g[k] = dy[e];
            if (act != IDENTITY) o[k] = y[e];
            v[k] = x[e];
        },
        [&](int k, long long e) {
            float dz = g[k];
            if (act != IDENTITY) dz *= activation_grad(o[k], act, slope);
            const float xhat = (v[k] - m) * is;
            dx[e] = scale * (dz - mean_dz - xhat * mean_dz_xhat);
        });
}
