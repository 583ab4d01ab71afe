// optimizer.cu — Adam (AdamW-style decoupled weight decay) and SGD (optional momentum), each one
// launch over a whole network: its parameters, gradients and moments are each ONE flat float
// buffer of n elements (the weights and biases of every layer, back to back).
//
//   adam_update(params, grads, m, v, step, n, lr, beta1, beta2, eps, weight_decay, clip, zero_grads):
//     t = *step + 1                                   (this update's number, 1 for the first)
//     m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g^2
//     m^ = m / (1 - b1^t)            v^ = v / (1 - b2^t)
//     p  = p - lr (m^ / (sqrt(v^) + eps) + weight_decay p)      (decoupled decay: the old p)
//   sgd_update(params, grads, momentum_buf, n, lr, momentum, weight_decay, clip, zero_grads):
//     g' = g + weight_decay p
//     buf = momentum buf + g', s = buf    when momentum > 0 (momentum_buf may be null otherwise)
//     s = g'                              otherwise
//     p  = p - lr s
//   Both, after the update: when clip > 0, p = clamp(p, -clip, clip) (Wasserstein weight
//   clipping in the same pass); when zero_grads != 0, g = 0 once read (saves the zeroing pass
//   before the next backward).
//   optimizer_step_increment(step): *step += 1, one thread.
//
// Learning-rate schedules and the generator's EMA, for a graph that is captured once:
//   lr_schedule(step, lr, kind, base_lr, final_frac, warmup, total): one thread writes *lr, the
//     rate of update t = *step + 1 (k = *step updates done before it), in double, rounded once:
//       k < warmup:  base (k + 1) / warmup                       (linear warm-up from base/warmup)
//       otherwise:   p = min(k - warmup, T) / T, T = total - warmup
//                    base (f + (1 - f) d(p)),  d = 1 (constant), 1 - p (linear),
//                    (1 + cos(pi p)) / 2 (cosine)
//     i.e. PyTorch's closed forms of LinearLR(start_factor 1, end_factor f, total_iters T) and
//     CosineAnnealingLR(T_max T, eta_min f base) at scheduler step k (the rate of the first update
//     is base; from update T + 1 on it stays at f base).
//   adam_update_lr(params, grads, m, v, ema, step, lr, n, ..., ema_decay): adam_update with the
//     rate read from *lr (written by lr_schedule earlier in the same stream), and, when ema is
//     not null, the exponential moving average of the NEW parameters in the same pass:
//       d = min(ema_decay, (1 + t) / (10 + t))      (TensorFlow's ExponentialMovingAverage with
//                                                      num_updates: a warm-up that lets the
//                                                      average leave its start quickly)
//       ema = ema + (1 - d) (p - ema)               (PyTorch's lerp form of d ema + (1 - d) p)
//   adam_update keeps its scalar lr (bit-identical to before); adam_update_lr with a constant
//   schedule gives the same parameters, bit for bit (the same arithmetic on the same float lr).
//
// Why the step count is read from device memory: the training step is captured once into a
// CUDA graph and replayed, so every scalar argument is frozen at capture; t must change each
// replay. adam_update only READS *step (every block reads it, so none may change it during the
// launch); optimizer_step_increment, launched after the update(s) that use the count, advances
// it. Several networks may share one counter: increment once after all of their updates.
//
// Expected bound: memory. Adam moves 28 bytes per parameter (reads p, g, m, v; writes p, m, v)
// plus 4 with zero_grads, for ~15 FLOPs, one sqrt and one division: ~6.5 us per million
// parameters at H200's ~4.3 TB/s. SGD moves 12 (no momentum) or 20 bytes (momentum) plus 4 with
// zero_grads. Grid-stride loops over float4 when every pointer is 16-byte aligned, scalar
// otherwise and for the tail (as leaky_relu.cu).
#include "jgan_portable.cuh"

