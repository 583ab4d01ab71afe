package jgan.reference;

/**
 * Plain-Java sigmoid cross-entropy with logits, in double: the oracle for
 * kernels/sigmoid_cross_entropy.cu. {@code factor} is what multiplies the sum (1/n for a mean).
 */
public final class SigmoidCrossEntropyReference {
    private SigmoidCrossEntropyReference() {
    }

    public record Result(double loss, float[] grad) {
    }

    public static Result lossAndGradient(float[] z, float[] t, float[] w, double factor) {
        double sum = 0;
        float[] grad = new float[z.length];
        for (int i = 0; i < z.length; i++) {
            double zi = z[i], ti = t[i], wi = w == null ? 1.0 : w[i];
            double e = Math.exp(-Math.abs(zi));
            double l = Math.max(zi, 0) - zi * ti + Math.log1p(e);
            double m = e / (1 + e); // s(-|z|): s(z) - t formed from it keeps the tiny gradient of |z| > 37
            sum += wi * l;
            grad[i] = (float) (factor * wi * (zi >= 0 ? (1 - ti) - m : m - ti));
        }
        return new Result(factor * sum, grad);
    }
}
