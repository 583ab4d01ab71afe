package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.reference.LeakyReluReference;
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

/** kernels/leaky_relu.cu against {@link LeakyReluReference} on every device. */
@Tag("host-runtime")
class LeakyReluConformanceTest {
    static final int[] SIZES = {1, 7, 31, 4096, 65537, 1_000_003};
    static final float[] SLOPES = {0.2f, 0.01f, 0f};

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> java.util.Arrays.stream(SIZES).boxed()
                .flatMap(n -> Stream.of(Arguments.of(d, n, SLOPES[n % SLOPES.length]))));
    }

    @ParameterizedTest(name = "[{0}] forward n={1} slope={2}")
    @MethodSource("cases")
    void forwardMatchesReference(Target target, int n, float slope) {
        Device dev = target.device();
        float[] x = RandomData.normal(new SplittableRandom(n), n, 2.0);
        try (Tensor tx = Tensor.of(dev, Shape.of(n), x); Tensor ty = Tensor.empty(dev, Shape.of(n))) {
            ty.fill(Float.NaN); // an element the kernel fails to write stays NaN and fails
            LeakyRelu.forward(tx, ty, slope);
            Tolerance.assertClose("leaky_relu_forward", ty.toArray(), LeakyReluReference.forward(x, slope), 0, 0);
            // the input is untouched
            Tolerance.assertClose("leaky_relu_forward input", tx.toArray(), x, 0, 0);
        }
    }

    @ParameterizedTest(name = "[{0}] backward n={1} slope={2}")
    @MethodSource("cases")
    void backwardMatchesReference(Target target, int n, float slope) {
        Device dev = target.device();
        SplittableRandom r = new SplittableRandom(7L * n);
        float[] y = LeakyReluReference.forward(RandomData.normal(r, n, 1.0), slope);
        float[] dy = RandomData.normal(r, n, 1.0);
        try (Tensor ty = Tensor.of(dev, Shape.of(n), y); Tensor tdy = Tensor.of(dev, Shape.of(n), dy);
             Tensor tdx = Tensor.empty(dev, Shape.of(n))) {
            tdx.fill(Float.NaN);
            LeakyRelu.backward(ty, tdy, tdx, slope);
            Tolerance.assertClose("leaky_relu_backward", tdx.toArray(), LeakyReluReference.backward(y, dy, slope), 0, 0);
        }
    }

    @ParameterizedTest(name = "[{0}] in place n={1}")
    @MethodSource("cases")
    void inPlaceForwardAndBackward(Target target, int n, float slope) {
        Device dev = target.device();
        SplittableRandom r = new SplittableRandom(11L * n);
        float[] x = RandomData.normal(r, n, 1.0);
        float[] dy = RandomData.normal(r, n, 1.0);
        try (Tensor t = Tensor.of(dev, Shape.of(n), x); Tensor g = Tensor.of(dev, Shape.of(n), dy)) {
            LeakyRelu.forward(t, t, slope);
            float[] y = LeakyReluReference.forward(x, slope);
            Tolerance.assertClose("in-place forward", t.toArray(), y, 0, 0);
            LeakyRelu.backward(t, g, g, slope);
            Tolerance.assertClose("in-place backward", g.toArray(), LeakyReluReference.backward(y, dy, slope), 0, 0);
        }
    }

    /** Pointers that are not 16-byte aligned take the scalar path; it must agree too. */
    @ParameterizedTest(name = "[{0}] misaligned views")
    @MethodSource("jgan.testing.TestDevices#all")
    void misalignedViews(Target target) {
        Device dev = target.device();
        int n = 1001;
        float[] x = RandomData.normal(new SplittableRandom(5), n + 1, 1.0);
        try (Tensor tx = Tensor.of(dev, Shape.of(n + 1), x); Tensor ty = Tensor.empty(dev, Shape.of(n + 1))) {
            ty.fill(Float.NaN);
            // x + 1 and y + 1 element: 4-byte aligned only
            dev.launch(LeakyRelu.FORWARD, LaunchConfig.cover(n, 128, 3),
                    new KernelArgs().ptr(tx.buffer(), 4).ptr(ty.buffer(), 4).i32(n).f32(0.1f));
            float[] out = ty.toArray();
            float[] ref = LeakyReluReference.forward(x, 0.1f);
            assertTrue(Float.isNaN(out[0]), "element before the view must stay untouched");
            Tolerance.assertClose("misaligned forward", java.util.Arrays.copyOfRange(out, 1, n + 1),
                    java.util.Arrays.copyOfRange(ref, 1, n + 1), 0, 0);
        }
    }

    @Test
    void badInputIsRefusedBeforeLaunch() {
        Device dev = TestDevices.host();
        try (Tensor a = Tensor.zeros(dev, Shape.of(10)); Tensor b = Tensor.zeros(dev, Shape.of(11))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LeakyRelu.forward(a, b, 0.2f));
            assertTrue(e.getMessage().contains("leaky_relu_forward") && e.getMessage().contains("[10]")
                    && e.getMessage().contains("[11]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> LeakyRelu.forward(a, a, -0.5f));
            assertTrue(e.getMessage().contains("slope"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> LeakyRelu.backward(a, a, a, Float.NaN));
            assertTrue(e.getMessage().contains("finite"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Shape.of(0));
        assertThrows(IllegalArgumentException.class, () -> Shape.of(3, -1));
    }
}
