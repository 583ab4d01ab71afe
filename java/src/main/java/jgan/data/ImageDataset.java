package jgan.data;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * N images held in memory as unsigned 8-bit pixels, NHWC: the byte of image {@code n}, row {@code y},
 * column {@code x}, channel {@code c} is at {@code ((n * height + y) * width + x) * channels + c},
 * read as {@code b & 0xFF} (0 black .. 255 white). Channels are 1 (grey) or 3 (RGB). Optional integer
 * labels (one per image; Fashion-MNIST's class 0..9). Decoded once, kept as bytes (a quarter of the
 * memory of floats); {@link BatchLoader} normalises to [-1, 1] when it makes a batch.
 *
 * <p>The pixel array is not copied out: {@link #pixels()} gives a read-only view. The factory
 * {@link #of} copies its input, so a dataset never changes after it is made.
 */
public final class ImageDataset {
    private final String name;
    private final byte[] pixels;
    private final int count;
    private final int height;
    private final int width;
    private final int channels;
    private final int[] labels;

    /** Trusts its arrays (no copy): for this package's loaders, which hand over arrays they made. */
    ImageDataset(String name, byte[] pixels, int count, int height, int width, int channels, int[] labels) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("an image dataset needs a name (its source, for messages)");
        }
        if (count < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("image dataset " + name + ": count, height and width must be positive, got count " + count
                    + ", " + height + "x" + width);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("image dataset " + name + ": channels must be 1 (grey) or 3 (RGB), got " + channels);
        }
        long expected = (long) count * height * width * channels;
        if (pixels == null || pixels.length != expected) {
            throw new IllegalArgumentException("image dataset " + name + ": " + count + " images of " + height + "x" + width + "x" + channels
                    + " need " + expected + " bytes (NHWC), got " + (pixels == null ? "none" : pixels.length));
        }
        if (labels != null && labels.length != count) {
            throw new IllegalArgumentException("image dataset " + name + ": " + count + " images but " + labels.length + " labels");
        }
        this.name = name;
        this.pixels = pixels;
        this.count = count;
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.labels = labels;
    }

    /** The most bytes one dataset holds: one Java array. */
    public static final long MAX_BYTES = Integer.MAX_VALUE - 64;

    /**
     * Refuses, before any work, a dataset that would not fit in one Java array.
     *
     * @throws IllegalArgumentException naming the source, the sizes and what to lower
     */
    static void checkFits(String name, long count, int height, int width, int channels) {
        long bytes = count * height * width * channels;
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException(name + ": " + count + " images of " + height + "x" + width + "x" + channels + " are " + bytes
                    + " bytes, more than the " + MAX_BYTES + " one dataset holds in memory: use a smaller image size, 1 channel or fewer images");
        }
    }

    /**
     * A dataset of copies of the given arrays.
     *
     * @param name     where the images come from (a folder, "Fashion-MNIST train"), used in messages
     * @param pixels   uint8 NHWC, {@code count * height * width * channels} bytes
     * @param labels   one label per image, or null for none
     * @throws IllegalArgumentException on non-positive sizes, channels other than 1 or 3, or array lengths
     *                                  that do not match the sizes
     */
    public static ImageDataset of(String name, byte[] pixels, int count, int height, int width, int channels, int[] labels) {
        return new ImageDataset(name, pixels == null ? null : pixels.clone(), count, height, width, channels,
                labels == null ? null : labels.clone());
    }

    /** Where the images come from, for messages. */
    public String name() {
        return name;
    }

    /** N, the number of images. */
    public int count() {
        return count;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** 1 (grey) or 3 (RGB). */
    public int channels() {
        return channels;
    }

    /** Bytes (= values) per image: height * width * channels. */
    public int imageSize() {
        return height * width * channels;
    }

    /** A read-only view of all pixels, uint8 NHWC (read a value as {@code b & 0xFF}). */
    public ByteBuffer pixels() {
        return ByteBuffer.wrap(pixels).asReadOnlyBuffer();
    }

    /** The raw array, for this package's batch maker (never handed out). */
    byte[] rawPixels() {
        return pixels;
    }

    /** A copy of image {@code i}: {@link #imageSize()} bytes, HWC. */
    public byte[] image(int i) {
        checkIndex(i);
        int s = imageSize();
        return Arrays.copyOfRange(pixels, i * s, (i + 1) * s);
    }

    /** The pixel value 0..255 of image {@code i} at row y, column x, channel c. */
    public int pixel(int i, int y, int x, int c) {
        checkIndex(i);
        if (y < 0 || y >= height || x < 0 || x >= width || c < 0 || c >= channels) {
            throw new IndexOutOfBoundsException("pixel (" + y + ", " + x + ", " + c + ") outside " + height + "x" + width + "x" + channels);
        }
        return pixels[((i * height + y) * width + x) * channels + c] & 0xFF;
    }

    public boolean hasLabels() {
        return labels != null;
    }

    /** The label of image {@code i}. @throws IllegalStateException when the dataset has no labels */
    public int label(int i) {
        if (labels == null) {
            throw new IllegalStateException("image dataset " + name + " has no labels");
        }
        checkIndex(i);
        return labels[i];
    }

    /** A copy of the labels, or null when the dataset has none. */
    public int[] labels() {
        return labels == null ? null : labels.clone();
    }

    /** The first {@code n} images (and labels), e.g. to train on a subset; this dataset when n equals count. */
    public ImageDataset head(int n) {
        if (n < 1 || n > count) {
            throw new IllegalArgumentException("image dataset " + name + ": cannot take the first " + n + " of " + count + " images");
        }
        if (n == count) {
            return this;
        }
        return new ImageDataset(name + " (first " + n + ")", Arrays.copyOf(pixels, n * imageSize()), n, height, width, channels,
                labels == null ? null : Arrays.copyOf(labels, n));
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("image " + i + " of " + count + " (" + name + ")");
        }
    }

    @Override
    public String toString() {
        return name + ": " + count + " images " + height + "x" + width + "x" + channels + (labels != null ? " with labels" : "");
    }
}
