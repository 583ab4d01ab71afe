package jgan.kernels;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.Dim3;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Tensor;

/**
 * The gradient of a bias: {@code db[j] = sum_i dy[i, j]} (or {@code +=}), dy row-major
 * [rows, cols], deterministic (a fixed summation order for a given shape; no float atomics).
 * Kernel: kernels/bias_grad.cu; reference: {@link jgan.reference.BiasGradReference}.
 */
public final class BiasGrad {
    public static final String KERNEL = "bias_grad";
    static final int THREADS = 256; // the kernel's column tree assumes exactly this
    /** As in the kernel: up to this many columns a block covers them all, R = 256 / cols whole rows at a time. */
    static final int NARROW_COLS = 128;
    /** As in the kernel: wider matrices go by groups of this many columns, 8 rows at a time. */
    static final int WIDE_GROUP = 32;
    /** Row chunks (grid y) are only added while the column groups alone leave fewer blocks than this. */
    static final int MAX_BLOCKS = 1024;
    /** Each row lane of a chunk gets at least this many rows, so a chunk is worth its partial. */
    static final int MIN_ROWS_PER_LANE = 4;
    private static final String WORKSPACE = KERNEL;
    /** partials: chunks * cols <= chunks * groups * cw <= MAX_BLOCKS * NARROW_COLS floats. */
    private static final long PARTIALS_BYTES = 4L * MAX_BLOCKS * NARROW_COLS;
    /** then one ticket counter per column group: groups <= MAX_BLOCKS / 2 whenever there are chunks. */
    private static final long WORKSPACE_BYTES = PARTIALS_BYTES + 4L * MAX_BLOCKS;

    private BiasGrad() {
    }

    /**
     * db = (or += when {@code accumulate}) the column sums of {@code dy}, a rank-2 tensor
     * [rows, cols]; {@code db} has cols elements (any shape).
     */
    public static void compute(Tensor dy, Tensor db, boolean accumulate) {
        Check.sameDevice(KERNEL, dy, db);
        if (dy.shape().rank() != 2) {
            throw new IllegalArgumentException(KERNEL + ": dy must be [rows, cols], has shape " + dy.shape());
        }
        int rows = dy.shape().dim(0), cols = dy.shape().dim(1);
        if (db.numel() != cols) {
            throw new IllegalArgumentException(KERNEL + ": dy " + dy.shape() + " has " + cols + " columns but db " + db.shape()
                    + " has " + db.numel() + " elements");
        }
        Device device = dy.device();
        DeviceBuffer ws = device.workspace(WORKSPACE, WORKSPACE_BYTES);
        device.launch(KERNEL, config(rows, cols), new KernelArgs()
                .ptr(dy)
                .ptr(db)
                .ptr(ws, 0)
                .ptr(ws, PARTIALS_BYTES)
                .i32(rows)
                .i32(cols)
                .i32(accumulate ? 1 : 0));
    }

    /** Grid x: column groups; grid y: row chunks, only as many as fill the GPU and fit the workspace. */
    static LaunchConfig config(int rows, int cols) {
        int cw = cols <= NARROW_COLS ? cols : WIDE_GROUP;
        int lanes = THREADS / cw;
        long groups = (cols + (long) cw - 1) / cw;
        long chunks = 1;
        if (groups * 2 <= MAX_BLOCKS) {
            long wanted = (rows + (long) lanes * MIN_ROWS_PER_LANE - 1) / ((long) lanes * MIN_ROWS_PER_LANE);
            chunks = Math.max(1, Math.min(wanted, MAX_BLOCKS / groups));
        }
        return new LaunchConfig(new Dim3((int) groups, (int) chunks, 1), Dim3.of(THREADS), 0);
    }
}
