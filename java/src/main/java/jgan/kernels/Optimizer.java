package jgan.kernels;

import jgan.device.DeviceBuffer;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Tensor;

/**
 * Adam (decoupled weight decay, as AdamW) and SGD (optional momentum), one launch over a whole
 * network: its parameters, gradients and moments are each one flat tensor. Optional weight
 * clipping to [-clip, clip] (WGAN) and zeroing of the gradients ride in the same pass. Kernel:
 * kernels/optimizer.cu; reference: {@link jgan.reference.OptimizerReference}.
 *
 * <p>Adam's step count lives in device memory (an {@code int} at offset 0 of {@code step}), so
 * that a captured graph replays with the right bias correction: {@link #adam} reads it as
 * {@code t - 1} and never changes it; {@link #incrementStep} adds one, to be launched after
 * every update that uses the count (once, when several networks share a counter). Zero it
 * before the first step ({@code device.fill32(step, 0, 1, 0)}).
 *
 * <p>Learning-rate schedules live on the device for the same reason: {@link #lrSchedule} writes
 * the rate of update {@code *step + 1} into a 4-byte buffer, {@link #adamScheduled} reads it from
 * there (and can update an exponential moving average of the new parameters in the same pass,
 * for the generator's EMA). The scalar-rate {@link #adam} is unchanged: a run without schedule
 * and EMA keeps today's launches and bits.
 */
public final class Optimizer {
    public static final String ADAM = "adam_update";
    public static final String SGD = "sgd_update";
    public static final String STEP_INCREMENT = "optimizer_step_increment";
    public static final String LR_SCHEDULE = "lr_schedule";
    public static final String ADAM_LR = "adam_update_lr";
    static final int THREADS = 256;
    /** Grid-stride loops: enough blocks to fill any current GPU, no more. */
    static final int MAX_BLOCKS = 2048;

    /**
     * Adam's hyper-parameters: lr > 0, 0 <= beta1, beta2 < 1, eps > 0, weightDecay >= 0
     * (decoupled: p -= lr * weightDecay * p), clip >= 0 (0: no clipping); all finite.
     */
    public record Adam(float lr, float beta1, float beta2, float eps, float weightDecay, float clip) {
        public Adam {
            positive(ADAM, "lr", lr);
            fraction(ADAM, "beta1", beta1);
            fraction(ADAM, "beta2", beta2);
            positive(ADAM, "eps", eps);
            nonNegative(ADAM, "weight_decay", weightDecay);
            nonNegative(ADAM, "clip", clip);
        }

        /** betas (0.9, 0.999), eps 1e-8, no weight decay, no clipping. */
        public static Adam of(float lr) {
            return new Adam(lr, 0.9f, 0.999f, 1e-8f, 0f, 0f);
        }
    }

    /**
     * SGD's hyper-parameters: lr > 0, 0 <= momentum < 1 (0: plain SGD, no buffer),
     * weightDecay >= 0 (added to the gradient: g + weightDecay * p), clip >= 0 (0: none); all finite.
     */
    public record Sgd(float lr, float momentum, float weightDecay, float clip) {
        public Sgd {
            positive(SGD, "lr", lr);
            fraction(SGD, "momentum", momentum);
            nonNegative(SGD, "weight_decay", weightDecay);
            nonNegative(SGD, "clip", clip);
        }
    }

    /** The shape of a learning-rate schedule; {@link #code()} is the kernel's {@code kind}. */
    public enum ScheduleKind {
        /** The base rate throughout (after the warm-up). */
        CONSTANT(0),
        /** Linear from the base rate to final_fraction times it (PyTorch's LinearLR). */
        LINEAR(1),
        /** Half a cosine from the base rate to final_fraction times it (PyTorch's CosineAnnealingLR). */
        COSINE(2);

        private final int code;

