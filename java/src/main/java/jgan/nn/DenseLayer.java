package jgan.nn;

import java.util.SplittableRandom;

import jgan.kernels.Activation;
import jgan.kernels.Dense;
import jgan.kernels.MathMode;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * A fully connected layer with its activation fused into the GEMM's epilogue (and the
 * activation's derivative into the backward's operand load): kernels/dense.cu. Parameters in
 * the flat buffer: W [out, in] then b [out].
 */
public final class DenseLayer implements Layer {
    private final int in;
    private final int out;
    private final Activation activation;
    private final float slope;
    private final MathMode mode;

    public DenseLayer(int in, int out, Activation activation, float slope, MathMode mode) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("dense layer " + in + " -> " + out + ": widths must be >= 1");
        }
        this.in = in;
        this.out = out;
        this.activation = activation;
        this.slope = slope;
        this.mode = mode;
    }

    /** The same layer with an activation fused in (it had none). */
    DenseLayer withActivation(Activation act, float actSlope) {
        if (activation != Activation.IDENTITY) {
            throw new IllegalStateException("dense layer already has activation " + activation);
        }
        return new DenseLayer(in, out, act, actSlope, mode);
    }

    public Activation activation() {
        return activation;
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    @Override
    public int parameterCount() {
        return out * in + out;
    }

    @Override
    public void initialize(float[] flat, int offset, Init init, SplittableRandom rng) {
        init.fill(flat, offset, flat, offset + out * in, in, out, rng);
    }

    private Tensor weights(Tensor params) {
        return params.view(0, Shape.of(out, in));
    }

    private Tensor bias(Tensor params) {
        return params.view((long) out * in, Shape.of(out));
    }

    @Override
    public void forward(Tensor params, Tensor x, Tensor y) {
        Dense.forward(x, weights(params), bias(params), y, activation, slope, mode);
    }

    @Override
    public void backward(Tensor params, Tensor grads, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean paramGrads) {
        if (paramGrads) {
            Dense.backwardWeight(dy, y, x, weights(grads), bias(grads), activation, slope, true, mode);
        }
        if (dx != null) {
            Dense.backwardData(dy, y, weights(params), dx, activation, slope, mode);
        }
    }

    @Override
    public String describe() {
        String act = switch (activation) {
            case IDENTITY -> "";
            case RELU -> ", relu";
            case LEAKY_RELU -> ", leaky_relu(" + slope + ")";
            case TANH -> ", tanh";
        };
        return "dense " + in + " -> " + out + act + " [" + mode.name().toLowerCase() + "]";
    }
}
