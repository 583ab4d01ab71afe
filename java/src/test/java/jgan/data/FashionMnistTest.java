package jgan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jgan.io.FileError;

/** The idx.gz reader on files made here (good and damaged in every way), the real data when installed, and locate's decisions. */
class FashionMnistTest {
    @TempDir
    Path dir;

    /** The idx bytes: magic, dims, data (+ extra bytes). */
    static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(magic);
        for (int x : dims) {
            d.writeInt(x);
        }
        d.write(data);
        d.flush();
        return b.toByteArray();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(b)) {
            g.write(raw);
        }
        return b.toByteArray();
    }

    /** n images rows x cols whose pixel (i, y, x) = (i * 31 + y * 7 + x) mod 256, labels i mod 10. */
    static byte[] pixels(int n, int rows, int cols) {
        byte[] p = new byte[n * rows * cols];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < cols; x++) {
                    p[(i * rows + y) * cols + x] = (byte) (i * 31 + y * 7 + x);
                }
            }
        }
        return p;
    }

    static byte[] labels(int n) {
        byte[] l = new byte[n];
        for (int i = 0; i < n; i++) {
            l[i] = (byte) (i % 10);
        }
        return l;
    }

    Path write(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    Path goodImages(String name, int n, int rows, int cols) throws IOException {
        return write(name, gzip(idx(2051, new int[] {n, rows, cols}, pixels(n, rows, cols))));
    }

    Path goodLabels(String name, int n) throws IOException {
        return write(name, gzip(idx(2049, new int[] {n}, labels(n))));
    }

    static String refused(Path images, Path labels) {
        FileError e = assertThrows(FileError.class, () -> FashionMnist.readIdx(images, labels, "test"));
        return e.getMessage();
    }

    @Test
    void readsGoodFiles() throws IOException {
        Path im = goodImages("im.gz", 5, 4, 6);
        Path lb = goodLabels("lb.gz", 5);
        ImageDataset d = FashionMnist.readIdx(im, lb, "test");
        assertEquals(5, d.count());
        assertEquals(4, d.height());
        assertEquals(6, d.width());
        assertEquals(1, d.channels());
        for (int i = 0; i < 5; i++) {
            assertEquals(i % 10, d.label(i));
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 6; x++) {
                    assertEquals((i * 31 + y * 7 + x) & 0xFF, d.pixel(i, y, x, 0));
                }
            }
        }
    }

    @Test
    void refusesTruncatedData() throws IOException {
        byte[] full = idx(2051, new int[] {5, 4, 6}, pixels(5, 4, 6));
        Path im = write("short.gz", gzip(Arrays.copyOf(full, full.length - 10)));
        String m = refused(im, goodLabels("lb.gz", 5));
        assertTrue(m.contains(im.toString()) && m.contains("truncated") && m.contains("5x4x6"), m);
    }

    @Test
    void refusesTruncatedGzipStream() throws IOException {
        byte[] gz = gzip(idx(2051, new int[] {50, 28, 28}, pixels(50, 28, 28)));
        Path im = write("cut.gz", Arrays.copyOf(gz, gz.length / 2));
        String m = refused(im, goodLabels("lb.gz", 50));
        assertTrue(m.contains(im.toString()) && m.contains("truncated"), m);
    }

    @Test
    void refusesTruncatedHeader() throws IOException {
        Path im = write("head.gz", gzip(new byte[] {0, 0, 8, 3, 0, 0}));
        String m = refused(im, goodLabels("lb.gz", 5));
        assertTrue(m.contains(im.toString()) && m.contains("truncated"), m);
    }

    @Test
    void refusesEmptyFile() throws IOException {
        Path im = write("empty.gz", new byte[0]);
        String m = refused(im, goodLabels("lb.gz", 5));
        assertTrue(m.contains(im.toString()) && m.contains("empty"), m);
    }

    @Test
    void refusesBadMagic() throws IOException {
        Path im = write("foreign.gz", gzip(idx(1234, new int[] {5, 4, 6}, pixels(5, 4, 6))));
        String m = refused(im, goodLabels("lb.gz", 5));
        assertTrue(m.contains(im.toString()) && m.contains("magic number is 1234"), m);
    }

    @Test
    void refusesSwappedFiles() throws IOException {
        Path im = goodImages("im.gz", 5, 4, 6);
        Path lb = goodLabels("lb.gz", 5);
        String m = refused(lb, im);
        assertTrue(m.contains(lb.toString()) && m.contains("swapped"), m);
    }

    @Test
    void refusesCountMismatch() throws IOException {
        Path im = goodImages("im.gz", 5, 4, 6);
        Path lb = goodLabels("lb.gz", 4);
        String m = refused(im, lb);
        assertTrue(m.contains(im.toString()) && m.contains(lb.toString()) && m.contains("5 images") && m.contains("4 labels"), m);
    }

    @Test
    void refusesTrailingData() throws IOException {
        byte[] raw = idx(2049, new int[] {5}, labels(7)); // header says 5, holds 7
        Path lb = write("long.gz", gzip(raw));
        String m = refused(goodImages("im.gz", 5, 4, 6), lb);
        assertTrue(m.contains(lb.toString()) && m.contains("data after"), m);
    }

    @Test
    void refusesNonGzip() throws IOException {
        Path text = write("text.gz", "hello, not an image file\n".getBytes(StandardCharsets.UTF_8));
        String m = refused(text, goodLabels("lb.gz", 5));
        assertTrue(m.contains(text.toString()) && m.contains("not a gzip file"), m);
        Path plain = write("plain", idx(2051, new int[] {5, 4, 6}, pixels(5, 4, 6)));
        m = refused(plain, goodLabels("lb2.gz", 5));
        assertTrue(m.contains(plain.toString()) && m.contains("uncompressed idx"), m);
    }

    @Test
    void refusesMissingFile() throws IOException {
        Path none = dir.resolve("none.gz");
        String m = refused(none, goodLabels("lb.gz", 5));
        assertTrue(m.contains(none.toString()) && m.contains("no such file"), m);
    }

    @Test
    void loadChecksFashionMnistCountsAndLabels() throws IOException {
        Path split = Files.createDirectory(dir.resolve("fm"));
        // a valid test split: 10000 images of 28x28, labels 0..9
        Files.write(split.resolve(FashionMnist.TEST_IMAGES), gzip(idx(2051, new int[] {10_000, 28, 28}, pixels(10_000, 28, 28))));
        Files.write(split.resolve(FashionMnist.TEST_LABELS), gzip(idx(2049, new int[] {10_000}, labels(10_000))));
        ImageDataset d = FashionMnist.load(split, false);
        assertEquals(10_000, d.count());
        assertEquals(7, d.label(17));
        // a training split of the wrong size
        Files.write(split.resolve(FashionMnist.TRAIN_IMAGES), gzip(idx(2051, new int[] {5, 28, 28}, pixels(5, 28, 28))));
        Files.write(split.resolve(FashionMnist.TRAIN_LABELS), gzip(idx(2049, new int[] {5}, labels(5))));
        String m = assertThrows(FileError.class, () -> FashionMnist.load(split, true)).getMessage();
        assertTrue(m.contains(FashionMnist.TRAIN_IMAGES) && m.contains("5 images") && m.contains("60000"), m);
        // a label that is no class
        byte[] l = labels(10_000);
        l[123] = 10;
        Files.write(split.resolve(FashionMnist.TEST_LABELS), gzip(idx(2049, new int[] {10_000}, l)));
        m = assertThrows(FileError.class, () -> FashionMnist.load(split, false)).getMessage();
        assertTrue(m.contains(FashionMnist.TEST_LABELS) && m.contains("label 10 of image 123"), m);
    }

    @Test
    void realFashionMnistWhenInstalled() {
        Path debian = Path.of(FashionMnist.DEBIAN_FOLDER);
        assumeTrue(FashionMnist.missing(debian).isEmpty(), "Fashion-MNIST is not installed in " + debian
                + " (Debian package dataset-fashion-mnist): the real-data checks need it");
        ImageDataset train = FashionMnist.load(debian, true);
        ImageDataset test = FashionMnist.load(debian, false);
        assertEquals(60_000, train.count());
        assertEquals(10_000, test.count());
        assertEquals(28, train.height());
        assertEquals(28, train.width());
        assertEquals(1, train.channels());
        // the first labels of each split (zalandoresearch/fashion-mnist: 9 = ankle boot, 0 = T-shirt/top, ...)
        assertArrayEquals(new int[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, Arrays.copyOf(train.labels(), 10));
        assertArrayEquals(new int[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, Arrays.copyOf(test.labels(), 10));
        // balanced classes: 6000 per class in train, 1000 in test
        int[] perClass = new int[10];
        for (int l : train.labels()) {
            perClass[l]++;
        }
        int[] expected = new int[10];
        Arrays.fill(expected, 6000);
        assertArrayEquals(expected, perClass);
        // the first training image's pixel sum (read with Python's gzip: 76247)
        long sum = 0;
        for (byte b : train.image(0)) {
            sum += b & 0xFF;
        }
        assertEquals(76247, sum);
    }

    // ---------------------------------------------------------------------------------------------
    // locate

    /** A fake apt: canInstall as told; install records the call and, if told, writes the four files. */
    static final class FakeInstaller implements FashionMnist.Installer {
        final boolean root;
        final Path installs; // folder the "package" fills, or null for none
        final int status;
        final String output;
        final List<String> calls = new ArrayList<>();

        FakeInstaller(boolean root, Path installs, int status, String output) {
            this.root = root;
            this.installs = installs;
            this.status = status;
            this.output = output;
        }

        @Override
        public boolean canInstall() {
            return root;
        }

        @Override
        public Result install(String debianPackage) {
            calls.add(debianPackage);
            if (installs != null) {
                try {
                    fill(installs);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
            return new Result(status, output);
        }
    }

    static void fill(Path folder) throws IOException {
        Files.createDirectories(folder);
        for (String f : FashionMnist.FILES) {
            Files.write(folder.resolve(f), new byte[] {0x1f, (byte) 0x8b});
        }
    }

    @Test
    void locateUsesTheGivenFolderAndNeverInstalls() throws IOException {
        Path given = dir.resolve("given");
        fill(given);
        FakeInstaller apt = new FakeInstaller(true, null, 0, "");
        List<String> said = new ArrayList<>();
        assertEquals(given, FashionMnist.locate(given, FashionMnist.FILES, dir.resolve("debian"), apt, said::add));
        Files.delete(given.resolve(FashionMnist.TEST_LABELS));
        String m = assertThrows(FileError.class, () -> FashionMnist.locate(given, FashionMnist.FILES, dir.resolve("debian"), apt, said::add)).getMessage();
        assertTrue(m.contains(given.toString()) && m.contains("missing " + FashionMnist.TEST_LABELS) && m.contains(FashionMnist.TRAIN_IMAGES), m);
        m = assertThrows(FileError.class, () -> FashionMnist.locate(dir.resolve("nowhere"), FashionMnist.FILES, dir.resolve("debian"), apt, said::add)).getMessage();
        assertTrue(m.contains("nowhere") && m.contains("no such folder"), m);
        assertTrue(apt.calls.isEmpty());
        assertTrue(said.isEmpty());
    }

    @Test
    void locateLooksOnlyForTheFilesTheCallerNeeds() throws IOException {
        // a --data-dir with only the training pair: enough to train a GAN, not for the classifier or the metrics
        Path trainOnly = dir.resolve("train-only");
        fill(trainOnly);
        Files.delete(trainOnly.resolve(FashionMnist.TEST_IMAGES));
        Files.delete(trainOnly.resolve(FashionMnist.TEST_LABELS));
        FakeInstaller apt = new FakeInstaller(true, null, 0, "");
        List<String> said = new ArrayList<>();
        Path debian = dir.resolve("debian");
        assertEquals(trainOnly, FashionMnist.locate(trainOnly, FashionMnist.TRAIN_FILES, debian, apt, said::add));
        String m = assertThrows(FileError.class, () -> FashionMnist.locate(trainOnly, FashionMnist.TEST_FILES, debian, apt, said::add)).getMessage();
        assertTrue(m.contains("missing " + FashionMnist.TEST_IMAGES + ", " + FashionMnist.TEST_LABELS + ";"), m);
        assertTrue(m.contains("must hold the files " + FashionMnist.TEST_IMAGES + ", " + FashionMnist.TEST_LABELS + " ("), m);
        assertFalse(m.contains(FashionMnist.TRAIN_IMAGES), "a file that is there and not needed is not named: " + m);
        m = assertThrows(FileError.class, () -> FashionMnist.locate(trainOnly, FashionMnist.FILES, debian, apt, said::add)).getMessage();
        assertTrue(m.contains("missing " + FashionMnist.TEST_IMAGES + ", " + FashionMnist.TEST_LABELS + ";") && m.contains("the four files"), m);
        // the training pair missing one file: only that one is named, and the test files are not asked for
        Files.delete(trainOnly.resolve(FashionMnist.TRAIN_LABELS));
        m = assertThrows(FileError.class, () -> FashionMnist.locate(trainOnly, FashionMnist.TRAIN_FILES, debian, apt, said::add)).getMessage();
        assertTrue(m.contains("missing " + FashionMnist.TRAIN_LABELS + ";"), m);
        assertFalse(m.contains("t10k"), m);
        // Debian's folder with only the test pair: enough for `classifier test`, nothing installed
        Path testOnly = dir.resolve("test-only");
        fill(testOnly);
        Files.delete(testOnly.resolve(FashionMnist.TRAIN_IMAGES));
        Files.delete(testOnly.resolve(FashionMnist.TRAIN_LABELS));
        assertEquals(testOnly, FashionMnist.locate(null, FashionMnist.TEST_FILES, testOnly, apt, said::add));
        // without the right to install: what is missing of what is needed, and what to download
        FakeInstaller user = new FakeInstaller(false, null, 0, "");
        m = assertThrows(FileError.class, () -> FashionMnist.locate(null, FashionMnist.TRAIN_FILES, testOnly, user, said::add)).getMessage();
        assertTrue(m.contains("missing " + FashionMnist.TRAIN_IMAGES + ", " + FashionMnist.TRAIN_LABELS + " in " + testOnly), m);
        assertTrue(m.contains("download the files " + FashionMnist.TRAIN_IMAGES + ", " + FashionMnist.TRAIN_LABELS + " ("), m);
        assertTrue(apt.calls.isEmpty() && user.calls.isEmpty());
        assertTrue(said.isEmpty());
        assertThrows(IllegalArgumentException.class, () -> FashionMnist.locate(trainOnly, List.of(), debian, apt, said::add));
        assertThrows(IllegalArgumentException.class, () -> FashionMnist.locate(trainOnly, List.of("README"), debian, apt, said::add));
    }

    @Test
    void locateUsesTheDebianFolderWhenComplete() throws IOException {
        Path debian = dir.resolve("debian");
        fill(debian);
        FakeInstaller apt = new FakeInstaller(true, null, 0, "");
        List<String> said = new ArrayList<>();
        assertEquals(debian, FashionMnist.locate(null, FashionMnist.FILES, debian, apt, said::add));
        assertTrue(apt.calls.isEmpty());
        assertTrue(said.isEmpty());
    }

    @Test
    void locateSaysWhatToRunWhenItCannotInstall() {
        Path debian = dir.resolve("debian");
        FakeInstaller user = new FakeInstaller(false, debian, 0, "");
        List<String> said = new ArrayList<>();
        String m = assertThrows(FileError.class, () -> FashionMnist.locate(null, FashionMnist.FILES, debian, user, said::add)).getMessage();
        assertTrue(m.contains("sudo apt-get install dataset-fashion-mnist") && m.contains("--data-dir"), m);
        for (String f : FashionMnist.FILES) {
            assertTrue(m.contains(f), m);
        }
        assertTrue(user.calls.isEmpty());
        assertTrue(said.isEmpty());
    }

    @Test
    void locateInstallsAsRootSayingSoInOneLine() {
        Path debian = dir.resolve("debian");
        FakeInstaller apt = new FakeInstaller(true, debian, 0, "lots of apt output\nthat nobody sees");
        List<String> said = new ArrayList<>();
        assertEquals(debian, FashionMnist.locate(null, FashionMnist.FILES, debian, apt, said::add));
        assertEquals(List.of("dataset-fashion-mnist"), apt.calls);
        assertEquals(1, said.size());
        assertTrue(said.get(0).contains("apt-get install -y dataset-fashion-mnist") && !said.get(0).contains("\n"), said.get(0));
        assertFalse(said.get(0).contains("apt output"));
    }

    @Test
    void locateShowsTheTailOfAFailedInstall() {
        Path debian = dir.resolve("debian");
        StringBuilder out = new StringBuilder();
        for (int i = 1; i <= 40; i++) {
            out.append("apt line ").append(i).append('\n');
        }
        out.append("E: Unable to locate package dataset-fashion-mnist\n");
        FakeInstaller apt = new FakeInstaller(true, null, 100, out.toString());
        List<String> said = new ArrayList<>();
        String m = assertThrows(FileError.class, () -> FashionMnist.locate(null, FashionMnist.FILES, debian, apt, said::add)).getMessage();
        assertTrue(m.contains("exit status 100") && m.contains("E: Unable to locate package") && m.contains("apt line 40"), m);
        assertFalse(m.contains("apt line 3\n"), m); // only the tail
        assertTrue(m.contains("apt-get install -y dataset-fashion-mnist") && m.contains("--data-dir"), m);
        assertEquals(1, said.size());
    }

    @Test
    void locateNoticesAnInstallThatLeftFilesOut() {
        Path debian = dir.resolve("debian");
        FakeInstaller apt = new FakeInstaller(true, null, 0, "");
        String m = assertThrows(FileError.class, () -> FashionMnist.locate(null, FashionMnist.FILES, debian, apt, s -> { })).getMessage();
        assertTrue(m.contains("still lacks") && m.contains("--reinstall"), m);
    }

    @Test
    void aptUpdatesOnceWhenThePackageIsUnknown() {
        List<String> ran = new ArrayList<>();
        int[] installs = {0};
        FashionMnist.AptInstaller fresh = new FashionMnist.AptInstaller((cmd, out) -> {
            ran.add(String.join(" ", cmd));
            if (cmd.get(1).equals("install") && installs[0]++ == 0) {
                out.append("E: Unable to locate package dataset-fashion-mnist\n");
                return 100;
            }
            out.append("ok\n");
            return 0;
        });
        FashionMnist.Installer.Result r = fresh.install("dataset-fashion-mnist");
        assertEquals(0, r.exitStatus());
        assertEquals(List.of("apt-get install -y dataset-fashion-mnist", "apt-get update", "apt-get install -y dataset-fashion-mnist"), ran);

        // another failure (e.g. no network, dpkg locked): no update, the status and output come back
        ran.clear();
        FashionMnist.AptInstaller locked = new FashionMnist.AptInstaller((cmd, out) -> {
            ran.add(String.join(" ", cmd));
            out.append("E: Could not get lock /var/lib/dpkg/lock-frontend\n");
            return 100;
        });
        r = locked.install("dataset-fashion-mnist");
        assertEquals(100, r.exitStatus());
        assertTrue(r.output().contains("Could not get lock"), r.output());
        assertEquals(List.of("apt-get install -y dataset-fashion-mnist"), ran);
    }

    @Test
    void rootCheckAgreesWithProc() throws IOException {
        Path status = Path.of("/proc/self/status");
        assumeTrue(Files.isReadable(status), "no /proc/self/status on this system");
        String uid = Files.readAllLines(status).stream().filter(l -> l.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[2];
        assertEquals("0".equals(uid), FashionMnist.AptInstaller.isRoot()); // the effective uid (second field)
    }
}
