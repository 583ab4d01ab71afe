package jgan.metrics;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The Fréchet distance between two Gaussians fitted to feature sets: the measure behind FID
 * (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
 * Equilibrium", section 3, eq. 6; the Fréchet / 2-Wasserstein distance of Dowson and Landau 1982):
 * <pre>
 *   FD = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))
 * </pre>
 * Conventions of pytorch-fid (mseitzer/pytorch-fid, {@code calculate_frechet_distance}): the
 * covariance is the unbiased one (divided by n - 1, numpy.cov's default), the square root is the
 * principal one, and the result is in squared feature units. jgan's features are its own
 * classifier's, not Inception's: the numbers are comparable between jgan runs and with anything
 * scored in the same feature space, not with published FIDs.
 *
 * <p>Method. pytorch-fid takes scipy's sqrtm of the non-symmetric product S1 S2 and drops the
 * imaginary part rounding leaves. Here only symmetric eigendecompositions are used (EJML's
 * symmetric QR algorithm; no solver of our own): S1 = V diag(l) V^T gives R = S1^(1/2) =
 * V diag(sqrt(max(l, 0))) V^T, then M = R S2 R is symmetric positive semi-definite and has the
 * same eigenvalues as S1 S2 (AB and BA share their non-zero eigenvalues), so
 * tr((S1 S2)^(1/2)) = sum_i sqrt(max(mu_i, 0)) over the eigenvalues mu_i of M. Eigenvalues that
 * rounding makes slightly negative are clamped to 0; a singular covariance (fewer samples than
 * dimensions, constant features) needs no epsilon offset; its zero eigenvalues come out as
 * rounding noise (~1e-16 of the largest) whose square roots add about 1e-8 relative each, the
 * sensitivity of any matrix square root at a singular matrix. The result is clamped at 0 (it can
 * only fall below by rounding). Everything is in double; the result is deterministic.
 */
public final class FrechetDistance {
    private FrechetDistance() {
    }

    /**
     * A Gaussian fitted to n feature vectors of dimension d: the mean [d] and the unbiased
     * covariance [d, d] (row-major, divided by n - 1).
     */
    public record Gaussian(double[] mean, double[] covariance, int dimension, int count) {
        public Gaussian {
            if (dimension < 1 || mean.length != dimension || covariance.length != (long) dimension * dimension) {
                throw new IllegalArgumentException("Gaussian: mean of " + mean.length + " and covariance of " + covariance.length
                        + " values for dimension " + dimension);
            }
        }

        /**
         * Fits the mean and covariance of {@code features}, [n, d] row-major (one feature vector
         * per row), n >= 2.
         *
         * @throws IllegalArgumentException for n < 2, d < 1, a length other than n * d, or a NaN or
         *                                  infinite feature (naming its row and column)
         */
        public static Gaussian fit(float[] features, int n, int d) {
            checkFeatures("FrechetDistance.Gaussian.fit", features, n, d);
            if (n < 2) {
                throw new IllegalArgumentException("FrechetDistance.Gaussian.fit: a covariance needs at least 2 samples, got " + n
                        + " of dimension " + d);
            }
            double[] mean = new double[d];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    mean[j] += features[i * d + j];
                }
            }
            for (int j = 0; j < d; j++) {
                mean[j] /= n;
            }
            // Centred data (two passes: no cancellation of E[x^2] - E[x]^2), then Xc^T Xc / (n - 1).
            DMatrixRMaj centred = new DMatrixRMaj(n, d);
            double[] c = centred.data;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    c[i * d + j] = features[i * d + j] - mean[j];
                }
            }
            DMatrixRMaj cov = new DMatrixRMaj(d, d);
            CommonOps_DDRM.multInner(centred, cov);
            CommonOps_DDRM.scale(1.0 / (n - 1), cov);
            symmetrize(cov);
            return new Gaussian(mean, cov.data, d, n);
        }
    }

    /** The two terms of the distance: {@code distance = meanTerm + traceTerm}. */
    public record Terms(double distance, double meanTerm, double traceTerm) {
    }

    /** FD between Gaussians fitted to two feature sets, [na, d] and [nb, d] row-major. */
    public static double distance(float[] a, int na, float[] b, int nb, int d) {
        return distance(Gaussian.fit(a, na, d), Gaussian.fit(b, nb, d));
    }

    /**
     * FD between two Gaussians, in squared feature units.
     *
     * @throws IllegalArgumentException when their dimensions differ
     * @throws IllegalStateException    when the eigendecomposition does not converge (a covariance
     *                                  with huge or non-finite entries)
     */
    public static double distance(Gaussian a, Gaussian b) {
        return terms(a, b).distance();
    }

    /** FD between two Gaussians and its two terms, |mu1 - mu2|^2 and tr(S1 + S2 - 2 (S1 S2)^(1/2)). */
    public static Terms terms(Gaussian a, Gaussian b) {
        int d = a.dimension();
        if (b.dimension() != d) {
            throw new IllegalArgumentException("FrechetDistance: feature dimensions differ (" + d + " and " + b.dimension() + ")");
        }
        double meanTerm = 0;
        for (int j = 0; j < d; j++) {
            double diff = a.mean()[j] - b.mean()[j];
            meanTerm += diff * diff;
        }
        DMatrixRMaj s1 = DMatrixRMaj.wrap(d, d, a.covariance().clone());
        DMatrixRMaj s2 = DMatrixRMaj.wrap(d, d, b.covariance().clone());
        symmetrize(s1);
        symmetrize(s2);
        DMatrixRMaj root = sqrtPsd(s1);
        DMatrixRMaj tmp = new DMatrixRMaj(d, d), m = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(root, s2, tmp);
        CommonOps_DDRM.mult(tmp, root, m);
        symmetrize(m);
        double traceSqrt = 0;
        for (double mu : eigenvalues(m)) {
            traceSqrt += Math.sqrt(Math.max(mu, 0));
        }
        double traceTerm = CommonOps_DDRM.trace(s1) + CommonOps_DDRM.trace(s2) - 2 * traceSqrt;
        return new Terms(Math.max(0, meanTerm + traceTerm), meanTerm, traceTerm);
    }

    /**
     * The principal square root of a symmetric positive semi-definite matrix, V diag(sqrt(max(l, 0)))
     * V^T from its symmetric eigendecomposition (negative eigenvalues from rounding clamped to 0).
     */
    public static DMatrixRMaj sqrtPsd(DMatrixRMaj s) {
        int d = s.numRows;
        if (s.numCols != d) {
            throw new IllegalArgumentException("FrechetDistance.sqrtPsd: matrix is " + s.numRows + " x " + s.numCols + ", not square");
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = decompose(s, true);
        DMatrixRMaj scaled = new DMatrixRMaj(d, d), vectors = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            double root = Math.sqrt(Math.max(eig.getEigenvalue(i).real, 0));
            DMatrixRMaj v = eig.getEigenVector(i);
            for (int r = 0; r < d; r++) {
                vectors.unsafe_set(r, i, v.get(r));
                scaled.unsafe_set(r, i, v.get(r) * root);
            }
        }
        DMatrixRMaj out = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransB(scaled, vectors, out); // V diag(sqrt l) V^T
        symmetrize(out);
        return out;
    }

    private static double[] eigenvalues(DMatrixRMaj m) {
        EigenDecomposition_F64<DMatrixRMaj> eig = decompose(m, false);
        double[] values = new double[m.numRows];
        for (int i = 0; i < values.length; i++) {
            values[i] = eig.getEigenvalue(i).real;
        }
        return values;
    }

    private static EigenDecomposition_F64<DMatrixRMaj> decompose(DMatrixRMaj m, boolean vectors) {
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(m.numRows, vectors, true);
        if (!eig.decompose(m.copy())) {
            throw new IllegalStateException("FrechetDistance: the symmetric eigendecomposition of a " + m.numRows + " x "
                    + m.numCols + " matrix did not converge (non-finite or huge covariance entries?)");
        }
        return eig;
    }

    /** m = (m + m^T) / 2: removes the asymmetry rounding leaves, so that the symmetric solver applies. */
    private static void symmetrize(DMatrixRMaj m) {
        int d = m.numRows;
        for (int i = 0; i < d; i++) {
            for (int j = i + 1; j < d; j++) {
                double v = 0.5 * (m.unsafe_get(i, j) + m.unsafe_get(j, i));
                m.unsafe_set(i, j, v);
                m.unsafe_set(j, i, v);
            }
        }
    }

    static void checkFeatures(String op, float[] features, int n, int d) {
        if (features == null || n < 0 || d < 1 || features.length != (long) n * d) {
            throw new IllegalArgumentException(op + ": features of " + (features == null ? "null" : features.length + " values")
                    + " for [" + n + ", " + d + "]");
        }
        for (int i = 0; i < features.length; i++) {
            if (!Float.isFinite(features[i])) {
                throw new IllegalArgumentException(op + ": feature [" + i / d + ", " + i % d + "] of [" + n + ", " + d + "] is "
                        + features[i]);
            }
        }
    }
}
