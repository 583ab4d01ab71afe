package jgan.cli;

import java.util.Locale;

import jgan.data.Mixture;
import jgan.io.ScatterPlot;
import jgan.reference.MixtureSampleReference;

/** The run folder's pictures. */
final class Plots {
    static final int REAL_GREY = 0x9aa5b1;
    static final int FAKE_ORANGE = 0xe8590c;

    private Plots() {
    }

    /** Real points (grey), generated points (orange) and the modes (black), over 1.5x the modes' extent, titled with the step. */
    static ScatterPlot samples(Mixture m, float[] generated, long seed, long step) {
        float[] c = m.centers();
        double extent = 0;
        for (float v : c) {
            extent = Math.max(extent, Math.abs(v));
        }
        extent = 1.5 * extent;
        float[] real = MixtureSampleReference.sample(generated.length / 2, c, m.std(), seed + 17, 0);
        String title = String.format(Locale.ROOT, "%s: generated points after %,d steps", m.name(), step);
        return new ScatterPlot(title, 640, -extent, extent).points("real", real, REAL_GREY).points("generated", generated, FAKE_ORANGE)
                .points("modes", c, 0x000000);
    }
}
