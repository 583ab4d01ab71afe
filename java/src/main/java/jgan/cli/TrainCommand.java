package jgan.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import jgan.data.Mixture;
import jgan.device.Device;
import jgan.gan.AdversarialStep;
import jgan.gan.ModeMetrics;
import jgan.gan.TrainConfig;
import jgan.gan.TrainingCheckpoint;
import jgan.io.Checkpoint;
import jgan.io.Json;

/**
 * {@code jgan train}: trains a GAN on a 2-D mixture and writes the run folder.
 *
 * <pre>
 *   RUN/config.json        the settings (also inside every checkpoint)
 *   RUN/log.csv            step, losses, mean D outputs, steps/s — one row every log_every steps
 *   RUN/checkpoint.bin     the full state, every checkpoint_every steps and at the end (atomic)
 *   RUN/samples.csv        2,500 generated points at the end; RUN/samples/step_N.csv at checkpoints
 *   RUN/samples.png        real (grey) and generated (orange) points
 *   RUN/metrics.json       modes captured, high-quality fraction, reverse KL
 * </pre>
 */
final class TrainCommand {
    static final int EVAL_SAMPLES = 2500;
    private static final Set<String> FLAGS = Set.of("force");

    private TrainCommand() {
    }

    static int run(List<String> args, PrintStream out) throws IOException {
        Options o = new Options(args, FLAGS);
        String resume = o.take("resume");
        String outDir = o.take("out");
        String deviceName = o.take("device", "auto");
        boolean force = o.flag("force");
        if (resume != null && outDir != null && !Path.of(resume).equals(Path.of(outDir))) {
            throw new IllegalArgumentException("--resume RUN continues in RUN itself; drop --out");
        }
        Path run = Path.of(resume != null ? resume : require(outDir, "--out RUN (the folder to write)"));

        TrainConfig config;
        Checkpoint checkpoint = null;
        if (resume != null) {
            checkpoint = Checkpoint.read(run.resolve("checkpoint.bin"));
            config = TrainingCheckpoint.config(checkpoint);
            String steps = o.take("steps");
            if (steps != null) {
                config = config.with("steps", steps); // a resumed run may be extended
            }
            if (!o.rest().isEmpty()) {
                throw new IllegalArgumentException("a resumed run keeps the settings it was started with; remove "
                        + String.join(", ", o.rest().keySet().stream().map(k -> "--" + k).toList()));
            }
        } else {
            config = configFrom(o);
            prepareFolder(run, force);
        }

        try (Device device = DeviceChoice.open(deviceName);
             AdversarialStep step = new AdversarialStep(device, config, true)) {
            long start = 0;
            if (checkpoint != null) {
                TrainingCheckpoint.restore(checkpoint, step);
                start = step.steps();
                if (start >= config.steps()) {
                    throw new IllegalArgumentException("the run in " + run + " is already at step " + start + " of " + config.steps()
                            + "; give --steps N with N > " + start + " to continue it");
                }
            }
            Files.writeString(run.resolve("config.json"), Json.write(config.toMap()));
            out.printf(Locale.ROOT, "jgan train: %s, %s loss, %d steps of batch %d on %s%n", config.data(), config.loss().cliName(),
                    config.steps(), config.batch(), device.description());
            out.println("G: " + step.generator().describe().replace("\n", "; "));
            out.println("D: " + step.discriminator().describe().replace("\n", "; "));
            if (start > 0) {
                out.println("resumed at step " + start);
            }
            train(step, run, start, out);
            return 0;
        }
    }

    private static String require(String v, String what) {
        if (v == null) {
            throw new IllegalArgumentException("missing " + what);
        }
        return v;
    }

    /** Defaults for the mixture, then every other option as a config field (--lr sets both rates, --depth both depths). */
    static TrainConfig configFrom(Options o) {
        String data = require(o.take("data"), "--data ring8|grid25");
        Mixture.named(data);
        TrainConfig c = TrainConfig.defaults(data);
        String lr = o.take("lr");
        if (lr != null) {
            c = c.with("lr_g", lr).with("lr_d", lr);
        }
        String depth = o.take("depth");
        if (depth != null) {
            c = c.with("depth_g", depth).with("depth_d", depth);
        }
        for (Map.Entry<String, String> e : new ArrayList<>(o.rest().entrySet())) {
            String key = e.getKey().replace('-', '_');
            if (key.equals("format_version") || key.equals("data") || !c.toMap().containsKey(key)) {
                throw new IllegalArgumentException("unknown option --" + e.getKey());
            }
            c = c.with(key, e.getValue());
        }
        return c;
    }

