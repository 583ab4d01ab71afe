package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.Dim3;
import jgan.device.Graph;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.kernels.Reduce.Transform;
import jgan.reference.ReduceReference;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.TestDevices;
import jgan.testing.TestDevices.Target;
import jgan.testing.Tolerance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** kernels/reduce.cu against {@link ReduceReference} on every device. */
@Tag("host-runtime")
class ReduceConformanceTest {
    static final int[] SIZES = {1, 7, 31, 257, 4099, 1_000_003};
    /** Each is scanned ten times; small grids (below) cover the grid-stride loops. */
    static final int[] CHECK_SIZES = {1, 7, 31, 4099, 100_003};

    static Stream<Arguments> meanCases() {
        return TestDevices.all().flatMap(d -> java.util.Arrays.stream(SIZES).boxed()
                .flatMap(n -> Stream.of(Arguments.of(d, n, Transform.IDENTITY), Arguments.of(d, n, Transform.SIGMOID))));
    }

    static Stream<Arguments> checkCases() {
        return TestDevices.all().flatMap(d -> java.util.Arrays.stream(CHECK_SIZES).boxed().map(n -> Arguments.of(d, n)));
    }

    /** Float sums on the device: within 1e-6 of the mean of |f(x)| plus 1e-5 relative. */
    static void checkMean(Device dev, float[] x, Transform tf) {
        int n = x.length;
        boolean sig = tf == Transform.SIGMOID;
        double ref = ReduceReference.mean(x, sig);
        double scale = sig ? 1 : ReduceReference.mean(Tolerance.abs(x), false);
        try (Tensor tx = Tensor.of(dev, Shape.of(n), x); Tensor out = Tensor.empty(dev, Shape.of(1))) {
            out.fill(Float.NaN);
            Reduce.mean(tx, out, tf, false);
            Tolerance.assertClose("reduce_mean " + tf + " n=" + n, out.toArray()[0], ref, 1e-6 * scale, 1e-5);
        }
    }

    @ParameterizedTest(name = "[{0}] mean n={1} {2}")
    @MethodSource("meanCases")
    void meanMatchesReference(Target target, int n, Transform tf) {
        SplittableRandom r = new SplittableRandom(41L * n + tf.ordinal());
        float[] x = RandomData.normal(r, n, 3.0);
        for (int i = 0; i < n; i++) {
            x[i] += 0.7f; // a mean away from 0, so the relative tolerance means something
        }
        checkMean(target.device(), x, tf);
    }

    /** Logits up to 1e4 in size: sigmoid without overflow, exact limits. */
    @ParameterizedTest(name = "[{0}] sigmoid of extreme logits")
    @MethodSource("jgan.testing.TestDevices#all")
    void sigmoidOfExtremeLogits(Target target) {
        Device dev = target.device();
        checkMean(dev, new float[] {1e4f, -1e4f, 100f, -100f, 88.8f, -88.8f, 20f, -20f, 0f, 1e-8f, -1e-30f}, Transform.SIGMOID);
        try (Tensor tx = Tensor.of(dev, Shape.of(3), new float[] {1e4f, 1e4f, -1e4f}); Tensor out = Tensor.empty(dev, Shape.of(1))) {
            Reduce.mean(tx, out, Transform.SIGMOID, false);
            assertEquals(2f / 3f, out.toArray()[0], 1e-7f);
        }
    }

    /** Accumulation and graph replay (the ticket resets itself), as for the per-step GAN statistics. */
    @ParameterizedTest(name = "[{0}] accumulate through a replayed graph")
    @MethodSource("jgan.testing.TestDevices#all")
    void accumulatesAcrossGraphReplays(Target target) {
        Device dev = target.device();
        int n = 30_001;
        float[] x = RandomData.normal(new SplittableRandom(3), n, 2.0);
        double ref = ReduceReference.mean(x, true);
        try (Tensor tx = Tensor.of(dev, Shape.of(n), x); Tensor out = Tensor.zeros(dev, Shape.of(1))) {
            Reduce.mean(tx, out, Transform.SIGMOID, true); // creates the workspace
            dev.beginCapture();
            Reduce.mean(tx, out, Transform.SIGMOID, true);
            try (Graph g = dev.endCapture()) {
                assertEquals(1, g.size());
                for (int i = 0; i < 4; i++) {
                    g.replay();
                }
            }
            Tolerance.assertClose("5 accumulated means", out.toArray()[0], 5 * ref, 1e-7, 1e-5);
        }
    }

    static int flag(Device dev, DeviceBuffer flag) {
        int[] v = new int[1];
        dev.copyToHost(flag, 0, v, 0, 1);
        return v[0];
    }

