package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jgan.io.Checkpoint;
import jgan.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jgan train} and {@code jgan eval} end to end on the host runtime, with a tiny network. */
class TrainCommandTest extends CliTestBase {



    private String[] tiny(String run, String... extra) {
        return tinySteps(run, 30, extra);
    }

    private String[] tinySteps(String run, int steps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--data", "grid25", "--out", run, "--device", "host", "--steps", "" + steps,
                "--batch", "40", "--width", "16", "--depth", "1", "--latent", "3", "--log-every", "10", "--checkpoint-every", "20"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void trainWritesTheRunFolderAndEvalAgrees() throws IOException {
        Path run = dir.resolve("run");
        assertEquals(0, jgan(tiny(run.toString())), err.toString());
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("step 10/30") && text.contains("steps/s") && text.contains("loss_D"), text);
        for (String f : List.of("config.json", "log.csv", "checkpoint.bin", "samples.csv", "samples.png", "metrics.json",
                "samples/step_0000020.csv")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f + " missing: " + text);
        }
        List<String> log = Files.readAllLines(run.resolve("log.csv"));
        assertEquals("step,loss_d,loss_g,d_real,d_fake,steps_per_s,elapsed_s", log.get(0));
        assertEquals(4, log.size(), log.toString()); // steps 10, 20, 30
        assertEquals(2501, Files.readAllLines(run.resolve("samples.csv")).size());
        byte[] png = Files.readAllBytes(run.resolve("samples.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
        String metrics = Files.readString(run.resolve("metrics.json"));
        assertEquals(0, jgan("eval", "--run", run.toString()), err.toString());
        assertEquals(metrics, Files.readString(run.resolve("metrics.json")), "eval recomputes the same numbers");
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("modes captured"), out.toString());
        Checkpoint ck = Checkpoint.read(run.resolve("checkpoint.bin"));
        assertEquals(30L, ck.header().get("step"));
        assertEquals(Json.parseObject(Files.readString(run.resolve("config.json"))), ck.header().get("config"));
    }

    @Test
    void resumeContinuesAndExtends() throws IOException {
        Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
        assertEquals(0, jgan(tinySteps(straight.toString(), 40)), err.toString());
        // the same run stopped at 20 (its checkpoint) and resumed to 40
        assertEquals(0, jgan(tinySteps(resumed.toString(), 20)), err.toString());
        assertEquals(0, jgan("train", "--resume", resumed.toString(), "--steps", "40", "--device", "host"), err.toString());
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("resumed at step 20"), out.toString());
        float[] a = Checkpoint.read(straight.resolve("checkpoint.bin")).section("g.params");
        float[] b = Checkpoint.read(resumed.resolve("checkpoint.bin")).section("g.params");
        assertArrayEquals(a, b, "resumed run is bit-identical to the straight one");
        assertEquals(Files.readAllLines(straight.resolve("log.csv")).size(), Files.readAllLines(resumed.resolve("log.csv")).size());
        assertEquals(Files.readString(straight.resolve("samples.csv")), Files.readString(resumed.resolve("samples.csv")));
    }

    @Test
    void badOptionsAreNamed() throws IOException {
        String run = dir.resolve("bad").toString();
        assertEquals(2, jgan("train", "--data", "spiral", "--out", run));
        assertTrue(err.toString().contains("unknown data 'spiral': use ring8, grid25, fashion-mnist or a folder of images (there is no folder spiral)"), err.toString());
        assertEquals(2, jgan("train", "--data", "ring8", "--out", run, "--batch", "0"));
        assertTrue(err.toString().contains("--batch must be >= 1, got 0"), err.toString());
        assertEquals(2, jgan("train", "--data", "ring8", "--out", run, "--lr", "-1"));
        assertTrue(err.toString().contains("--lr must be a positive finite number, got -1.0"), err.toString());
        assertEquals(2, jgan("train", "--data", "ring8", "--out", run, "--lr", "NaN"));
        assertTrue(err.toString().contains("positive finite"), err.toString());
        assertEquals(2, jgan("train", "--data", "ring8", "--out", run, "--lr", "fast"));
        assertTrue(err.toString().contains("--lr: 'fast' is not a number"), err.toString());
        assertEquals(2, jgan("train", "--data", "ring8", "--out", run, "--loss", "magic"));
        assertTrue(err.toString().contains("unknown loss 'magic'"), err.toString());
        assertEquals(2, jgan("train", "--data", "ring8", "--out", run, "--bogus", "1"));
        assertTrue(err.toString().contains("unknown option '--bogus'"), err.toString());
        assertEquals(2, jgan("train", "--data", "ring8"));
        assertTrue(err.toString().contains("missing --out RUN"), err.toString());
        assertEquals(2, jgan("train", "--data", "ring8", "--out", run, "--device", "tpu"));
        assertTrue(err.toString().contains("unknown device 'tpu'"), err.toString());

        Path used = dir.resolve("used");
        Files.createDirectories(used);
        Files.writeString(used.resolve("notes.txt"), "mine");
        assertEquals(2, jgan(tiny(used.toString())));
        // no run to resume or replace: not offered (tester1 #20)
        assertTrue(err.toString().contains(used + " already holds files and no jgan run (nothing to resume or replace): give another --out"
                + " folder") && !err.toString().contains("--resume") && !err.toString().contains("--force"), err.toString());
        assertEquals("mine", Files.readString(used.resolve("notes.txt")), "nothing overwritten");

        Path broken = dir.resolve("broken");
        Files.createDirectories(broken);
        Files.write(broken.resolve("checkpoint.bin"), new byte[] {'J', 'G'});
        assertEquals(2, jgan("train", "--resume", broken.toString()));
        assertTrue(err.toString().contains("truncated"), err.toString());
        assertEquals(2, jgan("eval", "--run", dir.resolve("nothing").toString()));
        assertTrue(err.toString().contains("no such run folder"), err.toString());
    }
}
