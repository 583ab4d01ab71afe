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
 * Gradients are not saved: they are zero between steps. Networks with batch norm add their
 * running statistics (sections g.buffers, d.buffers: each batch norm's running_mean then
 * running_var) and their training-forward counts (headers g_training_forwards,
 * d_training_forwards: PyTorch's num_batches_tracked); image runs add data_batch, the next real
 * batch (step * n_critic). All are optional on reading: older checkpoints have none, and their
 * networks (mlp) have no batch norm. A run with G's EMA (config ema > 0) adds section g.ema (the
 * average, flat like g.params), required exactly when the config has an EMA. A learning-rate
 * schedule adds nothing: the rate is a function of the Adam step counts, which are saved.
 */
public final class TrainingCheckpoint {
    private TrainingCheckpoint() {
    }

    public static Checkpoint capture(AdversarialStep s) {
        return capture(s, 0);
    }

    /**
     * The state of {@code s}, with {@code elapsedSeconds} of training so far (the run's elapsed_s,
     * kept across resumes). Besides the networks: the running log sums since the last log row
     * (section "stats", header "stat_steps"), so a resumed run's next log.csv row equals the
     * uninterrupted run's. Both are optional on reading: checkpoints written before them resume
     * with empty sums and the elapsed time of log.csv.
     */
    public static Checkpoint capture(AdversarialStep s, double elapsedSeconds) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("config", s.config().toMap());
        header.put("step", s.steps());
        long[] offsets = s.rngOffsets();
        header.put("latent_offset", offsets[0]);
        header.put("data_offset", offsets[1]);
        header.put("adam_steps_g", s.generatorOptimizer().steps());
        header.put("adam_steps_d", s.discriminatorOptimizer().steps());
        header.put("stat_steps", s.statSteps());
        if (s.config().images()) {
            header.put("data_batch", s.dataBatch()); // the loader's position: step * n_critic (stated, and checked on reading)
            if (s.realBatches().images() >= 0) {
                header.put("data_images", s.realBatches().images()); // the data set's size: a resume on other data is told
            }
        }
        header.put("elapsed_s", Double.isFinite(elapsedSeconds) && elapsedSeconds > 0 ? elapsedSeconds : 0.0);
        // batch norm's running statistics and PyTorch's num_batches_tracked, for the networks that have them
        if (s.generator().hasBatchNorm()) {
            header.put("g_training_forwards", s.generator().trainingForwards());
        }
        if (s.discriminator().hasBatchNorm()) {
            header.put("d_training_forwards", s.discriminator().trainingForwards());
        }
        Map<String, float[]> sections = new LinkedHashMap<>();
        put(sections, "g", s.generator(), s.generatorOptimizer());
        put(sections, "d", s.discriminator(), s.discriminatorOptimizer());
        sections.put(STATS, s.statSums());
        return new Checkpoint(header, sections);
    }

    private static void put(Map<String, float[]> sections, String net, Sequential n, AdamOptimizer opt) {
        sections.put(net + ".params", n.parameters().toArray());
        sections.put(net + ".adam_m", opt.firstMoment().toArray());
        sections.put(net + ".adam_v", opt.secondMoment().toArray());
        if (opt.average() != null) {
            sections.put(net + ".ema", opt.average().toArray());
        }
        if (n.bufferCount() > 0) {
            sections.put(net + ".buffers", java.util.Arrays.copyOf(n.buffers().toArray(), n.bufferCount()));
        }
    }

    /** Writes atomically; {@code context} ends the error message if the write fails (jgan.io.FileError). */
    public static void save(AdversarialStep s, Path file, String context) {
        capture(s).write(file, context);
    }

    /** As {@link #save(AdversarialStep, Path, String)}, keeping {@code elapsedSeconds} of training in the header. */
    public static void save(AdversarialStep s, Path file, String context, double elapsedSeconds) {
        capture(s, elapsedSeconds).write(file, context);
    }

    private static final String STATS = "stats";
    /** Header counters of later checkpoints (absent in older files): checked when present. */
    private static final java.util.List<String> OPTIONAL_COUNTERS = java.util.List.of("stat_steps", "data_batch", "data_images",
            "g_training_forwards", "d_training_forwards");
    private static final java.util.List<String> COUNTERS = java.util.List.of("step", "latent_offset", "data_offset", "adam_steps_g",
            "adam_steps_d");

    /**
     * Checks the header's counters and the optimizer state beyond the checksum (a crafted or
     * hand-edited file): every counter a whole number &gt;= 0 (the Adam step counts at most
     * 2^31 - 1), elapsed_s finite and &gt;= 0, the Adam second moments &gt;= 0.
     *
     * @throws IllegalArgumentException naming {@code name} and the field
     */
    public static void validate(Checkpoint c, String name) {
        java.util.List<String> keys = new java.util.ArrayList<>(COUNTERS);
        for (String optional : OPTIONAL_COUNTERS) {
            if (c.header().containsKey(optional)) {
                keys.add(optional);
            }
        }
        for (String key : keys) {
            Object v = c.header().get(key);
            if (!(v instanceof Long l) || l < 0) {
                throw new IllegalArgumentException(name + " is damaged: header field '" + key + "' must be a whole number >= 0, got "
                        + (v instanceof String ? "\"" + v + "\"" : v));
            }
            if (key.startsWith("adam_steps") && l > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(name + " is damaged: header field '" + key + "' is " + l + ", past the limit "
                        + Integer.MAX_VALUE);
            }
        }
        Object e = c.header().get("elapsed_s");
        if (e != null && !(e instanceof Number n && Double.isFinite(n.doubleValue()) && n.doubleValue() >= 0)) {
            throw new IllegalArgumentException(name + " is damaged: header field 'elapsed_s' must be a number >= 0, got " + e);
        }
        for (String net : new String[] {"g", "d"}) {
            float[] v = c.sections().get(net + ".adam_v");
            if (v != null) {
                for (float x : v) {
                    if (x < 0) {
                        throw new IllegalArgumentException(name + " is damaged: section '" + net + ".adam_v' (Adam's second moment, a"
                                + " mean of squares) holds the negative value " + x);
                    }
                }
            }
        }
        float[] st = c.sections().get(STATS);
        if (st != null && st.length != 4) {
            throw new IllegalArgumentException(name + " is damaged: section 'stats' has " + st.length + " values, not 4");
        }
        if (e instanceof Number n && n.doubleValue() > MAX_ELAPSED_S) {
            throw new IllegalArgumentException(name + " is damaged: header field 'elapsed_s' is " + n + " seconds, more than "
                    + (long) MAX_ELAPSED_S + " (over 300 years)");
        }
        crossCheck(c, name);
    }

    /** The most training seconds a checkpoint may record: far beyond any run, so log.csv's elapsed_s stays a short number. */
    static final double MAX_ELAPSED_S = 1e10;

    /**
     * The header's counters against each other and the config (every step draws n_critic real
     * batches and latent batches and makes n_critic D updates and one G update):
     * data_offset = step * n_critic * batch, latent_offset = step * n_critic * (Philox counters
     * of batch * latent normals), adam_steps_d = step * n_critic, adam_steps_g = step, and
     * stat_steps &lt;= min(step, log_every). A config that does not read is left to {@link #config}.
     */
    private static void crossCheck(Checkpoint c, String name) {
        TrainConfig cfg;
        try {
            cfg = config(c);
        } catch (RuntimeException ex) {
            return;
        }
        long step = ((Number) c.header().get("step")).longValue();
        long critic = step * cfg.nCritic();
        Map<String, Long> expected = new java.util.LinkedHashMap<>();
        expected.put("adam_steps_g", step);
        expected.put("adam_steps_d", critic);
        expected.put("data_offset", critic * cfg.batch());
        expected.put("latent_offset", critic * jgan.kernels.Philox.countersFor(cfg.batch() * cfg.latent()));
        for (Map.Entry<String, Long> x : expected.entrySet()) {
            long got = ((Number) c.header().get(x.getKey())).longValue();
            if (got != x.getValue()) {
                throw new IllegalArgumentException(name + " is damaged: header field '" + x.getKey() + "' is " + got + ", but step " + step
                        + " with n_critic " + cfg.nCritic() + " and batch " + cfg.batch() + " gives " + x.getValue());
            }
        }
        // G trains forward once per D step; D twice per D step (real, fake) and once in the G step
        Map<String, Long> forwards = new java.util.LinkedHashMap<>();
        forwards.put("g_training_forwards", critic);
        forwards.put("d_training_forwards", 2 * critic + step);
        for (Map.Entry<String, Long> x : forwards.entrySet()) {
            if (c.header().get(x.getKey()) instanceof Number got && got.longValue() != x.getValue()) {
                throw new IllegalArgumentException(name + " is damaged: header field '" + x.getKey() + "' is " + got + ", but step "
                        + step + " with n_critic " + cfg.nCritic() + " gives " + x.getValue());
            }
        }
        if (c.header().get("data_batch") instanceof Number n && n.longValue() != critic) {
            throw new IllegalArgumentException(name + " is damaged: header field 'data_batch' is " + n + ", but step " + step
                    + " with n_critic " + cfg.nCritic() + " gives " + critic + " (the next real batch)");
        }
        if (cfg.images() && !c.header().containsKey("data_batch")) {
            throw new IllegalArgumentException(name + " is damaged: an image run's checkpoint lacks header field 'data_batch'");
        }
        if (c.header().get("stat_steps") instanceof Number n && n.longValue() > Math.min(step, cfg.logEvery())) {
            throw new IllegalArgumentException(name + " is damaged: header field 'stat_steps' is " + n + ", more than "
                    + (step < cfg.logEvery() ? "the step " + step : "log_every " + cfg.logEvery()));
        }
    }

    /** The training time in seconds a checkpoint recorded, or -1 when it predates the field. */
    public static double elapsed(Checkpoint c) {
        return c.header().get("elapsed_s") instanceof Number n ? n.doubleValue() : -1;
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

    /** The number of images the run's data set had (image runs), or -1 when the checkpoint does not say. */
    public static long dataImages(Checkpoint c) {
        return c.header().get("data_images") instanceof Number n ? n.longValue() : -1;
    }

    /** The step a checkpoint was written at. */
    public static long step(Checkpoint c) {
        return number(c, "step").longValue();
    }

    /** Loads the checkpoint's state into a step built with the same shapes (sizes are checked). */
    public static void restore(Checkpoint c, AdversarialStep s) {
        load(c, "g", s.generator(), s.generatorOptimizer());
        load(c, "d", s.discriminator(), s.discriminatorOptimizer());
        forwards(c, "g", s.generator());
        forwards(c, "d", s.discriminator());
        s.generatorOptimizer().setSteps(number(c, "adam_steps_g").intValue());
        s.discriminatorOptimizer().setSteps(number(c, "adam_steps_d").intValue());
        s.restoreCounters(number(c, "step").longValue(), number(c, "latent_offset").longValue(),
                number(c, "data_offset").longValue());
        float[] sums = c.sections().get(STATS);
        if (sums != null && c.header().get("stat_steps") instanceof Number n) {
            s.restoreStats(sums, n.longValue());
        }
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
        if (opt.average() != null) {
            if (!c.sections().containsKey(net + ".ema")) {
                throw new IllegalArgumentException("checkpoint has no section '" + net + ".ema' (the EMA of " + net + "'s parameters), which"
                        + " a run with ema " + opt.emaDecay() + " needs");
            }
            copy(c, net + ".ema", opt.average());
        } else if (c.sections().containsKey(net + ".ema")) {
            throw new IllegalArgumentException("checkpoint section '" + net + ".ema' holds an EMA of the parameters, but the run has none"
                    + " (ema 0)");
        }
        n.gradients().fill(0f);
        float[] b = c.sections().get(net + ".buffers");
        if (n.bufferCount() > 0) {
            if (b == null) {
                throw new IllegalArgumentException("checkpoint has no section '" + net + ".buffers' (batch norm's running statistics),"
                        + " which the network needs (a checkpoint of another architecture?)");
            }
            if (b.length != n.bufferCount()) {
                throw new IllegalArgumentException("checkpoint section '" + net + ".buffers' has " + b.length + " values, the network needs "
                        + n.bufferCount() + " (a checkpoint of another architecture?)");
            }
            n.buffers().view(0, jgan.tensor.Shape.of(b.length)).copyFrom(b);
        } else if (b != null) {
            throw new IllegalArgumentException("checkpoint section '" + net + ".buffers' holds batch-norm statistics, but the network has no"
                    + " batch norm (a checkpoint of another architecture?)");
        }
    }

    /** Restores a network's training-forward count (0 when the header predates it or the network has no batch norm). */
    private static void forwards(Checkpoint c, String net, Sequential n) {
        Object v = c.header().get(net + "_training_forwards");
        if (n.hasBatchNorm()) {
            if (!(v instanceof Number count)) {
                throw new IllegalArgumentException("checkpoint header lacks '" + net + "_training_forwards', which a network with batch"
                        + " norm needs");
            }
            n.setTrainingForwards(count.longValue());
        } else if (v instanceof Number count && count.longValue() != 0) {
            throw new IllegalArgumentException("checkpoint header has '" + net + "_training_forwards' " + count + ", but the network has"
                    + " no batch norm (a checkpoint of another architecture?)");
        }
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
