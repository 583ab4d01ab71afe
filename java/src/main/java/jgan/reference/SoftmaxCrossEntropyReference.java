package jgan.reference;

/**
 * Plain-Java softmax cross-entropy with logits and integer labels, in double: the oracle for
 * kernels/softmax_cross_entropy.cu. Logits are [rows, classes] row-major; {@code factor}
 * multiplies the sum of the per-row losses (1/rows for a mean). The textbook form:
 * {@code l_r = m_r + log(sum_k exp(z_rk - m_r)) - z_ry}, {@code grad_rk = factor (p_rk - [k == y_r])}
 * with {@code p_rk = exp(z_rk - m_r) / sum}. Non-finite input follows IEEE arithmetic (a NaN or
 * +Inf logit, or a row of -Inf only, gives NaN); a label outside [0, classes) gives a NaN row.
 * The prediction is the first index of the maximum, NaN counting as the maximum (torch.argmax).
 */
public final class SoftmaxCrossEntropyReference {
    private SoftmaxCrossEntropyReference() {
    }

    public record Result(double loss, float[] grad, int[] predictions) {
    }

    public static Result lossAndGradient(float[] z, int rows, int classes, int[] labels, double factor) {
        if ((long) rows * classes != z.length || labels.length != rows) {
            throw new IllegalArgumentException("reference softmax cross-entropy: " + z.length + " logits and " + labels.length
                    + " labels for [" + rows + ", " + classes + "]");
        }
        double sum = 0;
        float[] grad = new float[z.length];
        int[] pred = new int[rows];
        for (int r = 0; r < rows; r++) {
            int base = r * classes, y = labels[r];
            double m = Double.NEGATIVE_INFINITY;
            int arg = 0;
            for (int k = 0; k < classes; k++) {
                double v = z[base + k];
                m = Math.max(m, v); // Math.max returns NaN for a NaN: the whole row is NaN then
                double best = z[base + arg];
                if (!Double.isNaN(best) && (Double.isNaN(v) || v > best)) {
                    arg = k;
                }
            }
            pred[r] = arg;
            double s = 0;
            for (int k = 0; k < classes; k++) {
                s += Math.exp(z[base + k] - m);
            }
            boolean bad = y < 0 || y >= classes;
            double l = bad ? Double.NaN : m + Math.log(s) - z[base + y];
            sum += l;
            for (int k = 0; k < classes; k++) {
                double p = Math.exp(z[base + k] - m) / s - (k == y ? 1 : 0);
                grad[base + k] = bad ? Float.NaN : (float) (factor * p);
            }
        }
        return new Result(factor * sum, grad, pred);
    }
}
