package jgan.kernels;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.Dim3;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * Transposed 2-D convolution (PyTorch's {@code ConvTranspose2d}, output_padding included), the
 * generator's upsampling, run on the convolution kernels of kernels/conv.cu with no kernel of
 * its own and no zero-stuffed input: it is the mirrored convolution {@code pr} (from
 * {@link ConvProblem#transposed}) run backwards.
 *
 * <pre>
 *   transposed op       = kernel on the mirrored problem pr
 *   forward             = dgrad  (its input plays dy [N, P, Q, K], its output dx [N, H, W, C]; bias and act in the epilogue)
 *   backward data       = fprop  (dy of the output plays x, times act'(y) as it is loaded)
 *   backward weight     = wgrad with the roles swapped (its input plays dy, the output gradient plays x)
 *                         + conv2d_channel_sums for the bias gradient (per output channel over N*H*W)
 * </pre>
 *
 * Shapes (NHWC): input x [N, hIn, wIn, in] = [N, P, Q, K] of pr, weight w [in, kh, kw, out] =
 * [K, R, S, C] (PyTorch's [in, out, kh, kw] permuted), bias [out], output y [N, hOut, wOut, out]
 * = [N, H, W, C] with hOut = (hIn - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1.
 * Reference: {@link jgan.reference.ConvReference#transposedForward}.
 */
public final class ConvTranspose2d {
    public static final String FORWARD = "conv_transpose2d_forward";
    public static final String BACKWARD_DATA = "conv_transpose2d_backward_data";
    public static final String BACKWARD_WEIGHT = "conv_transpose2d_backward_weight";
    /** The bias gradient's kernel (kernels/conv.cu): the only one of its own, as no conv GEMM sums an NHWC tensor's channels. */
    public static final String CHANNEL_SUMS = "conv2d_channel_sums";

    private ConvTranspose2d() {
    }

    /**
     * y = act(convT(x, w) + bias), bias [out] may be null.
     *
     * @param pr the mirrored problem ({@link ConvProblem#transposed})
     * @param x  input [N, P, Q, K]
     * @param w  weight [K, R, S, C]
     * @param y  output [N, H, W, C]
     * @throws IllegalArgumentException on any shape, device or argument disagreement
     */
    public static void forward(ConvProblem pr, Tensor x, Tensor w, Tensor bias, Tensor y, Activation act, float slope, MathMode mode) {
        check(FORWARD, pr, "x", x, "y", y, w);
        if (bias != null) {
            Conv2d.shape(FORWARD, pr, "bias", bias, Shape.of(pr.c()));
        }
        if (bias == null && act == Activation.IDENTITY && isProjection(pr)) {
            // 1x1 input to an R x S output, no padding (DCGAN's first layer): each output pixel meets
            // exactly one filter tap, so the whole op is the dense GEMM y[N, R*S*C] = x[N, K] w[K, R*S*C]:
            // dense_backward_data on the same mainloop (identity: act' = 1), with none of the 15 wasted
            // taps in 16 that the phase GEMM would multiply.
            Check.sameDevice(FORWARD, x, w, y);
            Conv2d.slope(FORWARD, act, slope);
            int rsc = pr.r() * pr.s() * pr.c();
            Tensor x2 = x.reshape(Shape.of(pr.n(), pr.k()));
            Dense.backwardData(x2, x2, w.reshape(Shape.of(pr.k(), rsc)), y.reshape(Shape.of(pr.n(), rsc)), Activation.IDENTITY, 0f,
                    mode);
            return;
        }
        Conv2d.dgrad(FORWARD, pr, x, null, w, bias, y, Activation.IDENTITY, slope, act, false, mode, Conv2d.Path.AUTO);
    }

    /**
     * dx = conv(dy * act'(y), w): the gradient with respect to the input [N, P, Q, K], from the
     * output gradient dy and the forward's output y [N, H, W, C] (y may be null with identity).
     *
     * @throws IllegalArgumentException on any shape, device or argument disagreement
     */
    public static void backwardData(ConvProblem pr, Tensor dy, Tensor y, Tensor w, Tensor dx, Activation act, float slope,
                                    MathMode mode) {
        check(BACKWARD_DATA, pr, "dx", dx, "dy", dy, w);
        checkY(BACKWARD_DATA, pr, y, act);
        Conv2d.fprop(BACKWARD_DATA, pr, dy, y, act, w, null, dx, Activation.IDENTITY, slope, mode, null, Conv2d.Path.AUTO);
    }

    /**
     * dw (= or +=) the weight gradient [K, R, S, C] from the forward's input x [N, P, Q, K] and
     * the output gradient dz = dy * act'(y) (y [N, H, W, C], may be null with identity); db [C]
     * (= or +=, may be null) the bias gradient, the sums of dz over N*H*W per output channel.
     * Both deterministic (split partials reduced in a fixed order).
     *
     * @throws IllegalArgumentException on any shape, device or argument disagreement
     */
    public static void backwardWeight(ConvProblem pr, Tensor dy, Tensor y, Tensor x, Tensor dw, Tensor db, Activation act, float slope,
                                      boolean accumulate, MathMode mode) {
        check(BACKWARD_WEIGHT, pr, "x", x, "dy", dy, dw);
        checkY(BACKWARD_WEIGHT, pr, y, act);
        Check.sameDevice(BACKWARD_WEIGHT, dy, y, x, dw, db);
        if (db != null) {
            Conv2d.shape(BACKWARD_WEIGHT, pr, "db", db, Shape.of(pr.c()));
        }
        Conv2d.wgrad(BACKWARD_WEIGHT, pr, x, null, Activation.IDENTITY, dy, y, act, dw, null, slope, accumulate, mode);
        if (db != null) {
            channelSums(pr, dy, y, db, act, slope, accumulate);
        }
    }

    /** The mirror of a 1x1 -> R x S transposed convolution without padding, output_padding or dilation. */
    static boolean isProjection(ConvProblem pr) {
        return pr.p() == 1 && pr.q() == 1 && pr.h() == pr.r() && pr.w() == pr.s() && pr.padTop() == 0 && pr.padLeft() == 0
                && pr.dilationH() == 1 && pr.dilationW() == 1;
    }

    static final int SUMS_COLUMNS = 32;
    /** Each split of the channel sums covers at least this many rows. */
    static final int SUMS_MIN_ROWS = 512;

    /** {splits, chunk} of conv2d_channel_sums for rows x cols: about Conv2d.SPLIT_TARGET_BLOCKS blocks, fixed by the shape. */
    static int[] channelSumsSplit(int rows, int cols) {
        long blocks = (cols + SUMS_COLUMNS - 1) / SUMS_COLUMNS;
        long splits = Math.min((Conv2d.SPLIT_TARGET_BLOCKS + blocks - 1) / blocks, rows / SUMS_MIN_ROWS);
        splits = Math.max(1, Math.min(splits, Conv2d.SPLIT_MAX));
        long chunk = ((rows + splits - 1) / splits + 7) / 8 * 8;
        return new int[] {(int) ((rows + chunk - 1) / chunk), (int) chunk};
    }

    private static void channelSums(ConvProblem pr, Tensor dy, Tensor y, Tensor db, Activation act, float slope, boolean accumulate) {
        int rows = pr.n() * pr.h() * pr.w(), cols = pr.c();
        int[] split = channelSumsSplit(rows, cols);
        Device device = dy.device();
        DeviceBuffer ws = null;
        if (split[0] > 1) {
            long bytes = Long.highestOneBit(4L * split[0] * cols * 2 - 1);
            ws = device.workspace(CHANNEL_SUMS + "/" + bytes, bytes);
        }
        device.launch(CHANNEL_SUMS, new LaunchConfig(new Dim3((cols + SUMS_COLUMNS - 1) / SUMS_COLUMNS, split[0], 1), Dim3.of(256), 0),
                new KernelArgs().ptr(dy).ptr(y).ptr(db).ptr(ws).i32(rows).i32(cols).i32(act.code).f32(slope).i32(accumulate ? 1 : 0)
                        .i32(split[1]));
        if (split[0] > 1) {
            device.launch(Conv2d.WGRAD_REDUCE, new LaunchConfig(new Dim3((cols + 255) / 256, 1, 1), Dim3.of(256), 0),
                    new KernelArgs().ptr(ws).ptr(db).ptr((DeviceBuffer) null).i32(split[0]).i32(1).i32(cols).i32(accumulate ? 1 : 0));
        }
    }

    /** Checks in the transposed op's own names: an input-side tensor [N, P, Q, K], an output-side one [N, H, W, C], a weight [K, R, S, C]. */
    private static void check(String op, ConvProblem pr, String inName, Tensor in, String outName, Tensor out, Tensor w) {
        Conv2d.nonNull(op, pr, inName, in, outName, out, "w", w);
        Conv2d.shape(op, pr, inName, in, pr.outputShape());
        Conv2d.shape(op, pr, outName, out, pr.inputShape());
        Conv2d.shape(op, pr, "w", w, pr.filterShape());
    }

    private static void checkY(String op, ConvProblem pr, Tensor y, Activation act) {
        if (y == null && act != Activation.IDENTITY) {
            throw new IllegalArgumentException(op + ": act " + act + " needs the forward's output y: " + pr);
        }
        if (y != null) {
            Conv2d.shape(op, pr, "y", y, pr.inputShape());
        }
    }
}
