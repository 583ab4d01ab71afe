package jgan.metrics;

import java.util.stream.IntStream;

/**
 * Improved precision and recall of a generated distribution (Kynkäänniemi, Karras, Laine,
 * Lehtinen, Aila 2019, "Improved Precision and Recall Metric for Assessing Generative Models",
 * section 2, eq. 1-2), in a feature space, with k nearest neighbours (the paper uses k = 3).
 *
 * <p>The manifold of a set is the union of balls around its points, each of radius the distance
 * to the point's k-th nearest neighbour in the same set (itself excluded; a duplicate of it counts
 * as a neighbour at distance 0). A point is inside a manifold when it lies in at least one ball,
 * the boundary included (distance <= radius, as the authors' code):
 * <pre>
 *   precision = fraction of generated points inside the manifold of the real points
 *   recall    = fraction of real points inside the manifold of the generated points
 * </pre>
 * Distances are Euclidean, exact, brute force in double (squared distances compared with squared
 * radii): the cost is O((n_real + n_fake)^2 d), at most 3 (n_real^2 + n_fake^2 + 2 n_real n_fake) d
 * flops (a point's search for a ball that holds it stops at the first); rows run in parallel on the common fork-join pool, and each row's result depends on
 * that row alone, so the result is the same whatever the thread count.
 */
public final class PrecisionRecall {
    /** The paper's neighbourhood size. */
    public static final int DEFAULT_K = 3;

    private PrecisionRecall() {
    }

    /**
     * Precision and recall in [0, 1], with the counts behind them.
     *
     * @param precision   fraction of the {@code fakeCount} generated points inside the real manifold
     * @param recall      fraction of the {@code realCount} real points inside the generated manifold
     * @param k           the neighbourhood size used
     */
    public record Result(double precision, double recall, int k, int realCount, int fakeCount) {
    }

    /** {@link #compute(float[], int, float[], int, int, int)} with k = {@link #DEFAULT_K}. */
    public static Result compute(float[] real, int nReal, float[] fake, int nFake, int d) {
        return compute(real, nReal, fake, nFake, d, DEFAULT_K);
    }

    /**
     * Precision and recall of {@code fake} [nFake, d] against {@code real} [nReal, d], both
     * row-major, one feature vector per row.
     *
     * @throws IllegalArgumentException for k < 1, a set of k points or fewer (no k-th neighbour
     *                                  besides itself), a length other than n * d, or a non-finite
     *                                  feature
     */
    public static Result compute(float[] real, int nReal, float[] fake, int nFake, int d, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("PrecisionRecall: k must be at least 1, got " + k);
        }
        FrechetDistance.checkFeatures("PrecisionRecall (real)", real, nReal, d);
        FrechetDistance.checkFeatures("PrecisionRecall (generated)", fake, nFake, d);
        if (nReal <= k || nFake <= k) {
            throw new IllegalArgumentException("PrecisionRecall: each set needs more than k = " + k + " points, got " + nReal
                    + " real and " + nFake + " generated");
        }
        double[] r = toDouble(real), f = toDouble(fake);
        double[] realRadii = kthNeighbourSquared(r, nReal, d, k);
        double[] fakeRadii = kthNeighbourSquared(f, nFake, d, k);
        long precise = covered(f, nFake, r, realRadii, nReal, d);
        long recalled = covered(r, nReal, f, fakeRadii, nFake, d);
        return new Result(precise / (double) nFake, recalled / (double) nReal, k, nReal, nFake);
    }

    /** The squared distance from each point to its k-th nearest other point of the same set. */
    static double[] kthNeighbourSquared(double[] x, int n, int d, int k) {
        double[] radii = new double[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            double[] best = new double[k]; // the k smallest squared distances so far, ascending
            java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
            for (int j = 0; j < n; j++) {
                if (j == i) {
                    continue;
                }
                double s = squaredDistance(x, i, x, j, d);
                if (s < best[k - 1]) {
                    int p = k - 1;
                    while (p > 0 && best[p - 1] > s) {
                        best[p] = best[p - 1];
                        p--;
                    }
                    best[p] = s;
                }
            }
            radii[i] = best[k - 1];
        });
        return radii;
    }

    /** How many points of {@code q} lie in at least one ball (centre a point of {@code x}, squared radius {@code radii}). */
    static long covered(double[] q, int nq, double[] x, double[] radii, int nx, int d) {
        return IntStream.range(0, nq).parallel().filter(i -> {
            for (int j = 0; j < nx; j++) {
                if (squaredDistance(q, i, x, j, d) <= radii[j]) {
                    return true;
                }
            }
            return false;
        }).count();
    }

    static double squaredDistance(double[] a, int i, double[] b, int j, int d) {
        double s = 0;
        int ai = i * d, bj = j * d;
        for (int c = 0; c < d; c++) {
            double diff = a[ai + c] - b[bj + c];
            s += diff * diff;
        }
        return s;
    }

    private static double[] toDouble(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
