package jgan.cpu;

import static jgan.cpu.CpuKernels.bits;
import static jgan.cpu.CpuKernels.f;

import dev.ludovic.netlib.blas.BLAS;

/**
 * kernels/dense.cu on the cpu device: the three GEMMs of a dense layer through BLAS
 * ({@code sgemm}), with the kernel's fused parts done in Java loops around it: the bias and
 * activation epilogue of the forward, the activation derivative applied to dy of the backward
 * (dz = dy * act'(y), from the forward's output y), the bias gradient (row sums of dz), and
 * accumulation into dw and db.
 *
 * <p>Row-major (C) and column-major (BLAS) layouts: a row-major matrix R [m][n] is, read
 * column-major with the same leading dimension n, its transpose R^T (n x m). So every row-major
 * product below is issued as the column-major product of the transposes:
 * <pre>
 *   forward   y  = x w^T   [rows, out]   as  y^T  = w^T' x^T  : sgemm("T", "N", out, rows, in;  w (ld in),  x (ld in),   y (ld out))
 *   data      dx = dz w    [rows, in]    as  dx^T = w^T  dz^T : sgemm("N", "N", in,  rows, out; w (ld in),  dz (ld out), dx (ld in))
 *   weight    dw = dz^T x  [out, in]     as  dw^T = x^T  dz   : sgemm("N", "T", in,  out, rows; x (ld in),  dz (ld out), dw (ld in))
 * </pre>
 * (in the first line w^T' is the column-major w^T, (in x out), used transposed.) Rows of the
 * row-major result are columns of the column-major one, so a block of result rows is one sgemm
 * on a block of the right-hand operand: that is how the work is split among threads. The blocks
 * are fixed by the shape alone and every result element is computed by one sgemm call, with the
 * whole K, so the thread count never changes the bits. This is the one path, whatever the BLAS:
 * the bundled OpenBLAS runs 1 thread per call ({@link CpuBlas}), the Java BLAS has no threads.
 *
 * <p>Math modes: 0 FP32; 1 TF32: both GEMM operands are rounded to tf32 as
 * {@code wmma::__float_to_tf32} does (nearest, ties away from zero: add half an ulp of the 10-bit
 * mantissa to the bits and cut the low 13), then multiplied in FP32; the products of tf32 values
 * are exact in float, and they are accumulated in FP32, as the tensor cores do. The bias gradient
 * sums dz before rounding, as the kernel does.
 *
 * <p>Passes over memory saved, with the same bits: the backward weight pass makes each task's
 * columns of dz and adds them to the bias sums in one pass; it leaves the whole dz (unrounded) in
 * scratch array a, and the backward data pass launched right after it on the same dy and y (as
 * {@code DenseLayer} orders them) takes dz from there instead of making it again, when nothing has
 * written device memory in between ({@link CpuScratch#holdsDz}) and the weight pass wrote neither
 * dy nor y. ReLU and leaky ReLU derivatives are picked with integer masks ({@link #dzRange}).
 *
 * <p>Device memory is int words (see {@link CpuMemory}); BLAS takes float arrays, so the operands
 * are converted into scratch arrays of the device while being rounded or multiplied by the
 * activation derivative, and the results converted back in the epilogue.
 */
final class CpuDense {
    /**
     * A task's share of a GEMM: at least this many multiply-adds (fewer tasks for small layers).
     * A block is one BLAS call that packs the whole of the other operand again, so a block must
     * be long enough for that to be small beside its multiply-adds (measured with OpenBLAS on
     * DCGAN-28's shapes: blocks of 8 rows ran at a third of one whole call's speed).
     */
    static final long TASK_FMAS = 1L << 22;
    /** At least this many rows a block (a multiple of 16, as OpenBLAS's kernels block by 4, 8 or 16). */
    static final int MIN_ROWS = 64;
    /** At most this many tasks a GEMM. */
    static final int MAX_TASKS = 64;

    private CpuDense() {
    }

    /** wmma::__float_to_tf32 on the bits: nearest, ties away from zero; NaN and Inf pass through. */
    static int tf32Bits(int u) {
        return (u & 0x7f800000) == 0x7f800000 ? u : (u + 0x1000) & 0xffffe000;
    }

    /** The fused activation of kernels/activation.cuh: NaN passes through (PyTorch's relu(NaN) = NaN). */
    static float activate(float v, int act, float slope) {
        switch (act) {
            case 1: return v < 0f ? 0f : v;
            case 2: return v < 0f ? slope * v : v;
            case 3: return (float) Math.tanh(v);
            default: return v;
        }
    }

