package jgan.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import jgan.gan.ModeMetrics;
import jgan.gan.TrainConfig;
import jgan.io.Json;

/**
 * {@code jgan eval --run RUN}: PacGAN's mode-collapse numbers for the run's samples.csv (modes
 * captured, high-quality fraction, reverse KL), printed and written to RUN/metrics.json.
 */
final class EvalCommand {
    private EvalCommand() {
    }

    static int run(List<String> args, PrintStream out) throws IOException {
        Options o = new Options(args, Set.of());
        String runName = o.take("run");
        if (runName == null) {
            throw new IllegalArgumentException("missing --run RUN");
        }
        if (!o.rest().isEmpty()) {
            throw new IllegalArgumentException("unknown option --" + o.rest().keySet().iterator().next());
        }
        Path run = Path.of(runName);
        TrainConfig config = TrainConfig.fromMap(Json.parseObject(read(run.resolve("config.json"))));
        float[] xy = readSamples(run.resolve("samples.csv"));
        ModeMetrics m = ModeMetrics.of(config.mixture(), xy);
        Files.writeString(run.resolve("metrics.json"), Json.write(m.toMap()));
        out.println(config.data() + ": " + m);
        return 0;
    }

    private static String read(Path file) throws IOException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no " + file.getFileName() + " in " + file.getParent() + " (not a jgan run folder?)");
        }
    }

    /** x,y rows after a header; a malformed line is an error naming its number. */
    static float[] readSamples(Path file) throws IOException {
        List<String> lines = List.of(read(file).split("\n"));
        if (lines.isEmpty() || !lines.get(0).trim().equals("x,y")) {
            throw new IllegalArgumentException(file + " does not start with the header x,y");
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
