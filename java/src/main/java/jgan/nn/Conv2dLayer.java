package jgan.nn;

import java.util.SplittableRandom;

import jgan.device.Device;
import jgan.kernels.Activation;
import jgan.kernels.Conv2d;
import jgan.kernels.ConvProblem;
import jgan.kernels.MathMode;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * A 2-D convolution (PyTorch's nn.Conv2d, dilation 1) with bias and activation fused into the
 * implicit GEMM's epilogue: {@link Conv2d} (kernels/conv.cu). x [batch, H, W, C] (NHWC),
 * y [batch, P, Q, K]. Parameters in the flat buffer: w [K, R, S, C] (KRSC) then, when it has
 * one, bias [K]. Padding may be asymmetric (TensorFlow's 'same': {@link ConvProblem#same}).
 *
 * <p>When batch norm follows ({@link #feedsBatchNorm()}, chosen by {@link Sequential.Builder}),
 * the training forward also writes the batch-norm statistics partials of its output in the
 * epilogue (Conv2d.fprop's bnPartials), which the batch norm layer consumes instead of
 * reading the tensor again; such a convolution has no fused activation.
 */
public final class Conv2dLayer implements Layer {
    /** The problem at batch 1; the batch is put in per pass. */
    private final ConvProblem template;
    private final boolean bias;
    private final Activation activation;
    private final float slope;
    private final MathMode mode;
    private final boolean feedsBatchNorm;

    /**
     * @param template the convolution at batch 1 (its n is ignored)
     * @throws IllegalArgumentException if batch-norm partials are asked for with an activation
     */
    public Conv2dLayer(ConvProblem template, boolean bias, Activation activation, float slope, MathMode mode, boolean feedsBatchNorm) {
        if (feedsBatchNorm && activation != Activation.IDENTITY) {
            throw new IllegalArgumentException("conv2d: a convolution feeding batch norm takes no activation, got " + activation);
        }
        this.template = at(template, 1);
        this.bias = bias;
        this.activation = activation;
        this.slope = activation == Activation.RELU ? 0f : slope;
        this.mode = mode;
        this.feedsBatchNorm = feedsBatchNorm;
    }

    static ConvProblem at(ConvProblem p, int n) {
        return new ConvProblem(n, p.h(), p.w(), p.c(), p.k(), p.r(), p.s(), p.padTop(), p.padBottom(), p.padLeft(), p.padRight(),
                p.strideH(), p.strideW(), p.dilationH(), p.dilationW());
    }

    Conv2dLayer withActivation(Activation act, float actSlope) {
        if (activation != Activation.IDENTITY) {
            throw new IllegalStateException("conv2d already has activation " + activation);
        }
        return new Conv2dLayer(template, bias, act, actSlope, mode, feedsBatchNorm);
    }

    Conv2dLayer feedingBatchNorm() {
        return new Conv2dLayer(template, bias, activation, slope, mode, true);
    }

    /** The convolution at batch {@code n}. */
    public ConvProblem problem(int n) {
        return at(template, n);
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

    public boolean feedsBatchNorm() {
        return feedsBatchNorm;
    }

    @Override
    public Shape inShape() {
        return Shape.of(template.h(), template.w(), template.c());
    }

    @Override
    public Shape outShape() {
        return Shape.of(template.p(), template.q(), template.k());
    }

    private int weightCount() {
        return template.k() * template.r() * template.s() * template.c();
    }

    @Override
    public int parameterCount() {
        return weightCount() + (bias ? template.k() : 0);
    }

    @Override
    public int torchModules() {
        return activation == Activation.IDENTITY ? 1 : 2;
    }

    @Override
    public void initialize(float[] flat, int offset, Init init, SplittableRandom rng) {
        int fanIn = template.c() * template.r() * template.s(), fanOut = template.k() * template.r() * template.s();
        init.weights(flat, offset, weightCount(), fanIn, fanOut, rng);
        if (bias) {
            init.bias(flat, offset + weightCount(), template.k(), fanIn, rng);
        }
    }

    Tensor weights(Tensor params) {
        return params.view(0, template.filterShape());
    }

    Tensor bias(Tensor params) {
        return bias ? params.view(weightCount(), Shape.of(template.k())) : null;
    }

    @Override
    public Pass pass(Device device, int batch) {
        return new Pass(device, batch);
    }

    /** One batch size: the problem, and the batch-norm partials when batch norm follows. */
    final class Pass implements Layer.Pass {
        private final ConvProblem pr;
        private final Tensor partials;

        Pass(Device device, int batch) {
            this.pr = problem(batch);
            this.partials = feedsBatchNorm ? Tensor.empty(device, Conv2d.bnPartialsShape(pr)) : null;
        }

        /** The statistics partials the training forward writes, [ceil(N*P*Q/64), K, 3]; null unless batch norm follows. */
        Tensor bnPartials() {
            return partials;
        }

        @Override
        public void forward(Tensor params, Tensor buffers, Tensor x, Tensor y, boolean training) {
            Conv2d.fprop(pr, x, weights(params), bias(params), y, activation, slope, mode, training ? partials : null);
        }

        @Override
        public void backward(Tensor params, Tensor grads, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean paramGrads) {
            Tensor yy = activation == Activation.IDENTITY ? null : y;
            if (paramGrads) {
                Conv2d.wgrad(pr, dy, yy, x, weights(grads), bias(grads), activation, slope, true, mode);
            }
            if (dx != null) {
                Conv2d.dgrad(pr, dy, yy, weights(params), dx, activation, slope, false, mode);
            }
        }

        @Override
        public void close() {
            if (partials != null) {
                partials.close();
            }
        }
    }

    @Override
    public String describe() {
        ConvProblem p = template;
        return "conv2d " + p.h() + "x" + p.w() + "x" + p.c() + " -> " + p.p() + "x" + p.q() + "x" + p.k() + " k" + p.r() + "x" + p.s()
                + " s" + p.strideH() + " pad (" + p.padTop() + ", " + p.padBottom() + ", " + p.padLeft() + ", " + p.padRight() + ")"
                + (bias ? "" : " (no bias)") + ActivationLayer.suffix(activation, slope) + (feedsBatchNorm ? ", bn partials" : "") + " ["
                + mode.name().toLowerCase() + "]";
    }
}
