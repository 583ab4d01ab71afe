package jgan.kernels;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Tensor;

/**
 * The launch contract of the kernels that end in kernels/grid_reduce.cuh's one-launch sum (the
 * losses and the mean): blocks of exactly {@link #THREADS} threads, at most {@link #MAX_BLOCKS}
 * of them, and a per-kernel workspace of partials[MAX_BLOCKS] followed by the ticket counter.
 */
final class GridSum {
    /** grid_reduce::grid_sum is instantiated for this block size. */
    static final int THREADS = 256;
    static final int MAX_BLOCKS = 1024;
    private static final long WORKSPACE_BYTES = 4L * MAX_BLOCKS + 16;

    private GridSum() {
    }

    static LaunchConfig config(int n) {
        return LaunchConfig.cover(n, THREADS, MAX_BLOCKS);
    }

    /** Appends the (partials, counter) pointers of {@code kernel}'s workspace on {@code device}. */
    static KernelArgs workspace(KernelArgs args, Device device, String kernel) {
        DeviceBuffer ws = device.workspace(kernel, WORKSPACE_BYTES);
        return args.ptr(ws, 0).ptr(ws, 4L * MAX_BLOCKS);
    }

    /** The reduction's output must be a single element. */
    static void oneElement(String op, String name, Tensor t) {
        if (t.numel() != 1) {
            throw new IllegalArgumentException(op + ": " + name + " must have one element, has shape " + t.shape());
        }
    }
}
