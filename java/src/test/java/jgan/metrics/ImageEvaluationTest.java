package jgan.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import jgan.data.FashionMnist;
import jgan.data.ImageDataset;
import jgan.device.CpuDevice;
import jgan.device.Device;
import org.junit.jupiter.api.Test;

/** Real images score near their floor; a collapsed "generator" (one class only) and noise do not. */
class ImageEvaluationTest {
    private static int[] labelsOf(ImageDataset d) {
        return d.labels();
    }

    /** The images of d whose label is {@code label} (at most n), as floats in [-1, 1]. */
    private static float[] ofClass(ImageDataset d, int label, int n) {
        int[] l = labelsOf(d);
        float[] all = Classifier.normalised(d);
        float[] out = new float[n * 784];
        int k = 0;
        for (int i = 0; i < l.length && k < n; i++) {
            if (l[i] == label) {
                System.arraycopy(all, i * 784, out, k++ * 784, 784);
            }
        }
        assertEquals(n, k);
        return out;
    }

    @Test
    void realImagesScoreNearTheFloorAndACollapsedSetDoesNot() {
        Path dir = Path.of(FashionMnist.DEBIAN_FOLDER);
        assumeTrue(FashionMnist.FILES.stream().allMatch(f -> Files.isRegularFile(dir.resolve(f))),
                "Fashion-MNIST is not installed in " + dir + " (apt-get install " + FashionMnist.DEBIAN_PACKAGE + ")");
        ImageDataset trainAll = FashionMnist.load(dir, true);
        ImageDataset train = trainAll.head(50_000);
        ImageDataset test = FashionMnist.load(dir, false).head(3000);
        int n = 1000;
        float[] tail = new float[n * 784]; // real images the floor's sample cannot hold: training images 50,000..50,999
        System.arraycopy(Classifier.normalised(trainAll), 50_000 * 784, tail, 0, n * 784);
        try (Device cpu = new CpuDevice(); Classifier c = Classifier.loadShipped(cpu)) {
            ImageEvaluation.Result r = ImageEvaluation.evaluate(c, tail, n, train, test, 0);
            assertEquals(n, r.count());
            assertEquals(n, r.floorCount());
            assertTrue(r.fd() < 2 * r.fdFloor() + 0.2, r.toString());
            assertTrue(r.prGenerated().precision() > 0.75 && r.prGenerated().recall() > 0.75, r.toString());
            assertTrue(r.prReal().precision() > 0.75 && r.prReal().recall() > 0.75, r.toString());
            assertEquals(10, r.classes().classesPresent(), r.toString());
            assertTrue(r.classes().klToUniform() < 0.05, r.toString());

            // mode collapse: only bags (class 8)
            ImageEvaluation.Result bags = ImageEvaluation.evaluate(c, ofClass(trainAll, 8, n), n, train, test, 0);
            assertTrue(bags.fd() > 20 * r.fdFloor(), bags.toString());
            assertTrue(bags.prGenerated().recall() < 0.4, bags.toString());
            assertTrue(bags.classes().entropy() < 0.5 && bags.classes().klToUniform() > 1.8, bags.toString());
            assertEquals(r.fdFloor(), bags.fdFloor()); // the floor depends on the seed and count alone

            assertThrows(IllegalArgumentException.class, () -> ImageEvaluation.evaluate(c, new float[3 * 784], 3, train, test, 0));
            float[] nan = tail.clone();
            nan[5 * 784 + 3] = Float.NaN;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageEvaluation.evaluate(c, nan, n, train, test, 0));
            assertTrue(e.getMessage().contains("image 5"), e.getMessage());
        }
    }
}
