package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import javax.imageio.ImageIO;

import jgan.io.Checkpoint;
import jgan.io.Json;
import org.junit.jupiter.api.Test;

/**
 * {@code jgan train} on images end to end, on the cpu device with tiny networks: a folder of
 * images (with an unreadable file, reported in data-report.txt) and a fake Fashion-MNIST folder
 * given with --data-dir; the run folder's pictures, a bit-identical resume, and the refusals of
 * options that do not fit the data or the model.
 */
class ImageTrainTest extends CliTestBase {
    /** 14 small PNGs of different sizes and kinds (grey, RGB, RGBA) in nested folders, and one file that is no image. */
    private Path imageFolder() throws IOException {
        return imageFolder(dir);
    }

    /** The 14 PNGs and the broken file of {@link #imageFolder()} in DIR/pictures (also for EvalRunTest). */
    static Path imageFolder(Path dir) throws IOException {
        Path f = dir.resolve("pictures");
        Files.createDirectories(f.resolve("more"));
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < 14; i++) {
            int w = 12 + r.nextInt(20), h = 12 + r.nextInt(20);
            int type = i % 3 == 0 ? BufferedImage.TYPE_BYTE_GRAY : i % 3 == 1 ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_INT_ARGB;
            BufferedImage img = new BufferedImage(w, h, type);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    img.setRGB(x, y, (0x80 << 24) | ((x * 255 / w) << 16) | ((y * 255 / h) << 8) | (i * 17 & 0xff));
                }
            }
            ImageIO.write(img, "png", (i % 2 == 0 ? f : f.resolve("more")).resolve("p" + i + ".png").toFile());
        }
        Files.writeString(f.resolve("broken.png"), "not a png");
        return f;
    }

    private String[] folderRun(Path data, Path run, int steps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--data", data.toString(), "--out", run.toString(), "--device", "cpu",
                "--image-size", "16", "--g-width", "4", "--d-width", "4", "--latent", "8", "--batch", "4", "--steps", "" + steps,
                "--log-every", "2", "--checkpoint-every", "4"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private static void assertPng(Path p) throws IOException {
        assertTrue(Files.isRegularFile(p), p + " missing");
        BufferedImage img = ImageIO.read(p.toFile());
        assertTrue(img != null && img.getWidth() > 16 && img.getHeight() > 16, p + " is not a picture");
    }

    @Test
    void aFolderTrainsWritesItsPicturesAndResumesBitIdentically() throws IOException {
        Path data = imageFolder();
        Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
        assertEquals(0, jgan(folderRun(data, straight, 6)), err());
        String text = out();
        assertTrue(text.contains("(14 images 16x16x3)") && text.contains("model dcgan"), text);
        assertTrue(err().contains("1 of 15 image files"), err());
        for (String f : List.of("config.json", "log.csv", "checkpoint.bin", "data-report.txt")) {
            assertTrue(Files.isRegularFile(straight.resolve(f)), f + " missing: " + text);
        }
        for (String f : List.of("grid.png", "losses.png", "samples/step_0000004.png", "samples/step_0000006.png")) {
            assertPng(straight.resolve(f));
        }
        assertArrayEquals(Files.readAllBytes(straight.resolve("samples/step_0000006.png")), Files.readAllBytes(straight.resolve("grid.png")),
                "grid.png is the latest grid");
        assertTrue(Files.readString(straight.resolve("data-report.txt")).contains("broken.png"));
        assertEquals(4, Files.readAllLines(straight.resolve("log.csv")).size()); // header, 2, 4, 6
        Map<String, Object> config = Json.parseObject(Files.readString(straight.resolve("config.json")));
        assertEquals(2L, ((Number) config.get("format_version")).longValue());
        assertEquals(data.toAbsolutePath().normalize().toString(), config.get("data_dir"));
        assertEquals("folder", config.get("data"));
        assertEquals(0, jgan("eval", "--run", straight.toString(), "--n", "8", "--device", "cpu"), err()); // EvalRunTest checks the numbers
        assertTrue(out().contains("28x28 grey") && out().contains("same folder"), out());

        assertEquals(0, jgan(folderRun(data, resumed, 4)), err());
        assertEquals(0, jgan("train", "--resume", resumed.toString(), "--steps", "6", "--device", "cpu"), err());
        assertTrue(out().contains("resumed at step 4"), out());
        Checkpoint a = Checkpoint.read(straight.resolve("checkpoint.bin")), b = Checkpoint.read(resumed.resolve("checkpoint.bin"));
        for (String s : List.of("g.params", "d.params", "g.buffers", "d.buffers", "g.adam_v")) {
            assertArrayEquals(a.section(s), b.section(s), s + ": the resumed run is bit-identical to the straight one");
        }
        assertEquals(a.header().get("d_training_forwards"), b.header().get("d_training_forwards"));
        assertArrayEquals(Files.readAllBytes(straight.resolve("grid.png")), Files.readAllBytes(resumed.resolve("grid.png")));
        assertEquals(14L, b.header().get("data_images"));
        // the folder changed since: the run continues, and says its batches differ from then on
        Files.delete(data.resolve("p0.png"));
        assertEquals(0, jgan("train", "--resume", resumed.toString(), "--steps", "7", "--device", "cpu"), err());
        assertTrue(err().contains("trained on 14 images") && err().contains("now holds 13"), err());
        // --force replaces the image run: jgan's own pictures go, the user's files stay
        Files.writeString(straight.resolve("notes.txt"), "mine");
        Files.writeString(straight.resolve("samples").resolve("keep.png"), "mine");
        assertEquals(0, jgan(folderRun(data, straight, 2, "--force")), err());
        try (var l = Files.list(straight.resolve("samples"))) {
            assertEquals(List.of("keep.png", "step_0000002.png"), l.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals("mine", Files.readString(straight.resolve("notes.txt")));
    }

    /** The four idx .gz files of a fake Fashion-MNIST (60,000 + 10,000 images of a bar whose width is the label). */
    private Path fakeFashionMnist() throws IOException {
        return fakeFashionMnist(dir);
    }

    /** The fake Fashion-MNIST of {@link #fakeFashionMnist()} in DIR/fmnist (also for EvalRunTest). */
    static Path fakeFashionMnist(Path dir) throws IOException {
        Path f = dir.resolve("fmnist");
        Files.createDirectories(f);
        for (boolean train : new boolean[] {true, false}) {
            int n = train ? 60_000 : 10_000;
            String prefix = train ? "train" : "t10k";
            byte[] images = new byte[n * 784];
            byte[] labels = new byte[n];
            for (int i = 0; i < n; i++) {
                int label = i % 10;
                labels[i] = (byte) label;
                for (int y = 4; y < 24; y++) {
                    for (int x = 14 - label; x < 14 + label; x++) {
                        images[i * 784 + y * 28 + x] = (byte) 200;
                    }
                }
            }
            idx(f.resolve(prefix + "-images-idx3-ubyte.gz"), 2051, new int[] {n, 28, 28}, images);
            idx(f.resolve(prefix + "-labels-idx1-ubyte.gz"), 2049, new int[] {n}, labels);
        }
        return f;
    }

    private static void idx(Path file, int magic, int[] dims, byte[] data) throws IOException {
        try (OutputStream o = Files.newOutputStream(file); DataOutputStream d = new DataOutputStream(new GZIPOutputStream(o))) {
            d.writeInt(magic);
            for (int x : dims) {
                d.writeInt(x);
            }
            d.write(data);
        }
    }

    @Test
    void fashionMnistFromDataDirTrains() throws IOException {
        Path data = fakeFashionMnist();
        // training reads only the training pair: a --data-dir without the test set is enough (tester1 #21)
        Files.delete(data.resolve("t10k-images-idx3-ubyte.gz"));
        Files.delete(data.resolve("t10k-labels-idx1-ubyte.gz"));
        Path run = dir.resolve("fm");
        assertEquals(0, jgan("train", "--data", "fashion-mnist", "--data-dir", data.toString(), "--out", run.toString(), "--device", "cpu",
                "--g-width", "4", "--d-width", "4", "--latent", "8", "--batch", "8", "--steps", "3", "--log-every", "1"), err());
        assertTrue(out().contains("fashion-mnist (60,000 images 28x28x1)"), out());
        for (String f : List.of("grid.png", "losses.png", "samples/step_0000003.png")) {
            assertPng(run.resolve(f));
        }
        assertTrue(Files.isRegularFile(run.resolve("checkpoint.bin")) && Files.isRegularFile(run.resolve("log.csv")));
        assertTrue(!Files.exists(run.resolve("data-report.txt")), "Fashion-MNIST has no skipped files to report");
        Checkpoint c = Checkpoint.read(run.resolve("checkpoint.bin"));
        assertEquals(3L, c.header().get("data_batch"));
        assertEquals(data.toAbsolutePath().normalize().toString(), Json.parseObject(Files.readString(run.resolve("config.json"))).get("data_dir"));
        // RUN/real.png: the first real batch (8 images, grid x3 as the samples) as the loader made it from the run's seed (tester1 #16)
        try (jgan.gan.LoaderBatches loader = new jgan.gan.LoaderBatches(jgan.data.FashionMnist.load(data, true), 8, 1)) {
            assertArrayEquals(jgan.io.ImageGrid.png(jgan.io.ImageGrid.image(loader.peek(0), 8, 28, 28, 1, 3)),
                    Files.readAllBytes(run.resolve("real.png")));
        }
        // resized for a DCGAN of 16, RGB
        Path small = dir.resolve("fm16");
        assertEquals(0, jgan("train", "--data", "fashion-mnist", "--data-dir", data.toString(), "--out", small.toString(), "--device", "cpu",
                "--image-size", "16", "--channels", "3", "--g-width", "2", "--d-width", "2", "--latent", "4", "--batch", "4", "--steps", "1"),
                err());
        assertTrue(out().contains("fashion-mnist (60,000 images 16x16x3)"), out());
        // the resize (a minute at 64x64x3 on a loaded machine) is said before it starts, and its time after (tester1 #18)
        assertTrue(java.util.regex.Pattern.compile("jgan train: resizing 60,000 images from 28x28x1 to 16x16x3 \\.\\.\\. done in \\d+\\.\\d s\n")
                .matcher(err()).find(), err());
        assertPng(small.resolve("grid.png"));
    }

    @Test
    void benchMeasuresAnImageModelOnSyntheticBatches() {
        assertEquals(0, jgan("bench", "--data", "fashion-mnist", "--device", "cpu", "--g-width", "2", "--d-width", "2", "--latent", "4",
                "--batch", "2", "--steps", "2", "--warmup", "1"), err());
        assertTrue(out().contains("dcgan 2 x 28x28x1 (synthetic images)") && out().contains("graph replay"), out());
    }

    @Test
    void optionsThatDoNotFitAreRefusedBeforeAnythingIsWritten() throws IOException {
        Path data = imageFolder();
        String run = dir.resolve("never").toString();
        assertEquals(2, jgan("train", "--data", "ring8", "--out", run, "--g-width", "8"));
        assertTrue(err().contains("--g-width is for images"), err());
        assertEquals(2, jgan("train", "--data", data.toString(), "--out", run, "--width", "8"));
        assertTrue(err().contains("--width has no effect on model dcgan"), err());
        assertEquals(2, jgan("train", "--data", data.toString(), "--out", run, "--image-size", "20"));
        assertTrue(err().contains("sizes that work"), err());
        assertEquals(2, jgan("train", "--data", data.toString(), "--out", run, "--data-dir", data.toString()));
        assertTrue(err().contains("remove --data-dir"), err());
        assertEquals(2, jgan("train", "--data", "fashion-mnist", "--out", run, "--channels", "2"));
        assertTrue(err().contains("1 (grey) or 3 (RGB)"), err());
        assertEquals(2, jgan("train", "--data", data.toString(), "--out", run, "--model", "mlp"));
        assertTrue(err().contains("--model dcgan or mlp-conv"), err());
        assertEquals(2, jgan("train", "--data", data.toString(), "--out", run, "--model", "mlp-conv", "--activation", "tanh"));
        assertTrue(err().contains("--activation has no effect on model mlp-conv"), err());
        assertEquals(2, jgan("train", "--data", data.toString(), "--out", run, "--background", "teal"));
        assertTrue(err().contains("unknown colour 'teal'"), err());
        assertTrue(!Files.exists(Path.of(run)), "nothing written");
    }
}
