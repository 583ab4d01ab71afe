package jgan.gan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import jgan.device.Device;
import jgan.io.Checkpoint;
import jgan.io.Json;
import jgan.testing.TestDevices.Target;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The R1 penalty in the training step (config r1 &gt; 0; jgan.nn.R1Penalty, whose gradient
 * R1PenaltyTest checks against the reference): it changes training, the graph-replayed step equals
 * the plain one with it (every loss, packed, n_critic 2), a checkpoint resumes bit for bit (R1
 * adds no state), and configs without it read and write as before.
 */
class R1StepTest {
    /** AdversarialStepTest's small run with pack 2, n_critic 2 and R1 gamma 1. */
    static TrainConfig withR1(LossKind loss) {
        return AdversarialStepTest.small(loss).with("pack", "2").with("n_critic", "2").with("r1", "1");
    }

    @ParameterizedTest(name = "[{0}] graph = plain with R1 for every loss; R1 changes the run")
    @MethodSource("jgan.testing.TestDevices#all")
    void graphEqualsPlainAndR1ChangesTraining(Target target) {
        Device dev = target.device();
        for (LossKind loss : LossKind.values()) {
            TrainConfig c = withR1(loss);
            try (AdversarialStep graph = new AdversarialStep(dev, c, true); AdversarialStep plain = new AdversarialStep(dev, c, false);
                 AdversarialStep off = new AdversarialStep(dev, c.with("r1", "0"), true)) {
                for (int i = 0; i < 3; i++) {
                    graph.step();
                    plain.step();
                    off.step();
                }
                AdversarialStepTest.assertSameBits(AdversarialStepTest.state(graph), AdversarialStepTest.state(plain));
                assertFalse(java.util.Arrays.equals(graph.discriminator().parameters().toArray(), off.discriminator().parameters().toArray()),
                        loss + ": R1 changed nothing");
                assertTrue(graph.stateFinite(), loss.toString());
            }
        }
    }

    @ParameterizedTest(name = "[{0}] 6 steps straight = 3, checkpoint, resume, 3")
    @MethodSource("jgan.testing.TestDevices#all")
    void resumesBitForBit(Target target) {
        Device dev = target.device();
        TrainConfig c = withR1(LossKind.NON_SATURATING);
        float[][] straight;
        try (AdversarialStep a = new AdversarialStep(dev, c, true)) {
            for (int i = 0; i < 6; i++) {
                a.step();
            }
            straight = AdversarialStepTest.state(a);
        }
        byte[] saved;
        try (AdversarialStep b = new AdversarialStep(dev, c, true)) {
            for (int i = 0; i < 3; i++) {
                b.step();
            }
            saved = TrainingCheckpoint.capture(b).toBytes();
        }
        Checkpoint ck = Checkpoint.fromBytes(saved, "memory");
        assertEquals(c, TrainingCheckpoint.config(ck));
        try (AdversarialStep r = new AdversarialStep(dev, TrainingCheckpoint.config(ck), true)) {
            TrainingCheckpoint.restore(ck, r);
            for (int i = 0; i < 3; i++) {
                r.step();
            }
            AdversarialStepTest.assertSameBits(straight, AdversarialStepTest.state(r));
        }
    }

    @Test
    void configFieldIsWrittenOnlyWhenOn() {
        assertEquals(TrainConfig.MIXTURE_R1, TrainConfig.defaults("grid25").r1(), "the mixtures' default (issue 11's sweep)");
        assertEquals(0f, TrainConfig.defaults("grid25", LossKind.WASSERSTEIN).r1(), "WGAN's Algorithm 1: no R1");
        assertEquals(0f, TrainConfig.defaults("fashion-mnist").r1(), "images: no R1");
        TrainConfig off = TrainConfig.defaults("grid25").with("r1", "0");
        Map<String, Object> m = off.toMap();
        assertFalse(m.containsKey("r1"));
        assertEquals(0f, TrainConfig.fromMap(Json.parseObject(Json.write(m))).r1());
        m.put("r1", 0.0); // written by hand at its "off" value: still reads
        assertEquals(off, TrainConfig.fromMap(m));
        TrainConfig c = withR1(LossKind.HINGE).with("r1", "2.5");
        Map<String, Object> on = c.toMap();
        assertEquals(2.5f, on.get("r1"));
        assertEquals(c, TrainConfig.fromMap(Json.parseObject(Json.write(on))));
        assertTrue(c.lossSettings().contains("R1 penalty on D, gamma 2.5"), c.lossSettings());
        assertFalse(off.lossSettings().contains("R1"));
    }

    @Test
    void outOfScopeConfigsAreRefused() {
        TrainConfig c = AdversarialStepTest.small(LossKind.NON_SATURATING);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.with("r1", "-1"));
        assertTrue(e.getMessage().contains("r1 must be a finite number >= 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.with("r1", "NaN"));
        assertTrue(e.getMessage().contains("r1 must be a finite number >= 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.with("activation", "tanh").with("r1", "1"));
        assertTrue(e.getMessage().contains("relu or leakyrelu") && e.getMessage().contains("second derivative"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults("fashion-mnist").with("r1", "1"));
        assertTrue(e.getMessage().contains("mlp model's discriminator only") && e.getMessage().contains("dcgan"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.mlpConvDefaults(TrainConfig.defaults("fashion-mnist")).with("r1", "1"));
        assertTrue(e.getMessage().contains("mlp-conv"), e.getMessage());
    }
}
