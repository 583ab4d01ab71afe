package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.device.Graph;
import jgan.reference.SigmoidCrossEntropyReference;
import jgan.reference.SigmoidCrossEntropyReference.Result;
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

/** kernels/sigmoid_cross_entropy.cu against {@link SigmoidCrossEntropyReference} on every device. */
@Tag("host-runtime")
class SigmoidCrossEntropyConformanceTest {
    static final int[] SIZES = {1, 7, 31, 257, 4099, 1_000_003};

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> java.util.Arrays.stream(SIZES).boxed()
                .flatMap(n -> Stream.of(Arguments.of(d, n, false), Arguments.of(d, n, true))));
    }

    /** Loss within 1e-5 relative (float sums on the device), gradient within 1e-5 relative. */
    static void check(Device dev, float[] z, float[] t, float[] w, Reduction red) {
        int n = z.length;
        double factor = red.mean() ? red.scale() / (double) n : red.scale();
        Result ref = SigmoidCrossEntropyReference.lossAndGradient(z, t, w, factor);
        try (Tensor tz = Tensor.of(dev, Shape.of(n), z); Tensor tt = Tensor.of(dev, Shape.of(n), t);
             Tensor tw = w == null ? null : Tensor.of(dev, Shape.of(n), w);
             Tensor loss = Tensor.empty(dev, Shape.of(1)); Tensor grad = Tensor.empty(dev, Shape.of(n))) {
            loss.fill(Float.NaN);
            grad.fill(Float.NaN);
            SigmoidCrossEntropy.lossAndGradient(tz, tt, tw, loss, grad, red, false);
            Tolerance.assertClose("loss", loss.toArray()[0], ref.loss(), 1e-7 * Math.abs(factor), 1e-5);
            Tolerance.assertClose("grad", grad.toArray(), ref.grad(), 3e-7 * Math.abs(factor), 1e-5);
        }
    }

    @ParameterizedTest(name = "[{0}] n={1} weighted={2}")
    @MethodSource("cases")
    void randomInputsMatchReference(Target target, int n, boolean weighted) {
        SplittableRandom r = new SplittableRandom(31L * n + (weighted ? 1 : 0));
        float[] z = RandomData.normal(r, n, 4.0);
        float[] t = RandomData.uniform(r, n, 0, 1); // soft labels anywhere in [0, 1]
        float[] w = weighted ? RandomData.uniform(r, n, 0, 2) : null;
        check(target.device(), z, t, w, Reduction.MEAN);
        check(target.device(), z, t, w, Reduction.SUM.times(-0.5f));
    }

    /** |logit| up to 1e4: no NaN, no Inf, and the exact limits. */
    @ParameterizedTest(name = "[{0}] extreme logits")
    @MethodSource("jgan.testing.TestDevices#all")
    void extremeLogitsAreStable(Target target) {
        Device dev = target.device();
        float[] z = {1e4f, -1e4f, 1e4f, -1e4f, 100f, -100f, 88.8f, -88.8f, 20f, -20f, 0f, 1e-8f, -1e-30f, 1e4f};
        float[] t = {1f, 0f, 0f, 1f, 1f, 1f, 0.5f, 0.5f, 0.9f, 0.1f, 0.5f, 1f, 0f, 0.25f};
        check(dev, z, t, null, Reduction.SUM);
        int n = z.length;
        try (Tensor tz = Tensor.of(dev, Shape.of(n), z); Tensor tt = Tensor.of(dev, Shape.of(n), t);
             Tensor loss = Tensor.empty(dev, Shape.of(1)); Tensor grad = Tensor.empty(dev, Shape.of(n))) {
            SigmoidCrossEntropy.lossAndGradient(tz, tt, null, loss, grad, Reduction.SUM, false);
            float[] g = grad.toArray();
            for (float v : g) {
                assertTrue(Float.isFinite(v), "gradient must be finite: " + java.util.Arrays.toString(g));
            }
            // Limits: confident and right -> 0; confident and wrong -> |z| and a gradient of exactly +-1.
            assertEquals(0f, g[0], 0f);
            assertEquals(1f, g[2], 0f);
            assertEquals(-1f, g[3], 0f);
            float l = loss.toArray()[0];
            assertTrue(Float.isFinite(l), "loss " + l);
        }
    }

    /**
     * A confident right answer keeps its small gradient (issue 7 item 13): for (z, 1) the gradient
     * is s(z) - 1 = -e/(1 + e) with e = exp(-z), and for the mirror (-z, 0) it is +e/(1 + e); for z
     * up to 80 both are normal floats (exp(-80) = 1.8e-35) and must not round to 0. The expected
     * value is the closed form in double, not the reference (whose double s(z) rounds to 1 past z = 37).
     */
    @ParameterizedTest(name = "[{0}] small gradients of confident logits, both mirrors")
    @MethodSource("jgan.testing.TestDevices#all")
    void confidentLogitsKeepTheirSmallGradient(Target target) {
        Device dev = target.device();
        float[] zs = {1f, 5f, 10f, 16f, 17f, 20f, 25f, 30f, 40f, 50f, 60f, 70f, 80f};
        int n = 2 * zs.length;
        float[] z = new float[n], t = new float[n];
        for (int i = 0; i < zs.length; i++) {
            z[2 * i] = zs[i];
            t[2 * i] = 1f;
            z[2 * i + 1] = -zs[i];
            t[2 * i + 1] = 0f;
        }
        try (Tensor tz = Tensor.of(dev, Shape.of(n), z); Tensor tt = Tensor.of(dev, Shape.of(n), t);
             Tensor loss = Tensor.empty(dev, Shape.of(1)); Tensor grad = Tensor.empty(dev, Shape.of(n))) {
            SigmoidCrossEntropy.lossAndGradient(tz, tt, null, loss, grad, Reduction.SUM, false);
            float[] g = grad.toArray();
            for (int i = 0; i < zs.length; i++) {
                double e = Math.exp(-(double) zs[i]);
                double want = e / (1 + e);
                String at = "z = " + zs[i] + " (" + dev.name() + ")";
                assertEquals(-want, g[2 * i], 1e-5 * want, "gradient at (" + at + ", t = 1)");
                assertEquals(want, g[2 * i + 1], 1e-5 * want, "gradient at (-" + at + ", t = 0)");
            }
        }
    }

    /** Loss only (no gradient buffer), accumulation, and graph replay (the counter resets itself). */
    @ParameterizedTest(name = "[{0}] accumulate through a replayed graph")
    @MethodSource("jgan.testing.TestDevices#all")
    void accumulatesAcrossGraphReplays(Target target) {
        Device dev = target.device();
        int n = 3000;
        SplittableRandom r = new SplittableRandom(3);
        float[] z = RandomData.normal(r, n, 2.0);
        float[] t = RandomData.uniform(r, n, 0, 1);
        double ref = SigmoidCrossEntropyReference.lossAndGradient(z, t, null, 1.0 / n).loss();
        try (Tensor tz = Tensor.of(dev, Shape.of(n), z); Tensor tt = Tensor.of(dev, Shape.of(n), t);
             Tensor loss = Tensor.zeros(dev, Shape.of(1))) {
            SigmoidCrossEntropy.lossAndGradient(tz, tt, null, loss, null, Reduction.MEAN, true); // creates the workspace
            dev.beginCapture();
            SigmoidCrossEntropy.lossAndGradient(tz, tt, null, loss, null, Reduction.MEAN, true);
            try (Graph g = dev.endCapture()) {
                assertEquals(1, g.size());
                for (int i = 0; i < 4; i++) {
                    g.replay();
                }
            }
            Tolerance.assertClose("5 accumulated losses", loss.toArray()[0], 5 * ref, 1e-7, 1e-5);
        }
    }

    @Test
    void badInputIsRefusedBeforeLaunch() {
        Device dev = TestDevices.host();
        try (Tensor z = Tensor.zeros(dev, Shape.of(8)); Tensor t = Tensor.zeros(dev, Shape.of(9));
             Tensor loss = Tensor.zeros(dev, Shape.of(2))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SigmoidCrossEntropy.lossAndGradient(z, t, null, loss, null, Reduction.MEAN, false));
            assertTrue(e.getMessage().contains("logits [8]") && e.getMessage().contains("targets [9]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> SigmoidCrossEntropy.lossAndGradient(z, z, null, loss, null, Reduction.MEAN, false));
            assertTrue(e.getMessage().contains("loss must have one element"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Reduction.MEAN.times(Float.POSITIVE_INFINITY));
        }
    }
}
