package jgan.reference;

/** Plain-Java GAN losses in double: the oracle for kernels/gan_loss.cu. kind: 0 linear, 1 hinge, 2 squared. */
public final class GanLossReference {
    private GanLossReference() {
    }

    public record Result(double loss, float[] grad) {
    }

    public static Result lossAndGradient(float[] z, int kind, double target, double factor) {
        double sum = 0;
        float[] grad = new float[z.length];
        for (int i = 0; i < z.length; i++) {
            double l, g;
            switch (kind) {
                case 0 -> {
                    l = target * z[i];
                    g = target;
                }
                case 1 -> {
                    double margin = 1 - target * z[i];
                    l = Math.max(0, margin);
                    g = margin > 0 ? -target : 0;
                }
                default -> {
                    double d = z[i] - target;
                    l = 0.5 * d * d;
                    g = d;
                }
            }
            sum += l;
            grad[i] = (float) (factor * g);
        }
        return new Result(factor * sum, grad);
    }
}
