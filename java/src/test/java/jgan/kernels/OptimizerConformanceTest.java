package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.Dim3;
import jgan.device.Graph;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.kernels.Optimizer.Adam;
import jgan.kernels.Optimizer.Sgd;
import jgan.reference.OptimizerReference;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.TestDevices;
import jgan.testing.TestDevices.Target;
import jgan.testing.Tolerance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** kernels/optimizer.cu against {@link OptimizerReference} on every device, several steps in a row. */
@Tag("host-runtime")
class OptimizerConformanceTest {
    static final int[] SIZES = {1, 7, 31, 4099, 100_003};
    /** Default Adam; GAN-style (beta1 0.5) with decay, zeroing the gradients; RMSprop-like (beta1 0) with clipping. */
    static final Adam[] ADAMS = {Adam.of(1e-3f), new Adam(2e-4f, 0.5f, 0.999f, 1e-8f, 0.01f, 0f),
        new Adam(5e-3f, 0f, 0.99f, 1e-6f, 0.1f, 0.5f)};
    static final Sgd[] SGDS = {new Sgd(0.05f, 0f, 0f, 0f), new Sgd(0.01f, 0.9f, 5e-4f, 0f), new Sgd(0.1f, 0.5f, 0f, 0.3f)};
    static final int STEPS = 5;
    /** Float state, one rounding per stored value and step: ~1e-6 relative; atol for values that cancel to ~0. */
    static final double RTOL = 1e-6, ATOL = 2e-7;
    /**
     * SGD's momentum buffer holds sums of ~1 / (1 - momentum) gradients (|buf| up to ~5) that may
     * cancel to ~0: a few ulps of the terms, absolute.
     */
    static final double BUF_ATOL = 1e-6;

    static Stream<Arguments> adamCases() {
        return TestDevices.all().flatMap(d -> Arrays.stream(SIZES).boxed().flatMap(n -> java.util.stream.IntStream
                .range(0, ADAMS.length).mapToObj(h -> Arguments.of(d, n, h, h > 0))));
    }

    static Stream<Arguments> sgdCases() {
        return TestDevices.all().flatMap(d -> Arrays.stream(SIZES).boxed().flatMap(n -> java.util.stream.IntStream
                .range(0, SGDS.length).mapToObj(h -> Arguments.of(d, n, h, h != 1))));
    }

    static int readInt(Device dev, DeviceBuffer b) {
        int[] out = new int[1];
        dev.copyToHost(b, 0, out, 0, 1);
        return out[0];
    }

    static void adamUpdate(float[] p, float[] g, float[] m, float[] v, int t, Adam hp, boolean zero) {
        OptimizerReference.adam(p, g, m, v, t, hp.lr(), hp.beta1(), hp.beta2(), hp.eps(), hp.weightDecay(), hp.clip(), zero);
    }

    /**
     * STEPS updates in a row with fresh gradients each step, the counter on the device from 0
     * and advanced by the increment kernel: state compared after every step (t = 1 ... 5).
     */
    @ParameterizedTest(name = "[{0}] adam n={1} hyper#{2} zeroGrads={3}")
    @MethodSource("adamCases")
    void adamStepsMatchReference(Target target, int n, int h, boolean zeroGrads) {
        Device dev = target.device();
        Adam hp = ADAMS[h];
        SplittableRandom r = new SplittableRandom(1000L * n + h);
        float[] p = RandomData.normal(r, n, 1.0), m = new float[n], v = new float[n];
        try (Tensor tp = Tensor.of(dev, Shape.of(n), p); Tensor tg = Tensor.empty(dev, Shape.of(n));
             Tensor tm = Tensor.zeros(dev, Shape.of(n)); Tensor tv = Tensor.zeros(dev, Shape.of(n));
             DeviceBuffer step = dev.allocate(4)) {
            dev.fill32(step, 0, 1, 0);
            for (int t = 1; t <= STEPS; t++) {
                float[] g = RandomData.normal(r, n, t == 3 ? 1e-3 : 1.0); // one step of tiny gradients: eps matters
                tg.copyFrom(g);
                Optimizer.adam(tp, tg, tm, tv, step, hp, zeroGrads);
                assertEquals(t - 1, readInt(dev, step), "adam_update must not change the step counter");
                Optimizer.incrementStep(step);
                assertEquals(t, readInt(dev, step), "step counter after the increment");
                adamUpdate(p, g, m, v, t, hp, zeroGrads);
                String at = " after step " + t;
                Tolerance.assertClose("m" + at, tm.toArray(), m, ATOL, RTOL);
                Tolerance.assertClose("v" + at, tv.toArray(), v, 1e-12, RTOL);
                Tolerance.assertClose("params" + at, tp.toArray(), p, ATOL, RTOL);
                Tolerance.assertClose("grads" + at, tg.toArray(), g, 0, 0); // zeroed or untouched
            }
            if (hp.clip() > 0) {
                assertClipped(tp.toArray(), hp.clip());
            }
        }
    }

