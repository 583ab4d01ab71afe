package jgan.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import jgan.device.Device;
import jgan.device.DeviceEvent;
import jgan.gan.AdversarialStep;
import jgan.gan.TrainConfig;

/**
 * {@code jgan bench}: steps/s of the fused adversarial step, replayed as a graph and run plainly,
 * measured in the same process on the same device. Timing: device events around {@code --steps}
 * steps after {@code --warmup} steps (on the host runtime and CPU the events are wall-clock).
 */
final class BenchCommand {
    private BenchCommand() {
    }

    static int run(List<String> args, PrintStream out) {
        Options o = new Options(args, Set.of());
        String device = o.take("device", "auto");
        int steps = Integer.parseInt(o.take("steps", "1000"));
        int warmup = Integer.parseInt(o.take("warmup", "50"));
        if (steps < 1 || warmup < 1) {
            throw new IllegalArgumentException("--steps and --warmup must be >= 1");
        }
        TrainConfig config = TrainCommand.configFrom(withDefaultData(o));
        try (Device d = DeviceChoice.open(device)) {
            out.printf(Locale.ROOT, "jgan bench: fused step, %s, batch %d, width %d, depth %d/%d, on %s%n", config.data(),
                    config.batch(), config.width(), config.depthG(), config.depthD(), d.description());
            double graph = measure(d, config, true, warmup, steps);
            double plain = measure(d, config, false, warmup, steps);
            out.printf(Locale.ROOT, "%-22s %12s%n", "mode", "steps/s");
            out.printf(Locale.ROOT, "%-22s %12.1f%n", "graph replay", graph);
            out.printf(Locale.ROOT, "%-22s %12.1f%n", "plain launches", plain);
            out.printf(Locale.ROOT, "graph / plain: %.2fx (%d steps each after %d warm-up steps)%n", graph / plain, steps, warmup);
        }
        return 0;
    }

    private static Options withDefaultData(Options o) {
        if (o.rest().containsKey("data")) {
            return o;
        }
        o.rest().put("data", "ring8");
        return o;
    }

    static double measure(Device d, TrainConfig config, boolean graph, int warmup, int steps) {
        try (AdversarialStep s = new AdversarialStep(d, config, graph)) {
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
