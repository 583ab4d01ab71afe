package jgan.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import jgan.device.CpuDevice;
import jgan.kernels.Activation;
import jgan.kernels.Conv2d;
import jgan.kernels.ConvProblem;
import jgan.kernels.MathMode;
import jgan.reference.ConvReference;
import jgan.reference.DenseReference.Rounding;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;

/**
 * The cpu device's split-K wgrad with its filter rows cut in parts (CpuConv.wgradBySplit with
 * wgradParts = 2: DCGAN-28's D conv2 shape, at batch 24): the same bits on 1, 2 and 3 threads, and
 * dw, db within FP32 rounding of the double reference (leaky ReLU's dz, so the mask-select path is
 * in it too). CpuDeviceTest's thread-count workload has wgrad in splits of one part only.
 */
class CpuConvWgradTest {
    private static final ConvProblem PR = ConvProblem.of(24, 14, 14, 64, 32, 4, 2, 1, 1);

    private static float[][] run(int threads, float[] x, float[] y, float[] dy) {
        try (CpuDevice d = new CpuDevice(threads);
             Tensor tx = Tensor.of(d, PR.inputShape(), x); Tensor ty = Tensor.of(d, PR.outputShape(), y);
             Tensor tdy = Tensor.of(d, PR.outputShape(), dy); Tensor dw = Tensor.empty(d, PR.filterShape());
             Tensor db = Tensor.empty(d, Shape.of(PR.k()))) {
            Conv2d.wgrad(PR, tdy, ty, tx, dw, db, Activation.LEAKY_RELU, 0.2f, false, MathMode.FP32);
            return new float[][] {dw.toArray(), db.toArray()};
        }
    }

    @Test
    void splitPartsGiveThreadCountIndependentBitsNearTheReference() throws Exception {
        Method split = Conv2d.class.getDeclaredMethod("wgradSplit", ConvProblem.class);
        split.setAccessible(true);
        int splits = ((int[]) split.invoke(null, PR))[0];
        CpuConv.Problem cp = new CpuConv.Problem(PR.n(), PR.h(), PR.w(), PR.c(), PR.k(), PR.r(), PR.s(), PR.p(), PR.q(), 1, 1, 2, 2, 1, 1);
        assertTrue(splits >= CpuConv.SPLIT_TASKS && CpuConv.wgradParts(cp) == 2, "the shape takes the split-parts path: splits " + splits);
        SplittableRandom r = new SplittableRandom(7);
        float[] x = RandomData.normal(r, (int) PR.inputShape().numel(), 1);
        float[] y = RandomData.normal(r, (int) PR.outputShape().numel(), 1);
        float[] dy = RandomData.normal(r, (int) PR.outputShape().numel(), 1);
        float[][] one = run(1, x, y, dy), two = run(2, x, y, dy), three = run(3, x, y, dy);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(bits(one[i]), bits(two[i]), "1 vs 2 threads, result " + i);
            assertArrayEquals(bits(one[i]), bits(three[i]), "1 vs 3 threads, result " + i);
        }
        float[][] ref = ConvReference.wgrad(PR, dy, y, x, 2, 0.2f, Rounding.NONE);
        for (int i = 0; i < 2; i++) {
            double scale = 0;
            for (float v : ref[i]) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int j = 0; j < ref[i].length; j++) {
                // a sum of 1176 products: FP32 accumulation error well under 1e-5 of the largest element
                assertTrue(Math.abs(one[i][j] - ref[i][j]) <= 1e-5 * scale + 1e-6, "result " + i + " element " + j + ": "
                        + one[i][j] + " vs " + ref[i][j]);
            }
        }
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }
}
