package jgan.kernels;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Tensor;

/**
 * Statistics kept on the device, without a host round trip: a deterministic mean (of x or of
 * sigmoid(x): mean D(x) from logits), and a NaN/Inf watchdog. Kernel: kernels/reduce.cu;
 * reference: {@link jgan.reference.ReduceReference}.
 */
public final class Reduce {
    public static final String MEAN = "reduce_mean";
    public static final String FINITE_CHECK = "finite_check";
    static final int THREADS = 256; // the kernels' warp and block reductions assume exactly this
    static final int CHECK_MAX_BLOCKS = 2048;

    /** What is averaged: x itself, or sigmoid(x). The code is the kernel's {@code transform}. */
    public enum Transform {
        IDENTITY(0), SIGMOID(1);

        final int code;

        Transform(int code) {
            this.code = code;
        }
    }

    private Reduce() {
    }

    /** out = (or += when {@code accumulate}) the mean of f(x) over all of x; out has one element. */
    public static void mean(Tensor x, Tensor out, Transform transform, boolean accumulate) {
        Check.sameDevice(MEAN, x, out);
        GridSum.oneElement(MEAN, "out", out);
        if (transform == null) {
            throw new IllegalArgumentException(MEAN + ": transform must be IDENTITY or SIGMOID, got null");
        }
        int n = x.numel();
        Device device = x.device();
        device.launch(MEAN, GridSum.config(n), GridSum.workspace(new KernelArgs().ptr(x).i32(n).ptr(out), device, MEAN)
                .i32(transform.code)
                .i32(accumulate ? 1 : 0));
    }

    /**
     * Sets the int at offset 0 of {@code flag} to 1 if any element of x is NaN or +-Inf; never
     * clears it (zero it first: {@code device.fill32(flag, 0, 1, 0)}; several tensors may be
     * checked into one flag).
     */
    public static void finiteCheck(Tensor x, DeviceBuffer flag) {
        if (flag == null || flag.bytes() < 4) {
            throw new IllegalArgumentException(FINITE_CHECK + ": the flag needs a buffer of at least 4 bytes, got " + flag);
        }
        if (flag.device() != x.device()) {
            throw new IllegalArgumentException(FINITE_CHECK + ": tensors on different devices (" + x.device().name() + " and flag on "
                    + flag.device().name() + ")");
        }
        int n = x.numel();
        // The float4 path reads four elements a thread per step.
        x.device().launch(FINITE_CHECK, LaunchConfig.cover((n + 3L) / 4, THREADS, CHECK_MAX_BLOCKS),
                new KernelArgs().ptr(x).i32(n).ptr(flag));
    }
}
