package jgan.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import jgan.device.CpuDevice;
import jgan.device.Device;
import jgan.device.DeviceEvent;
import jgan.device.LaunchProfile;
import jgan.gan.AdversarialStep;
import jgan.gan.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jgan bench}: the time of the fused adversarial step (the training step of {@code jgan
 * train}, on the same networks), replayed as a graph and run as plain launches, in one process on
 * one device. An image model ({@code --model}, or image {@code --data}) is stepped on synthetic
 * batches (uniform in [-1, 1], uploaded as training uploads its batches): the step is measured,
 * not the loader.
 *
 * <p>Timing: a device event after the warm-up steps and after every timed step; the time of step
 * i is the elapsed time between events i-1 and i (CUDA: device events on the stream, so the host
 * never waits inside the timed loop; cpu and host runtime: wall-clock, every launch being
 * synchronous). Printed: steps/s over all timed steps, and ms per step median/min/max, plus one
 * line {@code step_ms: t1 t2 ...} (ms of each timed step, the first mode measured) that
 * bench/cpu.sh reads, and {@code params: G n D n} (trainable parameters, PyTorch's count of
 * the same modules).
 *
 * <p>{@code --profile} (cpu device only): after the timing, {@code --profile-steps} more plain
 * steps with every launch, copy and fill timed ({@link LaunchProfile}: wall nanoseconds around
 * each synchronous launch, and the BLAS's sgemm time inside it summed over the device's threads);
 * prints the time per op class (conv fprop/dgrad/wgrad, dense, batch norm, activations, loss, Adam,
 * RNG, reductions, copies and fills) and per launch (kernel + integer arguments: one row per layer
 * and pass), as ms per step.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "Time of the fused adversarial step, replayed as a graph and run as plain launches, in one process on one"
                + " device (the train options choose what is measured; --data defaults to ring8, or to synthetic images of"
                + " --image-size/--channels when --model is given). Prints steps/s, ms/step median/min/max, 'step_ms:' (each"
                + " timed step) and 'params:' (G's and D's trainable parameters).")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--device", paramLabel = "NAME", converter = Choices.DeviceConverter.class, completionCandidates = Choices.DeviceNames.class,
            defaultValue = "auto", description = "Device: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "1000", description = "Measured steps per mode (default: ${DEFAULT-VALUE}).")
    long steps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "50", description = "Steps before measuring (default: ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "both",
            description = "graph (replayed), plain (launches), or both, graph first (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--profile", description = "cpu device: after the timing, time every launch of --profile-steps plain steps and"
            + " print where the step's time goes (per op class and per layer pass).")
    boolean profile;

    @Option(names = "--profile-steps", paramLabel = "N", defaultValue = "5", description = "Steps profiled with --profile (default:"
            + " ${DEFAULT-VALUE}).")
    long profileSteps;

    @Mixin
    NetworkOptions network;

    @Override
    public Integer call() {
        PrintStream out = Main.out();
        int steps = NetworkOptions.count("--steps", this.steps, 1);
        int warmup = NetworkOptions.count("--warmup", this.warmup, 1);
        int profiled = NetworkOptions.count("--profile-steps", this.profileSteps, 1);
        List<Boolean> modes = switch (mode) {
            case "graph" -> List.of(true);
            case "plain" -> List.of(false);
            case "both" -> List.of(true, false);
            default -> throw new IllegalArgumentException("--mode must be graph, plain or both, got '" + mode + "'");
        };
        // --model without --data: synthetic images (fashion-mnist's defaults: 28x28x1 unless --image-size/--channels say otherwise)
        boolean imageModel = network.model != null && !network.model.equals("mlp");
        TrainConfig config = network.config(imageModel ? TrainConfig.FASHION_MNIST : "ring8", null, null, null);
        try (Device d = DeviceChoice.open(device)) {
            if (profile && !(d instanceof CpuDevice)) {
                throw new IllegalArgumentException("--profile times the cpu device's synchronous launches: use --device cpu (this is "
                        + d.name() + ")");
            }
            TrainCommand.checkMemory(d, config);
            if (config.images()) {
                out.printf(Locale.ROOT, "jgan bench: fused step, %s %d x %dx%dx%d (synthetic images), g_width %d, d_width %d, latent %d, %s"
                        + " loss, on %s%n", config.model(), config.batch(), config.imageSize(), config.imageSize(), config.channels(),
                        config.gWidth(), config.dWidth(), config.latent(), config.loss().cliName(), d.description());
            } else {
                out.printf(Locale.ROOT, "jgan bench: fused step, %s, %s loss, batch %d, width %d, depth %d/%d, on %s%n", config.data(),
                        config.loss().cliName(), config.batch(), config.width(), config.depthG(), config.depthD(), d.description());
            }
            if (!config.modeSettings().isEmpty()) {
                out.printf(Locale.ROOT, "modes: %s%n", config.modeSettings()); // e.g. --pack, --ema, --r1: they change the step's launches
            }
            Map<String, float[]> times = new LinkedHashMap<>();
            for (boolean graph : modes) {
                try (AdversarialStep s = newStep(d, config, graph)) {
                    if (times.isEmpty()) {
                        out.printf(Locale.ROOT, "params: G %d D %d%n", s.generator().parameterCount(), s.discriminator().parameterCount());
                    }
                    times.put(graph ? "graph replay" : "plain launches", measure(d, s, warmup, steps));
                }
            }
            out.printf(Locale.ROOT, "%-16s %10s %10s %10s %10s%n", "mode", "steps/s", "ms median", "ms min", "ms max");
            for (Map.Entry<String, float[]> e : times.entrySet()) {
                float[] t = e.getValue().clone();
                double sum = 0;
                for (float x : t) {
                    sum += x;
                }
                Arrays.sort(t);
                out.printf(Locale.ROOT, "%-16s %10.2f %10.3f %10.3f %10.3f%n", e.getKey(), t.length / (sum / 1000.0), median(t), t[0],
                        t[t.length - 1]);
            }
            if (times.size() == 2) {
                out.printf(Locale.ROOT, "graph / plain (steps/s): %.2fx (%d steps each after %d warm-up steps)%n",
                        total(times.get("plain launches")) / total(times.get("graph replay")), steps, warmup);
            }
            boolean first = true;
            for (Map.Entry<String, float[]> e : times.entrySet()) {
                StringBuilder sb = new StringBuilder(first ? "step_ms:" : "step_ms_plain:");
                for (float x : e.getValue()) {
                    sb.append(String.format(Locale.ROOT, " %.3f", x));
                }
                out.println(sb);
                first = false;
            }
            if (profile) {
                profile(out, (CpuDevice) d, config, profiled);
            }
        }
        return 0;
    }

    private static AdversarialStep newStep(Device d, TrainConfig config, boolean graph) {
        // images: synthetic batches (the step is measured, not the loader), uploaded as training uploads them
        return config.images() ? new AdversarialStep(d, config, graph, new jgan.gan.RandomImageBatches(config.batch(),
                config.imageSize(), config.channels(), config.seed())) : new AdversarialStep(d, config, graph);
    }

    /** Milliseconds of each of {@code steps} steps after {@code warmup}: device events between consecutive steps. */
    static float[] measure(Device d, AdversarialStep s, int warmup, int steps) {
        for (int i = 0; i < warmup; i++) {
            s.step();
        }
        d.synchronize();
        DeviceEvent[] ev = new DeviceEvent[steps + 1];
        try {
            ev[0] = d.recordEvent();
            for (int i = 0; i < steps; i++) {
                s.step();
                ev[i + 1] = d.recordEvent();
            }
            d.synchronize();
            float[] ms = new float[steps];
            for (int i = 0; i < steps; i++) {
                ms[i] = d.elapsedMillis(ev[i], ev[i + 1]);
            }
            return ms;
        } finally {
            for (DeviceEvent e : ev) {
                if (e != null) {
                    e.close();
                }
            }
        }
    }

    private static double total(float[] t) {
        double sum = 0;
        for (float x : t) {
            sum += x;
        }
        return sum;
    }

    private static double median(float[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    /** The op class of a cpu kernel, for the profile's summary. */
    static String opClass(String kernel) {
        if (kernel.startsWith("conv2d_fprop")) {
            return "conv fprop (convT dgrad)";
        }
        if (kernel.startsWith("conv2d_dgrad")) {
            return "conv dgrad (convT fprop)";
        }
        if (kernel.startsWith("conv2d_wgrad") || kernel.equals("conv2d_channel_sums")) {
            return "conv wgrad + bias";
        }
        if (kernel.startsWith("dense_") || kernel.equals("bias_grad")) {
            return "dense (GEMM)";
        }
        if (kernel.startsWith("batch_norm_")) {
            return "batch norm";
        }
        if (kernel.startsWith("leaky_relu") || kernel.startsWith("tanh_") || kernel.startsWith("relu")) {
            return "activations";
        }
        if (kernel.contains("cross_entropy") || kernel.startsWith("gan_loss")) {
            return "loss";
        }
        if (kernel.startsWith("adam_") || kernel.startsWith("sgd_") || kernel.startsWith("optimizer_")) {
            return "Adam";
        }
        if (kernel.startsWith("philox") || kernel.startsWith("counter_") || kernel.startsWith("mixture_")) {
            return "RNG + counters";
        }
        if (kernel.startsWith("reduce_") || kernel.equals("finite_check")) {
            return "reductions";
        }
        if (kernel.equals("device_copy") || kernel.equals("fill32")) {
            return "copies + fills";
        }
        return "other";
    }

    /** Runs {@code n} plain steps with every launch timed, and prints where the time went, per step. */
    private static void profile(PrintStream out, CpuDevice d, TrainConfig config, int n) {
        LaunchProfile p = new LaunchProfile();
        double wallMs;
        try (AdversarialStep s = newStep(d, config, false)) {
            s.step(); // the first step allocates workspaces: not profiled
            d.profile(p);
            long t0 = System.nanoTime();
            try {
                for (int i = 0; i < n; i++) {
                    s.step();
                }
            } finally {
                d.profile(null);
            }
            wallMs = (System.nanoTime() - t0) / 1e6 / n;
        }
        int threads = d.threads();
        List<LaunchProfile.Entry> rows = new ArrayList<>(p.entries());
        double launched = 0;
        Map<String, double[]> classes = new LinkedHashMap<>();
        for (LaunchProfile.Entry e : rows) {
            launched += e.nanos();
            double[] c = classes.computeIfAbsent(opClass(e.kernel()), k -> new double[3]);
            c[0] += e.nanos();
            c[1] += e.gemmThreadNanos();
            c[2] += e.calls();
        }
        double launchedMs = launched / 1e6 / n;
        out.printf(Locale.ROOT, "%nprofile: %d plain steps, every launch timed (System.nanoTime around each synchronous launch; GEMM ="
                + " time inside BLAS sgemm summed over the %d device threads, as a share of the launches' wall time x threads)%n",
                n, threads);
        out.printf(Locale.ROOT, "profile: %.2f ms per step wall, %.2f ms in launches, %.2f ms between them (Java: step logic, launch"
                + " packing, upload of the real batch)%n", wallMs, launchedMs, wallMs - launchedMs);
        out.printf(Locale.ROOT, "%-26s %10s %7s %9s %7s%n", "op class", "ms/step", "share", "launches", "GEMM");
        classes.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0])).forEach(e -> {
            double[] c = e.getValue();
            out.printf(Locale.ROOT, "%-26s %10.3f %6.1f%% %9.0f %6.0f%%%n", e.getKey(), c[0] / 1e6 / n, 100 * c[0] / 1e6 / n / wallMs,
                    c[2] / n, c[0] > 0 ? 100 * c[1] / (c[0] * threads) : 0);
        });
        out.printf(Locale.ROOT, "%-26s %10.3f %6.1f%%%n", "(between launches)", wallMs - launchedMs, 100 * (wallMs - launchedMs) / wallMs);
        rows.sort((a, b) -> Long.compare(b.nanos(), a.nanos()));
        out.printf(Locale.ROOT, "%nprofile per launch (kernel(int arguments): one row per layer and pass), the largest first:%n");
        out.printf(Locale.ROOT, "%10s %7s %6s %6s  %s%n", "ms/step", "share", "calls", "GEMM", "kernel(int args)");
        double shown = 0;
        int shownRows = 0;
        for (LaunchProfile.Entry e : rows) {
            double ms = e.nanos() / 1e6 / n;
            if (shown > 0.98 * launchedMs && ms < 0.01 * wallMs) {
                break;
            }
            shown += ms;
            shownRows++;
            out.printf(Locale.ROOT, "%10.3f %6.1f%% %6.1f %5.0f%%  %s(%s)%n", ms, 100 * ms / wallMs, (double) e.calls() / n,
                    e.nanos() > 0 ? 100.0 * e.gemmThreadNanos() / ((double) e.nanos() * threads) : 0, e.kernel(), e.ints());
        }
        if (shown < launchedMs) {
            out.printf(Locale.ROOT, "%10.3f %6.1f%%  (%d smaller rows)%n", launchedMs - shown, 100 * (launchedMs - shown) / wallMs,
                    rows.size() - shownRows);
        }
    }
}
