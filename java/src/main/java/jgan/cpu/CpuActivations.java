package jgan.cpu;

import static jgan.cpu.CpuKernels.bits;
import static jgan.cpu.CpuKernels.f;

import jgan.cpu.CpuKernels.Call;

/**
 * kernels/leaky_relu.cu and kernels/tanh.cu on the cpu device: elementwise, in chunks of
 * {@link CpuKernels#GRAIN} on the device's threads. Leaky ReLU is exact (the same bits as the
 * kernel); tanh and its derivative are computed in double and rounded once.
 */
final class CpuActivations {
    private CpuActivations() {
    }

    static void leakyReluForward(Call c) {
        int n = c.i32(2);
        float slope = c.f32(3);
        CpuMemory.Ref x = c.ptr(0, n), y = c.ptr(1, n);
        int[] xw = x.words(), yw = y.words();
        int xo = x.index(), yo = y.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float v = f(xw, xo + i);
                yw[yo + i] = bits(v > 0f ? v : slope * v);
            }
        });
    }

    static void leakyReluBackward(Call c) {
        int n = c.i32(3);
        float slope = c.f32(4);
        CpuMemory.Ref y = c.ptr(0, n), dy = c.ptr(1, n), dx = c.ptr(2, n);
        int[] yw = y.words(), gw = dy.words(), dw = dx.words();
        int yo = y.index(), go = dy.index(), d0 = dx.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = f(gw, go + i);
                dw[d0 + i] = bits(f(yw, yo + i) > 0f ? g : slope * g);
            }
        });
    }

    static void tanhForward(Call c) {
        int n = c.i32(2);
        CpuMemory.Ref x = c.ptr(0, n), y = c.ptr(1, n);
        int[] xw = x.words(), yw = y.words();
        int xo = x.index(), yo = y.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                yw[yo + i] = bits((float) Math.tanh(f(xw, xo + i)));
            }
        });
    }

    static void tanhBackward(Call c) {
        int n = c.i32(3);
        CpuMemory.Ref y = c.ptr(0, n), dy = c.ptr(1, n), dx = c.ptr(2, n);
        int[] yw = y.words(), gw = dy.words(), dw = dx.words();
        int yo = y.index(), go = dy.index(), d0 = dx.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                double v = f(yw, yo + i);
                // (1 - y)(1 + y) is exact in double; one rounding at the end
                dw[d0 + i] = bits((float) (f(gw, go + i) * ((1 - v) * (1 + v))));
            }
        });
    }
}
