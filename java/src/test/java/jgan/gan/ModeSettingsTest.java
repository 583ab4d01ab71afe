package jgan.gan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import jgan.device.Device;
import jgan.io.Checkpoint;
import jgan.io.Json;
import jgan.reference.OptimizerReference;
import jgan.testing.TestDevices.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The mode-coverage settings in a training run: packing (D on packs of samples), the learning-rate
 * schedule (the rate of each update, on the device) and G's EMA (samples from it; saved and
 * resumed bit for bit); configs without them read and write as before.
 */
class ModeSettingsTest {
    /** AdversarialStepTest's small run with pack 2, cosine to 0.1 with 2 warm-up steps, EMA 0.9, n_critic 2. */
    static TrainConfig modes(LossKind loss) {
        TrainConfig c = AdversarialStepTest.small(loss);
        return c.with("pack", "2").with("lr_schedule", "cosine").with("lr_final", "0.1").with("lr_warmup", "2").with("ema", "0.9")
                .with("n_critic", "2");
    }

    static float[][] state(AdversarialStep s) {
        float[][] base = AdversarialStepTest.state(s);
        float[][] all = java.util.Arrays.copyOf(base, base.length + 1);
        all[base.length] = s.generatorOptimizer().average().toArray();
        return all;
    }

    @ParameterizedTest(name = "[{0}] 10 steps straight = 5, checkpoint (with the EMA), resume, 5; graph = plain")
    @MethodSource("jgan.testing.TestDevices#all")
    void emaIsSavedAndResumedBitForBit(Target target) {
        Device dev = target.device();
        TrainConfig c = modes(LossKind.NON_SATURATING);
        float[][] straight;
        try (AdversarialStep a = new AdversarialStep(dev, c, true); AdversarialStep plain = new AdversarialStep(dev, c, false)) {
            for (int i = 0; i < 10; i++) {
                a.step();
                plain.step();
            }
            straight = state(a);
            AdversarialStepTest.assertSameBits(straight, state(plain));
        }
        byte[] saved;
        try (AdversarialStep b = new AdversarialStep(dev, c, true)) {
            for (int i = 0; i < 5; i++) {
                b.step();
            }
            Checkpoint ck = TrainingCheckpoint.capture(b);
            assertArrayEquals(b.generatorOptimizer().average().toArray(), ck.section("g.ema"));
            assertFalse(ck.sections().containsKey("d.ema"), "D has no EMA");
            saved = ck.toBytes();
        }
        Checkpoint ck = Checkpoint.fromBytes(saved, "memory");
        assertEquals(c, TrainingCheckpoint.config(ck));
        try (AdversarialStep r = new AdversarialStep(dev, TrainingCheckpoint.config(ck), true)) {
            TrainingCheckpoint.restore(ck, r);
            for (int i = 0; i < 5; i++) {
                r.step();
            }
            AdversarialStepTest.assertSameBits(straight, state(r));
        }
        // the EMA is required by a run that has one, and refused by a run that has none
        Map<String, float[]> without = new java.util.LinkedHashMap<>(ck.sections());
        without.remove("g.ema");
        try (AdversarialStep r = new AdversarialStep(dev, c, false)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TrainingCheckpoint.restore(new Checkpoint(ck.header(), without), r));
            assertTrue(e.getMessage().contains("no section 'g.ema'"), e.getMessage());
        }
        try (AdversarialStep r = new AdversarialStep(dev, c.with("ema", "0"), false)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingCheckpoint.restore(ck, r));
            assertTrue(e.getMessage().contains("'g.ema'") && e.getMessage().contains("has none"), e.getMessage());
        }
    }

    /**
     * An image run (DCGAN, batch norm in G and D) with the EMA and a linear schedule: 4 steps
     * straight = 2, sample (batch statistics, from the EMA), checkpoint, resume, 2 — bit for bit,
     * the EMA and batch-norm statistics included; sampling leaves G's parameters as they were.
     */
    @ParameterizedTest(name = "[{0}] dcgan with EMA and a schedule resumes bit for bit")
    @MethodSource("jgan.testing.TestDevices#all")
    void imageRunWithEmaResumesBitForBit(Target target) {
        Device dev = target.device();
        TrainConfig c = ImageStepTest.dcgan(1).with("sample_bn", "batch").with("ema", "0.9").with("lr_schedule", "linear")
                .with("steps", "4");
        float[][] straight;
        try (AdversarialStep a = ImageStepTest.open(dev, c, true)) {
            for (int i = 0; i < 4; i++) {
                a.step();
            }
            straight = withAverage(ImageStepTest.state(a), a);
        }
        byte[] saved;
        try (AdversarialStep b = ImageStepTest.open(dev, c, true)) {
            for (int i = 0; i < 2; i++) {
                b.step();
            }
            float[] params = b.generator().parameters().toArray();
            b.sampleImages(8);
            assertArrayEquals(params, b.generator().parameters().toArray(), "sampling from the EMA puts G's parameters back");
            saved = TrainingCheckpoint.capture(b).toBytes();
        }
        Checkpoint ck = Checkpoint.fromBytes(saved, "memory");
        TrainingCheckpoint.validate(ck, "memory");
        try (AdversarialStep r = ImageStepTest.open(dev, TrainingCheckpoint.config(ck), true)) {
            TrainingCheckpoint.restore(ck, r);
            for (int i = 0; i < 2; i++) {
                r.step();
            }
            AdversarialStepTest.assertSameBits(straight, withAverage(ImageStepTest.state(r), r));
        }
    }

    /**
     * Packing images (channels concatenated by the transpose kernel): dcgan (pack 2 of batch 4, D
     * with batch norm on 2 packs) and mlp-conv (pack 5 of batch 5: one pack) build D on m C
     * channels, train with finite losses, the graph replay equals plain launches, and dcgan
     * resumes bit for bit.
     */
    @ParameterizedTest(name = "[{0}] packed image D: dcgan and mlp-conv")
    @MethodSource("jgan.testing.TestDevices#all")
    void packedImageDiscriminators(Target target) {
        Device dev = target.device();
        for (TrainConfig c : new TrainConfig[] {ImageStepTest.dcgan(1).with("pack", "2"), ImageStepTest.mlpConv().with("pack", "5")}) {
            float[][] graphState;
            try (AdversarialStep g = ImageStepTest.open(dev, c, true); AdversarialStep p = ImageStepTest.open(dev, c, false)) {
                assertEquals(jgan.tensor.Shape.of(c.imageSize(), c.imageSize(), c.pack() * c.channels()), g.discriminator().inShape());
                for (int i = 0; i < 3; i++) {
                    g.step();
                    p.step();
                }
                AdversarialStep.Stats st = g.takeStats();
                assertTrue(Float.isFinite(st.lossD()) && Float.isFinite(st.lossG()), c.model() + ": " + st);
                graphState = ImageStepTest.state(g);
                AdversarialStepTest.assertSameBits(graphState, ImageStepTest.state(p));
            }
            if (!c.model().equals("dcgan")) {
                continue;
            }
            byte[] saved;
            try (AdversarialStep b = ImageStepTest.open(dev, c, true)) {
                b.step();
                saved = TrainingCheckpoint.capture(b).toBytes();
            }
            Checkpoint ck = Checkpoint.fromBytes(saved, "memory");
            try (AdversarialStep r = ImageStepTest.open(dev, TrainingCheckpoint.config(ck), true)) {
                TrainingCheckpoint.restore(ck, r);
                r.step();
                r.step();
                AdversarialStepTest.assertSameBits(graphState, ImageStepTest.state(r));
            }
        }
    }

    static float[][] withAverage(float[][] base, AdversarialStep s) {
        float[][] all = java.util.Arrays.copyOf(base, base.length + 1);
        all[base.length] = s.generatorOptimizer().average().toArray();
        return all;
    }

    /**
     * After k steps the rate G's last update used is the reference schedule's at update k (over
     * steps updates, warm-up 2), D's at update k n_critic (over steps x n_critic, warm-up 2 n_critic).
     */
    @ParameterizedTest(name = "[{0}] the rate of each step follows the schedule for G and D")
    @MethodSource("jgan.testing.TestDevices#all")
    void ratesFollowTheSchedule(Target target) {
        Device dev = target.device();
        TrainConfig c = modes(LossKind.HINGE).with("lr_schedule", "linear").with("steps", "6").with("lr_warmup", "1");
        int nc = c.nCritic();
        try (AdversarialStep s = new AdversarialStep(dev, c, true)) {
            for (int k = 1; k <= 8; k++) { // past the end: the rate stays at lr_final x lr
                s.step();
                float g = OptimizerReference.scheduledRate(k, c.lrG(), 1, c.lrFinal(), 1, 6);
                float d = OptimizerReference.scheduledRate(k * nc, c.lrD(), 1, c.lrFinal(), nc, 6 * nc);
                assertEquals(g, s.generatorOptimizer().lastRate(), Math.ulp(g), "G's rate at step " + k);
                assertEquals(d, s.discriminatorOptimizer().lastRate(), Math.ulp(d), "D's rate at step " + k);
            }
            assertEquals(c.lrG() * 0.1f, s.generatorOptimizer().lastRate(), 1e-9f);
        }
    }

    /**
     * Samples come from the EMA: sampling again after putting the EMA into G's parameters gives
     * the same points, and sampling leaves G's trained parameters as they were.
     */
    @ParameterizedTest(name = "[{0}] samples are drawn from the EMA of G")
    @MethodSource("jgan.testing.TestDevices#all")
    void samplesUseTheAverage(Target target) {
        Device dev = target.device();
        try (AdversarialStep s = new AdversarialStep(dev, modes(LossKind.LEAST_SQUARES), true)) {
            for (int i = 0; i < 6; i++) {
                s.step();
            }
            float[] trained = s.generator().parameters().toArray(), ema = s.generatorOptimizer().average().toArray();
            assertFalse(java.util.Arrays.equals(trained, ema), "after 6 steps the EMA lags the parameters");
            float[] fromSample = s.sample(64);
            assertArrayEquals(trained, s.generator().parameters().toArray(), "sampling puts the trained parameters back");
            s.generator().parameters().copyFrom(ema);
            assertArrayEquals(fromSample, s.sample(64), "the samples are G's output on the EMA weights");
        }
    }

    /** Packing for every loss: D's input is 2 m features over batch / m rows; the step trains with finite statistics. */
    @ParameterizedTest(name = "[{0}] pack 2 and 5 train with every loss")
    @MethodSource("jgan.testing.TestDevices#all")
    void packingWorksForEveryLoss(Target target) {
        Device dev = target.device();
        for (LossKind loss : LossKind.values()) {
            for (int m : new int[] {2, 5}) {
                TrainConfig c = AdversarialStepTest.small(loss).with("pack", Integer.toString(m));
                try (AdversarialStep s = new AdversarialStep(dev, c, true)) {
                    assertEquals(2 * m, s.discriminator().inFeatures());
                    assertNull(s.generatorOptimizer().average());
                    assertNull(s.generatorOptimizer().schedule());
                    for (int i = 0; i < 3; i++) {
                        s.step();
                    }
                    AdversarialStep.Stats st = s.takeStats();
                    assertTrue(Float.isFinite(st.lossD()) && Float.isFinite(st.lossG()), loss + " pack " + m + ": " + st);
                    assertTrue(s.stateFinite());
                }
            }
        }
    }

    /**
     * A finished run read back (jgan sample / export / Generator.fromRun): G comes with the EMA's
     * weights (as training's samples), D is built for the run's packing with its trained weights.
     */
    @Test
    void trainedRunGivesTheAverageAndThePackedDiscriminator(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        Device dev = jgan.testing.TestDevices.host();
        java.nio.file.Path run = dir.resolve("run");
        try (AdversarialStep s = TinyRuns.make(run, modes(LossKind.NON_SATURATING).with("steps", "4"), dev)) {
            TrainedRun tr = TrainedRun.read(run);
            try (jgan.nn.Sequential g = tr.network("g", dev); jgan.nn.Sequential d = tr.network("d", dev)) {
                assertArrayEquals(s.generatorOptimizer().average().toArray(), g.parameters().toArray(), "G is the EMA");
                assertFalse(java.util.Arrays.equals(s.generator().parameters().toArray(), g.parameters().toArray()));
                assertEquals(4, d.inFeatures(), "D packs 2 samples of 2 features");
                assertArrayEquals(s.discriminator().parameters().toArray(), d.parameters().toArray());
            }
        }
    }

    @Test
    void configsWithoutModesReadAndWriteAsBefore() {
        TrainConfig off = TrainConfig.defaults("grid25").with("r1", "0"); // the mixtures' default R1 off
        Map<String, Object> m = off.toMap();
        for (String f : TrainConfig.MODE_FIELDS) {
            assertFalse(m.containsKey(f), f + " is not written when off");
        }
        TrainConfig back = TrainConfig.fromMap(Json.parseObject(Json.write(m)));
        assertEquals(1, back.pack());
        assertEquals("constant", back.lrSchedule());
        assertEquals(0f, back.ema());
        assertNull(back.schedule(false));
        assertEquals(off.lossSettings(), back.lossSettings());
        assertFalse(back.lossSettings().contains("EMA") || back.lossSettings().contains("pack") || back.lossSettings().contains("R1"),
                back.lossSettings());
        // a field written at its "off" value by hand still reads
        m.put("pack", 1);
        m.put("ema", 0.0);
        assertEquals(back, TrainConfig.fromMap(m));
    }

    @Test
    void modeFieldsRoundTrip() {
        TrainConfig c = modes(LossKind.NON_SATURATING);
        Map<String, Object> m = c.toMap();
        assertEquals(2, m.get("pack"));
        assertEquals("cosine", m.get("lr_schedule"));
        assertEquals(0.9f, m.get("ema"));
        TrainConfig back = TrainConfig.fromMap(Json.parseObject(Json.write(m)));
        assertEquals(c, back);
        assertNotNull(back.schedule(true));
        assertEquals(c.steps() * 2, back.schedule(true).total());
        assertEquals(4, back.schedule(true).warmup());
        assertEquals(c.steps(), back.schedule(false).total());
        String line = back.lossSettings();
        assertTrue(line.contains("D packs 2 samples") && line.contains("lr cosine to 0.1x") && line.contains("G EMA 0.9"), line);
    }

    @Test
    void badModeSettingsAreRefused() {
        TrainConfig c = AdversarialStepTest.small(LossKind.NON_SATURATING); // batch 70
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.with("pack", "3"));
        assertTrue(e.getMessage().contains("batch 70") && e.getMessage().contains("pack 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.with("pack", "0"));
        assertTrue(e.getMessage().contains("pack must be >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.with("lr_final", "0.5"));
        assertTrue(e.getMessage().contains("with lr_schedule constant it must be 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.with("lr_schedule", "step"));
        assertTrue(e.getMessage().contains("constant, linear or cosine"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.with("lr_warmup", "100"));
        assertTrue(e.getMessage().contains("lr_warmup must be in [0, steps) = [0, 100)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.with("ema", "1"));
        assertTrue(e.getMessage().contains("ema must be in [0, 1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults("fashion-mnist").with("pack", "3"));
        assertTrue(e.getMessage().contains("batch 64 is not divisible by pack 3") && e.getMessage().contains("images"), e.getMessage());
    }
}
