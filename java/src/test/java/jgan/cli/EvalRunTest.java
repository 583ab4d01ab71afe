package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jgan.io.Checkpoint;
import jgan.io.Json;
import org.junit.jupiter.api.Test;

/**
 * {@code jgan eval --run} on image runs and {@code jgan train --eval-every}, on the cpu device with
 * tiny networks: a fake Fashion-MNIST (ImageTrainTest's bars) and a folder of 14 pictures. The
 * numbers of training's last evaluation equal eval --run's on the same checkpoint; a run with
 * --eval-every trains exactly as one without; a resumed run's eval.csv equals a straight run's.
 */
class EvalRunTest extends CliTestBase {
    private String[] fmnistRun(Path data, Path run, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--data", "fashion-mnist", "--data-dir", data.toString(), "--out", run.toString(),
                "--device", "cpu", "--g-width", "4", "--d-width", "4", "--latent", "8", "--batch", "4", "--steps", "4", "--log-every", "2",
                "--checkpoint-every", "0"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private String[] folderRun(Path data, Path run, int steps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--data", data.toString(), "--out", run.toString(), "--device", "cpu",
                "--image-size", "16", "--g-width", "4", "--d-width", "4", "--latent", "8", "--batch", "4", "--steps", "" + steps,
                "--log-every", "2", "--checkpoint-every", "2"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /** eval.csv's rows without the last column (eval_s, a time). */
    private static List<String> rows(Path run) throws IOException {
        List<String> lines = Files.readAllLines(run.resolve("eval.csv"));
        assertEquals(EvalRun.HEADER, lines.get(0));
        return lines.stream().skip(1).map(l -> l.substring(0, l.lastIndexOf(','))).toList();
    }

    private static Map<String, Object> metrics(Path run) throws IOException {
        return Json.parseObject(Files.readString(run.resolve("metrics.json")));
    }

    @Test
    void fashionMnistEvalEveryLeavesTrainingAloneAndMatchesEvalRun() throws IOException {
        Path data = ImageTrainTest.fakeFashionMnist(dir);
        Path with = dir.resolve("with"), without = dir.resolve("without");
        assertEquals(0, jgan(fmnistRun(data, with, "--eval-every", "2", "--eval-images", "16")), err());
        assertTrue(out().contains("eval step 2: FD ") && out().contains("eval step 4: FD "), out());
        List<String> r = rows(with);
        assertEquals(2, r.size(), r.toString());
        assertTrue(r.get(0).startsWith("2,") && r.get(1).startsWith("4,"), r.toString());
        assertTrue(r.get(1).endsWith(",16"), r.toString()); // count
        assertTrue(Files.size(with.resolve("metrics.png")) > 1000);
        Map<String, Object> atEnd = metrics(with);
        assertEquals(4L, ((Number) atEnd.get("step")).longValue());
        assertEquals(16L, ((Number) atEnd.get("count")).longValue());
        double fd = ((Number) atEnd.get("fd")).doubleValue(), floor = ((Number) atEnd.get("fd_floor")).doubleValue();
        assertTrue(fd > 0 && floor >= 0 && Double.isFinite(fd), atEnd.toString());
        assertTrue(((String) atEnd.get("reference")).contains("Fashion-MNIST test"), atEnd.toString());

        // training is the same without the evaluations: parameters, statistics, optimiser state, counters
        assertEquals(0, jgan(fmnistRun(data, without)), err());
        assertTrue(!Files.exists(without.resolve("eval.csv")) && !Files.exists(without.resolve("metrics.json")));
        Checkpoint a = Checkpoint.read(with.resolve("checkpoint.bin")), b = Checkpoint.read(without.resolve("checkpoint.bin"));
        for (String s : a.sections().keySet()) {
            assertArrayEquals(a.section(s), b.section(s), s + " differs: the evaluations disturbed training");
        }
        assertEquals(a.sections().keySet(), b.sections().keySet());
        for (String k : List.of("g_training_forwards", "d_training_forwards")) {
            assertEquals(a.header().get(k), b.header().get(k), k);
        }
        assertArrayEquals(Files.readAllBytes(with.resolve("grid.png")), Files.readAllBytes(without.resolve("grid.png")));

        // eval --run on the checkpoint gives what training's last evaluation gave (same z, same G, same reference)
        assertEquals(0, jgan("eval", "--run", without.toString(), "--n", "16", "--device", "cpu", "--data-dir", data.toString()), err());
        assertTrue(out().contains("step 4: FD ") && out().contains("Fashion-MNIST test set"), out());
        Map<String, Object> later = metrics(without);
        for (String k : List.of("fd", "fd_floor", "precision", "recall", "precision_real", "recall_real", "class_counts", "class_entropy")) {
            assertEquals(atEnd.get(k), later.get(k), k);
        }
    }

    /**
     * With --ema, training's evaluations score G's EMA, as eval --run, the sample grids, export and
     * Generator do (TrainedRun#network reads section g.ema): the last evaluation equals eval --run's
     * on the same checkpoint, and differs from what the raw G (the checkpoint's g.params) scores.
     */
    @Test
    void emaRunIsScoredOnTheAverageOfG() throws IOException {
        Path data = ImageTrainTest.fakeFashionMnist(dir);
        Path run = dir.resolve("ema");
        assertEquals(0, jgan(fmnistRun(data, run, "--ema", "0.5", "--eval-every", "4", "--eval-images", "16")), err());
        Map<String, Object> atEnd = metrics(run);
        Checkpoint c = Checkpoint.read(run.resolve("checkpoint.bin"));
        assertTrue(!java.util.Arrays.equals(c.section("g.ema"), c.section("g.params")), "the EMA equals G: the test cannot tell them apart");
        assertEquals(0, jgan("eval", "--run", run.toString(), "--n", "16", "--device", "cpu", "--data-dir", data.toString()), err());
        Map<String, Object> later = metrics(run);
        for (String k : List.of("fd", "fd_floor", "precision", "recall", "class_counts", "class_entropy")) {
            assertEquals(later.get(k), atEnd.get(k), k + ": training's evaluation did not score G's EMA (what eval --run scores)");
        }
        // the raw G scores otherwise: the same run's checkpoint with g.params in place of g.ema
        Path raw = dir.resolve("raw");
        Files.createDirectories(raw);
        Files.copy(run.resolve("config.json"), raw.resolve("config.json"));
        Map<String, float[]> sections = new java.util.LinkedHashMap<>(c.sections());
        sections.put("g.ema", c.section("g.params"));
        new Checkpoint(c.header(), sections).write(raw.resolve("checkpoint.bin"));
        assertEquals(0, jgan("eval", "--run", raw.toString(), "--n", "16", "--device", "cpu", "--data-dir", data.toString()), err());
        assertTrue(!metrics(raw).get("fd").equals(atEnd.get("fd")), "G and its EMA score the same FD: the test cannot tell them apart");
    }

    @Test
    void folderRunIsScoredAgainstItsOwnImagesAndResumesItsEvalRows() throws IOException {
        Path data = ImageTrainTest.imageFolder(dir);
        Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
        assertEquals(0, jgan(folderRun(data, straight, 6, "--eval-every", "2", "--eval-images", "8")), err());
        assertEquals(List.of("2", "4", "6"), rows(straight).stream().map(l -> l.substring(0, l.indexOf(','))).toList());
        String note = (String) metrics(straight).get("reference_note");
        assertTrue(note.contains("28x28 grey") && note.contains("comparable only between runs on the same folder"), note);
        // 14 readable pictures: a reference half of 7 and a floor half of 7 (precision/recall against min(8, 7) = 7 images)
        assertEquals(7L, ((Number) metrics(straight).get("pr_real_count")).longValue());
        assertEquals(7L, ((Number) metrics(straight).get("floor_count")).longValue());

        assertEquals(0, jgan(folderRun(data, resumed, 4, "--eval-every", "2", "--eval-images", "8")), err());
        // rows past the checkpoint (none here: 4 is the last step and a checkpoint) and a resume without --eval-every:
        // the rows are kept up to the checkpoint, with a note
        assertEquals(0, jgan("train", "--resume", resumed.toString(), "--steps", "6", "--device", "cpu", "--eval-every", "2",
                "--eval-images", "8"), err());
        assertEquals(rows(straight), rows(resumed), "a resumed run's evaluations equal the straight run's");
        assertEquals(0, jgan("train", "--resume", resumed.toString(), "--steps", "8", "--device", "cpu"), err());
        assertTrue(err().contains("is not extended by this resume"), err());
        assertEquals(3, rows(resumed).size());

        // eval --run agrees with training's last row at step 8? it scores step 8, which training did not evaluate: it writes it
        assertEquals(0, jgan("eval", "--run", resumed.toString(), "--n", "8", "--device", "cpu"), err());
        assertEquals(8L, ((Number) metrics(resumed).get("step")).longValue());
        assertTrue(out().contains("same folder"), out());
    }

    @Test
    void refusals() throws IOException {
        Path data = ImageTrainTest.imageFolder(dir);
        // a run that stopped before its first checkpoint
        Path noCheckpoint = dir.resolve("nock");
        assertEquals(0, jgan(folderRun(data, noCheckpoint, 2)), err());
        Files.delete(noCheckpoint.resolve("checkpoint.bin"));
        assertEquals(2, jgan("eval", "--run", noCheckpoint.toString(), "--device", "cpu"));
        assertTrue(err().contains("no checkpoint.bin"), err());

        Path run = dir.resolve("run");
        assertEquals(0, jgan(folderRun(data, run, 2)), err());
        assertEquals(2, jgan("eval", "--run", run.toString(), "--seed", "3"));
        assertTrue(err().contains("--seed goes with --images"), err());
        assertEquals(2, jgan("eval", "--run", run.toString(), "--n", "3"));
        assertTrue(err().contains("--n must be in 4..1000000"), err());
        // a folder with too few images to split into a reference and a floor half
        Path few = dir.resolve("few");
        Files.createDirectories(few);
        for (int i = 0; i < 5; i++) {
            Files.copy(data.resolve("p" + 2 * i + ".png"), few.resolve("p" + i + ".png"));
        }
        assertEquals(2, jgan("eval", "--run", run.toString(), "--data-dir", few.toString(), "--device", "cpu"));
        assertTrue(err().contains("holds 5 readable images") && err().contains("at least 8"), err());
        assertTrue(!Files.exists(run.resolve("metrics.json")));

        assertEquals(2, jgan("train", "--data", "ring8", "--out", dir.resolve("ring").toString(), "--eval-every", "10"));
        assertTrue(err().contains("--eval-every scores images"), err());
        assertTrue(!Files.exists(dir.resolve("ring")));
        assertEquals(2, jgan(folderRun(data, dir.resolve("x"), 2, "--eval-images", "8")));
        assertTrue(err().contains("--eval-images goes with --eval-every"), err());
        assertEquals(2, jgan(folderRun(data, dir.resolve("x"), 2, "--eval-every", "-1")));
        assertTrue(err().contains("--eval-every must be >= 0"), err());
        assertTrue(!Files.exists(dir.resolve("x")));
        // a mixture run takes none of the image options
        Path ring = dir.resolve("ring");
        assertEquals(0, jgan("train", "--data", "ring8", "--out", ring.toString(), "--steps", "2", "--batch", "16", "--width", "8",
                "--device", "cpu"), err());
        assertEquals(2, jgan("eval", "--run", ring.toString(), "--n", "100"));
        assertTrue(err().contains("--n goes with --images or an image run"), err());
        assertEquals(0, jgan("eval", "--run", ring.toString()), err());
    }
}