        ScheduleKind(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        /** The lower-case name used by configs and the command line. */
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** {@code constant}, {@code linear} or {@code cosine}; anything else is refused, naming the choices. */
        public static ScheduleKind parse(String s) {
            for (ScheduleKind k : values()) {
                if (k.id().equals(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("lr schedule must be one of constant, linear, cosine, got " + s);
        }
    }

    /**
     * A learning-rate schedule over {@code total} updates (counted by the optimizer's device step
     * counter): {@code warmup} updates of linear warm-up (base (k + 1) / warmup at the k-th update
     * from 0), then {@code kind} from the base rate down to {@code finalFraction} times it over the
     * remaining {@code total - warmup} updates, then flat. The exact formula is in
     * kernels/optimizer.cu and {@link jgan.reference.OptimizerReference#scheduledRate}.
     * 0 <= finalFraction <= 1, 0 <= warmup < total.
     */
    public record Schedule(ScheduleKind kind, float finalFraction, int warmup, int total) {
        public Schedule {
            if (kind == null) {
                throw new IllegalArgumentException(LR_SCHEDULE + ": kind must be given");
            }
            Check.finite(LR_SCHEDULE, "final_fraction", finalFraction);
            if (finalFraction < 0 || finalFraction > 1) {
                throw new IllegalArgumentException(LR_SCHEDULE + ": final_fraction must be in [0, 1], got " + finalFraction);
            }
            if (total < 1) {
                throw new IllegalArgumentException(LR_SCHEDULE + ": total updates must be >= 1, got " + total);
            }
            if (warmup < 0 || warmup >= total) {
                throw new IllegalArgumentException(LR_SCHEDULE + ": warmup must be in [0, total) = [0, " + total + "), got " + warmup);
            }
        }

        /** The base rate throughout: what a run without a schedule does. */
        public static Schedule constant(int total) {
            return new Schedule(ScheduleKind.CONSTANT, 1f, 0, total);
        }

        /** Whether every update gets the base rate. */
        public boolean isConstant() {
            return warmup == 0 && (kind == ScheduleKind.CONSTANT || finalFraction == 1f);
        }
    }

    private Optimizer() {
    }

    /**
     * Writes the learning rate of update {@code *step + 1} under {@code schedule} from
     * {@code baseLr} (> 0, finite) into {@code lr} (a float at offset 0; one thread). Launch it
     * before the {@link #adamScheduled} that reads it and before the step's increment.
     */
    public static void lrSchedule(DeviceBuffer step, DeviceBuffer lr, float baseLr, Schedule schedule) {
        positive(LR_SCHEDULE, "base lr", baseLr);
        if (schedule == null) {
            throw new IllegalArgumentException(LR_SCHEDULE + ": schedule must be given");
        }
        checkScalar(LR_SCHEDULE, "the step counter", step);
        checkScalar(LR_SCHEDULE, "the rate", lr);
        if (step.device() != lr.device()) {
            throw new IllegalArgumentException(LR_SCHEDULE + ": step counter on " + step.device().name() + ", rate on " + lr.device().name());
        }
        if (step == lr) {
            throw new IllegalArgumentException(LR_SCHEDULE + ": the step counter and the rate are the same buffer");
        }
        step.device().launch(LR_SCHEDULE, LaunchConfig.cover(1, 1, 1), new KernelArgs().ptr(step).ptr(lr)
                .i32(schedule.kind().code()).f32(baseLr).f32(schedule.finalFraction()).i32(schedule.warmup()).i32(schedule.total()));
    }

    /**
     * One Adam update as {@link #adam}, at the rate read from {@code lr} (a float at offset 0,
     * written by {@link #lrSchedule}; {@code hp.lr()} is not used), and, when {@code ema} is not
     * null, ema = ema + (1 - d)(p - ema) of the updated parameters with d = min(emaDecay,
     * (1 + t) / (10 + t)) at update t = *step + 1 (TensorFlow's ExponentialMovingAverage with
     * num_updates). {@code ema} has params' size (start it as a copy of the parameters); emaDecay
     * in [0, 1) is ignored without it.
     */
    public static void adamScheduled(Tensor params, Tensor grads, Tensor m, Tensor v, Tensor ema, DeviceBuffer step, DeviceBuffer lr,
                                     Adam hp, float emaDecay, boolean zeroGrads) {
        Check.sameDevice(ADAM_LR, params, grads, m, v, ema);
        Check.sameNumel(ADAM_LR, "params", params, "grads", grads);
        Check.sameNumel(ADAM_LR, "params", params, "m", m);
        Check.sameNumel(ADAM_LR, "params", params, "v", v);
        if (ema != null) {
            Check.sameNumel(ADAM_LR, "params", params, "ema", ema);
            fraction(ADAM_LR, "ema_decay", emaDecay);
            distinct(ADAM_LR, new String[] {"params", "grads", "m", "v", "ema"}, params, grads, m, v, ema);
        } else {
            distinct(ADAM_LR, new String[] {"params", "grads", "m", "v"}, params, grads, m, v);
        }
        checkCounter(ADAM_LR, params, step);
        checkScalar(ADAM_LR, "the rate", lr);
        if (lr.device() != params.device()) {
            throw new IllegalArgumentException(ADAM_LR + ": tensors on different devices (" + params.device().name() + " and rate on "
                    + lr.device().name() + ")");
        }
        int n = params.numel();
        params.device().launch(ADAM_LR, config(n), new KernelArgs()
                .ptr(params).ptr(grads).ptr(m).ptr(v).ptr(ema).ptr(step).ptr(lr)
                .i32(n).f32(hp.beta1()).f32(hp.beta2()).f32(hp.eps()).f32(hp.weightDecay()).f32(hp.clip())
                .i32(zeroGrads ? 1 : 0).f32(ema != null ? emaDecay : 0f));
    }

    /**
     * One Adam update of {@code params} from {@code grads}, moments {@code m} and {@code v}
     * (zero before the first step), at step {@code *step + 1}. Zeroes {@code grads} when
     * {@code zeroGrads}.
     */
    public static void adam(Tensor params, Tensor grads, Tensor m, Tensor v, DeviceBuffer step, Adam hp, boolean zeroGrads) {
        Check.sameDevice(ADAM, params, grads, m, v);
        Check.sameNumel(ADAM, "params", params, "grads", grads);
        Check.sameNumel(ADAM, "params", params, "m", m);
        Check.sameNumel(ADAM, "params", params, "v", v);
        distinct(ADAM, new String[] {"params", "grads", "m", "v"}, params, grads, m, v);
        checkCounter(ADAM, params, step);
        int n = params.numel();
        params.device().launch(ADAM, config(n), new KernelArgs()
                .ptr(params).ptr(grads).ptr(m).ptr(v).ptr(step)
                .i32(n).f32(hp.lr()).f32(hp.beta1()).f32(hp.beta2()).f32(hp.eps()).f32(hp.weightDecay()).f32(hp.clip())
                .i32(zeroGrads ? 1 : 0));
    }

    /** {@code *step += 1} on the device (one thread), to follow the updates that used the count. */
    public static void incrementStep(DeviceBuffer step) {
        if (step == null || step.bytes() < 4) {
            throw new IllegalArgumentException(STEP_INCREMENT + ": the step counter needs a buffer of at least 4 bytes, got " + step);
        }
        step.device().launch(STEP_INCREMENT, LaunchConfig.cover(1, 1, 1), new KernelArgs().ptr(step));
    }

    /**
     * One SGD update of {@code params} from {@code grads}. {@code momentumBuf} (zero before the
     * first step) is required when {@code hp.momentum() > 0} and ignored (may be null) otherwise.
     * Zeroes {@code grads} when {@code zeroGrads}.
     */
    public static void sgd(Tensor params, Tensor grads, Tensor momentumBuf, Sgd hp, boolean zeroGrads) {
        Tensor buf = hp.momentum() > 0 ? momentumBuf : null;
        if (hp.momentum() > 0 && momentumBuf == null) {
            throw new IllegalArgumentException(SGD + ": momentum " + hp.momentum() + " needs a momentum buffer, got null");
        }
        Check.sameDevice(SGD, params, grads, buf);
        Check.sameNumel(SGD, "params", params, "grads", grads);
        if (buf != null) {
            Check.sameNumel(SGD, "params", params, "momentum_buf", buf);
            distinct(SGD, new String[] {"params", "grads", "momentum_buf"}, params, grads, buf);
        } else {
            distinct(SGD, new String[] {"params", "grads"}, params, grads);
        }
        int n = params.numel();
        params.device().launch(SGD, config(n), new KernelArgs()
                .ptr(params).ptr(grads).ptr(buf)
                .i32(n).f32(hp.lr()).f32(hp.momentum()).f32(hp.weightDecay()).f32(hp.clip()).i32(zeroGrads ? 1 : 0));
    }

    private static LaunchConfig config(int n) {
        // The float4 path handles four elements a thread per step.
        return LaunchConfig.cover((n + 3L) / 4, THREADS, MAX_BLOCKS);
    }

    private static void checkScalar(String op, String what, DeviceBuffer b) {
        if (b == null || b.bytes() < 4) {
            throw new IllegalArgumentException(op + ": " + what + " needs a buffer of at least 4 bytes, got " + b);
        }
    }

    private static void checkCounter(String op, Tensor params, DeviceBuffer step) {
        if (step == null || step.bytes() < 4) {
            throw new IllegalArgumentException(op + ": the step counter needs a buffer of at least 4 bytes, got " + step);
        }
        if (step.device() != params.device()) {
            throw new IllegalArgumentException(op + ": tensors on different devices (" + params.device().name() + " and step counter on "
                    + step.device().name() + ")");
        }
    }

    /** One buffer passed as two operands (params as grads, say) is a mistake: the update would read what it overwrites. */
    private static void distinct(String op, String[] names, Tensor... ts) {
        for (int i = 0; i < ts.length; i++) {
            for (int j = i + 1; j < ts.length; j++) {
                if (ts[i].buffer() == ts[j].buffer()) {
                    throw new IllegalArgumentException(op + ": " + names[i] + " and " + names[j] + " are the same buffer " + ts[i].shape());
                }
            }
        }
    }

    private static void positive(String op, String name, float value) {
        Check.finite(op, name, value);
        if (!(value > 0)) {
            throw new IllegalArgumentException(op + ": " + name + " must be > 0, got " + value);
        }
    }

    private static void nonNegative(String op, String name, float value) {
        Check.finite(op, name, value);
        if (value < 0) {
            throw new IllegalArgumentException(op + ": " + name + " must be >= 0, got " + value);
        }
    }

    private static void fraction(String op, String name, float value) {
        Check.finite(op, name, value);
        if (value < 0 || value >= 1) {
            throw new IllegalArgumentException(op + ": " + name + " must be in [0, 1), got " + value);
        }
    }
}