    /** dz = dy * act'(y), from the activation's output y; tanh's 1 - y^2 and the product in double, rounded once. */
    static float dz(float dy, float y, int act, float slope) {
        switch (act) {
            case 1: return dy * (y > 0f ? 1f : 0f);
            case 2: return y > 0f ? dy : dy * slope;
            case 3: return (float) (dy * (1 - (double) y * y));
            default: return dy;
        }
    }

    /** act' from the activation's output y, in float as the kernels' activation_grad (conv.cu, batch_norm.cu). */
    static float grad(float y, int act, float slope) {
        switch (act) {
            case 1: return y > 0f ? 1f : 0f;
            case 2: return y > 0f ? 1f : slope;
            case 3: return 1f - y * y;
            default: return 1f;
        }
    }

    /** Length of the factor array {@link #dzRange} takes (one per task). */
    static final int FAC_BLOCK = 512;

    /**
     * dz = dy * act'(y) for the elements [from, to) of dy and y into {@code dzs[from, to)}, each
     * exactly {@link #dz}. For ReLU and leaky ReLU the factor act'(y) (1, or 0 / slope where y is
     * not above zero: a NaN y too) is picked from y's bits with integer masks into {@code fac} (the
     * calling task's own array of {@link #FAC_BLOCK}, reused block after block, so it stays in L1),
     * then multiplied in a second loop: dy * 1 is dy and dy * slope is {@link #dz}'s product, so
     * the bits are the same, and both loops run as vector code where the branch on y's sign (taken
     * at random for half-dead ReLU layers) mispredicts most of the time.
     */
    static void dzRange(int[] gw, int go, int[] yw, int yo, float[] dzs, int[] fac, int from, int to, int act, float slope) {
        if (act == 1 || act == 2) {
            int other = act == 1 ? 0 : bits(slope);
            for (int b0 = from; b0 < to; b0 += FAC_BLOCK) {
                int n = Math.min(FAC_BLOCK, to - b0), y0 = yo + b0, g0 = go + b0;
                for (int k = 0; k < n; k++) {
                    fac[k] = CpuActBits.select(CpuActBits.posMask(yw[y0 + k]), CpuActBits.ONE, other);
                }
                for (int k = 0; k < n; k++) {
                    dzs[b0 + k] = f(gw, g0 + k) * f(fac, k);
                }
            }
        } else if (act == 0) {
            for (int i = from; i < to; i++) {
                dzs[i] = f(gw, go + i);
            }
        } else {
            for (int i = from; i < to; i++) {
                dzs[i] = dz(f(gw, go + i), f(yw, yo + i), act, slope);
            }
        }
    }

    /**
     * Rows of the result per task: the work's share by TASK_FMAS, MIN_ROWS and MAX_TASKS, a
     * multiple of 16. A function of the shape alone: the thread count only decides which thread
     * runs a block.
     */
    static int rowsPerTask(int rows, long fmasPerRow) {
        long r = Math.max((TASK_FMAS + fmasPerRow - 1) / Math.max(1, fmasPerRow), (rows + MAX_TASKS - 1L) / MAX_TASKS);
        r = Math.max(MIN_ROWS, (r + 15) / 16 * 16);
        return (int) Math.min(rows, Math.max(1, r));
    }

    /** Words [0, n) of {@code src} as floats into {@code dst}, tf32-rounded when asked. */
    private static void toFloats(CpuKernels.Call c, CpuMemory.Ref src, float[] dst, long n, boolean tf32) {
        int[] w = src.words();
        int o = src.index();
        c.forChunks(n, (from, to) -> {
            if (tf32) {
                for (int i = from; i < to; i++) {
                    dst[i] = Float.intBitsToFloat(tf32Bits(w[o + i]));
                }
            } else {
                for (int i = from; i < to; i++) {
                    dst[i] = f(w, o + i);
                }
            }
        });
    }

