package jgan.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import jgan.device.Device;
import jgan.kernels.Optimizer;
import jgan.reference.OptimizerReference;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.TestDevices.Target;
import jgan.testing.Tolerance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** AdamOptimizer's schedule and EMA over a network's flat parameters, against OptimizerReference. */
class AdamOptimizerTest {
    static Sequential net(Device dev) {
        Sequential n = Sequential.builder(3).dense(5).relu().dense(2).build(dev);
        n.initialize(Init.XAVIER, 3);
        return n;
    }

    /**
     * 12 updates under a linear schedule (warm-up 2, to 0.2 of the base over 10 updates) with an
     * EMA of decay 0.95: the rate of each update, the parameters and the EMA after each equal the
     * reference; withAverage runs a forward on the EMA weights and puts the trained ones back.
     */
    @ParameterizedTest(name = "[{0}] schedule + EMA through AdamOptimizer")
    @MethodSource("jgan.testing.TestDevices#all")
    void scheduleAndAverageMatchReference(Target target) {
        Device dev = target.device();
        Optimizer.Adam hp = new Optimizer.Adam(0.01f, 0.5f, 0.999f, 1e-8f, 0f, 0f);
        Optimizer.Schedule s = new Optimizer.Schedule(Optimizer.ScheduleKind.LINEAR, 0.2f, 2, 10);
        float decay = 0.95f;
        SplittableRandom r = new SplittableRandom(21);
        try (Sequential net = net(dev); AdamOptimizer opt = new AdamOptimizer(net, hp, s, decay)) {
            int n = net.parameters().numel();
            float[] p = net.parameters().toArray(), m = new float[n], v = new float[n], e = p.clone();
            assertArrayEquals(p, opt.average().toArray(), "the EMA starts at the parameters");
            for (int t = 1; t <= 12; t++) {
                float[] g = RandomData.normal(r, n, 1.0);
                net.gradients().copyFrom(g);
                opt.update();
                float rate = OptimizerReference.scheduledRate(t, hp.lr(), s.kind().code(), s.finalFraction(), s.warmup(), s.total());
                assertEquals(rate, opt.lastRate(), Math.ulp(rate), "rate of update " + t);
                OptimizerReference.adam(p, g, m, v, t, rate, hp.beta1(), hp.beta2(), hp.eps(), 0, 0, true);
                OptimizerReference.ema(e, p, t, decay);
                Tolerance.assertClose("params after " + t, net.parameters().toArray(), p, 2e-7, 1e-6);
                Tolerance.assertClose("ema after " + t, opt.average().toArray(), e, 2e-7, 1e-6);
            }
            assertEquals(12, opt.steps());
            float[] trained = net.parameters().toArray();
            float[] x = RandomData.normal(r, 4 * 3, 1.0);
            try (Tensor tx = Tensor.of(dev, Shape.of(4, 3), x); Sequential.Pass pass = net.pass(4);
                 Sequential twin = net(dev); Sequential.Pass twinPass = twin.pass(4)) {
                float[] withEma = opt.withAverage(() -> pass.forward(tx, false).toArray());
                twin.parameters().copyFrom(opt.average().toArray());
                assertArrayEquals(twinPass.forward(tx, false).toArray(), withEma, "forward on the EMA weights");
            }
            assertArrayEquals(trained, net.parameters().toArray(), "trained parameters put back");
        }
    }

    /**
     * A constant schedule without EMA stays on the scalar path (adam_update: no rate buffer), and
     * EMA at a constant rate moves the parameters exactly as the scalar path does.
     */
    @ParameterizedTest(name = "[{0}] constant rate: the scalar path's parameters")
    @MethodSource("jgan.testing.TestDevices#all")
    void constantRateKeepsTheScalarPathsParameters(Target target) {
        Device dev = target.device();
        Optimizer.Adam hp = new Optimizer.Adam(0.005f, 0.5f, 0.999f, 1e-8f, 0f, 0f);
        SplittableRandom r = new SplittableRandom(8);
        try (Sequential a = net(dev); Sequential b = net(dev); Sequential c = net(dev);
             AdamOptimizer plain = new AdamOptimizer(a, hp);
             AdamOptimizer constant = new AdamOptimizer(b, hp, Optimizer.Schedule.constant(50), 0f);
             AdamOptimizer ema = new AdamOptimizer(c, hp, null, 0.99f)) {
            assertNull(constant.schedule());
            assertNull(constant.average());
            for (int t = 1; t <= 5; t++) {
                float[] g = RandomData.normal(r, a.parameters().numel(), 1.0);
                for (Sequential s : new Sequential[] {a, b, c}) {
                    s.gradients().copyFrom(g);
                }
                plain.update();
                constant.update();
                ema.update();
            }
            assertArrayEquals(a.parameters().toArray(), b.parameters().toArray());
            assertArrayEquals(a.parameters().toArray(), c.parameters().toArray());
            assertEquals(hp.lr(), ema.lastRate(), 0f);
        }
    }

    @org.junit.jupiter.api.Test
    void badDecayIsRefused() {
        Device dev = jgan.testing.TestDevices.host();
        try (Sequential n = net(dev)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new AdamOptimizer(n, Optimizer.Adam.of(1e-3f), null, 1f));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("EMA decay must be in [0, 1)"), e.getMessage());
        }
    }
}
