package jgan.kernels;

import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Tensor;

/**
 * tanh and its backward {@code dx = dy (1 - y^2)} from the forward's output. Kernel:
 * kernels/tanh.cu; reference: {@link jgan.reference.TanhReference}. In place is allowed
 * (y == x, dx == dy).
 */
public final class Tanh {
    public static final String FORWARD = "tanh_forward";
    public static final String BACKWARD = "tanh_backward";
    static final int THREADS = 256;
    /** Grid-stride loops: enough blocks to fill any current GPU, no more. */
    static final int MAX_BLOCKS = 2048;

    private Tanh() {
    }

    /** y = tanh(x); y may be x. */
    public static void forward(Tensor x, Tensor y) {
        Check.sameDevice(FORWARD, x, y);
        Check.sameNumel(FORWARD, "x", x, "y", y);
        int n = x.numel();
        x.device().launch(FORWARD, config(n), new KernelArgs().ptr(x).ptr(y).i32(n));
    }

    /** dx = dy * (1 - y^2), with y the forward's output; dx may be dy. */
    public static void backward(Tensor y, Tensor dy, Tensor dx) {
        Check.sameDevice(BACKWARD, y, dy, dx);
        Check.sameNumel(BACKWARD, "y", y, "dy", dy);
        Check.sameNumel(BACKWARD, "dy", dy, "dx", dx);
        int n = y.numel();
        y.device().launch(BACKWARD, config(n), new KernelArgs().ptr(y).ptr(dy).ptr(dx).i32(n));
    }

    private static LaunchConfig config(int n) {
        // The float4 path handles four elements a thread per step.
        return LaunchConfig.cover((n + 3L) / 4, THREADS, MAX_BLOCKS);
    }
}
