package jgan.data;

import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Batches of real images for training: {@code batch} images of an {@link ImageDataset} as float32 NHWC
 * ({@code [batch, height, width, channels]}, the device layout) normalised to [-1, 1] by {@code x / 127.5 - 1}
 * (torchvision's {@code ToTensor()} then {@code Normalize(0.5, 0.5)}, up to float rounding; 0 -> -1, 255 -> 1).
 *
 * <p>Batch {@code i} of a run is a function of {@code (dataset, batch, seed, i)} alone: epoch
 * {@code e = i / batchesPerEpoch} with {@code batchesPerEpoch = count / batch} (the last partial batch of an epoch
 * is dropped, as PyTorch's {@code DataLoader(drop_last=True)}), and within it images
 * {@code perm_e[(i mod batchesPerEpoch) * batch + j]}, where {@code perm_e} is a Fisher-Yates shuffle of
 * {@code 0..count-1} driven by {@code SplittableRandom(mix(seed, e))}. So every image appears at most once per
 * epoch, and a run resumed at batch {@code i} ({@link #seek}) gets exactly the batches an uninterrupted run would.
 *
 * <p>A background thread ("jgan-batch-loader", a daemon) prepares the next {@code ahead} batches; what
 * {@link #next} returns does not depend on its timing. Not for use by several threads at once. Close it to stop
 * the thread.
 */
public final class BatchLoader implements AutoCloseable {
    /** Batches prepared ahead by default. */
    public static final int DEFAULT_AHEAD = 3;

    private static final float[] NORMALISED = new float[256];

    static {
        for (int v = 0; v < 256; v++) {
            NORMALISED[v] = (float) (v / 127.5 - 1.0);
        }
    }

    private final ImageDataset data;
    private final int batch;
    private final long seed;
    private final int batchesPerEpoch;
    private final int floatsPerBatch;

    private final Object lock = new Object();
    private long generation; // guarded by lock: changes on every seek
    private long produceNext; // guarded by lock: the next batch index the worker makes
    private boolean closed; // guarded by lock
    private volatile Throwable failure;

    private long position; // the consumer's next batch index
    private final BlockingQueue<float[]> free;
    private final BlockingQueue<Slot> ready;
    private final Thread worker;
    private final Shuffle consumerShuffle = new Shuffle();

    private record Slot(long generation, long index, float[] values) {
    }

    /** The permutation of the current epoch, cached per thread that makes batches. */
    private final class Shuffle {
        long epoch = -1;
        int[] perm;

        int[] of(long e) {
            if (e != epoch) {
                perm = permutation(seed, e, data.count());
                epoch = e;
            }
            return perm;
        }
    }

    /** {@link #BatchLoader(ImageDataset, int, long, int)} with {@link #DEFAULT_AHEAD} batches ahead, starting at batch 0. */
    public BatchLoader(ImageDataset data, int batch, long seed) {
        this(data, batch, seed, DEFAULT_AHEAD);
    }

    /**
     * @param data  the images
     * @param batch images per batch, 1..data.count()
     * @param seed  the shuffle's seed (the run's seed)
     * @param ahead batches the background thread prepares ahead, 1..64
     * @throws IllegalArgumentException when batch is not positive or exceeds the number of images, or ahead is out of range
     */
    public BatchLoader(ImageDataset data, int batch, long seed, int ahead) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batch);
        }
        if (batch > data.count()) {
            throw new IllegalArgumentException("batch size " + batch + " is larger than the dataset (" + data.count() + " images in "
                    + data.name() + "): use --batch " + data.count() + " or less, or more images");
        }
        if (ahead < 1 || ahead > 64) {
            throw new IllegalArgumentException("batches prepared ahead must be 1..64, got " + ahead);
        }
        long floats = (long) batch * data.imageSize();
        if (floats > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("a batch of " + batch + " images of " + data.height() + "x" + data.width() + "x" + data.channels()
                    + " is " + floats + " floats, more than one Java array holds");
        }
        this.data = data;
        this.batch = batch;
        this.seed = seed;
        this.batchesPerEpoch = data.count() / batch;
        this.floatsPerBatch = (int) floats;
        this.free = new ArrayBlockingQueue<>(ahead + 1);
        this.ready = new ArrayBlockingQueue<>(ahead + 1);
        for (int i = 0; i < ahead + 1; i++) {
            free.add(new float[floatsPerBatch]);
        }
        this.worker = new Thread(this::work, "jgan-batch-loader");
        worker.setDaemon(true);
        worker.start();
    }

    public ImageDataset dataset() {
        return data;
    }

    public int batchSize() {
        return batch;
    }

    public long seed() {
        return seed;
    }

    /** count / batch: whole batches per epoch (the rest of an epoch is dropped). */
    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    /** batch * height * width * channels: the length {@link #next(float[])} fills. */
    public int floatsPerBatch() {
        return floatsPerBatch;
    }

    /** The index of the batch the next {@link #next} gives. */
    public long position() {
        return position;
    }

    /**
     * Positions the loader so that the next {@link #next} gives batch {@code batchIndex} (a run resumed at step s
     * with n batches per step seeks to s * n).
     *
     * @throws IllegalArgumentException when batchIndex is negative
     */
    public void seek(long batchIndex) {
        if (batchIndex < 0) {
            throw new IllegalArgumentException("batch index must be >= 0, got " + batchIndex);
        }
        synchronized (lock) {
            checkOpen();
        }
        // drop what was made for the old position BEFORE the new generation starts: a slot of the new generation
        // taken here would be lost (slots made between this and the change below are old and dropped by next)
        Slot s;
        while ((s = ready.poll()) != null) {
            free.add(s.values());
        }
        synchronized (lock) {
            generation++;
            produceNext = batchIndex;
        }
        position = batchIndex;
    }

    /** The next batch into {@code into[0 .. floatsPerBatch)}. */
    public void next(float[] into) {
        next(into, 0);
    }

    /**
     * The next batch, float32 NHWC in [-1, 1], into {@code into[offset .. offset + floatsPerBatch)}, and the position
     * moves on by one.
     *
     * @throws IllegalArgumentException when the array is too short
     * @throws IllegalStateException    when the loader is closed, or its thread failed
     */
    public void next(float[] into, int offset) {
        checkRange(into, offset);
        long gen;
        synchronized (lock) {
            checkOpen();
            gen = generation;
        }
        while (true) {
            Slot s;
            try {
                s = ready.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a batch", e);
            }
            if (s == null) {
                Throwable f = failure;
                if (f != null) {
                    throw new IllegalStateException("the batch loader's thread failed: " + f, f);
                }
                synchronized (lock) {
                    checkOpen();
                }
                continue;
            }
            if (s.generation() != gen) { // made before the last seek
                free.add(s.values());
                continue;
            }
            if (s.index() != position) { // cannot happen: one worker makes a generation's batches in order
                throw new IllegalStateException("batch loader out of step: got batch " + s.index() + ", expected " + position);
            }
            System.arraycopy(s.values(), 0, into, offset, floatsPerBatch);
            free.add(s.values());
            position++;
            return;
        }
    }

    /**
     * Batch {@code batchIndex} made on the calling thread, without the background thread and without moving the
     * position: what {@link #next} gives at that position.
     */
    public void batch(long batchIndex, float[] into, int offset) {
        if (batchIndex < 0) {
            throw new IllegalArgumentException("batch index must be >= 0, got " + batchIndex);
        }
        checkRange(into, offset);
        fill(batchIndex, into, offset, consumerShuffle);
    }

    /** The dataset indices of the images of batch {@code batchIndex}, in batch order. */
    public int[] indices(long batchIndex) {
        if (batchIndex < 0) {
            throw new IllegalArgumentException("batch index must be >= 0, got " + batchIndex);
        }
        int[] perm = consumerShuffle.of(batchIndex / batchesPerEpoch);
        int from = (int) (batchIndex % batchesPerEpoch) * batch;
        int[] out = new int[batch];
        System.arraycopy(perm, from, out, 0, batch);
        return out;
    }

    /**
     * The shuffle of epoch {@code epoch}: Fisher-Yates (Durstenfeld) over 0..n-1 with
     * {@code SplittableRandom(mix(seed, epoch))}, where mix is SplitMix64's finaliser of seed + (epoch + 1) * golden
     * ratio, so that nearby seeds and epochs give unrelated streams.
     */
    public static int[] permutation(long seed, long epoch, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(mix(seed + (epoch + 1) * 0x9E3779B97F4A7C15L));
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private void fill(long index, float[] into, int offset, Shuffle shuffle) {
        int[] perm = shuffle.of(index / batchesPerEpoch);
        int from = (int) (index % batchesPerEpoch) * batch;
        int s = data.imageSize();
        byte[] px = data.rawPixels();
        for (int j = 0; j < batch; j++) {
            int src = perm[from + j] * s;
            int dst = offset + j * s;
            for (int k = 0; k < s; k++) {
                into[dst + k] = NORMALISED[px[src + k] & 0xFF];
            }
        }
    }

    private void work() {
        Shuffle shuffle = new Shuffle();
        try {
            while (true) {
                float[] buf = free.poll(100, TimeUnit.MILLISECONDS);
                long gen;
                long index;
                synchronized (lock) {
                    if (closed) {
                        return;
                    }
                    if (buf == null) {
                        continue;
                    }
                    gen = generation;
                    index = produceNext++;
                }
                fill(index, buf, 0, shuffle);
                ready.add(new Slot(gen, index, buf)); // never full: buffers bound the slots
            }
        } catch (InterruptedException e) {
            // closed
        } catch (Throwable t) {
            failure = t;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the batch loader of " + data.name() + " is closed");
        }
    }

    private void checkRange(float[] into, int offset) {
        if (offset < 0 || into.length - offset < floatsPerBatch) {
            throw new IllegalArgumentException("a batch of " + batch + " images " + data.height() + "x" + data.width() + "x" + data.channels()
                    + " needs " + floatsPerBatch + " floats from offset " + offset + ", the array has " + into.length);
        }
    }

    /** Stops the background thread (waits for it); later calls to next or seek throw. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        worker.interrupt();
        try {
            worker.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