    /** Every parameter within [-clip, clip], and with N(0, 1) parameters some of them at the bounds. */
    static void assertClipped(float[] p, float clip) {
        int atBound = 0;
        for (float x : p) {
            assertTrue(Math.abs(x) <= clip, "parameter " + x + " outside [-" + clip + ", " + clip + "]");
            atBound += Math.abs(x) == clip ? 1 : 0;
        }
        assertTrue(p.length < 31 || atBound > 0, "no parameter at the clip bound");
    }

    /**
     * The bias correction reads the counter: at *step = 4 from zero moments the update is
     * m^ / sqrt(v^) = (0.1 / (1 - 0.9^5)) / sqrt(0.001 / (1 - 0.999^5)) sign(g) ~ 0.545 sign(g),
     * not the 1 of t = 1 nor the value of any other t.
     */
    @ParameterizedTest(name = "[{0}] adam bias correction at t=5")
    @MethodSource("jgan.testing.TestDevices#all")
    void biasCorrectionReadsTheCounter(Target target) {
        Device dev = target.device();
        int n = 1001;
        Adam hp = Adam.of(0.01f);
        SplittableRandom r = new SplittableRandom(5);
        float[] p = RandomData.normal(r, n, 1.0), g = RandomData.normal(r, n, 1.0), m = new float[n], v = new float[n];
        try (Tensor tp = Tensor.of(dev, Shape.of(n), p); Tensor tg = Tensor.of(dev, Shape.of(n), g);
             Tensor tm = Tensor.zeros(dev, Shape.of(n)); Tensor tv = Tensor.zeros(dev, Shape.of(n));
             DeviceBuffer step = dev.allocate(4)) {
            dev.copyToDevice(new int[] {4}, 0, step, 0, 1);
            Optimizer.adam(tp, tg, tm, tv, step, hp, false);
            assertEquals(4, readInt(dev, step));
            float[] p0 = p.clone();
            adamUpdate(p, g, m, v, 5, hp, false);
            float[] out = tp.toArray();
            Tolerance.assertClose("params at t=5", out, p, ATOL, RTOL);
            for (int i = 0; i < n; i++) {
                double ratio = (p0[i] - out[i]) / 0.01;
                assertTrue(Math.abs(Math.abs(ratio) - 0.5455) < 2e-3, "update/lr at t=5: " + ratio + " for g " + g[i]);
            }
        }
    }

