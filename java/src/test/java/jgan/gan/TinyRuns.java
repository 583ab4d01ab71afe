package jgan.gan;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import jgan.device.Device;
import jgan.device.Devices;
import jgan.io.AtomicFiles;
import jgan.io.Json;

/**
 * Run folders made through the API for the tests of sample, export, --init-from and
 * jgan.gan.Generator (and for bench/parity/export_check.py): a few steps of the fused step on
 * synthetic image batches (jgan.gan.RandomImageBatches), optionally from safetensors weights
 * (jgan.gan.InitFrom, as {@code train --init-from}), then RUN/config.json and RUN/checkpoint.bin
 * written as the train command writes them.
 */
public final class TinyRuns {
    private TinyRuns() {
    }

    /** DCGAN at 16x16 RGB, ngf 4, ndf 4, latent 8, batch 4, FP32, 3 steps. */
    public static TrainConfig dcgan16() {
        return TrainConfig.imageDefaults("folder", "/nowhere").with("image_size", "16").with("channels", "3").with("g_width", "4")
                .with("d_width", "4").with("batch", "4").with("latent", "8").with("seed", "5").with("tf32", "false").with("steps", "3")
                .with("log_every", "1");
    }

    /** PyTorch's DCGAN example's sizes: 64x64 RGB, nz 100, ngf = ndf = 64; FP32. */
    public static TrainConfig dcgan64(int batch, int steps) {
        return TrainConfig.imageDefaults("folder", "/nowhere").with("image_size", "64").with("channels", "3").with("g_width", "64")
                .with("d_width", "64").with("batch", Integer.toString(batch)).with("latent", "100").with("seed", "5")
                .with("tf32", "false").with("steps", Integer.toString(Math.max(1, steps))).with("log_every", "1");
    }

    /** Trains {@code config} for its steps on {@code device} and writes the run into {@code run}; returns the step, open (close it). */
    public static AdversarialStep make(Path run, TrainConfig config, Device device) throws java.io.IOException {
        return make(run, config, device, config.steps(), List.of());
    }

    /**
     * As {@link #make(Path, TrainConfig, Device)}, training {@code steps} steps (0: the initial
     * networks) after loading each of {@code initFrom} into the network it matches.
     */
    public static AdversarialStep make(Path run, TrainConfig config, Device device, int steps, List<Path> initFrom)
            throws java.io.IOException {
        Files.createDirectories(run);
        AdversarialStep s = config.images()
                ? new AdversarialStep(device, config, false, new RandomImageBatches(config.batch(), config.imageSize(), config.channels(), 7))
                : new AdversarialStep(device, config, false);
        try {
            for (Path f : initFrom) {
                System.out.println(InitFrom.apply(f, s.generator(), s.discriminator()));
            }
            for (int i = 0; i < steps; i++) {
                s.step();
                if ((i + 1) % config.logEvery() == 0) {
                    s.takeStats(); // as training does at each log row (the checkpoint's stat_steps <= log_every)
                }
            }
            AtomicFiles.write(run.resolve("config.json"), Json.write(config.toMap()), "");
            TrainingCheckpoint.save(s, run.resolve("checkpoint.bin"), "");
            return s;
        } catch (RuntimeException | Error e) {
            s.close();
            throw e;
        }
    }

    /** As {@link #make}, closing the step. */
    public static void write(Path run, TrainConfig config, Device device) throws java.io.IOException {
        make(run, config, device).close();
    }

    /**
     * {@code TinyRuns RUN STEPS BATCH [INIT.safetensors ...]}: a dcgan-64 run (PyTorch's DCGAN
     * example's sizes) on the cpu device, trained STEPS steps of BATCH synthetic images after
     * loading the given files (bench/parity/export_check.py).
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            throw new IllegalArgumentException("usage: TinyRuns RUN STEPS BATCH [INIT.safetensors ...]");
        }
        int steps = Integer.parseInt(args[1]);
        List<Path> init = java.util.Arrays.stream(args).skip(3).map(Path::of).toList();
        try (Device cpu = Devices.open("cpu")) {
            make(Path.of(args[0]), dcgan64(Integer.parseInt(args[2]), steps), cpu, steps, init).close();
        }
        System.out.println("wrote " + args[0] + " (dcgan 64, " + steps + " steps of batch " + args[2] + ")");
    }
}
