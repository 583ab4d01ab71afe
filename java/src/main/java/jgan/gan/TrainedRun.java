package jgan.gan;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;

import jgan.device.Device;
import jgan.io.AtomicFiles;
import jgan.io.Checkpoint;
import jgan.io.Json;
import jgan.kernels.MathMode;
import jgan.nn.ModelSpec;
import jgan.nn.Sequential;
import jgan.tensor.Shape;

/**
 * A finished or stopped run folder read for its networks (what {@code jgan sample}, {@code jgan
 * export} and {@link Generator} need): the checkpoint RUN/checkpoint.bin (written atomically by
 * training, so it is read without the run's lock) and the config it carries. RUN/config.json,
 * when present, must describe the same networks (a checkpoint copied in from another run is
 * refused); when it is missing the checkpoint's own config is used.
 *
 * @param folder     the run folder
 * @param config     the run's settings (the checkpoint's)
 * @param checkpoint the checkpoint, checked (magic, checksum, counters)
 * @param step       the step it was written at
 */
public record TrainedRun(Path folder, TrainConfig config, Checkpoint checkpoint, long step) {
    /** The network names of a run: the generator and the discriminator. */
    public static final java.util.List<String> NETS = java.util.List.of("g", "d");

    /**
     * Reads RUN/checkpoint.bin and checks it against RUN/config.json.
     *
     * @throws IllegalArgumentException when the folder does not exist, is a file, has no
     *                                  checkpoint, the checkpoint is damaged, or config.json
     *                                  describes other networks than the checkpoint
     * @throws jgan.io.FileError        when a file exists but cannot be read
     */
    public static TrainedRun read(Path folder) {
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + " is a file, not a run folder");
        }
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + ": no such run folder");
        }
        Path file = folder.resolve("checkpoint.bin");
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(folder + " has no checkpoint.bin (not a jgan run, or one stopped before its first"
                    + " checkpoint)");
        }
        Checkpoint c = Checkpoint.read(file);
        TrainingCheckpoint.validate(c, file.toString());
        TrainConfig config;
        try {
            config = TrainingCheckpoint.config(c);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + " is damaged: its config does not read: " + e.getMessage());
        }
        Path json = folder.resolve("config.json");
        if (Files.exists(json, LinkOption.NOFOLLOW_LINKS)) {
            TrainConfig written;
            try {
                written = TrainConfig.fromMap(Json.parseObject(new String(AtomicFiles.readBytes(json),
                        java.nio.charset.StandardCharsets.UTF_8)));
            } catch (RuntimeException e) {
                if (e instanceof jgan.io.FileError f) {
                    throw f;
                }
                throw new IllegalArgumentException(json + " is damaged: " + e.getMessage());
            }
            if (!Networks.spec(written).equals(Networks.spec(config))) {
                throw new IllegalArgumentException(file + " holds other networks than " + json + " describes (" + Networks.spec(config)
                        + " against " + Networks.spec(written) + "): a checkpoint copied from another run?");
            }
        }
        return new TrainedRun(folder, config, c, TrainingCheckpoint.step(c));
    }

    /** The run's model spec (jgan.nn.ModelSpec, from {@link Networks#spec}). */
    public ModelSpec spec() {
        return Networks.spec(config);
    }

    /**
     * Builds network {@code net} ("g" or "d") on {@code device} in FP32 and loads its parameters,
     * batch-norm running statistics and training-forward count from the checkpoint. G's
     * parameters are the EMA of G's weights (section g.ema) when the run has one (config ema > 0),
     * as training's own samples are; D is built for the run's packing (config pack).
     *
     * @throws IllegalArgumentException for another net name, or sections whose sizes do not fit
     *                                  the network (naming the section and both sizes)
     */
    public Sequential network(String net, Device device) {
        if (!NETS.contains(net)) {
            throw new IllegalArgumentException("unknown network '" + net + "': use g (the generator) or d (the discriminator)");
        }
        ModelSpec spec = spec();
        Sequential n = net.equals("g") ? spec.generator(device, MathMode.FP32) : spec.discriminator(device, MathMode.FP32, config.pack());
        try {
            String section = net.equals("g") && config.ema() > 0 ? "g.ema" : net + ".params";
            float[] p = checkpoint.section(section);
            if (p.length != n.parameterCount()) {
                throw new IllegalArgumentException(where() + " section '" + section + "' has " + p.length + " values; the "
                        + spec.model() + " network needs " + n.parameterCount());
            }
            n.parameters().view(0, Shape.of(p.length)).copyFrom(p);
            float[] b = checkpoint.sections().get(net + ".buffers");
            int nb = n.bufferCount();
            if (nb > 0 && (b == null || b.length != nb)) {
                throw new IllegalArgumentException(where() + " section '" + net + ".buffers' (batch norm's running statistics) "
                        + (b == null ? "is missing" : "has " + b.length + " values") + "; the network needs " + nb);
            }
            if (nb > 0) {
                n.buffers().view(0, Shape.of(nb)).copyFrom(b);
            }
            if (n.hasBatchNorm() && checkpoint.header().get(net + "_training_forwards") instanceof Number count) {
                n.setTrainingForwards(count.longValue());
            }
            return n;
        } catch (RuntimeException e) {
            n.close();
            throw e;
        }
    }

    private String where() {
        return folder.resolve("checkpoint.bin").toString();
    }

    /** The run's config as the JSON of config.json (what exports carry in their metadata). */
    public String configJson() {
        return Json.write(config.toMap());
    }

    /** The config carried by an export's metadata, or null when there is none. */
    static TrainConfig configOf(Map<String, String> metadata, String source) {
        String json = metadata.get(Exports.CONFIG);
        if (json == null) {
            return null;
        }
        try {
            return TrainConfig.fromMap(Json.parseObject(json));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(source + ": its metadata '" + Exports.CONFIG + "' is not a jgan config: " + e.getMessage());
        }
    }
}
