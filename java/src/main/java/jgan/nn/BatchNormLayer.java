package jgan.nn;

import java.util.SplittableRandom;

import jgan.device.Device;
import jgan.kernels.Activation;
import jgan.kernels.BatchNorm;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * Batch normalisation, PyTorch's nn.BatchNorm1d after a dense layer (x [batch, C]) or
 * nn.BatchNorm2d after a convolution (x [batch, H, W, C], NHWC, statistics per channel over
 * batch*H*W), with the following activation fused into its normalising pass: {@link BatchNorm}
 * (kernels/batch_norm.cu). Parameters in the flat buffer: weight (gamma) [C] then bias (beta) [C];
 * state in the network's buffer: running_mean [C] then running_var [C] (start 0 and 1).
 *
 * <p>Training forward: batch statistics, running statistics updated with momentum (PyTorch's 0.1:
 * {@code new = 0.9 old + 0.1 batch}, the variance unbiased). Eval forward: the running statistics.
 * After a convolution the statistics come from the convolution's epilogue partials when
 * {@link #statsFromProducer()} (chosen by {@link Sequential.Builder}); otherwise the layer
 * computes them. The backward is the training-mode one (from the saved batch mean and invstd).
 */
public final class BatchNormLayer implements Layer {
    private final Shape shape;
    private final int channels;
    private final Activation activation;
    private final float slope;
    private final float eps;
    private final float momentum;
    private final boolean statsFromProducer;

    /** @throws IllegalArgumentException for a shape neither [C] nor [H, W, C], or eps/momentum out of range */
    public BatchNormLayer(Shape shape, Activation activation, float slope, float eps, float momentum, boolean statsFromProducer) {
        if (shape.rank() != 1 && shape.rank() != 3) {
            throw new IllegalArgumentException("batch_norm: input " + shape + " must be [C] or [H, W, C]");
        }
        if (!(eps > 0f) || !Float.isFinite(eps) || !(momentum >= 0f && momentum <= 1f)) {
            throw new IllegalArgumentException("batch_norm: eps must be > 0 and momentum in [0, 1], got eps " + eps + ", momentum "
                    + momentum);
        }
        this.shape = shape;
        this.channels = shape.dim(shape.rank() - 1);
        this.activation = activation;
        this.slope = activation == Activation.RELU ? 0f : slope;
        this.eps = eps;
        this.momentum = momentum;
        this.statsFromProducer = statsFromProducer;
    }

    BatchNormLayer withActivation(Activation act, float actSlope) {
        if (activation != Activation.IDENTITY) {
            throw new IllegalStateException("batch_norm already has activation " + activation);
        }
        return new BatchNormLayer(shape, act, actSlope, eps, momentum, statsFromProducer);
    }

    public int channels() {
        return channels;
    }

    public Activation activation() {
        return activation;
    }

    public float slope() {
        return slope;
    }

    public float eps() {
        return eps;
    }

    public float momentum() {
        return momentum;
    }

    /** True when the statistics come from the preceding convolution's epilogue. */
    public boolean statsFromProducer() {
        return statsFromProducer;
    }

    @Override
    public Shape inShape() {
        return shape;
    }

    @Override
    public Shape outShape() {
        return shape;
    }

    @Override
    public int parameterCount() {
        return 2 * channels;
    }

    @Override
    public int bufferCount() {
        return 2 * channels;
    }

    @Override
    public int torchModules() {
        return activation == Activation.IDENTITY ? 1 : 2;
    }

    @Override
    public void initialize(float[] flat, int offset, Init init, SplittableRandom rng) {
        init.batchNorm(flat, offset, offset + channels, channels, rng);
    }

    @Override
    public void initializeBuffers(float[] flat, int offset) {
        java.util.Arrays.fill(flat, offset, offset + channels, 0f);
        java.util.Arrays.fill(flat, offset + channels, offset + 2 * channels, 1f);
    }

    private Tensor part(Tensor flat, int i) {
        return flat == null ? null : flat.view((long) i * channels, Shape.of(channels));
    }

    @Override
    public Pass pass(Device device, int batch) {
        return new Pass(device);
    }

    /** One batch size: the saved batch mean and invstd, and the producer's partials when it has them. */
    final class Pass implements Layer.Pass {
        private final Device device;
        private final Tensor saved;
        private Tensor partials;
        private Tensor scratch;
        private boolean trained;

        Pass(Device device) {
            this.device = device;
            this.saved = Tensor.zeros(device, Shape.of(2 * channels));
        }

        /** The statistics partials the producing convolution writes in its training forward. */
        void usePartials(Tensor p) {
            this.partials = p;
        }

        @Override
        public void forward(Tensor params, Tensor buffers, Tensor x, Tensor y, boolean training) {
            if (training) {
                if (partials != null) {
                    BatchNorm.forwardTrain(x, partials, part(params, 0), part(params, 1), y, part(saved, 0), part(saved, 1),
                            part(buffers, 0), part(buffers, 1), momentum, eps, activation, slope);
                } else {
                    BatchNorm.forwardTrain(x, part(params, 0), part(params, 1), y, part(saved, 0), part(saved, 1), part(buffers, 0),
                            part(buffers, 1), momentum, eps, activation, slope);
                }
                trained = true;
            } else {
                BatchNorm.forwardEval(x, part(params, 0), part(params, 1), part(buffers, 0), part(buffers, 1), y, eps, activation, slope);
            }
        }

        @Override
        public void backward(Tensor params, Tensor grads, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean paramGrads) {
            if (!trained) {
                throw new IllegalStateException("batch_norm: backward needs a training forward first");
            }
            if (dx == null) {
                if (!paramGrads) {
                    return;
                }
                if (scratch == null) {
                    scratch = Tensor.empty(device, x.shape());
                }
                dx = scratch;
            }
            BatchNorm.backward(dy, activation == Activation.IDENTITY ? null : y, x, part(params, 0), part(saved, 0), part(saved, 1), dx,
                    paramGrads ? part(grads, 0) : null, paramGrads ? part(grads, 1) : null, activation, slope, true);
        }

        @Override
        public void close() {
            saved.close();
            if (scratch != null) {
                scratch.close();
            }
        }
    }

    @Override
    public String describe() {
        return "batch_norm " + (shape.rank() == 1 ? "1d " : "2d ") + shape + ActivationLayer.suffix(activation, slope)
                + (statsFromProducer ? ", statistics from the conv epilogue" : "");
    }
}
