package jgan.nn;

import jgan.device.DeviceBuffer;
import jgan.kernels.Optimizer;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * Adam for one {@link Sequential}: its moments are flat tensors beside the network's flat
 * parameters, and its step count lives on the device, so {@link #update} is a fixed sequence of
 * launches that a CUDA graph can replay as they are.
 *
 * <p>Without a schedule and EMA (the two-argument constructor, or a constant schedule and EMA
 * decay 0) an update is two launches: adam_update (which also zeroes the gradients) and the
 * count's increment, exactly as before schedules existed. With a learning-rate schedule it is
 * three: lr_schedule (the rate of this update into a device float, from the device step count),
 * adam_update_lr (reads it; updates the EMA of the new parameters in the same pass when there is
 * one) and the increment; with an EMA at a constant rate, adam_update_lr and the increment. See {@link Optimizer#lrSchedule} and {@link Optimizer#adamScheduled}.
 *
 * <p>The EMA (an exponential moving average of the parameters, [numel] flat like them) starts as
 * a copy of the parameters when the optimizer is made: make it after initialising the network,
 * or call {@link #resetAverage()}.
 */
public final class AdamOptimizer implements AutoCloseable {
    private final Sequential net;
    private final Optimizer.Adam hp;
    private final Optimizer.Schedule schedule;
    private final float emaDecay;
    private final Tensor m;
    private final Tensor v;
    private final Tensor ema;
    private final DeviceBuffer step;
    /** The current learning rate (one float), written by lr_schedule; null on the scalar path. */
    private final DeviceBuffer lr;

    /** Adam at the constant rate {@code hp.lr()}, no EMA: adam_update + increment per update. */
    public AdamOptimizer(Sequential net, Optimizer.Adam hp) {
        this(net, hp, null, 0f);
    }

    /**
     * Adam whose rate follows {@code schedule} from {@code hp.lr()} (null: constant), and with an
     * EMA of the parameters of decay {@code emaDecay} in [0, 1) (0: none).
     */
    public AdamOptimizer(Sequential net, Optimizer.Adam hp, Optimizer.Schedule schedule, float emaDecay) {
        if (!(emaDecay >= 0 && emaDecay < 1)) {
            throw new IllegalArgumentException("adam: EMA decay must be in [0, 1) (0: no EMA), got " + emaDecay);
        }
        this.net = net;
        this.hp = hp;
        this.schedule = schedule == null || schedule.isConstant() ? null : schedule;
        this.emaDecay = emaDecay;
        int n = net.parameters().numel();
        this.m = Tensor.zeros(net.device(), Shape.of(n));
        this.v = Tensor.zeros(net.device(), Shape.of(n));
        this.step = net.device().allocate(4);
        net.device().fill32(step, 0, 1, 0);
        if (emaDecay > 0) {
            this.ema = Tensor.empty(net.device(), Shape.of(n));
            ema.copyFrom(net.parameters());
        } else {
            this.ema = null;
        }
        if (this.schedule != null || ema != null) {
            this.lr = net.device().allocate(4);
            net.device().copyToDevice(new float[] {hp.lr()}, 0, lr, 0, 1);
        } else {
            this.lr = null;
        }
    }

    public Optimizer.Adam hyperParameters() {
        return hp;
    }

    /** The schedule, or null for a constant rate. */
    public Optimizer.Schedule schedule() {
        return schedule;
    }

    /** The EMA decay; 0 when there is no EMA. */
    public float emaDecay() {
        return emaDecay;
    }

    /** One update from the accumulated gradients, which it leaves zeroed. */
    public void update() {
        if (lr == null) {
            Optimizer.adam(net.parameters(), net.gradients(), m, v, step, hp, true);
        } else {
            if (schedule != null) {
                Optimizer.lrSchedule(step, lr, hp.lr(), schedule);
            } // else lr holds hp.lr() since construction
            Optimizer.adamScheduled(net.parameters(), net.gradients(), m, v, ema, step, lr, hp, emaDecay, true);
        }
        Optimizer.incrementStep(step);
    }

    public Tensor firstMoment() {
        return m;
    }

    public Tensor secondMoment() {
        return v;
    }

    /** The EMA of the parameters (flat, [numel]), or null when there is none. */
    public Tensor average() {
        return ema;
    }

    /** Sets the EMA to the current parameters (after the network is initialised or loaded otherwise). */
    public void resetAverage() {
        if (ema != null) {
            ema.copyFrom(net.parameters());
        }
    }

    /**
     * Runs {@code body} with the EMA in the network's parameters, then puts the trained
     * parameters back (bit for bit); without an EMA it just runs {@code body}. For samples and
     * evaluation; not to be called while a step is being captured.
     */
    public <T> T withAverage(java.util.function.Supplier<T> body) {
        if (ema == null) {
            return body.get();
        }
        Tensor params = net.parameters();
        try (Tensor saved = Tensor.empty(net.device(), params.shape())) {
            saved.copyFrom(params);
            params.copyFrom(ema);
            try {
                return body.get();
            } finally {
                params.copyFrom(saved);
            }
        }
    }

    /**
     * The rate the last update used (reads the device); {@code hp.lr()} on the scalar path and
     * before the first update.
     */
    public float lastRate() {
        if (lr == null) {
            return hp.lr();
        }
        float[] r = new float[1];
        net.device().copyToHost(lr, 0, r, 0, 1);
        return r[0];
    }

    /** Updates done so far (reads the device). */
    public int steps() {
        int[] s = new int[1];
        net.device().copyToHost(step, 0, s, 0, 1);
        return s[0];
    }

    /** Restores the step count (from a checkpoint). */
    public void setSteps(int steps) {
        net.device().copyToDevice(new int[] {steps}, 0, step, 0, 1);
    }

    @Override
    public void close() {
        m.close();
        v.close();
        step.close();
        if (ema != null) {
            ema.close();
        }
        if (lr != null) {
            lr.close();
        }
    }
}
