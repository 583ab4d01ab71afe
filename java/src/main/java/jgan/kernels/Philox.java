package jgan.kernels;

import jgan.device.DeviceBuffer;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Tensor;

/**
 * Counter-based random numbers, Philox-4x32-10: uniform and normal floats (and the raw bits)
 * that depend only on (seed, offset, element index), never on the launch geometry or host
 * state. Kernel: kernels/philox.cu (its header gives the exact mapping); reference:
 * {@link jgan.reference.PhiloxReference}.
 *
 * <p>A draw of n elements at {@code offset} uses the counters {@code offset .. offset +
 * countersFor(n) - 1}; each draw method returns {@code offset + countersFor(n)}, the offset of
 * the next independent draw with the same seed. Draws are prefixes of one stream:
 * {@code draw(n, seed, offset + k)} equals elements {@code 4k .. 4k + n - 1} of
 * {@code draw(m, seed, offset)}.
 *
 * <p>In a captured graph the offset is a launch argument, so a replay draws the SAME numbers
 * again; capture a new graph (or re-launch) to move the offset.
 */
public final class Philox {
    public static final String UNIFORM = "philox_uniform";
    public static final String NORMAL = "philox_normal";
    public static final String BITS = "philox_bits";
    public static final String NORMAL_AT = "philox_normal_at";
    static final int THREADS = 256;
    /** Grid-stride loops over counters: enough blocks to fill any current GPU, no more. */
    static final int MAX_BLOCKS = 2048;

    private Philox() {
    }

    /** Counters a draw of {@code n} elements consumes: ceil(n / 4). */
    public static long countersFor(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("philox: element count must be >= 0, got " + n);
        }
        return (n + 3L) / 4;
    }

    /**
     * Fills {@code out} with floats uniform in [lo, hi) (u in [0, 1) from the top 24 bits of
     * each word, mapped in double; never hi). Returns the offset for the next draw.
     */
    public static long uniform(Tensor out, long seed, long offset, float lo, float hi) {
        Check.finite(UNIFORM, "lo", lo);
        Check.finite(UNIFORM, "hi", hi);
        if (!(lo < hi)) {
            throw new IllegalArgumentException(UNIFORM + ": lo must be < hi, got lo " + lo + ", hi " + hi);
        }
        int n = out.numel();
        long next = checkOffset(UNIFORM, offset, n);
        out.device().launch(UNIFORM, config(n),
                new KernelArgs().ptr(out).i32(n).i64(seed).i64(offset).f32(lo).f32(hi));
        return next;
    }

    /**
     * Fills {@code out} with mean + std * N(0, 1) floats (Box-Muller; |z| <= 5.77). std may be
     * 0. Returns the offset for the next draw.
     */
    public static long normal(Tensor out, long seed, long offset, float mean, float std) {
        Check.finite(NORMAL, "mean", mean);
        Check.finite(NORMAL, "std", std);
        if (std < 0) {
            throw new IllegalArgumentException(NORMAL + ": std must be >= 0, got " + std);
        }
        int n = out.numel();
        long next = checkOffset(NORMAL, offset, n);
        out.device().launch(NORMAL, config(n),
                new KernelArgs().ptr(out).i32(n).i64(seed).i64(offset).f32(mean).f32(std));
        return next;
    }

    /**
     * As {@link #normal}, with the offset read on the device from the 64-bit integer at
     * {@code offsetCounter}: for draws inside a replayed CUDA graph, where launch arguments are
     * fixed. Advance the counter by {@link #countersFor}(n) after the draw with
     * {@link Counters#addI64} (captured too) for the next step's numbers.
     */
    public static void normalAt(Tensor out, long seed, jgan.device.DeviceMemory offsetCounter, float mean, float std) {
        Check.finite(NORMAL_AT, "mean", mean);
        Check.finite(NORMAL_AT, "std", std);
        if (std < 0) {
            throw new IllegalArgumentException(NORMAL_AT + ": std must be >= 0, got " + std);
        }
        if (offsetCounter.byteLength() < 8) {
            throw new IllegalArgumentException(NORMAL_AT + ": the offset counter needs 8 bytes, has " + offsetCounter.byteLength());
        }
        int n = out.numel();
        out.device().launch(NORMAL_AT, config(n),
                new KernelArgs().ptr(out).i32(n).i64(seed).ptr(offsetCounter).f32(mean).f32(std));
    }

    /**
     * Writes the raw 32-bit outputs of a draw of {@code n} at (seed, offset) into the first
     * {@code 4 n} bytes of {@code out} (for exact tests; read back with Device.copyToHost(int[])).
     * Returns the offset for the next draw.
     */
    public static long bits(DeviceBuffer out, int n, long seed, long offset) {
        if (n < 1) {
            throw new IllegalArgumentException(BITS + ": n must be >= 1, got " + n);
        }
        if (out.bytes() < 4L * n) {
            throw new IllegalArgumentException(BITS + ": " + n + " words need " + 4L * n + " bytes, the buffer has "
                    + out.bytes());
        }
        long next = checkOffset(BITS, offset, n);
        out.device().launch(BITS, config(n), new KernelArgs().ptr(out).i32(n).i64(seed).i64(offset));
        return next;
    }

    /** offset >= 0 and the draw's last counter below 2^63: returns the next offset. */
    private static long checkOffset(String op, long offset, int n) {
        if (offset < 0) {
            throw new IllegalArgumentException(op + ": offset must be >= 0, got " + offset);
        }
        long counters = countersFor(n);
        if (offset > Long.MAX_VALUE - counters) {
            throw new IllegalArgumentException(op + ": offset " + offset + " + " + counters + " counters for " + n
                    + " elements passes 2^63 - 1");
        }
        return offset + counters;
    }

    private static LaunchConfig config(int n) {
        return LaunchConfig.cover(countersFor(n), THREADS, MAX_BLOCKS);
    }
}
