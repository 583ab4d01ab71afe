package jgan.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.kernels.Activation;
import jgan.kernels.BatchNorm;
import jgan.kernels.ConvProblem;
import jgan.kernels.Counters;
import jgan.kernels.MathMode;
import jgan.tensor.HostTensor;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * A chain of layers on per-sample shapes ([F] vectors, [H, W, C] NHWC images) whose parameters
 * live in ONE flat buffer and their gradients in another, so that an optimizer updates the whole
 * network in one launch; non-trained state (batch norm's running statistics) lives in a third
 * flat buffer, {@link #buffers()}, which no optimizer sees. Forward keeps what backward needs (in
 * a {@link Pass}, one per batch size); backward returns the input gradient and adds the
 * parameter gradients. There is no general autograd: each layer knows its own backward.
 *
 * <p>A network with batch norm counts its training forwards on the device (an int64 advanced by
 * a kernel, so a replayed CUDA graph counts too): {@link #trainingForwards()}, PyTorch's
 * num_batches_tracked.
 *
 * <p>{@link #stateDict()} and {@link #loadStateDict(Map)} map the network to the state_dict of
 * the equivalent PyTorch {@code nn.Sequential} held as {@code self.main} (bench/parity/models.py).
 */
public final class Sequential implements AutoCloseable {
    private final Device device;
    private final List<Layer> layers;
    private final long[] offsets;
    private final long[] bufferOffsets;
    private final Tensor params;
    private final Tensor grads;
    private final Tensor buffers;
    private final DeviceBuffer counter;
    private final List<Tensor> paramViews = new ArrayList<>();
    private final List<Tensor> gradViews = new ArrayList<>();
    private final List<Tensor> bufferViews = new ArrayList<>();
    private final List<Pass> passes = new ArrayList<>();

    private Sequential(Device device, List<Layer> layers) {
        this.device = device;
        this.layers = List.copyOf(layers);
        this.offsets = new long[layers.size() + 1];
        this.bufferOffsets = new long[layers.size() + 1];
        boolean bn = false;
        for (int i = 0; i < layers.size(); i++) {
            offsets[i + 1] = offsets[i] + layers.get(i).parameterCount();
            bufferOffsets[i + 1] = bufferOffsets[i] + layers.get(i).bufferCount();
            bn |= layers.get(i) instanceof BatchNormLayer;
        }
        if (offsets[layers.size()] > Integer.MAX_VALUE || bufferOffsets[layers.size()] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a network of more than 2^31 - 1 parameters");
        }
        int count = (int) Math.max(1, offsets[layers.size()]); // a parameter-free net still gets a 1-float buffer
        this.params = Tensor.zeros(device, Shape.of(count));
        this.grads = Tensor.zeros(device, Shape.of(count));
        this.buffers = Tensor.zeros(device, Shape.of((int) Math.max(1, bufferOffsets[layers.size()])));
        for (int i = 0; i < layers.size(); i++) {
            int n = layers.get(i).parameterCount(), nb = layers.get(i).bufferCount();
            paramViews.add(n == 0 ? null : params.view(offsets[i], Shape.of(n)));
            gradViews.add(n == 0 ? null : grads.view(offsets[i], Shape.of(n)));
            bufferViews.add(nb == 0 ? null : buffers.view(bufferOffsets[i], Shape.of(nb)));
        }
        if (bn) {
            this.counter = device.allocate(8);
            device.fill32(counter, 0, 2, 0);
        } else {
            this.counter = null;
        }
        initializeBuffers();
    }

    /** Starts a network whose input has {@code features} features: [batch, features]. */
    public static Builder builder(int features) {
        if (features < 1) {
            throw new IllegalArgumentException("a network needs at least one input feature, got " + features);
        }
        return new Builder(Shape.of(features));
    }

    /** Starts a network whose per-sample input is {@code in}: [F] or an image [H, W, C]. */
    public static Builder builder(Shape in) {
        if (in.rank() != 1 && in.rank() != 3) {
            throw new IllegalArgumentException("a network's input must be [F] or [H, W, C], got " + in);
        }
        return new Builder(in);
    }

    /**
     * Layers are added in order; fusions are chosen here, as layers are added: an activation right
     * after a dense layer, a convolution, a transposed convolution or a batch norm is fused into
     * it (epilogue / normalising pass); a batch norm right after a convolution with no activation
     * takes its statistics from that convolution's epilogue. Each method throws
     * IllegalArgumentException when the layer does not fit the current shape.
     */
    public static final class Builder {
        private final List<Layer> layers = new ArrayList<>();
        private final Shape input;
        private Shape shape;
        private MathMode mode = MathMode.FP32;

        private Builder(Shape in) {
            this.input = in;
            this.shape = in;
        }

        /** The per-sample shape after the layers added so far. */
        public Shape shape() {
            return shape;
        }

        /** Trained parameters of the layers added so far (counted in long: nothing is allocated). */
        public long parameterCount() {
            long n = 0;
            for (Layer l : layers) {
                n += l.parameterCount();
            }
            return n;
        }

        /** Floats of one sample's layer outputs, summed over the layers added so far (a forward pass keeps each; backward as many gradients). */
        public long activationCount() {
            long n = 0;
            for (Layer l : layers) {
                n += l.outShape().numel();
            }
            return n;
        }

        /** The math mode of the dense and convolution layers added after this call. */
        public Builder mathMode(MathMode mode) {
            this.mode = mode;
            return this;
        }

        private int features(String op) {
            if (shape.rank() != 1) {
                throw new IllegalArgumentException(op + ": needs a vector input [F], the network is at " + shape
                        + " (flatten() first)");
            }
            return shape.dim(0);
        }

        private Shape image(String op) {
            if (shape.rank() != 3) {
                throw new IllegalArgumentException(op + ": needs an image input [H, W, C], the network is at " + shape
                        + " (reshape(...) first)");
            }
            return shape;
        }

        private Builder add(Layer l) {
            layers.add(l);
            shape = l.outShape();
            return this;
        }

        /** A dense layer with bias (PyTorch's nn.Linear(in, out)). */
        public Builder dense(int out) {
            return dense(out, true);
        }

        /** A dense layer, with or without bias. */
        public Builder dense(int out, boolean bias) {
            return add(new DenseLayer(features("dense"), out, bias, Activation.IDENTITY, 0f, mode));
        }

        /** nn.Conv2d(C, out, filter, stride, padding, bias=bias) on the current image. */
        public Builder conv2d(int out, int filter, int stride, int padding, boolean bias) {
            Shape s = image("conv2d");
            return add(new Conv2dLayer(ConvProblem.of(1, s.dim(0), s.dim(1), s.dim(2), out, filter, stride, padding, 1), bias,
                    Activation.IDENTITY, 0f, mode, false));
        }

        /** A convolution with TensorFlow's 'same' padding: output ceil(H / stride) x ceil(W / stride) ({@link ConvProblem#same}). */
        public Builder conv2dSame(int out, int filter, int stride, boolean bias) {
            Shape s = image("conv2d");
            return add(new Conv2dLayer(ConvProblem.same(1, s.dim(0), s.dim(1), s.dim(2), out, filter, stride, 1), bias,
                    Activation.IDENTITY, 0f, mode, false));
        }

        /** nn.ConvTranspose2d(C, out, filter, stride, padding, output_padding, bias=bias) on the current image. */
        public Builder convTranspose2d(int out, int filter, int stride, int padding, int outputPadding, boolean bias) {
            return add(new ConvTranspose2dLayer(image("conv_transpose2d"), out, filter, stride, padding, outputPadding, bias,
                    Activation.IDENTITY, 0f, mode));
        }

        /** Batch norm with PyTorch's defaults: eps 1e-5, momentum 0.1. */
        public Builder batchNorm() {
            return batchNorm(BatchNorm.DEFAULT_EPS, BatchNorm.DEFAULT_MOMENTUM);
        }

        /** Batch norm (1d on [C], 2d on [H, W, C]). */
        public Builder batchNorm(float eps, float momentum) {
            int last = layers.size() - 1;
            boolean fromConv = false;
            if (last >= 0 && layers.get(last) instanceof Conv2dLayer c && c.activation() == Activation.IDENTITY) {
                layers.set(last, c.feedingBatchNorm()); // statistics partials in the conv's epilogue
                fromConv = true;
            }
            if (shape.rank() != 1 && shape.rank() != 3) {
                throw new IllegalArgumentException("batch_norm: needs [C] or [H, W, C], the network is at " + shape);
            }
            return add(new BatchNormLayer(shape, Activation.IDENTITY, 0f, eps, momentum, fromConv));
        }

        /** The same elements as {@code to} (e.g. a dense output [C*H*W] to the image [H, W, C]: PyTorch's nn.Unflatten). */
        public Builder reshape(Shape to) {
            return add(new ReshapeLayer(shape, to));
        }

        /** [H, W, C] to [H*W*C] (PyTorch's nn.Flatten). */
        public Builder flatten() {
            Shape s = image("flatten");
            return add(new ReshapeLayer(s, Shape.of((int) s.numel())));
        }

        public Builder activation(Activation act, float slope) {
            if (act == Activation.IDENTITY) {
                return this;
            }
            int last = layers.size() - 1;
            Layer prev = last >= 0 ? layers.get(last) : null;
            if (prev instanceof DenseLayer d && d.activation() == Activation.IDENTITY) {
                layers.set(last, d.withActivation(act, slope)); // fused into the GEMM epilogue
            } else if (prev instanceof Conv2dLayer c && c.activation() == Activation.IDENTITY && !c.feedsBatchNorm()) {
                layers.set(last, c.withActivation(act, slope));
            } else if (prev instanceof ConvTranspose2dLayer c && c.activation() == Activation.IDENTITY) {
                layers.set(last, c.withActivation(act, slope));
            } else if (prev instanceof BatchNormLayer b && b.activation() == Activation.IDENTITY) {
                layers.set(last, b.withActivation(act, slope)); // fused into the normalising pass
            } else {
                layers.add(new ActivationLayer(shape, act, slope));
            }
            return this;
        }

        public Builder leakyRelu(float slope) {
            return activation(Activation.LEAKY_RELU, slope);
        }

        public Builder relu() {
            return activation(Activation.RELU, 0f);
        }

        public Builder tanh() {
            return activation(Activation.TANH, 0f);
        }

        /** @throws IllegalStateException when no layer was added */
        public Sequential build(Device device) {
            if (layers.isEmpty()) {
                throw new IllegalStateException("a network needs at least one layer");
            }
            return new Sequential(device, layers);
        }
    }

    public Device device() {
        return device;
    }

    public List<Layer> layers() {
        return Collections.unmodifiableList(layers);
    }

    /** Per-sample input shape. */
    public Shape inShape() {
        return layers.get(0).inShape();
    }

    /** Per-sample output shape. */
    public Shape outShape() {
        return layers.get(layers.size() - 1).outShape();
    }

    public int inFeatures() {
        return layers.get(0).inFeatures();
    }

    public int outFeatures() {
        return layers.get(layers.size() - 1).outFeatures();
    }

    /** All parameters, flat (layer by layer; a dense layer's W [out, in] then b [out]; a conv's w [K, R, S, C] then bias; batch norm's weight then bias). */
    public Tensor parameters() {
        return params;
    }

    /** Their gradients, same layout; zero until a backward adds to them. */
    public Tensor gradients() {
        return grads;
    }

    /** Non-trained state, flat (each batch norm's running_mean [C] then running_var [C], in layer order); a 1-float buffer when there is none. */
    public Tensor buffers() {
        return buffers;
    }

    public int parameterCount() {
        return (int) offsets[layers.size()];
    }

    /** Floats of state in {@link #buffers()} (0 without batch norm). */
    public int bufferCount() {
        return (int) bufferOffsets[layers.size()];
    }

    /** Offset of layer i's parameters in {@link #parameters()}. */
    public long parameterOffset(int layer) {
        return offsets[layer];
    }

    /** Offset of layer i's state in {@link #buffers()}. */
    public long bufferOffset(int layer) {
        return bufferOffsets[layer];
    }

    /** True when the network has batch norm (and so a training-forward counter and state). */
    public boolean hasBatchNorm() {
        return counter != null;
    }

    /** Training forwards done so far (PyTorch's num_batches_tracked; reads the device); 0 without batch norm. */
    public long trainingForwards() {
        if (counter == null) {
            return 0;
        }
        int[] words = new int[2]; // little-endian int64
        device.copyToHost(counter, 0, words, 0, 2);
        return (words[0] & 0xFFFFFFFFL) | ((long) words[1] << 32);
    }

    /**
     * Sets the count (from a checkpoint or a state_dict).
     *
     * @throws IllegalArgumentException for a negative count, or a nonzero one on a network without batch norm
     */
    public void setTrainingForwards(long n) {
        if (n < 0 || (counter == null && n != 0)) {
            throw new IllegalArgumentException("training forwards " + n + (counter == null ? " for a network without batch norm" : " < 0"));
        }
        if (counter != null) {
            device.copyToDevice(new int[] {(int) n, (int) (n >>> 32)}, 0, counter, 0, 2);
        }
    }

    /** Draws fresh parameters on the host from {@code seed} and uploads them; zeroes the gradients; resets the state (running_mean 0, running_var 1) and the counter. */
    public void initialize(Init init, long seed) {
        float[] flat = new float[params.numel()];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).initialize(flat, (int) offsets[i], init, rng);
        }
        params.copyFrom(flat);
        grads.fill(0f);
        initializeBuffers();
        setTrainingForwards(0);
    }

    private void initializeBuffers() {
        float[] b = new float[buffers.numel()];
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).initializeBuffers(b, (int) bufferOffsets[i]);
        }
        buffers.copyFrom(b);
    }

    /**
     * PyTorch's state_dict of the equivalent {@code nn.Sequential} held as {@code self.main}:
     * keys main.&lt;module index&gt;.&lt;name&gt; in module order (a fused activation, a flatten
     * and an unflatten take a module index of their own); Linear weight [out, in], Conv2d OIHW,
     * ConvTranspose2d [in, out, kh, kw], batch norm weight, bias, running_mean, running_var [C]
     * and num_batches_tracked (I64 scalar, the network's training-forward count). A dense layer
     * next to a flatten or before an unflatten is permuted to PyTorch's (c, h, w) order.
     * Reads the device.
     *
     * @throws IllegalStateException for a network with a reshape other than flatten/unflatten (no PyTorch module matches it)
     */
    public LinkedHashMap<String, HostTensor> stateDict() {
        return TorchState.export(this);
    }

    /**
     * Loads a state_dict as {@link #stateDict()} writes it (e.g. from PyTorch). Refuses, naming
     * every one, missing keys, unexpected keys and entries of the wrong shape or dtype, before
     * anything is changed. num_batches_tracked: the first batch norm's value becomes the count.
     *
     * @throws IllegalArgumentException listing all the disagreements
     */
    public void loadStateDict(Map<String, HostTensor> state) {
        TorchState.load(this, state);
    }

    /** The names and PyTorch shapes {@link #stateDict()} writes, without reading the device. */
    public LinkedHashMap<String, long[]> stateDictShapes() {
        return TorchState.shapes(this);
    }

    /** The buffers to run this network on batches of {@code batch} samples; closed with the network. */
    public Pass pass(int batch) {
        Pass p = new Pass(batch);
        passes.add(p);
        return p;
    }

    private static Shape batched(int batch, Shape s) {
        int[] d = new int[s.rank() + 1];
        d[0] = batch;
        for (int i = 0; i < s.rank(); i++) {
            d[i + 1] = s.dim(i);
        }
        return Shape.of(d);
    }

    /**
     * One batch size's activations, gradients and per-layer state (batch norm's saved statistics,
     * a convolution's statistics partials): forward stores every layer's output, backward walks
     * back through them. The input given to forward must stay unchanged until backward.
     */
    public final class Pass implements AutoCloseable {
        private final int batch;
        private final List<Layer.Pass> layerPasses = new ArrayList<>();
        private final Tensor[] outputs;
        private final Tensor[] inputGrads;
        private Tensor input;
        private boolean lastTraining;

        private Pass(int batch) {
            if (batch < 1) {
                throw new IllegalArgumentException("batch must be >= 1, got " + batch);
            }
            this.batch = batch;
            this.outputs = new Tensor[layers.size()];
            this.inputGrads = new Tensor[layers.size()];
            try {
                for (int i = 0; i < layers.size(); i++) {
                    Layer l = layers.get(i);
                    layerPasses.add(l.pass(device, batch));
                    if (!l.isView()) {
                        outputs[i] = Tensor.empty(device, batched(batch, l.outShape()));
                        inputGrads[i] = Tensor.empty(device, batched(batch, l.inShape()));
                    }
                    if (i > 0 && layerPasses.get(i) instanceof BatchNormLayer.Pass bp
                            && layerPasses.get(i - 1) instanceof Conv2dLayer.Pass cp && cp.bnPartials() != null) {
                        bp.usePartials(cp.bnPartials());
                    }
                }
            } catch (RuntimeException e) {
                release();
                throw e;
            }
        }

        public int batch() {
            return batch;
        }

        /** Training forward: {@link #forward(Tensor, boolean) forward(x, true)}. */
        public Tensor forward(Tensor x) {
            return forward(x, true);
        }

        /**
         * The network's output [batch, ...outShape()] for {@code x} (any shape of batch *
         * inFeatures() elements, read as [batch, ...inShape()]); the tensor belongs to this pass.
         * {@code training}: batch norm uses batch statistics, updates its running statistics and
         * the training-forward counter advances; otherwise batch norm uses the running statistics
         * and nothing changes.
         *
         * @throws IllegalArgumentException when x has the wrong number of elements
         */
        public Tensor forward(Tensor x, boolean training) {
            if (x.numel() != (long) batch * inFeatures()) {
                throw new IllegalArgumentException("network input " + x.shape() + " should be " + batched(batch, inShape()));
            }
            input = x.shape().equals(batched(batch, inShape())) ? x : x.reshape(batched(batch, inShape()));
            Tensor h = input;
            for (int i = 0; i < layers.size(); i++) {
                Layer l = layers.get(i);
                if (l.isView()) {
                    outputs[i] = h.reshape(batched(batch, l.outShape()));
                } else {
                    layerPasses.get(i).forward(paramViews.get(i), bufferViews.get(i), h, outputs[i], training);
                }
                h = outputs[i];
            }
            if (training && counter != null) {
                Counters.addI64(counter, 1);
            }
            lastTraining = training;
            return h;
        }

        /** Layer i's output of the last forward (for tests: finite differences check which side of a kink they are on). */
        Tensor layerOutput(int i) {
            return outputs[i];
        }

        /** The network this pass belongs to. */
        Sequential network() {
            return Sequential.this;
        }

        /** The last forward's output. */
        public Tensor output() {
            return outputs[outputs.length - 1];
        }

        /**
         * Back from {@code dy} (the gradient at the output, any shape of batch * outFeatures()
         * elements) through the last forward, which must have been a training forward when the
         * network has batch norm: adds parameter gradients when {@code paramGrads}; returns the
         * gradient at the input [batch, ...inShape()] when {@code inputGrad} (it belongs to this
         * pass), else null.
         *
         * @throws IllegalStateException before any forward, or after an eval forward of a network with batch norm
         * @throws IllegalArgumentException when dy has the wrong number of elements
         */
        public Tensor backward(Tensor dy, boolean paramGrads, boolean inputGrad) {
            if (input == null) {
                throw new IllegalStateException("backward before forward");
            }
            if (!lastTraining && counter != null) {
                throw new IllegalStateException("backward after an eval-mode forward of a network with batch norm: run a training forward");
            }
            if (dy.numel() != (long) batch * outFeatures()) {
                throw new IllegalArgumentException("output gradient " + dy.shape() + " should be " + batched(batch, outShape()));
            }
            Tensor g = dy.shape().equals(batched(batch, outShape())) ? dy : dy.reshape(batched(batch, outShape()));
            for (int i = layers.size() - 1; i >= 0; i--) {
                Layer l = layers.get(i);
                if (l.isView()) {
                    g = g.reshape(batched(batch, l.inShape()));
                    continue;
                }
                Tensor x = i == 0 ? input : outputs[i - 1];
                Tensor dx = i > 0 || inputGrad ? inputGrads[i] : null;
                layerPasses.get(i).backward(paramViews.get(i), gradViews.get(i), x, outputs[i], g, dx, paramGrads);
                g = dx;
            }
            return inputGrad ? g : null;
        }

        private void release() {
            for (Layer.Pass p : layerPasses) {
                p.close();
            }
            layerPasses.clear();
            for (int i = 0; i < outputs.length; i++) {
                if (!layers.get(i).isView()) {
                    if (outputs[i] != null) {
                        outputs[i].close();
                    }
                    if (inputGrads[i] != null) {
                        inputGrads[i].close();
                    }
                }
                outputs[i] = null;
                inputGrads[i] = null;
            }
        }

        @Override
        public void close() {
            release();
            passes.remove(this);
        }
    }

    /** One line per layer, and the parameter count. */
    public String describe() {
        StringBuilder s = new StringBuilder();
        for (Layer l : layers) {
            s.append(l.describe()).append('\n');
        }
        return s.append(parameterCount()).append(" parameters").toString();
    }

    @Override
    public void close() {
        new ArrayList<>(passes).forEach(Pass::close);
        params.close();
        grads.close();
        buffers.close();
        if (counter != null) {
            counter.close();
        }
    }
}
