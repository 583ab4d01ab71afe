package jgan.metrics;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jgan.data.BatchLoader;
import jgan.data.ImageDataset;

/**
 * Generated 28x28 grey images scored against Fashion-MNIST in a {@link Classifier}'s feature space
 * (its 128-wide penultimate layer): the image analogue of FID, improved precision/recall and a
 * class histogram, each with the value real images get, so a number can be read against its floor.
 *
 * <pre>
 *   fd          FD(generated [n], test set [all])                  {@link FrechetDistance}, squared feature units
 *   fd_floor    FD(n training images drawn by the seed, test set)  what real images score at the same count
 *   precision, recall       (k = 3) generated [n] against m test images drawn by the seed, m = min(n, test count)
 *   precision_real, recall_real   the same for the n training images (the values to expect of a perfect generator)
 *   classes     {@link ClassHistogram} of the classifier's predictions on the generated images
 * </pre>
 * FD is biased upwards at small n (the floor shows by how much), so compare runs at the same n.
 * When n exceeds the training set, all of it is used (the floor's count is then smaller).
 */
public final class ImageEvaluation {
    private ImageEvaluation() {
    }

    /**
     * The scores of one set of generated images.
     *
     * @param count          generated images scored
     * @param fd             Fréchet distance to the test set
     * @param fdFloor        Fréchet distance of {@code floorCount} real training images to the test set
     * @param floorCount     training images behind the floors
     * @param prGenerated    precision/recall of the generated images
     * @param prReal         precision/recall of the training images (the floor's sample)
     * @param classes        the classifier's predictions on the generated images
     */
    public record Result(int count, double fd, double fdFloor, int floorCount, PrecisionRecall.Result prGenerated,
                         PrecisionRecall.Result prReal, ClassHistogram classes) {
        /** The numbers as a JSON-ready map (metrics.json). */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("count", count);
            m.put("fd", fd);
            m.put("fd_floor", fdFloor);
            m.put("floor_count", floorCount);
            m.put("precision", prGenerated.precision());
            m.put("recall", prGenerated.recall());
            m.put("precision_real", prReal.precision());
            m.put("recall_real", prReal.recall());
            m.put("k", prGenerated.k());
            m.put("pr_real_count", prGenerated.realCount());
            m.put("class_counts", Arrays.stream(classes.counts()).boxed().toList());
            m.put("classes_present", classes.classesPresent());
            m.put("class_entropy", classes.entropy());
            m.put("class_entropy_normalized", classes.normalizedEntropy());
            m.put("class_kl_uniform", classes.klToUniform());
            return m;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "FD %.4f (real images: %.4f)  precision %.3f  recall %.3f (real images: %.3f, %.3f)"
                    + "  classes %d/%d, entropy %.3f nats (KL to uniform %.3f)  [%d images]", fd, fdFloor, prGenerated.precision(),
                    prGenerated.recall(), prReal.precision(), prReal.recall(), classes.classesPresent(), classes.classes(), classes.entropy(),
                    classes.klToUniform(), count);
        }
    }

    /**
     * Scores {@code n} generated images.
     *
     * @param images n images in [-1, 1], [n, 28, 28, 1] (= [n, 1, 28, 28] NCHW for one channel), row-major
     * @param train  real images for the floor (Fashion-MNIST's training set)
     * @param test   the reference set (Fashion-MNIST's test set)
     * @param seed   draws the training sample and the test subset for precision/recall
     * @throws IllegalArgumentException for n < 4 (precision/recall's k = 3 needs more), a wrong length, a non-finite value,
     *                                  or datasets that are not 28x28x1
     */
    public static Result evaluate(Classifier classifier, float[] images, int n, ImageDataset train, ImageDataset test, long seed) {
        checkImages(images, n);
        return evaluate(classifier, images, n, Reference.of(classifier, train, test, n, seed));
    }

    /**
     * The real side of an evaluation, computed once for a count of generated images and reused
     * (training's --eval-every scores G many times against the same reference): the reference
     * set's features, the floor sample's features, FD(floor sample, reference) and the floor's
     * precision/recall.
     *
     * @param count      generated images this reference is for (the floor is drawn at this count)
     * @param name       the reference set's name (for metrics.json)
     * @param refCount   images in the reference set
     * @param refF       their features [refCount, 128]
     * @param prRealF    the m reference images' features that precision/recall compares against [m, 128]
     * @param prRealCount m = min(count, refCount)
     * @param fdFloor    FD(floor sample, reference)
     * @param floorCount images in the floor sample = min(count, floor set size)
     * @param prReal     precision/recall of the floor sample
     */
    public record Reference(int count, String name, int refCount, float[] refF, float[] prRealF, int prRealCount, double fdFloor,
                            int floorCount, PrecisionRecall.Result prReal) {
        /**
         * The reference of {@link #evaluate(Classifier, float[], int, ImageDataset, ImageDataset, long)}:
         * {@code test} is the reference set, {@code train} gives the floor's sample (n images drawn by the seed).
         *
         * @throws IllegalArgumentException when n &lt;= k (3) or a dataset is not 28x28x1 (the classifier's check)
         */
        public static Reference of(Classifier classifier, ImageDataset train, ImageDataset test, int n, long seed) {
            if (n <= PrecisionRecall.DEFAULT_K) {
                throw new IllegalArgumentException("image evaluation: need more than " + PrecisionRecall.DEFAULT_K + " images, got " + n);
            }
            int d = Classifier.FEATURES;
            float[] testF = classifier.run(test).features();
            int floorCount = Math.min(n, train.count());
            float[] trainF = classifier.run(sample(train, floorCount, seed, 1)).features();
            int m = Math.min(n, test.count());
            float[] realF = m == test.count() ? testF : rows(testF, BatchLoader.permutation(seed, 2, test.count()), m, d);
            double floor = FrechetDistance.distance(trainF, floorCount, testF, test.count(), d);
            PrecisionRecall.Result prReal = PrecisionRecall.compute(realF, m, trainF, floorCount, d);
            return new Reference(n, test.name(), test.count(), testF, realF, m, floor, floorCount, prReal);
        }
    }

    /**
     * Scores {@code n} generated images against a reference made for that count.
     *
     * @throws IllegalArgumentException as {@link #evaluate(Classifier, float[], int, ImageDataset, ImageDataset, long)},
     *                                  or when n differs from the reference's count
     */
    public static Result evaluate(Classifier classifier, float[] images, int n, Reference ref) {
        checkImages(images, n);
        if (n != ref.count()) {
            throw new IllegalArgumentException("image evaluation: the reference was drawn for " + ref.count() + " images, got " + n);
        }
        int d = Classifier.FEATURES;
        Classifier.Outputs fake = classifier.run(images, n);
        double fd = FrechetDistance.distance(fake.features(), n, ref.refF(), ref.refCount(), d);
        PrecisionRecall.Result pr = PrecisionRecall.compute(ref.prRealF(), ref.prRealCount(), fake.features(), n, d);
        return new Result(n, fd, ref.fdFloor(), ref.floorCount(), pr, ref.prReal(), ClassHistogram.of(fake.predictions(), Classifier.CLASSES));
    }

    private static void checkImages(float[] images, int n) {
        if (n <= PrecisionRecall.DEFAULT_K) {
            throw new IllegalArgumentException("image evaluation: need more than " + PrecisionRecall.DEFAULT_K + " images, got " + n);
        }
        for (int i = 0; i < images.length; i++) {
            if (!Float.isFinite(images[i])) {
                throw new IllegalArgumentException("image evaluation: image " + i / 784 + " holds a non-finite value (" + images[i] + ")");
            }
        }
    }

    /**
     * Generated images of any size and channel count brought to the classifier's 28x28 grey input
     * the way jgan.data.ImageFolder brings a file there (8-bit round((v + 1) * 127.5), shorter side
     * resized, centre crop, RGB to grey by BT.601 luma), back in [-1, 1]. Images already 28x28x1 are
     * returned as they are (no rounding).
     *
     * @param nchw float32 NCHW [n, c, h, w] in [-1, 1]
     * @return [n, 28, 28, 1] in [-1, 1]
     */
    public static float[] toClassifierInput(float[] nchw, int n, int c, int h, int w) {
        if (c == Classifier.CHANNELS && h == Classifier.IMAGE_SIZE && w == Classifier.IMAGE_SIZE) {
            return nchw;
        }
        byte[] px = new byte[n * c * h * w];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < c; k++) {
                for (int p = 0; p < h * w; p++) {
                    float v = nchw[(i * c + k) * h * w + p];
                    long q = Math.round((Math.max(-1f, Math.min(1f, v)) + 1) * 127.5);
                    px[(i * h * w + p) * c + k] = (byte) q; // NHWC bytes
                }
            }
        }
        ImageDataset d = jgan.data.ImageFolder.resize(ImageDataset.of("generated", px, n, h, w, c, null), Classifier.IMAGE_SIZE,
                Classifier.CHANNELS);
        return Classifier.normalised(d);
    }

    /** The first {@code n} images of a seeded shuffle of {@code d}, as a dataset. */
    static ImageDataset sample(ImageDataset d, int n, long seed, long stream) {
        int[] perm = BatchLoader.permutation(seed, stream, d.count());
        int size = d.imageSize();
        byte[] px = new byte[n * size];
        java.nio.ByteBuffer all = d.pixels();
        for (int i = 0; i < n; i++) {
            all.get(perm[i] * size, px, i * size, size);
        }
        return ImageDataset.of(d.name() + " (" + n + " drawn by seed " + seed + ")", px, n, d.height(), d.width(), d.channels(), null);
    }

    private static float[] rows(float[] f, int[] perm, int n, int d) {
        float[] out = new float[n * d];
        for (int i = 0; i < n; i++) {
            System.arraycopy(f, perm[i] * d, out, i * d, d);
        }
        return out;
    }

    /** Names of the keys {@link Result#toMap()} writes, in order. */
    public static final List<String> KEYS = List.of("count", "fd", "fd_floor", "floor_count", "precision", "recall", "precision_real",
            "recall_real", "k", "pr_real_count", "class_counts", "classes_present", "class_entropy", "class_entropy_normalized",
            "class_kl_uniform");
}
