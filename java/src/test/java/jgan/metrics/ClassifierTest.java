package jgan.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import jgan.data.FashionMnist;
import jgan.data.ImageDataset;
import jgan.device.CpuDevice;
import jgan.device.Device;
import jgan.io.Safetensors;
import jgan.nn.Sequential;
import jgan.tensor.HostTensor;
import jgan.tensor.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Fashion-MNIST classifier of the image metrics, on the cpu device. */
class ClassifierTest {
    private static Device cpu;

    @BeforeAll
    static void open() {
        cpu = new CpuDevice();
    }

    @AfterAll
    static void close() {
        cpu.close();
    }

    /**
     * n labelled 28x28 grey images of an easy 10-class task: class k is a bright 6x6 square at
     * cell k of a 5x2 grid, on uniform noise in 0..80, its position jittered by +-1 pixel.
     */
    static ImageDataset squares(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] px = new byte[n * 28 * 28];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(10);
            labels[i] = k;
            int y0 = 3 + (k / 5) * 13 + r.nextInt(3) - 1;
            int x0 = 1 + (k % 5) * 5 + r.nextInt(3) - 1;
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    boolean in = y >= y0 && y < y0 + 6 && x >= x0 && x < x0 + 4;
                    px[(i * 28 + y) * 28 + x] = (byte) (in ? 200 + r.nextInt(56) : r.nextInt(81));
                }
            }
        }
        return ImageDataset.of("squares", px, n, 28, 28, 1, labels);
    }

    private static float[] randomImages(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * 784];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return x;
    }

    private static Path fashionMnist() {
        Path debian = Path.of(FashionMnist.DEBIAN_FOLDER);
        boolean present = FashionMnist.FILES.stream().allMatch(f -> Files.isRegularFile(debian.resolve(f)));
        assumeTrue(present, "Fashion-MNIST is not installed in " + debian + " (apt-get install " + FashionMnist.DEBIAN_PACKAGE + ")");
        return debian;
    }

    private static void assertSameState(Map<String, HostTensor> a, Map<String, HostTensor> b) {
        assertEquals(List.copyOf(a.keySet()), List.copyOf(b.keySet()));
        for (String k : a.keySet()) {
            assertEquals(a.get(k), b.get(k), k); // HostTensor equality: dtype, shape and every value bit for bit
        }
    }

    @Test
    void featuresAndPredictionsHaveTheirShapesAndDoNotDependOnTheBatch() {
        try (Classifier c = Classifier.initialized(cpu, 7)) {
            int n = Classifier.EVAL_BATCH + 3; // a full batch and a remainder
            float[] x = randomImages(n, 1);
            Classifier.Outputs all = c.run(x, n);
            assertEquals(n, all.count());
            assertEquals(n * Classifier.FEATURES, all.features().length);
            assertEquals(n, all.predictions().length);
            for (int p : all.predictions()) {
                assertTrue(p >= 0 && p < Classifier.CLASSES, "prediction " + p);
            }
            float[][] rows = c.features(x, n);
            assertEquals(n, rows.length);
            assertEquals(Classifier.FEATURES, rows[0].length);
            // eval mode: an image's features are its own, whatever else is in the batch
            for (int i : new int[] {0, 250, Classifier.EVAL_BATCH + 2}) {
                float[] one = java.util.Arrays.copyOfRange(x, i * 784, (i + 1) * 784);
                Classifier.Outputs single = c.run(one, 1);
                for (int f = 0; f < Classifier.FEATURES; f++) {
                    assertEquals(rows[i][f], single.features()[f], 1e-4f * Math.max(1, Math.abs(rows[i][f])), "image " + i + " feature " + f);
                }
                assertEquals(all.predictions()[i], single.predictions()[0], "image " + i);
            }
            // the features are not constant across images (the net looks at its input)
            assertFalse(java.util.Arrays.equals(rows[0], rows[1]));
            // predictions of a dataset = predictions of its normalised floats
            ImageDataset sq = squares(20, 3);
            assertArrayEquals(c.predict(Classifier.normalised(sq), 20), c.predict(sq));
        }
    }

    @Test
    void refusesInputsOfTheWrongSize() {
        try (Classifier c = Classifier.initialized(cpu, 7)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.run(new float[783], 1));
            assertTrue(e.getMessage().contains("783"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> c.run(new float[0], 0));
            ImageDataset big = ImageDataset.of("big", new byte[32 * 32], 1, 32, 32, 1, new int[] {0});
            e = assertThrows(IllegalArgumentException.class, () -> c.predict(big));
            assertTrue(e.getMessage().contains("28x28x1") && e.getMessage().contains("32x32x1"), e.getMessage());
            ImageDataset unlabelled = ImageDataset.of("unlabelled", new byte[784 * 64], 64, 28, 28, 1, null);
            assertThrows(IllegalArgumentException.class, () -> c.accuracy(unlabelled));
            assertThrows(IllegalArgumentException.class, () -> Classifier.train(unlabelled, 1, 1, cpu));
        }
        assertThrows(IllegalArgumentException.class, () -> new Classifier.Settings(0, 64, 1e-3f, 1));
        assertThrows(IllegalArgumentException.class, () -> new Classifier.Settings(1, 64, Float.NaN, 1));
    }

    /** The saved keys and shapes are those of the whole network as one nn.Sequential (so PyTorch's module, main.0 .. main.13). */
    @Test
    void stateDictIsThatOfTheWholeNetworkAsOneSequential() {
        try (Classifier c = Classifier.initialized(cpu, 7);
             Sequential whole = Sequential.builder(Shape.of(28, 28, 1))
                     .conv2d(32, 4, 2, 1, false).batchNorm().leakyRelu(0.2f)
                     .conv2d(64, 4, 2, 1, false).batchNorm().leakyRelu(0.2f)
                     .conv2d(64, 3, 2, 1, false).batchNorm().leakyRelu(0.2f)
                     .flatten()
                     .dense(128, false).batchNorm().leakyRelu(0.2f)
                     .dense(10)
                     .build(cpu)) {
            LinkedHashMap<String, long[]> expected = whole.stateDictShapes();
            LinkedHashMap<String, HostTensor> state = c.stateDict();
            assertEquals(List.copyOf(expected.keySet()), List.copyOf(state.keySet()));
            for (String k : expected.keySet()) {
                assertArrayEquals(expected.get(k), state.get(k).shape(), k);
            }
            assertArrayEquals(new long[] {10, 128}, state.get("main.13.weight").shape());
            assertArrayEquals(new long[] {32, 1, 4, 4}, state.get("main.0.weight").shape());
        }
    }

    @Test
    void trainingIsDeterministicForASeed() {
        ImageDataset data = squares(256, 11);
        Classifier.Settings s = new Classifier.Settings(1, 32, 2e-3f, 5);
        try (Classifier a = Classifier.train(data, s, cpu, null, 0);
             Classifier b = Classifier.train(data, s, cpu, null, 0);
             Classifier other = Classifier.train(data, new Classifier.Settings(1, 32, 2e-3f, 6), cpu, null, 0);
             Classifier untrained = Classifier.initialized(cpu, 5)) {
            LinkedHashMap<String, HostTensor> sa = a.stateDict();
            assertSameState(sa, b.stateDict());
            assertEquals(8L, sa.get("main.1.num_batches_tracked").i64()[0]); // 256 / 32 training forwards
            assertFalse(java.util.Arrays.equals(sa.get("main.0.weight").f32(), other.stateDict().get("main.0.weight").f32()));
            assertFalse(java.util.Arrays.equals(sa.get("main.0.weight").f32(), untrained.stateDict().get("main.0.weight").f32()),
                    "training changed the weights");
        }
    }

    @Test
    void learnsAnEasyTask() {
        List<Classifier.Progress> reports = new ArrayList<>();
        try (Classifier c = Classifier.train(squares(1280, 21), new Classifier.Settings(2, 64, 2e-3f, 1), cpu, reports::add, 10)) {
            double acc = c.accuracy(squares(500, 22)); // fresh images
            assertTrue(acc > 0.9, "accuracy " + acc);
            // reports every 10 steps (and at the end of each epoch, step 20 and 40)
            assertEquals(List.of(10L, 20L, 30L, 40L), reports.stream().map(Classifier.Progress::step).toList());
            assertEquals(2, reports.get(3).epoch());
            assertTrue(reports.get(3).loss() < reports.get(0).loss(), reports.toString());
        }
    }

    /** Loosely: 2000 Fashion-MNIST images, 1 epoch (31 steps) already classify well above chance (10%; 77% measured for seeds 1-3). */
    @Test
    void learnsFashionMnistFromASubset() {
        Path dir = fashionMnist();
        ImageDataset train = FashionMnist.load(dir, true).head(2000);
        ImageDataset test = FashionMnist.load(dir, false).head(1000);
        try (Classifier c = Classifier.train(train, 1, 1, cpu)) {
            double acc = c.accuracy(test);
            assertTrue(acc > 0.7, "test accuracy " + acc + " after 1 epoch on 2000 images");
        }
    }

    @Test
    void saveLoadRoundTrip(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("c.safetensors");
        float[] x = randomImages(5, 2);
        try (Classifier c = Classifier.train(squares(128, 1), new Classifier.Settings(1, 32, 2e-3f, 3), cpu, null, 0)) {
            c.putMetadata("test_accuracy", "0.5");
            c.save(file);
            try (Classifier d = Classifier.load(file, cpu)) {
                assertSameState(c.stateDict(), d.stateDict());
                assertEquals(c.metadata(), d.metadata());
                assertEquals("0.5", d.metadata().get("test_accuracy"));
                assertEquals(Classifier.ARCHITECTURE, d.metadata().get("architecture"));
                assertEquals("3", d.metadata().get("seed"));
                assertArrayEquals(c.run(x, 5).features(), d.run(x, 5).features());
            }
            // the file is plain safetensors with the metadata
            Safetensors.Contents raw = Safetensors.readWithMetadata(file);
            assertEquals(Classifier.FORMAT, raw.metadata().get("format"));
            assertEquals(4L, raw.tensors().get("main.4.num_batches_tracked").i64()[0]);

            // refused: another architecture, a missing or mis-shaped weight
            LinkedHashMap<String, String> otherMeta = new LinkedHashMap<>(raw.metadata());
            otherMeta.put("architecture", "resnet");
            Path other = tmp.resolve("other.safetensors");
            Safetensors.write(other, raw.tensors(), otherMeta);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Classifier.load(other, cpu));
            assertTrue(e.getMessage().contains("resnet") && e.getMessage().contains(Classifier.ARCHITECTURE), e.getMessage());

            LinkedHashMap<String, HostTensor> missing = new LinkedHashMap<>(raw.tensors());
            missing.remove("main.13.bias");
            missing.remove("main.3.weight");
            Safetensors.write(other, missing, raw.metadata());
            e = assertThrows(IllegalArgumentException.class, () -> Classifier.load(other, cpu));
            assertTrue(e.getMessage().contains("main.13.bias") && e.getMessage().contains("main.3.weight"), e.getMessage());

            LinkedHashMap<String, HostTensor> misShaped = new LinkedHashMap<>(raw.tensors());
            misShaped.put("main.13.weight", HostTensor.f32(new long[] {10, 64}, new float[640]));
            Safetensors.write(other, misShaped, raw.metadata());
            e = assertThrows(IllegalArgumentException.class, () -> Classifier.load(other, cpu));
            assertTrue(e.getMessage().contains("main.13.weight"), e.getMessage());
        }
    }

    @Test
    void shippedWeightsLoadAndScoreAtLeast90PercentOnTheTestSet() {
        try (Classifier c = Classifier.loadShipped(cpu)) {
            Map<String, String> m = c.metadata();
            assertEquals(Classifier.ARCHITECTURE, m.get("architecture"));
            assertNotNull(m.get("command"), m.toString());
            assertTrue(Double.parseDouble(m.get("test_accuracy")) >= 0.90, m.toString());
            Path dir = fashionMnist();
            double acc = c.accuracy(FashionMnist.load(dir, false));
            assertTrue(acc >= 0.90, "the shipped classifier scores " + acc + " on Fashion-MNIST's test set");
            // the number recorded in the file is what it scores (on this device, to 4 decimals up to the cpu/gpu difference)
            assertEquals(Double.parseDouble(m.get("test_accuracy")), acc, 0.002);
        }
    }

    /**
     * The shipped file in PyTorch (bench/parity/classifier.py: the same module, load_state_dict strict,
     * eval mode) gives the features and logits jgan gives, for 16 Fashion-MNIST test images held in the
     * golden file: the names, layouts, flatten order and eval-mode batch norm are PyTorch's.
     */
    @Test
    void shippedWeightsGivePyTorchsFeaturesAndLogits() throws Exception {
        Path golden = Path.of(ClassifierTest.class.getResource("/jgan/metrics/classifier-pytorch.safetensors").toURI());
        Map<String, HostTensor> g = Safetensors.read(golden);
        float[] images = g.get("images").f32(); // [16, 1, 28, 28] = [16, 28, 28, 1] for one channel
        float[] features = g.get("features").f32();
        float[] logits = g.get("logits").f32();
        assertArrayEquals(new long[] {16, 128}, g.get("features").shape());
        try (Classifier c = Classifier.loadShipped(cpu)) {
            Classifier.Outputs o = c.run(images, 16);
            for (int i = 0; i < features.length; i++) {
                assertEquals(features[i], o.features()[i], 1e-4 + 1e-4 * Math.abs(features[i]), "feature " + i);
            }
            for (int i = 0; i < 16; i++) {
                assertEquals(Classifier.argmax(logits, i * 10, 10), o.predictions()[i], "image " + i);
            }
        }
    }
}
