package jgan.kernels;

/**
 * How a loss kernel combines its per-element losses: the mean or the sum, times a factor (e.g.
 * -1 to maximise). The kernels receive the factor that multiplies the sum.
 */
public record Reduction(boolean mean, float scale) {
    public static final Reduction MEAN = new Reduction(true, 1f);
    public static final Reduction SUM = new Reduction(false, 1f);

    public Reduction {
        Check.finite("loss reduction", "scale", scale);
    }

    /** The same reduction multiplied by {@code factor}. */
    public Reduction times(float factor) {
        return new Reduction(mean, scale * factor);
    }

    /** What multiplies the sum of n per-element losses. */
    public float factor(int n) {
        return mean ? scale / n : scale;
    }
}
