package jgan.kernels;

import jgan.device.DeviceMemory;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Tensor;

/**
 * Draws rows from a mixture of equally likely 2-D Gaussians on the device (kernels/mixture.cu;
 * reference {@link jgan.reference.MixtureSampleReference}), with the Philox offset read from
 * device memory so that a replayed training step draws a new real batch each time.
 */
public final class MixtureSample {
    public static final String KERNEL = "mixture_sample";
    static final int THREADS = 256;

    private MixtureSample() {
    }

    /**
     * out [n, 2] from the mixture with {@code centers} [modes, 2] and per-axis {@code std}, at the
     * Philox offset held by the 64-bit counter {@code offset}; advance it by n afterwards
     * ({@link Counters#addI64}).
     */
    public static void sample(Tensor out, Tensor centers, float std, long seed, DeviceMemory offset) {
        Check.sameDevice(KERNEL, out, centers);
        Check.finite(KERNEL, "std", std);
        if (std < 0) {
            throw new IllegalArgumentException(KERNEL + ": std must be >= 0, got " + std);
        }
        if (out.numel() % 2 != 0 || centers.numel() % 2 != 0) {
            throw new IllegalArgumentException(KERNEL + ": out " + out.shape() + " and centers " + centers.shape()
                    + " must hold 2-D points");
        }
        if (offset.byteLength() < 8) {
            throw new IllegalArgumentException(KERNEL + ": the offset counter needs 8 bytes, has " + offset.byteLength());
        }
        int n = out.numel() / 2;
        out.device().launch(KERNEL, LaunchConfig.cover(n, THREADS, 1024), new KernelArgs()
                .ptr(out).i32(n).ptr(centers).i32(centers.numel() / 2).f32(std).i64(seed).ptr(offset));
    }
}
