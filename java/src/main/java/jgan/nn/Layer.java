package jgan.nn;

import java.util.SplittableRandom;

import jgan.device.Device;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * One step of a {@link Sequential} network, on per-sample shapes: a vector [F] or an image
 * [H, W, C] (NHWC without the batch). A layer holds no device memory of its own: its parameters
 * and their gradients are views into the network's two flat buffers, its non-trained state
 * (batch norm's running statistics) a view into the network's buffer of state, and whatever a
 * batch size needs (saved statistics, partials) belongs to the {@link Pass} it makes, so the same
 * layer serves several batch sizes (the discriminator sees real and fake batches).
 *
 * <p>Tensors handed to a layer's pass have the batch in front: x [batch, ...inShape()],
 * y [batch, ...outShape()].
 */
public interface Layer {
    /** Per-sample input shape: [F] or [H, W, C]. */
    Shape inShape();

    /** Per-sample output shape: [F] or [H, W, C]. */
    Shape outShape();

    /** Elements of one input sample (the product of {@link #inShape()}). */
    default int inFeatures() {
        return (int) inShape().numel();
    }

    /** Elements of one output sample. */
    default int outFeatures() {
        return (int) outShape().numel();
    }

    /** Floats of parameters it keeps in the network's flat parameter buffer. */
    int parameterCount();

    /** Floats of non-trained state it keeps in the network's flat state buffer (batch norm: running_mean, running_var). */
    default int bufferCount() {
        return 0;
    }

    /** Writes its initial parameters into {@code flat[offset ..]} (host side). */
    void initialize(float[] flat, int offset, Init init, SplittableRandom rng);

    /** Writes its initial state into {@code flat[offset ..]} (host side): PyTorch's running_mean 0, running_var 1. */
    default void initializeBuffers(float[] flat, int offset) {
    }

    /** True for a layer whose output is its input under another shape (reshape, flatten): no launch, no memory. */
    default boolean isView() {
        return false;
    }

    /** How many modules of the equivalent PyTorch {@code nn.Sequential} this layer stands for (a fused activation adds one). */
    int torchModules();

    /** The per-batch-size state of this layer on {@code device}; closed by the network's pass. */
    Pass pass(Device device, int batch);

    /** e.g. "dense 2 -> 128, leaky_relu(0.2)". */
    String describe();

    /** What one layer keeps for one batch size, and its forward and backward. */
    interface Pass extends AutoCloseable {
        /**
         * y = layer(x). {@code params} and {@code buffers} are this layer's views of the network's
         * flat buffers (null when it has none). {@code training}: batch statistics and running
         * statistics updated (batch norm); otherwise the running statistics.
         */
        void forward(Tensor params, Tensor buffers, Tensor x, Tensor y, boolean training);

        /**
         * From dy (the gradient at y): adds the parameter gradients into {@code grads} when
         * {@code paramGrads} (they accumulate: the optimizer zeroes them after each update), and
         * writes dx when it is not null. x and y are what the last forward saw and produced.
         */
        void backward(Tensor params, Tensor grads, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean paramGrads);

        @Override
        default void close() {
        }
    }
}
