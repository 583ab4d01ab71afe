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
@Command(name = "eval", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = "PacGAN's mode-collapse numbers of RUN/samples.csv (modes captured, high-quality samples, reverse KL), printed"
                + " and written to RUN/metrics.json.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--run", paramLabel = "RUN", required = true, description = "The run folder (config.json and samples.csv are read).")
    String runName;

    @Override
    public Integer call() {
        PrintStream out = Main.out();
        Path run = RunFolder.checkedPath(runName, "--run");
        if (!Files.isDirectory(run)) {
            throw new IllegalArgumentException("--run " + run + ": no such run folder");
        }
        Path configFile = run.resolve("config.json");
        TrainConfig config;
        try {
            config = TrainConfig.fromMap(Json.parseObject(read(configFile)));
        } catch (ClassCastException | IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("no config.json")) {
                throw e;
            }
            throw new IllegalArgumentException(configFile + " is damaged: " + e.getMessage());
        }
        Path samples = run.resolve("samples.csv");
        float[] xy = readSamples(samples);
        if (xy.length == 0) {
            throw new IllegalArgumentException(samples + " holds no samples (only its header): nothing to evaluate; metrics.json is"
                    + " left as it was");
        }
        ModeMetrics m = ModeMetrics.of(config.mixture(), xy);
        try (RunFolder.Lock lock = RunFolder.lock(run)) {
            AtomicFiles.write(run.resolve("metrics.json"), Json.write(m.toMap()), "the previous metrics.json is intact");
        }
        out.println(config.data() + ": " + m);
        return 0;
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
                xy[n++] = Float.parseFloat(f[0]);
                xy[n++] = Float.parseFloat(f[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected x,y numbers, got '" + line + "'");
            }
        }
        return java.util.Arrays.copyOf(xy, n);
    }
}
