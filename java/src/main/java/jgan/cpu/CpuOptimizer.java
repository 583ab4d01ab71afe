package jgan.cpu;

import static jgan.cpu.CpuKernels.bits;
import static jgan.cpu.CpuKernels.f;

import jgan.cpu.CpuKernels.Call;
import jgan.reference.OptimizerReference;

/**
 * kernels/optimizer.cu on the cpu device: Adam and SGD over a flat buffer (with weight clipping
 * and gradient zeroing fused), and the device step counter. Each element's update is computed in
 * double and rounded once per stored value, in the kernel's order of stores.
 */
final class CpuOptimizer {
    private CpuOptimizer() {
    }

    // optimizer_step_increment(int* step)
    static void stepIncrement(Call c) {
        CpuMemory.Ref s = c.ptr(0, 1);
        s.words()[s.index()] += 1;
    }

    /** Clamp to [-clip, clip] when clip > 0; NaN stays NaN (comparisons are false for it), as in the kernel. */
    private static double clip(double p, double clip) {
        if (clip > 0) {
            if (p > clip) {
                return clip;
            }
            if (p < -clip) {
                return -clip;
            }
        }
        return p;
    }

    static void adam(Call c) {
        int n = c.i32(5);
        double lr = c.f32(6), b1 = c.f32(7), b2 = c.f32(8), eps = c.f32(9), wd = c.f32(10), clip = c.f32(11);
        boolean zero = c.i32(12) != 0;
        CpuMemory.Ref p = c.ptr(0, n), g = c.ptr(1, n), m = c.ptr(2, n), v = c.ptr(3, n), step = c.ptr(4, 1);
        adam(c, n, p, g, m, v, null, step, lr, b1, b2, eps, wd, clip, zero, 0);
    }

    // lr_schedule(const int* step, float* lr, int kind, float base_lr, float final_frac, int warmup, int total)
    static void lrSchedule(Call c) {
        CpuMemory.Ref step = c.ptr(0, 1), lr = c.ptr(1, 1);
        int t = step.words()[step.index()] + 1;
        float rate = OptimizerReference.scheduledRate(t, c.f32(3), c.i32(2), c.f32(4), c.i32(5), c.i32(6));
        lr.words()[lr.index()] = bits(rate);
    }

    // adam_update_lr(params, grads, m, v, ema, step, const float* lr, n, beta1, beta2, eps, weight_decay, clip, zero_grads, ema_decay)
    static void adamLr(Call c) {
        int n = c.i32(7);
        double b1 = c.f32(8), b2 = c.f32(9), eps = c.f32(10), wd = c.f32(11), clip = c.f32(12);
        boolean zero = c.i32(13) != 0;
        double emaDecay = c.f32(14);
        CpuMemory.Ref p = c.ptr(0, n), g = c.ptr(1, n), m = c.ptr(2, n), v = c.ptr(3, n), step = c.ptr(5, 1), lrRef = c.ptr(6, 1);
        CpuMemory.Ref ema = c.isNull(4) ? null : c.ptr(4, n);
        double lr = f(lrRef.words(), lrRef.index());
        adam(c, n, p, g, m, v, ema, step, lr, b1, b2, eps, wd, clip, zero, emaDecay);
    }

    private static void adam(Call c, int n, CpuMemory.Ref p, CpuMemory.Ref g, CpuMemory.Ref m, CpuMemory.Ref v, CpuMemory.Ref ema,
                             CpuMemory.Ref step, double lr, double b1, double b2, double eps, double wd, double clip, boolean zero,
                             double emaDecay) {
        int t = step.words()[step.index()] + 1; // read only: optimizer_step_increment advances it
        // the EMA's weight of the old average: min(decay, (1 + t) / (10 + t)), as OptimizerReference.ema
        double d = Math.min(emaDecay, (1.0 + t) / (10.0 + t));
        int[] ew = ema == null ? null : ema.words();
        int eo = ema == null ? 0 : ema.index();
        double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
        int[] pw = p.words(), gw = g.words(), mw = m.words(), vw = v.words();
        int po = p.index(), go = g.index(), mo = m.index(), vo = v.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                double gi = f(gw, go + i);
                float mi = (float) (b1 * f(mw, mo + i) + (1 - b1) * gi);
                float vi = (float) (b2 * f(vw, vo + i) + (1 - b2) * gi * gi);
                mw[mo + i] = bits(mi);
                vw[vo + i] = bits(vi);
                // the update uses the moments as stored, as the kernel does
                double pi = f(pw, po + i);
                double mhat = mi / bc1, vhat = vi / bc2;
                float pn = (float) clip(pi - lr * (mhat / (Math.sqrt(vhat) + eps) + wd * pi), clip);
                pw[po + i] = bits(pn);
                if (ew != null) {
                    ew[eo + i] = bits((float) (d * f(ew, eo + i) + (1 - d) * pn));
                }
                if (zero) {
                    gw[go + i] = 0;
                }
            }
        });
    }

    static void sgd(Call c) {
        int n = c.i32(3);
        double lr = c.f32(4), momentum = c.f32(5), wd = c.f32(6), clip = c.f32(7);
        boolean zero = c.i32(8) != 0;
        boolean useBuf = momentum > 0; // otherwise the buffer is never touched (it may be null)
        CpuMemory.Ref p = c.ptr(0, n), g = c.ptr(1, n), b = useBuf ? c.ptr(2, n) : null;
        int[] pw = p.words(), gw = g.words();
        int po = p.index(), go = g.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                double pi = f(pw, po + i);
                double s = f(gw, go + i) + wd * pi;
                if (useBuf) {
                    float buf = (float) (momentum * f(b.words(), b.index() + i) + s);
                    b.words()[b.index() + i] = bits(buf);
                    s = buf; // the step is the buffer as stored
                }
                pw[po + i] = bits((float) clip(pi - lr * s, clip));
                if (zero) {
                    gw[go + i] = 0;
                }
            }
        });
    }
}
