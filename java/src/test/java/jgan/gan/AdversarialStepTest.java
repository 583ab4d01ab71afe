package jgan.gan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jgan.device.Device;
import jgan.io.Checkpoint;
import jgan.kernels.Activation;
import jgan.nn.Init;
import jgan.testing.TestDevices.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused adversarial step: the graph-replayed step equals the plain one, runs are
 * bit-for-bit reproducible, and a checkpoint resumes exactly where it left.
 */
class AdversarialStepTest {
    /** Small enough to run fast on the host runtime, big enough to cross GEMM tile edges. */
    static TrainConfig small(LossKind loss) {
        return new TrainConfig("ring8", loss, 100, 70, 2e-4f, 2e-4f, 0.5f, 0.999f, 7, 5, 24, 2, 2, Activation.LEAKY_RELU, 0.2f,
                Init.PYTORCH, loss == LossKind.WASSERSTEIN ? 2 : 1, loss == LossKind.WASSERSTEIN ? 0.05f : 0f, 0.1f, false, 10, 0);
    }

    /** Everything a step changes: both networks' parameters and Adam moments. */
    static float[][] state(AdversarialStep s) {
        return new float[][] {s.generator().parameters().toArray(), s.discriminator().parameters().toArray(),
            s.generatorOptimizer().firstMoment().toArray(), s.generatorOptimizer().secondMoment().toArray(),
            s.discriminatorOptimizer().firstMoment().toArray(), s.discriminatorOptimizer().secondMoment().toArray()};
    }

    static void assertSameBits(float[][] a, float[][] b) {
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i].length, b[i].length);
            for (int j = 0; j < a[i].length; j++) {
                if (Float.floatToRawIntBits(a[i][j]) != Float.floatToRawIntBits(b[i][j])) {
                    throw new AssertionError("state " + i + " differs at " + j + ": " + a[i][j] + " vs " + b[i][j]);
                }
            }
        }
    }

    @ParameterizedTest(name = "[{0}] graph-replayed and plain steps give identical parameters after 5 steps")
    @MethodSource("jgan.testing.TestDevices#all")
    void graphEqualsPlain(Target target) {
        Device dev = target.device();
        for (LossKind loss : LossKind.values()) {
            try (AdversarialStep graph = new AdversarialStep(dev, small(loss), true);
                 AdversarialStep plain = new AdversarialStep(dev, small(loss), false)) {
                for (int i = 0; i < 5; i++) {
                    graph.step();
                    plain.step();
                }
                assertSameBits(state(graph), state(plain));
                assertEquals(5, graph.generatorOptimizer().steps());
                assertEquals(5L * small(loss).nCritic(), graph.discriminatorOptimizer().steps());
            }
        }
    }

    @ParameterizedTest(name = "[{0}] same seed, same device: bit-identical after 100 steps")
    @MethodSource("jgan.testing.TestDevices#all")
    void deterministic(Target target) {
        Device dev = target.device();
        float[][] first;
        try (AdversarialStep a = new AdversarialStep(dev, small(LossKind.NON_SATURATING), true)) {
            for (int i = 0; i < 100; i++) {
                a.step();
            }
            first = state(a);
        }
        try (AdversarialStep b = new AdversarialStep(dev, small(LossKind.NON_SATURATING), true)) {
            for (int i = 0; i < 100; i++) {
                b.step();
            }
            assertSameBits(first, state(b));
        }
    }

    @ParameterizedTest(name = "[{0}] 10 steps straight = 5, checkpoint, resume, 5")
    @MethodSource("jgan.testing.TestDevices#all")
    void resumeIsExact(Target target) {
        Device dev = target.device();
        TrainConfig c = small(LossKind.WASSERSTEIN);
        float[][] straight;
        try (AdversarialStep a = new AdversarialStep(dev, c, true)) {
            for (int i = 0; i < 10; i++) {
                a.step();
            }
            straight = state(a);
        }
        byte[] saved;
        try (AdversarialStep b = new AdversarialStep(dev, c, true)) {
            for (int i = 0; i < 5; i++) {
                b.step();
            }
            saved = TrainingCheckpoint.capture(b).toBytes();
        }
        Checkpoint ck = Checkpoint.fromBytes(saved, "memory");
        assertEquals(c, TrainingCheckpoint.config(ck));
        try (AdversarialStep r = new AdversarialStep(dev, TrainingCheckpoint.config(ck), true)) {
            TrainingCheckpoint.restore(ck, r);
            assertEquals(5, r.steps());
            for (int i = 0; i < 5; i++) {
                r.step();
            }
            assertSameBits(straight, state(r));
        }
    }

    @ParameterizedTest(name = "[{0}] every loss trains a few steps with finite statistics")
    @MethodSource("jgan.testing.TestDevices#all")
    void everyLossRuns(Target target) {
        Device dev = target.device();
        for (LossKind loss : LossKind.values()) {
            try (AdversarialStep s = new AdversarialStep(dev, small(loss), true)) {
                AdversarialStep.Stats first = null;
                for (int i = 0; i < 4; i++) {
                    s.step();
                    if (i == 0) {
                        first = s.takeStats();
                    }
                }
                AdversarialStep.Stats st = s.takeStats();
                assertTrue(Float.isFinite(st.lossD()) && Float.isFinite(st.lossG()) && Float.isFinite(st.dReal())
                        && Float.isFinite(st.dFake()), loss + " " + st);
                if (loss == LossKind.NON_SATURATING || loss == LossKind.MINIMAX) {
                    // at initialisation D is near chance: loss_D ~ 2 ln 2, D(x) ~ 0.5
                    assertEquals(2 * Math.log(2), first.lossD(), 0.3, loss + " " + first);
                    assertEquals(0.5, first.dReal(), 0.2, loss + " " + first);
                }
                if (loss == LossKind.WASSERSTEIN) {
                    for (float p : s.discriminator().parameters().toArray()) {
                        assertTrue(Math.abs(p) <= 0.05f, "weight clipping: " + p);
                    }
                }
                float[] xy = s.sample(50);
                assertEquals(100, xy.length);
                assertArrayEquals(xy, s.sample(50), "samples use fixed latent draws");
            }
        }
    }
}
