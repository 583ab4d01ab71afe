package jgan.cpu;

import static jgan.cpu.CpuKernels.GRAIN;
import static jgan.cpu.CpuKernels.bits;
import static jgan.cpu.CpuKernels.f;
import static jgan.cpu.CpuKernels.store;

import jgan.cpu.CpuKernels.Call;

/**
 * kernels/reduce.cu (device means, the NaN/Inf check) and kernels/bias_grad.cu (column sums) on
 * the cpu device: sums in double over blocks fixed by the sizes alone, added in block order.
 */
final class CpuReduce {
    private CpuReduce() {
    }

    static void reduceMean(Call c) {
        int n = c.i32(1), transform = c.i32(5);
        boolean accumulate = c.i32(6) != 0;
        CpuMemory.Ref x = c.ptr(0, n), out = c.ptr(2, 1);
        int[] xw = x.words();
        int xo = x.index();
        double total = c.sumChunks(n, (from, to) -> {
            double acc = 0;
            for (int i = from; i < to; i++) {
                double v = f(xw, xo + i);
                if (transform == 1) {
                    double e = Math.exp(-Math.abs(v));
                    v = v >= 0 ? 1 / (1 + e) : e / (1 + e);
                }
                acc += v;
            }
            return acc;
        });
        store(out, (float) (total / n), accumulate);
    }

    static void finiteCheck(Call c) {
        int n = c.i32(1);
        CpuMemory.Ref x = c.ptr(0, n), flag = c.ptr(2, 1);
        int[] xw = x.words();
        int xo = x.index();
        // the kernel's test on the bits: all exponent bits set is NaN or +-Inf
        double bad = c.sumChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                if ((xw[xo + i] & 0x7f800000) == 0x7f800000) {
                    return 1;
                }
            }
            return 0;
        });
        if (bad > 0) {
            flag.words()[flag.index()] = 1; // never cleared here: the caller zeroes it
        }
    }

    /** bias_grad: at least this many columns and the tasks take column blocks (whole columns), else row chunks. */
    static final int WIDE_COLS = 512;
    /** At most this many tasks (and partial rows) a column sum. */
    static final int MAX_SUM_TASKS = 64;

    static void biasGrad(Call c) {
        int rows = c.i32(4), cols = c.i32(5);
        boolean accumulate = c.i32(6) != 0;
        if (rows <= 0 || cols <= 0) {
            return;
        }
        CpuMemory.Ref dy = c.ptr(0, (long) rows * cols), db = c.ptr(1, cols);
        int[] w = dy.words();
        int o = dy.index();
        int rowsPerTask = (int) Math.max(Math.max(1, GRAIN / cols), (rows + MAX_SUM_TASKS - 1L) / MAX_SUM_TASKS);
        int tasks = CpuParallel.tasks(rows, rowsPerTask);
        // reused arrays: [0, tasks) the narrow path's partial sums, [tasks] the column sums
        double[][] scratch = c.scratch.perTask(tasks + 1, cols);
        double[] sums = scratch[tasks];
        java.util.Arrays.fill(sums, 0, cols, 0);
        if (cols >= WIDE_COLS) {
            // Wide: each task sums a block of whole columns, row by row.
            int block = Math.max(64, (cols + MAX_SUM_TASKS - 1) / MAX_SUM_TASKS);
            c.parallel.run(CpuParallel.tasks(cols, block), t -> {
                int j0 = t * block, j1 = Math.min(cols, j0 + block);
                for (int r = 0; r < rows; r++) {
                    int base = o + r * cols;
                    for (int j = j0; j < j1; j++) {
                        sums[j] += f(w, base + j);
                    }
                }
            });
        } else {
            // Narrow (tall and skinny): each task sums every column over a chunk of rows, and the
            // chunks' sums are added in chunk order.
            c.parallel.run(tasks, t -> {
                double[] s = scratch[t];
                java.util.Arrays.fill(s, 0, cols, 0);
                int r1 = (int) Math.min(rows, (long) (t + 1) * rowsPerTask);
                for (int r = t * rowsPerTask; r < r1; r++) {
                    int base = o + r * cols;
                    for (int j = 0; j < cols; j++) {
                        s[j] += f(w, base + j);
                    }
                }
            });
            for (int t = 0; t < tasks; t++) {
                for (int j = 0; j < cols; j++) {
                    sums[j] += scratch[t][j];
                }
            }
        }
        int[] dw = db.words();
        for (int j = 0; j < cols; j++) {
            float v = (float) sums[j];
            dw[db.index() + j] = bits(accumulate ? f(dw, db.index() + j) + v : v);
        }
    }

    // swap_middle_axes(const float* x, float* y, int groups, int a, int b, int c): y[g][j][i][k] = x[g][i][j][k]
    static void swapMiddleAxes(Call c) {
        int groups = c.i32(2), a = c.i32(3), b = c.i32(4), cc = c.i32(5);
        int n = groups * a * b * cc;
        CpuMemory.Ref x = c.ptr(0, n), y = c.ptr(1, n);
        int[] xw = x.words(), yw = y.words();
        int xo = x.index(), yo = y.index();
        c.forChunks(n, (from, to) -> {
            for (int o = from; o < to; o++) {
                int t = o / cc;
                int k = o - t * cc;
                int i = t % a;
                t /= a;
                int j = t % b;
                int g = t / b;
                yw[yo + o] = xw[xo + ((g * a + i) * b + j) * cc + k];
            }
        });
    }
}
