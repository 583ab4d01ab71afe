package jgan.nn;

import java.util.SplittableRandom;

import jgan.device.Device;
import jgan.kernels.Activation;
import jgan.kernels.Dense;
import jgan.kernels.MathMode;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * A fully connected layer (PyTorch's nn.Linear) with its activation fused into the GEMM's
 * epilogue (and the activation's derivative into the backward's operand load): kernels/dense.cu.
 * x [batch, in], y [batch, out]. Parameters in the flat buffer: W [out, in] then, when it has
 * one, b [out]. A dense layer that feeds batch norm has no bias (the normalisation removes it).
 */
public final class DenseLayer implements Layer {
    private final int in;
    private final int out;
    private final boolean bias;
    private final Activation activation;
    private final float slope;
    private final MathMode mode;

    public DenseLayer(int in, int out, Activation activation, float slope, MathMode mode) {
        this(in, out, true, activation, slope, mode);
    }

    /**
     * @throws IllegalArgumentException if a width is below 1
     */
    public DenseLayer(int in, int out, boolean bias, Activation activation, float slope, MathMode mode) {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("dense layer " + in + " -> " + out + ": widths must be >= 1");
        }
        this.in = in;
        this.out = out;
        this.bias = bias;
        this.activation = activation;
        this.slope = activation == Activation.RELU ? 0f : slope;
        this.mode = mode;
    }

    /** The same layer with an activation fused in (it had none). */
    DenseLayer withActivation(Activation act, float actSlope) {
        if (activation != Activation.IDENTITY) {
            throw new IllegalStateException("dense layer already has activation " + activation);
        }
        return new DenseLayer(in, out, bias, act, actSlope, mode);
    }

    public Activation activation() {
        return activation;
    }

    public float slope() {
        return slope;
    }

    public boolean hasBias() {
        return bias;
    }

    /** The math mode of the layer's GEMMs. */
    public MathMode mathMode() {
        return mode;
    }

    @Override
    public Shape inShape() {
        return Shape.of(in);
    }

    @Override
    public Shape outShape() {
        return Shape.of(out);
    }

    @Override
    public int parameterCount() {
        return out * in + (bias ? out : 0);
    }

    @Override
    public int torchModules() {
        return activation == Activation.IDENTITY ? 1 : 2;
    }

    @Override
    public void initialize(float[] flat, int offset, Init init, SplittableRandom rng) {
        init.fill(flat, offset, flat, bias ? offset + out * in : -1, in, out, rng);
    }

    Tensor weights(Tensor params) {
        return params.view(0, Shape.of(out, in));
    }

    Tensor bias(Tensor params) {
        return bias ? params.view((long) out * in, Shape.of(out)) : null;
    }

    @Override
    public Layer.Pass pass(Device device, int batch) {
        return new Layer.Pass() {
            @Override
            public void forward(Tensor params, Tensor buffers, Tensor x, Tensor y, boolean training) {
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
        };
    }

    @Override
    public String describe() {
        return "dense " + in + " -> " + out + (bias ? "" : " (no bias)") + ActivationLayer.suffix(activation, slope) + " ["
                + mode.name().toLowerCase() + "]";
    }
}
