package jgan.cpu;

import static jgan.cpu.CpuDense.rowsPerTask;
import static jgan.cpu.CpuDense.tf32Bits;
import static jgan.cpu.CpuKernels.bits;
import static jgan.cpu.CpuKernels.f;

import dev.ludovic.netlib.blas.BLAS;

/**
 * kernels/conv.cu on the cpu device: 2-D convolution (NHWC activations, KRSC filters) by
 * explicit im2col into a scratch array and {@code sgemm}, under the kernels' names and
 * signatures, with their fused parts done around the GEMMs.
 *
 * <pre>
 *   pass    im2col / operands                         GEMM (row-major)                              then
 *   fprop   col[NPQ][RSC] = im2col(x (* act'(x_act_y)))  y[NPQ][K]   = col filt^T                   + bias, act, BN partials
 *   dgrad   dz[NPQ][K] = dy * act'(y)                    dcol[NPQ][RSC] = dz filt                    col2im (gather), + bias, out_act, =|+=
 *   wgrad   dz as above; col as fprop                    dw^T[RSC][K] = col^T dz (per split of NPQ)  stored transposed; db = column sums of dz; =|+= or to ws
 *   channel_sums (a transposed convolution's bias gradient): column sums of dz, per split of rows
 * </pre>
 *
 * fprop runs im2col and the GEMM block by block (a block of rows in cache between the two); dgrad
 * runs the GEMM and the col2im of a group of whole images together for the same reason.
 *
 * <p>dgrad (and so a transposed convolution's forward) multiplies no zeros: its GEMM has the dense
 * dz and filter as operands, and the col2im that follows gathers, for each dx pixel, only the
 * (r, s) taps whose output position (p, q) is integral and inside [0, P) x [0, Q) (tables of them
 * per row and per column, built once a launch), a sum of at most ceil(R/stride_h) *
 * ceil(S/stride_w) C-vectors. Each dx pixel is written by one task, its taps added in (r, s) order.
 * The split-K workspace of wgrad and channel_sums is filled as the kernels fill it (one partial per
 * split of the face's chunk), and conv2d_wgrad_reduce adds the splits in index order.
 *
 * <p>Determinism: every GEMM is cut into blocks fixed by the shape ({@link #convTasks} for fprop and
 * dgrad, the face's splits and {@link #wgradParts} or {@link CpuDense#rowsPerTask} for wgrad),
 * each one single-threaded BLAS call over the whole reduction (the whole R*S*C, K, or wgrad's
 * split of N*P*Q as the face chose it); im2col, col2im and the epilogues are elementwise per task.
 * So no bit depends on the thread count.
 *
 * <p>Math modes as {@link CpuDense}: 1 (TF32) rounds both GEMM operands to tf32 as
 * {@code wmma::__float_to_tf32} does and accumulates in FP32; the bias gradient sums dz before
 * rounding, as the kernel's row sums do. Batch-norm statistics partials (the statistics-partials contract in kernels/batch_norm.cu's header) are
 * written per 64-row M-tile, the kernel's P = ceil(N*P*Q / 64), each {count, mean, m2} of the
 * tile's post-bias values, two-pass in double, rounded once.
 *
 * <p>Scratch: the device's {@link CpuScratch} arrays, grown once to the largest layer and reused,
 * so a training step allocates no arrays.
 */
final class CpuConv {
    /** The kernels' M-tile: one batch-norm statistics partial per this many rows of N*P*Q. */
    static final int BN_TILE = 64;
    /** wgrad's blocks of R*S*C columns are at least this wide (narrower ones ran 10-25% slower in OpenBLAS). */
    static final int WGRAD_MIN_COLS = 256;
    /**
     * fprop's row blocks, and dgrad's groups of whole images, have at least this many rows of
     * N*P*Q when the problem has them (but for the 2 tasks {@link #convTasks} always makes): each
     * block is one BLAS call that packs the whole filter again (DCGAN-64's D conv4, an 8 MB
     * filter: blocks of 64 rows ran dgrad 30% slower).
     */
    static final int CONV_MIN_ROWS = 256;
    /** wgrad takes one task a split (see wgradBySplit) from this many splits on; fewer go by blocks of rows and columns. */
    static final int SPLIT_TASKS = 4;

    private CpuConv() {
    }

    /** The problem as {@code jgan.kernels.ConvProblem.addTo} passes it, from argument {@code at} on. */
    record Problem(int n, int h, int w, int c, int k, int r, int s, int p, int q, int pt, int pl, int sh, int sw, int dh, int dw) {
        static Problem read(CpuKernels.Call call, int at) {
            int[] v = new int[15];
            for (int i = 0; i < 15; i++) {
                v[i] = call.i32(at + i);
            }
            Problem pr = new Problem(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]);
            if (v[0] < 1 || v[1] < 1 || v[2] < 1 || v[3] < 1 || v[4] < 1 || v[5] < 1 || v[6] < 1 || v[7] < 1 || v[8] < 1
                    || v[11] < 1 || v[12] < 1 || v[13] < 1 || v[14] < 1 || v[9] < 0 || v[10] < 0) {
                throw new IllegalArgumentException(call.kernel.name() + ": not a convolution problem: " + pr);
            }
            return pr;
        }

