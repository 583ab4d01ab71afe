package jgan.nn;

import java.util.SplittableRandom;

import jgan.device.Device;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * The same elements under another per-sample shape, with no launch and no memory: a flatten
 * ([H, W, C] to [H*W*C], PyTorch's nn.Flatten) or an unflatten ([F] to [H, W, C], PyTorch's
 * nn.Unflatten(1, (C, H, W))). jgan keeps images NHWC, so its flattened order is (h, w, c) where
 * PyTorch's is (c, h, w): the state_dict mapping permutes the dense layer next to it
 * ({@link Sequential#stateDict()}), the device never does.
 */
public final class ReshapeLayer implements Layer {
    private final Shape in;
    private final Shape out;

    /** @throws IllegalArgumentException when the element counts differ */
    public ReshapeLayer(Shape in, Shape out) {
        if (in.numel() != out.numel()) {
            throw new IllegalArgumentException("reshape: " + in + " (" + in.numel() + " elements) cannot become " + out + " ("
                    + out.numel() + ")");
        }
        this.in = in;
        this.out = out;
    }

    @Override
    public Shape inShape() {
        return in;
    }

    @Override
    public Shape outShape() {
        return out;
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
    public boolean isView() {
        return true;
    }

    @Override
    public void initialize(float[] flat, int offset, Init init, SplittableRandom rng) {
    }

    @Override
    public Layer.Pass pass(Device device, int batch) {
        return new Layer.Pass() {
            @Override
            public void forward(Tensor params, Tensor buffers, Tensor x, Tensor y, boolean training) {
                throw new IllegalStateException("reshape is a view: the network reshapes, nothing runs");
            }

            @Override
            public void backward(Tensor params, Tensor grads, Tensor x, Tensor y, Tensor dy, Tensor dx, boolean paramGrads) {
                throw new IllegalStateException("reshape is a view: the network reshapes, nothing runs");
            }
        };
    }

    @Override
    public String describe() {
        return (in.rank() == 3 && out.rank() == 1 ? "flatten " : "reshape ") + in + " -> " + out;
    }
}
