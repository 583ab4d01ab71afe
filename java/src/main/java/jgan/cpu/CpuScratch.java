package jgan.cpu;

/**
 * Float arrays reused from launch to launch, so that a training step allocates nothing once the
 * first step has sized them (a device runs one launch at a time). Each array only grows; its
 * contents are not kept between launches.
 */
final class CpuScratch {
    private final float[][] arrays = new float[6][0];
    private double[][] perTask = new double[0][];
    private int[] ints = new int[0];

    /**
     * Counts the operations that may write device memory (launches, copies to the device and
     * within it, fills, allocations and frees): {@link CpuContext#memoryWritten()}.
     */
    private final java.util.concurrent.atomic.AtomicLong epoch = new java.util.concurrent.atomic.AtomicLong();

    /**
     * What array {@link #a} holds after a dense_backward_weight without tf32: dz = dy * act'(y)
     * of the whole [rows][out], unrounded, for these arguments, made in operation {@code dzEpoch}.
     */
    private float[] dzArray;
    private long dzEpoch = -1, dzDy, dzY;
    private int dzRows, dzOut, dzAct, dzSlope;

    long epoch() {
        return epoch.get();
    }

    void touch() {
        epoch.incrementAndGet();
    }

    /**
     * Records that {@code dz} (array a) holds dz of these arguments, computed by the operation
     * that began at {@code started} (an {@link #epoch()}); nothing is recorded if another
     * operation began since (see {@link #holdsDz}).
     */
    void recordDz(long started, float[] dz, long dy, long y, int rows, int out, int act, float slope) {
        if (epoch() != started) {
            dzEpoch = -1;
            return;
        }
        dzArray = dz;
        dzEpoch = started;
        dzDy = dy;
        dzY = y;
        dzRows = rows;
        dzOut = out;
        dzAct = act;
        dzSlope = Float.floatToRawIntBits(slope);
    }

    /**
     * Whether {@code dz} holds dz = dy * act'(y) of these arguments: recorded by the operation just
     * before this one (nothing has written device memory since), with the same pointers and sizes.
     */
    boolean holdsDz(float[] dz, long dy, long y, int rows, int out, int act, float slope) {
        return dzArray == dz && dzEpoch == epoch() - 1 && dzDy == dy && dzY == y && dzRows == rows && dzOut == out
                && dzAct == act && dzSlope == Float.floatToRawIntBits(slope);
    }

    float[] a(long n) {
        return get(0, n);
    }

    float[] b(long n) {
        return get(1, n);
    }

    float[] c(long n) {
        return get(2, n);
    }

    float[] d(long n) {
        return get(3, n);
    }

    /** Scratch array {@code i} (0 .. 5) with at least {@code n} floats. */
    float[] get(int i, long n) {
        float[] s = arrays[i];
        if (s.length < n) {
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("cpu: a scratch operand of " + n + " floats exceeds a Java array");
            }
            s = new float[(int) Math.max(n, Math.min(Integer.MAX_VALUE - 8, s.length * 3L / 2))];
            arrays[i] = s;
        }
        return s;
    }

    /**
     * At least {@code tasks} double arrays of at least {@code n} each, one per task of a launch (a
     * task's partial sums), reused from launch to launch. Call before the tasks run: each task
     * then uses its own array only.
     */
    double[][] perTask(int tasks, int n) {
        if (perTask.length < tasks) {
            perTask = java.util.Arrays.copyOf(perTask, Math.max(tasks, perTask.length * 3 / 2));
        }
        for (int t = 0; t < tasks; t++) {
            if (perTask[t] == null || perTask[t].length < n) {
                perTask[t] = new double[n];
            }
        }
        return perTask;
    }

    /** An int array of at least {@code n} (index tables of a launch), reused. */
    int[] ints(int n) {
        if (ints.length < n) {
            ints = new int[Math.max(n, ints.length * 3 / 2)];
        }
        return ints;
    }
}
