package jgan.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.kernels.Activation;
import jgan.kernels.MathMode;
import jgan.reference.R1Reference;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.TestDevices;
import jgan.testing.TestDevices.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link R1Penalty} on the devices against {@link R1Reference} (itself checked by finite
 * differences in R1ReferenceTest): the mlp model's D at small odd sizes, ReLU and leaky ReLU,
 * unpacked and packed rows; R1's weight gradients are ADDED to what D's gradients held, the
 * biases' gradients stay as they were, and R1's value matches.
 */
@Tag("host-runtime")
class R1PenaltyTest {
    /** {depth_d, width, pack, batch (D's rows)}, with relu and leaky 0.2 each. */
    static final int[][] SHAPES = {{1, 5, 1, 7}, {2, 7, 3, 5}, {3, 9, 2, 13}, {0, 1, 4, 3}};

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        TestDevices.all().forEach(t -> {
            for (int[] s : SHAPES) {
                cases.add(Arguments.of(t, s[0], s[1], s[2], s[3], Activation.RELU));
                cases.add(Arguments.of(t, s[0], s[1], s[2], s[3], Activation.LEAKY_RELU));
            }
        });
        return cases.stream();
    }

    static double[] doubles(float[] a, long from, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = a[(int) from + i];
        }
        return d;
    }

    @ParameterizedTest(name = "[{0}] depth_d {1}, width {2}, pack {3}, {4} rows, {5}")
    @MethodSource("cases")
    void addsTheReferenceGradient(Target target, int depth, int width, int pack, int rows, Activation act) {
        Device dev = target.device();
        float gamma = 2.5f;
        ModelSpec spec = ModelSpec.mlp(4, width, 1, depth, act, 0.2f);
        try (Sequential d = spec.discriminator(dev, MathMode.FP32, pack); Sequential.Pass p = d.pass(rows);
             R1Penalty r1 = new R1Penalty(d, rows, gamma)) {
            d.initialize(Init.PYTORCH, 11 + depth);
            SplittableRandom rng = new SplittableRandom(depth * 100 + pack);
            float[] before = RandomData.uniform(rng, d.parameterCount(), -1, 1);
            d.gradients().copyFrom(before);
            float[] params = d.parameters().toArray();
            int n = d.layers().size();
            double[][] w = new double[n][], b = new double[n][];
            int[] widths = new int[n + 1];
            double[] slopes = new double[n - 1];
            for (int l = 0; l < n; l++) {
                DenseLayer dl = (DenseLayer) d.layers().get(l);
                int in = dl.inShape().dim(0), out = dl.outShape().dim(0);
                widths[l] = in;
                widths[l + 1] = out;
                w[l] = doubles(params, d.parameterOffset(l), out * in);
                b[l] = doubles(params, d.parameterOffset(l) + (long) out * in, out);
                if (l < n - 1) {
                    slopes[l] = dl.slope();
                }
            }
            // inputs whose pre-activations are all clear of the kink at 0 (float and double must agree on every mask)
            float[] x = null;
            double[] xd = null;
            for (int tries = 0; tries < 20 && x == null; tries++) {
                float[] cand = RandomData.normal(rng, rows * 2 * pack, 2);
                double[] cd = doubles(cand, 0, cand.length);
                if (R1Reference.kinkMargin(w, b, widths, slopes, cd, rows) > 1e-4) {
                    x = cand;
                    xd = cd;
                }
            }
            assertTrue(x != null, "no input clear of the kinks in 20 draws");
            try (Tensor xt = Tensor.of(dev, Shape.of(rows, 2 * pack), x)) {
                p.forward(xt, true);
                r1.accumulate(p);
                float[] grads = d.gradients().toArray();
                R1Reference.Result ref = R1Reference.penalty(w, b, widths, slopes, xd, rows, gamma);
                for (int l = 0; l < n; l++) {
                    int in = widths[l], out = widths[l + 1];
                    long off = d.parameterOffset(l);
                    double scale = 0;
                    for (double v : ref.weightGrads()[l]) {
                        scale = Math.max(scale, Math.abs(v));
                    }
                    for (int i = 0; i < out * in; i++) {
                        double want = before[(int) off + i] + ref.weightGrads()[l][i];
                        assertEquals(want, grads[(int) off + i], 2e-5 * (1 + scale), "dW_" + (l + 1) + "[" + i + "]");
                    }
                    for (int i = 0; i < out; i++) {
                        int k = (int) off + out * in + i;
                        assertEquals(before[k], grads[k], 0f, "db_" + (l + 1) + "[" + i + "] has no R1 term");
                    }
                }
                assertEquals(ref.value(), r1.value(), 1e-5 * (1 + ref.value()), "R1's value");
                float[] g0 = r1.scaledInputGradient().toArray();
                double s = Math.sqrt((double) gamma / rows);
                for (int i = 0; i < g0.length; i++) {
                    assertEquals(s * ref.inputGrads()[i], g0[i], 1e-5 * (1 + Math.abs(s * ref.inputGrads()[i])), "s grad_x D at " + i);
                }
            }
        }
    }

    @Test
    void refusesADiscriminatorOutsideItsScope() {
        Device dev = TestDevices.open("cpu");
        try (Sequential tanh = ModelSpec.mlp(4, 5, 1, 2, Activation.TANH, 0f).discriminator(dev, MathMode.FP32);
             Sequential conv = ModelSpec.mlpConv(8, 1, 4, 8, 4, 1, 1, 0.2f).discriminator(dev, MathMode.FP32);
             Sequential relu = ModelSpec.mlp(4, 5, 1, 2, Activation.RELU, 0f).discriminator(dev, MathMode.FP32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new R1Penalty(tanh, 4, 1f));
            assertTrue(e.getMessage().startsWith("r1: ") && e.getMessage().contains("activation tanh")
                    && e.getMessage().contains("second derivative"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new R1Penalty(conv, 4, 1f));
            assertTrue(e.getMessage().contains("not a dense layer"), e.getMessage());
            assertNull(R1Penalty.refusal(relu));
            e = assertThrows(IllegalArgumentException.class, () -> new R1Penalty(relu, 4, 0f));
            assertTrue(e.getMessage().contains("gamma must be a finite number > 0"), e.getMessage());
            try (R1Penalty r1 = new R1Penalty(relu, 4, 1f); Sequential.Pass p = relu.pass(5)) {
                e = assertThrows(IllegalArgumentException.class, () -> r1.accumulate(p));
                assertTrue(e.getMessage().contains("batch 5"), e.getMessage());
            }
        }
    }
}
