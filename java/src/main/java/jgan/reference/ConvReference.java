package jgan.reference;

import jgan.kernels.ConvProblem;
import jgan.reference.DenseReference.Rounding;

/**
 * Plain nested-loop 2-D convolution in double: the oracle for kernels/conv.cu (Conv2d) and its
 * transposed use (ConvTranspose2d). Layouts: x [N, H, W, C] (NHWC), w [K, R, S, C] (KRSC), bias
 * [K], y [N, P, Q, K]; the definition is PyTorch's Conv2d (cross-correlation, zero padding):
 *
 * <pre>
 *   y[n,p,q,k] = act(bias[k] + sum_{r,s,c} x[n, p*sh - pt + r*dh, q*sw - pl + s*dw, c] * w[k,r,s,c])
 * </pre>
 *
 * The transposed convolution is written from its own definition (PyTorch's ConvTranspose2d:
 * each input pixel scatters w times itself), not through dgrad, so that the two cross-check.
 * {@code act}: 0 identity, 1 ReLU, 2 leaky ReLU, 3 tanh; gradients take act' from the forward's
 * output. The float entry points round every GEMM operand with a {@link Rounding} (tf32 for
 * TF32), forming dz = dy * act'(y) in float first as the kernels do; the double ones
 * (suffix D) do no rounding and serve the finite-difference checks.
 */
public final class ConvReference {
    private ConvReference() {
    }

    private static int in(ConvProblem pr, int n, int h, int w, int c) {
        return ((n * pr.h() + h) * pr.w() + w) * pr.c() + c;
    }

    private static int out(ConvProblem pr, int n, int p, int q, int k) {
        return ((n * pr.p() + p) * pr.q() + q) * pr.k() + k;
    }

    private static int filt(ConvProblem pr, int k, int r, int s, int c) {
        return ((k * pr.r() + r) * pr.s() + s) * pr.c() + c;
    }

    /** The pre-activation sum conv(x, w) [N, P, Q, K], no bias. */
    public static double[] convD(ConvProblem pr, double[] x, double[] w) {
        double[] y = new double[pr.n() * pr.p() * pr.q() * pr.k()];
        for (int n = 0; n < pr.n(); n++) {
            for (int p = 0; p < pr.p(); p++) {
                for (int q = 0; q < pr.q(); q++) {
                    for (int k = 0; k < pr.k(); k++) {
                        double sum = 0;
                        for (int r = 0; r < pr.r(); r++) {
                            int h = p * pr.strideH() - pr.padTop() + r * pr.dilationH();
                            if (h < 0 || h >= pr.h()) {
                                continue;
                            }
                            for (int s = 0; s < pr.s(); s++) {
                                int ww = q * pr.strideW() - pr.padLeft() + s * pr.dilationW();
                                if (ww < 0 || ww >= pr.w()) {
                                    continue;
                                }
                                for (int c = 0; c < pr.c(); c++) {
                                    sum += x[in(pr, n, h, ww, c)] * w[filt(pr, k, r, s, c)];
                                }
                            }
                        }
                        y[out(pr, n, p, q, k)] = sum;
                    }
                }
            }
        }
        return y;
    }