    /**
     * The fused step as training runs it: update + increment captured once into a graph and
     * replayed, fresh gradients uploaded between replays; t advances on the device each replay.
     */
    @ParameterizedTest(name = "[{0}] adam through a replayed graph")
    @MethodSource("jgan.testing.TestDevices#all")
    void adamThroughReplayedGraph(Target target) {
        Device dev = target.device();
        int n = 4099;
        Adam hp = ADAMS[1];
        SplittableRandom r = new SplittableRandom(9);
        float[] p = RandomData.normal(r, n, 1.0), m = new float[n], v = new float[n];
        try (Tensor tp = Tensor.of(dev, Shape.of(n), p); Tensor tg = Tensor.zeros(dev, Shape.of(n));
             Tensor tm = Tensor.zeros(dev, Shape.of(n)); Tensor tv = Tensor.zeros(dev, Shape.of(n));
             DeviceBuffer step = dev.allocate(4)) {
            dev.fill32(step, 0, 1, 0);
            dev.beginCapture();
            Optimizer.adam(tp, tg, tm, tv, step, hp, true);
            Optimizer.incrementStep(step);
            try (Graph graph = dev.endCapture()) {
                assertEquals(2, graph.size());
                for (int t = 1; t <= STEPS; t++) {
                    float[] g = RandomData.normal(r, n, 1.0);
                    tg.copyFrom(g);
                    graph.replay();
                    adamUpdate(p, g, m, v, t, hp, true);
                }
            }
            assertEquals(STEPS, readInt(dev, step));
            Tolerance.assertClose("params after 5 replays", tp.toArray(), p, ATOL, RTOL);
            Tolerance.assertClose("m after 5 replays", tm.toArray(), m, ATOL, RTOL);
            Tolerance.assertClose("v after 5 replays", tv.toArray(), v, 1e-12, RTOL);
            Tolerance.assertClose("grads zeroed", tg.toArray(), new float[n], 0, 0);
        }
    }

    /** Schedules of 20 updates: every kind, with and without warm-up, to a final fraction of 0.1 (cosine also to 0). */
    static final Optimizer.Schedule[] SCHEDULES = {
        new Optimizer.Schedule(Optimizer.ScheduleKind.CONSTANT, 1f, 0, 20),
        new Optimizer.Schedule(Optimizer.ScheduleKind.CONSTANT, 1f, 4, 20),
        new Optimizer.Schedule(Optimizer.ScheduleKind.LINEAR, 0.1f, 0, 20),
        new Optimizer.Schedule(Optimizer.ScheduleKind.LINEAR, 0.1f, 5, 20),
        new Optimizer.Schedule(Optimizer.ScheduleKind.COSINE, 0f, 0, 20),
        new Optimizer.Schedule(Optimizer.ScheduleKind.COSINE, 0.1f, 3, 20)};

    static float refRate(int t, float base, Optimizer.Schedule s) {
        return OptimizerReference.scheduledRate(t, base, s.kind().code(), s.finalFraction(), s.warmup(), s.total());
    }

    static Stream<Arguments> scheduleCases() {
        return TestDevices.all().flatMap(d -> java.util.stream.IntStream.range(0, SCHEDULES.length).mapToObj(i -> Arguments.of(d, i)));
    }

    /**
     * The reference formula itself, at points known in closed form: the first update gets the
     * base rate (no warm-up) or base / warmup, warm-up reaches base at update warmup, the last
     * update (total) is one step short of f base, after it f base; both midpoints are
     * base (1 + f) / 2.
     */
    @Test
    void referenceScheduleAtKnownPoints() {
        float base = 0.002f;
        int c = Optimizer.ScheduleKind.COSINE.code(), l = Optimizer.ScheduleKind.LINEAR.code();
        float mid = (float) (base * 0.55), end = (float) (base * 0.1), last = (float) (base * 0.145);
        assertEquals(base, OptimizerReference.scheduledRate(1, base, c, 0.1, 0, 20), 0f);
        assertEquals(base, OptimizerReference.scheduledRate(1, base, l, 0.1, 0, 20), 0f);
        assertEquals(mid, OptimizerReference.scheduledRate(11, base, c, 0.1, 0, 20), Math.ulp(mid));
        assertEquals(mid, OptimizerReference.scheduledRate(11, base, l, 0.1, 0, 20), Math.ulp(mid));
        assertEquals(last, OptimizerReference.scheduledRate(20, base, l, 0.1, 0, 20), Math.ulp(last));
        assertEquals(end, OptimizerReference.scheduledRate(21, base, l, 0.1, 0, 20), Math.ulp(end));
        assertEquals(end, OptimizerReference.scheduledRate(500, base, c, 0.1, 0, 20), Math.ulp(end));
        assertEquals(0f, OptimizerReference.scheduledRate(21, base, c, 0, 0, 20), 0f);
        assertEquals(base / 4, OptimizerReference.scheduledRate(1, base, c, 0.1, 4, 20), Math.ulp(base));
        assertEquals(base, OptimizerReference.scheduledRate(4, base, c, 0.1, 4, 20), 0f);
        assertEquals(base, OptimizerReference.scheduledRate(5, base, c, 0.1, 4, 20), 0f); // the decay starts at base
        assertEquals(mid, OptimizerReference.scheduledRate(4 + 9, base, l, 0.1, 4, 20), Math.ulp(mid)); // k - warmup = 8 of 16
        assertEquals(base, OptimizerReference.scheduledRate(9, base, 0, 0.1, 4, 20), 0f);
    }

