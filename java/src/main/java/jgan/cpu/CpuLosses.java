package jgan.cpu;

import static jgan.cpu.CpuKernels.bits;
import static jgan.cpu.CpuKernels.f;
import static jgan.cpu.CpuKernels.store;

import java.util.concurrent.atomic.AtomicBoolean;

import jgan.cpu.CpuKernels.Call;

/**
 * kernels/sigmoid_cross_entropy.cu, kernels/softmax_cross_entropy.cu and kernels/gan_loss.cu on the cpu device: the loss and its
 * gradient in one pass, in double; the loss is summed over fixed chunks and the chunk sums added
 * in chunk order (deterministic whatever the thread count), then scaled and rounded once.
 */
final class CpuLosses {
    private CpuLosses() {
    }

    static void sigmoidCrossEntropy(Call c) {
        int n = c.i32(7);
        double scale = c.f32(8);
        boolean accumulate = c.i32(9) != 0;
        CpuMemory.Ref z = c.ptr(0, n), t = c.ptr(1, n), w = c.ptrOrNull(2, n), g = c.ptrOrNull(3, n), loss = c.ptr(4, 1);
        int[] zw = z.words(), tw = t.words();
        int zo = z.index(), to0 = t.index();
        double total = c.sumChunks(n, (from, to) -> {
            double acc = 0;
            for (int i = from; i < to; i++) {
                double zi = f(zw, zo + i), ti = f(tw, to0 + i);
                double wi = w == null ? 1.0 : f(w.words(), w.index() + i);
                double e = Math.exp(-Math.abs(zi)); // in (0, 1]: never overflows
                double l = Math.max(zi, 0) - zi * ti + Math.log1p(e);
                // s(z) - t from m = s(-|z|), as the kernel forms it: s(z) itself would round to 1 for
                // z beyond ~37 in double and lose the small gradient of a confident right answer.
                double m = e / (1 + e);
                double d = zi >= 0 ? (1 - ti) - m : m - ti;
                acc += wi * l;
                if (g != null) {
                    g.words()[g.index() + i] = bits((float) (scale * wi * d));
                }
            }
            return acc;
        });
        store(loss, (float) (scale * total), accumulate);
    }

    static void ganLoss(Call c) {
        int n = c.i32(5), kind = c.i32(6);
        double target = c.f32(7), scale = c.f32(8);
        boolean accumulate = c.i32(9) != 0;
        CpuMemory.Ref z = c.ptr(0, n), g = c.ptrOrNull(1, n), loss = c.ptr(2, 1);
        int[] zw = z.words();
        int zo = z.index();
        double total = c.sumChunks(n, (from, to) -> {
            double acc = 0;
            for (int i = from; i < to; i++) {
                double zi = f(zw, zo + i), l, d;
                if (kind == 0) {
                    l = target * zi;
                    d = target;
                } else if (kind == 1) {
                    double margin = 1 - target * zi;
                    l = margin > 0 ? margin : 0;
                    d = margin > 0 ? -target : 0;
                } else {
                    d = zi - target;
                    l = 0.5 * d * d;
                }
                acc += l;
                if (g != null) {
                    g.words()[g.index() + i] = bits((float) (scale * d));
                }
            }
            return acc;
        });
        store(loss, (float) (scale * total), accumulate);
    }

    /**
     * softmax_cross_entropy_forward_backward: one row at a time in double, with the kernel's
     * split of the sum (the other classes' terms, then the label's) so that a confident right
     * answer keeps its small loss and gradient; rows in fixed chunks, the losses added in row order.
     */
    static void softmaxCrossEntropy(Call c) {
        int rows = c.i32(8), classes = c.i32(9);
        double scale = c.f32(10);
        boolean accumulate = c.i32(11) != 0;
        long n = (long) rows * classes;
        CpuMemory.Ref z = c.ptr(0, n), y = c.ptr(1, rows), g = c.ptrOrNull(2, n), pred = c.ptrOrNull(3, rows);
        CpuMemory.Ref loss = c.ptr(4, 1), flag = c.ptrOrNull(7, 1);
        int[] zw = z.words(), yw = y.words();
        int zo = z.index(), yo = y.index();
        AtomicBoolean bad = new AtomicBoolean();
        double total = c.sumChunks(rows, (from, to) -> {
            double acc = 0;
            for (int r = from; r < to; r++) {
                int base = zo + r * classes, label = yw[yo + r];
                double m = Double.NEGATIVE_INFINITY;
                int arg = 0;
                for (int k = 0; k < classes; k++) {
                    // the max without NaN (as the kernel's fmaxf): a NaN reaches the sum below
                    double v = f(zw, base + k);
                    if (v > m) {
                        m = v;
                    }
                    double best = f(zw, base + arg);
                    if (!Double.isNaN(best) && (Double.isNaN(v) || v > best)) {
                        arg = k;
                    }
                }
                if (pred != null) {
                    pred.words()[pred.index() + r] = arg;
                }
                boolean wrong = label < 0 || label >= classes;
                double rest = 0;
                for (int k = 0; k < classes; k++) {
                    if (k != label) {
                        rest += Math.exp(f(zw, base + k) - m);
                    }
                }
                double dy = wrong ? Double.NaN : f(zw, base + label) - m;
                double s = rest + Math.exp(dy);
                acc += dy == 0 ? Math.log1p(rest) : Math.log(s) - dy;
                if (wrong) {
                    bad.set(true);
                }
                if (g != null) {
                    int[] gw = g.words();
                    int go = g.index() + r * classes;
                    for (int k = 0; k < classes; k++) {
                        double p = k == label ? -(rest / s) : Math.exp(f(zw, base + k) - m) / s;
                        gw[go + k] = bits(wrong ? Float.NaN : (float) (scale * p));
                    }
                }
            }
            return acc;
        });
        if (bad.get() && flag != null) {
            flag.words()[flag.index()] = 1; // never cleared here: the caller zeroes it
        }
        store(loss, (float) (scale * total), accumulate);
    }
}
