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
import java.util.concurrent.Callable;

import jgan.data.Mixture;
import jgan.device.Device;
import jgan.gan.AdversarialStep;
import jgan.gan.ModeMetrics;
import jgan.gan.TrainConfig;
import jgan.gan.TrainingCheckpoint;
import jgan.io.Checkpoint;
import jgan.io.AtomicFiles;
import jgan.io.ImageGrid;
import jgan.io.LossPlot;
import jgan.io.FileError;
import jgan.io.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jgan train}: trains a GAN on a 2-D mixture and writes the run folder (the README's file
 * table lists what is in it; {@link RunFolder} knows the names).
 *
 * <pre>
 *   RUN/.lock              held while a command writes the run (the holder's pid inside)
 *   RUN/config.json        the settings (also inside every checkpoint)
 *   RUN/log.csv            step, losses, mean D outputs, steps/s, elapsed_s — one row every log_every steps
 *   RUN/checkpoint.bin     the full state, every checkpoint_every steps, on a stop signal and at the end (atomic)
 *   RUN/samples.csv        2,500 generated points at the end; RUN/samples/step_N.csv at checkpoints
 *   RUN/samples.png        real (grey) and generated (orange) points, the modes, the step
 *   RUN/metrics.json       modes captured, high-quality fraction, reverse KL (images, --eval-every: the last evaluation)
 *   RUN/eval.csv           images, --eval-every N: FD, precision/recall, class entropy every N steps (EvalRun)
 *   RUN/metrics.png        images, --eval-every N: those against the step (jgan.io.MetricsPlot)
 * </pre>
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Trains a GAN on images (DCGAN on Fashion-MNIST or a folder of images) or on a 2-D mixture and writes the run"
                + " folder RUN (config.json, log.csv, checkpoint.bin, losses.png; images: samples/step_N.png, grid.png, data-report.txt;"
                + " mixtures: samples.csv, samples/, samples.png, metrics.json).",
            "  jgan train --data fashion-mnist --out runs/fmnist",
            "  jgan train --data DIR --out runs/mine [--image-size 64 --channels 3]",
            "  jgan train --data ring8 --out runs/ring8",
            "  jgan train --resume runs/ring8 [--steps N]   (continue where the checkpoint left it; Ctrl-C stops it safely)"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:done", "1:a file could not be read or written, out of memory, or training diverged",
            "2:bad options or input: a run folder jgan will not use, data that is the wrong thing (no image or none readable, --data-dir"
                + " without Fashion-MNIST's files, a foreign or truncated idx file)",
            "129/130/143:stopped by SIGHUP/Ctrl-C/SIGTERM after a checkpoint (a second signal stops at once and says which checkpoint is"
                + " kept; the same signal again within 1 s counts as the first), or during start-up, at once, leaving no half-made"
                + " run folder"})