namespace optimizer_detail {

__device__ __forceinline__ bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

// Clamp to [-clip, clip] when clip > 0. Comparisons rather than fminf/fmaxf: those return the
// other operand when p is NaN, and a NaN parameter must stay NaN for the finite_check watchdog.
__device__ __forceinline__ float clip_to(float p, float clip) {
    if (clip > 0.f) {
        if (p > clip) p = clip;
        else if (p < -clip) p = -clip;
    }
    return p;
}

// 1 - beta^t as -expm1(t log beta): accurate to a few ulps for every t. The direct
// 1 - powf(beta, t) cancels: for beta2 = 0.999 at t = 1 one ulp of powf's result is 6e-5 of
// the answer. beta = 0 gives logf = -inf, expm1f(-inf) = -1: the correction is 1, as it should be.
__device__ __forceinline__ float one_minus_pow(float beta, float t) { return -expm1f(t * logf(beta)); }

// The per-launch constants of Adam, kept in registers (not a kernel parameter).
struct AdamConst {
    float lr, b1, b2, c1, c2, eps, wd, clip, inv_bc1, inv_bc2;
};

__device__ __forceinline__ void adam_one(float& p, float g, float& m, float& v, const AdamConst& k) {
    m = k.b1 * m + k.c1 * g;
    v = k.b2 * v + k.c2 * g * g;
    const float mhat = m * k.inv_bc1, vhat = v * k.inv_bc2;
    p = clip_to(p - k.lr * (mhat / (sqrtf(vhat) + k.eps) + k.wd * p), k.clip);
}

// The EMA after an update: ema += c (p - ema), c = 1 - d.
__device__ __forceinline__ void ema_one(float& e, float p, float c) { e = e + c * (p - e); }

// d(p) of the schedules: 0 constant, 1 linear, 2 cosine (kernels/optimizer.cu's header).
__device__ __forceinline__ double schedule_decay(int kind, double p) {
    if (kind == 1) return 1.0 - p;
    if (kind == 2) return 0.5 * (1.0 + cos(3.141592653589793 * p));
    return 1.0;
}

__device__ __forceinline__ float sgd_one(float p, float g, float* buf, float lr, float momentum, float wd, float clip) {
    const float gp = g + wd * p;
    float s = gp;
    if (momentum > 0.f) {
        s = momentum * *buf + gp;
        *buf = s;
    }
    return clip_to(p - lr * s, clip);
}


// The constants of one Adam update at step t (1-based) from the hyper-parameters; lr may come from
// the host (adam_update) or from device memory (adam_update_lr, a schedule inside a replayed graph).
__device__ __forceinline__ AdamConst adam_const(float lr, float beta1, float beta2, float eps, float weight_decay, float clip, float t) {
    AdamConst k;
    k.lr = lr;
    k.b1 = beta1;
    k.b2 = beta2;
    k.c1 = 1.f - beta1;  // exact for beta in [0.5, 1) (Sterbenz), as the reference's double
    k.c2 = 1.f - beta2;
    k.eps = eps;
    k.wd = weight_decay;
    k.clip = clip;
    k.inv_bc1 = 1.f / one_minus_pow(beta1, t);
    k.inv_bc2 = 1.f / one_minus_pow(beta2, t);
    return k;
}

// One grid-stride sweep of Adam over n elements: float4 where every array is 16-byte aligned, then
// the scalar tail; with ema != nullptr the average of the updated parameters follows in the same
// pass (ema += c * (p - ema)). Both Adam kernels are this sweep, so they give the same bits.
__device__ __forceinline__ void adam_sweep(float* params, float* grads, float* m, float* v, float* ema, int n, const AdamConst& k,
                                           int zero_grads, float ema_c) {
    const bool use_ema = ema != nullptr;
    const int stride = gridDim.x * blockDim.x;
    const int start = blockIdx.x * blockDim.x + threadIdx.x;
    int done = 0;
    if (aligned16(params) && aligned16(grads) && aligned16(m) && aligned16(v) && (!use_ema || aligned16(ema))) {
        const int n4 = n / 4;
        float4* p4 = reinterpret_cast<float4*>(params);
        float4* g4 = reinterpret_cast<float4*>(grads);
        float4* m4 = reinterpret_cast<float4*>(m);
        float4* v4 = reinterpret_cast<float4*>(v);
        float4* e4 = reinterpret_cast<float4*>(ema);
        for (int i = start; i < n4; i += stride) {
            float4 p = p4[i], mm = m4[i], vv = v4[i];
            const float4 g = g4[i];
            adam_one(p.x, g.x, mm.x, vv.x, k);
            adam_one(p.y, g.y, mm.y, vv.y, k);
            adam_one(p.z, g.z, mm.z, vv.z, k);
            adam_one(p.w, g.w, mm.w, vv.w, k);
            p4[i] = p;
            m4[i] = mm;
            v4[i] = vv;
            if (use_ema) {
                float4 e = e4[i];
                ema_one(e.x, p.x, ema_c);
                ema_one(e.y, p.y, ema_c);
                ema_one(e.z, p.z, ema_c);
                ema_one(e.w, p.w, ema_c);
                e4[i] = e;
            }
            if (zero_grads) g4[i] = make_float4(0.f, 0.f, 0.f, 0.f);
        }
        done = n4 * 4;
    }
    for (int i = done + start; i < n; i += stride) {
        float p = params[i], mm = m[i], vv = v[i];
        const float g = grads[i];
        adam_one(p, g, mm, vv, k);
        params[i] = p;
        m[i] = mm;
        v[i] = vv;
        if (use_ema) {
            float e = ema[i];
            ema_one(e, p, ema_c);
            ema[i] = e;
        }
        if (zero_grads) grads[i] = 0.f;
    }
}

}  // namespace optimizer_detail

