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
class RunSafetyTest extends CliTestBase {





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
        // a holder that has not written its pid yet (a start race) is said to be starting, not "pid unknown"
        try (FileChannel ch = FileChannel.open(run.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock l = ch.lock()) {
            ch.truncate(0);
            assertEquals(2, jgan("eval", "--run", run.toString()));
            assertTrue(err().contains("just starting") && !err().contains("pid unknown"), err());
        }
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
            // and it continues from there, writing the same losses in log.csv as a run that never stopped (report item 22): the
            // row after the stop averages from the log boundary, not from the resume
            long end = (step / 50 + 2) * 50;
            assertEquals(0, jgan("train", "--resume", run.toString(), "--steps", "" + end, "--device", "cpu"), err());
            assertTrue(out().contains("resumed at step " + step), out());
            Path straight = dir.resolve("straight");
            assertEquals(0, jgan(tiny(straight, (int) end, "--checkpoint-every", "0", "--log-every", "50").toArray(String[]::new)), err());
            assertEquals(losses(straight), losses(run), "log.csv's losses after a stop at step " + step + " and a resume");
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** log.csv without the timing columns (steps_per_s, elapsed_s). */
    private static List<String> losses(Path run) throws IOException {
        return Files.readAllLines(run.resolve("log.csv")).stream().map(l -> String.join(",", List.of(l.split(",")).subList(0, 5))).toList();
    }

    /**
     * GNU env's option that gives the child SIGHUP's default disposition, when this env has it.
     * A test run under nohup (or any parent that ignores SIGHUP) passes the ignored disposition
     * through exec, and the JVM then silently installs no handler for SIGHUP: the child ignores it,
     * as nohup means, and a SIGHUP test would wait forever (the flaky CI failure: "the first
     * SIGHUP was never acknowledged while steps went on").
     */
    private static List<String> hupDefault() {
        try {
            if (new ProcessBuilder("env", "--default-signal=HUP", "true").redirectErrorStream(true).start().waitFor() == 0) {
                return List.of("env", "--default-signal=HUP");
            }
        } catch (IOException e) {
            // no env: the disposition is checked by the test
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return List.of();
    }

    /** Whether this process ignores SIGHUP (bit 0 of SigIgn in /proc/self/status), which its children inherit. */
    private static boolean hupIgnored() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return false;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & 1) != 0;
            }
        }
        return false;
    }

    private Process child(Path console, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(hupDefault());
        org.junit.jupiter.api.Assumptions.assumeTrue(!cmd.isEmpty() || !hupIgnored(), "SIGHUP is ignored here (nohup?) and env cannot"
                + " reset it: a child cannot handle it");
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), "-Djava.awt.headless=true", Main.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(console.toFile()).start();
    }

    private static String awaitText(Path console, Process p, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(console).contains(text) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        String seen = Files.readString(console);
        assertTrue(seen.contains(text), "waited for '" + text + "': " + seen);
        return seen;
    }

    private static void signal(Process p, String name) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + name, "" + p.pid()).start().waitFor());
    }

    // --- report items 3, 4, 5: SIGHUP is handled as SIGTERM; the first signal is acknowledged at once; a second one never cuts a
    // checkpoint short, leaves no .tmp and says which checkpoint is kept

    @Test
    void hupIsAcknowledgedAndASecondSignalKeepsTheCheckpointAndSaysWhich() throws Exception {
        Path run = dir.resolve("hup");
        Path console = dir.resolve("hup.txt");
        // long steps (200,000 critic updates each) so that both signals land inside one
        Process p = child(console, tiny(run, 2_000_000_000, "--n-critic", "100000", "--log-every", "1", "--checkpoint-every", "1"));
        try {
            awaitText(console, p, "step 1/");
            Thread.sleep(500); // past step 1's checkpoint, into step 2
            signal(p, "HUP");
            awaitText(console, p, "stopping after the current step (2)");
            // another signal: the same one again within a second would be the same stop (theSameSignalTwiceAtOnceIsOneStop)
            signal(p, "TERM");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child stops within a minute");
            String rest = Files.readString(console);
            assertEquals(143, p.exitValue(), rest);
            Matcher m = Pattern.compile("second signal \\(SIGTERM\\): stopped at once; the checkpoint of step (\\d+) in "
                    + Pattern.quote(run.resolve("checkpoint.bin").toString()) + " is kept").matcher(rest);
            assertTrue(m.find(), rest);
            assertEquals(Long.parseLong(m.group(1)), Checkpoint.read(run.resolve("checkpoint.bin")).header().get("step"));
            try (var walk = Files.walk(run)) {
                assertEquals(List.of(), walk.filter(f -> f.toString().endsWith(".tmp")).toList(), "no .tmp left");
            }
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    // --- new-user finding 7: timeout(1) signals the child and its group, so one stop may arrive twice, microseconds apart: the
    // repeat is the same stop (a checkpoint of the current step, exit 143), not the second signal that stops at once

    @Test
    void theSameSignalTwiceAtOnceIsOneStop() throws Exception {
        Path run = dir.resolve("twice");
        Path console = dir.resolve("twice.txt");
        Process p = child(console, tiny(run, 2_000_000_000, "--n-critic", "20000", "--log-every", "1", "--checkpoint-every", "0"));
        try {
            awaitText(console, p, "step 1/");
            assertEquals(0, new ProcessBuilder("sh", "-c", "kill -TERM $1; kill -TERM $1", "sh", "" + p.pid()).start().waitFor());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child stops within a minute");
            String rest = Files.readString(console);
            assertEquals(143, p.exitValue(), rest);
            assertFalse(rest.contains("second signal ("), rest); // not "second signal (SIGTERM): stopped at once"
            Matcher m = Pattern.compile("stopped at step (\\d+); continue with --resume").matcher(rest);
            assertTrue(m.find(), rest);
            assertEquals(Long.parseLong(m.group(1)), Checkpoint.read(run.resolve("checkpoint.bin")).header().get("step"));
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    // --- tester1 #17: a signal during start-up (here while Fashion-MNIST is resized, before the run folder exists) stops at once,
    // says so in one line, and leaves no half-made folder that a later --out would refuse

    @Test
    void aSignalDuringStartUpStopsAtOnceSaysSoAndLeavesNoFolder() throws Exception {
        Path data = ImageTrainTest.fakeFashionMnist(dir);
        Path run = dir.resolve("early");
        Path console = dir.resolve("early.txt");
        Process p = child(console, List.of("train", "--data", "fashion-mnist", "--data-dir", data.toString(), "--out", run.toString(),
                "--device", "cpu", "--image-size", "16", "--channels", "3", "--g-width", "2", "--d-width", "2", "--latent", "4", "--batch",
                "4", "--steps", "1000", "--log-every", "1"));
        try {
            awaitText(console, p, "resizing 60,000 images"); // about 1 ms an image: a minute of start-up left
            signal(p, "TERM");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child stops within a minute");
            String rest = Files.readString(console);
            assertEquals(143, p.exitValue(), rest);
            assertTrue(rest.contains("\njgan train: SIGTERM: stopped during start-up, before the first checkpoint: nothing to keep, nothing"
                    + " written\n"), rest);
            assertFalse(rest.contains("step 1/"), rest);
            assertFalse(Files.exists(run), "no folder left");
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** What the handler does when the signal finds the run's first files being written (the window is too short to hit from outside). */
    @Test
    void aStopDuringStartUpRemovesTheHalfMadeRun() throws IOException {
        // the folder this command created: its files and the folder go
        Path made = dir.resolve("made");
        Files.createDirectories(made);
        for (String f : List.of(".lock", "config.json", "data-report.txt", "log.csv")) {
            Files.writeString(made.resolve(f), "x");
        }
        assertEquals("\njgan train: SIGINT: stopped during start-up, before the first checkpoint: nothing to keep; " + made + " removed",
                TrainCommand.stopDuringStartUp("INT", made, true, true, -1));
        assertFalse(Files.exists(made));
        // a folder that was there (empty, or a run --force had cleared): jgan's files go, the folder and others' files stay, and
        // --out takes it again
        Path there = dir.resolve("there");
        Files.createDirectories(there);
        Files.writeString(there.resolve("config.json"), "{}");
        Files.writeString(there.resolve("log.csv"), "step\n");
        assertTrue(TrainCommand.stopDuringStartUp("TERM", there, false, true, -1).endsWith("; the files it wrote in " + there
                + " are removed"));
        try (var l = Files.list(there)) {
            assertEquals(List.of(), l.toList());
        }
        assertEquals(0, train(there, 2), err());
        // no folder yet
        assertTrue(TrainCommand.stopDuringStartUp("INT", null, false, false, -1).endsWith("nothing to keep, nothing written"));
        // a resume leaves the run as it was
        String resumed = TrainCommand.stopDuringStartUp("HUP", there, false, true, 2);
        assertTrue(resumed.endsWith("before training resumed: " + there + " is as it was (its checkpoint of step 2): continue with"
                + " --resume " + there), resumed);
        assertTrue(Files.exists(there.resolve("checkpoint.bin")) && Files.exists(there.resolve("config.json")));
    }

    // --- report item 1: --force recognises a jgan run by its content, not by file names

    @Test
    void forceRefusesFoldersWhoseConfigOrCheckpointIsNotJgans() throws IOException {
        Path p3 = dir.resolve("p3");
        Files.createDirectories(p3);
        Files.writeString(p3.resolve("config.json"), "{\"model\":\"resnet\"}\n");
        Files.writeString(p3.resolve("samples.csv"), "a,b\n");
        assertEquals(2, train(p3, 10, "--force"));
        assertTrue(err().contains("holds no jgan run"), err());
        assertEquals("{\"model\":\"resnet\"}\n", Files.readString(p3.resolve("config.json")));
        assertEquals("a,b\n", Files.readString(p3.resolve("samples.csv")));
        Path p4 = dir.resolve("p4");
        Files.createDirectories(p4);
        byte[] random = new byte[5000];
        new java.util.Random(7).nextBytes(random);
        Files.write(p4.resolve("checkpoint.bin"), random);
        assertEquals(2, train(p4, 10, "--force"));
        assertTrue(err().contains("holds no jgan run"), err());
        assertArrayEquals(random, Files.readAllBytes(p4.resolve("checkpoint.bin")));
    }

    // --- report item 2: links are resolved before the root-like check

    @Test
    void aLinkToARootLikeFolderIsRefusedAsTheFolderItself() throws IOException {
        Path toRoot = Files.createSymbolicLink(dir.resolve("rootlink"), Path.of("/"));
        Path toCwd = Files.createSymbolicLink(dir.resolve("cwdlink"), Path.of("").toAbsolutePath());
        for (Path link : List.of(toRoot, toCwd)) {
            assertEquals(2, train(link, 10, "--force"));
            assertTrue(err().contains("give a folder of its own"), err());
        }
        assertEquals(2, train(toRoot.resolve("sub").resolve(".."), 10, "--force"));
        assertTrue(err().contains("give a folder of its own"), err());
    }

    // --- report items 6 and 14: a run stopped before its first checkpoint, or not finished, says what to do

    @Test
    void unfinishedRunsPointToForceOrResume() throws IOException {
        Path run = dir.resolve("h1");
        assertEquals(0, train(run, 10), err());
        for (String f : List.of("samples.csv", "metrics.json", "samples.png")) {
            Files.delete(run.resolve(f));
        }
        assertEquals(2, jgan("eval", "--run", run.toString())); // a checkpoint, no samples.csv: not finished
        assertTrue(err().contains("has not finished") && err().contains("step 10") && err().contains("--resume " + run), err());
        Files.delete(run.resolve("checkpoint.bin")); // as if killed before its first checkpoint
        assertEquals(2, train(run, 10));
        assertTrue(err().contains("stopped before its first checkpoint") && err().contains("--force"), err());
        assertEquals(2, jgan("train", "--resume", run.toString(), "--device", "cpu"));
        assertTrue(err().contains("stopped before its first checkpoint") && err().contains("--out " + run + " --force"), err());
        assertEquals(2, jgan("eval", "--run", run.toString()));
        assertTrue(err().contains("stopped before its first checkpoint") && err().contains("--force"), err());
        assertEquals(0, train(run, 10, "--force"), err());
        Path file = dir.resolve("afile");
        Files.writeString(file, "x");
        assertEquals(2, jgan("train", "--resume", file.toString(), "--device", "cpu"));
        assertTrue(err().contains("is a file, not a run folder"), err());
    }

    // --- report item 7: config.json lost, checkpoint valid: recovered from the checkpoint

    @Test
    void aLostConfigIsRecoveredFromTheCheckpoint() throws IOException {
        Path run = dir.resolve("noconfig");
        assertEquals(0, train(run, 10), err());
        String config = Files.readString(run.resolve("config.json"));
        Files.delete(run.resolve("config.json"));
        assertEquals(0, jgan("train", "--resume", run.toString(), "--steps", "20", "--device", "cpu"), err());
        assertTrue(err().contains("config.json was missing; written again from the config stored in"), err());
        assertEquals(config.replace("\"steps\": 10", "\"steps\": 20"), Files.readString(run.resolve("config.json")));
    }

    // --- report item 8: damaged bytes in log.csv drop only their rows

    @Test
    void binaryBytesInTheLogDropOnlyTheirRows() throws IOException {
        Path run = dir.resolve("binlog");
        assertEquals(0, train(run, 40), err());
        Path log = run.resolve("log.csv");
        List<String> rows = Files.readAllLines(log);
        assertEquals(5, rows.size(), rows.toString());
        byte[] junk = new byte[200];
        for (int i = 0; i < junk.length; i++) {
            junk[i] = (byte) (0x80 + i % 120);
        }
        Files.write(log, junk, StandardOpenOption.APPEND);
        assertEquals(0, jgan("train", "--resume", run.toString(), "--steps", "50", "--device", "cpu"), err());
        assertTrue(err().contains(log + " line 6") && err().contains("dropped"), err());
        List<String> now = Files.readAllLines(log);
        assertEquals(rows, now.subList(0, 5), "the valid rows are kept");
        assertEquals(6, now.size(), now.toString());
    }

    // --- report item 9: the training time is kept in the checkpoint, not only in log.csv

    @Test
    void elapsedContinuesFromTheCheckpointWithoutLogCsv() throws IOException {
        Path run = dir.resolve("elapsed");
        assertEquals(0, train(run, 20), err());
        Path ck = run.resolve("checkpoint.bin");
        Checkpoint c = Checkpoint.read(ck);
        assertTrue(((Number) c.header().get("elapsed_s")).doubleValue() > 0, c.header().toString());
        c.header().put("elapsed_s", 1000.0); // as if the first 20 steps had taken 1000 s
        c.write(ck);
        Files.delete(run.resolve("log.csv"));
        assertEquals(0, jgan("train", "--resume", run.toString(), "--steps", "40", "--device", "cpu"), err());
        List<String> now = Files.readAllLines(run.resolve("log.csv"));
        assertEquals(3, now.size(), now.toString()); // header, 30, 40
        for (String row : now.subList(1, 3)) {
            assertTrue(Double.parseDouble(row.split(",")[6]) >= 1000.0, "elapsed_s continues: " + row);
        }
        // and so does the progress line's elapsed (tester1 #11: it started again from 0:00): 1000 s is 16:40
        assertTrue(out().matches("(?s).*step 30/40 .* elapsed 16:4\\d .*"), out());
        assertTrue(out().matches("(?s).*step 40/40 .* elapsed 16:4\\d .*"), out());
    }

    // --- report item 10: .tmp files a killed run left are removed when the run is taken up again

    @Test
    void leftoverTmpFilesAreRemovedOnResume() throws IOException {
        Path run = dir.resolve("tmps");
        assertEquals(0, train(run, 20), err());
        List<Path> tmps = List.of(run.resolve("samples/step_0000096.csv.tmp"), run.resolve("log.csv.tmp"), run.resolve("checkpoint.bin.tmp"),
                run.resolve("metrics.json.tmp"));
        for (Path t : tmps) {
            Files.writeString(t, "half");
        }
        Files.writeString(run.resolve("mine.tmp"), "the user's");
        assertEquals(0, jgan("train", "--resume", run.toString(), "--steps", "30", "--device", "cpu"), err());
        for (Path t : tmps) {
            assertFalse(Files.exists(t), t + " removed");
        }
        assertEquals("the user's", Files.readString(run.resolve("mine.tmp")));
    }

    // --- report items 11 and 21: damaged or crafted fields in config.json and checkpoint headers are refused naming file and field

    @Test
    @SuppressWarnings("unchecked")
    void wrongTypesAndCraftedHeaderValuesNameTheFileAndTheField() throws IOException {
        Path run = dir.resolve("crafted");
        assertEquals(0, train(run, 10), err());
        Path config = run.resolve("config.json"), ck = run.resolve("checkpoint.bin");
        String good = Files.readString(config);
        byte[] goodCk = Files.readAllBytes(ck);
        String[][] configCases = {{"\"lr_g\": 5.0E-4", "\"lr_g\": \"5.0E-4\"", "'lr_g' must be a number"},
            {"\"tf32\": true", "\"tf32\": \"yes\"", "'tf32' must be true or false"},
            {"\"width\": 8", "\"width\": 8.9", "'width' must be a whole number"},
            {"\"format_version\": 1,", "", "format_version is missing"}};
        for (String[] k : configCases) {
            assertTrue(good.contains(k[0]), k[0]);
            Files.writeString(config, good.replace(k[0], k[1]));
            assertEquals(2, jgan("train", "--resume", run.toString(), "--steps", "20", "--device", "cpu"));
            assertTrue(err().contains(config + " is damaged") && err().contains(k[2]), err());
            noJavaException(err());
            assertEquals(2, jgan("eval", "--run", run.toString()));
            assertTrue(err().contains(config + " is damaged") && err().contains(k[2]), err());
            noJavaException(err());
        }
        Files.writeString(config, good);
        List<java.util.function.Consumer<Checkpoint>> crafted = List.of(
            c -> c.header().put("step", -5L),
            c -> c.header().put("step", 1e30),
            c -> c.header().put("adam_steps_g", -100L),
            c -> c.section("d.adam_v")[0] = -1f,
            c -> ((java.util.Map<String, Object>) c.header().get("config")).put("tf32", "yes"));
        List<String> expected = List.of("'step' must be a whole number >= 0, got -5", "'step' must be a whole number >= 0, got 1.0E30",
            "'adam_steps_g' must be a whole number >= 0", "'d.adam_v'", "'tf32' must be true or false");
        for (int i = 0; i < crafted.size(); i++) {
            Checkpoint c = Checkpoint.fromBytes(goodCk, "good");
            crafted.get(i).accept(c);
            c.write(ck); // a valid checksum
            assertEquals(2, jgan("train", "--resume", run.toString(), "--steps", "20", "--device", "cpu"));
            assertTrue(err().contains(ck + " is damaged") && err().contains(expected.get(i)), err());
            assertFalse(err().contains("diverged"), err());
            noJavaException(err());
        }
    }

    // --- report items 18, 19, 20: eval refuses non-finite samples; a run it cannot write still gets its numbers printed

    @Test
    void evalRefusesNonFiniteSamplesAndPrintsMetricsItCannotWrite() throws IOException {
        Path run = dir.resolve("evals");
        assertEquals(0, train(run, 10), err());
        Path samples = run.resolve("samples.csv"), metrics = run.resolve("metrics.json");
        String good = Files.readString(samples);
        byte[] m = Files.readAllBytes(metrics);
        for (String bad : List.of("1e999,3", "-Infinity,0", "NaN,1")) {
            Files.writeString(samples, "x,y\n0.5,0.5\n" + bad + "\n");
            assertEquals(2, jgan("eval", "--run", run.toString()), bad);
            assertTrue(err().contains(samples + ":3") && err().contains("not finite"), err());
        }
        assertArrayEquals(m, Files.readAllBytes(metrics));
        Files.writeString(samples, good);
        // no lock file can be made (as on a read-only run): the metrics are printed, metrics.json is said to be unwritten
        Files.delete(run.resolve(".lock"));
        Files.createDirectories(run.resolve(".lock"));
        assertEquals(1, jgan("eval", "--run", run.toString()));
        assertTrue(out().contains("modes captured") && err().contains(metrics + " was not written"), out() + err());
        Files.delete(run.resolve(".lock"));
        // metrics.json is a folder and there was no previous file: no claim that one is intact
        Files.delete(metrics);
        Files.createDirectories(metrics);
        assertEquals(1, jgan("eval", "--run", run.toString()));
        assertTrue(err().contains("cannot write " + metrics) && !err().contains("previous"), err());
        assertTrue(out().contains("modes captured"), out());
    }

    // --- report item 17: divergence advice fits the run (the options it came from; a resumed run cannot change them)

    @Test
    void divergenceOnResumeSaysToStartANewRun() throws IOException {
        Path run = dir.resolve("blowup");
        assertEquals(0, train(run, 10, "--lr-d", "1e-3", "--lr-g", "5e-4"), err());
        Path ck = run.resolve("checkpoint.bin");
        Checkpoint c = Checkpoint.read(ck);
        float[] p = c.section("d.params");
        java.util.Arrays.fill(p, 3e37f); // finite, and overflowing at the first product
        c.write(ck);
        assertEquals(1, jgan("train", "--resume", run.toString(), "--steps", "40", "--device", "cpu"));
        assertTrue(err().contains("diverged") && err().contains("--lr-g or --lr-d") && err().contains("start a new run")
                && err().contains("--out " + run + " --force"), err());
        // a huge loss is shown in 4 significant digits, not 39 digits of fixed point
        assertEquals("1.423e+38", TrainCommand.loss(1.4234867e38f));
        assertEquals("0.6931", TrainCommand.loss(0.693147f));
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
        assertTrue(err().contains("--width: checkpoint 12, config.json 8") && !err().contains("log_every"), err());
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
    void aLeftoverTmpLinkIsRemovedNotWrittenThrough() throws IOException {
        Path run = dir.resolve("tmplink");
        assertEquals(0, train(run, 10), err());
        Path victim = dir.resolve("victim.bin");
        Files.writeString(victim, "the user's file");
        Path tmp = run.resolve("checkpoint.bin.tmp");
        Files.createSymbolicLink(tmp, victim); // a write through the link would truncate the user's file
        assertEquals(0, jgan("train", "--resume", run.toString(), "--steps", "20", "--device", "cpu"), err());
        assertEquals("the user's file", Files.readString(victim));
        assertFalse(Files.exists(tmp, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the link itself is removed");
        assertEquals(20, jgan.gan.TrainingCheckpoint.step(Checkpoint.read(run.resolve("checkpoint.bin"))));
    }

    // --- second attack, item 1: --force and writes never follow a link out of the run

    @Test
    void forceDeletesLinksThemselvesAndNeverWritesThroughThem() throws IOException {
        Path run = dir.resolve("links");
        assertEquals(0, train(run, 20), err());
        Path victim = dir.resolve("victimdir");
        Files.createDirectories(victim);
        Files.writeString(victim.resolve("step_0000010.csv"), "x,y\n1,2\n");
        Files.writeString(victim.resolve("other.txt"), "keep me");
        Path victimFile = dir.resolve("victim.csv");
        Files.writeString(victimFile, "mine");
        try (var s = Files.list(run.resolve("samples"))) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(run.resolve("samples"));
        Files.createSymbolicLink(run.resolve("samples"), victim);
        Files.delete(run.resolve("samples.csv"));
        Files.createSymbolicLink(run.resolve("samples.csv"), victimFile);
        Files.createSymbolicLink(run.resolve("log.csv.tmp"), victimFile);

        // without --force a samples link is refused before anything is written
        assertEquals(2, jgan("train", "--resume", run.toString(), "--steps", "30", "--device", "cpu"));
        assertTrue(err().contains(run.resolve("samples") + " is a symbolic link"), err());
        noJavaException(err());

        assertEquals(0, train(run, 20, "--force"), err());
        assertEquals("x,y\n1,2\n", Files.readString(victim.resolve("step_0000010.csv")), "nothing deleted or written through the link");
        assertEquals("keep me", Files.readString(victim.resolve("other.txt")));
        assertEquals("mine", Files.readString(victimFile));
        assertFalse(Files.isSymbolicLink(run.resolve("samples")), "the link is gone, samples/ is a folder of the run");
        assertTrue(Files.isRegularFile(run.resolve("samples").resolve("step_0000010.csv"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.isSymbolicLink(run.resolve("samples.csv")));
        assertFalse(Files.exists(run.resolve("log.csv.tmp"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
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

    // --- second attack, item 2: --force needs a whole config or a checkpoint that reads

    @Test
    void forceNeedsAWholeConfigOrAReadableCheckpoint() throws IOException {
        Path good = dir.resolve("good");
        assertEquals(0, train(good, 10), err());
        List<byte[]> fakes = List.of("{\"format_version\":1,\"name\":\"mine\"}".getBytes(StandardCharsets.UTF_8),
                "{\"format_version\":1}".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 3; i++) {
            Path p = dir.resolve("fake" + i);
            Files.createDirectories(p);
            if (i < 2) {
                Files.write(p.resolve("config.json"), fakes.get(i));
            } else {
                Files.writeString(p.resolve("checkpoint.bin"), "JGANCKPT");
            }
            Files.writeString(p.resolve("samples.csv"), "mine\n");
            Files.writeString(p.resolve("log.csv"), "mine too\n");
            assertEquals(2, train(p, 10, "--force"), "case " + i);
            assertTrue(err().contains("holds no jgan run"), err());
            assertEquals("mine\n", Files.readString(p.resolve("samples.csv")));
            assertEquals("mine too\n", Files.readString(p.resolve("log.csv")));
        }
        // a real run is still recognised by its checkpoint alone, and by its config alone
        Files.delete(good.resolve("config.json"));
        assertEquals(0, train(good, 10, "--force"), err());
        Files.delete(good.resolve("checkpoint.bin"));
        assertEquals(0, train(good, 10, "--force"), err());
    }

    // --- second attack, item 5: a file that is a device or huge is refused by name, no stack trace

    @Test
    void aDeviceOrHugeFileIsRefusedByNameWithoutRunningOutOfMemory() throws IOException {
        Path zero = Path.of("/dev/zero");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(zero), "needs /dev/zero");
        Path run = dir.resolve("zero");
        assertEquals(0, train(run, 10), err());
        for (String name : List.of("samples.csv", "config.json", "log.csv")) {
            Path f = run.resolve(name);
            Path saved = dir.resolve(name + ".saved");
            Files.move(f, saved);
            Files.createSymbolicLink(f, zero);
            int eval = jgan("eval", "--run", run.toString());
            String evalErr = err();
            int resume = name.equals("samples.csv") ? 0 : jgan("train", "--resume", run.toString(), "--steps", "20", "--device", "cpu");
            String resumeErr = err();
            Files.delete(f);
            Files.move(saved, f);
            if (!name.equals("log.csv")) {
                assertEquals(2, eval, name);
                assertTrue(evalErr.contains(f + " is not a regular file"), evalErr);
                noJavaException(evalErr);
            }
            if (!name.equals("samples.csv")) {
                assertEquals(2, resume, name);
                assertTrue(resumeErr.contains(f + " is not a regular file"), resumeErr);
                noJavaException(resumeErr);
            }
        }
        Path big = dir.resolve("big.csv");
        try (var ch = FileChannel.open(big, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {'x'}), jgan.io.AtomicFiles.MAX_TEXT_BYTES + 1);
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> jgan.io.AtomicFiles.readString(big));
        assertTrue(e.getMessage().contains(big + " is larger than 256 MB"), e.getMessage());
    }

    // --- second attack, item 3: a signal once training is complete reports nothing lost

    @Test
    void aSignalAfterTrainingIsCompleteLosesNothingAndSaysSo() throws IOException {
        Path run = dir.resolve("complete");
        assertEquals(0, train(run, 10), err());
        // the command has finished training: a signal now (first or second) is ignored, the exit status stays 0
        assertEquals(TrainCommand.Phase.DONE, TrainCommand.phase);
        assertEquals(null, TrainCommand.reaction("TERM", true));
        assertEquals(null, TrainCommand.reaction("TERM", false));
        // while the last files are written after the last checkpoint, a signal is told that nothing is lost
        TrainCommand.phase = TrainCommand.Phase.FINISHING;
        try {
            String first = TrainCommand.reaction("TERM", true);
            assertTrue(first.contains("training is complete (step 10 of 10"), first);
            assertFalse(first.contains("(11)"), first);
            String second = TrainCommand.reaction("TERM", false);
            assertTrue(second.contains("the checkpoint of its last step (10) in " + run.resolve("checkpoint.bin") + " is kept"), second);
            assertFalse(second.contains("lost)") || second.contains("--resume"), second);
        } finally {
            TrainCommand.phase = TrainCommand.Phase.DONE;
        }
    }

    // --- second attack, items 6 and 12: config.json errors in jgan's words; a key given twice is refused, not "last wins"

    @Test
    void badJsonIsReportedByLineColumnAndFieldWithoutGsonAdvice() throws IOException {
        Path run = dir.resolve("json");
        assertEquals(0, train(run, 10), err());
        Path config = run.resolve("config.json");
        String good = Files.readString(config);
        String lrLine = good.lines().filter(l -> l.contains("\"lr_g\"")).findFirst().orElseThrow();
        int lrRow = good.lines().toList().indexOf(lrLine) + 1;
        List<String> bad = List.of(good.replace(lrLine, "  \"lr_g\": NaN,"), good + "// c\n", good + "{}\n",
                good.replaceFirst("\\{", "{\n  \"width\": 16,"));
        for (int i = 0; i < bad.size(); i++) {
            Files.writeString(config, bad.get(i));
            assertEquals(2, jgan("eval", "--run", run.toString()), "case " + i);
            String e = err();
            assertTrue(e.contains(config + " is damaged: bad JSON at line "), e);
            assertFalse(e.contains("JsonReader") || e.contains("Strictness") || e.contains("LENIENT") || e.contains("path $"), e);
            noJavaException(e);
            if (i == 0) {
                assertTrue(e.contains("at line " + lrRow + " ") && e.contains("(field lr_g)"), e);
            }
            if (i == 3) {
                assertTrue(e.contains("the key 'width' is given twice"), e);
            }
        }
        Files.writeString(config, good);
        assertEquals(0, jgan("eval", "--run", run.toString()), err());
    }

    // --- second attack, item 7: eval on a run being trained right now names the holder, not "stopped"

    @Test
    void evalOnARunInTrainingNamesTheHolderFirst() throws IOException {
        Path run = dir.resolve("training");
        assertEquals(0, train(run, 10), err());
        for (String f : List.of("checkpoint.bin", "samples.csv", "metrics.json", "samples.png")) {
            Files.deleteIfExists(run.resolve(f)); // as a run looks before its first checkpoint
        }
        try (FileChannel ch = FileChannel.open(run.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock l = ch.lock()) {
            ch.truncate(0);
            ch.write(java.nio.ByteBuffer.wrap("pid 4343\n".getBytes(StandardCharsets.US_ASCII)));
            assertEquals(2, jgan("eval", "--run", run.toString()));
            assertTrue(err().contains("in use") && err().contains("pid 4343"), err());
            assertFalse(err().contains("--force") || err().contains("stopped"), err());
        }
    }

    // --- second attack, item 8: eval checks config.json against the checkpoint, and recovers a lost one from it

    @Test
    void evalChecksConfigAgainstTheCheckpoint() throws IOException {
        Path run = dir.resolve("evalck");
        assertEquals(0, train(run, 10), err());
        Path config = run.resolve("config.json");
        String good = Files.readString(config);
        Files.writeString(config, good.replace("\"ring8\"", "\"grid25\""));
        assertEquals(2, jgan("eval", "--run", run.toString()));
        assertTrue(err().contains("does not belong to the run") && err().contains("--data: checkpoint ring8, config.json grid25"), err());
        Files.delete(config);
        assertEquals(0, jgan("eval", "--run", run.toString()), err());
        assertTrue(err().contains(config + " is missing; using the config stored in"), err());
        assertTrue(out().startsWith("ring8: "), out());
    }

    // --- second attack, item 12: log.csv rows that resume drops or cannot find are warned about

    @Test
    void resumeWarnsAboutLogRowsItDropsOrLacks() throws IOException {
        Path run = dir.resolve("logwarn");
        assertEquals(0, train(run, 20), err());
        Path log = run.resolve("log.csv");
        Files.writeString(log, "30,0.1,0.1,0.5,0.5,10.0,1.0\n", StandardOpenOption.APPEND);
        assertEquals(0, jgan("train", "--resume", run.toString(), "--steps", "30", "--device", "cpu"), err());
        assertTrue(err().contains(log + " has 1 row after the checkpoint's step 20 (step 30), dropped"), err());
        Files.delete(log);
        assertEquals(0, jgan("train", "--resume", run.toString(), "--steps", "40", "--device", "cpu"), err());
        assertTrue(err().contains(log + " is missing: the rows of steps 1-30 are lost"), err());
        assertTrue(Files.readString(log).contains("\n40,"), Files.readString(log));
    }

    // --- second attack, item 13: eval reads CSV numbers only, and warns about too few samples

    @Test
    void evalRefusesJavaOnlyNumberFormsAndWarnsAboutFewSamples() throws IOException {
        Path run = dir.resolve("forms");
        assertEquals(0, train(run, 10), err());
        Path samples = run.resolve("samples.csv");
        for (String row : List.of("0x1p3,3", "1f,0d", "1,2d")) {
            Files.writeString(samples, "x,y\n" + row + "\n");
            assertEquals(2, jgan("eval", "--run", run.toString()), row);
            assertTrue(err().contains("expected x,y numbers, got '" + row + "'"), err());
        }
        Files.writeString(samples, "x,y\n1.0E-3,-2.5\n");
        assertEquals(0, jgan("eval", "--run", run.toString()), err());
        assertTrue(err().contains("holds only 1 samples; PacGAN's numbers use 2,500"), err());
    }

    // --- second attack, item 9: a samples.png lost at the end of training (a full disk) is drawn again by eval

    @Test
    void evalDrawsALostSamplesPngAgain() throws IOException {
        Path run = dir.resolve("png");
        assertEquals(0, train(run, 10), err());
        Path png = run.resolve("samples.png");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(png), "samples.png is drawn on this JVM");
        byte[] drawn = Files.readAllBytes(png);
        Files.delete(png);
        assertEquals(0, jgan("eval", "--run", run.toString()), err());
        assertTrue(err().contains(png + " was missing: drawn again from samples.csv"), err());
        assertArrayEquals(drawn, Files.readAllBytes(png), "the same picture as training drew");
        assertEquals(0, jgan("eval", "--run", run.toString()), err());
        assertFalse(err().contains("drawn again"), err());
    }

    // --- second attack, item 4: the header's counters are checked against each other and the config

    @Test
    void headerCountersThatDisagreeAreRefused() throws IOException {
        Path run = dir.resolve("counters");
        assertEquals(0, train(run, 20, "--n-critic", "2", "--log-every", "10"), err());
        Path ck = run.resolve("checkpoint.bin");
        byte[] goodCk = Files.readAllBytes(ck);
        Checkpoint good = Checkpoint.fromBytes(goodCk, "good");
        jgan.gan.TrainingCheckpoint.validate(good, "good"); // a real checkpoint passes every cross-check
        List<java.util.function.Consumer<Checkpoint>> crafted = List.of(
            c -> c.header().put("stat_steps", 999L),
            c -> c.header().put("latent_offset", ((Number) c.header().get("latent_offset")).longValue() + 4),
            c -> c.header().put("data_offset", ((Number) c.header().get("data_offset")).longValue() - 16),
            c -> c.header().put("adam_steps_g", 7L),
            c -> c.header().put("adam_steps_d", 20L),
            c -> c.header().put("elapsed_s", 1e308));
        List<String> expected = List.of("'stat_steps' is 999, more than log_every 10", "'latent_offset' is", "'data_offset' is",
            "'adam_steps_g' is 7, but step 20 with n_critic 2", "'adam_steps_d' is 20, but step 20 with n_critic 2 and batch 16 gives 40",
            "'elapsed_s' is 1.0E308 seconds");
        for (int i = 0; i < crafted.size(); i++) {
            Checkpoint c = Checkpoint.fromBytes(goodCk, "good");
            crafted.get(i).accept(c);
            c.write(ck); // a valid checksum
            assertEquals(2, jgan("train", "--resume", run.toString(), "--steps", "30", "--device", "cpu"), "case " + i);
            assertTrue(err().contains(ck + " is damaged: header field " + expected.get(i)), err());
            noJavaException(err());
        }
        Files.write(ck, goodCk);
        assertEquals(0, jgan("train", "--resume", run.toString(), "--steps", "30", "--device", "cpu"), err());
    }

    // --- second attack, item 15: the smaller ones

    @Test
    void smallerMessagesSayWhatIsWrongOnce() throws IOException {
        assertEquals(2, jgan("train", "--data", "ring8", "--out", " ", "--device", "cpu"));
        assertTrue(err().contains("--out needs a folder name, got only spaces"), err());
        Path run = dir.resolve("lockdir");
        assertEquals(0, train(run, 10), err());
        Files.delete(run.resolve(".lock"));
        Files.createDirectories(run.resolve(".lock"));
        assertEquals(1, jgan("eval", "--run", run.toString())); // the metrics are printed all the same
        assertTrue(err().contains("cannot create the lock file " + run.resolve(".lock") + ": a folder is in the way; move it away first"),
                err());
        assertEquals(1, err().split(java.util.regex.Pattern.quote(run.resolve(".lock").toString()), -1).length - 1, err());
        Files.delete(run.resolve(".lock"));
        Path config = run.resolve("config.json");
        Files.writeString(config, Files.readString(config).replaceFirst("\\{", "{\n  \"colour\": \"red\","));
        assertEquals(2, jgan("eval", "--run", run.toString()));
        assertTrue(err().contains("config has a field jgan does not know: 'colour'") && !err().contains("expected ["), err());
        assertEquals(0, train(dir.resolve("noclip"), 1, "--loss", "wasserstein", "--clip", "0"), err());
        assertTrue(out().contains("critic weights not clipped (--clip 0)") && !out().contains("+-0.0"), out());
    }
}
