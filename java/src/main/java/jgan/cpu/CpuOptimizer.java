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
        double[][] scratch = c.scratch.perTask(CpuParallel.tasks(n, CpuKernels.GRAIN), 4 * BLOCK);
        c.forChunks(n, (from, to) -> {
            double[] s = scratch[from / CpuKernels.GRAIN];
            for (int b0 = from; b0 < to; b0 += BLOCK) {
                adamBlock(s, b0, Math.min(to, b0 + BLOCK), pw, po, gw, go, mw, mo, vw, vo, ew, eo, lr, b1, b2, eps, wd, clip, bc1,
                        bc2, d, zero);
            }
        });
    }

    /** Elements of a block: small enough that its double arrays stay in L1. */
    static final int BLOCK = 256;

    /**
     * Adam on elements [from, to): each element's arithmetic exactly as the one-element form
     * <pre>
     *   double gi = g[i];
     *   float mi = (float) (b1 * m[i] + (1 - b1) * gi), vi = (float) (b2 * v[i] + (1 - b2) * gi * gi);
     *   m[i] = mi; v[i] = vi;                    // the update uses the moments as stored, as the kernel does
     *   double pi = p[i], mhat = mi / bc1, vhat = vi / bc2;
     *   float pn = (float) clip(pi - lr * (mhat / (Math.sqrt(vhat) + eps) + wd * pi), clip);
     *   p[i] = pn; ema[i] = (float) (d * ema[i] + (1 - d) * pn); if (zero) g[i] = 0;
     * </pre>
     * (the same reads and stores per element, in that order), done a step at a time over the
     * block through double arrays: each loop then converts in one direction only (float to double
     * or double to float), which the JIT runs as vector code, where the one-element loop's
     * float-double-float chains run several times slower. Same operations, same order: same bits.
     */
    private static void adamBlock(double[] s, int from, int to, int[] pw, int po, int[] gw, int go, int[] mw, int mo, int[] vw,
                                  int vo, int[] ew, int eo, double lr, double b1, double b2, double eps, double wd, double clip,
                                  double bc1, double bc2, double d, boolean zero) {
        int n = to - from;
        // s: [0, B) g, [B, 2B) m then mhat's source, [2B, 3B) v, [3B, 4B) p then the new p
        final int G = 0, M = BLOCK, V = 2 * BLOCK, P = 3 * BLOCK;
        for (int k = 0; k < n; k++) {
            s[G + k] = f(gw, go + from + k);
        }
        for (int k = 0; k < n; k++) {
            s[M + k] = f(mw, mo + from + k);
        }
        for (int k = 0; k < n; k++) {
            s[V + k] = f(vw, vo + from + k);
        }
        for (int k = 0; k < n; k++) {
            double gi = s[G + k];
            mw[mo + from + k] = bits((float) (b1 * s[M + k] + (1 - b1) * gi));
        }
        for (int k = 0; k < n; k++) {
            double gi = s[G + k];
            vw[vo + from + k] = bits((float) (b2 * s[V + k] + (1 - b2) * gi * gi));
        }
        for (int k = 0; k < n; k++) {
            s[M + k] = f(mw, mo + from + k);
        }
        for (int k = 0; k < n; k++) {
            s[V + k] = f(vw, vo + from + k);
        }
        for (int k = 0; k < n; k++) {
            s[P + k] = f(pw, po + from + k);
        }
        for (int k = 0; k < n; k++) {
            double pi = s[P + k];
            double mhat = s[M + k] / bc1, vhat = s[V + k] / bc2;
            s[P + k] = pi - lr * (mhat / (Math.sqrt(vhat) + eps) + wd * pi);
        }
        if (clip > 0) {
            for (int k = 0; k < n; k++) {
                s[P + k] = clip(s[P + k], clip);
            }
        }
        for (int k = 0; k < n; k++) {
            pw[po + from + k] = bits((float) s[P + k]);
        }
        if (ew != null) {
            for (int k = 0; k < n; k++) {
                s[P + k] = f(pw, po + from + k);
            }
            for (int k = 0; k < n; k++) {
                s[M + k] = f(ew, eo + from + k);
            }
            for (int k = 0; k < n; k++) {
                ew[eo + from + k] = bits((float) (d * s[M + k] + (1 - d) * s[P + k]));
            }
        }
        if (zero) {
            java.util.Arrays.fill(gw, go + from, go + to, 0);
        }
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
