package jgan.nn;

import java.util.SplittableRandom;

import jgan.tensor.Tensor;

/**
 * One step of a {@link Sequential} network on [batch, features] tensors. A layer holds no device
 * memory of its own: its parameters and their gradients are views into the network's two flat
 * buffers, and its activations belong to a {@link Sequential.Pass}, so the same layer serves
 * several batch sizes (the discriminator sees real and fake batches).
 */
public interface Layer {
    int inFeatures();

    int outFeatures();

    /** Floats of parameters it keeps in the network's flat buffer. */
    int parameterCount();

    /** Writes its initial parameters into {@code flat[offset ..]} (host side). */
    void initialize(float[] flat, int offset, Init init, SplittableRandom rng);

    /** y = layer(x). {@code params} is this layer's view of the flat parameter buffer. */
    void forward(Tensor params, Tensor x, Tensor y);

    /**
     * From dy (the gradient at y): adds the parameter gradients into {@code grads} when
     * {@code paramGrads} (they accumulate: the optimizer zeroes them after each update), and
     * writes dx when it is not null. x and y are what the forward saw and produced.
     */
    void backward(Tensor params, Tensor grads, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean paramGrads);

    /** e.g. "dense 2 -> 128, leaky_relu(0.2)". */
    String describe();
}
