package jgan.gan;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import jgan.io.Checkpoint;
import jgan.nn.AdamOptimizer;
import jgan.nn.Sequential;

/**
 * The full state of a training run in a {@link Checkpoint}: both networks, both optimisers'
 * moments and step counts, the step, the Philox offsets, the config and the format version.
 * Gradients are not saved: they are zero between steps.
 */
public final class TrainingCheckpoint {
    private TrainingCheckpoint() {
    }

    public static Checkpoint capture(AdversarialStep s) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("config", s.config().toMap());
        header.put("step", s.steps());
        long[] offsets = s.rngOffsets();
        header.put("latent_offset", offsets[0]);
        header.put("data_offset", offsets[1]);
        header.put("adam_steps_g", s.generatorOptimizer().steps());
        header.put("adam_steps_d", s.discriminatorOptimizer().steps());
        Map<String, float[]> sections = new LinkedHashMap<>();
        put(sections, "g", s.generator(), s.generatorOptimizer());
        put(sections, "d", s.discriminator(), s.discriminatorOptimizer());
        return new Checkpoint(header, sections);
    }

    private static void put(Map<String, float[]> sections, String net, Sequential n, AdamOptimizer opt) {
        sections.put(net + ".params", n.parameters().toArray());
        sections.put(net + ".adam_m", opt.firstMoment().toArray());
        sections.put(net + ".adam_v", opt.secondMoment().toArray());
    }

    /** Writes atomically; {@code context} ends the error message if the write fails (jgan.io.FileError). */
    public static void save(AdversarialStep s, Path file, String context) {
        capture(s).write(file, context);
    }

    /** The config a checkpoint was written with. */
    @SuppressWarnings("unchecked")
    public static TrainConfig config(Checkpoint c) {
        Object m = c.header().get("config");
        if (!(m instanceof Map)) {
            throw new IllegalArgumentException("checkpoint header has no config");
        }
        return TrainConfig.fromMap((Map<String, Object>) m);
    }

    /** The sections holding a NaN or an Inf (empty when the checkpoint is finite throughout). */
    public static java.util.List<String> nonFiniteSections(Checkpoint c) {
        java.util.List<String> bad = new java.util.ArrayList<>();
        for (Map.Entry<String, float[]> e : c.sections().entrySet()) {
            for (float v : e.getValue()) {
                if (!Float.isFinite(v)) {
                    bad.add(e.getKey());
                    break;
                }
            }
        }
        return bad;
    }

    /** The step a checkpoint was written at. */
    public static long step(Checkpoint c) {
        return number(c, "step").longValue();
    }

    /** Loads the checkpoint's state into a step built with the same shapes (sizes are checked). */
    public static void restore(Checkpoint c, AdversarialStep s) {
        load(c, "g", s.generator(), s.generatorOptimizer());
        load(c, "d", s.discriminator(), s.discriminatorOptimizer());
        s.generatorOptimizer().setSteps(number(c, "adam_steps_g").intValue());
        s.discriminatorOptimizer().setSteps(number(c, "adam_steps_d").intValue());
        s.restoreCounters(number(c, "step").longValue(), number(c, "latent_offset").longValue(),
                number(c, "data_offset").longValue());
    }

    private static Number number(Checkpoint c, String key) {
        Object v = c.header().get(key);
        if (!(v instanceof Number)) {
            throw new IllegalArgumentException("checkpoint header lacks the number '" + key + "'");
        }
        return (Number) v;
    }

    private static void load(Checkpoint c, String net, Sequential n, AdamOptimizer opt) {
        copy(c, net + ".params", n.parameters());
        copy(c, net + ".adam_m", opt.firstMoment());
        copy(c, net + ".adam_v", opt.secondMoment());
        n.gradients().fill(0f);
    }

    private static void copy(Checkpoint c, String name, jgan.tensor.Tensor into) {
        float[] v = c.section(name);
        if (v.length != into.numel()) {
            throw new IllegalArgumentException("checkpoint section '" + name + "' has " + v.length + " values, the network needs "
                    + into.numel() + " (a checkpoint of another architecture?)");
        }
        into.copyFrom(v);
    }
}
