package jgan.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** {@link PrecisionRecall} on point sets whose answers are known by hand. */
class PrecisionRecallTest {
    static float[] cluster(SplittableRandom r, int n, int d, double centre, double spread) {
        float[] x = new float[n * d];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (centre + spread * r.nextGaussian());
        }
        return x;
    }

    static float[] concat(float[] a, float[] b) {
        float[] c = new float[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void identicalSetsHavePrecisionAndRecallOne() {
        int n = 200, d = 5;
        float[] x = cluster(new SplittableRandom(1), n, d, 0, 1);
        PrecisionRecall.Result r = PrecisionRecall.compute(x, n, x, n, d);
        assertEquals(1.0, r.precision(), 0);
        assertEquals(1.0, r.recall(), 0);
        assertEquals(3, r.k());
    }

    @Test
    void farApartClustersHavePrecisionAndRecallZero() {
        int n = 150, d = 4;
        SplittableRandom rnd = new SplittableRandom(2);
        float[] real = cluster(rnd, n, d, 0, 1), fake = cluster(rnd, 120, d, 1000, 1);
        PrecisionRecall.Result r = PrecisionRecall.compute(real, n, fake, 120, d);
        assertEquals(0.0, r.precision(), 0);
        assertEquals(0.0, r.recall(), 0);
        assertEquals(n, r.realCount());
        assertEquals(120, r.fakeCount());
    }

    /** A generator that reproduces one of the two real clusters: every sample is real-looking, half the real data is covered. */
    @Test
    void aGeneratorCoveringOneOfTwoModes() {
        int half = 60, d = 3;
        SplittableRandom rnd = new SplittableRandom(3);
        float[] a = cluster(rnd, half, d, 0, 1), b = cluster(rnd, half, d, 100, 1);
        float[] real = concat(a, b);
        PrecisionRecall.Result r = PrecisionRecall.compute(real, 2 * half, a, half, d);
        assertEquals(1.0, r.precision(), 0);
        assertEquals(0.5, r.recall(), 0);
        // The other way round: half of the generated samples are off the real manifold, which is fully covered.
        PrecisionRecall.Result swapped = PrecisionRecall.compute(a, half, real, 2 * half, d);
        assertEquals(0.5, swapped.precision(), 0);
        assertEquals(1.0, swapped.recall(), 0);
    }

    /**
     * 1-D by hand. Real {0, 1, 2, 3, 4}, k = 3: radii 3, 2, 2, 2, 3, so the real manifold is
     * [-3, 7]; generated {-3, 7, 7.5, -3.5, 2, 100}: -3 and 7 lie on the boundary (inside), 2
     * inside, the rest outside: precision 3/6. The generated radii (3rd neighbours) are 10, 10, 10.5,
     * 10.5, 5.5, 98: the ball of 2 alone covers every real point: recall 1. With k = 1 the real
     * radii are all 1 ([-1, 5]): precision 1/6; the generated ball of 2 (radius 5) still covers them.
     */
    @Test
    void oneDimensionByHand() {
        float[] real = {0, 1, 2, 3, 4}, fake = {-3, 7, 7.5f, -3.5f, 2, 100};
        PrecisionRecall.Result r = PrecisionRecall.compute(real, 5, fake, 6, 1, 3);
        assertEquals(0.5, r.precision(), 0);
        assertEquals(1.0, r.recall(), 0);
        PrecisionRecall.Result r1 = PrecisionRecall.compute(real, 5, fake, 6, 1, 1);
        assertEquals(1 / 6.0, r1.precision(), 0);
        assertEquals(1.0, r1.recall(), 0);
        double[] radii = PrecisionRecall.kthNeighbourSquared(new double[] {-3, 7, 7.5, -3.5, 2, 100}, 6, 1, 3);
        assertEquals(100, radii[0], 0);
        assertEquals(100, radii[1], 0);
        assertEquals(110.25, radii[2], 0);
        assertEquals(110.25, radii[3], 0);
        assertEquals(30.25, radii[4], 0);
        assertEquals(98 * 98, radii[5], 0);
    }

    /** A duplicate of a point is a neighbour at distance 0 (only the point itself is excluded). */
    @Test
    void duplicatesAreNeighbours() {
        double[] radii = PrecisionRecall.kthNeighbourSquared(new double[] {0, 0, 0, 0, 10}, 5, 1, 3);
        assertEquals(0, radii[0], 0);
        assertEquals(100, radii[4], 0);
        // real {0, 0, 0, 0, 10}: balls of radius 0 at 0 and of radius 10 at 10 ([0, 20]): 0 and 20 are in, -0.5 and 21 out.
        PrecisionRecall.Result r = PrecisionRecall.compute(new float[] {0, 0, 0, 0, 10}, 5, new float[] {0, -0.5f, 20, 21}, 4, 1, 3);
        assertEquals(0.5, r.precision(), 0);
    }

    /** Same distribution, independent samples: both numbers high but below 1; the result does not depend on the run. */
    @Test
    void independentSamplesOfOneDistribution() {
        int n = 400, d = 8;
        SplittableRandom rnd = new SplittableRandom(4);
        float[] real = cluster(rnd, n, d, 0, 1), fake = cluster(rnd, n, d, 0, 1);
        PrecisionRecall.Result r = PrecisionRecall.compute(real, n, fake, n, d);
        assertTrue(r.precision() > 0.6 && r.precision() < 1, "precision " + r.precision());
        assertTrue(r.recall() > 0.6 && r.recall() < 1, "recall " + r.recall());
        assertEquals(r, PrecisionRecall.compute(real, n, fake, n, d));
        // A generator with half the spread: precise (inside the real manifold) but with lower recall.
        float[] narrow = new float[fake.length];
        for (int i = 0; i < fake.length; i++) {
            narrow[i] = fake[i] * 0.5f;
        }
        PrecisionRecall.Result rn = PrecisionRecall.compute(real, n, narrow, n, d);
        assertTrue(rn.precision() > r.precision() && rn.recall() < r.recall(), "narrow: " + rn + " vs " + r);
    }

    /** The brute-force search the screened one must reproduce exactly: every pair's exact distance. */
    static double[] bruteForceRadii(double[] x, int n, int d, int k) {
        double[] radii = new double[n];
        for (int i = 0; i < n; i++) {
            double[] all = new double[n - 1];
            for (int j = 0, t = 0; j < n; j++) {
                if (j != i) {
                    all[t++] = PrecisionRecall.squaredDistance(x, i, x, j, d);
                }
            }
            Arrays.sort(all);
            radii[i] = all[k - 1];
        }
        return radii;
    }

    static long bruteForceCovered(double[] q, int nq, double[] x, double[] radii, int nx, int d) {
        long count = 0;
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < nx; j++) {
                if (PrecisionRecall.squaredDistance(q, i, x, j, d) <= radii[j]) {
                    count++;
                    break;
                }
            }
        }
        return count;
    }

    static double[] toDouble(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    /**
     * The GEMM-screened search gives exactly the brute-force radii and counts: Gaussian points,
     * integer points (many exact ties and duplicates: distances on a ball's edge), points far from
     * the origin with ties (|a|^2 + |b|^2 - 2 a.b cancels badly there: only the rounding bound keeps
     * the ties right), one dimension, and more points than a GEMM block of rows.
     */
    @Test
    void screenedSearchEqualsBruteForce() {
        SplittableRandom rnd = new SplittableRandom(6);
        float[][] sets = new float[8][];
        int[] ns = {300, 250, 200, 220, 150, 150, 600, 40};
        int[] ds = {7, 7, 3, 3, 3, 3, 1, 40};
        sets[0] = cluster(rnd, ns[0], ds[0], 0, 1);
        sets[1] = cluster(rnd, ns[1], ds[1], 0.3, 1.2);
        for (int s = 2; s < 4; s++) {
            sets[s] = new float[ns[s] * ds[s]];
            for (int i = 0; i < sets[s].length; i++) {
                sets[s][i] = rnd.nextInt(3);
            }
        }
        // Far from the origin in one coordinate, tenths in the others: distances repeat exactly (ties on
        // the balls' edges) while |a|^2 + |b|^2 - 2 a.b (~1.6e13) is off by ~1e-3 (a tenth squared is 1e-2).
        for (int s = 4; s < 6; s++) {
            sets[s] = new float[ns[s] * ds[s]];
            for (int i = 0; i < sets[s].length; i++) {
                sets[s][i] = i % ds[s] == 0 ? 4e6f + rnd.nextInt(3) : 0.1f * rnd.nextInt(4);
            }
        }
        sets[6] = cluster(rnd, ns[6], ds[6], 0, 1);
        sets[7] = cluster(rnd, ns[7], ds[7], 0, 1);
        for (int p = 0; p < 8; p += 2) {
            int d = ds[p];
            double[] a = toDouble(sets[p]), b = toDouble(sets[p + (p == 6 ? 0 : 1)]);
            int na = ns[p], nb = ns[p + (p == 6 ? 0 : 1)];
            for (int k : new int[] {1, 3, 5}) {
                String what = "set pair " + p + ", d = " + d + ", k = " + k;
                double[] ra = PrecisionRecall.kthNeighbourSquared(a, na, d, k);
                double[] rb = PrecisionRecall.kthNeighbourSquared(b, nb, d, k);
                assertArrayEquals(bruteForceRadii(a, na, d, k), ra, 0, what + ": radii");
                assertArrayEquals(bruteForceRadii(b, nb, d, k), rb, 0, what + ": radii");
                assertEquals(bruteForceCovered(b, nb, a, ra, na, d), PrecisionRecall.covered(b, nb, a, ra, na, d), what);
                assertEquals(bruteForceCovered(a, na, b, rb, nb, d), PrecisionRecall.covered(a, na, b, rb, nb, d), what);
            }
        }
    }

    @Test
    void badInputIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PrecisionRecall.compute(new float[3], 3, new float[10], 10, 1));
        assertTrue(e.getMessage().contains("more than k = 3 points, got 3 real and 10 generated"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PrecisionRecall.compute(new float[10], 10, new float[10], 10, 1, 0));
        assertTrue(e.getMessage().contains("k must be at least 1"), e.getMessage());
        float[] bad = new float[10];
        bad[7] = Float.POSITIVE_INFINITY;
        e = assertThrows(IllegalArgumentException.class, () -> PrecisionRecall.compute(new float[10], 5, bad, 5, 2));
        assertTrue(e.getMessage().contains("generated") && e.getMessage().contains("[3, 1] of [5, 2] is Infinity"), e.getMessage());
    }
}