    // dense_forward(x, w, b, y, rows, in, out, act, slope, math_mode): y = act(x w^T + b)
    static void forward(CpuKernels.Call c) {
        int rows = c.i32(4), in = c.i32(5), out = c.i32(6), act = c.i32(7);
        float slope = c.f32(8);
        boolean tf32 = c.i32(9) == 1;
        if (rows <= 0 || out <= 0 || in < 0) {
            return;
        }
        CpuMemory.Ref x = c.ptr(0, (long) rows * in), w = c.ptr(1, (long) out * in), b = c.ptrOrNull(2, out),
                y = c.ptr(3, (long) rows * out);
        float[] xs = c.scratch.a((long) rows * in), ws = c.scratch.b((long) out * in), ys = c.scratch.c((long) rows * out);
        toFloats(c, w, ws, (long) out * in, tf32);
        float[] bias = c.scratch.d(out);
        for (int j = 0; j < out; j++) {
            bias[j] = b == null ? 0f : f(b.words(), b.index() + j);
        }
        int block = rowsPerTask(rows, (long) in * out);
        int[] yw = y.words(), xw = x.words();
        int yo = y.index(), xo = x.index();
        BLAS blas = c.blas;
        c.parallel.run(CpuParallel.tasks(rows, block), t -> {
            int r0 = t * block, r1 = Math.min(rows, r0 + block), nr = r1 - r0;
            for (int i = r0 * in, end = r1 * in; i < end; i++) {
                xs[i] = Float.intBitsToFloat(tf32 ? tf32Bits(xw[xo + i]) : xw[xo + i]);
            }
            blas.sgemm("T", "N", out, nr, in, 1f, ws, 0, Math.max(1, in), xs, r0 * in, Math.max(1, in), 0f, ys, r0 * out, out);
            for (int m = r0; m < r1; m++) {
                int row = m * out;
                for (int j = 0; j < out; j++) {
                    // acc + (b ? b[n] : 0.f), as the kernel adds it (0 + -0 is +0 there too)
                    yw[yo + row + j] = bits(activate(ys[row + j] + bias[j], act, slope));
                }
            }
        });
    }

    // dense_backward_data(dy, y, w, dx, rows, in, out, act, slope, math_mode): dx = (dy * act'(y)) w
    static void backwardData(CpuKernels.Call c) {
        int rows = c.i32(4), in = c.i32(5), out = c.i32(6), act = c.i32(7);
        float slope = c.f32(8);
        boolean tf32 = c.i32(9) == 1;
        if (rows <= 0 || in <= 0 || out < 0) {
            return;
        }
        CpuMemory.Ref dy = c.ptr(0, (long) rows * out), y = c.ptr(1, (long) rows * out), w = c.ptr(2, (long) out * in),
                dx = c.ptr(3, (long) rows * in);
        float[] dzs = c.scratch.a((long) rows * out), ws = c.scratch.b((long) out * in), dxs = c.scratch.c((long) rows * in);
        // dz is array a already when this launch follows the dense_backward_weight of the same dy and y
        // (DenseLayer's order), which left it there unrounded: the same values this launch would compute
        boolean haveDz = c.scratch.holdsDz(dzs, c.bits[0], c.bits[1], rows, out, act, slope);
        toFloats(c, w, ws, (long) out * in, tf32);
        int block = rowsPerTask(rows, (long) in * out);
        int[] gw = dy.words(), yw = y.words(), dxw = dx.words();
        int go = dy.index(), yo = y.index(), dxo = dx.index();
        BLAS blas = c.blas;
        c.parallel.run(CpuParallel.tasks(rows, block), t -> {
            int r0 = t * block, r1 = Math.min(rows, r0 + block), nr = r1 - r0;
            if (!haveDz) {
                dzRange(gw, go, yw, yo, dzs, new int[FAC_BLOCK], r0 * out, r1 * out, act, slope);
            }
            if (tf32) {
                for (int i = r0 * out, end = r1 * out; i < end; i++) {
                    dzs[i] = Float.intBitsToFloat(tf32Bits(bits(dzs[i])));
                }
            }
            blas.sgemm("N", "N", in, nr, out, 1f, ws, 0, in, dzs, r0 * out, Math.max(1, out), 0f, dxs, r0 * in, in);
            for (int i = r0 * in, end = r1 * in; i < end; i++) {
                dxw[dxo + i] = bits(dxs[i]);
            }
        });
    }

