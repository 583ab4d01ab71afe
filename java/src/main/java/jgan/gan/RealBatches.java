package jgan.gan;

import java.nio.FloatBuffer;

/**
 * Where an image run's real batches come from: batch number {@code index} (0, 1, 2, ... over the
 * whole run, across epochs) is decided by the index alone, so a run resumed at step s continues
 * with batch s * n_critic and sees exactly the images an uninterrupted run sees.
 * {@link AdversarialStep} asks for them in increasing order, n_critic per step, and copies them
 * into the device buffer the step reads (jgan.device.UploadRing).
 */
public interface RealBatches extends AutoCloseable {
    /** Images per batch. */
    int batch();

    /** Image height = width in pixels. */
    int imageSize();

    /** 1 (grey) or 3 (RGB). */
    int channels();

    /**
     * Writes batch {@code index} at {@code dst}'s position as float NHWC in [-1, 1]
     * ({@code batch() * imageSize()^2 * channels()} floats), advancing the position past them.
     *
     * @throws IllegalArgumentException for a negative index
     */
    void fill(long index, FloatBuffer dst);

    /** Images in the data set behind the batches (stated in checkpoints, so a resume on changed data is noticed); -1 when there is no data set. */
    default long images() {
        return -1;
    }

    /** Floats of one batch. */
    default int floatsPerBatch() {
        return batch() * imageSize() * imageSize() * channels();
    }

    @Override
    void close();
}
