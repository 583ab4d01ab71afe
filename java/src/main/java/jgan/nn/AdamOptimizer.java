package jgan.nn;

import jgan.device.DeviceBuffer;
import jgan.kernels.Optimizer;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * Adam for one {@link Sequential}: its moments are flat tensors beside the network's flat
 * parameters, and its step count lives on the device, so {@link #update} is two launches (the
 * update, which also zeroes the gradients, and the count's increment) that a CUDA graph can
 * replay as they are.
 */
public final class AdamOptimizer implements AutoCloseable {
    private final Sequential net;
    private final Optimizer.Adam hp;
    private final Tensor m;
    private final Tensor v;
    private final DeviceBuffer step;

    public AdamOptimizer(Sequential net, Optimizer.Adam hp) {
        this.net = net;
        this.hp = hp;
        int n = net.parameters().numel();
        this.m = Tensor.zeros(net.device(), Shape.of(n));
        this.v = Tensor.zeros(net.device(), Shape.of(n));
        this.step = net.device().allocate(4);
        net.device().fill32(step, 0, 1, 0);
    }

    public Optimizer.Adam hyperParameters() {
        return hp;
    }

    /** One update from the accumulated gradients, which it leaves zeroed. */
    public void update() {
        Optimizer.adam(net.parameters(), net.gradients(), m, v, step, hp, true);
        Optimizer.incrementStep(step);
    }

    public Tensor firstMoment() {
        return m;
    }

    public Tensor secondMoment() {
        return v;
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
    }
}
