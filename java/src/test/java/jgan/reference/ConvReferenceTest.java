package jgan.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import jgan.kernels.ConvProblem;
import org.junit.jupiter.api.Test;

/**
 * ConvReference's backward ops checked by central finite differences in double: for the loss
 * L = sum(g * act(conv(x, w) + b)) the gradients dgrad/wgrad/bias must be dL/dx, dL/dw, dL/db;
 * likewise for the transposed convolution written from its own scatter definition. Also the
 * forward against a hand-computed case.
 */
class ConvReferenceTest {
    static final double EPS = 1e-6;

    static double[] normal(SplittableRandom r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian() * 0.7;
        }
        return v;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    interface Loss {
        double at(double[] x, double[] w, double[] b);
    }

    /** Central differences of L in every element of v (which the loss reads), against the analytic gradient. */
    static void checkGradient(String what, Loss loss, double[] x, double[] w, double[] b, double[] v, double[] analytic) {
        assertEquals(v.length, analytic.length, what);
        double worst = 0;
        for (int i = 0; i < v.length; i++) {
            double keep = v[i];
            v[i] = keep + EPS;
            double up = loss.at(x, w, b);
            v[i] = keep - EPS;
            double down = loss.at(x, w, b);
            v[i] = keep;
            double fd = (up - down) / (2 * EPS);
            double err = Math.abs(fd - analytic[i]);
            worst = Math.max(worst, err);
            assertTrue(err <= 1e-6 + 1e-6 * Math.abs(fd), what + "[" + i + "]: finite difference " + fd + ", analytic " + analytic[i]);
        }
        assertTrue(worst < 1e-5, what);
    }

    static final ConvProblem[] PROBLEMS = {
        // stride 2, asymmetric padding, dilation 2 in one direction
        new ConvProblem(2, 6, 7, 3, 2, 3, 2, 1, 0, 2, 1, 2, 1, 1, 2),
        // stride 3 with a 4x4 filter (phases with different tap counts), padding 2
        ConvProblem.of(1, 8, 8, 2, 3, 4, 3, 2, 1),
        // 'same' k5 s2 on an even size (the write-up's discriminator)
        ConvProblem.same(1, 8, 8, 2, 2, 5, 2, 1),
    };

    @Test
    void convBackwardMatchesFiniteDifferences() {
        int[] acts = {2, 3, 0};
        for (int t = 0; t < PROBLEMS.length; t++) {
            ConvProblem pr = PROBLEMS[t];
            int act = acts[t];
            double slope = 0.2;
            SplittableRandom r = new SplittableRandom(11 + t);
            double[] x = normal(r, (int) pr.inputShape().numel()), w = normal(r, (int) pr.filterShape().numel());
            double[] b = normal(r, pr.k()), g = normal(r, (int) pr.outputShape().numel());
            Loss loss = (xx, ww, bb) -> dot(g, ConvReference.biasActD(ConvReference.convD(pr, xx, ww), bb, pr.k(), act, slope));
            double[] y = ConvReference.biasActD(ConvReference.convD(pr, x, w), b, pr.k(), act, slope);
            double[] dz = ConvReference.preActGradD(g, y, act, slope);
            checkGradient(pr + " dx", loss, x, w, b, x, ConvReference.dgradD(pr, dz, w));
            checkGradient(pr + " dw", loss, x, w, b, w, ConvReference.wgradD(pr, dz, x));
            checkGradient(pr + " db", loss, x, w, b, b, ConvReference.channelSumsD(dz, pr.k()));
        }
    }

    @Test
    void transposedBackwardMatchesFiniteDifferences() {
        ConvProblem[] trs = {
            ConvProblem.transposed(2, 3, 4, 3, 2, 4, 2, 1, 0, 1), // DCGAN's k4 s2 p1
            ConvProblem.transposed(1, 3, 3, 2, 3, 3, 2, 1, 1, 1), // output_padding 1
            ConvProblem.transposed(1, 2, 3, 2, 2, 3, 3, 0, 2, 2), // stride 3, dilation 2, output_padding 2
        };
        int[] acts = {3, 1, 2};
        for (int t = 0; t < trs.length; t++) {
            ConvProblem pr = trs[t];
            int act = acts[t];
            double slope = 0.1;
            SplittableRandom r = new SplittableRandom(5 + t);
            double[] xt = normal(r, (int) pr.outputShape().numel()), w = normal(r, (int) pr.filterShape().numel());
            double[] b = normal(r, pr.c()), g = normal(r, (int) pr.inputShape().numel());
            Loss loss = (xx, ww, bb) -> dot(g, ConvReference.biasActD(ConvReference.transposedD(pr, xx, ww), bb, pr.c(), act, slope));
            double[] y = ConvReference.biasActD(ConvReference.transposedD(pr, xt, w), b, pr.c(), act, slope);
            double[] dz = ConvReference.preActGradD(g, y, act, slope);
            // backward data = conv of dz; backward weight = wgrad with the roles swapped
            checkGradient(pr + " transposed dx", loss, xt, w, b, xt, ConvReference.convD(pr, dz, w));
            checkGradient(pr + " transposed dw", loss, xt, w, b, w, ConvReference.wgradD(pr, xt, dz));
            checkGradient(pr + " transposed db", loss, xt, w, b, b, ConvReference.channelSumsD(dz, pr.c()));
            // and the transposed forward is dgrad's adjoint: the same numbers from either definition
            double[] viaDgrad = ConvReference.dgradD(pr, xt, w), direct = ConvReference.transposedD(pr, xt, w);
            for (int i = 0; i < direct.length; i++) {
                assertEquals(direct[i], viaDgrad[i], 1e-12);
            }
        }
    }

    @Test
    void forwardByHand() {
        // 1x3x3x1 input 1..9, one 2x2 filter of ones, stride 1, padding 1 bottom/right only: 3x3 output of 2x2 window sums.
        ConvProblem pr = new ConvProblem(1, 3, 3, 1, 1, 2, 2, 0, 1, 0, 1, 1, 1, 1, 1);
        double[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w = {1, 1, 1, 1};
        double[] y = ConvReference.convD(pr, x, w);
        double[] expect = {12, 16, 9, 24, 28, 15, 15, 17, 9};
        for (int i = 0; i < 9; i++) {
            assertEquals(expect[i], y[i], 0, "y[" + i + "]");
        }
    }
}
