package jgan.gan;

import java.util.LinkedHashMap;
import java.util.Map;

import jgan.data.Mixture;

/**
 * The mode-collapse numbers of PacGAN's Table 1 for samples of a 2-D mixture:
 * <ul>
 *   <li>a sample is high quality if it lies within 3 standard deviations of its nearest mode;</li>
 *   <li>a mode is captured if it is the nearest mode of at least one high-quality sample;</li>
 *   <li>reverse KL: KL(p || uniform) of p, the histogram of the high-quality samples over their
 *   nearest modes (0 when every mode gets the same share; log(modes) when one mode gets all).</li>
 * </ul>
 */
public record ModeMetrics(int modes, int modesCaptured, double highQualityFraction, double reverseKl, int samples) {

    public static ModeMetrics of(Mixture mixture, float[] xy) {
        int k = mixture.modes(), n = xy.length / 2;
        int[] counts = new int[k];
        int good = 0;
        for (int i = 0; i < n; i++) {
            float x = xy[2 * i], y = xy[2 * i + 1];
            if (!Float.isFinite(x) || !Float.isFinite(y)) {
                continue;
            }
            int mode = mixture.nearestMode(x, y);
            if (mixture.distanceToMode(x, y, mode) <= 3 * mixture.std()) {
                counts[mode]++;
                good++;
            }
        }
        int captured = 0;
        double kl = 0;
        for (int c : counts) {
            if (c > 0) {
                captured++;
                double p = c / (double) good;
                kl += p * Math.log(p * k);
            }
        }
        // With no high-quality sample at all the histogram is undefined: report the worst value.
        return new ModeMetrics(k, captured, n == 0 ? 0 : good / (double) n, good == 0 ? Math.log(k) : kl, n);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("modes", modes);
        m.put("modes_captured", modesCaptured);
        m.put("high_quality_fraction", highQualityFraction);
        m.put("reverse_kl", reverseKl);
        m.put("samples", samples);
        return m;
    }

    @Override
    public String toString() {
        return String.format("modes captured %d/%d, high-quality samples %.1f%%, reverse KL %.4f (%d samples)", modesCaptured, modes,
                100 * highQualityFraction, reverseKl, samples);
    }
}
