package jgan.cpu;

import static jgan.cpu.CpuKernels.bits;
import static jgan.cpu.CpuKernels.f;

import jgan.cpu.CpuKernels.Call;

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
        int t = step.words()[step.index()] + 1; // read only: optimizer_step_increment advances it
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
                pw[po + i] = bits((float) clip(pi - lr * (mhat / (Math.sqrt(vhat) + eps) + wd * pi), clip));
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