    private static void prepareFolder(Path run, boolean force) throws IOException {
        if (Files.exists(run)) {
            if (!Files.isDirectory(run)) {
                throw new IllegalArgumentException(run + " exists and is not a folder");
            }
            boolean empty;
            try (var s = Files.list(run)) {
                empty = s.findAny().isEmpty();
            }
            if (!empty && !force) {
                throw new IllegalArgumentException(run + " already holds a run: use --resume " + run + " to continue it, or --force to"
                        + " replace it");
            }
            if (!empty) {
                for (String f : List.of("config.json", "log.csv", "checkpoint.bin", "checkpoint.bin.tmp", "samples.csv", "samples.png",
                        "metrics.json")) {
                    Files.deleteIfExists(run.resolve(f));
                }
                Path samples = run.resolve("samples");
                if (Files.isDirectory(samples)) {
                    try (var s = Files.list(samples)) {
                        for (Path p : s.toList()) {
                            Files.delete(p);
                        }
                    }
                }
            }
        }
        Files.createDirectories(run);
    }

    private static void train(AdversarialStep step, Path run, long start, PrintStream out) throws IOException {
        TrainConfig c = step.config();
        Path log = run.resolve("log.csv");
        List<String> rows = new ArrayList<>();
        if (start > 0 && Files.exists(log)) { // keep the rows up to the checkpoint, drop what came after it
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                if (line.startsWith("step,") || Long.parseLong(line.substring(0, line.indexOf(','))) <= start) {
                    rows.add(line);
                }
            }
        }
        if (rows.isEmpty()) {
            rows.add("step,loss_d,loss_g,d_real,d_fake,steps_per_s,elapsed_s");
        }
        Files.write(log, rows, StandardCharsets.UTF_8);
        long t0 = System.nanoTime(), tLast = t0, sLast = start;
        while (step.steps() < c.steps()) {
            step.step();
            long s = step.steps();
            boolean last = s == c.steps();
            if (s % c.logEvery() == 0 || last) {
                AdversarialStep.Stats st = step.takeStats(); // the only read back: every log_every steps
                long now = System.nanoTime();
                double rate = (s - sLast) / ((now - tLast) / 1e9);
                tLast = now;
                sLast = s;
                String row = String.format(Locale.ROOT, "%d,%.6g,%.6g,%.6g,%.6g,%.1f,%.1f", s, st.lossD(), st.lossG(), st.dReal(),
                        st.dFake(), rate, (now - t0) / 1e9);
                Files.writeString(log, row + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
                out.printf(Locale.ROOT, "step %d/%d  %.0f steps/s  loss_D %.4f  loss_G %.4f  D(x) %.3f  D(G(z)) %.3f%n", s, c.steps(),
                        rate, st.lossD(), st.lossG(), st.dReal(), st.dFake());
                if (!Float.isFinite(st.lossD()) || !Float.isFinite(st.lossG())) {
                    throw new IllegalStateException("training diverged at step " + s + " (loss_D " + st.lossD() + ", loss_G "
                            + st.lossG() + "); the last checkpoint in " + run + " is kept");
                }
            }
            if (!last && c.checkpointEvery() > 0 && s % c.checkpointEvery() == 0) {
                TrainingCheckpoint.save(step, run.resolve("checkpoint.bin"));
                writeSamples(step, run.resolve("samples").resolve(String.format("step_%07d.csv", s)));
            }
        }
        TrainingCheckpoint.save(step, run.resolve("checkpoint.bin"));
        float[] samples = writeSamples(step, run.resolve("samples.csv"));
        Mixture m = c.mixture();
        ModeMetrics metrics = ModeMetrics.of(m, samples);
        Files.writeString(run.resolve("metrics.json"), Json.write(metrics.toMap()));
        Plots.samples(m, samples, c.seed()).write(run.resolve("samples.png"));
        out.printf(Locale.ROOT, "done in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, metrics);
        out.println("wrote " + run.toAbsolutePath());
    }

    /** 2,500 points from G at fixed latent draws (independent of training's), as x,y rows. */
    static float[] writeSamples(AdversarialStep step, Path file) throws IOException {
        float[] xy = step.sample(EVAL_SAMPLES);
        Files.createDirectories(file.toAbsolutePath().getParent());
        StringBuilder s = new StringBuilder("x,y\n");
        for (int i = 0; i < xy.length; i += 2) {
            s.append(xy[i]).append(',').append(xy[i + 1]).append('\n');
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, s, StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return xy;
    }
}