JGAN_KERNEL void adam_update(float* params, float* grads, float* m, float* v, const int* step, int n, float lr, float beta1, float beta2, float eps, float weight_decay, float clip, int zero_grads) {
    using namespace optimizer_detail;
    const float t = (float)(*step + 1);
    adam_sweep(params, grads, m, v, nullptr, n, adam_const(lr, beta1, beta2, eps, weight_decay, clip, t), zero_grads, 0.f);
}

JGAN_KERNEL void lr_schedule(const int* step, float* lr, int kind, float base_lr, float final_frac, int warmup, int total) {
    using namespace optimizer_detail;
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    const int k = *step;
    const double base = base_lr;
    double rate;
    if (k < warmup) {
        rate = base * (double)(k + 1) / (double)warmup;
    } else {
        const double span = (double)(total - warmup);
        const double done = (double)(k - warmup);
        const double p = done < span ? done / span : 1.0;
        const double f = final_frac;
        rate = base * (f + (1.0 - f) * schedule_decay(kind, p));
    }
    *lr = (float)rate;
}

JGAN_KERNEL void adam_update_lr(float* params, float* grads, float* m, float* v, float* ema, const int* step, const float* lr, int n, float beta1, float beta2, float eps, float weight_decay, float clip, int zero_grads, float ema_decay) {
    using namespace optimizer_detail;
    const float t = (float)(*step + 1);
    // 1 - d with d = min(decay, (1 + t) / (10 + t)): 1 - (1 + t) / (10 + t) = 9 / (10 + t).
    const float warm = (1.f + t) / (10.f + t);
    const float ema_c = 1.f - (ema_decay < warm ? ema_decay : warm);
    adam_sweep(params, grads, m, v, ema, n, adam_const(*lr, beta1, beta2, eps, weight_decay, clip, t), zero_grads, ema_c);
}

JGAN_KERNEL void sgd_update(float* params, float* grads, float* momentum_buf, int n, float lr, float momentum, float weight_decay, float clip, int zero_grads) {
    using namespace optimizer_detail;
    const int stride = gridDim.x * blockDim.x;
    const int start = blockIdx.x * blockDim.x + threadIdx.x;
    // Without momentum the buffer is never touched (it may be null); point at a local instead.
    const bool use_buf = momentum > 0.f;
    int done = 0;
    if (aligned16(params) && aligned16(grads) && (!use_buf || aligned16(momentum_buf))) {
        const int n4 = n / 4;
        float4* p4 = reinterpret_cast<float4*>(params);
        float4* g4 = reinterpret_cast<float4*>(grads);
        float4* b4 = reinterpret_cast<float4*>(momentum_buf);
        for (int i = start; i < n4; i += stride) {
            float4 p = p4[i];
            const float4 g = g4[i];
            float4 b = use_buf ? b4[i] : make_float4(0.f, 0.f, 0.f, 0.f);
            p.x = sgd_one(p.x, g.x, &b.x, lr, momentum, weight_decay, clip);
            p.y = sgd_one(p.y, g.y, &b.y, lr, momentum, weight_decay, clip);
            p.z = sgd_one(p.z, g.z, &b.z, lr, momentum, weight_decay, clip);
            p.w = sgd_one(p.w, g.w, &b.w, lr, momentum, weight_decay, clip);
            p4[i] = p;
            if (use_buf) b4[i] = b;
            if (zero_grads) g4[i] = make_float4(0.f, 0.f, 0.f, 0.f);
        }
        done = n4 * 4;
    }
    for (int i = done + start; i < n; i += stride) {
        float b = use_buf ? momentum_buf[i] : 0.f;
        params[i] = sgd_one(params[i], grads[i], &b, lr, momentum, weight_decay, clip);
        if (use_buf) momentum_buf[i] = b;
        if (zero_grads) grads[i] = 0.f;
    }
}

JGAN_KERNEL void optimizer_step_increment(int* step) {
    if (blockIdx.x == 0 && threadIdx.x == 0) *step += 1;
}