    /**
     * lr_schedule then the increment, 26 times (past the end of the 20-update schedule): the rate
     * written for each update equals the reference formula's float (CPU: the same code, exactly;
     * host/CUDA compute in double with their own cos: within one float ulp).
     */
    @ParameterizedTest(name = "[{0}] lr schedule #{1} at every update")
    @MethodSource("scheduleCases")
    void scheduleRateAtEveryUpdate(Target target, int which) {
        Device dev = target.device();
        Optimizer.Schedule s = SCHEDULES[which];
        float base = 1e-3f;
        try (DeviceBuffer step = dev.allocate(4); DeviceBuffer lr = dev.allocate(4)) {
            dev.fill32(step, 0, 1, 0);
            dev.copyToDevice(new float[] {-1f}, 0, lr, 0, 1);
            float[] got = new float[1];
            for (int t = 1; t <= 26; t++) {
                Optimizer.lrSchedule(step, lr, base, s);
                assertEquals(t - 1, readInt(dev, step), "lr_schedule must not change the step counter");
                Optimizer.incrementStep(step);
                dev.copyToHost(lr, 0, got, 0, 1);
                float want = refRate(t, base, s);
                assertEquals(want, got[0], Math.ulp(want), s + " rate at update " + t);
                if (dev.kind() == jgan.device.DeviceKind.CPU) {
                    assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got[0]), "cpu rate at update " + t);
                }
            }
        }
    }

    /**
     * Schedule + Adam at the device rate + EMA of G's kind, captured into a graph and replayed
     * 8 times with fresh gradients: parameters, moments and the EMA after every replay equal
     * the reference's (rate from scheduledRate, Adam, then the EMA of the new parameters).
     */
    @ParameterizedTest(name = "[{0}] scheduled adam + EMA through a replayed graph, n={1}")
    @MethodSource("emaCases")
    void scheduledAdamWithEmaThroughReplayedGraph(Target target, int n) {
        Device dev = target.device();
        Adam hp = ADAMS[1];
        Optimizer.Schedule s = new Optimizer.Schedule(Optimizer.ScheduleKind.COSINE, 0.1f, 2, 8);
        float decay = 0.9f; // small, so that the EMA moves visibly in 8 updates (the warm-up's (1+t)/(10+t) rules until t = 80)
        SplittableRandom r = new SplittableRandom(77 + n);
        float[] p = RandomData.normal(r, n, 1.0), m = new float[n], v = new float[n], e = p.clone();
        try (Tensor tp = Tensor.of(dev, Shape.of(n), p); Tensor tg = Tensor.zeros(dev, Shape.of(n));
             Tensor tm = Tensor.zeros(dev, Shape.of(n)); Tensor tv = Tensor.zeros(dev, Shape.of(n));
             Tensor te = Tensor.of(dev, Shape.of(n), p); DeviceBuffer step = dev.allocate(4); DeviceBuffer lr = dev.allocate(4)) {
            dev.fill32(step, 0, 1, 0);
            dev.beginCapture();
            Optimizer.lrSchedule(step, lr, hp.lr(), s);
            Optimizer.adamScheduled(tp, tg, tm, tv, te, step, lr, hp, decay, true);
            Optimizer.incrementStep(step);
            try (Graph graph = dev.endCapture()) {
                assertEquals(3, graph.size());
                for (int t = 1; t <= 8; t++) {
                    float[] g = RandomData.normal(r, n, 1.0);
                    tg.copyFrom(g);
                    graph.replay();
                    OptimizerReference.adam(p, g, m, v, t, refRate(t, hp.lr(), s), hp.beta1(), hp.beta2(), hp.eps(), hp.weightDecay(),
                            hp.clip(), true);
                    OptimizerReference.ema(e, p, t, decay);
                    String at = " after update " + t;
                    Tolerance.assertClose("params" + at, tp.toArray(), p, ATOL, RTOL);
                    Tolerance.assertClose("m" + at, tm.toArray(), m, ATOL, RTOL);
                    Tolerance.assertClose("v" + at, tv.toArray(), v, 1e-12, RTOL);
                    Tolerance.assertClose("ema" + at, te.toArray(), e, ATOL, RTOL);
                }
            }
            // the EMA lags the parameters: it is neither their start nor their end
            float[] got = te.toArray(), now = tp.toArray();
            int differ = 0;
            for (int i = 0; i < n; i++) {
                differ += got[i] != now[i] ? 1 : 0;
            }
            assertTrue(differ > n / 2, "EMA equals the parameters in " + (n - differ) + " of " + n + " places");
        }
    }

    static Stream<Arguments> emaCases() {
        return TestDevices.all().flatMap(d -> Stream.of(Arguments.of(d, 7), Arguments.of(d, 4099)));
    }

    /** The reference EMA on numbers worked by hand: d = min(decay, (1 + t) / (10 + t)). */
    @Test
    void referenceEmaByHand() {
        float[] e = {0f, 4f}, p = {1f, 2f};
        OptimizerReference.ema(e, p, 1, 0.999); // d = 2/11
        assertEquals((float) (9.0 / 11), e[0], 0f);
        assertEquals((float) (4 * 2.0 / 11 + 2 * 9.0 / 11), e[1], 0f);
        float[] e2 = {0f};
        OptimizerReference.ema(e2, new float[] {1f}, 1000, 0.5); // d = decay once (1+t)/(10+t) > decay
        assertEquals(0.5f, e2[0], 0f);
    }

    /**
     * At a constant rate and without EMA, adam_update_lr gives adam_update's bits (the same
     * arithmetic, the rate read from memory): a run moving to the scheduled path keeps its numbers.
     */
    @ParameterizedTest(name = "[{0}] adam_update_lr at a constant rate = adam_update, bit for bit")
    @MethodSource("jgan.testing.TestDevices#all")
    void constantRateMatchesScalarPathBitForBit(Target target) {
        Device dev = target.device();
        int n = 4099;
        Adam hp = ADAMS[2];
        SplittableRandom r = new SplittableRandom(31);
        float[] p = RandomData.normal(r, n, 1.0);
        try (Tensor p1 = Tensor.of(dev, Shape.of(n), p); Tensor p2 = Tensor.of(dev, Shape.of(n), p);
             Tensor g1 = Tensor.zeros(dev, Shape.of(n)); Tensor g2 = Tensor.zeros(dev, Shape.of(n));
             Tensor m1 = Tensor.zeros(dev, Shape.of(n)); Tensor m2 = Tensor.zeros(dev, Shape.of(n));
             Tensor v1 = Tensor.zeros(dev, Shape.of(n)); Tensor v2 = Tensor.zeros(dev, Shape.of(n));
             DeviceBuffer s1 = dev.allocate(4); DeviceBuffer s2 = dev.allocate(4); DeviceBuffer lr = dev.allocate(4)) {
            dev.fill32(s1, 0, 1, 0);
            dev.fill32(s2, 0, 1, 0);
            Optimizer.Schedule constant = Optimizer.Schedule.constant(100);
            for (int t = 1; t <= 4; t++) {
                float[] g = RandomData.normal(r, n, 1.0);
                g1.copyFrom(g);
                g2.copyFrom(g);
                Optimizer.adam(p1, g1, m1, v1, s1, hp, true);
                Optimizer.incrementStep(s1);
                Optimizer.lrSchedule(s2, lr, hp.lr(), constant);
                Optimizer.adamScheduled(p2, g2, m2, v2, null, s2, lr, hp, 0f, true);
                Optimizer.incrementStep(s2);
            }
            assertArrayEquals(p1.toArray(), p2.toArray());
            assertArrayEquals(m1.toArray(), m2.toArray());
            assertArrayEquals(v1.toArray(), v2.toArray());
        }
    }

    @Test
    void badScheduleOrEmaIsRefusedBeforeLaunch() {
        Device dev = TestDevices.host();
        try (Tensor a = Tensor.zeros(dev, Shape.of(10)); Tensor b = Tensor.zeros(dev, Shape.of(10));
             Tensor c = Tensor.zeros(dev, Shape.of(10)); Tensor d = Tensor.zeros(dev, Shape.of(10));
             Tensor odd = Tensor.zeros(dev, Shape.of(11)); DeviceBuffer step = dev.allocate(4); DeviceBuffer lr = dev.allocate(4)) {
            Adam hp = Adam.of(1e-3f);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Optimizer.adamScheduled(a, b, c, d, odd, step, lr, hp, 0.99f, false));
            assertTrue(e.getMessage().contains("adam_update_lr") && e.getMessage().contains("ema [11]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Optimizer.adamScheduled(a, b, c, d, a, step, lr, hp, 0.99f, false));
            assertTrue(e.getMessage().contains("params and ema are the same buffer"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Optimizer.adamScheduled(a, b, c, d, odd.view(0, Shape.of(10)), step, lr,
                    hp, 1f, false));
            assertTrue(e.getMessage().contains("ema_decay must be in [0, 1)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Optimizer.adamScheduled(a, b, c, d, null, step, null, hp, 0f, false));
            assertTrue(e.getMessage().contains("adam_update_lr: the rate"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> new Optimizer.Schedule(Optimizer.ScheduleKind.LINEAR, 1.5f, 0, 10));
            assertTrue(e.getMessage().contains("final_fraction must be in [0, 1], got 1.5"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Optimizer.Schedule(Optimizer.ScheduleKind.COSINE, 0f, 10, 10));
            assertTrue(e.getMessage().contains("warmup must be in [0, total) = [0, 10), got 10"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Optimizer.Schedule(Optimizer.ScheduleKind.COSINE, 0f, 0, 0));
            assertTrue(e.getMessage().contains("total updates must be >= 1, got 0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Optimizer.lrSchedule(step, step, 1e-3f, Optimizer.Schedule.constant(5)));
            assertTrue(e.getMessage().contains("same buffer"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Optimizer.lrSchedule(step, lr, 0f, Optimizer.Schedule.constant(5)));
            assertTrue(e.getMessage().contains("lr_schedule: base lr must be > 0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Optimizer.ScheduleKind.parse("step"));
            assertTrue(e.getMessage().contains("constant, linear, cosine, got step"), e.getMessage());
        }
    }

    @ParameterizedTest(name = "[{0}] sgd n={1} hyper#{2} zeroGrads={3}")
    @MethodSource("sgdCases")
    void sgdStepsMatchReference(Target target, int n, int h, boolean zeroGrads) {
        Device dev = target.device();
        Sgd hp = SGDS[h];
        SplittableRandom r = new SplittableRandom(2000L * n + h);
        float[] p = RandomData.normal(r, n, 1.0);
        boolean momentum = hp.momentum() > 0;
        float[] buf = momentum ? new float[n] : null;
        try (Tensor tp = Tensor.of(dev, Shape.of(n), p); Tensor tg = Tensor.empty(dev, Shape.of(n));
             Tensor tb = momentum ? Tensor.zeros(dev, Shape.of(n)) : null) {
            for (int t = 1; t <= STEPS; t++) {
                float[] g = RandomData.normal(r, n, 1.0);
                tg.copyFrom(g);
                Optimizer.sgd(tp, tg, tb, hp, zeroGrads);
                OptimizerReference.sgd(p, g, buf, hp.lr(), hp.momentum(), hp.weightDecay(), hp.clip(), zeroGrads);
                String at = " after step " + t;
                if (momentum) {
                    Tolerance.assertClose("momentum" + at, tb.toArray(), buf, BUF_ATOL, RTOL);
                }
                Tolerance.assertClose("params" + at, tp.toArray(), p, ATOL, RTOL);
                Tolerance.assertClose("grads" + at, tg.toArray(), g, 0, 0);
            }
            if (hp.clip() > 0) {
                assertClipped(tp.toArray(), hp.clip());
            }
        }
    }

    /** Clipping must not turn a NaN into a bound: the watchdog (finite_check) has to see it. */
    @ParameterizedTest(name = "[{0}] NaN survives clipping")
    @MethodSource("jgan.testing.TestDevices#all")
    void nanSurvivesClipping(Target target) {
        Device dev = target.device();
        int n = 9;
        float[] g = new float[n];
        Arrays.fill(g, 1f);
        g[0] = Float.NaN;
        g[5] = Float.NaN;
        g[8] = Float.POSITIVE_INFINITY;
        try (Tensor tp = Tensor.zeros(dev, Shape.of(n)); Tensor tg = Tensor.of(dev, Shape.of(n), g);
             Tensor tm = Tensor.zeros(dev, Shape.of(n)); Tensor tv = Tensor.zeros(dev, Shape.of(n));
             Tensor sp = Tensor.zeros(dev, Shape.of(n)); DeviceBuffer step = dev.allocate(4)) {
            dev.fill32(step, 0, 1, 0);
            Optimizer.adam(tp, tg, tm, tv, step, new Adam(0.1f, 0.9f, 0.999f, 1e-8f, 0f, 0.01f), false);
            Optimizer.sgd(sp, tg, null, new Sgd(0.1f, 0f, 0f, 0.01f), false);
            for (float[] out : new float[][] {tp.toArray(), sp.toArray()}) {
                assertTrue(Float.isNaN(out[0]) && Float.isNaN(out[5]), Arrays.toString(out));
                assertEquals(-0.01f, out[1], 0f);
            }
        }
    }

    /**
     * A grid far smaller than the data, so every thread strides: at offset 0 through the float4
     * loop, at offset 4 bytes (not 16-byte aligned) through the scalar one. Adam with zeroing.
     */
    @ParameterizedTest(name = "[{0}] small grid, view offset {1} bytes")
    @MethodSource("offsetCases")
    void smallGridViews(Target target, int offset) {
        Device dev = target.device();
        int n = 4099, skip = offset / 4;
        Adam hp = ADAMS[2];
        SplittableRandom r = new SplittableRandom(13 + offset);
        float[] p = RandomData.normal(r, n + 1, 1.0), g = RandomData.normal(r, n + 1, 1.0);
        float[] m = RandomData.normal(r, n + 1, 0.1), v = RandomData.uniform(r, n + 1, 0, 0.1);
        try (Tensor tp = Tensor.of(dev, Shape.of(n + 1), p); Tensor tg = Tensor.of(dev, Shape.of(n + 1), g);
             Tensor tm = Tensor.of(dev, Shape.of(n + 1), m); Tensor tv = Tensor.of(dev, Shape.of(n + 1), v);
             DeviceBuffer step = dev.allocate(4)) {
            dev.copyToDevice(new int[] {2}, 0, step, 0, 1);
            dev.launch(Optimizer.ADAM, new LaunchConfig(Dim3.of(2), Dim3.of(128), 0), new KernelArgs()
                    .ptr(tp.buffer(), offset).ptr(tg.buffer(), offset).ptr(tm.buffer(), offset).ptr(tv.buffer(), offset).ptr(step)
                    .i32(n).f32(hp.lr()).f32(hp.beta1()).f32(hp.beta2()).f32(hp.eps()).f32(hp.weightDecay()).f32(hp.clip()).i32(1));
            float[] p1 = Arrays.copyOfRange(p, skip, skip + n), g1 = Arrays.copyOfRange(g, skip, skip + n);
            float[] m1 = Arrays.copyOfRange(m, skip, skip + n), v1 = Arrays.copyOfRange(v, skip, skip + n);
            adamUpdate(p1, g1, m1, v1, 3, hp, true);
            float[] outP = tp.toArray(), outG = tg.toArray();
            int outside = skip == 0 ? n : 0; // the one element outside the view
            assertEquals(p[outside], outP[outside], 0f, "element outside the view must stay untouched");
            assertEquals(g[outside], outG[outside], 0f, "element outside the view must stay untouched");
            Tolerance.assertClose("params", Arrays.copyOfRange(outP, skip, skip + n), p1, ATOL, RTOL);
            Tolerance.assertClose("m", Arrays.copyOfRange(tm.toArray(), skip, skip + n), m1, ATOL, RTOL);
            Tolerance.assertClose("v", Arrays.copyOfRange(tv.toArray(), skip, skip + n), v1, 1e-12, RTOL);
            Tolerance.assertClose("grads zeroed", Arrays.copyOfRange(outG, skip, skip + n), new float[n], 0, 0);
        }
    }

    static Stream<Arguments> offsetCases() {
        return TestDevices.all().flatMap(d -> Stream.of(Arguments.of(d, 0), Arguments.of(d, 4)));
    }

    @Test
    void badInputIsRefusedBeforeLaunch() {
        Device dev = TestDevices.host();
        try (Tensor a = Tensor.zeros(dev, Shape.of(10)); Tensor b = Tensor.zeros(dev, Shape.of(10));
             Tensor c = Tensor.zeros(dev, Shape.of(10)); Tensor d = Tensor.zeros(dev, Shape.of(2, 5));
             Tensor odd = Tensor.zeros(dev, Shape.of(11)); DeviceBuffer step = dev.allocate(4)) {
            Adam hp = Adam.of(1e-3f);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Optimizer.adam(a, b, c, odd, step, hp, false));
            assertTrue(e.getMessage().contains("adam_update") && e.getMessage().contains("[10]")
                    && e.getMessage().contains("[11]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Optimizer.adam(a, a, c, d, step, hp, false));
            assertTrue(e.getMessage().contains("params and grads are the same buffer"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Optimizer.adam(a, b, c, d, null, hp, false));
            assertTrue(e.getMessage().contains("step counter"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Adam(0f, 0.9f, 0.999f, 1e-8f, 0f, 0f));
            assertTrue(e.getMessage().contains("lr must be > 0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Adam(1e-3f, 1f, 0.999f, 1e-8f, 0f, 0f));
            assertTrue(e.getMessage().contains("beta1 must be in [0, 1)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Adam(1e-3f, 0.9f, -0.1f, 1e-8f, 0f, 0f));
            assertTrue(e.getMessage().contains("beta2"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Adam(1e-3f, 0.9f, 0.999f, 0f, 0f, 0f));
            assertTrue(e.getMessage().contains("eps must be > 0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Adam(1e-3f, 0.9f, 0.999f, 1e-8f, -1f, 0f));
            assertTrue(e.getMessage().contains("weight_decay must be >= 0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Adam(Float.POSITIVE_INFINITY, 0.9f, 0.999f, 1e-8f, 0f, 0f));
            assertTrue(e.getMessage().contains("lr must be finite"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Sgd(0.1f, 0f, 0f, Float.NaN));
            assertTrue(e.getMessage().contains("sgd_update: clip must be finite"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new Sgd(0.1f, 1f, 0f, 0f));
            assertTrue(e.getMessage().contains("momentum must be in [0, 1)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(a, b, null, new Sgd(0.1f, 0.9f, 0f, 0f), false));
            assertTrue(e.getMessage().contains("needs a momentum buffer"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Optimizer.sgd(a, odd, null, new Sgd(0.1f, 0f, 0f, 0f), false));
            assertTrue(e.getMessage().contains("sgd_update") && e.getMessage().contains("[11]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Optimizer.incrementStep(null));
            assertTrue(e.getMessage().contains("optimizer_step_increment"), e.getMessage());
        }
    }
}
