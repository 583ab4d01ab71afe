package jgan.gan;

import java.nio.FloatBuffer;

import jgan.data.BatchLoader;
import jgan.data.ImageDataset;

/**
 * The real batches of an image run: a jgan.data.BatchLoader over the data set (shuffled every
 * epoch from the run's seed, normalised to [-1, 1], prepared ahead on its background thread).
 * Batch {@code i} depends on the index alone, so a resumed run reads on from batch
 * step * n_critic: the loader is positioned there on the first request (and again should the
 * requests ever jump).
 */
public final class LoaderBatches extends SquareImageBatches {
    private final BatchLoader loader;
    private final float[] scratch;
    private final long images;

    /**
     * @throws IllegalArgumentException when the images are not square, or the batch is larger than the data set
     */
    public LoaderBatches(ImageDataset data, int batch, long seed) {
        super(batch, data.height(), data.channels());
        if (data.height() != data.width()) {
            throw new IllegalArgumentException("images of " + data.name() + " are " + data.height() + "x" + data.width() + ", not square");
        }
        this.loader = new BatchLoader(data, batch, seed);
        this.scratch = new float[loader.floatsPerBatch()];
        this.images = data.count();
    }

    @Override
    public long images() {
        return images;
    }

    /** Images per epoch actually used (the last partial batch of an epoch is dropped). */
    public long batchesPerEpoch() {
        return loader.batchesPerEpoch();
    }

    @Override
    public void fill(long index, FloatBuffer dst) {
        checkIndex(index);
        if (loader.position() != index) {
            loader.seek(index);
        }
        if (dst.hasArray()) { // a Java array (cpu and host devices): straight in
            loader.next(dst.array(), dst.arrayOffset() + dst.position());
            dst.position(dst.position() + scratch.length);
        } else { // pinned memory (GPU)
            loader.next(scratch, 0);
            dst.put(scratch);
        }
    }

    /**
     * Batch {@code index} as {@link #fill} gives it (float NHWC in [-1, 1], {@code batch()} images),
     * made on the calling thread without moving the loader: what training will read is not changed.
     *
     * @throws IllegalArgumentException for a negative index
     */
    public float[] peek(long index) {
        checkIndex(index);
        float[] out = new float[scratch.length];
        loader.batch(index, out, 0);
        return out;
    }

    @Override
    public void close() {
        loader.close();
    }
}
