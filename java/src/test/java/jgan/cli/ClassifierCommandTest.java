package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jgan.data.FashionMnist;
import jgan.io.Safetensors;
import jgan.data.ImageDataset;
import jgan.metrics.Classifier;
import jgan.metrics.ImageEvaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jgan classifier train | test}. */
class ClassifierCommandTest {
    private record Result(int status, String out, String err) {
    }

    private static Result jgan(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assumeFashionMnist() {
        Path debian = Path.of(FashionMnist.DEBIAN_FOLDER);
        assumeTrue(FashionMnist.FILES.stream().allMatch(f -> Files.isRegularFile(debian.resolve(f))),
                "Fashion-MNIST is not installed in " + debian + " (apt-get install " + FashionMnist.DEBIAN_PACKAGE + ")");
    }

    @Test
    void badOptionsAreRefusedBeforeAnyWork(@TempDir Path tmp) {
        Result r = jgan("classifier");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("missing a command"), r.err());

        r = jgan("classifier", "train", "--out", tmp.resolve("c.safetensors").toString(), "--epochs", "0");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("epochs must be >= 1"), r.err());

        r = jgan("classifier", "train", "--out", tmp.toString());
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("is a folder"), r.err());

        r = jgan("classifier", "train");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("--out"), r.err());
        assertFalse(Files.exists(tmp.resolve("c.safetensors")));
    }

    @Test
    void trainsWritesAndScoresAClassifier(@TempDir Path tmp) {
        assumeFashionMnist();
        Path file = tmp.resolve("sub/c.safetensors");
        Result r = jgan("classifier", "train", "--out", file.toString(), "--device", "cpu", "--train-images", "640", "--epochs", "1",
                "--seed", "4", "--report-every", "5");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("epoch 1  step 5/10"), r.out());
        Matcher m = Pattern.compile("test accuracy (\\d+\\.\\d+)% \\(10000 test images").matcher(r.out());
        assertTrue(m.find(), r.out());
        double printed = Double.parseDouble(m.group(1));
        assertTrue(printed > 30, r.out()); // 10 steps: well above chance (10%), loosely

        Map<String, String> meta = Safetensors.readWithMetadata(file).metadata();
        assertEquals(Classifier.ARCHITECTURE, meta.get("architecture"));
        assertEquals("jgan classifier train --epochs 1 --seed 4 --batch 64 --lr 0.002 --device cpu --train-images 640", meta.get("command"));
        assertEquals(printed / 100, Double.parseDouble(meta.get("test_accuracy")), 1e-4);

        r = jgan("classifier", "test", "--classifier", file.toString(), "--device", "cpu");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "test accuracy %.2f%%", printed)), r.out());
        assertTrue(r.out().contains("command: jgan classifier train"), r.out());
    }

    @Test
    void evalImagesRefusesWhatItCannotScore(@TempDir Path tmp) {
        Path npy = tmp.resolve("rgb.npy");
        jgan.io.Npy.write(npy, jgan.tensor.HostTensor.f32(new long[] {8, 3, 28, 28}, new float[8 * 3 * 784]));
        Result r = jgan("eval", "--images", npy.toString());
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("[8, 3, 28, 28]") && r.err().contains("[N, 1, 28, 28]"), r.err());
        r = jgan("eval", "--images", npy.toString(), "--run", tmp.toString());
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("one of them"), r.err());
        r = jgan("eval", "--run", tmp.toString(), "--classifier", "x.safetensors");
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().contains("--classifier goes with --images"), r.err());
    }

    @Test
    void evalImagesScoresAnNpyFile(@TempDir Path tmp) {
        assumeFashionMnist();
        ImageDataset test = FashionMnist.load(Path.of(FashionMnist.DEBIAN_FOLDER), false);
        float[] x = new float[200 * 784];
        java.nio.ByteBuffer px = test.pixels();
        for (int i = 0; i < x.length; i++) {
            x[i] = (px.get(i) & 0xFF) / 127.5f - 1;
        }
        Path npy = tmp.resolve("real.npy");
        jgan.io.Npy.write(npy, jgan.tensor.HostTensor.f32(new long[] {200, 1, 28, 28}, x));
        Path json = tmp.resolve("m.json");
        Result r = jgan("eval", "--images", npy.toString(), "--device", "cpu", "--out", json.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("FD ") && r.out().contains("precision") && r.out().contains("[200 images]"), r.out());
        Map<String, Object> m = jgan.io.Json.parseObject(jgan.io.AtomicFiles.readString(json));
        for (String k : ImageEvaluation.KEYS) {
            assertTrue(m.containsKey(k), k + " in " + m);
        }
        assertEquals(200.0, ((Number) m.get("count")).doubleValue());
        assertTrue(((Number) m.get("recall")).doubleValue() > 0.5, m.toString());
    }
}
