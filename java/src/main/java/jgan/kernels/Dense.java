package jgan.kernels;

import jgan.device.Dim3;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Tensor;

/**
 * The dense layer's GEMMs with fused epilogues (kernels/dense.cu; reference
 * {@link jgan.reference.DenseReference}). Shapes: x [B, IN], w [OUT, IN], b [OUT], y [B, OUT].
 * The backward takes the forward's output y to apply the activation's derivative.
 */
public final class Dense {
    public static final String FORWARD = "dense_forward";
    public static final String BACKWARD_DATA = "dense_backward_data";
    public static final String BACKWARD_WEIGHT = "dense_backward_weight";
    static final int TILE = 64;
    static final int THREADS = 256;

    private Dense() {
    }

    /** The extents {rows, in, out} checked against x [rows, in], w [out, in]. */
    private static int[] dims(String op, Tensor x, Tensor w) {
        if (x.shape().rank() != 2 || w.shape().rank() != 2) {
            throw new IllegalArgumentException(op + ": x " + x.shape() + " and w " + w.shape() + " must both be matrices");
        }
        int rows = x.shape().dim(0), in = x.shape().dim(1), out = w.shape().dim(0);
        if (w.shape().dim(1) != in) {
            throw new IllegalArgumentException(op + ": x " + x.shape() + " has " + in + " features but w " + w.shape()
                    + " expects " + w.shape().dim(1));
        }
        return new int[] {rows, in, out};
    }

    private static void shape(String op, String name, Tensor t, int rows, int cols) {
        if (t.numel() != (long) rows * cols || (t.shape().rank() == 2 && (t.shape().dim(0) != rows || t.shape().dim(1) != cols))) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " should be [" + rows + ", " + cols + "]");
        }
    }

    private static LaunchConfig grid(int m, int n) {
        int gy = (m + TILE - 1) / TILE;
        if (gy > 65535) {
            throw new IllegalArgumentException("dense: " + m + " rows exceed the grid (at most " + 65535 * TILE + ")");
        }
        return new LaunchConfig(new Dim3((n + TILE - 1) / TILE, gy, 1), Dim3.of(THREADS), 0);
    }

    private static void slope(String op, Activation act, float slope) {
        Check.finite(op, "slope", slope);
        if (act == Activation.LEAKY_RELU && slope < 0) {
            throw new IllegalArgumentException(op + ": leaky ReLU slope must be >= 0, got " + slope);
        }
    }

    /** y = act(x w^T + b); b may be null. */
    public static void forward(Tensor x, Tensor w, Tensor b, Tensor y, Activation act, float slope, MathMode mode) {
        Check.sameDevice(FORWARD, x, w, b, y);
        slope(FORWARD, act, slope);
        int[] d = dims(FORWARD, x, w);
        int rows = d[0], in = d[1], out = d[2];
        if (b != null) {
            shape(FORWARD, "b", b, 1, out);
        }
        shape(FORWARD, "y", y, rows, out);
        x.device().launch(FORWARD, grid(rows, out), new KernelArgs().ptr(x).ptr(w).ptr(b).ptr(y)
                .i32(rows).i32(in).i32(out).i32(act.code).f32(slope).i32(mode.code));
    }

    /** dx = (dy * act'(y)) w: the gradient with respect to the layer's input. */
    public static void backwardData(Tensor dy, Tensor y, Tensor w, Tensor dx, Activation act, float slope, MathMode mode) {
        Check.sameDevice(BACKWARD_DATA, dy, y, w, dx);
        slope(BACKWARD_DATA, act, slope);
        int[] d = dims(BACKWARD_DATA, dx, w);
        int rows = d[0], in = d[1], out = d[2];
        shape(BACKWARD_DATA, "dy", dy, rows, out);
        shape(BACKWARD_DATA, "y", y, rows, out);
        dy.device().launch(BACKWARD_DATA, grid(rows, in), new KernelArgs().ptr(dy).ptr(y).ptr(w).ptr(dx)
                .i32(rows).i32(in).i32(out).i32(act.code).f32(slope).i32(mode.code));
    }

    /**
     * dw = (dy * act'(y))^T x and db = its sums over rows (db may be null); with
     * {@code accumulate} both are added to what dw and db hold.
     */
    public static void backwardWeight(Tensor dy, Tensor y, Tensor x, Tensor dw, Tensor db, Activation act, float slope,
                                      boolean accumulate, MathMode mode) {
        Check.sameDevice(BACKWARD_WEIGHT, dy, y, x, dw, db);
        slope(BACKWARD_WEIGHT, act, slope);
        int[] d = dims(BACKWARD_WEIGHT, x, dw);
        int rows = d[0], in = d[1], out = d[2];
        shape(BACKWARD_WEIGHT, "dy", dy, rows, out);
        shape(BACKWARD_WEIGHT, "y", y, rows, out);
        if (db != null) {
            shape(BACKWARD_WEIGHT, "db", db, 1, out);
        }
        dy.device().launch(BACKWARD_WEIGHT, grid(out, in), new KernelArgs().ptr(dy).ptr(y).ptr(x).ptr(dw).ptr(db)
                .i32(rows).i32(in).i32(out).i32(act.code).f32(slope).i32(accumulate ? 1 : 0).i32(mode.code));
    }
}