    /** dx [N, H, W, C] = the adjoint of convD in x: scatter each dz[n,p,q,k] through w. */
    public static double[] dgradD(ConvProblem pr, double[] dz, double[] w) {
        double[] dx = new double[pr.n() * pr.h() * pr.w() * pr.c()];
        for (int n = 0; n < pr.n(); n++) {
            for (int p = 0; p < pr.p(); p++) {
                for (int q = 0; q < pr.q(); q++) {
                    for (int k = 0; k < pr.k(); k++) {
                        double g = dz[out(pr, n, p, q, k)];
                        for (int r = 0; r < pr.r(); r++) {
                            int h = p * pr.strideH() - pr.padTop() + r * pr.dilationH();
                            if (h < 0 || h >= pr.h()) {
                                continue;
                            }
                            for (int s = 0; s < pr.s(); s++) {
                                int ww = q * pr.strideW() - pr.padLeft() + s * pr.dilationW();
                                if (ww < 0 || ww >= pr.w()) {
                                    continue;
                                }
                                for (int c = 0; c < pr.c(); c++) {
                                    dx[in(pr, n, h, ww, c)] += g * w[filt(pr, k, r, s, c)];
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }

    /** dw [K, R, S, C] = sum over n, p, q of dz[n,p,q,k] * x[n, h, w, c] (the adjoint of convD in w). */
    public static double[] wgradD(ConvProblem pr, double[] dz, double[] x) {
        double[] dw = new double[pr.k() * pr.r() * pr.s() * pr.c()];
        for (int n = 0; n < pr.n(); n++) {
            for (int p = 0; p < pr.p(); p++) {
                for (int q = 0; q < pr.q(); q++) {
                    for (int k = 0; k < pr.k(); k++) {
                        double g = dz[out(pr, n, p, q, k)];
                        for (int r = 0; r < pr.r(); r++) {
                            int h = p * pr.strideH() - pr.padTop() + r * pr.dilationH();
                            if (h < 0 || h >= pr.h()) {
                                continue;
                            }
                            for (int s = 0; s < pr.s(); s++) {
                                int ww = q * pr.strideW() - pr.padLeft() + s * pr.dilationW();
                                if (ww < 0 || ww >= pr.w()) {
                                    continue;
                                }
                                for (int c = 0; c < pr.c(); c++) {
                                    dw[filt(pr, k, r, s, c)] += g * x[in(pr, n, h, ww, c)];
                                }
                            }
                        }
                    }
                }
            }
        }
        return dw;
    }

    /**
     * PyTorch's ConvTranspose2d from its definition, on the mirrored problem pr: input xt
     * [N, P, Q, K], weight [K, R, S, C], output [N, H, W, C]; each input pixel adds
     * xt[n,p,q,k] * w[k,r,s,c] at (p*sh - pt + r*dh, q*sw - pl + s*dw) when inside the output.
     */
    public static double[] transposedD(ConvProblem pr, double[] xt, double[] w) {
        double[] y = new double[pr.n() * pr.h() * pr.w() * pr.c()];
        for (int n = 0; n < pr.n(); n++) {
            for (int p = 0; p < pr.p(); p++) {
                for (int q = 0; q < pr.q(); q++) {
                    for (int k = 0; k < pr.k(); k++) {
                        double v = xt[out(pr, n, p, q, k)];
                        for (int r = 0; r < pr.r(); r++) {
                            for (int s = 0; s < pr.s(); s++) {
                                int h = p * pr.strideH() - pr.padTop() + r * pr.dilationH();
                                int ww = q * pr.strideW() - pr.padLeft() + s * pr.dilationW();
                                if (h >= 0 && h < pr.h() && ww >= 0 && ww < pr.w()) {
                                    for (int c = 0; c < pr.c(); c++) {
                                        y[in(pr, n, h, ww, c)] += v * w[filt(pr, k, r, s, c)];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    // --- activations in double (the forward, and the loss used by finite differences) ---

    /** act(pre + bias[channel]) elementwise; channels = the last dimension; bias may be null. */
    public static double[] biasActD(double[] pre, double[] bias, int channels, int act, double slope) {
        double[] y = new double[pre.length];
        for (int i = 0; i < pre.length; i++) {
            y[i] = DenseReference.activate(pre[i] + (bias == null ? 0 : bias[i % channels]), act, slope);
        }
        return y;
    }

    /** dz = dy * act'(y), in double. */
    public static double[] preActGradD(double[] dy, double[] y, int act, double slope) {
        double[] dz = new double[dy.length];
        for (int i = 0; i < dy.length; i++) {
            dz[i] = dy[i] * DenseReference.activationGrad(y[i], act, slope);
        }
        return dz;
    }

    /** Sums over all but the last dimension (a bias gradient). */
    public static double[] channelSumsD(double[] v, int channels) {
        double[] s = new double[channels];
        for (int i = 0; i < v.length; i++) {
            s[i % channels] += v[i];
        }
        return s;
    }

    // --- float entry points, as the kernels see them ---

    static double[] rounded(float[] v, Rounding r) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = r.round(v[i]);
        }
        return d;
    }

    static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    /** post[i] = (float) pre + bias (in float, as the kernels add it), then act. */
    static float[] epilogue(double[] pre, float[] bias, int channels, int act, float slope) {
        float[] y = new float[pre.length];
        for (int i = 0; i < pre.length; i++) {
            y[i] = (float) DenseReference.activate((float) pre[i] + (bias == null ? 0f : bias[i % channels]), act, slope);
        }
        return y;
    }

    /** y [N, P, Q, K] = act(conv(x, w) + bias); bias may be null. */
    public static float[] fprop(ConvProblem pr, float[] x, float[] w, float[] bias, int act, float slope, Rounding r) {
        return epilogue(convD(pr, rounded(x, r), rounded(w, r)), bias, pr.k(), act, slope);
    }

    /** dx [N, H, W, C] = conv^T(dy * act'(y), w). */
    public static float[] dgrad(ConvProblem pr, float[] dy, float[] y, float[] w, int act, float slope, Rounding r) {
        float[] dz = DenseReference.preActivationGrad(dy, y, act, slope);
        return toFloat(dgradD(pr, rounded(dz, r), rounded(w, r)));
    }

    /** {dw [K, R, S, C], db [K]} from dz = dy * act'(y) and x; db is unrounded (the kernels sum dz exactly). */
    public static float[][] wgrad(ConvProblem pr, float[] dy, float[] y, float[] x, int act, float slope, Rounding r) {
        float[] dz = DenseReference.preActivationGrad(dy, y, act, slope);
        return new float[][] {toFloat(wgradD(pr, rounded(dz, r), rounded(x, r))), toFloat(channelSumsD(rounded(dz, Rounding.NONE), pr.k()))};
    }

    /** Transposed forward: y [N, H, W, C] = act(convT(xt [N, P, Q, K], w) + bias [C]). */
    public static float[] transposedForward(ConvProblem pr, float[] xt, float[] w, float[] bias, int act, float slope, Rounding r) {
        return epilogue(transposedD(pr, rounded(xt, r), rounded(w, r)), bias, pr.c(), act, slope);
    }

    /** Transposed backward data: dxt [N, P, Q, K] = conv(dy * act'(y), w) (the adjoint of transposedD). */
    public static float[] transposedBackwardData(ConvProblem pr, float[] dy, float[] y, float[] w, int act, float slope, Rounding r) {
        float[] dz = DenseReference.preActivationGrad(dy, y, act, slope);
        return toFloat(convD(pr, rounded(dz, r), rounded(w, r)));
    }

    /** Transposed backward weight: {dw [K, R, S, C], db [C]} from xt and dz = dy * act'(y). */
    public static float[][] transposedBackwardWeight(ConvProblem pr, float[] dy, float[] y, float[] xt, int act, float slope,
                                                     Rounding r) {
        float[] dz = DenseReference.preActivationGrad(dy, y, act, slope);
        return new float[][] {toFloat(wgradD(pr, rounded(xt, r), rounded(dz, r))), toFloat(channelSumsD(rounded(dz, Rounding.NONE), pr.c()))};
    }

    /**
     * Per-channel {mean, biased variance} of v [rows, channels] in double: what the batch-norm
     * statistics partials must combine to.
     */
    public static double[][] channelMeanVar(float[] v, int channels) {
        int rows = v.length / channels;
        double[] mean = new double[channels], var = new double[channels];
        for (int i = 0; i < v.length; i++) {
            mean[i % channels] += v[i];
        }
        for (int c = 0; c < channels; c++) {
            mean[c] /= rows;
        }
        for (int i = 0; i < v.length; i++) {
            double d = v[i] - mean[i % channels];
            var[i % channels] += d * d;
        }
        for (int c = 0; c < channels; c++) {
            var[c] /= rows;
        }
        return new double[][] {mean, var};
    }
}
