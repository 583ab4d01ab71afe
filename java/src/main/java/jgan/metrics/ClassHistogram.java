package jgan.metrics;

import java.util.Arrays;

/**
 * How a classifier's predictions on generated images spread over its K classes: the counts, the
 * entropy of their frequencies and the KL divergence to the uniform distribution. A generator
 * that covers every class evenly (Fashion-MNIST's test set is balanced) gives an entropy of
 * ln K and a KL of 0; one that collapses onto one class gives 0 and ln K. The image analogue of
 * the 2-D mixtures' modes captured and reverse KL ({@link jgan.gan.ModeMetrics}, after Lin et al.
 * 2018, PacGAN; Srivastava et al. 2017, VEEGAN), here over the classifier's classes.
 *
 * <pre>
 *   p_c = counts[c] / total
 *   entropy     H = -sum_c p_c ln p_c             nats, 0 ln 0 = 0; in [0, ln K]
 *   normalised    H / ln K                        in [0, 1] (1 when K = 1)
 *   klToUniform   KL(p || uniform) = ln K - H     nats; in [0, ln K]
 * </pre>
 */
public final class ClassHistogram {
    private final long[] counts;
    private final long total;

    private ClassHistogram(long[] counts) {
        this.counts = counts;
        long t = 0;
        for (long c : counts) {
            t += c;
        }
        this.total = t;
    }

    /**
     * The histogram of {@code predictions}, each a class index in [0, classes).
     *
     * @throws IllegalArgumentException for classes < 1, no predictions, or a prediction out of
     *                                  range (naming the first and its index)
     */
    public static ClassHistogram of(int[] predictions, int classes) {
        if (classes < 1 || predictions == null || predictions.length == 0) {
            throw new IllegalArgumentException("ClassHistogram: need at least one class and one prediction, got " + classes
                    + " classes and " + (predictions == null ? "null" : predictions.length + " predictions"));
        }
        long[] counts = new long[classes];
        for (int i = 0; i < predictions.length; i++) {
            int c = predictions[i];
            if (c < 0 || c >= classes) {
                throw new IllegalArgumentException("ClassHistogram: prediction " + c + " at index " + i + " is outside [0, "
                        + classes + ")");
            }
            counts[c]++;
        }
        return new ClassHistogram(counts);
    }

    /** A histogram from counts (non-negative, at least one of them positive). */
    public static ClassHistogram ofCounts(long[] counts) {
        if (counts == null || counts.length == 0) {
            throw new IllegalArgumentException("ClassHistogram: need at least one class");
        }
        long t = 0;
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] < 0) {
                throw new IllegalArgumentException("ClassHistogram: count " + counts[c] + " of class " + c + " is negative");
            }
            t += counts[c];
        }
        if (t == 0) {
            throw new IllegalArgumentException("ClassHistogram: all " + counts.length + " counts are 0");
        }
        return new ClassHistogram(counts.clone());
    }

    public int classes() {
        return counts.length;
    }

    /** The count of each class (a copy). */
    public long[] counts() {
        return counts.clone();
    }

    public long total() {
        return total;
    }

    /** p_c = counts[c] / total. */
    public double[] frequencies() {
        double[] p = new double[counts.length];
        for (int c = 0; c < p.length; c++) {
            p[c] = counts[c] / (double) total;
        }
        return p;
    }

    /** Classes predicted at least once. */
    public int classesPresent() {
        return (int) Arrays.stream(counts).filter(c -> c > 0).count();
    }

    /** H = -sum p_c ln p_c in nats (0 ln 0 = 0). */
    public double entropy() {
        double h = 0;
        for (long c : counts) {
            if (c > 0) {
                double p = c / (double) total;
                h -= p * Math.log(p);
            }
        }
        return h;
    }

    /** H / ln K in [0, 1]; 1 when K = 1. */
    public double normalizedEntropy() {
        return counts.length == 1 ? 1.0 : entropy() / Math.log(counts.length);
    }

    /** KL(p || uniform over the K classes) = sum p_c ln(K p_c) = ln K - H, in nats. */
    public double klToUniform() {
        double kl = 0;
        int k = counts.length;
        for (long c : counts) {
            if (c > 0) {
                double p = c / (double) total;
                kl += p * Math.log(k * p);
            }
        }
        return Math.max(0, kl); // >= 0 exactly; rounding can leave -1e-17 for a uniform histogram
    }

    @Override
    public String toString() {
        return String.format("classes %d/%d present, entropy %.4f nats (%.3f of ln %d), KL to uniform %.4f (%d predictions)",
                classesPresent(), counts.length, entropy(), normalizedEntropy(), counts.length, klToUniform(), total);
    }
}
