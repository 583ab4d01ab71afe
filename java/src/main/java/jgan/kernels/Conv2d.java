package jgan.kernels;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.Dim3;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * 2-D convolution (cross-correlation, PyTorch's {@code Conv2d}) and its gradients as implicit
 * GEMM (kernels/conv.cu; reference {@link jgan.reference.ConvReference}). Layouts are channels
 * last: x [N, H, W, C] (NHWC), w [K, R, S, C] (KRSC), bias [K], y [N, P, Q, K]; the sizes,
 * padding, stride and dilation are a {@link ConvProblem}. Every method validates all of its
 * arguments against the problem before it launches anything, and throws
 * IllegalArgumentException naming the op and the shapes.
 *
 * <p>Which kernel runs is chosen from the problem alone: a narrow GEMM-N variant when fprop has
 * K &lt;= 4 output channels or dgrad C &lt;= 4 input channels (a 64-wide tile would be mostly
 * empty), otherwise the tiled implicit GEMM; wgrad splits its N*P*Q reduction (split-K) into a
 * number of pieces fixed by the problem, reduced in a fixed order: results do not depend on the
 * device or the run. Its partials live in a device workspace made on first use (as the other
 * reductions' do): run a step eagerly once before capturing it into a graph.
 *
 * <p>Transposed convolution runs on the same kernels: {@link ConvTranspose2d}.
 */
public final class Conv2d {
    public static final String FPROP = "conv2d_fprop";
    public static final String FPROP_NARROW = "conv2d_fprop_narrow";
    public static final String DGRAD = "conv2d_dgrad";
    public static final String DGRAD_NARROW = "conv2d_dgrad_narrow";
    public static final String WGRAD = "conv2d_wgrad";
    public static final String WGRAD_REDUCE = "conv2d_wgrad_reduce";
    static final int TILE = 64;
    static final int BK = 16;
    static final int THREADS = 256;
    static final int WARPS = THREADS / 32;
    /** Output channels (fprop) or input channels (dgrad) up to which the narrow kernels run. */
    static final int NARROW_MAX = 4;
    /** wgrad split-K aims at this many blocks: 2 per SM of a 132-SM H200. A constant, not the device's SM count, so that the split and thus the bits depend on the problem only. */
    static final int SPLIT_TARGET_BLOCKS = 264;
    /** Each split reduces at least this many K-tiles of 16 rows of N*P*Q (below that a split is not worth its partial). */
    static final int SPLIT_MIN_TILES = 8;
    static final int SPLIT_MAX = 64;
    /** The split workspace stays under this many floats (64 MiB). */
    static final long SPLIT_MAX_FLOATS = 1L << 24;

    /** Kernel choice, for tests: AUTO picks by the problem. */
    enum Path { AUTO, TILED, NARROW }

    private Conv2d() {
    }

    /** Number of batch-norm statistics partials fprop writes: one per 64-row M-tile, ceil(N*P*Q / 64). */
    public static int bnPartialCount(ConvProblem pr) {
        return (int) ((pr.fpropGemm()[0] + TILE - 1) / TILE);
    }

    /** The shape [bnPartialCount, K, 3] of fprop's batch-norm statistics partials (the statistics-partials contract in kernels/batch_norm.cu's header). */
    public static Shape bnPartialsShape(ConvProblem pr) {
        return Shape.of(bnPartialCount(pr), pr.k(), 3);
    }

    /**
     * fprop: y = act(conv(x, w) + bias). bias [K] may be null. With {@code bnPartials}
     * [ceil(N*P*Q/64), K, 3] (may be null) it also writes, per 64-row M-tile and channel, the
     * {count, mean, m2} of the post-bias values (the statistics-partials contract in kernels/batch_norm.cu's header), combined by BatchNorm with
     * Chan's update; then act must be identity (batch norm normalises the pre-activation).
     *
     * @param pr    the convolution
     * @param x     input [N, H, W, C]
     * @param w     filters [K, R, S, C]
     * @param bias  [K] or null
     * @param y     output [N, P, Q, K]
     * @param act   activation applied after the bias
     * @param slope leaky ReLU slope (finite, >= 0)
     * @param mode  FP32 or TF32
     * @throws IllegalArgumentException on any shape, device or argument disagreement
     */
    public static void fprop(ConvProblem pr, Tensor x, Tensor w, Tensor bias, Tensor y, Activation act, float slope, MathMode mode,
                             Tensor bnPartials) {
        fprop(FPROP, pr, x, null, Activation.IDENTITY, w, bias, y, act, slope, mode, bnPartials, Path.AUTO);
    }

    /**
     * The general fprop launch: {@code xActY} non-null makes x a gradient, multiplied by
     * xAct'(xActY) as it is loaded (a transposed convolution's backward data).
     */
    static void fprop(String op, ConvProblem pr, Tensor x, Tensor xActY, Activation xAct, Tensor w, Tensor bias, Tensor y,
                      Activation act, float slope, MathMode mode, Tensor bnPartials, Path path) {
        nonNull(op, pr, "x", x, "w", w, "y", y);
        Check.sameDevice(op, x, xActY, w, bias, y, bnPartials);
        slope(op, act, slope);
        slope(op, xAct, slope);
        shape(op, pr, "x", x, pr.inputShape());
        if (xActY != null) {
            shape(op, pr, "the activation output of x", xActY, pr.inputShape());
        }
        shape(op, pr, "w", w, pr.filterShape());
        if (bias != null) {
            shape(op, pr, "bias", bias, Shape.of(pr.k()));
        }
        shape(op, pr, "y", y, pr.outputShape());
        if (bnPartials != null) {
            shape(op, pr, "bn partials", bnPartials, bnPartialsShape(pr));
            if (act != Activation.IDENTITY) {
                throw new IllegalArgumentException(op + ": batch-norm statistics are of the pre-activation output, but act is " + act
                        + " (fuse no activation into a convolution that feeds batch norm): " + pr);
            }
        }
        long m = pr.fpropGemm()[0];
        boolean narrow = path == Path.NARROW || (path == Path.AUTO && pr.k() <= NARROW_MAX && bnPartials == null);
        if (narrow && (pr.k() > NARROW_MAX || bnPartials != null)) {
            throw new IllegalArgumentException(op + ": the narrow kernel needs K <= " + NARROW_MAX + " and no bn partials: " + pr);
        }
        KernelArgs args = new KernelArgs().ptr(x).ptr(xActY).ptr(w).ptr(bias).ptr(y);
        if (!narrow) {
            args.ptr(bnPartials);
        }
        pr.addTo(args).i32(xAct.code).i32(act.code).f32(slope).i32(mode.code);
        Device device = x.device();
        if (narrow) {
            device.launch(FPROP_NARROW, warpPerRow(op, m), args);
        } else {
            device.launch(FPROP, tiled(op, m, pr.k(), 1), args);
        }
    }

    /**
     * dgrad: dx (= or, with {@code accumulate}, +=) conv^T(dy * act'(y), w), the gradient with
     * respect to the input; act' is taken from the forward's output y (y may be null when act
     * is identity). Strided problems run as stride_h*stride_w phase sub-problems, multiplying
     * no inserted zeros.
     *
     * @param dy gradient of the output [N, P, Q, K]
     * @param y  the forward's output [N, P, Q, K], or null with identity
     * @param w  filters [K, R, S, C]
     * @param dx gradient of the input [N, H, W, C]
     * @throws IllegalArgumentException on any shape, device or argument disagreement
     */
    public static void dgrad(ConvProblem pr, Tensor dy, Tensor y, Tensor w, Tensor dx, Activation act, float slope, boolean accumulate,
                             MathMode mode) {
        dgrad(DGRAD, pr, dy, y, w, null, dx, act, slope, Activation.IDENTITY, accumulate, mode, Path.AUTO);
    }

    /** The general dgrad launch: dx (=|+=) outAct(conv^T(dz, w) + bias) (a transposed convolution's forward). */
    static void dgrad(String op, ConvProblem pr, Tensor dy, Tensor y, Tensor w, Tensor bias, Tensor dx, Activation act, float slope,
                      Activation outAct, boolean accumulate, MathMode mode, Path path) {
        nonNull(op, pr, "dy", dy, "w", w, "dx", dx);
        Check.sameDevice(op, dy, y, w, bias, dx);
        slope(op, act, slope);
        slope(op, outAct, slope);
        shape(op, pr, "dy", dy, pr.outputShape());
        if (y != null) {
            shape(op, pr, "y", y, pr.outputShape());
        } else if (act != Activation.IDENTITY) {
            throw new IllegalArgumentException(op + ": act " + act + " needs the forward's output y to take its derivative: " + pr);
        }
        shape(op, pr, "w", w, pr.filterShape());
        if (bias != null) {
            shape(op, pr, "bias", bias, Shape.of(pr.c()));
        }
        shape(op, pr, "dx", dx, pr.inputShape());
        boolean narrow = path == Path.NARROW || (path == Path.AUTO && pr.c() <= NARROW_MAX);
        if (narrow && pr.c() > NARROW_MAX) {
            throw new IllegalArgumentException(op + ": the narrow kernel needs C <= " + NARROW_MAX + ": " + pr);
        }
        KernelArgs args = pr.addTo(new KernelArgs().ptr(dy).ptr(y).ptr(w).ptr(bias).ptr(dx))
                .i32(act.code).f32(slope).i32(outAct.code).i32(accumulate ? 1 : 0).i32(mode.code);
        if (narrow) {
            dy.device().launch(DGRAD_NARROW, warpPerRow(op, pr.dgradGemm()[0]), args);
        } else {
            long rowsPerPhase = (long) pr.n() * ceil(pr.h(), pr.strideH()) * ceil(pr.w(), pr.strideW());
            long phases = (long) pr.strideH() * pr.strideW();
            if (phases > 65535) {
                throw new IllegalArgumentException(op + ": stride " + pr.strideH() + "x" + pr.strideW() + " gives " + phases
                        + " phases, more than a grid holds (65535): " + pr);
            }
            dy.device().launch(DGRAD, tiled(op, rowsPerPhase, pr.c(), (int) phases), args);
        }
    }

    /**
     * wgrad: dw (= or +=) (dy * act'(y))^T im2col(x) and db (= or +=) the sums of dy * act'(y)
     * over N*P*Q per output channel (db may be null). Deterministic: split-K partials are
     * reduced in a fixed order.
     *
     * @param dy gradient of the output [N, P, Q, K]
     * @param y  the forward's output [N, P, Q, K], or null with identity
     * @param x  the forward's input [N, H, W, C]
     * @param dw filter gradient [K, R, S, C]
     * @param db bias gradient [K] or null
     * @throws IllegalArgumentException on any shape, device or argument disagreement
     */
    public static void wgrad(ConvProblem pr, Tensor dy, Tensor y, Tensor x, Tensor dw, Tensor db, Activation act, float slope,
                             boolean accumulate, MathMode mode) {
        wgrad(WGRAD, pr, dy, y, act, x, null, Activation.IDENTITY, dw, db, slope, accumulate, mode);
    }

    /** The general wgrad launch: {@code xActY} non-null multiplies x by xAct'(xActY) on load (a transposed convolution's backward weight). */
    static void wgrad(String op, ConvProblem pr, Tensor dy, Tensor y, Activation act, Tensor x, Tensor xActY, Activation xAct, Tensor dw,
                      Tensor db, float slope, boolean accumulate, MathMode mode) {
        nonNull(op, pr, "dy", dy, "x", x, "dw", dw);
        Check.sameDevice(op, dy, y, x, xActY, dw, db);
        slope(op, act, slope);
        slope(op, xAct, slope);
        shape(op, pr, "dy", dy, pr.outputShape());
        if (y != null) {
            shape(op, pr, "y", y, pr.outputShape());
        } else if (act != Activation.IDENTITY) {
            throw new IllegalArgumentException(op + ": act " + act + " needs the forward's output y to take its derivative: " + pr);
        }
        shape(op, pr, "x", x, pr.inputShape());
        if (xActY != null) {
            shape(op, pr, "the activation output of x", xActY, pr.inputShape());
        }
        shape(op, pr, "dw", dw, pr.filterShape());
        if (db != null) {
            shape(op, pr, "db", db, Shape.of(pr.k()));
        }
        int[] split = wgradSplit(pr);
        int splits = split[0], chunk = split[1];
        Device device = dy.device();
        DeviceBuffer ws = null;
        long weights = (long) pr.k() * pr.r() * pr.s() * pr.c();
        if (splits > 1) {
            long bytes = 4L * splits * (weights + pr.k());
            ws = device.workspace(WGRAD + "/" + Long.highestOneBit(bytes * 2 - 1), Long.highestOneBit(bytes * 2 - 1));
        }
        KernelArgs args = new KernelArgs().ptr(dy).ptr(y).ptr(x).ptr(xActY).ptr(dw).ptr(db).ptr(ws);
        pr.addTo(args).i32(act.code).i32(xAct.code).f32(slope).i32(accumulate ? 1 : 0).i32(mode.code).i32(chunk);
        long rsc = (long) pr.r() * pr.s() * pr.c();
        LaunchConfig grid = new LaunchConfig(new Dim3(ceil(pr.k(), TILE), gridY(op, rsc), splits), Dim3.of(THREADS), 0);
        device.launch(WGRAD, grid, args);
        if (splits > 1) {
            long outputs = weights + pr.k();
            device.launch(WGRAD_REDUCE, new LaunchConfig(new Dim3((int) ((outputs + THREADS - 1) / THREADS), 1, 1), Dim3.of(THREADS), 0),
                    new KernelArgs().ptr(ws).ptr(dw).ptr(db).i32(splits).i32(pr.k()).i32((int) rsc).i32(accumulate ? 1 : 0));
        }
    }

    /**
     * wgrad's split-K {splits, chunk}: enough splits to give about {@link #SPLIT_TARGET_BLOCKS}
     * blocks, each at least {@link #SPLIT_MIN_TILES} K-tiles long, the workspace under
     * {@link #SPLIT_MAX_FLOATS}; chunk (rows of N*P*Q per split) a multiple of 16.
     */
    static int[] wgradSplit(ConvProblem pr) {
        long npq = pr.wgradGemm()[2];
        long kTiles = (npq + BK - 1) / BK;
        long blocks = (long) ceil(pr.k(), TILE) * ((pr.wgradGemm()[1] + TILE - 1) / TILE);
        long perSplitFloats = (long) pr.k() * pr.r() * pr.s() * pr.c() + pr.k();
        long splits = Math.min((SPLIT_TARGET_BLOCKS + blocks - 1) / blocks, kTiles / SPLIT_MIN_TILES);
        splits = Math.min(splits, Math.min(SPLIT_MAX, SPLIT_MAX_FLOATS / perSplitFloats));
        splits = Math.max(1, splits);
        long tilesPer = (kTiles + splits - 1) / splits;
        long chunk = tilesPer * BK;
        splits = (npq + chunk - 1) / chunk;
        return new int[] {(int) splits, (int) Math.min(chunk, Integer.MAX_VALUE - BK)};
    }

    static int ceil(int a, int b) {
        return (a + b - 1) / b;
    }

    private static int gridY(String op, long n) {
        long gy = (n + TILE - 1) / TILE;
        if (gy > 65535) {
            throw new IllegalArgumentException(op + ": GEMM N of " + n + " exceeds the grid (at most " + 65535L * TILE + ")");
        }
        return (int) gy;
    }

    private static LaunchConfig tiled(String op, long m, long n, int z) {
        long gx = (m + TILE - 1) / TILE;
        return new LaunchConfig(new Dim3((int) gx, gridY(op, n), z), Dim3.of(THREADS), 0);
    }

    private static LaunchConfig warpPerRow(String op, long rows) {
        long gx = (rows + WARPS - 1) / WARPS;
        if (gx > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + rows + " rows exceed the grid");
        }
        return new LaunchConfig(new Dim3((int) gx, 1, 1), Dim3.of(THREADS), 0);
    }

    static void slope(String op, Activation act, float slope) {
        Check.finite(op, "slope", slope);
        if (act == Activation.LEAKY_RELU && slope < 0) {
            throw new IllegalArgumentException(op + ": leaky ReLU slope must be >= 0, got " + slope);
        }
    }

    static void nonNull(String op, ConvProblem pr, Object... namesAndTensors) {
        if (pr == null) {
            throw new IllegalArgumentException(op + ": the problem is null");
        }
        for (int i = 0; i < namesAndTensors.length; i += 2) {
            if (namesAndTensors[i + 1] == null) {
                throw new IllegalArgumentException(op + ": " + namesAndTensors[i] + " is null: " + pr);
            }
        }
    }

    static void shape(String op, ConvProblem pr, String name, Tensor t, Shape expected) {
        if (!t.shape().equals(expected)) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " should be " + expected + " for " + pr);
        }
    }
}
