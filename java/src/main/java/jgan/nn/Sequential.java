package jgan.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import jgan.device.Device;
import jgan.kernels.Activation;
import jgan.kernels.MathMode;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * A chain of layers whose parameters live in ONE flat buffer, and their gradients in another,
 * so that an optimizer updates the whole network in one launch. Forward keeps what backward
 * needs (in a {@link Pass}, one per batch size); backward returns the input gradient and adds
 * the parameter gradients. There is no general autograd: each layer knows its own backward.
 */
public final class Sequential implements AutoCloseable {
    private final Device device;
    private final List<Layer> layers;
    private final long[] offsets;
    private final Tensor params;
    private final Tensor grads;
    private final List<Tensor> paramViews = new ArrayList<>();
    private final List<Tensor> gradViews = new ArrayList<>();
    private final List<Pass> passes = new ArrayList<>();

    private Sequential(Device device, List<Layer> layers) {
        this.device = device;
        this.layers = List.copyOf(layers);
        this.offsets = new long[layers.size() + 1];
        for (int i = 0; i < layers.size(); i++) {
            offsets[i + 1] = offsets[i] + layers.get(i).parameterCount();
        }
        int count = (int) Math.max(1, offsets[layers.size()]); // a parameter-free net still gets a 1-float buffer
        this.params = Tensor.zeros(device, Shape.of(count));
        this.grads = Tensor.zeros(device, Shape.of(count));
        for (int i = 0; i < layers.size(); i++) {
            int n = layers.get(i).parameterCount();
            paramViews.add(n == 0 ? null : params.view(offsets[i], Shape.of(n)));
            gradViews.add(n == 0 ? null : grads.view(offsets[i], Shape.of(n)));
        }
    }

    /** Starts a network whose input has {@code features} features. */
    public static Builder builder(int features) {
        return new Builder(features);
    }

    /** Layers are added in order; an activation right after a dense layer is fused into it. */
    public static final class Builder {
        private final List<Layer> layers = new ArrayList<>();
        private int features;
        private MathMode mode = MathMode.FP32;

        private Builder(int features) {
            if (features < 1) {
                throw new IllegalArgumentException("a network needs at least one input feature, got " + features);
            }
            this.features = features;
        }

        /** The math mode of the dense layers added after this call. */
        public Builder mathMode(MathMode mode) {
            this.mode = mode;
            return this;
        }

        public Builder dense(int out) {
            layers.add(new DenseLayer(features, out, Activation.IDENTITY, 0f, mode));
            features = out;
            return this;
        }

        public Builder activation(Activation act, float slope) {
            if (act == Activation.IDENTITY) {
                return this;
            }
            int last = layers.size() - 1;
            if (last >= 0 && layers.get(last) instanceof DenseLayer d && d.activation() == Activation.IDENTITY) {
                layers.set(last, d.withActivation(act, slope)); // fused into the GEMM epilogue
            } else {
                layers.add(new ActivationLayer(features, act, slope));
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

    public int inFeatures() {
        return layers.get(0).inFeatures();
    }

    public int outFeatures() {
        return layers.get(layers.size() - 1).outFeatures();
    }

    /** All parameters, flat (layer by layer; a dense layer's W [out, in] then b [out]). */
    public Tensor parameters() {
        return params;
    }

    /** Their gradients, same layout; zero until a backward adds to them. */
    public Tensor gradients() {
        return grads;
    }

    public int parameterCount() {
        return (int) offsets[layers.size()];
    }

    /** Draws fresh parameters on the host from {@code seed} and uploads them; zeroes the gradients. */
    public void initialize(Init init, long seed) {
        float[] flat = new float[params.numel()];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < layers.size(); i++) {
            layers.get(i).initialize(flat, (int) offsets[i], init, rng);
        }
        params.copyFrom(flat);
        grads.fill(0f);
    }

    /** The buffers to run this network on batches of {@code batch} rows; closed with the network. */
    public Pass pass(int batch) {
        Pass p = new Pass(batch);
        passes.add(p);
        return p;
    }

    /**
     * One batch size's activations and gradients: forward stores every layer's output, backward
     * walks back through them. The input given to forward must stay unchanged until backward.
     */
    public final class Pass implements AutoCloseable {
        private final int batch;
        private final List<Tensor> outputs = new ArrayList<>();
        private final List<Tensor> inputGrads = new ArrayList<>();
        private Tensor input;

        private Pass(int batch) {
            if (batch < 1) {
                throw new IllegalArgumentException("batch must be >= 1, got " + batch);
            }
            this.batch = batch;
            for (Layer l : layers) {
                outputs.add(Tensor.empty(device, Shape.of(batch, l.outFeatures())));
                inputGrads.add(Tensor.empty(device, Shape.of(batch, l.inFeatures())));
            }
        }

        public int batch() {
            return batch;
        }

        /** The network's output for {@code x} [batch, in]; the tensor belongs to this pass. */
        public Tensor forward(Tensor x) {
            if (x.numel() != (long) batch * inFeatures()) {
                throw new IllegalArgumentException("network input " + x.shape() + " should be [" + batch + ", " + inFeatures() + "]");
            }
            input = x.shape().rank() == 2 ? x : x.reshape(Shape.of(batch, inFeatures()));
            Tensor h = input;
            for (int i = 0; i < layers.size(); i++) {
                layers.get(i).forward(paramViews.get(i), h, outputs.get(i));
                h = outputs.get(i);
            }
            return h;
        }

        /** The last forward's output. */
        public Tensor output() {
            return outputs.get(outputs.size() - 1);
        }

        /**
         * Back from {@code dy} (the gradient at the output): adds parameter gradients when
         * {@code paramGrads}; returns the gradient at the input when {@code inputGrad}, else null.
         */
        public Tensor backward(Tensor dy, boolean paramGrads, boolean inputGrad) {
            if (input == null) {
                throw new IllegalStateException("backward before forward");
            }
            if (dy.numel() != (long) batch * outFeatures()) {
                throw new IllegalArgumentException("output gradient " + dy.shape() + " should be [" + batch + ", " + outFeatures() + "]");
            }
            Tensor g = dy.shape().rank() == 2 ? dy : dy.reshape(Shape.of(batch, outFeatures()));
            for (int i = layers.size() - 1; i >= 0; i--) {
                Tensor x = i == 0 ? input : outputs.get(i - 1);
                Tensor dx = i > 0 || inputGrad ? inputGrads.get(i) : null;
                layers.get(i).backward(paramViews.get(i), gradViews.get(i), x, outputs.get(i), g, dx, paramGrads);
                g = dx;
            }
            return inputGrad ? inputGrads.get(0) : null;
        }

        @Override
        public void close() {
            outputs.forEach(Tensor::close);
            inputGrads.forEach(Tensor::close);
            outputs.clear();
            inputGrads.clear();
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
    }
}