    /**
     * A clean tensor (including the largest, smallest and subnormal finite values) leaves the
     * flag 0; NaN, +Inf or -Inf planted at the first, a middle and the last element sets it.
     */
    @ParameterizedTest(name = "[{0}] finite check n={1}")
    @MethodSource("checkCases")
    void finiteCheckFindsEveryNonFinite(Target target, int n) {
        Device dev = target.device();
        float[] x = RandomData.normal(new SplittableRandom(n), n, 1e3);
        float[] edges = {Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, -Float.MIN_NORMAL, -0f};
        for (int i = 0; i < edges.length && i < n; i++) {
            x[(int) ((long) i * 7919 % n)] = edges[i];
        }
        assertTrue(!ReduceReference.anyNonFinite(x));
        try (Tensor tx = Tensor.of(dev, Shape.of(n), x); DeviceBuffer f = dev.allocate(4)) {
            dev.fill32(f, 0, 1, 0);
            Reduce.finiteCheck(tx, f);
            assertEquals(0, flag(dev, f), "a clean tensor must leave the flag 0");
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                for (int at : new int[] {0, n / 2, n - 1}) {
                    dev.copyToDevice(new float[] {bad}, 0, tx.buffer(), 4L * at, 1);
                    dev.fill32(f, 0, 1, 0);
                    Reduce.finiteCheck(tx, f);
                    assertEquals(1, flag(dev, f), bad + " at " + at + " of " + n);
                    dev.copyToDevice(x, at, tx.buffer(), 4L * at, 1); // clean again
                }
            }
            // It never clears: a set flag stays set on a clean tensor.
            Reduce.finiteCheck(tx, f);
            assertEquals(1, flag(dev, f));
            dev.fill32(f, 0, 1, 0);
            Reduce.finiteCheck(tx, f);
            assertEquals(0, flag(dev, f), "restored tensor is clean again");
        }
    }

    /**
     * A grid far smaller than the data, so every thread strides: at offset 0 through the float4
     * loop, at offset 4 bytes (not 16-byte aligned) through the scalar one. The element outside
     * the view is never read.
     */
    @ParameterizedTest(name = "[{0}] finite check small grid")
    @MethodSource("jgan.testing.TestDevices#all")
    void finiteCheckSmallGrid(Target target) {
        Device dev = target.device();
        int n = 1001;
        LaunchConfig cfg = new LaunchConfig(Dim3.of(2), Dim3.of(64), 0);
        for (int offset : new int[] {0, 4}) {
            float[] x = RandomData.normal(new SplittableRandom(2), n + 1, 1.0);
            int outside = offset == 0 ? n : 0;
            x[outside] = Float.NaN;
            try (Tensor tx = Tensor.of(dev, Shape.of(n + 1), x); DeviceBuffer f = dev.allocate(4)) {
                dev.fill32(f, 0, 1, 0);
                dev.launch(Reduce.FINITE_CHECK, cfg, new KernelArgs().ptr(tx.buffer(), offset).i32(n).ptr(f));
                assertEquals(0, flag(dev, f), "offset " + offset + ": the NaN outside the view must not be seen");
                for (int at : new int[] {offset / 4, 500, offset / 4 + n - 1}) {
                    dev.copyToDevice(new float[] {Float.NEGATIVE_INFINITY}, 0, tx.buffer(), 4L * at, 1);
                    dev.launch(Reduce.FINITE_CHECK, cfg, new KernelArgs().ptr(tx.buffer(), offset).i32(n).ptr(f));
                    assertEquals(1, flag(dev, f), "offset " + offset + ": -Inf at " + at);
                    dev.copyToDevice(x, at, tx.buffer(), 4L * at, 1);
                    dev.fill32(f, 0, 1, 0);
                }
            }
        }
    }


    @Test
    void badInputIsRefusedBeforeLaunch() {
        Device dev = TestDevices.host();
        try (Tensor x = Tensor.zeros(dev, Shape.of(8)); Tensor out = Tensor.zeros(dev, Shape.of(2));
             Tensor one = Tensor.zeros(dev, Shape.of(1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Reduce.mean(x, out, Transform.IDENTITY, false));
            assertTrue(e.getMessage().contains("reduce_mean") && e.getMessage().contains("out must have one element")
                    && e.getMessage().contains("[2]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Reduce.mean(x, one, null, false));
            assertTrue(e.getMessage().contains("transform"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Reduce.finiteCheck(x, null));
            assertTrue(e.getMessage().contains("finite_check") && e.getMessage().contains("flag"), e.getMessage());
        }
    }
}