    // dense_backward_weight(dy, y, x, dw, db, rows, in, out, act, slope, accumulate, math_mode):
    // dw (=|+=) (dy * act'(y))^T x; db (=|+=) its sums over rows (db may be null)
    static void backwardWeight(CpuKernels.Call c) {
        int rows = c.i32(5), in = c.i32(6), out = c.i32(7), act = c.i32(8);
        float slope = c.f32(9);
        boolean accumulate = c.i32(10) != 0, tf32 = c.i32(11) == 1;
        if (out <= 0 || in <= 0 || rows < 0) {
            return;
        }
        long started = c.scratch.epoch();
        CpuMemory.Ref dy = c.ptr(0, (long) rows * out), y = c.ptr(1, (long) rows * out), x = c.ptr(2, (long) rows * in),
                dw = c.ptr(3, (long) out * in), db = c.ptrOrNull(4, out);
        float[] dzs = c.scratch.a((long) rows * out), xs = c.scratch.b((long) rows * in), dws = c.scratch.c((long) out * in);
        int[] gw = dy.words(), yw = y.words();
        int go = dy.index(), yo = y.index();
        // dz unrounded (the bias gradient sums it so), x rounded for the GEMM. When this launch writes
        // neither dy nor y (dw and db elsewhere), each task makes its own columns of dz row by row and adds
        // them to its bias sums in the same pass; otherwise the whole dz is made first, before any write.
        long dyAt = c.bits[0], yAt = c.bits[1], span = 4L * rows * out;
        boolean wroteInputs = overlaps(c.bits[3], 4L * out * in, dyAt, span) || overlaps(c.bits[3], 4L * out * in, yAt, span)
                || (db != null && (overlaps(c.bits[4], 4L * out, dyAt, span) || overlaps(c.bits[4], 4L * out, yAt, span)));
        if (wroteInputs) {
            c.forChunks((long) rows * out, (from, to) -> dzRange(gw, go, yw, yo, dzs, new int[FAC_BLOCK], from, to, act, slope));
        }
        toFloats(c, x, xs, (long) rows * in, tf32);
        int block = rowsPerTask(out, (long) rows * in);
        int[] dww = dw.words();
        int dwo = dw.index();
        BLAS blas = c.blas;
        double[][] perTask = c.scratch.perTask(CpuParallel.tasks(out, block), block);
        c.parallel.run(CpuParallel.tasks(out, block), t -> {
            int o0 = t * block, o1 = Math.min(out, o0 + block), no = o1 - o0;
            double[] sums = db == null ? null : perTask[t];
            if (sums != null) {
                java.util.Arrays.fill(sums, 0, no, 0);
            }
            if (!wroteInputs) {
                int[] fac = new int[FAC_BLOCK];
                for (int r = 0; r < rows; r++) {
                    int row = r * out;
                    dzRange(gw, go, yw, yo, dzs, fac, row + o0, row + o1, act, slope);
                    if (sums != null) {
                        for (int j = o0; j < o1; j++) {
                            sums[j - o0] += dzs[row + j];
                        }
                    }
                }
            } else if (sums != null) {
                for (int r = 0; r < rows; r++) {
                    int row = r * out;
                    for (int j = o0; j < o1; j++) {
                        sums[j - o0] += dzs[row + j];
                    }
                }
            }
            if (sums != null) {
                int[] dbw = db.words();
                for (int j = o0; j < o1; j++) {
                    float s = (float) sums[j - o0];
                    int at = db.index() + j;
                    dbw[at] = bits(accumulate ? f(dbw, at) + s : s);
                }
            }
            if (tf32) { // this task's columns of dz only: the other tasks read theirs
                for (int r = 0; r < rows; r++) {
                    int row = r * out;
                    for (int j = o0; j < o1; j++) {
                        dzs[row + j] = Float.intBitsToFloat(tf32Bits(bits(dzs[row + j])));
                    }
                }
            }
            blas.sgemm("N", "T", in, no, rows, 1f, xs, 0, in, dzs, o0, out, 0f, dws, o0 * in, in);
            for (int i = o0 * in, end = o1 * in; i < end; i++) {
                dww[dwo + i] = bits(accumulate ? f(dww, dwo + i) + dws[i] : dws[i]);
            }
        });
        // dzs holds the whole dz unrounded (tf32 rounds it in place) and this launch wrote neither dy nor y:
        // a dense_backward_data of the same dy and y right after this launch may take it as it is
        if (!tf32 && !wroteInputs) {
            c.scratch.recordDz(started, dzs, dyAt, yAt, rows, out, act, slope);
        }
    }

    /** Whether the byte ranges [a, a + aBytes) and [b, b + bBytes) of device addresses (allocation id, offset) meet. */
    static boolean overlaps(long a, long aBytes, long b, long bBytes) {
        return (a >>> 32) == (b >>> 32) && a < b + bBytes && b < a + aBytes;
    }
}