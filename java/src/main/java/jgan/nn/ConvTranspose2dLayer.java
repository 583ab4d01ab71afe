package jgan.nn;

import java.util.SplittableRandom;

import jgan.device.Device;
import jgan.kernels.Activation;
import jgan.kernels.ConvProblem;
import jgan.kernels.ConvTranspose2d;
import jgan.kernels.MathMode;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * A transposed 2-D convolution (PyTorch's nn.ConvTranspose2d with padding and output_padding,
 * dilation 1) with bias and activation fused: {@link ConvTranspose2d}, run as the mirrored
 * convolution {@link ConvProblem#transposed}. x [batch, hIn, wIn, in] (NHWC),
 * y [batch, hOut, wOut, out] with hOut = (hIn - 1) stride - 2 padding + filter + outputPadding.
 * Parameters in the flat buffer: w [in, kh, kw, out] (PyTorch's [in, out, kh, kw] with its
 * dimension 1 moved last) then, when it has one, bias [out]. It computes no batch-norm partials:
 * a batch norm after it computes its own statistics.
 */
public final class ConvTranspose2dLayer implements Layer {
    private final int hIn;
    private final int wIn;
    private final int in;
    private final int out;
    private final int filter;
    private final int stride;
    private final int padding;
    private final int outputPadding;
    private final boolean bias;
    private final Activation activation;
    private final float slope;
    private final MathMode mode;
    private final ConvProblem template;

    /** @throws IllegalArgumentException when the sizes give no output or output_padding is not below the stride (PyTorch's rule) */
    public ConvTranspose2dLayer(Shape inShape, int out, int filter, int stride, int padding, int outputPadding, boolean bias,
                                Activation activation, float slope, MathMode mode) {
        if (inShape.rank() != 3) {
            throw new IllegalArgumentException("conv_transpose2d: input " + inShape + " must be an image [H, W, C]");
        }
        this.hIn = inShape.dim(0);
        this.wIn = inShape.dim(1);
        this.in = inShape.dim(2);
        this.out = out;
        this.filter = filter;
        this.stride = stride;
        this.padding = padding;
        this.outputPadding = outputPadding;
        this.bias = bias;
        this.activation = activation;
        this.slope = activation == Activation.RELU ? 0f : slope;
        this.mode = mode;
        if (out < 1) {
            throw new IllegalArgumentException("conv_transpose2d: output channels must be >= 1, got " + out);
        }
        this.template = ConvProblem.transposed(1, hIn, wIn, in, out, filter, stride, padding, outputPadding, 1);
    }

    ConvTranspose2dLayer withActivation(Activation act, float actSlope) {
        if (activation != Activation.IDENTITY) {
            throw new IllegalStateException("conv_transpose2d already has activation " + activation);
        }
        return new ConvTranspose2dLayer(inShape(), out, filter, stride, padding, outputPadding, bias, act, actSlope, mode);
    }

    /** The mirrored convolution at batch {@code n} (its output [n, hIn, wIn, in] is this layer's input). */
    public ConvProblem problem(int n) {
        return ConvProblem.transposed(n, hIn, wIn, in, out, filter, stride, padding, outputPadding, 1);
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

    public int filter() {
        return filter;
    }

    @Override
    public Shape inShape() {
        return Shape.of(hIn, wIn, in);
    }

    @Override
    public Shape outShape() {
        return Shape.of(template.h(), template.w(), out);
    }

    private int weightCount() {
        return in * filter * filter * out;
    }

    @Override
    public int parameterCount() {
        return weightCount() + (bias ? out : 0);
    }

    @Override
    public int torchModules() {
        return activation == Activation.IDENTITY ? 1 : 2;
    }

    @Override
    public void initialize(float[] flat, int offset, Init init, SplittableRandom rng) {
        // PyTorch's fan_in of a [in, out, kh, kw] weight is its dimension 1 times the kernel area.
        int fanIn = out * filter * filter, fanOut = in * filter * filter;
        init.weights(flat, offset, weightCount(), fanIn, fanOut, rng);
        if (bias) {
            init.bias(flat, offset + weightCount(), out, fanIn, rng);
        }
    }

    Tensor weights(Tensor params) {
        return params.view(0, template.filterShape());
    }

    Tensor bias(Tensor params) {
        return bias ? params.view(weightCount(), Shape.of(out)) : null;
    }

    @Override
    public Layer.Pass pass(Device device, int batch) {
        ConvProblem pr = problem(batch);
        return new Layer.Pass() {
            @Override
            public void forward(Tensor params, Tensor buffers, Tensor x, Tensor y, boolean training) {
                ConvTranspose2d.forward(pr, x, weights(params), bias(params), y, activation, slope, mode);
            }

            @Override
            public void backward(Tensor params, Tensor grads, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean paramGrads) {
                Tensor yy = activation == Activation.IDENTITY ? null : y;
                if (paramGrads) {
                    ConvTranspose2d.backwardWeight(pr, dy, yy, x, weights(grads), bias(grads), activation, slope, true, mode);
                }
                if (dx != null) {
                    ConvTranspose2d.backwardData(pr, dy, yy, weights(params), dx, activation, slope, mode);
                }
            }
        };
    }

    @Override
    public String describe() {
        Shape o = outShape();
        return "conv_transpose2d " + hIn + "x" + wIn + "x" + in + " -> " + o.dim(0) + "x" + o.dim(1) + "x" + out + " k" + filter + " s"
                + stride + " p" + padding + (outputPadding != 0 ? " output_padding " + outputPadding : "") + (bias ? "" : " (no bias)")
                + ActivationLayer.suffix(activation, slope) + " [" + mode.name().toLowerCase() + "]";
    }
}
