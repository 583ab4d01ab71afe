package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import jgan.gan.TrainConfig;
import org.junit.jupiter.api.Test;

/**
 * The new-user test's findings (tester1 report, 2026-11-30) on the command line: each test failed
 * before its fix. All run on the cpu device with tiny runs or refusals before any step.
 */
class NewUserFindingsTest extends CliTestBase {
    // --- finding 1: an image run too big for the heap is refused at once, with advice, nothing written

    @Test
    void aTooWideImageRunIsRefusedAtOnceWithAdvice() {
        // dcgan 28 with --g-width 4096: ~577 M parameters, ~16 GB by the estimate
        assumeTrue(Runtime.getRuntime().maxMemory() < 12L << 30, "a heap this large fits the run");
        Path run = dir.resolve("wide");
        assertEquals(1, jgan("train", "--data", "fashion-mnist", "--out", run.toString(), "--device", "cpu", "--g-width", "4096",
                "--steps", "1"));
        assertTrue(err().contains("out of memory on cpu: model dcgan with --g-width 4096") && err().contains("lower --g-width or --d-width")
                && err().contains("JGAN_JAVA_OPTS=-Xmx"), err());
        assertFalse(err().contains("\tat "), err());
        assertFalse(Files.exists(run), "nothing written");
    }

    @Test
    void theImageEstimateCountsParametersSevenTimesAndTheActivations() {
        TrainConfig c = TrainConfig.defaults(TrainConfig.FASHION_MNIST);
        NetworkOptions.ImageEstimate e = NetworkOptions.imageEstimate(c);
        // the README's DCGAN-28 at the defaults: G and D parameters as its header prints them
        jgan.nn.ModelSpec spec = jgan.gan.Networks.spec(c);
        long params = spec.generatorLayers(jgan.kernels.MathMode.FP32).parameterCount()
                + spec.discriminatorLayers(jgan.kernels.MathMode.FP32).parameterCount();
        assertEquals(params, e.params());
        assertTrue(params > 36_577, "D alone has 36,577: " + params);
        assertEquals(4 * (7 * e.params() + e.activations()), NetworkOptions.estimatedBytes(c));
        TrainConfig wide = c.with("g_width", "4096");
        assertTrue(NetworkOptions.imageEstimate(wide).params() > 500_000_000L, "" + NetworkOptions.imageEstimate(wide).params());
        TrainConfig big = c.with("batch", "4096");
        assertTrue(NetworkOptions.imageEstimate(big).activations() > 60 * NetworkOptions.imageEstimate(c).activations() / 2);
    }

    // --- finding 4: a second train into a running run's folder is told it is in use

    @Test
    void aSecondTrainIntoARunningRunIsToldItIsInUse() throws IOException {
        Path run = dir.resolve("busy");
        assertEquals(0, jgan("train", "--data", "ring8", "--out", run.toString(), "--device", "cpu", "--steps", "2", "--batch", "8",
                "--width", "8", "--log-every", "1"), err());
        Files.delete(run.resolve("checkpoint.bin")); // as a running run holds before its first checkpoint
        try (RunFolder.Lock held = RunFolder.lock(run)) {
            assertEquals(2, jgan("train", "--data", "ring8", "--out", run.toString(), "--device", "cpu", "--steps", "2"));
            assertTrue(err().contains("is in use by another jgan command (pid " + ProcessHandle.current().pid()), err());
            assertFalse(err().contains("stopped before its first checkpoint"), err());
        }
    }

    // --- finding 5: data that is the wrong thing is bad input: exit status 2

