package jgan.kernels;

/**
 * The activations a dense layer's epilogue applies (and whose derivative its backward applies,
 * from the layer's output). The codes are kernels/dense.cu's.
 */
public enum Activation {
    IDENTITY(0), RELU(1), LEAKY_RELU(2), TANH(3);

    final int code;

    Activation(int code) {
        this.code = code;
    }
}
