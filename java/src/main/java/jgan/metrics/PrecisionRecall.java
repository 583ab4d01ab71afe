package jgan.metrics;

import java.util.Arrays;
import java.util.stream.IntStream;

import dev.ludovic.netlib.blas.BLAS;
import jgan.cpu.CpuBlas;

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
 * Distances are exact Euclidean ones in double, from the differences of the coordinates (squared
 * distances compared with squared radii): the result is that of the brute-force search, bit for
 * bit. To get there fast, each pair is first screened with |a|^2 + |b|^2 - 2 a.b, the dot products
 * from one BLAS dgemm per block of rows ({@link CpuBlas}: the bundled OpenBLAS), and a rounding
 * bound on that expression ({@link #boundFactor}); the exact distance is computed only for the
 * pairs the bound cannot decide (the few nearest neighbours of each point, the points near a ball's
 * edge). Blocks of rows run in parallel on the common fork-join pool; each row's result depends on
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

    /**
     * The squared distance from each point of x [n, d] to its k-th nearest other point of the
     * same set: exactly {@link #squaredDistance}'s k-th smallest value, screened by GEMM bounds.
     */
    static double[] kthNeighbourSquared(double[] x, int n, int d, int k) {
        double[] norms = squaredNorms(x, n, d);
        double c = boundFactor(d);
        double[] radii = new double[n];
        forBlocks(x, n, x, n, d, (i, dots, o) -> {
            // U: the k-th smallest upper bound; the true k-th smallest distance is at most U, so only
            // points whose lower bound is at most U can be among the k nearest: those get the exact distance.
            double[] upper = new double[k], exact = new double[k];
            Arrays.fill(upper, Double.POSITIVE_INFINITY);
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    double approx = norms[i] + norms[j] - 2 * dots[o + j];
                    insert(upper, approx + c * (norms[i] + norms[j]));
                }
            }
            double bound = upper[k - 1];
            Arrays.fill(exact, Double.POSITIVE_INFINITY);
            for (int j = 0; j < n; j++) {
                if (j != i && norms[i] + norms[j] - 2 * dots[o + j] - c * (norms[i] + norms[j]) <= bound) {
                    insert(exact, squaredDistance(x, i, x, j, d));
                }
            }
            radii[i] = exact[k - 1];
            return 0;
        });
        return radii;
    }

    /**
     * How many points of q [nq, d] lie in at least one ball (centre a point of x [nx, d], squared
     * radius {@code radii}): exactly the brute-force count with {@link #squaredDistance}, the exact
     * distance computed only where the GEMM bounds cannot decide.
     */
    static long covered(double[] q, int nq, double[] x, double[] radii, int nx, int d) {
        double[] qn = squaredNorms(q, nq, d), xn = squaredNorms(x, nx, d);
        double c = boundFactor(d);
        return forBlocks(q, nq, x, nx, d, (i, dots, o) -> {
            for (int j = 0; j < nx; j++) {
                double approx = qn[i] + xn[j] - 2 * dots[o + j], err = c * (qn[i] + xn[j]);
                if (approx - err > radii[j]) {
                    continue; // surely outside
                }
                if (approx + err <= radii[j] || squaredDistance(q, i, x, j, d) <= radii[j]) {
                    return 1;
                }
            }
            return 0;
        });
    }

    /**
     * Bounds |(|a|^2 + |b|^2 - 2 a.b) - squaredDistance(a, b)| <= factor * (|a|^2 + |b|^2) for
     * double sums of d terms in any order (with or without FMA): each of the three sums is within
     * d u of its sum of |terms| (u = 2^-53; |2 a.b| <= |a|^2 + |b|^2), the exact distance within
     * 2 d u (|a - b|^2 <= 2 (|a|^2 + |b|^2)), and the two additions add 4 u; doubled for safety.
     */
    static double boundFactor(int d) {
        return 2 * (4.0 * d + 8) * 0x1p-53;
    }

    /** What runs for one query row i, given its dot products with the points j of the other set at dots[o + j]. */
    private interface RowTask {
        int run(int i, double[] dots, int o);
    }

    /** Query rows in blocks: one GEMM of the block against all of y, then the row tasks; returns the sum of their results. */
    private static long forBlocks(double[] q, int nq, double[] y, int ny, int d, RowTask task) {
        int rows = Math.max(1, Math.min(256, (1 << 21) / ny)); // a block's products stay within 16 MB
        int blocks = (nq + rows - 1) / rows;
        BLAS blas = CpuBlas.get().blas();
        return IntStream.range(0, blocks).parallel().mapToLong(b -> {
            int from = b * rows, count = Math.min(rows, nq - from);
            double[] dots = new double[count * ny];
            // row-major dots [count, ny] = q_block y^T, i.e. column-major dots^T = y q_block^T
            blas.dgemm("T", "N", ny, count, d, 1.0, y, 0, d, q, from * d, d, 0.0, dots, 0, ny);
            long sum = 0;
            for (int r = 0; r < count; r++) {
                sum += task.run(from + r, dots, r * ny);
            }
            return sum;
        }).sum();
    }

    private static double[] squaredNorms(double[] x, int n, int d) {
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int c = 0; c < d; c++) {
                s += x[i * d + c] * x[i * d + c];
            }
            norms[i] = s;
        }
        return norms;
    }

    /** Keeps the k smallest values seen in {@code best} (ascending, padded with +Inf). */
    private static void insert(double[] best, double v) {
        int p = best.length - 1;
        if (!(v < best[p])) {
            return;
        }
        while (p > 0 && best[p - 1] > v) {
            best[p] = best[p - 1];
            p--;
        }
        best[p] = v;
    }

    /**
     * |a_i - b_j|^2 from the differences (no |a|^2 + |b|^2 - 2 a.b cancellation), summed in four
     * interleaved partial sums (independent chains the CPU can overlap) added in a fixed order.
     */
    static double squaredDistance(double[] a, int i, double[] b, int j, int d) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int ai = i * d, bj = j * d, c = 0;
        for (; c + 3 < d; c += 4) {
            double d0 = a[ai + c] - b[bj + c], d1 = a[ai + c + 1] - b[bj + c + 1];
            double d2 = a[ai + c + 2] - b[bj + c + 2], d3 = a[ai + c + 3] - b[bj + c + 3];
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; c < d; c++) {
            double diff = a[ai + c] - b[bj + c];
            s0 += diff * diff;
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static double[] toDouble(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
