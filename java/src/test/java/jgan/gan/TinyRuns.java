package jgan.gan;

import java.nio.file.Files;
import java.nio.file.Path;

import jgan.device.Device;
import jgan.io.AtomicFiles;
import jgan.io.Json;

/**
 * Tiny run folders for the tests of sample, export, --init-from and jgan.gan.Generator: a few
 * steps of the fused step on synthetic image batches (jgan.gan.RandomImageBatches), then
 * RUN/config.json and RUN/checkpoint.bin written as the train command writes them.
 */
public final class TinyRuns {
    private TinyRuns() {
    }

    /** DCGAN at 16x16 RGB, ngf 4, ndf 4, latent 8, batch 4, FP32. */
    public static TrainConfig dcgan16() {
        return TrainConfig.imageDefaults("folder", "/nowhere").with("image_size", "16").with("channels", "3").with("g_width", "4")
                .with("d_width", "4").with("batch", "4").with("latent", "8").with("seed", "5").with("tf32", "false").with("steps", "3")
                .with("log_every", "1");
    }

    /** Trains {@code config} for its steps on {@code device} and writes the run into {@code run}; returns the step, open (close it). */
    public static AdversarialStep make(Path run, TrainConfig config, Device device) throws java.io.IOException {
        Files.createDirectories(run);
        AdversarialStep s = config.images()
                ? new AdversarialStep(device, config, false, new RandomImageBatches(config.batch(), config.imageSize(), config.channels(), 7))
                : new AdversarialStep(device, config, false);
        try {
            for (int i = 0; i < config.steps(); i++) {
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
}
