package jgan.nn;

import java.util.SplittableRandom;

import jgan.kernels.Activation;
import jgan.kernels.LeakyRelu;
import jgan.kernels.Tanh;
import jgan.tensor.Tensor;

/**
 * An activation on its own (kernels/leaky_relu.cu, kernels/tanh.cu). After a dense layer,
 * {@link Sequential} fuses it into that layer's epilogue instead; this one serves elsewhere.
 */
public final class ActivationLayer implements Layer {
    private final int features;
    private final Activation activation;
    private final float slope;

    public ActivationLayer(int features, Activation activation, float slope) {
        if (activation == Activation.IDENTITY) {
            throw new IllegalArgumentException("an identity activation layer does nothing");
        }
        this.features = features;
        this.activation = activation;
        this.slope = activation == Activation.RELU ? 0f : slope;
    }

    public Activation activation() {
        return activation;
    }

    public float slope() {
        return slope;
    }

    @Override
    public int inFeatures() {
        return features;
    }

    @Override
    public int outFeatures() {
        return features;
    }

    @Override
    public int parameterCount() {
        return 0;
    }

    @Override
    public void initialize(float[] flat, int offset, Init init, SplittableRandom rng) {
    }

    @Override
    public void forward(Tensor params, Tensor x, Tensor y) {
        if (activation == Activation.TANH) {
            Tanh.forward(x, y);
        } else {
            LeakyRelu.forward(x, y, slope);
        }
    }

    @Override
    public void backward(Tensor params, Tensor grads, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean paramGrads) {
        if (dx == null) {
            return;
        }
        if (activation == Activation.TANH) {
            Tanh.backward(y, dy, dx);
        } else {
            LeakyRelu.backward(y, dy, dx, slope);
        }
    }

    @Override
    public String describe() {
        return switch (activation) {
            case RELU -> "relu";
            case LEAKY_RELU -> "leaky_relu(" + slope + ")";
            default -> "tanh";
        };
    }
}
