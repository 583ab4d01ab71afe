package jgan.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import jgan.gan.ModeMetrics;
import jgan.gan.TrainConfig;
import jgan.io.AtomicFiles;
import jgan.io.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jgan eval --run RUN}: PacGAN's mode-collapse numbers for the run's samples.csv (modes
 * captured, high-quality fraction, reverse KL), printed and written to RUN/metrics.json.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:done (metrics printed and written to RUN/metrics.json)",
            "1:RUN/metrics.json could not be written (the metrics are printed all the same)",
            "2:bad options, a run folder without finished samples, or a damaged file"},
        description = "PacGAN's mode-collapse numbers of RUN/samples.csv (modes captured, high-quality samples, reverse KL), printed"
                + " and written to RUN/metrics.json.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--run", paramLabel = "RUN", description = "The run folder (config.json and samples.csv are read).")
    String runName;

    @Option(names = "--images", paramLabel = "FILE.npy", description = "Instead of a run: float32 images [N, 1, 28, 28] in [-1, 1] (NCHW, as"
            + " `jgan sample` writes), scored against Fashion-MNIST in the classifier's feature space: Frechet distance, precision/recall"
            + " (k = 3), class histogram, each beside the value real images get.")
    Path images;

    @Option(names = "--classifier", paramLabel = "FILE", description = "With --images: the classifier (default: the one shipped with jgan).")
    Path classifier;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "With --images: Fashion-MNIST's folder (default: Debian's).")
    Path dataDir;

    @Option(names = "--out", paramLabel = "FILE.json", description = "With --images: also write the numbers here as JSON.")
    Path metricsOut;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "With --images: draws the real samples (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--device", paramLabel = "NAME", converter = Choices.DeviceConverter.class, completionCandidates = Choices.DeviceNames.class,
            defaultValue = "auto", description = "With --images: where the classifier runs (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() {
        PrintStream out = Main.out();
        if ((runName == null) == (images == null)) {
            throw new IllegalArgumentException("give --run RUN or --images FILE.npy (one of them)");
        }
        if (images != null) {
            return EvalImages.run(images, classifier, dataDir, device, metricsOut, seed, out, Main.err());
        }
        for (String o : java.util.List.of("--classifier", "--data-dir", "--out", "--seed", "--device")) {
            if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
                throw new IllegalArgumentException(o + " goes with --images; a --run of 2-D samples takes none");
            }
        }
        Path run = RunFolder.checkedPath(runName, "--run");
        if (Files.exists(run) && !Files.isDirectory(run)) {
            throw new IllegalArgumentException("--run " + run + " is a file, not a run folder");
        }
        if (!Files.isDirectory(run)) {
            throw new IllegalArgumentException("--run " + run + ": no such run folder");
        }
        // The lock first: a run that another command is writing right now is refused naming it,
        // before its half-written state could be misread as a stopped run.
        RunFolder.Lock lock = null;
        jgan.io.FileError lockError = null;
        try {
            lock = RunFolder.lock(run);
        } catch (jgan.io.FileError e) { // a read-only run (or no lock file possible): the numbers are still worth printing
            lockError = e;
        }
        try {
            return evaluate(run, lock, lockError, out);
        } finally {
            if (lock != null) {
                lock.close();
            }
        }
    }

    private static int evaluate(Path run, RunFolder.Lock lock, jgan.io.FileError lockError, PrintStream out) {
        Path configFile = run.resolve("config.json");
        TrainConfig stored = storedConfig(run.resolve("checkpoint.bin"));
        TrainConfig config;
        if (stored != null && !Files.exists(configFile, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            config = stored; // every checkpoint holds the run's config; train --resume writes config.json again
            Main.err().println("jgan eval: warning: " + configFile + " is missing; using the config stored in " + run.resolve("checkpoint.bin"));
        } else {
            try {
                config = TrainConfig.fromMap(Json.parseObject(read(configFile)));
            } catch (ClassCastException | IllegalArgumentException e) {
                if (e.getMessage() != null && e.getMessage().startsWith("no config.json")) {
                    throw e;
                }
                throw new IllegalArgumentException(configFile + " is damaged: " + e.getMessage());
            }
            if (stored != null) {
                TrainCommand.checkSameSettings(run, stored, Main.err()); // config.json edited, or a checkpoint of another run
            }
        }
        if (config.images()) {
            throw new IllegalArgumentException(run + " is an image run (" + config.data() + ", model " + config.model() + "): eval computes"
                    + " the 2-D mixtures' mode metrics, which images do not have; its samples are " + run.resolve("grid.png") + " and "
                    + run.resolve(RunFolder.SAMPLES) + "/step_N.png, its losses " + run.resolve("losses.png"));
        }
        Path samples = run.resolve("samples.csv");
        if (!Files.exists(samples)) {
            throw new IllegalArgumentException(unfinished(run));
        }
        float[] xy = readSamples(samples);
        if (xy.length == 0) {
            throw new IllegalArgumentException(samples + " holds no samples (only its header): nothing to evaluate; metrics.json is"
                    + " left as it was");
        }
        if (xy.length / 2 < TrainCommand.EVAL_SAMPLES) {
            Main.err().printf(java.util.Locale.ROOT, "jgan eval: warning: %s holds only %,d samples; PacGAN's numbers use %,d (the train"
                    + " command writes that many): with fewer they are rough%n", samples, xy.length / 2, TrainCommand.EVAL_SAMPLES);
        }
        ModeMetrics m = ModeMetrics.of(config.mixture(), xy);
        Path metrics = run.resolve("metrics.json");
        if (lock == null) {
            out.println(config.data() + ": " + m);
            Main.err().println("jgan eval: " + lockError.getMessage() + "; " + metrics + " was not written (the metrics are printed above)");
            return 1;
        }
        try {
            boolean previous = Files.isRegularFile(metrics);
            AtomicFiles.write(metrics, Json.write(m.toMap()), previous ? "the previous metrics.json is intact" : "");
        } catch (jgan.io.FileError e) {
            out.println(config.data() + ": " + m);
            Main.err().println("jgan eval: " + e.getMessage() + " (the metrics are printed above)");
            return 1;
        }
        Path png = run.resolve("samples.png");
        if (!Files.exists(png, java.nio.file.LinkOption.NOFOLLOW_LINKS)) { // lost (a full disk at the end of training): drawn again
            long step = config.steps();
            try {
                step = jgan.gan.TrainingCheckpoint.step(jgan.io.Checkpoint.read(run.resolve("checkpoint.bin")));
            } catch (RuntimeException ignored) {
                // no readable checkpoint: the title gives the configured steps
            }
            try {
                Plots.samples(config.mixture(), xy, config.seed(), step).write(png, "metrics.json is written");
                Main.err().println("jgan eval: " + png + " was missing: drawn again from samples.csv");
            } catch (IllegalStateException | LinkageError e) {
                Main.err().println("jgan eval: warning: samples.png not drawn: " + e.getMessage());
            }
        }
        out.println(config.data() + ": " + m);
        return 0;
    }

    /** The config a readable checkpoint stores, or null (no checkpoint, or one that does not read: config.json decides). */
    private static TrainConfig storedConfig(Path ck) {
        if (!Files.isRegularFile(ck)) {
            return null;
        }
        try {
            jgan.io.Checkpoint c = jgan.io.Checkpoint.read(ck);
            jgan.gan.TrainingCheckpoint.validate(c, ck.toString());
            return jgan.gan.TrainingCheckpoint.config(c);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Why a run folder without samples.csv has nothing to evaluate, and what to do. */
    private static String unfinished(Path run) {
        Path ck = run.resolve("checkpoint.bin");
        if (Files.isRegularFile(ck)) {
            String at = "";
            try {
                at = " (its checkpoint is at step " + jgan.gan.TrainingCheckpoint.step(jgan.io.Checkpoint.read(ck)) + ")";
            } catch (RuntimeException ignored) {
                // the step is a detail; resume says what is wrong with the checkpoint
            }
            return "the run in " + run + " has not finished: no samples.csv yet" + at + "; continue it with jgan train --resume " + run
                    + ", then eval it";
        }
        return "the run in " + run + " stopped before its first checkpoint: no samples.csv, nothing to evaluate; start it again with"
                + " jgan train --out " + run + " --force";
    }

    private static String read(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no " + file.getFileName() + " in " + file.getParent() + " (not a jgan run folder?)");
        }
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + " is a folder, not a file");
        }
        return AtomicFiles.readString(file);
    }

    /** x,y rows after a header; a malformed line is an error naming its number. */
    /** A decimal number as CSV tools write it (and NaN/Infinity, refused below as not finite). */
    private static final java.util.regex.Pattern DECIMAL = java.util.regex.Pattern.compile(
            "[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?|[+-]?(NaN|Infinity)");

    static float[] readSamples(Path file) {
        List<String> lines = List.of(read(file).split("\n"));
        if (lines.isEmpty() || !lines.get(0).trim().equals("x,y")) {
            throw new IllegalArgumentException(file + " does not start with the header x,y (not a jgan samples file?)");
        }
        float[] xy = new float[2 * (lines.size() - 1)];
        int n = 0;
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(",");
            try {
                if (f.length != 2) {
                    throw new NumberFormatException();
                }
                if (!DECIMAL.matcher(f[0].trim()).matches() || !DECIMAL.matcher(f[1].trim()).matches()) {
                    throw new NumberFormatException(); // Java-only forms (0x1p3, 1f, 0d) are not numbers a CSV holds
                }
                float x = Float.parseFloat(f[0]), y = Float.parseFloat(f[1]);
                if (!Float.isFinite(x) || !Float.isFinite(y)) {
                    throw new IllegalArgumentException(file + ":" + (i + 1) + ": the point '" + line + "' is not finite (NaN or"
                            + " Inf, or past float's range): a sample must be two finite numbers");
                }
                xy[n++] = x;
                xy[n++] = y;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected x,y numbers, got '" + line + "'");
            }
        }
        return java.util.Arrays.copyOf(xy, n);
    }
}
