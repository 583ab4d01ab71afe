package jgan.cpu;

import static jgan.cpu.CpuKernels.bits;
import static jgan.cpu.CpuKernels.f;
import static jgan.cpu.CpuKernels.store;

import jgan.cpu.CpuKernels.Call;

/**
 * kernels/sigmoid_cross_entropy.cu and kernels/gan_loss.cu on the cpu device: the loss and its
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
}
