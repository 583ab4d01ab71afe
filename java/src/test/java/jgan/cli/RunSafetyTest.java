package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jgan.io.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The faults of issue 7 that lose a run or keep a poisoned state (items 1-8, 11, 16), each driven
 * through the command line ({@link Main#run}) as a user would meet it. Tiny networks on the cpu
 * device keep the class to a few seconds.
 */
class RunSafetyTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int jgan(String... args) {
        out.reset();
        err.reset();
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    static List<String> tiny(Path run, int steps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--data", "ring8", "--out", run.toString(), "--device", "cpu", "--steps",
                "" + steps, "--batch", "16", "--width", "8", "--depth", "1", "--latent", "2", "--log-every", "10",
                "--checkpoint-every", "10"));
        for (int i = 0; i < extra.length; i++) { // an extra option replaces the default one of the same name
            int at = a.indexOf(extra[i]);
            if (at >= 0 && extra[i].startsWith("--") && i + 1 < extra.length && !extra[i + 1].startsWith("--")) {
                a.set(at + 1, extra[++i]);
            } else {
                a.add(extra[i]);
            }
        }
        return a;
    }

    private int train(Path run, int steps, String... extra) {
        return jgan(tiny(run, steps, extra).toArray(String[]::new));
    }

    /** No Java exception class name in what the user reads. */
    private void noJavaException(String text) {
        assertFalse(text.matches("(?s).*\\b(java|jgan)\\.[a-z.]+\\.[A-Z]\\w*(Exception|Error)\\b.*"), text);
        assertFalse(text.contains("Exception:") || text.contains("\tat "), text);
    }

    // --- item 1: --force validates first, deletes only jgan's files, refuses empty/root-like paths

    @Test
    void forceValidatesEverythingBeforeDeletingAndDeletesOnlyJgansFiles() throws IOException {
        Path run = dir.resolve("run");
        assertEquals(0, train(run, 10), err());
        Files.writeString(run.resolve("notes.txt"), "mine");
        byte[] ck = Files.readAllBytes(run.resolve("checkpoint.bin"));
        // a bad device, a bad size, an unknown mixture: refused, and the old run is intact
        for (String[] bad : new String[][] {{"--device", "tpu"}, {"--width", "0"}}) {
            assertEquals(2, train(run, 10, concat(bad, "--force")), err());
            assertArrayEquals(ck, Files.readAllBytes(run.resolve("checkpoint.bin")), "old run kept after " + String.join(" ", bad));
        }
        assertTrue(err().contains("--width") || err().contains("width"), err());
        // a valid --force replaces the run and leaves the user's file alone
        assertEquals(0, train(run, 20, "--force"), err());
        assertEquals("mine", Files.readString(run.resolve("notes.txt")));
        // --force on a folder holding no jgan run: refused, nothing deleted
        Path other = dir.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("samples.csv"), "x,y\n1,2\n");
        assertEquals(2, train(other, 10, "--force"));
        assertTrue(err().contains("holds no jgan run"), err());
        assertEquals("x,y\n1,2\n", Files.readString(other.resolve("samples.csv")));
        // an empty or root-like --out: refused
        for (String p : new String[] {"", "/", ".", ".."}) {
            List<String> a = tiny(dir, 10, "--force");
            a.set(a.indexOf(dir.toString()), p);
            assertEquals(2, jgan(a.toArray(String[]::new)), "--out '" + p + "'");
            assertTrue(err().contains("--out"), err());
        }
    }

    private static String[] concat(String[] a, String... b) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of(b));
        return l.toArray(String[]::new);
    }

    // --- item 16 (part): a failed start leaves no run folder behind

    @Test
    void failedStartLeavesNoEmptyRunFolder() {
        Path run = dir.resolve("never");
        assertEquals(2, train(run, 10, "--device", "tpu"));
        assertFalse(Files.exists(run), "no empty folder after a failed start");
    }

    // --- item 2: divergence never overwrites a finite checkpoint; a non-finite one is refused on resume

    @Test
    void divergenceKeepsTheLastFiniteCheckpointAndSaysWhichStep() throws IOException {
        Path run = dir.resolve("diverge");
        int rc = jgan(tiny(run, 200, "--lr", "1e9", "--log-every", "1", "--checkpoint-every", "1").toArray(String[]::new));
        assertEquals(1, rc, out() + err());
        Matcher m = Pattern.compile("diverged at step (\\d+).*?(the checkpoint of step (\\d+)|no checkpoint was written)").matcher(err());
        assertTrue(m.find(), err());
        Path ck = run.resolve("checkpoint.bin");
        if (m.group(3) != null) {
            Checkpoint c = Checkpoint.read(ck);
            assertEquals(Long.parseLong(m.group(3)), c.header().get("step"), err());
            assertTrue(Long.parseLong(m.group(3)) < Long.parseLong(m.group(1)), err());
            for (var e : c.sections().entrySet()) {
                for (float v : e.getValue()) {
                    assertTrue(Float.isFinite(v), "kept checkpoint has a non-finite " + e.getKey());
                }
            }
        } else {
            assertFalse(Files.exists(ck), "no checkpoint was claimed, none may exist");
        }
        noJavaException(err());
    }

    @Test
    void resumeRefusesANonFiniteCheckpoint() throws IOException {
        Path run = dir.resolve("poisoned");
        assertEquals(0, train(run, 10), err());
        Checkpoint c = Checkpoint.read(run.resolve("checkpoint.bin"));
        c.section("d.adam_v")[3] = Float.NaN;
        c.write(run.resolve("checkpoint.bin"));
        byte[] config = Files.readAllBytes(run.resolve("config.json"));
        assertEquals(2, jgan("train", "--resume", run.toString(), "--steps", "20", "--device", "cpu"));
        assertTrue(err().contains("NaN or Inf") && err().contains("d.adam_v"), err());
        assertArrayEquals(config, Files.readAllBytes(run.resolve("config.json")));
    }

    // --- item 3: an exclusive lock on the run folder, naming its holder

    @Test
    void aRunInUseIsRefusedNamingTheHolder() throws IOException {
        Path run = dir.resolve("locked");
        assertEquals(0, train(run, 10), err());
        byte[] log = Files.readAllBytes(run.resolve("log.csv"));
        try (FileChannel ch = FileChannel.open(run.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock l = ch.lock()) {
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.wrap("pid 4242\n".getBytes(StandardCharsets.US_ASCII)));
            assertEquals(2, jgan("train", "--resume", run.toString(), "--steps", "20", "--device", "cpu"));
            assertTrue(err().contains("in use") && err().contains("pid 4242"), err());
            assertEquals(2, train(run, 10, "--force"));
            assertTrue(err().contains("pid 4242"), err());
            assertEquals(2, jgan("eval", "--run", run.toString()));
            assertTrue(err().contains("pid 4242"), err());
        }
        assertArrayEquals(log, Files.readAllBytes(run.resolve("log.csv")), "nothing written while locked");
        assertEquals(0, jgan("train", "--resume", run.toString(), "--steps", "20", "--device", "cpu"), err());
    }

    // --- items 4 and 3: SIGTERM finishes the step, checkpoints, says how to continue, exits 143; the lock names the pid

    @Test
    void sigtermCheckpointsTheCurrentStepAndExits143() throws Exception {
        Path run = dir.resolve("signalled");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "-Djava.awt.headless=true", Main.class.getName()));
        List<String> args = tiny(run, 2_000_000_000, "--checkpoint-every", "0", "--log-every", "50");
        cmd.addAll(args);
        Path console = dir.resolve("console.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(console.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(console).contains("step 50/") && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            String seen = Files.readString(console);
            assertTrue(seen.contains("step 50/"), seen);
            // while it runs, the run folder is locked with the child's pid
            assertEquals(2, jgan("train", "--resume", run.toString(), "--device", "cpu"));
            assertTrue(err().contains("pid " + p.pid()), err());
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child stops within a minute");
            String rest = Files.readString(console);
            assertEquals(143, p.exitValue(), rest);
            Matcher m = Pattern.compile("stopped at step (\\d+); continue with --resume " + Pattern.quote(run.toString())).matcher(rest);
            assertTrue(m.find(), rest);
            long step = Long.parseLong(m.group(1));
            assertEquals(step, Checkpoint.read(run.resolve("checkpoint.bin")).header().get("step"));
            // and it continues from there
            assertEquals(0, jgan("train", "--resume", run.toString(), "--steps", "" + (step + 5), "--device", "cpu"), err());
            assertTrue(out().contains("resumed at step " + step), out());
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    // --- item 5: a checkpoint from another run is refused with the differences; nothing is touched

    @Test
    void aCheckpointFromAnotherRunIsRefusedListingTheDifferences() throws IOException {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        assertEquals(0, train(a, 10), err());
        assertEquals(0, train(b, 10, "--width", "12"), err());
        Files.copy(b.resolve("checkpoint.bin"), a.resolve("checkpoint.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        byte[] config = Files.readAllBytes(a.resolve("config.json")), log = Files.readAllBytes(a.resolve("log.csv"));
        assertEquals(2, jgan("train", "--resume", a.toString(), "--steps", "20", "--device", "cpu"));
        assertTrue(err().contains("width: checkpoint 12, config.json 8"), err());
        assertArrayEquals(config, Files.readAllBytes(a.resolve("config.json")));
        assertArrayEquals(log, Files.readAllBytes(a.resolve("log.csv")));
    }

    // --- item 6: a torn or blank log line never blocks a valid checkpoint; elapsed_s continues

    @Test
    void tornLogLinesAreDroppedWithAWarningAndElapsedContinues() throws IOException {
        Path run = dir.resolve("torn");
        assertEquals(0, train(run, 20), err());
        Path log = run.resolve("log.csv");
        List<String> rows = new ArrayList<>(Files.readAllLines(log));
        assertEquals(3, rows.size(), rows.toString());
        String[] f = rows.get(2).split(",");
        f[6] = "1000.0"; // as if the first 20 steps had taken 1000 s
        rows.set(2, String.join(",", f));
        rows.add("");
        rows.add("30,0.69");
        Files.writeString(log, String.join("\n", rows));
        assertEquals(0, jgan("train", "--resume", run.toString(), "--steps", "40", "--device", "cpu"), err());
        assertTrue(err().contains(log + " line 5") && err().contains("dropped"), err());
        List<String> now = Files.readAllLines(log);
        assertEquals(5, now.size(), now.toString()); // header, 10, 20, 30, 40
        for (String row : now.subList(3, 5)) {
            assertTrue(Double.parseDouble(row.split(",")[6]) >= 1000.0, "elapsed_s continues: " + row);
        }
    }

    // --- item 7: eval refuses a samples.csv without samples and leaves metrics.json alone

    @Test
    void evalRefusesEmptySamplesAndKeepsMetrics() throws IOException {
        Path run = dir.resolve("empty");
        assertEquals(0, train(run, 10), err());
        byte[] metrics = Files.readAllBytes(run.resolve("metrics.json"));
        Files.writeString(run.resolve("samples.csv"), "x,y\n");
        assertEquals(2, jgan("eval", "--run", run.toString()));
        assertTrue(err().contains("holds no samples"), err());
        assertArrayEquals(metrics, Files.readAllBytes(run.resolve("metrics.json")));
    }

    // --- item 8: file errors name the path and the action, remove the .tmp, show no Java exception

    @Test
    void fileErrorsNameThePathAndTheAction() throws IOException {
        assertEquals(1, train(Path.of("/proc/jgan-cannot-be-here"), 10));
        assertTrue(err().contains("cannot create the run folder /proc/jgan-cannot-be-here"), err());
        noJavaException(err());

        Path run = dir.resolve("files");
        assertEquals(0, train(run, 10), err());
        // samples.csv is a folder; then binary; config.json truncated
        Path samples = run.resolve("samples.csv");
        Files.delete(samples);
        Files.createDirectories(samples);
        assertEquals(2, jgan("eval", "--run", run.toString()));
        assertTrue(err().contains(samples + " is a folder"), err());
        Files.delete(samples);
        Files.write(samples, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0x80, 'x'});
        assertEquals(2, jgan("eval", "--run", run.toString()));
        assertTrue(err().contains(samples.toString()), err());
        noJavaException(err());
        Path config = run.resolve("config.json");
        String c = Files.readString(config);
        Files.writeString(config, c.substring(0, c.length() / 2));
        assertEquals(2, jgan("eval", "--run", run.toString()));
        assertTrue(err().contains(config + " is damaged"), err());
        assertEquals(2, jgan("train", "--resume", run.toString(), "--steps", "20", "--device", "cpu"));
        assertTrue(err().contains(config + " is damaged"), err());
        noJavaException(err());
    }

    @Test
    void aFullDiskNamesTheFileAndKeepsTheCheckpoint() throws IOException {
        Path full = Path.of("/dev/full");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(full), "needs /dev/full to act as a full disk");
        Path run = dir.resolve("full");
        assertEquals(0, train(run, 10), err());
        byte[] ck = Files.readAllBytes(run.resolve("checkpoint.bin"));
        Path tmp = run.resolve("checkpoint.bin.tmp");
        Files.createSymbolicLink(tmp, full); // the next checkpoint's bytes go to a device that is always full
        assertEquals(1, jgan("train", "--resume", run.toString(), "--steps", "20", "--device", "cpu"));
        assertTrue(err().contains("cannot write " + run.resolve("checkpoint.bin") + ": no space left on device; the checkpoint of step 10"
                + " is intact"), err());
        noJavaException(err());
        assertFalse(Files.exists(tmp, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the .tmp is removed");
        assertArrayEquals(ck, Files.readAllBytes(run.resolve("checkpoint.bin")));
    }

    // --- item 11: the folder layout is checked when the run is prepared, not at the first checkpoint

    @Test
    void aFileWhereTheSamplesFolderGoesIsRefusedAtTheStart() throws IOException {
        Path run = dir.resolve("layout");
        Files.createDirectories(run);
        Files.writeString(run.resolve("samples"), "not a folder");
        assertEquals(2, train(run, 20, "--force"));
        assertTrue(err().contains(run.resolve("samples") + " is a file where jgan writes a folder"), err());
        assertFalse(Files.exists(run.resolve("config.json")), "nothing written");
        Path run2 = dir.resolve("layout2");
        Files.createDirectories(run2.resolve("checkpoint.bin"));
        assertEquals(2, train(run2, 20));
        assertTrue(err().contains(run2.resolve("checkpoint.bin") + " is a folder where jgan writes a file"), err());
        assertNotEquals(0, jgan("train", "--resume", run2.toString(), "--device", "cpu"));
    }
}
