package jgan.gan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.Map;

import jgan.device.Device;
import jgan.io.Checkpoint;
import jgan.kernels.MathMode;
import jgan.nn.Sequential;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.TestDevices.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused step on image models (small dcgan and mlp-conv, a small synthetic data set through
 * jgan.data's BatchLoader): finite losses,
 * graph replay equal to plain launches, D's batch norm normalising the real and the fake batch
 * separately, and bit-identical resume with batch-norm state and counters in the checkpoint.
 */
class ImageStepTest {
    /** DCGAN at 16x16 RGB with ngf 4, ndf 8, batch 4: two BN layers in G (plus the first convT's), one in D. */
    static TrainConfig dcgan(int nCritic) {
        return TrainConfig.imageDefaults("folder", "/nowhere").with("image_size", "16").with("channels", "3").with("g_width", "4")
                .with("d_width", "8").with("batch", "4").with("latent", "8").with("n_critic", Integer.toString(nCritic))
                .with("seed", "11").with("tf32", "false").with("log_every", "5");
    }

    /** mlp-conv at 12x12 grey: a dense G (1 hidden layer of 16) and D of 2 convolutions (4 and 8 channels). */
    static TrainConfig mlpConv() {
        return TrainConfig.mlpConvDefaults(TrainConfig.imageDefaults("folder", "/nowhere")).with("image_size", "12").with("channels", "1")
                .with("g_width", "16").with("depth_g", "1").with("d_width", "4").with("depth_d", "2").with("batch", "5")
                .with("latent", "6").with("tf32", "false").with("log_every", "5");
    }

    /** A small synthetic data set of 21 images of the config's size (smooth random patterns as uint8). */
    static jgan.data.ImageDataset dataset(TrainConfig c) {
        int n = 21, s = c.imageSize(), ch = c.channels();
        float[] f = new float[n * s * s * ch];
        new RandomImageBatches(n, s, ch, 5).fill(0, FloatBuffer.wrap(f));
        byte[] px = new byte[f.length];
        for (int i = 0; i < f.length; i++) {
            px[i] = (byte) Math.round((f[i] + 1) * 127.5f);
        }
        return jgan.data.ImageDataset.of("synthetic", px, n, s, s, ch, null);
    }

    /** Batches of {@link #dataset} through jgan.data's BatchLoader (shuffled per epoch from seed 3): a run's real data path. */
    static RealBatches batches(TrainConfig c) {
        return new LoaderBatches(dataset(c), c.batch(), 3);
    }

    static AdversarialStep open(Device d, TrainConfig c, boolean graph) {
        return new AdversarialStep(d, c, graph, batches(c));
    }

    /** Everything a step changes, batch-norm statistics included. */
    static float[][] state(AdversarialStep s) {
        float[][] base = AdversarialStepTest.state(s);
        float[][] all = java.util.Arrays.copyOf(base, base.length + 2);
        all[base.length] = s.generator().buffers().toArray();
        all[base.length + 1] = s.discriminator().buffers().toArray();
        return all;
    }

    @ParameterizedTest(name = "[{0}] dcgan and mlp-conv train with finite losses; graph replay equals plain launches")
    @MethodSource("jgan.testing.TestDevices#all")
    void imageModelsTrain(Target target) {
        Device dev = target.device();
        for (TrainConfig c : new TrainConfig[] {dcgan(1), mlpConv()}) {
            try (AdversarialStep graph = open(dev, c, true); AdversarialStep plain = open(dev, c, false)) {
                for (int i = 0; i < 3; i++) {
                    graph.step();
                    plain.step();
                }
                AdversarialStep.Stats st = graph.takeStats();
                assertTrue(Float.isFinite(st.lossD()) && Float.isFinite(st.lossG()) && st.dReal() > 0 && st.dReal() < 1
                        && st.dFake() > 0 && st.dFake() < 1, c.model() + " " + st);
                ImageStepTest.assertSame(state(graph), state(plain));
                assertEquals(3L * c.nCritic(), graph.dataBatch());
                if (c.model().equals("dcgan")) {
                    assertEquals(3L * c.nCritic(), graph.generator().trainingForwards());
                    assertEquals(3L * (2 * c.nCritic() + 1), graph.discriminator().trainingForwards());
                }
                float[] images = graph.sampleImages(6);
                assertEquals(6 * c.imageSize() * c.imageSize() * c.channels(), images.length);
                for (float v : images) {
                    assertTrue(v >= -1 && v <= 1, "tanh output " + v);
                }
            }
        }
    }

    private static void assertSame(float[][] a, float[][] b) {
        AdversarialStepTest.assertSameBits(a, b);
    }

    @ParameterizedTest(name = "[{0}] D's batch norm sees the real batch alone: D(x) of the first step = a fresh D on real batch 0")
    @MethodSource("jgan.testing.TestDevices#all")
    void realAndFakeAreSeparateBatches(Target target) {
        Device dev = target.device();
        TrainConfig c = dcgan(1);
        int b = c.batch(), s = c.imageSize();
        float expected;
        try (Sequential d = Networks.discriminator(dev, c, MathMode.FP32); Sequential.Pass p = d.pass(b);
             RealBatches data = batches(c)) {
            d.initialize(c.init(), c.seed() * 2 + 2); // the step's D before its first update
            FloatBuffer f = FloatBuffer.allocate(data.floatsPerBatch());
            data.fill(0, f);
            try (Tensor x = Tensor.of(dev, Shape.of(b, s, s, c.channels()), f.array())) {
                float[] logits = p.forward(x, true).toArray();
                double sum = 0;
                for (float l : logits) {
                    sum += 1 / (1 + Math.exp(-l));
                }
                expected = (float) (sum / b);
            }
        }
        try (AdversarialStep step = open(dev, c, true)) {
            step.step();
            float got = step.takeStats().dReal();
            assertEquals(expected, got, 1e-5f, "D(x) over the real batch with its own batch statistics");
        }
    }

    @ParameterizedTest(name = "[{0}] dcgan: 4 steps straight = 2, sample (batch stats), checkpoint, resume, 2 — bit for bit")
    @MethodSource("jgan.testing.TestDevices#all")
    void resumeIsBitIdentical(Target target) {
        Device dev = target.device();
        TrainConfig c = dcgan(2).with("sample_bn", "batch");
        float[][] straight;
        long gf, df;
        try (AdversarialStep a = open(dev, c, true)) {
            for (int i = 0; i < 4; i++) {
                a.step();
            }
            straight = state(a);
            gf = a.generator().trainingForwards();
            df = a.discriminator().trainingForwards();
        }
        byte[] saved;
        try (AdversarialStep b = open(dev, c, true)) {
            for (int i = 0; i < 2; i++) {
                b.step();
            }
            b.sampleImages(8); // batch statistics: must leave G's running statistics and counter as they were
            saved = TrainingCheckpoint.capture(b).toBytes();
        }
        Checkpoint ck = Checkpoint.fromBytes(saved, "memory");
        TrainingCheckpoint.validate(ck, "memory");
        assertEquals(4L, ck.header().get("data_batch"));
        assertEquals(4L, ck.header().get("g_training_forwards"));
        assertEquals(10L, ck.header().get("d_training_forwards"));
        assertTrue(ck.sections().containsKey("g.buffers") && ck.sections().containsKey("d.buffers"), ck.sections().keySet().toString());
        try (AdversarialStep r = open(dev, TrainingCheckpoint.config(ck), true)) {
            TrainingCheckpoint.restore(ck, r);
            assertEquals(2, r.steps());
            for (int i = 0; i < 2; i++) {
                r.step();
            }
            AdversarialStepTest.assertSameBits(straight, state(r));
            assertEquals(gf, r.generator().trainingForwards());
            assertEquals(df, r.discriminator().trainingForwards());
        }
    }

    @ParameterizedTest(name = "[{0}] a checkpoint whose counters or batch-norm sections disagree is refused by name")
    @MethodSource("jgan.testing.TestDevices#all")
    void damagedCheckpointsRefused(Target target) {
        Device dev = target.device();
        TrainConfig c = dcgan(1);
        Checkpoint ck;
        try (AdversarialStep s = open(dev, c, true)) {
            s.step();
            ck = TrainingCheckpoint.capture(s);
        }
        for (String key : new String[] {"d_training_forwards", "g_training_forwards", "data_batch"}) {
            Map<String, Object> h = new java.util.LinkedHashMap<>(ck.header());
            h.put(key, 7L);
            Checkpoint bad = Checkpoint.fromBytes(new Checkpoint(h, ck.sections()).toBytes(), "ck"); // numbers as a file holds them
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingCheckpoint.validate(bad, "ck"));
            assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
        }
        Map<String, float[]> sections = new java.util.LinkedHashMap<>(ck.sections());
        sections.remove("d.buffers");
        Checkpoint noBuffers = new Checkpoint(ck.header(), sections);
        try (AdversarialStep s = open(dev, c, true)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingCheckpoint.restore(noBuffers, s));
            assertTrue(e.getMessage().contains("d.buffers"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new AdversarialStep(dev, c, true, null));
        assertThrows(IllegalArgumentException.class, () -> new AdversarialStep(dev, c, true, new RandomImageBatches(c.batch(), 8, 3, 1)));
    }
}
