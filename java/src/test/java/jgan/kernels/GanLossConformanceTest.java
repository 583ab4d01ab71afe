package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.reference.GanLossReference;
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

/** kernels/gan_loss.cu against {@link GanLossReference} on every device. */
@Tag("host-runtime")
class GanLossConformanceTest {
    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        float[][] targets = {{-1f, 1f}, {1f, -1f}, {1f, 0f}}; // per kind: the two targets a GAN uses
        TestDevices.all().forEach(d -> {
            for (GanLoss.Kind kind : GanLoss.Kind.values()) {
                for (int n : new int[] {1, 7, 31, 1000, 100_003}) {
                    cases.add(Arguments.of(d, kind, n, targets[kind.code][n % 2]));
                }
            }
        });
        return cases.stream();
    }

    @ParameterizedTest(name = "[{0}] {1} n={2} target={3}")
    @MethodSource("cases")
    void matchesReference(Target target, GanLoss.Kind kind, int n, float t) {
        Device dev = target.device();
        float[] z = RandomData.normal(new SplittableRandom(n * 3L + kind.code), n, 2.0);
        for (Reduction red : new Reduction[] {Reduction.MEAN, Reduction.SUM.times(-0.5f)}) {
            double factor = red.mean() ? red.scale() / (double) n : red.scale();
            GanLossReference.Result ref = GanLossReference.lossAndGradient(z, kind.code, t, factor);
            try (Tensor tz = Tensor.of(dev, Shape.of(n), z); Tensor loss = Tensor.empty(dev, Shape.of(1));
                 Tensor grad = Tensor.empty(dev, Shape.of(n))) {
                loss.fill(Float.NaN);
                grad.fill(Float.NaN);
                GanLoss.lossAndGradient(tz, loss, grad, kind, t, red, false);
                double magnitude = 0;
                for (float v : z) {
                    magnitude += Math.abs(factor) * (1 + v * v);
                }
                Tolerance.assertClose(kind + " loss", loss.toArray()[0], ref.loss(), 1e-6 * magnitude, 0);
                Tolerance.assertClose(kind + " grad", grad.toArray(), ref.grad(), 0, 1e-6);
                // loss only, accumulated on top
                GanLoss.lossAndGradient(tz, loss, null, kind, t, red, true);
                Tolerance.assertClose(kind + " accumulated loss", loss.toArray()[0], 2 * ref.loss(), 2e-6 * magnitude, 0);
            }
        }
    }

    @Test
    void badInputIsRefused() {
        Device dev = TestDevices.host();
        try (Tensor z = Tensor.zeros(dev, Shape.of(5)); Tensor g = Tensor.zeros(dev, Shape.of(4));
             Tensor loss = Tensor.zeros(dev, Shape.of(1))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GanLoss.lossAndGradient(z, loss, g, GanLoss.Kind.HINGE, 1f, Reduction.MEAN, false));
            assertTrue(e.getMessage().contains("gan_loss_forward_backward") && e.getMessage().contains("[5]")
                    && e.getMessage().contains("[4]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> GanLoss.lossAndGradient(z, loss, null, GanLoss.Kind.LINEAR, Float.NaN, Reduction.MEAN, false));
            assertTrue(e.getMessage().contains("target"), e.getMessage());
        }
    }
}
