package jgan.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link R1Reference} against central finite differences in double: its input gradient against
 * the logit's differences in x, its value against the definition (gamma / 2B sum of squared input
 * gradients, those from differences), and its weight gradients against the differences of its
 * value in every weight. R1 is a polynomial in the weights while no pre-activation changes sign,
 * so the differences are exact up to rounding; every case asserts that no pre-activation lies
 * within reach of a step (no kink crossed), so a comparison is never skipped.
 */
class R1ReferenceTest {
    static final double H = 1e-6;

    /** A random MLP: widths {in, hidden..., 1}, weights ~ U(-1, 1) / sqrt(in), biases ~ U(-0.5, 0.5). */
    record Net(double[][] w, double[][] b, int[] widths, double[] slopes, double[] x, int batch) {
        static Net random(long seed, int[] widths, double slope, int batch) {
            SplittableRandom rng = new SplittableRandom(seed);
            int n = widths.length - 1;
            double[][] w = new double[n][], b = new double[n][];
            for (int l = 0; l < n; l++) {
                w[l] = new double[widths[l + 1] * widths[l]];
                for (int i = 0; i < w[l].length; i++) {
                    w[l][i] = (rng.nextDouble() * 2 - 1) / Math.sqrt(widths[l]);
                }
                b[l] = new double[widths[l + 1]];
                for (int i = 0; i < b[l].length; i++) {
                    b[l][i] = rng.nextDouble() - 0.5;
                }
            }
            double[] slopes = new double[n - 1];
            java.util.Arrays.fill(slopes, slope);
            double[] x = new double[batch * widths[0]];
            for (int i = 0; i < x.length; i++) {
                x[i] = rng.nextGaussian() * 2;
            }
            return new Net(w, b, widths, slopes, x, batch);
        }

        double value(double gamma) {
            return R1Reference.penalty(w, b, widths, slopes, x, batch, gamma).value();
        }
    }

    static int[] widths(String s) {
        return java.util.Arrays.stream(s.split(" ")).mapToInt(Integer::parseInt).toArray();
    }

    /** {widths, slope (0 = ReLU), batch}: odd sizes; input 2 (one point), 6 and 10 (packs of 3 and 5 points). */
    @ParameterizedTest(name = "widths {0}, slope {1}, batch {2}")
    @CsvSource({"2 5 1, 0, 3", "6 7 5 1, 0.2, 5", "2 3 1, 0.1, 1", "10 9 4 3 1, 0, 4", "6 1, 0, 3", "2 11 7 1, 0.3, 7"})
    void matchesFiniteDifferences(String ws, double slope, int batch) {
        int[] widths = widths(ws);
        double gamma = 1.7;
        Net n = Net.random(ws.hashCode() * 31L + batch, widths, slope, batch);
        // a step of H moves a pre-activation by at most H * (sum of |inputs| + 1) << the margin
        double margin = R1Reference.kinkMargin(n.w, n.b, widths, n.slopes, n.x, batch);
        assertTrue(margin > 1e-3, "a pre-activation sits at a kink: " + margin);
        R1Reference.Result r = R1Reference.penalty(n.w, n.b, widths, n.slopes, n.x, batch, gamma);

        // grad_x D from differences of the logits, and R1's value from them
        double sq = 0;
        for (int i = 0; i < n.x.length; i++) {
            double keep = n.x[i];
            n.x[i] = keep + H;
            double up = R1Reference.logits(n.w, n.b, widths, n.slopes, n.x, batch)[i / widths[0]];
            n.x[i] = keep - H;
            double down = R1Reference.logits(n.w, n.b, widths, n.slopes, n.x, batch)[i / widths[0]];
            n.x[i] = keep;
            double fd = (up - down) / (2 * H);
            assertEquals(fd, r.inputGrads()[i], 1e-7 * (1 + Math.abs(fd)), "grad_x D at " + i);
            sq += fd * fd;
        }
        assertEquals(gamma / (2.0 * batch) * sq, r.value(), 1e-7 * (1 + r.value()), "R1's value");

        // dR1/dW from differences of R1 in every weight; the biases: R1 does not depend on them
        for (int l = 0; l < n.w.length; l++) {
            for (int i = 0; i < n.w[l].length; i++) {
                double keep = n.w[l][i];
                n.w[l][i] = keep + H;
                double up = n.value(gamma);
                n.w[l][i] = keep - H;
                double down = n.value(gamma);
                n.w[l][i] = keep;
                double fd = (up - down) / (2 * H);
                assertEquals(fd, r.weightGrads()[l][i], 1e-6 * (1 + Math.abs(fd)), "dR1/dW_" + (l + 1) + "[" + i + "]");
            }
            for (int i = 0; i < n.b[l].length; i++) {
                double keep = n.b[l][i];
                n.b[l][i] = keep + H;
                double up = n.value(gamma);
                n.b[l][i] = keep - H;
                double down = n.value(gamma);
                n.b[l][i] = keep;
                assertEquals(0, (up - down) / (2 * H), 1e-6, "dR1/db_" + (l + 1) + "[" + i + "]");
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aSingleDenseLayerHasTheClosedForm() {
        // D(x) = w.x + b: grad_x D = w, R1 = gamma/2 |w|^2, dR1/dw = gamma w, whatever x
        double[][] w = {{0.5, -2, 3}};
        R1Reference.Result r = R1Reference.penalty(w, new double[][] {{0.25}}, new int[] {3, 1}, new double[0],
                new double[] {1, 2, 3, -4, 5, 6}, 2, 4.0);
        assertEquals(4.0 / 2 * (0.25 + 4 + 9), r.value(), 1e-12);
        for (int i = 0; i < 3; i++) {
            assertEquals(4.0 * w[0][i], r.weightGrads()[0][i], 1e-12);
            assertEquals(w[0][i], r.inputGrads()[3 + i], 1e-12);
        }
    }

    @org.junit.jupiter.api.Test
    void refusesArraysThatAreNotOneMlp() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> R1Reference.penalty(new double[][] {{1, 2}},
                new double[][] {{0}}, new int[] {2, 2}, new double[0], new double[2], 1, 1));
        assertTrue(e.getMessage().contains("must be 1"), e.getMessage());
    }
}
