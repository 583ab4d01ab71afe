package jgan.gan;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Synthetic image batches with no data set behind them: batch {@code index} is a smooth random
 * pattern per image (a sum of two random oriented waves and a random offset, clipped to [-1, 1])
 * drawn from {@code seed} and the index alone. For {@code jgan bench} on image models (it measures
 * the step, not the data) and for tests; real runs read jgan.data.
 */
public final class RandomImageBatches extends SquareImageBatches {
    private final long seed;

    /**
     * @throws IllegalArgumentException when a size is below 1 or channels is not 1 or 3
     */
    public RandomImageBatches(int batch, int imageSize, int channels, long seed) {
        super(batch, imageSize, channels);
        if (batch < 1 || imageSize < 1 || (channels != 1 && channels != 3)) {
            throw new IllegalArgumentException("random image batches need batch >= 1, image size >= 1 and 1 or 3 channels, got " + batch
                    + ", " + imageSize + " and " + channels);
        }
        this.seed = seed;
    }

    @Override
    public void fill(long index, FloatBuffer dst) {
        checkIndex(index);
        int batch = batch(), size = imageSize(), channels = channels();
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        for (int i = 0; i < batch; i++) {
            double fx = rng.nextDouble(-0.5, 0.5), fy = rng.nextDouble(-0.5, 0.5), gx = rng.nextDouble(-0.3, 0.3),
                    gy = rng.nextDouble(-0.3, 0.3), off = rng.nextDouble(-0.3, 0.3);
            double[] tint = {rng.nextDouble(0.5, 1), rng.nextDouble(0.5, 1), rng.nextDouble(0.5, 1)};
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    double v = off + 0.5 * Math.sin(fx * x + fy * y) + 0.5 * Math.cos(gx * x - gy * y);
                    for (int c = 0; c < channels; c++) {
                        dst.put((float) Math.max(-1, Math.min(1, v * tint[c])));
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        // nothing held
    }
}
