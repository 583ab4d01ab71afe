package jgan.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * {@link BatchNormReference}'s backward against central finite differences of its training
 * forward, in double: for L = sum(w * y(x, gamma, beta)), the analytic dx, dgamma, dbeta from
 * backward(dy = w) must match (L(p + h) - L(p - h)) / 2h for every input and parameter. The
 * statistics depend on x, so this checks the mean and variance terms of dx as well.
 */
class BatchNormReferenceTest {
    static double[] normal(SplittableRandom r, int n, double mean, double std) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = mean + std * r.nextGaussian();
        }
        return v;
    }

    static double loss(double[] x, int rows, int channels, double[] gamma, double[] beta, double eps, int act, double slope,
                       double[] w) {
        double[] y = BatchNormReference.forwardTrain(x, rows, channels, gamma, beta, eps, act, slope);
        double l = 0;
        for (int i = 0; i < y.length; i++) {
            l += w[i] * y[i];
        }
        return l;
    }

    @ParameterizedTest(name = "rows {0}, C {1}, act {2}")
    @CsvSource({"2, 1, 0", "5, 3, 3", "7, 2, 2", "9, 4, 1", "3, 5, 0", "6, 1, 3"})
    void backwardMatchesFiniteDifferences(int rows, int channels, int act) {
        SplittableRandom r = new SplittableRandom(rows * 100 + channels * 10 + act);
        double eps = 1e-5, slope = 0.2, h = 1e-6;
        double[] x = normal(r, rows * channels, 0.5, 1.5), gamma = normal(r, channels, 1, 0.5), beta = normal(r, channels, 0, 0.5);
        double[] w = normal(r, rows * channels, 0, 1);
        double[] mean = BatchNormReference.mean(x, rows, channels);
        double[] var = BatchNormReference.biasedVariance(x, rows, channels, mean);
        double[] invstd = new double[channels];
        for (int c = 0; c < channels; c++) {
            invstd[c] = 1 / Math.sqrt(var[c] + eps);
        }
        double[] y = BatchNormReference.forwardTrain(x, rows, channels, gamma, beta, eps, act, slope);
        double[][] g = BatchNormReference.backward(w, y, x, rows, channels, gamma, mean, invstd, act, slope);
        double[][] params = {x, gamma, beta};
        String[] names = {"dx", "dgamma", "dbeta"};
        for (int k = 0; k < 3; k++) {
            double[] p = params[k];
            for (int i = 0; i < p.length; i++) {
                double keep = p[i];
                p[i] = keep + h;
                double up = loss(x, rows, channels, gamma, beta, eps, act, slope, w);
                p[i] = keep - h;
                double down = loss(x, rows, channels, gamma, beta, eps, act, slope, w);
                p[i] = keep;
                double numeric = (up - down) / (2 * h);
                assertEquals(numeric, g[k][i], 1e-6 + 1e-6 * Math.abs(numeric), names[k] + "[" + i + "]");
            }
        }
    }

    /** With gamma = 1 and beta = 0 the training output has mean 0 and biased variance var/(var + eps) per channel. */
    @Test
    void trainingOutputIsNormalised() {
        SplittableRandom r = new SplittableRandom(3);
        int rows = 50, channels = 3;
        double[] x = normal(r, rows * channels, 7, 3);
        double[] ones = {1, 1, 1}, zeros = {0, 0, 0};
        double[] y = BatchNormReference.forwardTrain(x, rows, channels, ones, zeros, 1e-5, 0, 0);
        double[] m = BatchNormReference.mean(y, rows, channels);
        double[] v = BatchNormReference.biasedVariance(y, rows, channels, m);
        double[] vx = BatchNormReference.biasedVariance(x, rows, channels, BatchNormReference.mean(x, rows, channels));
        for (int c = 0; c < channels; c++) {
            assertEquals(0, m[c], 1e-12);
            assertEquals(vx[c] / (vx[c] + 1e-5), v[c], 1e-12);
            assertTrue(vx[c] > 1, "the input was not already normalised");
        }
    }
}
