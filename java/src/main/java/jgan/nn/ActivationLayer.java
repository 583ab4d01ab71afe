package jgan.nn;

import java.util.SplittableRandom;

import jgan.device.Device;
import jgan.kernels.Activation;
import jgan.kernels.LeakyRelu;
import jgan.kernels.Tanh;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * An activation on its own, elementwise on any shape (kernels/leaky_relu.cu, kernels/tanh.cu;
 * ReLU is leaky ReLU with slope 0). After a dense layer, a convolution or batch norm,
 * {@link Sequential} fuses it into that layer instead; this one serves elsewhere.
 */
public final class ActivationLayer implements Layer {
    private final Shape shape;
    private final Activation activation;
    private final float slope;

    public ActivationLayer(int features, Activation activation, float slope) {
        this(Shape.of(features), activation, slope);
    }

    /** @throws IllegalArgumentException for the identity (a layer that does nothing) */
    public ActivationLayer(Shape shape, Activation activation, float slope) {
        if (activation == Activation.IDENTITY) {
            throw new IllegalArgumentException("an identity activation layer does nothing");
        }
        this.shape = shape;
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
    public Shape inShape() {
        return shape;
    }

    @Override
    public Shape outShape() {
        return shape;
    }

    @Override
    public int parameterCount() {
        return 0;
    }

    @Override
    public int torchModules() {
        return 1;
    }

    @Override
    public void initialize(float[] flat, int offset, Init init, SplittableRandom rng) {
    }

    @Override
    public Layer.Pass pass(Device device, int batch) {
        return new Layer.Pass() {
            @Override
            public void forward(Tensor params, Tensor buffers, Tensor x, Tensor y, boolean training) {
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
        };
    }

    /** ", relu" / ", leaky_relu(0.2)" / ", tanh" / "" for identity: how describe() lines name a fused activation. */
    static String suffix(Activation activation, float slope) {
        return switch (activation) {
            case IDENTITY -> "";
            case RELU -> ", relu";
            case LEAKY_RELU -> ", leaky_relu(" + slope + ")";
            case TANH -> ", tanh";
        };
    }

    @Override
    public String describe() {
        return suffix(activation, slope).substring(2);
    }
}
