package jgan.kernels;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.Dim3;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * Batch normalisation as PyTorch's {@code BatchNorm2d} on NHWC tensors and {@code BatchNorm1d} on
 * [N, C] (Ioffe and Szegedy 2015, eq. 1-2 and the backward of section 3), with an activation fused
 * into the normalising pass. Kernel: kernels/batch_norm.cu; reference:
 * {@link jgan.reference.BatchNormReference}.
 *
 * <p>Shapes: x, y, dy, dx are [N, H, W, C] (statistics per channel over N*H*W rows) or [N, C]
 * (per feature over N rows); gamma, beta, the saved mean and invstd, running_mean, running_var,
 * dgamma, dbeta have C elements (any shape). Running statistics are state, not parameters: they
 * are separate tensors that the optimizer never sees.
 *
 * <p>Training forward: mean and biased variance of the batch, {@code y = act(gamma (x - mean)
 * invstd + beta)} with {@code invstd = 1/sqrt(var + eps)}; mean and invstd are saved for the
 * backward; {@code running_mean = (1 - momentum) running_mean + momentum mean}, running_var the
 * same with the unbiased variance {@code var n/(n-1)}. Eval forward: the running statistics. As
 * PyTorch, training with one row per channel is refused, and NaN propagates (a NaN in a channel
 * makes that channel's output NaN). PyTorch's {@code momentum=None} (cumulative average) is not
 * supported.
 *
 * <p>Statistics partials (the contract shared with the convolution's fprop epilogue): a float
 * tensor [P, C, 3] where element (p, c) holds {count, mean, m2} of the rows of partial p, m2 the
 * sum of squared deviations from that mean computed two-pass; every row is in exactly one
 * partial (empty ones allowed). {@link #forwardTrain(Tensor, Tensor, Tensor, Tensor, Tensor,
 * Tensor, Tensor, Tensor, Tensor, float, float, Activation, float)} combines p = 0..P-1 in index
 * order with Chan et al.'s update, so results are the same bits run to run. {@link #statsPartials}
 * produces them from a tensor with chunks of rows fixed by the shape alone.
 *
 * <p>Backward: {@code dz = dy act'(y)} (from the forward's output y), {@code dbeta = sum dz},
 * {@code dgamma = sum dz xhat} in one deterministic reduction (chunk partials added in a fixed
 * order), then {@code dx = gamma invstd / n (n dz - dbeta - xhat dgamma)} in one pass.
 *
 * <p>Launches (kernel names = the constants below): training forward = stats (unless partials
 * are given), finalize, forward_train; eval = forward_eval; backward = backward_reduce,
 * backward_finalize, backward_data. Workspaces (device-lifetime, one per size): the partials of
 * {@link #forwardTrain(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, float,
 * float, Activation, float)} and of the backward; run each shape once before a graph capture.
 *
 * <p>ptxas, sm_90 (registers, static shared memory, occupancy; blocks of 256 threads, the
 * finalizers' 128): stats 55, 1 KiB, 50%; backward_reduce 48, 1 KiB, 62%; backward_data 48, 62%;
 * forward_train 40, 75%; forward_eval 32, 100%; finalizers 28-29. No spills on sm_75 .. sm_120.
 * Memory bound: each thread keeps 4 to 16 loads in flight (see the kernel's header).
 */
public final class BatchNorm {
    public static final String STATS = "batch_norm_stats";
    public static final String FINALIZE = "batch_norm_finalize";
    public static final String FORWARD_TRAIN = "batch_norm_forward_train";
    public static final String FORWARD_EVAL = "batch_norm_forward_eval";
    public static final String BACKWARD_REDUCE = "batch_norm_backward_reduce";
    public static final String BACKWARD_FINALIZE = "batch_norm_backward_finalize";
    public static final String BACKWARD_DATA = "batch_norm_backward_data";
    /** Every kernel of the op, for devices that may lack some (the cpu device before its bodies land). */
    public static final String[] KERNELS = {STATS, FINALIZE, FORWARD_TRAIN, FORWARD_EVAL, BACKWARD_REDUCE, BACKWARD_FINALIZE,
        BACKWARD_DATA};

    public static final float DEFAULT_EPS = 1e-5f;
    public static final float DEFAULT_MOMENTUM = 0.1f;

    /** As in the kernel: block size of every kernel but the finalizers. */
    static final int THREADS = 256;
    static final int NARROW_CHANNELS = 128;
    static final int WIDE_GROUP = 32;
    static final int CHUNK_ROWS_PER_LANE = 16;
    static final int FINALIZE_THREADS = 128;
    /** Elementwise passes: each thread takes at least this many rows, and the grid at most MAX_BLOCKS blocks. */
    static final int MIN_ROWS_PER_LANE = 4;
    static final int MAX_BLOCKS = 2048;

    private BatchNorm() {
    }

    /** Rows and channels of an activation tensor: [N, H, W, C] or [N, C]. */
    record Dims(int rows, int channels) {
    }

    static Dims dims(String op, Tensor x) {
        Shape s = x.shape();
        if (s.rank() != 2 && s.rank() != 4) {
            throw new IllegalArgumentException(op + ": x " + s + " must be [N, H, W, C] (NHWC) or [N, C]");
        }
        int c = s.dim(s.rank() - 1);
        return new Dims(x.numel() / c, c);
    }

    static int groupWidth(int channels) {
        return channels <= NARROW_CHANNELS ? channels : WIDE_GROUP;
    }

    static int lanes(int channels) {
        return THREADS / groupWidth(channels);
    }

    static int groups(int channels) {
        return (channels + groupWidth(channels) - 1) / groupWidth(channels);
    }

    /** Rows of one chunk of {@link #statsPartials} and of the backward's reduction. */
    static int chunkRows(int channels) {
        return CHUNK_ROWS_PER_LANE * lanes(channels);
    }

    static int chunks(Dims d) {
        return (int) ((d.rows + (long) chunkRows(d.channels) - 1) / chunkRows(d.channels));
    }

    /** The shape [P, C, 3] of the partials {@link #statsPartials} writes for an x of this shape. */
    public static Shape statsPartialsShape(Shape x) {
        if (x.rank() != 2 && x.rank() != 4) {
            throw new IllegalArgumentException(STATS + ": x " + x + " must be [N, H, W, C] (NHWC) or [N, C]");
        }
        int c = x.dim(x.rank() - 1);
        return Shape.of(chunks(new Dims((int) (x.numel() / c), c)), c, 3);
    }

    static LaunchConfig chunkGrid(String op, Dims d) {
        int groups = groups(d.channels);
        if (groups > 65535) {
            throw new IllegalArgumentException(op + ": " + d.channels + " channels exceed the grid (at most " + 65535 * WIDE_GROUP + ")");
        }
        return new LaunchConfig(new Dim3(chunks(d), groups, 1), Dim3.of(THREADS), 0);
    }

    static LaunchConfig rowGrid(String op, Dims d) {
        int groups = groups(d.channels);
        if (groups > 65535) {
            throw new IllegalArgumentException(op + ": " + d.channels + " channels exceed the grid (at most " + 65535 * WIDE_GROUP + ")");
        }
        long perBlock = (long) lanes(d.channels) * MIN_ROWS_PER_LANE;
        long blocks = Math.max(1, Math.min((d.rows + perBlock - 1) / perBlock, Math.max(1, MAX_BLOCKS / groups)));
        return new LaunchConfig(new Dim3((int) blocks, groups, 1), Dim3.of(THREADS), 0);
    }

    static LaunchConfig channelGrid(int channels) {
        return LaunchConfig.cover(channels, FINALIZE_THREADS, Integer.MAX_VALUE);
    }

    // ------------------------------------------------------------------ checks

    private static void perChannel(String op, String name, Tensor t, int channels) {
        if (t.numel() != channels) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shape() + " should have " + channels
                    + " elements (one per channel)");
        }
    }

    private static void sameShape(String op, String nameA, Tensor a, String nameB, Tensor b) {
        if (!a.shape().equals(b.shape())) {
            throw new IllegalArgumentException(op + ": " + nameB + " " + b.shape() + " should have the shape of " + nameA + " "
                    + a.shape());
        }
    }

    private static void activation(String op, Activation act, float slope) {
        Check.finite(op, "slope", slope);
        if (act == Activation.LEAKY_RELU && slope < 0) {
            throw new IllegalArgumentException(op + ": leaky ReLU slope must be >= 0, got " + slope);
        }
    }

    private static void trainingRows(String op, Tensor x, Dims d) {
        if (d.rows < 2) {
            throw new IllegalArgumentException(op + ": expected more than 1 value per channel when training, got input " + x.shape()
                    + " (" + d.rows + " row of " + d.channels + " channels)");
        }
    }

    private static void runningStats(String op, Tensor runningMean, Tensor runningVar, int channels) {
        if ((runningMean == null) != (runningVar == null)) {
            throw new IllegalArgumentException(op + ": running_mean and running_var are given together or not at all");
        }
        if (runningMean != null) {
            perChannel(op, "running_mean", runningMean, channels);
            perChannel(op, "running_var", runningVar, channels);
        }
    }

    private static void momentumEps(String op, float momentum, float eps) {
        if (!(momentum >= 0f && momentum <= 1f)) {
            throw new IllegalArgumentException(op + ": momentum must be in [0, 1], got " + momentum);
        }
        if (!(eps > 0f) || !Float.isFinite(eps)) {
            throw new IllegalArgumentException(op + ": eps must be finite and > 0, got " + eps);
        }
    }

    // ------------------------------------------------------------------ statistics

    /**
     * Writes the statistics partials of x ([N, H, W, C] or [N, C]) into {@code partials}, whose
     * shape must be {@link #statsPartialsShape}(x.shape()): partial p covers rows [p * chunk,
     * (p + 1) * chunk) with chunk = 16 * 256 / cw rows, cw = C for C <= 128 and 32 above (fixed by
     * the shape alone, kernels/batch_norm.cu), its m2 two-pass from values held in registers.
     *
     * @throws IllegalArgumentException if the shapes disagree or the tensors are on different devices
     */
    public static void statsPartials(Tensor x, Tensor partials) {
        Check.sameDevice(STATS, x, partials);
        Dims d = dims(STATS, x);
        Shape want = statsPartialsShape(x.shape());
        if (!partials.shape().equals(want)) {
            throw new IllegalArgumentException(STATS + ": partials " + partials.shape() + " should be " + want + " for x " + x.shape());
        }
        launchStats(x, d, partials, 0);
    }

    private static void launchStats(Tensor x, Dims d, jgan.device.DeviceMemory partials, long byteOffset) {
        x.device().launch(STATS, chunkGrid(STATS, d), new KernelArgs().ptr(x).ptr(partials, byteOffset).i32(d.rows).i32(d.channels));
    }

    // ------------------------------------------------------------------ forward

    /**
     * Training forward with the statistics in {@code partials} [P, C, 3] (from a convolution's
     * epilogue or {@link #statsPartials}; their counts must add up to x's rows):
     * {@code y = act(gamma (x - mean) invstd + beta)}; writes {@code saveMean} and
     * {@code saveInvstd} and, when given (both or neither), updates {@code runningMean} and
     * {@code runningVar} in place with {@code momentum}. y may be x (then the backward cannot run).
     *
     * @param x          [N, H, W, C] or [N, C], the pre-activation values the partials describe
     * @param momentum   in [0, 1] (PyTorch's default 0.1, {@link #DEFAULT_MOMENTUM})
     * @param eps        added to the variance, > 0 (PyTorch's default 1e-5, {@link #DEFAULT_EPS})
     * @param act        fused activation; {@code slope} is leaky ReLU's (>= 0)
     * @throws IllegalArgumentException before any launch when shapes disagree (partials not
     *     [P, C, 3], y not x's shape, a per-channel tensor without C elements), tensors are on
     *     different devices, x has one row per channel, momentum is outside [0, 1], eps <= 0 or
     *     the slope is negative or not finite
     */
    public static void forwardTrain(Tensor x, Tensor partials, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean,
                                    Tensor saveInvstd, Tensor runningMean, Tensor runningVar, float momentum, float eps,
                                    Activation act, float slope) {
        String op = FORWARD_TRAIN;
        Check.sameDevice(op, x, partials, gamma, beta, y, saveMean, saveInvstd, runningMean, runningVar);
        Dims d = checkTrain(op, x, gamma, beta, y, saveMean, saveInvstd, runningMean, runningVar, momentum, eps, act, slope);
        Shape ps = partials.shape();
        if (ps.rank() != 3 || ps.dim(1) != d.channels || ps.dim(2) != 3) {
            throw new IllegalArgumentException(op + ": partials " + ps + " should be [P, " + d.channels + ", 3] for x " + x.shape());
        }
        finalizeAndApply(x, d, partials, 0, ps.dim(0), gamma, beta, y, saveMean, saveInvstd, runningMean, runningVar, momentum,
                eps, act, slope);
    }

    /**
     * Training forward with statistics computed here ({@link #statsPartials} into a device
     * workspace, then as {@link #forwardTrain(Tensor, Tensor, Tensor, Tensor, Tensor, Tensor,
     * Tensor, Tensor, Tensor, float, float, Activation, float)}); the same arguments without
     * partials.
     */
    public static void forwardTrain(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvstd,
                                    Tensor runningMean, Tensor runningVar, float momentum, float eps, Activation act, float slope) {
        String op = FORWARD_TRAIN;
        Check.sameDevice(op, x, gamma, beta, y, saveMean, saveInvstd, runningMean, runningVar);
        Dims d = checkTrain(op, x, gamma, beta, y, saveMean, saveInvstd, runningMean, runningVar, momentum, eps, act, slope);
        int p = chunks(d);
        long bytes = 12L * p * d.channels;
        DeviceBuffer ws = x.device().workspace(STATS + "/" + bytes, bytes);
        launchStats(x, d, ws, 0);
        finalizeAndApply(x, d, ws, 0, p, gamma, beta, y, saveMean, saveInvstd, runningMean, runningVar, momentum, eps, act, slope);
    }

    private static Dims checkTrain(String op, Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvstd,
                                   Tensor runningMean, Tensor runningVar, float momentum, float eps, Activation act, float slope) {
        Dims d = dims(op, x);
        sameShape(op, "x", x, "y", y);
        perChannel(op, "gamma", gamma, d.channels);
        perChannel(op, "beta", beta, d.channels);
        perChannel(op, "save_mean", saveMean, d.channels);
        perChannel(op, "save_invstd", saveInvstd, d.channels);
        runningStats(op, runningMean, runningVar, d.channels);
        momentumEps(op, momentum, eps);
        activation(op, act, slope);
        trainingRows(op, x, d);
        return d;
    }

    private static void finalizeAndApply(Tensor x, Dims d, jgan.device.DeviceMemory partials, long byteOffset, int numPartials,
                                         Tensor gamma, Tensor beta, Tensor y, Tensor saveMean, Tensor saveInvstd,
                                         Tensor runningMean, Tensor runningVar, float momentum, float eps, Activation act,
                                         float slope) {
        Device dev = x.device();
        dev.launch(FINALIZE, channelGrid(d.channels), new KernelArgs().ptr(partials, byteOffset).ptr(saveMean).ptr(saveInvstd)
                .ptr(runningMean).ptr(runningVar).i32(numPartials).i32(d.channels).f32(momentum).f32(eps));
        dev.launch(FORWARD_TRAIN, rowGrid(FORWARD_TRAIN, d), new KernelArgs().ptr(x).ptr(saveMean).ptr(saveInvstd).ptr(gamma)
                .ptr(beta).ptr(y).i32(d.rows).i32(d.channels).i32(act.code).f32(slope));
    }

    /**
     * Eval forward: {@code y = act(gamma (x - running_mean) / sqrt(running_var + eps) + beta)}.
     * One row is allowed. y may be x.
     *
     * @throws IllegalArgumentException before launch when shapes disagree, tensors are on
     *     different devices, eps <= 0 or the slope is bad
     */
    public static void forwardEval(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, float eps,
                                   Activation act, float slope) {
        String op = FORWARD_EVAL;
        Check.sameDevice(op, x, gamma, beta, runningMean, runningVar, y);
        Dims d = dims(op, x);
        sameShape(op, "x", x, "y", y);
        perChannel(op, "gamma", gamma, d.channels);
        perChannel(op, "beta", beta, d.channels);
        if (runningMean == null || runningVar == null) {
            throw new IllegalArgumentException(op + ": eval mode needs running_mean and running_var");
        }
        runningStats(op, runningMean, runningVar, d.channels);
        momentumEps(op, 0f, eps);
        activation(op, act, slope);
        x.device().launch(FORWARD_EVAL, rowGrid(op, d), new KernelArgs().ptr(x).ptr(runningMean).ptr(runningVar).ptr(gamma)
                .ptr(beta).ptr(y).i32(d.rows).i32(d.channels).f32(eps).i32(act.code).f32(slope));
    }

    // ------------------------------------------------------------------ backward

    /**
     * Backward of a training forward: with {@code dz = dy act'(y)} and {@code xhat = (x - mean)
     * invstd} (mean and invstd as that forward saved them), {@code dbeta = sum dz},
     * {@code dgamma = sum dz xhat} (written, or added to what they hold when {@code accumulate};
     * either may be null) and {@code dx = gamma invstd (dz - dbeta/n - xhat dgamma/n)}, n = rows.
     * y is the forward's output (may be null for identity); dx may be dy.
     *
     * @throws IllegalArgumentException before launch when shapes disagree (dy, y, dx not x's
     *     shape, per-channel tensors without C elements), tensors are on different devices, x has
     *     one row per channel, or y is missing for a non-identity activation
     */
    public static void backward(Tensor dy, Tensor y, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvstd, Tensor dx,
                                Tensor dgamma, Tensor dbeta, Activation act, float slope, boolean accumulate) {
        String op = BACKWARD_DATA;
        Check.sameDevice(op, x, dy, y, gamma, saveMean, saveInvstd, dx, dgamma, dbeta);
        Dims d = dims(op, x);
        sameShape(op, "x", x, "dy", dy);
        sameShape(op, "x", x, "dx", dx);
        if (y != null) {
            sameShape(op, "x", x, "y", y);
        } else if (act != Activation.IDENTITY) {
            throw new IllegalArgumentException(op + ": the forward's output y is needed for the derivative of " + act);
        }
        perChannel(op, "gamma", gamma, d.channels);
        perChannel(op, "save_mean", saveMean, d.channels);
        perChannel(op, "save_invstd", saveInvstd, d.channels);
        if (dgamma != null) {
            perChannel(op, "dgamma", dgamma, d.channels);
        }
        if (dbeta != null) {
            perChannel(op, "dbeta", dbeta, d.channels);
        }
        activation(op, act, slope);
        trainingRows(op, x, d);
        Device dev = x.device();
        int p = chunks(d);
        long partialBytes = 8L * p * d.channels;
        long bytes = partialBytes + 8L * d.channels;
        DeviceBuffer ws = dev.workspace(BACKWARD_REDUCE + "/" + bytes, bytes);
        Tensor yy = act == Activation.IDENTITY ? null : y;
        dev.launch(BACKWARD_REDUCE, chunkGrid(op, d), new KernelArgs().ptr(dy).ptr(yy).ptr(x).ptr(saveMean).ptr(saveInvstd)
                .ptr(ws, 0).i32(d.rows).i32(d.channels).i32(act.code).f32(slope));
        dev.launch(BACKWARD_FINALIZE, channelGrid(d.channels), new KernelArgs().ptr(ws, 0).ptr(ws, partialBytes).ptr(dgamma)
                .ptr(dbeta).i32(p).i32(d.channels).i32(accumulate ? 1 : 0));
        dev.launch(BACKWARD_DATA, rowGrid(op, d), new KernelArgs().ptr(dy).ptr(yy).ptr(x).ptr(saveMean).ptr(saveInvstd).ptr(gamma)
                .ptr(ws, partialBytes).ptr(dx).i32(d.rows).i32(d.channels).i32(act.code).f32(slope));
    }
}
