package jgan.reference;

/**
 * Plain-Java batch normalisation in double, nested loops: the oracle for kernels/batch_norm.cu
 * (PyTorch's BatchNorm2d on NHWC / BatchNorm1d on [N, C]). Arrays are row-major [rows, C],
 * channels innermost (rows = N*H*W or N); per-channel arrays have C elements. {@code act}: 0
 * identity, 1 ReLU, 2 leaky ReLU, 3 tanh, with NaN passing through each (as PyTorch).
 */
public final class BatchNormReference {
    private BatchNormReference() {
    }

    /** The outputs of a training forward: y, the saved mean and invstd, and the updated running statistics (null when none were given). */
    public record Forward(float[] y, float[] mean, float[] invstd, float[] runningMean, float[] runningVar) {
    }

    /** The gradients of a backward. */
    public record Backward(float[] dx, float[] dgamma, float[] dbeta) {
    }

    /** The fused activation (codes of jgan.kernels.Activation), NaN passing through: {@link DenseReference#activate}. */
    public static double activate(double v, int act, double slope) {
        return DenseReference.activate(v, act, slope);
    }

    /** d act / d pre-activation from the activation's output y: {@link DenseReference#activationGrad}. */
    public static double activationGrad(double y, int act, double slope) {
        return DenseReference.activationGrad(y, act, slope);
    }

    static double[] toDouble(float[] v) {
        if (v == null) {
            return null;
        }
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    static float[] toFloat(double[] v) {
        if (v == null) {
            return null;
        }
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    /** Per-channel mean over the rows. */
    public static double[] mean(double[] x, int rows, int channels) {
        double[] mean = new double[channels];
        for (int c = 0; c < channels; c++) {
            double s = 0;
            for (int r = 0; r < rows; r++) {
                s += x[r * channels + c];
            }
            mean[c] = s / rows;
        }
        return mean;
    }

    /** Per-channel biased variance (divided by rows), two-pass around {@code mean}. */
    public static double[] biasedVariance(double[] x, int rows, int channels, double[] mean) {
        double[] var = new double[channels];
        for (int c = 0; c < channels; c++) {
            double s = 0;
            for (int r = 0; r < rows; r++) {
                double d = x[r * channels + c] - mean[c];
                s += d * d;
            }
            var[c] = s / rows;
        }
        return var;
    }

    /** y = act(gamma (x - mean) invstd + beta) for given per-channel mean and invstd. */
    public static double[] normalize(double[] x, int rows, int channels, double[] mean, double[] invstd, double[] gamma,
                                     double[] beta, int act, double slope) {
        double[] y = new double[rows * channels];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < channels; c++) {
                int i = r * channels + c;
                y[i] = activate(gamma[c] * (x[i] - mean[c]) * invstd[c] + beta[c], act, slope);
            }
        }
        return y;
    }

    /** Training forward in double: y only (what a finite-difference check differentiates). */
    public static double[] forwardTrain(double[] x, int rows, int channels, double[] gamma, double[] beta, double eps, int act,
                                        double slope) {
        double[] mean = mean(x, rows, channels);
        double[] var = biasedVariance(x, rows, channels, mean);
        double[] invstd = new double[channels];
        for (int c = 0; c < channels; c++) {
            invstd[c] = 1 / Math.sqrt(var[c] + eps);
        }
        return normalize(x, rows, channels, mean, invstd, gamma, beta, act, slope);
    }

    /**
     * Training forward: batch mean and biased variance, y, the saved mean and invstd, and the
     * running statistics updated as PyTorch does ({@code (1 - momentum) old + momentum new}, the
     * variance unbiased: var n/(n-1)). {@code runningMean}/{@code runningVar} are not modified;
     * null gives null.
     */
    public static Forward forwardTrain(float[] x, int rows, int channels, float[] gamma, float[] beta, float[] runningMean,
                                       float[] runningVar, double momentum, double eps, int act, double slope) {
        double[] xd = toDouble(x);
        double[] mean = mean(xd, rows, channels);
        double[] var = biasedVariance(xd, rows, channels, mean);
        double[] invstd = new double[channels];
        for (int c = 0; c < channels; c++) {
            invstd[c] = 1 / Math.sqrt(var[c] + eps);
        }
        double[] y = normalize(xd, rows, channels, mean, invstd, toDouble(gamma), toDouble(beta), act, slope);
        float[] rm = null, rv = null;
        if (runningMean != null) {
            rm = new float[channels];
            rv = new float[channels];
            for (int c = 0; c < channels; c++) {
                double unbiased = var[c] * rows / (rows - 1);
                rm[c] = (float) ((1 - momentum) * runningMean[c] + momentum * mean[c]);
                rv[c] = (float) ((1 - momentum) * runningVar[c] + momentum * unbiased);
            }
        }
        return new Forward(toFloat(y), toFloat(mean), toFloat(invstd), rm, rv);
    }

    /** Eval forward: y = act(gamma (x - running_mean) / sqrt(running_var + eps) + beta). */
    public static float[] forwardEval(float[] x, int rows, int channels, float[] gamma, float[] beta, float[] runningMean,
                                      float[] runningVar, double eps, int act, double slope) {
        double[] invstd = new double[channels];
        for (int c = 0; c < channels; c++) {
            invstd[c] = 1 / Math.sqrt(runningVar[c] + eps);
        }
        return toFloat(normalize(toDouble(x), rows, channels, toDouble(runningMean), invstd, toDouble(gamma), toDouble(beta), act,
                slope));
    }

    /**
     * Backward in double, given the forward's output y (null for identity) and its saved mean and invstd:
     * dz = dy act'(y), xhat = (x - mean) invstd, dbeta = sum dz, dgamma = sum dz xhat,
     * dx = gamma invstd / n (n dz - dbeta - xhat dgamma). Returns {dx, dgamma, dbeta}.
     */
    public static double[][] backward(double[] dy, double[] y, double[] x, int rows, int channels, double[] gamma, double[] mean,
                                      double[] invstd, int act, double slope) {
        double[] dz = new double[rows * channels];
        for (int i = 0; i < dz.length; i++) {
            dz[i] = dy[i] * (y == null ? 1 : activationGrad(y[i], act, slope));
        }
        double[] dgamma = new double[channels], dbeta = new double[channels];
        for (int c = 0; c < channels; c++) {
            for (int r = 0; r < rows; r++) {
                int i = r * channels + c;
                dbeta[c] += dz[i];
                dgamma[c] += dz[i] * (x[i] - mean[c]) * invstd[c];
            }
        }
        double[] dx = new double[rows * channels];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < channels; c++) {
                int i = r * channels + c;
                double xhat = (x[i] - mean[c]) * invstd[c];
                dx[i] = gamma[c] * invstd[c] / rows * (rows * dz[i] - dbeta[c] - xhat * dgamma[c]);
            }
        }
        return new double[][] {dx, dgamma, dbeta};
    }

    /** {@link #backward(double[], double[], double[], int, int, double[], double[], double[], int, double)} on floats. */
    public static Backward backward(float[] dy, float[] y, float[] x, int rows, int channels, float[] gamma, float[] mean,
                                    float[] invstd, int act, double slope) {
        double[][] g = backward(toDouble(dy), toDouble(y), toDouble(x), rows, channels, toDouble(gamma), toDouble(mean),
                toDouble(invstd), act, slope);
        return new Backward(toFloat(g[0]), toFloat(g[1]), toFloat(g[2]));
    }
}
