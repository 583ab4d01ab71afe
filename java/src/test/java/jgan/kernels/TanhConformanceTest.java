package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.reference.TanhReference;
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

/** kernels/tanh.cu against {@link TanhReference} on every device. */
@Tag("host-runtime")
class TanhConformanceTest {
    static final int[] SIZES = {1, 7, 31, 4096, 65537, 1_000_003};
    /** The device's tanhf (2 ulp) and the host's may differ from Math.tanh by ulps. */
    static final double FWD_ATOL = 2e-7, FWD_RTOL = 2e-6;
    /** (1 - y)(1 + y) dy: three roundings, ~1.5 ulp relative everywhere, so no absolute slack. */
    static final double BWD_RTOL = 1e-6;

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> java.util.Arrays.stream(SIZES).boxed().map(n -> Arguments.of(d, n)));
    }

    @ParameterizedTest(name = "[{0}] forward n={1}")
    @MethodSource("cases")
    void forwardMatchesReference(Target target, int n) {
        Device dev = target.device();
        float[] x = RandomData.normal(new SplittableRandom(n), n, 3.0);
        try (Tensor tx = Tensor.of(dev, Shape.of(n), x); Tensor ty = Tensor.empty(dev, Shape.of(n))) {
            ty.fill(Float.NaN);
            Tanh.forward(tx, ty);
            Tolerance.assertClose("tanh_forward", ty.toArray(), TanhReference.forward(x), FWD_ATOL, FWD_RTOL);
            Tolerance.assertClose("tanh_forward input", tx.toArray(), x, 0, 0);
        }
    }

    @ParameterizedTest(name = "[{0}] backward n={1}")
    @MethodSource("cases")
    void backwardMatchesReference(Target target, int n) {
        Device dev = target.device();
        SplittableRandom r = new SplittableRandom(7L * n);
        float[] y = TanhReference.forward(RandomData.normal(r, n, 3.0)); // many near +-1: the cancelling case
        float[] dy = RandomData.normal(r, n, 1.0);
        try (Tensor ty = Tensor.of(dev, Shape.of(n), y); Tensor tdy = Tensor.of(dev, Shape.of(n), dy);
             Tensor tdx = Tensor.empty(dev, Shape.of(n))) {
            tdx.fill(Float.NaN);
            Tanh.backward(ty, tdy, tdx);
            Tolerance.assertClose("tanh_backward", tdx.toArray(), TanhReference.backward(y, dy), 0, BWD_RTOL);
        }
    }

    /** Saturation, signed zeros, tiny and huge inputs, infinities and NaN. */
    @ParameterizedTest(name = "[{0}] extreme inputs")
    @MethodSource("jgan.testing.TestDevices#all")
    void extremeInputs(Target target) {
        Device dev = target.device();
        float[] x = {0f, -0f, 1e-30f, -1e-30f, Float.MIN_VALUE, 1e-8f, -1e-4f, 0.5f, -0.549f, 1f, 8.9f, -9.01f, 10f, -20f, 88f,
            -100f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
        int n = x.length;
        float[] y = TanhReference.forward(x);
        float[] dy = new float[n];
        java.util.Arrays.fill(dy, 3f);
        try (Tensor tx = Tensor.of(dev, Shape.of(n), x); Tensor ty = Tensor.empty(dev, Shape.of(n));
             Tensor tdy = Tensor.of(dev, Shape.of(n), dy); Tensor tdx = Tensor.empty(dev, Shape.of(n))) {
            ty.fill(Float.NaN);
            tdx.fill(Float.NaN);
            Tanh.forward(tx, ty);
            Tolerance.assertClose("tanh_forward extremes", ty.toArray(), y, FWD_ATOL, FWD_RTOL);
            Tanh.backward(ty, tdy, tdx);
            float[] ydev = ty.toArray();
            Tolerance.assertClose("tanh_backward extremes", tdx.toArray(), TanhReference.backward(ydev, dy), 0, BWD_RTOL);
            for (int i = 0; i < n; i++) {
                if (Math.abs(x[i]) >= 10) { // saturated: exactly +-1, and then exactly no gradient
                    assertTrue(Math.abs(ydev[i]) == 1f, "tanh(" + x[i] + ") = " + ydev[i]);
                }
            }
        }
    }

    @ParameterizedTest(name = "[{0}] in place n={1}")
    @MethodSource("cases")
    void inPlaceForwardAndBackward(Target target, int n) {
        Device dev = target.device();
        SplittableRandom r = new SplittableRandom(11L * n);
        float[] x = RandomData.normal(r, n, 2.0);
        float[] dy = RandomData.normal(r, n, 1.0);
        try (Tensor t = Tensor.of(dev, Shape.of(n), x); Tensor g = Tensor.of(dev, Shape.of(n), dy)) {
            Tanh.forward(t, t);
            float[] y = t.toArray();
            Tolerance.assertClose("in-place forward", y, TanhReference.forward(x), FWD_ATOL, FWD_RTOL);
            Tanh.backward(t, g, g);
            Tolerance.assertClose("in-place backward", g.toArray(), TanhReference.backward(y, dy), 0, BWD_RTOL);
        }
    }

    /** Pointers that are not 16-byte aligned take the scalar path; it must agree too. */
    @ParameterizedTest(name = "[{0}] misaligned views")
    @MethodSource("jgan.testing.TestDevices#all")
    void misalignedViews(Target target) {
        Device dev = target.device();
        int n = 1001;
        SplittableRandom r = new SplittableRandom(5);
        float[] y = TanhReference.forward(RandomData.normal(r, n + 1, 2.0));
        float[] dy = RandomData.normal(r, n + 1, 1.0);
        try (Tensor ty = Tensor.of(dev, Shape.of(n + 1), y); Tensor tdy = Tensor.of(dev, Shape.of(n + 1), dy);
             Tensor tdx = Tensor.empty(dev, Shape.of(n + 1))) {
            tdx.fill(Float.NaN);
            dev.launch(Tanh.BACKWARD, LaunchConfig.cover(n, 128, 3),
                    new KernelArgs().ptr(ty.buffer(), 4).ptr(tdy.buffer(), 4).ptr(tdx.buffer(), 4).i32(n));
            float[] out = tdx.toArray();
            float[] ref = TanhReference.backward(y, dy);
            assertTrue(Float.isNaN(out[0]), "element before the view must stay untouched");
            Tolerance.assertClose("misaligned backward", java.util.Arrays.copyOfRange(out, 1, n + 1),
                    java.util.Arrays.copyOfRange(ref, 1, n + 1), 0, BWD_RTOL);
        }
    }

    @Test
    void badInputIsRefusedBeforeLaunch() {
        Device dev = TestDevices.host();
        try (Tensor a = Tensor.zeros(dev, Shape.of(10)); Tensor b = Tensor.zeros(dev, Shape.of(11))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tanh.forward(a, b));
            assertTrue(e.getMessage().contains("tanh_forward") && e.getMessage().contains("[10]")
                    && e.getMessage().contains("[11]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Tanh.backward(a, a, b));
            assertTrue(e.getMessage().contains("tanh_backward") && e.getMessage().contains("dx [11]"), e.getMessage());
        }
    }
}
