package jgan.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;

import jgan.device.Device;
import jgan.device.DeviceEvent;
import jgan.gan.AdversarialStep;
import jgan.gan.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jgan bench}: steps/s of the fused adversarial step, replayed as a graph and run plainly,
 * measured in the same process on the same device. Timing: device events around {@code --steps}
 * steps after {@code --warmup} steps (on the host runtime and CPU the events are wall-clock).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "Steps/s of the fused adversarial step, replayed as a graph and run as plain launches, in one process on one"
                + " device (the train options choose what is measured; --data defaults to ring8).")
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

    @Mixin
    NetworkOptions network;

    @Override
    public Integer call() {
        PrintStream out = Main.out();
        int steps = NetworkOptions.count("--steps", this.steps, 1);
        int warmup = NetworkOptions.count("--warmup", this.warmup, 1);
        TrainConfig config = network.config("ring8", null, null, null);
        try (Device d = DeviceChoice.open(device)) {
            TrainCommand.checkMemory(d, config);
            if (config.images()) {
                out.printf(Locale.ROOT, "jgan bench: fused step, %s %d x %dx%dx%d (synthetic images), g_width %d, d_width %d, latent %d, %s"
                        + " loss, on %s%n", config.model(), config.batch(), config.imageSize(), config.imageSize(), config.channels(),
                        config.gWidth(), config.dWidth(), config.latent(), config.loss().cliName(), d.description());
            } else {
                out.printf(Locale.ROOT, "jgan bench: fused step, %s, %s loss, batch %d, width %d, depth %d/%d, on %s%n", config.data(),
                        config.loss().cliName(), config.batch(), config.width(), config.depthG(), config.depthD(), d.description());
            }
            double graph = measure(d, config, true, warmup, steps);
            double plain = measure(d, config, false, warmup, steps);
            out.printf(Locale.ROOT, "%-22s %12s%n", "mode", "steps/s");
            out.printf(Locale.ROOT, "%-22s %12.1f%n", "graph replay", graph);
            out.printf(Locale.ROOT, "%-22s %12.1f%n", "plain launches", plain);
            out.printf(Locale.ROOT, "graph / plain: %.2fx (%d steps each after %d warm-up steps)%n", graph / plain, steps, warmup);
        }
        return 0;
    }

    static double measure(Device d, TrainConfig config, boolean graph, int warmup, int steps) {
        // images: synthetic batches (the step is measured, not the loader), uploaded as training uploads them
        try (AdversarialStep s = config.images() ? new AdversarialStep(d, config, graph, new jgan.gan.RandomImageBatches(config.batch(),
                config.imageSize(), config.channels(), config.seed())) : new AdversarialStep(d, config, graph)) {
            for (int i = 0; i < warmup; i++) {
                s.step();
            }
            d.synchronize();
            try (DeviceEvent start = d.recordEvent()) {
                for (int i = 0; i < steps; i++) {
                    s.step();
                }
                try (DeviceEvent end = d.recordEvent()) {
                    float ms = d.elapsedMillis(start, end);
                    return steps / (ms / 1000.0);
                }
            }
        }
    }
}