    @Test
    void wrongDataExitsTwo() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertEquals(2, jgan("train", "--data", empty.toString(), "--out", dir.resolve("r1").toString(), "--device", "cpu"));
        assertTrue(err().contains("holds no image files"), err());
        Path bad = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(bad.resolve("a.png"), "not a png");
        assertEquals(2, jgan("train", "--data", bad.toString(), "--out", dir.resolve("r2").toString(), "--device", "cpu"));
        assertTrue(err().contains("none of the 1 image files"), err());
        Path renamed = Files.createDirectories(dir.resolve("renamed"));
        Files.writeString(renamed.resolve("train-images.gz"), "x");
        assertEquals(2, jgan("train", "--data", "fashion-mnist", "--data-dir", renamed.toString(), "--out", dir.resolve("r3").toString(),
                "--device", "cpu"));
        assertTrue(err().contains("cannot find Fashion-MNIST in --data-dir"), err());
        for (String r : new String[] {"r1", "r2", "r3"}) {
            assertFalse(Files.exists(dir.resolve(r)), r);
        }
    }

    // --- finding 8: --background has no effect on fashion-mnist: refused

    @Test
    void backgroundWithFashionMnistIsRefused() {
        assertEquals(2, jgan("train", "--data", "fashion-mnist", "--out", dir.resolve("bg").toString(), "--background", "black", "--steps",
                "1", "--device", "cpu"));
        assertTrue(err().contains("--background") && err().contains("no effect") && err().contains("remove it"), err());
    }

    // --- finding 9: a start that fails writes no data-report.txt, so no warning points to it

    @Test
    void aFailedStartDoesNotPointToAReportItNeverWrites() throws IOException {
        Path pics = Files.createDirectories(dir.resolve("pics"));
        for (int i = 0; i < 3; i++) {
            ImageIO.write(new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB), "png", pics.resolve("p" + i + ".png").toFile());
        }
        Files.writeString(pics.resolve("broken.png"), "not a png");
        Path run = dir.resolve("small");
        assertEquals(2, jgan("train", "--data", pics.toString(), "--out", run.toString(), "--device", "cpu", "--image-size", "16",
                "--batch", "8"));
        assertTrue(err().contains("larger than the dataset"), err());
        assertFalse(err().contains("data-report.txt"), err());
        assertFalse(Files.exists(run));
    }

    // --- finding 6: absurd but finite losses warn once

    @Test
    void absurdLossesAreNamedWithTheLearningRate() {
        assertTrue(TrainCommand.absurd(0f, 7.556e16f));
        assertTrue(TrainCommand.absurd(-2e6f, 1f));
        assertFalse(TrainCommand.absurd(0.69f, 12.5f));
        assertFalse(TrainCommand.absurd(1e6f, -1e6f), "the bound itself is not absurd");
        String w = TrainCommand.absurdWarning(300, 0f, 7.556e16f, TrainConfig.defaults(TrainConfig.FASHION_MNIST).with("lr_g", "1000000")
                .with("lr_d", "1000000"), false);
        assertTrue(w.contains("at step 300") && w.contains("7.556e+16") && w.contains("probably failed") && w.contains("--lr (it is 1000000.0)"),
                w);
    }

    // --- finding 7: the same signal twice within a second is one stop

    @Test
    void aRepeatOfTheSameSignalWithinASecondIsTheSameStop() {
        long t = 5_000_000_000L;
        assertTrue(TrainCommand.isRepeat(15, t, 15, t + 50_000));
        assertFalse(TrainCommand.isRepeat(15, t, 15, t + TrainCommand.REPEAT_NANOS), "a second later: the second signal");
        assertFalse(TrainCommand.isRepeat(15, t, 2, t + 50_000), "another signal: the second signal");
    }

    // --- finding 10: on a terminal the bar is redrawn about once a second between log rows; plain output unchanged

    @Test
    void theTerminalBarIsRedrawnAboutOnceASecond() {
        long[] now = {0};
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        java.io.PrintStream p = new java.io.PrintStream(b, true, java.nio.charset.StandardCharsets.UTF_8);
        Progress bar = new Progress(p, 0, 1000, true, 200, () -> now[0]);
        now[0] = 2_000_000_000L;
        bar.line(100, 50, "loss_D 0.6931  loss_G 0.6931");
        int after = b.size();
        now[0] += 500_000_000L;
        bar.tick(125); // half a second: not yet
        assertEquals(after, b.size());
        now[0] += 600_000_000L;
        bar.tick(160); // 1.1 s after the report: redrawn with the step, its rate and the last losses
        String redraw = b.toString(java.nio.charset.StandardCharsets.UTF_8).substring(after);
        assertTrue(redraw.startsWith("\r\033[2K[#") && redraw.contains("step 160/1000") && redraw.contains(" 55 steps/s")
                && redraw.contains("loss_D 0.6931  loss_G 0.6931"), redraw);
        // not a terminal: one plain line per report only
        b.reset();
        Progress plain = new Progress(p, 0, 1000, false, 80, () -> now[0]);
        plain.line(100, 50, "loss_D 0.6931");
        now[0] += 5_000_000_000L;
        plain.tick(150);
        assertEquals(1, b.toString(java.nio.charset.StandardCharsets.UTF_8).lines().count(), b.toString());
    }

    // --- finding 18: below 1 step/s the progress shows the seconds a step takes, not "0 steps/s"

    @Test
    void slowRunsShowSecondsPerStep() {
        assertEquals("4.0 s/step", Progress.rate(0.25));
        assertEquals("1.0 s/step", Progress.rate(0.99));
        assertEquals("1 steps/s", Progress.rate(1));
        assertEquals("12 steps/s", Progress.rate(12.3));
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        Progress plain = new Progress(new java.io.PrintStream(b, true, java.nio.charset.StandardCharsets.UTF_8), 0, 10, false);
        plain.line(1, 0.3, "loss_D 0.6931");
        String line = b.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(line.contains("step 1/10  3.3 s/step  elapsed ") && !line.contains("steps/s"), line);
    }

    // --- finding 11: after --resume the progress line's elapsed carries on from the run's time, as log.csv's elapsed_s does

    @Test
    void aResumedRunsElapsedCarriesOn() {
        long[] now = {0};
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        Progress p = new Progress(new java.io.PrintStream(b, true, java.nio.charset.StandardCharsets.UTF_8), 100, 200, false, 80,
                () -> now[0], 125.0);
        now[0] = 5_000_000_000L;
        p.line(150, 10, "loss_D 0.6931");
        String line = b.toString(java.nio.charset.StandardCharsets.UTF_8);
        // 125 s before the resume + 5 s since; the ETA from this start's own speed (50 steps in 5 s, 50 to go)
        assertTrue(line.contains("elapsed 2:10  ETA 0:05"), line);
    }

    // --- finding 22: --data ring8 with a folder ./ring8 in the working directory trains the mixture, and says so in a note

    @Test
    void aFolderNamedLikeADataSetIsNoted() throws IOException {
        assertEquals(null, TrainCommand.shadowedFolder("ring8", dir));
        Files.createDirectories(dir.resolve("ring8"));
        assertEquals("jgan train: note: --data ring8 is the built-in 2-D mixture; the folder ./ring8 here is not read (give --data ./ring8"
                + " to train on its images)", TrainCommand.shadowedFolder("ring8", dir));
        assertEquals(null, TrainCommand.shadowedFolder("./ring8", dir), "the folder itself: no note");
        assertEquals(null, TrainCommand.shadowedFolder("grid25", dir));
    }

    // --- finding 20: a checkpoint from another run names the data as the command line gives it (a folder as its path, not
    // "folder" and a --data-dir the user never gave)

    @Test
    void aForeignCheckpointNamesTheDataAsGiven() throws IOException {
        Path run = dir.resolve("fm");
        Files.createDirectories(run);
        Files.writeString(run.resolve("config.json"), jgan.io.Json.write(TrainConfig.defaults(TrainConfig.FASHION_MNIST).toMap()));
        TrainConfig folder = TrainConfig.imageDefaults(TrainConfig.FOLDER, "/tmp/t1/imgs").with("image_size", "28").with("channels", "1");
        String e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TrainCommand.checkSameSettings(run, folder, System.err)).getMessage();
        assertTrue(e.contains("(--data: checkpoint /tmp/t1/imgs, config.json fashion-mnist)") && !e.contains("--data-dir"), e);
        assertEquals("fashion-mnist --data-dir /d", TrainCommand.dataAsGiven(java.util.Map.of("data", "fashion-mnist", "data_dir", "/d")));
    }
}
