package jgan.gan;

/**
 * The shape half of a {@link RealBatches} over square images: batch, side and channels fixed at
 * construction, and the batch index check every {@link RealBatches#fill} makes. Shared by
 * {@link LoaderBatches} and {@link RandomImageBatches}.
 */
abstract class SquareImageBatches implements RealBatches {
    private final int batch;
    private final int size;
    private final int channels;

    /** Images per batch, height = width of each image in pixels, and channels (NHWC). */
    SquareImageBatches(int batch, int size, int channels) {
        this.batch = batch;
        this.size = size;
        this.channels = channels;
    }

    @Override
    public final int batch() {
        return batch;
    }

    @Override
    public final int imageSize() {
        return size;
    }

    @Override
    public final int channels() {
        return channels;
    }

    /**
     * @throws IllegalArgumentException when {@code index} is negative
     */
    static void checkIndex(long index) {
        if (index < 0) {
            throw new IllegalArgumentException("batch index must be >= 0, got " + index);
        }
    }
}