final class TrainCommand implements Callable<Integer> {
    static final int EVAL_SAMPLES = 2500;

    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "RUN", description = "The folder to write (created; must be empty or, with --force, hold a jgan run).")
    String out;

    @Option(names = "--resume", paramLabel = "RUN", description = "Continue the run in RUN from its checkpoint (only --steps and --device may be given).")
    String resume;

    @Option(names = "--force", description = "Replace the jgan run in --out (only jgan's own files are deleted, after every check passed).")
    boolean force;

    @Option(names = "--device", paramLabel = "NAME", converter = Choices.DeviceConverter.class, completionCandidates = Choices.DeviceNames.class,
            defaultValue = "auto", description = "Where to train: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}: the GPU when there is one, else cpu).")
    String device;

    @Option(names = "--steps", paramLabel = "N", description = "Generator updates in all (default: ${DEFAULT-VALUE}; images: " + TrainConfig.IMAGE_STEPS + "; with --resume: the"
            + " run's, or more to extend it).")
    Long steps;

    @Option(names = "--log-every", paramLabel = "N", description = "Steps between progress lines and log.csv rows (default: ${DEFAULT-VALUE}; images: 100).")
    Long logEvery;

    @Option(names = "--checkpoint-every", paramLabel = "N", description = "Steps between checkpoints (and sample grids), 0: only at the end (default: ${DEFAULT-VALUE}; images: 500).")
    Long checkpointEvery;

    @Option(names = "--init-from", paramLabel = "FILE", description = "Start G or D (whichever it matches) from a .safetensors state_dict (jgan export, or PyTorch's); twice for both.")
    List<Path> initFrom;

    @Option(names = "--eval-every", paramLabel = "N", defaultValue = "0", description = "Image runs: score G every N steps and at the"
            + " last (Frechet distance, precision/recall, class entropy in the Fashion-MNIST classifier's space, as jgan eval --run) into"
            + " RUN/eval.csv and RUN/metrics.png, and RUN/metrics.json at the end; 0: off (default: ${DEFAULT-VALUE}; each evaluation"
            + " of " + EvalRun.DEFAULT_COUNT + " images takes about 10 s on 2 cores, and the reference about 15 s once). Not a setting of"
            + " the run: training is the same with or without it, and --resume takes it again.")
    long evalEvery;

    @Option(names = "--eval-images", paramLabel = "N", description = "With --eval-every: images scored per evaluation (default: "
            + EvalRun.DEFAULT_COUNT + ").")
    Long evalImages;

    @Mixin
    NetworkOptions network;

    /** Set by {@link Main#main}: handle SIGHUP/SIGINT/SIGTERM (finish the step, checkpoint, exit 129/130/143). Tests in one JVM leave it off. */
    static volatile boolean handleSignals;

    private boolean given(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    @Override
    public Integer call() throws IOException {
        if (handleSignals) { // from now on a signal is answered: during start-up it stops at once and removes a half-made run
            synchronized (WRITING) {
                startRun = null;
                startCreated = false;
                startWrote = false;
                startResumeStep = -1;
                phase = Phase.STARTING;
            }
            installSignalHandlers();
        }
        try {
            return start();
        } finally {
            synchronized (WRITING) {
                phase = Phase.DONE;
            }
        }
    }

    private Integer start() throws IOException {
        PrintStream out = Main.out(), err = Main.err();
        if (resume != null && this.out != null && !Path.of(resume).equals(Path.of(this.out))) {
            throw new IllegalArgumentException("--resume RUN continues in RUN itself; drop --out");
        }
        if (resume != null) {
            if (force) {
                throw new IllegalArgumentException("--force starts a new run; --resume continues one: give one of them");
            }
            List<String> settings = new ArrayList<>(network.givenOptions());
            for (String o : List.of("--log-every", "--checkpoint-every", "--init-from")) {
                if (given(o)) {
                    settings.add(o);
                }
            }
            if (!settings.isEmpty()) {
                throw new IllegalArgumentException("a resumed run keeps the settings it was started with; remove " + String.join(", ", settings));
            }
            return resume(RunFolder.checkedPath(resume, "--resume"), given("--steps") ? steps : null, device, evalOptions(), out, err);
        }
        if (this.out == null) {
            throw new IllegalArgumentException("missing --out RUN (the folder to write)");
        }
        Path run = RunFolder.checkedPath(this.out, "--out");
        // Everything is validated before any file is touched: options, the folder, the device, the networks.
        TrainConfig config = network.config(null, given("--steps") ? steps : null, given("--log-every") ? logEvery : null,
                given("--checkpoint-every") ? checkpointEvery : null);
        long[] evalOptions = evalOptions();
        checkEval(config, evalOptions);
        checkNewRunFolder(run, force);
        String shadowed = shadowedFolder(network.data, Path.of(""));
        if (shadowed != null) {
            err.println(shadowed);
        }
        try (Device device = DeviceChoice.open(this.device)) {
            checkMemory(device, config);
            Prepared prepared = prepare(device, config, err);
            try (AdversarialStep step = prepared.step();
                 EvalRun.Training eval = EvalRun.Training.open(device, config, evalOptions[0], (int) evalOptions[1], err)) {
                String init = initFrom == null ? null : jgan.gan.InitFrom.apply(initFrom, step.generator(), step.discriminator());
                if (init != null) {
                    step.generatorOptimizer().resetAverage(); // G's EMA (with --ema) starts at the loaded weights
                }
                boolean created;
                synchronized (WRITING) { // a signal during start-up removes what this command wrote, between writes only
                    created = !Files.exists(run);
                    startRun = run;
                    startCreated = created;
                    try {
                        Files.createDirectories(run);
                    } catch (IOException e) {
                        throw FileError.of("create the run folder", run, e, "");
                    }
                }
                boolean started = false;
                try (RunFolder.Lock lock = lockWhileStarting(run)) {
                    synchronized (WRITING) {
                        startWrote = true;
                        if (force) {
                            RunFolder.deleteOwnFiles(run);
                        }
                        RunFolder.removeLeftovers(run);
                        AtomicFiles.write(run.resolve("config.json"), Json.write(config.toMap()), "");
                        started = true;
                        writeReport(run, prepared);
                        writeReal(step, run);
                    }
                    header(out, config, step, device, prepared.data());
                    if (init != null) {
                        out.println(init);
                    }
                    return train(step, run, 0, new LogHistory(List.of(), 0), 0, false, out, eval);
                } finally {
                    if (!started && created) {
                        removeEmptyRun(run);
                    }
                }
            }
        }
    }

    /**
     * The note when --data names a data set (ring8, grid25, fashion-mnist) and a folder of that name
     * is in the working directory (tester1 #22): the data set is used, as documented; the folder
     * would be ./NAME. Null otherwise.
     *
     * @param cwd the working directory (Path.of(""))
     */
    static String shadowedFolder(String data, Path cwd) {
        if (data == null || !List.of("ring8", "grid25", TrainConfig.FASHION_MNIST).contains(data) || !Files.isDirectory(cwd.resolve(data))) {
            return null;
        }
        return "jgan train: note: --data " + data + " is the built-in " + (data.equals(TrainConfig.FASHION_MNIST) ? "data set" : "2-D mixture")
                + "; the folder ./" + data + " here is not read (give --data ./" + data + " to train on its images)";
    }

    /** --eval-every and --eval-images as {every, images}, checked. */
    private long[] evalOptions() {
        if (evalEvery < 0) {
            throw new IllegalArgumentException("--eval-every must be >= 0 (0: off), got " + evalEvery);
        }
        if (given("--eval-images") && evalEvery == 0) {
            throw new IllegalArgumentException("--eval-images goes with --eval-every N (N > 0)");
        }
        return new long[] {evalEvery, evalImages == null ? EvalRun.DEFAULT_COUNT : EvalRun.count("--eval-images", evalImages)};
    }

    /** Refuses --eval-every for a mixture run (it scores images; a mixture run writes its mode metrics at the end). */
    private static void checkEval(TrainConfig config, long[] eval) {
        if (eval[0] > 0 && !config.images()) {
            throw new IllegalArgumentException("--eval-every scores images; " + config.data() + " is a 2-D mixture, whose mode metrics"
                    + " are written to metrics.json at the end (jgan eval --run RUN)");
        }
    }

    /** A run's step and what its first line says about the data (and, for a folder, RUN/data-report.txt's text, else null). */
    private record Prepared(AdversarialStep step, String data, String report, String warning) {
    }

    /** The step of {@code config}: on its mixture, or on its images (opened here, before any file of the run is written). */
    private static Prepared prepare(Device device, TrainConfig config, PrintStream err) {
        if (!config.images()) {
            return new Prepared(new AdversarialStep(device, config, true), config.data(), null, null);
        }
        ImageData.Opened d = ImageData.open(config, err);
        try {
            return new Prepared(new AdversarialStep(device, config, true, d.batches()), d.description(), d.report(), d.warning());
        } catch (RuntimeException | Error e) {
            d.batches().close();
            throw e;
        }
    }

    /**
     * RUN/data-report.txt of a folder run: the files read and those skipped, with the reasons;
     * then the warning about skipped files, which points to it (never said by a start that fails
     * before the report exists).
     */
    private static void writeReport(Path run, Prepared prepared) {
        if (prepared.report() != null) {
            AtomicFiles.write(run.resolve("data-report.txt"), prepared.report(), "");
            if (prepared.warning() != null) {
                Main.err().println(prepared.warning());
            }
        }
    }

    /**
     * On the cpu device the tensors live in the Java heap: a run that cannot fit is refused at
     * once, with what to lower, instead of failing after minutes of allocation.
     */
    static void checkMemory(Device device, TrainConfig config) {
        if (device.kind() != jgan.device.DeviceKind.CPU) {
            return;
        }
        long need = NetworkOptions.estimatedBytes(config), have = Runtime.getRuntime().maxMemory();
        if (need > have * 0.8) {
            throw new jgan.device.DeviceOutOfMemoryException(config.images() ? imageMemoryAdvice(config, need, have)
                    : memoryAdvice(config, need, have));
        }
    }

    /**
     * The refusal of an image run that does not fit the heap (NetworkOptions#imageEstimate): the
     * options that make it big (the widths when the parameters dominate, else --batch and
     * --image-size) and the heap it would need, as for {@link #memoryAdvice}.
     */
    static String imageMemoryAdvice(TrainConfig config, long need, long have) {
        NetworkOptions.ImageEstimate e = NetworkOptions.imageEstimate(config);
        boolean widths = 7 * e.params() >= e.activations();
        long gb = (long) Math.ceil(need / 0.8 / (1L << 30));
        return String.format(Locale.ROOT, "out of memory on cpu: model %s with --g-width %d, --d-width %d, --image-size %d, --batch %d needs"
                + " about %,d MB (%,d parameters, each held 7 times: weights, gradients, Adam's two moments, the checkpoint's copy; and"
                + " %,d MB of activations), more than the %,d MB a run may use (80%% of the Java heap's %,d MB, the rest is for the JVM);"
                + " lower %s, or raise the heap to at least JGAN_JAVA_OPTS=-Xmx%dg (if the machine has that much memory)", config.model(),
                config.gWidth(), config.dWidth(), config.imageSize(), config.batch(), need >> 20, e.params(), (4 * e.activations()) >> 20,
                (long) (have * 0.8) >> 20, have >> 20, widths ? "--g-width or --d-width" : "--batch or --image-size", gb);
    }

    /**
     * The refusal of a run that does not fit the heap: the options that make it big (--depth when
     * the layers dominate, else --batch and --width) and the heap it would need, as an -Xmx
     * figure computed from the estimate (a run may use 80% of the heap), rounded up to whole GB.
     */
    static String memoryAdvice(TrainConfig config, long need, long have) {
        long shallow = Math.max(config.depthG(), config.depthD()) > 1
                ? NetworkOptions.estimatedBytes(config.with("depth_g", "1").with("depth_d", "1")) : need;
        boolean depth = need > 2 * shallow;
        long gb = (long) Math.ceil(need / 0.8 / (1L << 30));
        return String.format(Locale.ROOT, "out of memory on cpu: --batch %d, --width %d, --depth-g %d, --depth-d %d need about %,d MB, more than the %,d MB a"
                + " run may use (80%% of the Java heap's %,d MB, the rest is for the JVM); lower %s, or raise the heap to at least"
                + " JGAN_JAVA_OPTS=-Xmx%dg (if the machine has that much memory)", config.batch(), config.width(), config.depthG(),
                config.depthD(), need >> 20, (long) (have * 0.8) >> 20, have >> 20, depth ? "--depth" : "--batch or --width", gb);
    }

    /** A folder created for a run that never started: removed again (its lock file with it). */
    private static void removeEmptyRun(Path run) {
        try {
            Files.deleteIfExists(run.resolve(RunFolder.LOCK));
            Files.deleteIfExists(run);
        } catch (IOException ignored) {
            // not empty after all: leave it
        }
    }

    private static void checkNewRunFolder(Path run, boolean force) throws IOException {
        RunFolder.checkLayout(run, force);
        if (!Files.isDirectory(run)) {
            return;
        }
        RunFolder.checkNotInUse(run); // a running command's folder is said to be in use, not judged by what it holds so far
        boolean empty;
        try (var s = Files.list(run)) {
            empty = s.allMatch(p -> p.getFileName().toString().equals(RunFolder.LOCK));
        }
        if (empty) {
            return;
        }
        if (!force) {
            if (RunFolder.holdsRun(run) && !Files.exists(run.resolve("checkpoint.bin"))) {
                throw new IllegalArgumentException(run + " already holds a run that stopped before its first checkpoint (nothing to"
                        + " resume): add --force to start it again, or give another --out folder");
            }
            if (!RunFolder.holdsRun(run)) { // no run to resume or replace: say so, rather than offer --resume and --force
                throw new IllegalArgumentException(run + " already holds files and no jgan run (nothing to resume or replace): give"
                        + " another --out folder, a new or empty one");
            }
            throw new IllegalArgumentException(run + " already holds a run: use --resume " + run + " to continue it, --force to"
                    + " replace it, or another --out folder");
        }
        if (!RunFolder.holdsRun(run)) {
            throw new IllegalArgumentException(run + " is not empty and holds no jgan run (no config.json that reads as a whole jgan"
                    + " config, no checkpoint.bin that reads with its header and CRC): --force"
                    + " replaces only a jgan run; give another --out folder");
        }
    }

    private static void header(PrintStream out, TrainConfig config, AdversarialStep step, Device device, String data) {
        out.printf(Locale.ROOT, "jgan train: %s, %s%s loss (%s), %d steps of batch %d on %s%n", data, config.images() ? "model "
                + config.model() + ", " : "", config.loss().cliName(), config.lossSettings(), config.steps(), config.batch(),
                device.description());
        out.println("G: " + step.generator().describe().replace("\n", "; "));
        out.println("D: " + step.discriminator().describe().replace("\n", "; "));
    }

    /**
     * Continues a run from RUN/checkpoint.bin. Nothing in RUN is written until the resume is known
     * to be consistent: the lock is taken, the checkpoint is read and checked (finite, same
     * settings as RUN/config.json, shapes matching the networks) and log.csv is read.
     */
    private static int resume(Path run, Long steps, String deviceName, long[] evalOptions, PrintStream out, PrintStream err)
            throws IOException {
        if (Files.exists(run) && !Files.isDirectory(run)) {
            throw new IllegalArgumentException("--resume " + run + " is a file, not a run folder");
        }
        if (!Files.isDirectory(run)) {
            throw new IllegalArgumentException("--resume " + run + ": no such run folder");
        }
        RunFolder.checkLayout(run);
        try (RunFolder.Lock lock = RunFolder.lock(run)) {
            Path ckFile = run.resolve("checkpoint.bin");
            if (!Files.exists(ckFile)) {
                throw new IllegalArgumentException("--resume " + run + ": no checkpoint at " + ckFile + (RunFolder.holdsRun(run)
                        ? ": the run stopped before its first checkpoint, so there is nothing to continue; start it again with"
                        + " jgan train --out " + run + " --force (and the options it had)" : " (not a jgan run folder?)"));
            }
            Checkpoint checkpoint = Checkpoint.read(ckFile);
            TrainingCheckpoint.validate(checkpoint, ckFile.toString());
            List<String> bad = TrainingCheckpoint.nonFiniteSections(checkpoint);
            if (!bad.isEmpty()) {
                throw new IllegalArgumentException(ckFile + " holds NaN or Inf (in " + String.join(", ", bad)
                        + "): it cannot be resumed; start a new run (--out, or --force to replace this one)");
            }
            TrainConfig saved;
            try {
                saved = TrainingCheckpoint.config(checkpoint);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(ckFile + " is damaged: its config: " + e.getMessage() + "; nothing was changed");
            }
            boolean recovered = checkSameSettings(run, saved, err);
            TrainConfig config = steps == null ? saved // a resumed run may be extended
                    : saved.with("steps", Integer.toString(NetworkOptions.count("--steps", steps, 1)));
            long start = TrainingCheckpoint.step(checkpoint);
            if (start >= config.steps()) {
                throw new IllegalArgumentException("the run in " + run + " is already at step " + start + " of " + config.steps()
                        + "; give --steps N with N > " + start + " to continue it");
            }
            LogHistory history = LogHistory.read(run.resolve("log.csv"), start, err);
            double elapsed = TrainingCheckpoint.elapsed(checkpoint);
            checkEval(config, evalOptions);
            try (Device device = DeviceChoice.open(deviceName)) {
                Prepared prepared = prepare(device, checked(device, config), err);
                try (AdversarialStep step = prepared.step();
                     EvalRun.Training eval = EvalRun.Training.open(device, config, evalOptions[0], (int) evalOptions[1], err)) {
                    TrainingCheckpoint.restore(checkpoint, step);
                    long before = TrainingCheckpoint.dataImages(checkpoint);
                    if (config.images() && before >= 0 && before != step.realBatches().images()) {
                        err.printf(Locale.ROOT, "jgan train: warning: the run was trained on %,d images and %s now holds %,d: it continues,"
                                + " but on other batches than an uninterrupted run would have seen%n", before, prepared.data(),
                                step.realBatches().images());
                    }
                    synchronized (WRITING) { // a signal from now on says the run is as it was (these writes change nothing it needs)
                        startRun = run;
                        startResumeStep = start;
                        RunFolder.removeLeftovers(run);
                        AtomicFiles.write(run.resolve("config.json"), Json.write(config.toMap()), "");
                        writeReport(run, prepared);
                    }
                    if (recovered) {
                        err.println("jgan train: warning: " + run.resolve("config.json") + " was missing; written again from the config"
                                + " stored in " + ckFile);
                    }
                    header(out, config, step, device, prepared.data());
                    out.println("resumed at step " + start);
                    return train(step, run, start, history, Math.max(elapsed, history.elapsed()), true, out, eval);
                }
            }
        }
    }

    private static TrainConfig checked(Device device, TrainConfig config) {
        checkMemory(device, config);
        return config;
    }

    /**
     * Refuses a checkpoint whose settings differ from RUN/config.json (a checkpoint copied from
     * another run), listing the differences by option. A missing config.json is recovered from
     * the checkpoint (every checkpoint stores it): returns true then.
     */
    static boolean checkSameSettings(Path run, TrainConfig saved, PrintStream err) {
        Path file = run.resolve("config.json");
        if (!Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        Map<String, Object> onDisk;
        try {
            onDisk = TrainConfig.fromMap(Json.parseObject(AtomicFiles.readString(file))).toMap();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + " is damaged (" + e.getMessage() + "); nothing was changed");
        }
        Map<String, Object> inCheckpoint = saved.toMap();
        List<String> diff = new ArrayList<>();
        String dataSaved = dataAsGiven(inCheckpoint), dataOnDisk = dataAsGiven(onDisk);
        if (!dataSaved.equals(dataOnDisk)) {
            diff.add("--data: checkpoint " + dataSaved + ", config.json " + dataOnDisk);
        }
        for (String key : inCheckpoint.keySet()) {
            if (key.equals("data") || key.equals("data_dir")) {
                continue; // said above as the command line gives them
            }
            if (!key.equals("steps") && !inCheckpoint.get(key).equals(onDisk.get(key))) { // steps may have been extended
                diff.add("--" + key.replace('_', '-') + ": checkpoint " + inCheckpoint.get(key) + ", config.json " + onDisk.get(key));
            }
        }
        if (!diff.isEmpty()) {
            throw new IllegalArgumentException(run.resolve("checkpoint.bin") + " does not belong to the run in " + run + " ("
                    + String.join("; ", diff) + "): a checkpoint from another run? nothing was changed");
        }
        return false;
    }

    /**
     * A config's data as the command line gives it: a folder as its path (stored as data "folder"
     * and the path in data_dir), Fashion-MNIST with its --data-dir when it has one.
     */
    static String dataAsGiven(Map<String, Object> config) {
        Object data = config.get("data"), dir = config.getOrDefault("data_dir", "");
        if (TrainConfig.FOLDER.equals(data)) {
            return String.valueOf(dir);
        }
        return data + ("".equals(dir) ? "" : " --data-dir " + dir);
    }

    /** Rows of log.csv up to a checkpoint's step, and the elapsed_s the run had reached there. */
    record LogHistory(List<String> rows, double elapsed) {
        static final String HEADER = "step,loss_d,loss_g,d_real,d_fake,steps_per_s,elapsed_s";

        /** Keeps the rows up to {@code upTo}; a torn or blank row is dropped with a warning naming the file and line. */
        static LogHistory read(Path file, long upTo, PrintStream err) {
            if (!Files.exists(file)) {
                if (upTo > 0) {
                    err.println("jgan train: warning: " + file + " is missing: the rows of steps 1-" + upTo + " are lost; it starts again"
                            + " with the rows after step " + upTo);
                }
                return new LogHistory(List.of(), 0);
            }
            // bytes that are not UTF-8 become U+FFFD: their rows fail the checks below and are dropped alone
            String text = new String(AtomicFiles.readBytes(file, AtomicFiles.MAX_TEXT_BYTES), StandardCharsets.UTF_8);
            String[] lines = text.split("\n", -1);
            List<String> rows = new ArrayList<>();
            List<Long> after = new ArrayList<>();
            double elapsed = 0;
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i].strip();
                if (i == 0 && line.equals(HEADER)) {
                    continue;
                }
                if (line.isEmpty()) {
                    continue; // the file's last newline, or a blank line
                }
                String[] f = line.split(",", -1);
                long step;
                double rowElapsed;
                try {
                    if (f.length != 7) {
                        throw new NumberFormatException();
                    }
                    if (!line.matches("[0-9a-zA-Z.,+-]*")) { // damaged bytes (or anything jgan does not write)
                        throw new NumberFormatException();
                    }
                    step = Long.parseLong(f[0]);
                    for (int k = 1; k < 7; k++) {
                        Double.parseDouble(f[k]);
                    }
                    rowElapsed = Double.parseDouble(f[6]);
                } catch (NumberFormatException e) {
                    String shown = line.replaceAll("[^\\x20-\\x7e]", "?");
                    err.println("jgan train: warning: " + file + " line " + (i + 1) + " is torn or damaged, dropped: '"
                            + (shown.length() > 60 ? shown.substring(0, 60) + "..." : shown) + "'");
                    continue;
                }
                if (step <= upTo) {
                    rows.add(line);
                    elapsed = Math.max(elapsed, rowElapsed);
                } else {
                    after.add(step); // rows after the checkpoint: those steps are trained again
                }
            }
            if (!after.isEmpty()) {
                err.println("jgan train: warning: " + file + " has " + after.size() + " row" + (after.size() == 1 ? "" : "s") + " after the"
                        + " checkpoint's step " + upTo + " (step " + after.get(0) + (after.size() > 1 ? " to " + after.get(after.size() - 1) : "")
                        + "), dropped: those steps are trained again from the checkpoint");
            }
            return new LogHistory(rows, elapsed);
        }
    }

    /** Which signal asked the loop to stop (0: none); set by the handlers of {@link #handleSignals}. */
    private static final java.util.concurrent.atomic.AtomicInteger STOP = new java.util.concurrent.atomic.AtomicInteger();
    /** Held by the training loop while it writes the run's files; a second signal waits for it, so no write is cut off. */
    private static final Object WRITING = new Object();
    /** What a second signal reports: the run, the step being computed, the step of the checkpoint on disk (-1: none). */
    private static volatile Path signalRun;
    private static volatile long current;
    private static volatile long keptStep = -1;

    private static void installSignalHandlers() {
        for (String name : List.of("HUP", "INT", "TERM")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), TrainCommand::signalled);
            } catch (IllegalArgumentException ignored) {
                // the JVM runs with -Xrs, the signal is reserved or ignored (nohup): its default stays
            }
        }
    }

    /**
     * The first signal asks the loop to stop after the current step (and says so at once); a
     * second one stops now, but only between writes: it waits for a checkpoint being written,
     * removes any .tmp, and says which checkpoint is kept.
     */
    private static void signalled(sun.misc.Signal sig) {
        PrintStream err = System.err;
        if (phase == Phase.STARTING) {
            synchronized (WRITING) { // a start-up write in flight finishes first
                if (phase == Phase.STARTING) {
                    err.println(stopDuringStartUp(sig.getName(), startRun, startCreated, startWrote, startResumeStep));
                    err.flush();
                    // exit, not halt: the JVM's clean-up runs (the host runtime's temporary library is deleted); WRITING stays
                    // held, so start-up writes nothing more meanwhile
                    Runtime.getRuntime().exit(128 + sig.getNumber());
                }
            }
        }
        if (phase == Phase.DONE) {
            return; // training is over and the command is ending with its own status: nothing is lost, nothing to say
        }
        long now = System.nanoTime();
        boolean first = STOP.compareAndSet(0, sig.getNumber());
        if (first) {
            firstSignalNanos = now;
            err.println(reaction(sig.getName(), true));
            err.flush();
            return;
        }
        if (isRepeat(STOP.get(), firstSignalNanos, sig.getNumber(), now)) {
            return; // one stop delivered twice (timeout(1) signals the child and its group): the first is being honoured
        }
        synchronized (WRITING) { // a write in flight finishes first
            if (phase == Phase.DONE) {
                return; // the last write was the run's last: it ends with status 0
            }
            Path run = signalRun;
            if (run != null) {
                try {
                    RunFolder.removeLeftovers(run);
                } catch (RuntimeException ignored) {
                    // the message below still says what is kept
                }
            }
            err.println(reaction(sig.getName(), false));
            err.flush();
            Runtime.getRuntime().halt(128 + sig.getNumber());
        }
    }

    /** Start-up's state for a signal: the run folder (null until known), whether this command created it or wrote in it. */
    private static volatile Path startRun;
    private static volatile boolean startCreated;
    private static volatile boolean startWrote;
    /** A resume's checkpoint step once its files are being taken up, else -1. */
    private static volatile long startResumeStep = -1;

    private static RunFolder.Lock lockWhileStarting(Path run) {
        synchronized (WRITING) {
            return RunFolder.lock(run);
        }
    }

    /**
     * A signal during start-up (options, data, networks, the run's first files: before the first
     * step, so before any checkpoint): there is nothing to keep, so it stops at once. A new run's
     * half-made folder goes (jgan's files in it, then the folder when this command created it and
     * it is empty), so that a later --out is not refused; a resume leaves the run as it was. Called
     * with WRITING held (no write in flight); returns the one line said.
     *
     * @param run        the run folder, null before it is known
     * @param created    whether this command created the folder
     * @param wrote      whether this command has begun writing its files in it
     * @param resumeStep a resume's checkpoint step once it takes the run up, else -1
     */
    static String stopDuringStartUp(String sigName, Path run, boolean created, boolean wrote, long resumeStep) {
        String head = "\njgan train: SIG" + sigName + ": stopped during start-up, before ";
        if (resumeStep >= 0) {
            try {
                RunFolder.removeLeftovers(run);
            } catch (RuntimeException ignored) {
                // nothing in flight: no .tmp is expected anyway
            }
            return head + "training resumed: " + run + " is as it was (its checkpoint of step " + resumeStep + "): continue with"
                    + " --resume " + run;
        }
        String what = "the first checkpoint: nothing to keep";
        if (run == null || !Files.isDirectory(run, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return head + what + ", nothing written";
        }
        try {
            if (wrote) {
                RunFolder.deleteOwnFiles(run);
            }
            if (created) {
                Files.deleteIfExists(run.resolve(RunFolder.LOCK));
                Files.deleteIfExists(run);
                return head + what + "; " + run + " removed";
            }
        } catch (IOException | RuntimeException e) {
            return head + what + "; " + run + " could not be cleared (" + e.getMessage() + "): start again with --out " + run + " --force";
        }
        return head + what + (wrote ? "; the files it wrote in " + run + " are removed" : ", nothing written in " + run);
    }

    /** When the first signal came (System.nanoTime), for {@link #isRepeat}. */
    private static volatile long firstSignalNanos;
    /** A repeat of the first signal within this long is the same stop, not the second one. */
    static final long REPEAT_NANOS = 1_000_000_000L;

    /**
     * Whether signal {@code sig} at {@code now} repeats the first one ({@code first} at {@code
     * firstNanos}): the same signal within {@link #REPEAT_NANOS}. GNU timeout sends SIGTERM to the
     * child and to its process group, so one stop may arrive twice microseconds apart; a user's
     * second Ctrl-C comes later, or is another signal.
     */
    static boolean isRepeat(int first, long firstNanos, int sig, long now) {
        return sig == first && now - firstNanos < REPEAT_NANOS;
    }

    /** Where the training loop is, for what a signal says and does. */
    enum Phase {
        /** Start-up, before the first step: a signal stops at once, removing a new run's half-made folder. */
        STARTING,
        /** Stepping: a first signal stops after the current step, with a checkpoint. */
        TRAINING,
        /** The last step's checkpoint is written; samples.csv, metrics.json and samples.png are being written. */
        FINISHING,
        /** Training is over (finished, stopped or failed): signals are ignored while the command ends with its status. */
        DONE
    }

    static volatile Phase phase = Phase.DONE;
    /** The files written once training is complete, for what a signal then says. */
    private static volatile String finishing = "samples.csv, metrics.json, samples.png and losses.png";
    private static volatile long lastStep;

    /**
     * What a signal prints: the first one ({@code first}) is acknowledged, the second one says
     * which checkpoint is kept and what is lost; null when training is over (the signal is
     * ignored: nothing is lost and the command ends with its own status).
     */
    static String reaction(String sigName, boolean first) {
        Path run = signalRun;
        Phase p = phase;
        if (p == Phase.DONE) {
            return null;
        }
        if (p == Phase.FINISHING) {
            return first
                    ? "\njgan train: SIG" + sigName + ": training is complete (step " + lastStep + " of " + lastStep + ", checkpoint"
                    + " written); writing " + finishing + ", a moment; a second signal stops at once"
                    : "\njgan train: second signal (SIG" + sigName + "): stopped at once; training is complete: the checkpoint of its"
                    + " last step (" + lastStep + ") in " + run.resolve("checkpoint.bin") + " is kept, nothing is lost but "
                    + finishing.replace(" and ", " or ") + " may be missing";
        }
        if (first) {
            return "\njgan train: SIG" + sigName + ": stopping after the current step (" + current + ") and writing a"
                    + " checkpoint; a second signal stops at once";
        }
        long k = keptStep;
        return "\njgan train: second signal (SIG" + sigName + "): stopped at once; " + (run == null ? "nothing was written"
                : k >= 0 ? "the checkpoint of step " + k + " in " + run.resolve("checkpoint.bin") + " is kept (the steps after it are"
                + " lost): continue with --resume " + run
                : "no checkpoint was written yet, so this run cannot be resumed: start it again with --out " + run + " --force");
    }

    /** Requests a stop as a signal would (for tests in one JVM). */
    static void requestStop(int signal) {
        STOP.set(signal);
    }

    /** A loss for the progress line: fixed point, or 4 significant digits once it is huge. */
    static String loss(float v) {
        return Math.abs(v) < 1e5f || !Float.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : String.format(Locale.ROOT, "%.4g", v);
    }

    /**
     * @param elapsed0 the run's training seconds before this start (from the checkpoint, or log.csv for older checkpoints)
     * @param resumed  whether the run continues from a checkpoint (its settings cannot change: the divergence advice says so)
     */
    private static int train(AdversarialStep step, Path run, long start, LogHistory history, double elapsed0, boolean resumed,
                             PrintStream out, EvalRun.Training eval) throws IOException {
        TrainConfig c = step.config();
        synchronized (WRITING) { // start-up's last writes, then the phase: a signal meets either start-up or training, whole
            startTraining(run, start, history, eval, c);
        }
        try {
            return trainLoop(step, run, start, history, elapsed0, resumed, out, eval);
        } finally {
            synchronized (WRITING) {
                phase = Phase.DONE;
            }
        }
    }

    private static void startTraining(Path run, long start, LogHistory history, EvalRun.Training eval, TrainConfig c) {
        Path log = run.resolve("log.csv");
        List<String> rows = new ArrayList<>();
        rows.add(LogHistory.HEADER);
        rows.addAll(history.rows());
        AtomicFiles.write(log, String.join("\n", rows) + "\n", "");
        Path evalCsv = run.resolve("eval.csv");
        if (eval != null || Files.isRegularFile(evalCsv)) { // rows past the checkpoint are computed again (or, without --eval-every, dropped)
            List<String> kept = new ArrayList<>();
            kept.add(EvalRun.HEADER);
            if (start > 0 && Files.isRegularFile(evalCsv)) {
                kept.addAll(EvalRun.rowsUpTo(AtomicFiles.readString(evalCsv), start));
            }
            AtomicFiles.write(evalCsv, String.join("\n", kept) + "\n", "");
            if (eval == null) {
                Main.err().println("jgan train: note: " + evalCsv + " is not extended by this resume: give --eval-every N to go on scoring G");
            }
        }
        STOP.set(0);
        signalRun = run;
        keptStep = start > 0 ? start : -1;
        current = start + 1;
        lastStep = c.steps();
        finishing = c.images() ? "samples/step_" + String.format("%07d", c.steps()) + ".png, grid.png and losses.png"
                : "samples.csv, metrics.json, samples.png and losses.png";
        phase = Phase.TRAINING;
    }

    private static int trainLoop(AdversarialStep step, Path run, long start, LogHistory history, double elapsed0, boolean resumed,
                                 PrintStream out, EvalRun.Training eval) throws IOException {
        TrainConfig c = step.config();
        Path log = run.resolve("log.csv");
        Progress progress = new Progress(out, start, c.steps(), elapsed0); // elapsed carries on as log.csv's does
        long t0 = System.nanoTime(), tLast = t0, sLast = start;
        long kept = start > 0 ? start : -1; // the step of the checkpoint on disk
        boolean warnedAbsurd = false; // the warning about absurd losses is said once a run
        boolean logged = !history.rows().isEmpty(); // log.csv has a row: losses.png can be drawn
        while (step.steps() < c.steps()) {
            current = step.steps() + 1;
            step.step();
            long s = step.steps();
            boolean last = s == c.steps();
            progress.tick(s); // a terminal's bar, about once a second; no read back from the device
            synchronized (WRITING) {
                if (s % c.logEvery() == 0 || last) {
                    AdversarialStep.Stats st = step.takeStats(); // the only read back: every log_every steps
                    long now = System.nanoTime();
                    double rate = (s - sLast) / ((now - tLast) / 1e9);
                    tLast = now;
                    sLast = s;
                    String row = String.format(Locale.ROOT, "%d,%.6g,%.6g,%.6g,%.6g,%.1f,%.1f", s, st.lossD(), st.lossG(), st.dReal(),
                            st.dFake(), rate, elapsed0 + (now - t0) / 1e9);
                    append(log, row);
                    logged = true;
                    progress.line(s, rate, String.format(Locale.ROOT, "loss_D %s  loss_G %s  D(x) %.3f  D(G(z)) %.3f", loss(st.lossD()),
                            loss(st.lossG()), st.dReal(), st.dFake()));
                    if (!Float.isFinite(st.lossD()) || !Float.isFinite(st.lossG())) {
                        throw diverged(run, s, "loss_D " + loss(st.lossD()) + ", loss_G " + loss(st.lossG()), kept, c, resumed);
                    }
                    if (!warnedAbsurd && absurd(st.lossD(), st.lossG())) {
                        warnedAbsurd = true;
                        progress.done();
                        Main.err().println(absurdWarning(s, st.lossD(), st.lossG(), c, resumed));
                    }
                }
                if (eval != null && eval.due(s, last)) { // not counted in steps_per_s
                    long e0 = System.nanoTime();
                    progress.done();
                    try {
                        // G's EMA when the run has one (--ema), as the sample grids and jgan eval --run score it
                        String context = "training goes on; the checkpoint of step " + kept + " is kept";
                        out.println(step.generatorOptimizer().withAverage(() -> eval.evaluate(step.generator(), c, run, s, last, context)));
                    } catch (RuntimeException e) { // e.g. G's images not finite, or a full disk: the run itself goes on
                        Main.err().println("jgan train: warning: the evaluation at step " + s + " failed, training goes on: "
                                + e.getMessage());
                    }
                    tLast += System.nanoTime() - e0;
                }
                int signal = STOP.get();
                current = Math.min(s + 1, c.steps()); // a signal from now on stops after the next step
                if (signal != 0 && !last) {
                    kept = checkpoint(step, run, kept, elapsed0 + (System.nanoTime() - t0) / 1e9, resumed);
                    progress.done();
                    out.println("stopped at step " + s + "; continue with --resume " + run);
                    return 128 + signal;
                }
                if (!last && c.checkpointEvery() > 0 && s % c.checkpointEvery() == 0) {
                    kept = checkpoint(step, run, kept, elapsed0 + (System.nanoTime() - t0) / 1e9, resumed);
                    String intact = "the checkpoint of step " + s + " in " + run.resolve("checkpoint.bin") + " is kept: continue with jgan"
                            + " train --resume " + run + " once there is room";
                    if (c.images()) {
                        writeGrid(step, run, s, intact);
                    } else {
                        writeSamples(step, run.resolve("samples").resolve(String.format("step_%07d.csv", s)), intact);
                    }
                    writeLosses(run, logged, intact);
                }
            }
        }
        if (c.images()) {
            synchronized (WRITING) {
                kept = checkpoint(step, run, kept, elapsed0 + (System.nanoTime() - t0) / 1e9, resumed);
                phase = Phase.FINISHING; // a signal from now on loses nothing: it is told so
                progress.done();
                String intact = "training is complete and its checkpoint (step " + kept + ") in " + run.resolve("checkpoint.bin")
                        + " is kept";
                Path grid = writeGrid(step, run, c.steps(), intact + ", but the samples are not written");
                writeLosses(run, true, intact + ", and the samples are written");
                out.printf(Locale.ROOT, "done in %.1f s: samples in %s%n", (System.nanoTime() - t0) / 1e9, grid);
            }
            out.println("wrote " + run.toAbsolutePath());
            return 0;
        }
        float[] samples;
        synchronized (WRITING) {
            kept = checkpoint(step, run, kept, elapsed0 + (System.nanoTime() - t0) / 1e9, resumed);
            phase = Phase.FINISHING; // a signal from now on loses nothing: it is told so
            progress.done();
            samples = writeSamples(step, run.resolve("samples.csv"), "training is complete and its checkpoint (step " + kept + ") in "
                    + run.resolve("checkpoint.bin") + " is kept, but samples.csv, metrics.json and samples.png are not written");
        }
        String finished = "training is complete: checkpoint.bin and samples.csv are written";
        Mixture m = c.mixture();
        ModeMetrics metrics = ModeMetrics.of(m, samples);
        synchronized (WRITING) {
            AtomicFiles.write(run.resolve("metrics.json"), Json.write(metrics.toMap()), finished + "; jgan eval --run " + run
                    + " writes metrics.json and samples.png once there is room");
            try {
                Plots.samples(m, samples, c.seed(), c.steps()).write(run.resolve("samples.png"), finished + ", and metrics.json; jgan"
                        + " eval --run " + run + " draws samples.png again once there is room");
            } catch (IllegalStateException | LinkageError e) { // no font or no java.desktop: the run is complete without its picture
                Main.err().println("jgan train: warning: samples.png not drawn: " + e.getMessage());
            }
            writeLosses(run, true, finished + ", with metrics.json and samples.png");
        }
        out.printf(Locale.ROOT, "done in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, metrics);
        out.println("wrote " + run.toAbsolutePath());
        return 0;
    }

    /** A logged loss beyond this magnitude (finite) means training has failed in all likelihood: warned once. */
    static final double ABSURD_LOSS = 1e6;

    /** Whether a log row's losses are finite but absurd: |loss_D| or |loss_G| above {@link #ABSURD_LOSS}. */
    static boolean absurd(float lossD, float lossG) {
        return Math.abs(lossD) > ABSURD_LOSS || Math.abs(lossG) > ABSURD_LOSS;
    }

    /** The one warning about absurd losses: the step, the losses, and the learning rate to lower. */
    static String absurdWarning(long s, float lossD, float lossG, TrainConfig c, boolean resumed) {
        String lr = c.lrG() == c.lrD() ? String.format(Locale.ROOT, "--lr (it is %s)", c.lrG())
                : String.format(Locale.ROOT, "--lr-g or --lr-d (they are %s and %s)", c.lrG(), c.lrD());
        return String.format(Locale.ROOT, "jgan train: warning: at step %d loss_D is %s and loss_G %s (beyond %.0e): training has"
                + " probably failed; it goes on, but %s a lower %s", s, loss(lossD), loss(lossG), ABSURD_LOSS,
                resumed ? "a resumed run keeps its settings: start a new run with" : "start again with", lr);
    }

    /** Images in a sample grid: 8 x 8. */
    static final int GRID_IMAGES = 64;

    /**
     * RUN/samples/step_N.png and RUN/grid.png (the same picture: the latest): 64 images of G from
     * the fixed z (AdversarialStep#sampleImages), tiled by jgan.io.ImageGrid; returns grid.png.
     */
    static Path writeGrid(AdversarialStep step, Path run, long s, String context) {
        TrainConfig c = step.config();
        float[] images = step.sampleImages(GRID_IMAGES);
        Path file = run.resolve(RunFolder.SAMPLES).resolve(String.format("step_%07d.png", s));
        Path parent = file.toAbsolutePath().getParent();
        if (Files.isSymbolicLink(parent)) {
            throw new IllegalStateException("cannot write " + file + ": " + parent + " has become a symbolic link; jgan never writes"
                    + " through a link out of the run folder");
        }
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw FileError.of("create the folder", parent, e, "");
        }
        byte[] png;
        try {
            png = ImageGrid.png(ImageGrid.image(images, GRID_IMAGES, c.imageSize(), c.imageSize(), c.channels(), gridScale(c.imageSize())));
        } catch (LinkageError e) { // no java.desktop: the run goes on without its pictures
            Main.err().println("jgan train: warning: " + file.getFileName() + " not drawn: " + e);
            return run.resolve("grid.png");
        }
        AtomicFiles.write(file, png, context);
        AtomicFiles.write(run.resolve("grid.png"), png, context);
        return run.resolve("grid.png");
    }

    /**
     * RUN/real.png of a new image run, written once at its start: the first real batch (batch 0,
     * its first 64 images) as the loader made it, resized, centre-cropped and composited onto the
     * background, tiled as the sample grids are; the loader's position is not moved, so training
     * reads exactly what it would without it. A missing java.desktop only warns.
     */
    static void writeReal(AdversarialStep step, Path run) {
        TrainConfig c = step.config();
        if (!c.images() || !(step.realBatches() instanceof jgan.gan.LoaderBatches loader)) {
            return;
        }
        int n = Math.min(GRID_IMAGES, c.batch()), size = c.imageSize();
        float[] first = java.util.Arrays.copyOf(loader.peek(0), n * size * size * c.channels());
        byte[] png;
        try {
            png = ImageGrid.png(ImageGrid.image(first, n, size, size, c.channels(), gridScale(size)));
        } catch (LinkageError e) { // no java.desktop: the run goes on without its pictures
            Main.err().println("jgan train: warning: real.png not drawn: " + e);
            return;
        }
        AtomicFiles.write(run.resolve("real.png"), png, "");
    }

    /** Small images are enlarged in the grid to at least 64 pixels a side (28 -> x3, 32 -> x2, 64 and more -> x1). */
    static int gridScale(int imageSize) {
        return Math.min(16, Math.max(1, (64 + imageSize - 1) / imageSize));
    }

    /** RUN/losses.png from log.csv (jgan.io.LossPlot), when log.csv has a row; a missing font only warns. */
    static void writeLosses(Path run, boolean hasRows, String context) {
        if (!hasRows) {
            return;
        }
        Path log = run.resolve("log.csv");
        try {
            AtomicFiles.write(run.resolve("losses.png"), LossPlot.png(log), context);
        } catch (IllegalStateException | LinkageError e) { // no font or no java.desktop: the run goes on without its plot
            Main.err().println("jgan train: warning: losses.png not drawn: " + e.getMessage());
        }
    }

    private static void append(Path log, String row) {
        try {
            Files.writeString(log, row + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw FileError.of("append to", log, e, "");
        }
    }

    /** Writes RUN/checkpoint.bin after the finite check on the device; returns the step now kept. */
    private static long checkpoint(AdversarialStep step, Path run, long kept, double elapsed, boolean resumed) {
        long s = step.steps();
        if (!step.stateFinite()) {
            throw diverged(run, s, "the parameters or optimizer state hold NaN or Inf", kept, step.config(), resumed);
        }
        TrainingCheckpoint.save(step, run.resolve("checkpoint.bin"), kept >= 0 ? "the checkpoint of step " + kept + " is intact"
                : "no checkpoint was written yet", elapsed);
        keptStep = s;
        return s;
    }

    /** Training reached NaN or Inf: exit status 1; the message says which checkpoint is kept. */
    static final class Diverged extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        Diverged(String message) {
            super(message);
        }
    }

    /** The advice fits the run: the learning-rate option(s) its settings came from, and that a resumed run cannot change them. */
    private static Diverged diverged(Path run, long s, String what, long kept, TrainConfig c, boolean resumed) {
        String lr = c.lrG() == c.lrD() ? String.format(Locale.ROOT, "--lr (it is %s)", c.lrG())
                : String.format(Locale.ROOT, "--lr-g or --lr-d (they are %s and %s)", c.lrG(), c.lrD());
        String advice = resumed
                ? "a resumed run keeps its settings, so start a new run with a lower " + lr + " or another --loss (--out another folder,"
                        + " or --out " + run + " --force to replace this one)"
                : "lower " + lr + ", or change --loss";
        return new Diverged("training diverged at step " + s + " (" + what + "); "
                + (kept >= 0 ? "the checkpoint of step " + kept + " in " + run.resolve("checkpoint.bin") + " is kept"
                : "no checkpoint was written (none existed before step " + s + ")")
                + ": " + advice);
    }

    /** 2,500 points from G at fixed latent draws (independent of training's), as x,y rows. */
    static float[] writeSamples(AdversarialStep step, Path file, String context) {
        float[] xy = step.sample(EVAL_SAMPLES);
        Path parent = file.toAbsolutePath().getParent();
        if (parent.getFileName().toString().equals(RunFolder.SAMPLES) && Files.isSymbolicLink(parent)) {
            throw new IllegalStateException("cannot write " + file + ": " + parent + " has become a symbolic link; jgan never writes"
                    + " through a link out of the run folder");
        }
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw FileError.of("create the folder", file.toAbsolutePath().getParent(), e, "");
        }
        StringBuilder s = new StringBuilder("x,y\n");
        for (int i = 0; i < xy.length; i += 2) {
            s.append(xy[i]).append(',').append(xy[i + 1]).append('\n');
        }
        AtomicFiles.write(file, s.toString(), context);
        return xy;
    }
}
