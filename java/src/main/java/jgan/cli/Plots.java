package jgan.cli;

import jgan.data.Mixture;
import jgan.io.ScatterPlot;
import jgan.reference.MixtureSampleReference;

/** The run folder's pictures. */
final class Plots {
    static final int REAL_GREY = 0x9aa5b1;
    static final int FAKE_ORANGE = 0xe8590c;

    private Plots() {
    }

    /** Real points (grey), generated points (orange) and the modes (black), over 1.5x the modes' extent. */
    static ScatterPlot samples(Mixture m, float[] generated, long seed, long step) {
        float[] c = m.centers();
        double extent = 0;
        for (float v : c) {
            extent = Math.max(extent, Math.abs(v));
        }
        extent = 1.5 * extent;
        float[] real = MixtureSampleReference.sample(generated.length / 2, c, m.std(), seed + 17, 0);
        return new ScatterPlot(640, -extent, extent).points(real, REAL_GREY, 3).points(generated, FAKE_ORANGE, 3).points(c, 0x000000, 5);
    }
}
