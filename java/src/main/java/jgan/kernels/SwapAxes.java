package jgan.kernels;

import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Tensor;

/**
 * The batched transpose of the two middle axes of a 4-D tensor: x [groups, a, b, c] row-major to
 * y [groups, b, a, c], y[g][j][i][k] = x[g][i][j][k] (NumPy's {@code x.swapaxes(1, 2)} made
 * contiguous). PacGAN's channel packing of NHWC images is this with a = m, b = H W (jgan.gan.Packing).
 * Kernel: kernels/swap_axes.cu; reference: {@link jgan.reference.SwapAxesReference}.
 */
public final class SwapAxes {
    public static final String KERNEL = "swap_middle_axes";
    static final int THREADS = 256;
    /** Grid-stride loop: enough blocks to fill any current GPU, no more. */
    static final int MAX_BLOCKS = 2048;

    private SwapAxes() {
    }

    /**
     * y = x viewed as [groups, a, b, c] with axes 1 and 2 swapped. Both tensors hold
     * groups a b c elements (any shape); y must be another buffer than x.
     *
     * @throws IllegalArgumentException for sizes < 1, a size product past 2^31 - 1, element counts
     *                                  that differ from groups a b c, tensors on different devices,
     *                                  or y sharing x's buffer
     */
    public static void swapMiddle(Tensor x, Tensor y, int groups, int a, int b, int c) {
        if (groups < 1 || a < 1 || b < 1 || c < 1) {
            throw new IllegalArgumentException(KERNEL + ": sizes must be >= 1, got [" + groups + ", " + a + ", " + b + ", " + c + "]");
        }
        long n = (long) groups * a * b * c;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(KERNEL + ": [" + groups + ", " + a + ", " + b + ", " + c + "] has " + n
                    + " elements, more than 2^31 - 1");
        }
        Check.sameDevice(KERNEL, x, y);
        if (x.numel() != n || y.numel() != n) {
            throw new IllegalArgumentException(KERNEL + ": x " + x.shape() + " and y " + y.shape() + " must both hold [" + groups + ", " + a
                    + ", " + b + ", " + c + "] = " + n + " elements");
        }
        if (x.buffer() == y.buffer()) {
            throw new IllegalArgumentException(KERNEL + ": x and y are the same buffer " + x.shape() + " (not in place)");
        }
        x.device().launch(KERNEL, LaunchConfig.cover(n, THREADS, MAX_BLOCKS), new KernelArgs().ptr(x).ptr(y).i32(groups).i32(a).i32(b)
                .i32(c));
    }
}
