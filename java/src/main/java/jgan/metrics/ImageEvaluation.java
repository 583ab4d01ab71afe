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
        if (n <= PrecisionRecall.DEFAULT_K) {
            throw new IllegalArgumentException("image evaluation: need more than " + PrecisionRecall.DEFAULT_K + " images, got " + n);
        }
        for (int i = 0; i < images.length; i++) {
            if (!Float.isFinite(images[i])) {
                throw new IllegalArgumentException("image evaluation: image " + i / 784 + " holds a non-finite value (" + images[i] + ")");
            }
        }
        int d = Classifier.FEATURES;
        Classifier.Outputs fake = classifier.run(images, n);
        float[] testF = classifier.run(test).features();
        int floorCount = Math.min(n, train.count());
        float[] trainF = classifier.run(sample(train, floorCount, seed, 1)).features();
        int m = Math.min(n, test.count());
        float[] realF = m == test.count() ? testF : rows(testF, BatchLoader.permutation(seed, 2, test.count()), m, d);
        double fd = FrechetDistance.distance(fake.features(), n, testF, test.count(), d);
        double floor = FrechetDistance.distance(trainF, floorCount, testF, test.count(), d);
        PrecisionRecall.Result pr = PrecisionRecall.compute(realF, m, fake.features(), n, d);
        PrecisionRecall.Result prReal = PrecisionRecall.compute(realF, m, trainF, floorCount, d);
        return new Result(n, fd, floor, floorCount, pr, prReal, ClassHistogram.of(fake.predictions(), Classifier.CLASSES));
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
