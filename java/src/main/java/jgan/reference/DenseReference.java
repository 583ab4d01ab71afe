package jgan.reference;

/**
 * Plain-Java dense layer, accumulating in double: the oracle for kernels/dense.cu. Row-major
 * x [rows, in], w [out, in], b [out], y [rows, out]. {@code act}: 0 identity, 1 ReLU, 2 leaky
 * ReLU, 3 tanh. An optional operand rounding (e.g. to tf32) is applied to every GEMM input.
 */
public final class DenseReference {
    private DenseReference() {
    }

    /** Rounds a GEMM operand as the math mode would (identity for FP32). */
    public interface Rounding {
        float round(float v);

        Rounding NONE = v -> v;
    }

    /** The fused activation (codes of jgan.kernels.Activation; kernels/activation.cuh), NaN passing through as in PyTorch. */
    public static double activate(double v, int act, double slope) {
        switch (act) {
            case 1: return v < 0 ? 0 : v;
            case 2: return v < 0 ? slope * v : v;
            case 3: return Math.tanh(v);
            default: return v;
        }
    }

    /** d act / d pre-activation from the activation's output y. */
    public static double activationGrad(double y, int act, double slope) {
        switch (act) {
            case 1: return y > 0 ? 1 : 0;
            case 2: return y > 0 ? 1 : slope;
            case 3: return 1 - y * y;
            default: return 1;
        }
    }

    public static float[] forward(float[] x, float[] w, float[] b, int rows, int in, int out, int act, float slope, Rounding r) {
        float[] y = new float[rows * out];
        for (int m = 0; m < rows; m++) {
            for (int n = 0; n < out; n++) {
                double s = 0;
                for (int k = 0; k < in; k++) {
                    s += (double) r.round(x[m * in + k]) * r.round(w[n * in + k]);
                }
                y[m * out + n] = (float) activate((float) s + (b == null ? 0f : b[n]), act, slope);
            }
        }
        return y;
    }

    /** dz = dy * act'(y), in float as the kernels form it before rounding. */
    public static float[] preActivationGrad(float[] dy, float[] y, int act, float slope) {
        float[] dz = new float[dy.length];
        for (int i = 0; i < dy.length; i++) {
            dz[i] = (float) (dy[i] * activationGrad(y[i], act, slope));
        }
        return dz;
    }

    public static float[] backwardData(float[] dy, float[] y, float[] w, int rows, int in, int out, int act, float slope,
                                       Rounding r) {
        float[] dz = preActivationGrad(dy, y, act, slope);
        float[] dx = new float[rows * in];
        for (int m = 0; m < rows; m++) {
            for (int n = 0; n < in; n++) {
                double s = 0;
                for (int k = 0; k < out; k++) {
                    s += (double) r.round(dz[m * out + k]) * r.round(w[k * in + n]);
                }
                dx[m * in + n] = (float) s;
            }
        }
        return dx;
    }

    /** Returns {dw [out*in], db [out]}. */
    public static float[][] backwardWeight(float[] dy, float[] y, float[] x, int rows, int in, int out, int act, float slope,
                                           Rounding r) {
        float[] dz = preActivationGrad(dy, y, act, slope);
        float[] dw = new float[out * in];
        float[] db = new float[out];
        for (int o = 0; o < out; o++) {
            double bs = 0;
            for (int b = 0; b < rows; b++) {
                bs += dz[b * out + o];
            }
            db[o] = (float) bs;
            for (int i = 0; i < in; i++) {
                double s = 0;
                for (int b = 0; b < rows; b++) {
                    s += (double) r.round(dz[b * out + o]) * r.round(x[b * in + i]);
                }
                dw[o * in + i] = (float) s;
            }
        }
        return new float[][] {dw, db};
    }

    /** Sum of |a||b| over the dot product behind each output: the scale of its rounding error. */
    public static float[] forwardMagnitude(float[] x, float[] w, int rows, int in, int out) {
        float[] mag = new float[rows * out];
        for (int m = 0; m < rows; m++) {
            for (int n = 0; n < out; n++) {
                double s = 0;
                for (int k = 0; k < in; k++) {
                    s += Math.abs((double) x[m * in + k] * w[n * in + k]);
                }
                mag[m * out + n] = (float) s;
            }
        }
        return mag;
    }
}
