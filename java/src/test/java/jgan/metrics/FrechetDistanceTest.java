package jgan.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import jgan.metrics.FrechetDistance.Gaussian;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

/** {@link FrechetDistance} against closed forms: itself, shifts, scalings, diagonal and 2 x 2 covariances. */
class FrechetDistanceTest {
    /**
     * n correlated Gaussian vectors of dimension d, [n, d] row-major: x = mean + z A with z
     * standard normal and a random mixing matrix A (so the covariance is not diagonal).
     */
    static float[] correlatedGaussian(SplittableRandom r, int n, int d) {
        double[] a = new double[d * d];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextGaussian();
        }
        double[] mean = new double[d];
        for (int j = 0; j < d; j++) {
            mean[j] = 3 * r.nextGaussian();
        }
        float[] x = new float[n * d];
        double[] z = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                z[j] = r.nextGaussian();
            }
            for (int j = 0; j < d; j++) {
                double v = mean[j];
                for (int t = 0; t < d; t++) {
                    v += z[t] * a[t * d + j];
                }
                x[i * d + j] = (float) v;
            }
        }
        return x;
    }

    static double trace(Gaussian g) {
        double t = 0;
        for (int j = 0; j < g.dimension(); j++) {
            t += g.covariance()[j * g.dimension() + j];
        }
        return t;
    }

    @Test
    void aSetAgainstItselfIsZero() {
        int n = 2000, d = 16;
        float[] x = correlatedGaussian(new SplittableRandom(1), n, d);
        Gaussian g = Gaussian.fit(x, n, d);
        FrechetDistance.Terms t = FrechetDistance.terms(g, g);
        assertEquals(0, t.meanTerm(), 0);
        assertEquals(0, t.distance(), 1e-9 * trace(g), "FD(x, x), trace of the covariance " + trace(g));
        assertEquals(0, FrechetDistance.distance(x, n, x, n, d), 1e-9 * trace(g));
    }

    @Test
    void aShiftedCopyIsTheSquaredShift() {
        int n = 2000, d = 16;
        float[] x = correlatedGaussian(new SplittableRandom(2), n, d);
        double[] v = new double[d];
        double v2 = 0;
        for (int j = 0; j < d; j++) {
            v[j] = 0.25 * (j % 5) - 0.5;
            v2 += v[j] * v[j];
        }
        float[] y = x.clone();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                y[i * d + j] += (float) v[j];
            }
        }
        Gaussian gx = Gaussian.fit(x, n, d), gy = Gaussian.fit(y, n, d);
        // y's covariance equals x's up to the float rounding of x + v: the trace term is ~0.
        FrechetDistance.Terms t = FrechetDistance.terms(gx, gy);
        assertEquals(v2, t.meanTerm(), 1e-5 * v2);
        assertEquals(0, t.traceTerm(), 1e-5 * trace(gx));
        assertEquals(v2, t.distance(), 1e-4 * v2, "FD(x, x + v) = |v|^2 = " + v2);
    }

    /**
     * y = c x: mean c mu, covariance c^2 S, so FD = (1 - c)^2 (|mu|^2 + tr S). Also with fewer
     * samples than dimensions: the zero eigenvalues of the singular covariance come out as rounding
     * noise of ~1e-16 of the largest, whose square roots add ~1e-8 relative each (as in any matrix
     * square root of a singular matrix), hence the looser tolerance there.
     */
    @Test
    void aScaledCopyMatchesTheClosedForm() {
        for (int[] nd : new int[][] {{500, 12}, {6, 20}}) {
            int n = nd[0], d = nd[1];
            float[] x = correlatedGaussian(new SplittableRandom(3), n, d);
            float[] y = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = 2 * x[i]; // exact in float
            }
            Gaussian g = Gaussian.fit(x, n, d);
            double mu2 = 0;
            for (double m : g.mean()) {
                mu2 += m * m;
            }
            double want = mu2 + trace(g); // (1 - 2)^2 = 1
            double got = FrechetDistance.distance(x, n, y, n, d);
            double tol = (n > d ? 1e-9 : 1e-6) * want;
            assertEquals(want, got, tol, "FD(x, 2x) for n = " + n + ", d = " + d);
            assertEquals(got, FrechetDistance.distance(y, n, x, n, d), tol, "symmetric");
            assertEquals(0, FrechetDistance.distance(x, n, x, n, d), tol, "against itself, n = " + n + ", d = " + d);
        }
    }

    /** Diagonal covariances: FD = |mu1 - mu2|^2 + sum_j (sqrt(a_j) - sqrt(b_j))^2, including zero variances. */
    @Test
    void diagonalCovariancesMatchTheClosedForm() {
        int d = 6;
        double[] a = {1, 4, 0.25, 9, 0, 2};
        double[] b = {4, 4, 1, 0.01, 3, 0};
        double[] m1 = {0, 1, 2, 3, 4, 5};
        double[] m2 = {1, 1, 0, 3, 4, 7};
        double want = 0;
        for (int j = 0; j < d; j++) {
            want += (m1[j] - m2[j]) * (m1[j] - m2[j]) + Math.pow(Math.sqrt(a[j]) - Math.sqrt(b[j]), 2);
        }
        double got = FrechetDistance.distance(new Gaussian(m1, diag(a), d, 100), new Gaussian(m2, diag(b), d, 100));
        assertEquals(want, got, 1e-12 * want);
        // The same pair in a rotated basis (S = Q diag Q^T, means rotated): the distance is invariant.
        DMatrixRMaj q = rotation(d, new SplittableRandom(5));
        double got2 = FrechetDistance.distance(new Gaussian(rotate(q, m1), rotate(q, diag(a), d), d, 100),
                new Gaussian(rotate(q, m2), rotate(q, diag(b), d), d, 100));
        assertEquals(want, got2, 1e-10 * want);
    }

    /**
     * 2 x 2 covariances that do not commute: S1 S2 has eigenvalues l1, l2 >= 0, so
     * tr((S1 S2)^(1/2)) = sqrt(l1) + sqrt(l2) = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2)).
     */
    @Test
    void nonCommutingTwoByTwoMatchesTheClosedForm() {
        double[] s1 = {2, 0.9, 0.9, 1};
        double[] s2 = {0.5, -0.3, -0.3, 3};
        double trProd = s1[0] * s2[0] + s1[1] * s2[2] + s1[2] * s2[1] + s1[3] * s2[3];
        double det1 = s1[0] * s1[3] - s1[1] * s1[2], det2 = s2[0] * s2[3] - s2[1] * s2[2];
        double want = 4 + (s1[0] + s1[3] + s2[0] + s2[3]) - 2 * Math.sqrt(trProd + 2 * Math.sqrt(det1 * det2));
        double got = FrechetDistance.distance(new Gaussian(new double[] {0, 0}, s1, 2, 10),
                new Gaussian(new double[] {2, 0}, s2, 2, 10));
        assertEquals(want, got, 1e-12 * want);
    }

    /** One dimension: (m1 - m2)^2 + (sd1 - sd2)^2 with the unbiased standard deviations computed here. */
    @Test
    void oneDimensionMatchesMeansAndStandardDeviations() {
        float[] x = {1, 2, 4, 7}, y = {-3, 0, 3, 6, 9};
        double mx = 3.5, my = 3;
        double vx = (6.25 + 2.25 + 0.25 + 12.25) / 3, vy = (36 + 9 + 0 + 9 + 36) / 4.0;
        double want = (mx - my) * (mx - my) + Math.pow(Math.sqrt(vx) - Math.sqrt(vy), 2);
        assertEquals(want, FrechetDistance.distance(x, 4, y, 5, 1), 1e-12 * want);
    }

    @Test
    void squareRootSquaresBack() {
        int d = 30;
        float[] x = correlatedGaussian(new SplittableRandom(7), 100, d);
        Gaussian g = Gaussian.fit(x, 100, d);
        DMatrixRMaj s = DMatrixRMaj.wrap(d, d, g.covariance().clone());
        DMatrixRMaj r = FrechetDistance.sqrtPsd(s), rr = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(r, r, rr);
        double scale = CommonOps_DDRM.elementMaxAbs(s);
        for (int i = 0; i < d * d; i++) {
            assertEquals(s.data[i], rr.data[i], 1e-10 * scale, "R R = S at " + i);
            assertEquals(r.data[i], r.data[(i % d) * d + i / d], 0, "R symmetric at " + i);
        }
    }

    @Test
    void fitGivesTheUnbiasedCovariance() {
        // rows (1, 2), (3, 0), (5, 7): mean (3, 3); centred (-2, -1), (0, -3), (2, 4)
        Gaussian g = Gaussian.fit(new float[] {1, 2, 3, 0, 5, 7}, 3, 2);
        assertEquals(3, g.mean()[0], 1e-15);
        assertEquals(3, g.mean()[1], 1e-15);
        assertEquals(8 / 2.0, g.covariance()[0], 1e-15);
        assertEquals((2 + 0 + 8) / 2.0, g.covariance()[1], 1e-15);
        assertEquals((2 + 0 + 8) / 2.0, g.covariance()[2], 1e-15);
        assertEquals((1 + 9 + 16) / 2.0, g.covariance()[3], 1e-15);
        assertEquals(3, g.count());
    }

    @Test
    void badInputIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gaussian.fit(new float[] {1, 2}, 1, 2));
        assertTrue(e.getMessage().contains("at least 2 samples"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gaussian.fit(new float[] {1, 2, Float.NaN, 4}, 2, 2));
        assertTrue(e.getMessage().contains("feature [1, 0] of [2, 2] is NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Gaussian.fit(new float[5], 2, 2));
        assertTrue(e.getMessage().contains("5 values for [2, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.distance(new float[4], 2, new float[6], 2, 3));
        assertTrue(e.getMessage().contains("4 values for [2, 3]"), e.getMessage());
        Gaussian g2 = Gaussian.fit(new float[] {1, 2, 3, 5}, 2, 2), g1 = Gaussian.fit(new float[] {1, 2}, 2, 1);
        e = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.distance(g2, g1));
        assertTrue(e.getMessage().contains("dimensions differ (2 and 1)"), e.getMessage());
    }

    static double[] diag(double[] v) {
        int d = v.length;
        double[] m = new double[d * d];
        for (int j = 0; j < d; j++) {
            m[j * d + j] = v[j];
        }
        return m;
    }

    /** A random orthogonal matrix: Gram-Schmidt on Gaussian columns. */
    static DMatrixRMaj rotation(int d, SplittableRandom r) {
        DMatrixRMaj q = new DMatrixRMaj(d, d);
        for (int c = 0; c < d; c++) {
            double[] v = new double[d];
            for (int i = 0; i < d; i++) {
                v[i] = r.nextGaussian();
            }
            for (int p = 0; p < c; p++) {
                double dot = 0;
                for (int i = 0; i < d; i++) {
                    dot += v[i] * q.get(i, p);
                }
                for (int i = 0; i < d; i++) {
                    v[i] -= dot * q.get(i, p);
                }
            }
            double norm = 0;
            for (double x : v) {
                norm += x * x;
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < d; i++) {
                q.set(i, c, v[i] / norm);
            }
        }
        return q;
    }

    static double[] rotate(DMatrixRMaj q, double[] vector) {
        DMatrixRMaj out = new DMatrixRMaj(q.numRows, 1);
        CommonOps_DDRM.mult(q, DMatrixRMaj.wrap(vector.length, 1, vector), out);
        return out.data;
    }

    static double[] rotate(DMatrixRMaj q, double[] matrix, int d) {
        DMatrixRMaj tmp = new DMatrixRMaj(d, d), out = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(q, DMatrixRMaj.wrap(d, d, matrix), tmp);
        CommonOps_DDRM.multTransB(tmp, q, out);
        return out.data;
    }
}
