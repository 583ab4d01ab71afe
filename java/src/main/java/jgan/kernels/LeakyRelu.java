package jgan.kernels;

import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Tensor;

/**
 * Leaky ReLU: {@code y = x > 0 ? x : slope * x}, and its backward. Kernel: kernels/leaky_relu.cu;
 * reference: {@link jgan.reference.LeakyReluReference}. In place is allowed (y == x, dx == dy).
 */
public final class LeakyRelu {
    public static final String FORWARD = "leaky_relu_forward";
    public static final String BACKWARD = "leaky_relu_backward";
    static final int THREADS = 256;
    /** Grid-stride loops: enough blocks to fill any current GPU, no more. */
    static final int MAX_BLOCKS = 2048;

    private LeakyRelu() {
    }

    /** y = leaky_relu(x); y may be x. */
    public static void forward(Tensor x, Tensor y, float slope) {
        checkSlope("leaky_relu_forward", slope);
        Check.sameDevice(FORWARD, x, y);
        Check.sameNumel(FORWARD, "x", x, "y", y);
        int n = x.numel();
        x.device().launch(FORWARD, config(n),
                new KernelArgs().ptr(x).ptr(y).i32(n).f32(slope));
    }

    /**
     * dx = dy * (y > 0 ? 1 : slope), with y the forward's output (or its input: for slope >= 0 they
     * have the same sign); dx may be dy.
     */
    public static void backward(Tensor y, Tensor dy, Tensor dx, float slope) {
        checkSlope(BACKWARD, slope);
        Check.sameDevice(BACKWARD, y, dy, dx);
        Check.sameNumel(BACKWARD, "y", y, "dy", dy);
        Check.sameNumel(BACKWARD, "dy", dy, "dx", dx);
        int n = y.numel();
        y.device().launch(BACKWARD, config(n),
                new KernelArgs().ptr(y).ptr(dy).ptr(dx).i32(n).f32(slope));
    }

    private static LaunchConfig config(int n) {
        // The float4 path handles four elements a thread per step.
        return LaunchConfig.cover((n + 3L) / 4, THREADS, MAX_BLOCKS);
    }

    private static void checkSlope(String op, float slope) {
        Check.finite(op, "slope", slope);
        if (slope < 0) {
            throw new IllegalArgumentException(op + ": slope must be >= 0, got " + slope);
        }
    }
}