        long npq() {
            return (long) n * p * q;
        }

        long nhw() {
            return (long) n * h * w;
        }

        int rsc() {
            return r * s * c;
        }
    }

    /**
     * im2col rows [m0, m1) of x (times act'(actY) when actY is not null), tf32-rounded when asked:
     * col[m][(r*S + s)*C + c] = x[img, p*sh - pt + r*dh, q*sw - pl + s*dw, c], 0 outside.
     */
    private static void im2col(Problem pr, int[] xw, int xo, int[] aw, int ao, int act, float slope, boolean tf32, float[] col,
                               int m0, int m1) {
        im2col(pr, xw, xo, aw, ao, act, slope, tf32, col, m0, m1, 0, pr.r);
    }

    /**
     * im2col as above, of the filter rows r in [rFrom, rTo) only: the columns [rFrom*S*C, rTo*S*C)
     * of each row of col (the others are left as they are). A filter row's S taps inside the image
     * are S*C contiguous words of x, copied as bytes ({@link CpuWords#toFloats}) when nothing is
     * applied to them.
     */
    private static void im2col(Problem pr, int[] xw, int xo, int[] aw, int ao, int act, float slope, boolean tf32, float[] col,
                               int m0, int m1, int rFrom, int rTo) {
        int rsc = pr.rsc(), pq = pr.p * pr.q, c = pr.c;
        for (int m = m0; m < m1; m++) {
            int img = m / pq, rem = m % pq;
            int h0 = (rem / pr.q) * pr.sh - pr.pt, w0 = (rem % pr.q) * pr.sw - pr.pl;
            int base = img * pr.h * pr.w * c;
            int row = m * rsc;
            // the S taps of a filter row read S*C contiguous words when the dilation is 1 and all are inside
            boolean wInside = pr.dw == 1 && w0 >= 0 && w0 + pr.s <= pr.w && aw == null && !tf32;
            for (int r = rFrom; r < rTo; r++) {
                int hh = h0 + r * pr.dh;
                int at = row + r * pr.s * c;
                if (hh < 0 || hh >= pr.h) {
                    java.util.Arrays.fill(col, at, at + pr.s * c, 0f);
                    continue;
                }
                if (wInside) {
                    CpuWords.toFloats(xw, xo + base + (hh * pr.w + w0) * c, col, at, pr.s * c);
                    continue;
                }
                for (int s = 0; s < pr.s; s++, at += c) {
                    int ww = w0 + s * pr.dw;
                    if (ww < 0 || ww >= pr.w) {
                        java.util.Arrays.fill(col, at, at + c, 0f);
                        continue;
                    }
                    int src = base + (hh * pr.w + ww) * c;
                    if (aw == null && !tf32) {
                        CpuWords.toFloats(xw, xo + src, col, at, c);
                    } else {
                        for (int i = 0; i < c; i++) {
                            float v = f(xw, xo + src + i);
                            if (aw != null) {
                                v *= CpuActBits.grad(aw[ao + src + i], act, slope);
                            }
                            col[at + i] = tf32 ? Float.intBitsToFloat(tf32Bits(bits(v))) : v;
                        }
                    }
                }
            }
        }
    }

    private static void toFloats(int[] w, int o, float[] dst, int from, int to, boolean tf32) {
        if (tf32) {
            for (int i = from; i < to; i++) {
                dst[i] = Float.intBitsToFloat(tf32Bits(w[o + i]));
            }
        } else {
            for (int i = from; i < to; i++) {
                dst[i] = Float.intBitsToFloat(w[o + i]);
            }
        }
    }

    /** A GEMM task of fprop / dgrad aims at about this many multiply-adds (DCGAN-28's D conv2: 4 tasks of 784 rows). */
    static final long CONV_TASK_FMAS = 100L << 20;
    /**
     * ... and has at most about this many rows of N*P*Q, so that a layer with few multiply-adds a
     * row keeps its im2col / dcol block in cache between the GEMM and the loops around it
     * (DCGAN-64's last transposed conv, 48 columns a row: 32 tasks of 2048 rows, not 2 of 32768).
     */
    static final int CONV_MAX_ROWS = 2048;

    /**
     * How many tasks fprop cuts its {@code units} (64-row tiles) or dgrad its {@code units}
     * (whole images) into, {@code rowsPerUnit} rows of N*P*Q each: about {@link #CONV_TASK_FMAS}
     * multiply-adds a task, with at least {@link #CONV_MIN_ROWS} rows and at most about
     * {@link #CONV_MAX_ROWS} (the latter wins); at least 2 and an even
     * count where there are units for it, so that 2 threads share them evenly (13 blocks of 256
     * rows left one of 2 threads idle a 13th of the time, and 4 blocks of 4096 rows for D conv1
     * a third; it now has 8 of ~1568). OpenBLAS also runs the longer GEMMs faster (112 -> 120
     * GFLOP/s from 256 to 784 rows, measured alone). A function of the shape alone; task t takes the units
     * [floor(t*units/tasks), floor((t+1)*units/tasks)).
     */
    static int convTasks(int units, long rowsPerUnit, long fmasPerRow) {
        long rows = units * rowsPerUnit;
        long t = (rows * Math.max(1, fmasPerRow) + CONV_TASK_FMAS - 1) / CONV_TASK_FMAS;
        t = Math.min(t, Math.max(1, rows / CONV_MIN_ROWS));
        t = Math.max(t, (rows + CONV_MAX_ROWS - 1) / CONV_MAX_ROWS);
        t = Math.max(t, 2);
        t += t & 1;
        return (int) Math.max(1, Math.min(t, units));
    }

    /** The first unit of task t of {@code tasks} over {@code units} (see convTasks). */
    static int firstUnit(int t, int tasks, int units) {
        return (int) ((long) t * units / tasks);
    }

    // conv2d_fprop(x, x_act_y, filt, bias, y, bn_partials, <problem>, x_act, act, slope, math_mode)
    static void fprop(CpuKernels.Call c) {
        fprop(c, true);
    }

    // conv2d_fprop_narrow(x, x_act_y, filt, bias, y, <problem>, x_act, act, slope, math_mode)
    static void fpropNarrow(CpuKernels.Call c) {
        fprop(c, false);
    }

    private static void fprop(CpuKernels.Call c, boolean withPartials) {
        int at = withPartials ? 6 : 5;
        Problem pr = Problem.read(c, at);
        int xAct = c.i32(at + 15), act = c.i32(at + 16);
        float slope = c.f32(at + 17);
        boolean tf32 = c.i32(at + 18) == 1;
        int m = (int) pr.npq(), rsc = pr.rsc(), k = pr.k;
        CpuMemory.Ref x = c.ptr(0, pr.nhw() * pr.c), xa = c.ptrOrNull(1, pr.nhw() * pr.c), filt = c.ptr(2, (long) k * rsc),
                bias = c.ptrOrNull(3, k), y = c.ptr(4, (long) m * k);
        CpuMemory.Ref partials = withPartials ? c.ptrOrNull(5, ((m + BN_TILE - 1L) / BN_TILE) * k * 3) : null;
        float[] col = c.scratch.a((long) m * rsc), fs = c.scratch.b((long) k * rsc), ys = c.scratch.c((long) m * k),
                bs = c.scratch.d(k);
        int[] fw = filt.words();
        int fo = filt.index();
        c.forChunks((long) k * rsc, (from, to) -> toFloats(fw, fo, fs, from, to, tf32));
        for (int j = 0; j < k; j++) {
            bs[j] = bias == null ? 0f : f(bias.words(), bias.index() + j);
        }
        int tiles = (m + BN_TILE - 1) / BN_TILE, tasks = convTasks(tiles, BN_TILE, (long) k * rsc);
        double[][] sums = partials == null ? null : c.scratch.perTask(tasks, 2 * k);
        int[] xw = x.words(), yw = y.words(), aw = xa == null ? null : xa.words();
        int xo = x.index(), yo = y.index(), ao = xa == null ? 0 : xa.index();
        BLAS blas = c.blas;
        c.parallel.run(tasks, t -> {
            int m0 = Math.min(m, firstUnit(t, tasks, tiles) * BN_TILE), m1 = Math.min(m, firstUnit(t + 1, tasks, tiles) * BN_TILE);
            int nm = m1 - m0;
            if (nm <= 0) {
                return;
            }
            im2col(pr, xw, xo, aw, ao, xAct, slope, tf32, col, m0, m1);
            blas.sgemm("T", "N", k, nm, rsc, 1f, fs, 0, rsc, col, m0 * rsc, rsc, 0f, ys, m0 * k, k);
            epilogue(ys, bs, yw, yo, m0 * k, m1 * k, k, act, slope, partials != null);
            if (partials != null) {
                bnPartials(ys, k, m0, m1, partials, sums[t]);
            }
        });
    }

    /**
     * fprop's epilogue over elements [from, to) of ys (rows of k): v = ys + bias; ys = v (post-bias,
     * pre-activation: what BN normalises; kept only when {@code keep}, for the statistics
     * partials); y = act(v). One loop per activation, so that the JIT compiles each without the
     * switch; the activation's sign test by masks on the bits (CpuActBits: the same bits, no
     * mispredicted branch per element).
     */
    private static void epilogue(float[] ys, float[] bs, int[] yw, int yo, int from, int to, int k, int act, float slope, boolean keep) {
        if (act == 0 && !keep) {
            for (int i = from; i < to; i += k) {
                for (int j = 0; j < k; j++) {
                    yw[yo + i + j] = bits(ys[i + j] + bs[j]);
                }
            }
        } else if (act == 2 && !keep) {
            for (int i = from; i < to; i += k) {
                for (int j = 0; j < k; j++) {
                    yw[yo + i + j] = CpuActBits.leakyBits(ys[i + j] + bs[j], slope);
                }
            }
        } else if (act == 0) {
            for (int i = from; i < to; i += k) {
                for (int j = 0; j < k; j++) {
                    float v = ys[i + j] + bs[j];
                    ys[i + j] = v;
                    yw[yo + i + j] = bits(v);
                }
            }
        } else if (act == 1) {
            for (int i = from; i < to; i += k) {
                for (int j = 0; j < k; j++) {
                    float v = ys[i + j] + bs[j];
                    ys[i + j] = v;
                    yw[yo + i + j] = CpuActBits.reluBits(v);
                }
            }
        } else if (act == 2) {
            for (int i = from; i < to; i += k) {
                for (int j = 0; j < k; j++) {
                    float v = ys[i + j] + bs[j];
                    ys[i + j] = v;
                    yw[yo + i + j] = CpuActBits.leakyBits(v, slope);
                }
            }
        } else {
            for (int i = from; i < to; i += k) {
                for (int j = 0; j < k; j++) {
                    float v = ys[i + j] + bs[j];
                    ys[i + j] = v;
                    yw[yo + i + j] = CpuActBits.activateBits(v, act, slope);
                }
            }
        }
    }

    /**
     * {count, mean, m2} per channel of each 64-row tile in [m0, m1) (m0 a multiple of 64), two-pass in
     * double. Both passes go along the rows (acc: [0, k) the means, [k, 2k) the squared deviations),
     * each channel's sums still in row order, so the bits are those of a channel-by-channel loop.
     */
    private static void bnPartials(float[] ys, int k, int m0, int m1, CpuMemory.Ref partials, double[] acc) {
        int[] pw = partials.words();
        for (int t0 = m0; t0 < m1; t0 += BN_TILE) {
            int t1 = Math.min(m1, t0 + BN_TILE), rows = t1 - t0;
            java.util.Arrays.fill(acc, 0, 2 * k, 0);
            for (int i = t0; i < t1; i++) {
                for (int j = 0; j < k; j++) {
                    acc[j] += ys[i * k + j];
                }
            }
            for (int j = 0; j < k; j++) {
                acc[j] /= rows;
            }
            for (int i = t0; i < t1; i++) {
                for (int j = 0; j < k; j++) {
                    double d = ys[i * k + j] - acc[j];
                    acc[k + j] += d * d;
                }
            }
            int base = partials.index() + (t0 / BN_TILE) * k * 3;
            for (int j = 0; j < k; j++) {
                pw[base + 3 * j] = bits(rows);
                pw[base + 3 * j + 1] = bits((float) acc[j]);
                pw[base + 3 * j + 2] = bits((float) acc[k + j]);
            }
        }
    }

    /**
     * For each output coordinate h in [0, size): at {@code at + h*(1 + 2*taps)} the count, then the
     * pairs (r, p) with h + pad - r*dilation = p*stride and 0 <= p < outSize, in r order.
     */
    private static void tapTable(int[] t, int at, int size, int pad, int taps, int dilation, int stride, int outSize) {
        int width = 1 + 2 * taps;
        for (int h = 0; h < size; h++) {
            int o = at + h * width, n = 0;
            for (int r = 0; r < taps; r++) {
                int v = h + pad - r * dilation;
                if (v >= 0 && v % stride == 0 && v / stride < outSize) {
                    t[o + 1 + 2 * n] = r;
                    t[o + 2 + 2 * n] = v / stride;
                    n++;
                }
            }
            t[o] = n;
        }
    }

    // conv2d_dgrad(dy, y, filt, bias, dx, <problem>, act, slope, out_act, accumulate, math_mode)
    // conv2d_dgrad_narrow: the same arguments
    static void dgrad(CpuKernels.Call c) {
        Problem pr = Problem.read(c, 5);
        int act = c.i32(20);
        float slope = c.f32(21);
        int outAct = c.i32(22);
        boolean accumulate = c.i32(23) != 0, tf32 = c.i32(24) == 1;
        int m = (int) pr.npq(), rsc = pr.rsc(), k = pr.k, ch = pr.c, pixels = (int) pr.nhw();
        CpuMemory.Ref dy = c.ptr(0, (long) m * k), y = c.ptrOrNull(1, (long) m * k), filt = c.ptr(2, (long) k * rsc),
                bias = c.ptrOrNull(3, ch), dx = c.ptr(4, pr.nhw() * ch);
        // the largest array (N*P*Q x R*S*C) in slot a in every pass, so that the passes share it
        float[] dcol = c.scratch.a((long) m * rsc), fs = c.scratch.b((long) k * rsc), dzs = c.scratch.c((long) m * k),
                bs = c.scratch.d(ch);
        int[] fw = filt.words();
        int fo = filt.index();
        c.forChunks((long) k * rsc, (from, to) -> toFloats(fw, fo, fs, from, to, tf32));
        for (int j = 0; j < ch; j++) {
            bs[j] = bias == null ? 0f : f(bias.words(), bias.index() + j);
        }
        int[] gw = dy.words(), yw = y == null ? null : y.words();
        int go = dy.index(), yo = y == null ? 0 : y.index();
        BLAS blas = c.blas;
        // One task a group of whole images (a count fixed by the shape): dcol[rows of the group][RSC] =
        // dz filt, then the col2im gather of the group's dx pixels while its dcol rows are still in cache.
        int pq = pr.p * pr.q, hw = pr.h * pr.w;
        int tasks = convTasks(pr.n, pq, (long) k * rsc);
        int[] dxw = dx.words();
        int dxo = dx.index();
        double[][] accs = c.scratch.perTask(tasks, ch);
        // The taps that reach each dx row h: pairs (r, p) with h + pt - r*dh = p*sh, 0 <= p < P (likewise
        // columns): tables built once, so the gather does no division.
        int rowStride = 1 + 2 * pr.r, colStride = 1 + 2 * pr.s;
        int[] taps = c.scratch.ints(pr.h * rowStride + pr.w * colStride);
        int colTable = pr.h * rowStride;
        tapTable(taps, 0, pr.h, pr.pt, pr.r, pr.dh, pr.sh, pr.p);
        tapTable(taps, colTable, pr.w, pr.pl, pr.s, pr.dw, pr.sw, pr.q);
        c.parallel.run(tasks, t -> {
            int i0 = firstUnit(t, tasks, pr.n), i1 = firstUnit(t + 1, tasks, pr.n);
            int m0 = i0 * pq, m1 = i1 * pq, nm = m1 - m0;
            dzRows(gw, go, yw, yo, act, slope, dzs, m0 * k, m1 * k);
            if (tf32) {
                for (int i = m0 * k, end = m1 * k; i < end; i++) {
                    dzs[i] = Float.intBitsToFloat(tf32Bits(bits(dzs[i])));
                }
            }
            blas.sgemm("N", "N", rsc, nm, k, 1f, fs, 0, rsc, dzs, m0 * k, k, 0f, dcol, m0 * rsc, rsc);
            // col2im as a gather: each dx pixel sums the dcol rows of the taps that reach it, in (r, s) order
            double[] acc = accs[t];
            if (ch == 1) { // one channel (a transposed convolution to a grey image): a scalar sum, no array
                for (int px = i0 * hw, x1 = i1 * hw; px < x1; px++) {
                    int img = px / hw, at = px % hw;
                    int rt = (at / pr.w) * rowStride, ct = colTable + (at % pr.w) * colStride;
                    double sum = 0;
                    for (int a = 0, na = taps[rt]; a < na; a++) {
                        int r = taps[rt + 1 + 2 * a], rowBase = (img * pr.p + taps[rt + 2 + 2 * a]) * pr.q;
                        for (int b = 0, nb = taps[ct]; b < nb; b++) {
                            sum += dcol[(rowBase + taps[ct + 2 + 2 * b]) * rsc + r * pr.s + taps[ct + 1 + 2 * b]];
                        }
                    }
                    int vb = CpuActBits.activateBits((float) sum + bs[0], outAct, slope);
                    dxw[dxo + px] = accumulate ? bits(f(dxw, dxo + px) + Float.intBitsToFloat(vb)) : vb;
                }
                return;
            }
            for (int px = i0 * hw, x1 = i1 * hw; px < x1; px++) {
                int img = px / hw, at = px % hw;
                int rt = (at / pr.w) * rowStride, ct = colTable + (at % pr.w) * colStride;
                java.util.Arrays.fill(acc, 0, ch, 0);
                for (int a = 0, na = taps[rt]; a < na; a++) {
                    int r = taps[rt + 1 + 2 * a], rowBase = (img * pr.p + taps[rt + 2 + 2 * a]) * pr.q;
                    for (int b = 0, nb = taps[ct]; b < nb; b++) {
                        int src = (rowBase + taps[ct + 2 + 2 * b]) * rsc + (r * pr.s + taps[ct + 1 + 2 * b]) * ch;
                        for (int i = 0; i < ch; i++) {
                            acc[i] += dcol[src + i];
                        }
                    }
                }
                int out = dxo + px * ch;
                for (int i = 0; i < ch; i++) {
                    int vb = CpuActBits.activateBits((float) acc[i] + bs[i], outAct, slope);
                    dxw[out + i] = accumulate ? bits(f(dxw, out + i) + Float.intBitsToFloat(vb)) : vb;
                }
            }
        });
    }

    // conv2d_wgrad(dy, y, x, x_act_y, dw, db, ws, <problem>, act, x_act, slope, accumulate, math_mode, chunk)
    static void wgrad(CpuKernels.Call c) {
        Problem pr = Problem.read(c, 7);
        int act = c.i32(22), xAct = c.i32(23);
        float slope = c.f32(24);
        boolean accumulate = c.i32(25) != 0, tf32 = c.i32(26) == 1;
        int m = (int) pr.npq(), rsc = pr.rsc(), k = pr.k;
        CpuMemory.Ref dy = c.ptr(0, (long) m * k), y = c.ptrOrNull(1, (long) m * k), x = c.ptr(2, pr.nhw() * pr.c),
                xa = c.ptrOrNull(3, pr.nhw() * pr.c), dw = c.ptr(4, (long) k * rsc), db = c.ptrOrNull(5, k);
        boolean split = !c.isNull(6);
        int chunk = split ? c.i32(27) : m;
        if (split && chunk < 1) {
            throw new IllegalArgumentException(c.what(27) + ": must be >= 1, got " + chunk);
        }
        int splits = split ? (m + chunk - 1) / chunk : 1;
        CpuMemory.Ref ws = split ? c.ptr(6, (long) splits * k * rsc + (db == null ? 0 : (long) splits * k)) : null;
        float[] col = c.scratch.a((long) m * rsc), dws = c.scratch.b((long) splits * k * rsc), dzs = c.scratch.c((long) m * k);
        int[] gw = dy.words(), yw = y == null ? null : y.words(), xw = x.words(), aw = xa == null ? null : xa.words();
        int go = dy.index(), yo = y == null ? 0 : y.index(), xo = x.index(), ao = xa == null ? 0 : xa.index();
        if (split && splits >= SPLIT_TASKS) {
            wgradBySplit(pr, gw, go, yw, yo, xw, xo, aw, ao, act, xAct, slope, tf32, db != null, ws, splits, chunk, col, dws, dzs, c);
            return;
        }
        // operands: dz unrounded (the bias gradient sums it so), im2col(x) rounded
        int rowBlock = Math.max(1, CpuKernels.GRAIN / Math.max(1, rsc));
        c.parallel.run(CpuParallel.tasks(m, rowBlock), t -> {
            int m0 = t * rowBlock, m1 = Math.min(m, m0 + rowBlock);
            dzRows(gw, go, yw, yo, act, slope, dzs, m0 * k, m1 * k);
            im2col(pr, xw, xo, aw, ao, xAct, slope, tf32, col, m0, m1);
        });
        // db: the column sums of dz per split, in double, rounded once (before dz is rounded)
        if (db != null) {
            int[] dbw = db.words();
            double[][] perSplit = c.scratch.perTask(splits, k);
            c.parallel.run(splits, z -> {
                int r0 = z * chunk, r1 = Math.min(m, r0 + chunk);
                double[] sums = perSplit[z];
                columnSums(dzs, r0, r1, k, sums);
                for (int j = 0; j < k; j++) {
                    float v = (float) sums[j];
                    if (split) {
                        ws.words()[ws.index() + splits * k * rsc + z * k + j] = bits(v);
                    } else {
                        int i = db.index() + j;
                        dbw[i] = bits(accumulate ? f(dbw, i) + v : v);
                    }
                }
            });
        }
        if (tf32) {
            c.forChunks((long) m * k, (from, to) -> {
                for (int i = from; i < to; i++) {
                    dzs[i] = Float.intBitsToFloat(tf32Bits(bits(dzs[i])));
                }
            });
        }
        // dw per split, computed K-major (as dw^T: [RSC][K] = col^T dz, which OpenBLAS runs ~20% faster than the
        // [K][RSC] orientation here) in blocks of RSC columns, then stored transposed into dw or the split's workspace
        int colBlock = (int) Math.min(rsc, Math.max(WGRAD_MIN_COLS, rowsPerTask(rsc, (long) k * Math.min(m, chunk))));
        int colTasks = CpuParallel.tasks(rsc, colBlock);
        int[] dww = dw.words();
        int dwo = dw.index();
        BLAS blas = c.blas;
        c.parallel.run(splits * colTasks, t -> {
            int z = t / colTasks, c0 = (t % colTasks) * colBlock, nc = Math.min(rsc, c0 + colBlock) - c0;
            int r0 = z * chunk, nr = Math.min(m, r0 + chunk) - r0;
            int base = z * k * rsc;
            blas.sgemm("N", "T", k, nc, nr, 1f, dzs, r0 * k, k, col, r0 * rsc + c0, rsc, 0f, dws, base + c0 * k, k);
            for (int j = 0; j < k; j++) {
                for (int i = c0, end = c0 + nc; i < end; i++) {
                    float v = dws[base + i * k + j];
                    int at = j * rsc + i;
                    if (split) {
                        ws.words()[ws.index() + base + at] = bits(v);
                    } else {
                        dww[dwo + at] = bits(accumulate ? f(dww, dwo + at) + v : v);
                    }
                }
            }
        });
    }

    /**
     * wgrad with a split workspace of at least {@link #SPLIT_TASKS} splits, in two rounds of tasks.
     * First one task a split: its rows of dz (and the split's bias-gradient partial, summed in
     * double before rounding). Then one task a (split, part of the filter rows): im2col of the
     * split's rows for those filter rows only, one GEMM over the split's rows for those columns of
     * R*S*C (dw[K][cols] = dz^T col, in dw's own orientation, so the result goes to the split's
     * workspace as plain rows), while they are in cache. The filter rows are cut in {@link
     * #wgradParts} parts fixed by the shape, so that the tasks share out evenly on the threads (9
     * splits, DCGAN-28's D conv2, left one of 2 threads idle a ninth of the time). Each workspace
     * element is one GEMM's sum over the split's rows, written by one task, so no bit depends on
     * the thread count. (An earlier form made im2col of all N*P*Q rows first, an array of
     * N*P*Q*R*S*C floats written and read back from memory, and then stored dw^T transposed.)
     */
    private static void wgradBySplit(Problem pr, int[] gw, int go, int[] yw, int yo, int[] xw, int xo, int[] aw, int ao, int act,
                                     int xAct, float slope, boolean tf32, boolean withBias, CpuMemory.Ref ws, int splits, int chunk,
                                     float[] col, float[] dws, float[] dzs, CpuKernels.Call c) {
        int m = (int) pr.npq(), rsc = pr.rsc(), k = pr.k, sc = pr.s * pr.c;
        double[][] perSplit = withBias ? c.scratch.perTask(splits, k) : null;
        int[] ww = ws.words();
        int wo = ws.index();
        BLAS blas = c.blas;
        c.parallel.run(splits, z -> {
            int r0 = z * chunk, r1 = Math.min(m, r0 + chunk);
            dzRows(gw, go, yw, yo, act, slope, dzs, r0 * k, r1 * k);
            if (withBias) {
                double[] sums = perSplit[z];
                columnSums(dzs, r0, r1, k, sums);
                for (int j = 0; j < k; j++) {
                    ww[wo + splits * k * rsc + z * k + j] = bits((float) sums[j]);
                }
            }
            if (tf32) {
                for (int i = r0 * k, end = r1 * k; i < end; i++) {
                    dzs[i] = Float.intBitsToFloat(tf32Bits(bits(dzs[i])));
                }
            }
        });
        int parts = wgradParts(pr), rowsPerPart = (pr.r + parts - 1) / parts;
        c.parallel.run(splits * parts, t -> {
            int z = t / parts, f0 = (t % parts) * rowsPerPart, f1 = Math.min(pr.r, f0 + rowsPerPart);
            if (f0 >= f1) {
                return;
            }
            int r0 = z * chunk, r1 = Math.min(m, r0 + chunk), nr = r1 - r0;
            int c0 = f0 * sc, nc = (f1 - f0) * sc, base = z * k * rsc;
            im2col(pr, xw, xo, aw, ao, xAct, slope, tf32, col, r0, r1, f0, f1);
            // column-major: dw^T[cols][K] (ld rsc) = col^T[cols][rows] dz[rows][K], i.e. row-major dw[K][cols]
            blas.sgemm("N", "T", nc, k, nr, 1f, col, r0 * rsc + c0, rsc, dzs, r0 * k, k, 0f, dws, base + c0, rsc);
            for (int j = 0; j < k; j++) {
                CpuWords.toWords(dws, base + j * rsc + c0, ww, wo + base + j * rsc + c0, nc);
            }
        });
    }

    /**
     * Parts of the filter rows wgradBySplit cuts each split's GEMM into: 2 where each half keeps
     * at least {@link #WGRAD_MIN_COLS} columns, else 1. A function of the shape alone.
     */
    static int wgradParts(Problem pr) {
        return pr.r >= 2 && (pr.r / 2) * pr.s * pr.c >= WGRAD_MIN_COLS ? 2 : 1;
    }

    /**
     * dzs[i] = dz(dy[i], y[i]) = dy * act'(y) for i in [from, to) (dy alone when y is null), as
     * {@link CpuDense#dz} gives it (CpuActBits: the same bits without a branch per element); one
     * loop per activation, and a byte copy for the identity.
     */
    static void dzRows(int[] gw, int go, int[] yw, int yo, int act, float slope, float[] dzs, int from, int to) {
        if (yw == null || act == 0) {
            CpuWords.toFloats(gw, go + from, dzs, from, to - from);
        } else if (act == 1) {
            for (int i = from; i < to; i++) {
                dzs[i] = Float.intBitsToFloat(gw[go + i]) * Float.intBitsToFloat(CpuActBits.posMask(yw[yo + i]) & CpuActBits.ONE);
            }
        } else if (act == 2) {
            for (int i = from; i < to; i++) {
                int g = gw[go + i];
                dzs[i] = Float.intBitsToFloat(CpuActBits.select(CpuActBits.posMask(yw[yo + i]), g,
                        bits(Float.intBitsToFloat(g) * slope)));
            }
        } else {
            for (int i = from; i < to; i++) {
                dzs[i] = CpuActBits.dz(Float.intBitsToFloat(gw[go + i]), yw[yo + i], act, slope);
            }
        }
    }

    /** sums[j] = the sum over rows r0..r1-1 of dzs[r * k + j], j < k, in double (the bias gradient of one split). */
    private static void columnSums(float[] dzs, int r0, int r1, int k, double[] sums) {
        java.util.Arrays.fill(sums, 0, k, 0);
        for (int r = r0; r < r1; r++) {
            for (int j = 0; j < k; j++) {
                sums[j] += dzs[r * k + j];
            }
        }
    }

    // conv2d_channel_sums(dy, y, db, ws, rows, cols, act, slope, accumulate, chunk): a transposed convolution's bias
    // gradient, db (=|+=) the column sums of dz = dy * act'(y); with ws, per split of `chunk` rows into ws[split][cols]
    // (conv2d_wgrad_reduce adds them in order). Each split (or, without ws, each block of rows fixed by the shape) is
    // summed in double in row order by one task, the blocks added in block order.
    static void channelSums(CpuKernels.Call c) {
        int rows = c.i32(4), cols = c.i32(5), act = c.i32(6);
        float slope = c.f32(7);
        boolean accumulate = c.i32(8) != 0, split = !c.isNull(3);
        if (rows < 0 || cols < 1) {
            throw new IllegalArgumentException(c.kernel.name() + ": rows must be >= 0 and cols >= 1, got " + rows + ", " + cols);
        }
        int chunk = split ? c.i32(9) : Math.max(1, CpuKernels.GRAIN / cols);
        if (chunk < 1) {
            throw new IllegalArgumentException(c.what(9) + ": must be >= 1, got " + chunk);
        }
        int blocks = Math.max(1, (rows + chunk - 1) / chunk);
        CpuMemory.Ref dy = c.ptr(0, (long) rows * cols), y = c.ptrOrNull(1, (long) rows * cols), db = c.ptr(2, cols),
                ws = split ? c.ptr(3, (long) blocks * cols) : null;
        int[] gw = dy.words(), yw = y == null ? null : y.words();
        int go = dy.index(), yo = y == null ? 0 : y.index();
        double[][] sums = c.scratch.perTask(blocks, cols);
        c.parallel.run(blocks, b -> {
            double[] acc = sums[b];
            java.util.Arrays.fill(acc, 0, cols, 0);
            for (int r = b * chunk, r1 = Math.min(rows, r + chunk); r < r1; r++) {
                for (int j = 0, e = r * cols; j < cols; j++, e++) {
                    float v = f(gw, go + e);
                    acc[j] += yw == null ? v : v * CpuActBits.grad(yw[yo + e], act, slope);
                }
            }
            if (split) {
                for (int j = 0; j < cols; j++) {
                    ws.words()[ws.index() + b * cols + j] = bits((float) acc[j]);
                }
            }
        });
        if (!split) {
            int[] dbw = db.words();
            for (int j = 0; j < cols; j++) {
                double t = 0;
                for (int b = 0; b < blocks; b++) {
                    t += sums[b][j];
                }
                float v = (float) t;
                int o = db.index() + j;
                dbw[o] = bits(accumulate ? f(dbw, o) + v : v);
            }
        }
    }

    // conv2d_wgrad_reduce(ws, dw, db, splits, k, rsc, accumulate): the splits added in split order, in float
    static void wgradReduce(CpuKernels.Call c) {
        int splits = c.i32(3), k = c.i32(4), rsc = c.i32(5);
        boolean accumulate = c.i32(6) != 0;
        if (splits < 1 || k < 1 || rsc < 1) {
            throw new IllegalArgumentException(c.kernel.name() + ": splits, k and rsc must be >= 1, got " + splits + ", " + k + ", "
                    + rsc);
        }
        long weights = (long) k * rsc;
        CpuMemory.Ref db = c.ptrOrNull(2, k);
        CpuMemory.Ref ws = c.ptr(0, splits * weights + (db == null ? 0 : (long) splits * k)), dw = c.ptr(1, weights);
        int[] sw = ws.words(), dww = dw.words();
        int so = ws.index(), dwo = dw.index();
        c.forChunks(weights, (from, to) -> {
            for (int i = from; i < to; i++) {
                float v = 0f;
                for (int z = 0; z < splits; z++) {
                    v += f(sw, so + (int) (z * weights) + i);
                }
                dww[dwo + i] = bits(accumulate ? f(dww, dwo + i) + v : v);
            }
        });
        if (db != null) {
            int[] dbw = db.words();
            int part = so + (int) (splits * weights);
            for (int j = 0; j < k; j++) {
                float v = 0f;
                for (int z = 0; z < splits; z++) {
                    v += f(sw, part + z * k + j);
                }
                int o = db.index() + j;
                dbw[o] = bits(accumulate ? f(dbw, o) + v : v);
            }
        }
    }
}
