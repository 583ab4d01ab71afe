package jgan.cpu;

import static jgan.cpu.CpuKernels.bits;
import static jgan.cpu.CpuKernels.f;

/**
 * kernels/batch_norm.cu on the cpu device: batch normalisation over the rows of an [rows, C]
 * tensor (rows = N*H*W of an NHWC tensor, or N after a dense layer), per channel, under the
 * kernels' names and signatures.
 *
 * <p>The statistics partials have the kernels' partition, since their consumers take the count
 * from the face: chunks of {@code 16 * lanes} rows, lanes = 256 / (C <= 128 ? C : 32), so
 * P = ceil(rows / chunk); {@code batch_norm_stats} writes {count, mean, m2} per chunk and
 * channel (the contract in kernels/batch_norm.cu's header: two-pass, mean first, then squared deviations) and
 * {@code batch_norm_backward_reduce} {sum dz, sum dz xhat}. Sums are in double over a chunk's rows
 * in row order, rounded once; the finalizers combine the partials in index order (Chan et al.'s
 * update for the statistics), in double, rounded once. One task a chunk (or a block of rows for
 * the elementwise passes), so no bit depends on the thread count.
 *
 * <p>Activations: 0 identity, 1 ReLU, 2 leaky ReLU (slope), 3 tanh; the backward takes act' from
 * the forward's output y (null allowed for identity), as dense.cu does.
 */
final class CpuBatchNorm {
    /** The kernels' block: 256 threads. */
    private static final int THREADS = 256;
    /** Up to this many channels a block covers them all; wider tensors go by groups of 32. */
    private static final int NARROW_CHANNELS = 128;
    private static final int WIDE_GROUP = 32;
    /** Rows per lane in a statistics / backward-reduce chunk. */
    private static final int CHUNK_ROWS_PER_LANE = 16;
    /** The statistics and backward-reduce passes are cut into at least this many tasks where the channels allow. */
    private static final int MIN_TASKS = 8;

    private CpuBatchNorm() {
    }

    /** The kernels' activation (kernels/activation.cuh, shared with the GEMM epilogues): NaN passes through. */
    static float activate(float v, int act, float slope) {
        return CpuDense.activate(v, act, slope);
    }

    /** Rows of one statistics partial for this many channels (the kernels' chunk). */
    static int chunkRows(int channels) {
        int cw = channels <= NARROW_CHANNELS ? channels : WIDE_GROUP;
        return CHUNK_ROWS_PER_LANE * (THREADS / cw);
    }

    private static void checkSizes(CpuKernels.Call c, int rows, int channels) {
        if (rows < 1 || channels < 1) {
            throw new IllegalArgumentException(c.kernel.name() + ": rows and channels must be >= 1, got " + rows + ", " + channels);
        }
    }

    // batch_norm_stats(x, partials, rows, channels)
    static void stats(CpuKernels.Call c) {
        int rows = c.i32(2), ch = c.i32(3);
        checkSizes(c, rows, ch);
        int chunk = chunkRows(ch), parts = (rows + chunk - 1) / chunk;
        CpuMemory.Ref x = c.ptr(0, (long) rows * ch), out = c.ptr(1, (long) parts * ch * 3);
        int[] xw = x.words(), ow = out.words();
        int xo = x.index(), oo = out.index();
        double[][] acc = c.scratch.perTask(parts, 2 * ch);
        int cb = channelBlock(parts, ch), blocks = (ch + cb - 1) / cb;
        c.parallel.run(parts * blocks, t -> {
            int p = t / blocks, j0 = (t % blocks) * cb, j1 = Math.min(ch, j0 + cb);
            int r0 = p * chunk, r1 = Math.min(rows, r0 + chunk), n = r1 - r0;
            double[] a = acc[p]; // [0, ch): means, [ch, 2ch): m2; this task's channels [j0, j1) only
            java.util.Arrays.fill(a, j0, j1, 0);
            java.util.Arrays.fill(a, ch + j0, ch + j1, 0);
            for (int r = r0; r < r1; r++) {
                int e = xo + r * ch;
                for (int j = j0; j < j1; j++) {
                    a[j] += Float.intBitsToFloat(xw[e + j]);
                }
            }
            for (int j = j0; j < j1; j++) {
                a[j] /= n;
            }
            for (int r = r0; r < r1; r++) {
                int e = xo + r * ch;
                for (int j = j0; j < j1; j++) {
                    double d = Float.intBitsToFloat(xw[e + j]) - a[j];
                    a[ch + j] += d * d;
                }
            }
            for (int j = j0; j < j1; j++) {
                int at = oo + (p * ch + j) * 3;
                ow[at] = bits(n);
                ow[at + 1] = bits((float) a[j]);
                ow[at + 2] = bits((float) a[ch + j]);
            }
        });
    }

    /**
     * Channels a task takes in the statistics and backward-reduce passes: all of them when there
     * are enough chunks to share out, else blocks of at least 64, so that a wide tensor with few
     * rows (BatchNorm1d over 6272 features at batch 64: one chunk) still runs on every thread.
     * Each channel's sums are the same whichever block it is in: the split changes no bit.
     */
    static int channelBlock(int parts, int ch) {
        if (parts >= MIN_TASKS) {
            return ch;
        }
        int blocks = Math.min((ch + 63) / 64, (MIN_TASKS + parts - 1) / parts);
        return (ch + blocks - 1) / blocks;
    }

    // batch_norm_finalize(partials, mean, invstd, running_mean, running_var, num_partials, channels, momentum, eps)
    static void finalizeStats(CpuKernels.Call c) {
        int parts = c.i32(5), ch = c.i32(6);
        double momentum = c.f32(7), eps = c.f32(8);
        checkSizes(c, Math.max(parts, 1), ch);
        CpuMemory.Ref in = c.ptr(0, (long) parts * ch * 3), mean = c.ptr(1, ch), invstd = c.ptr(2, ch),
                rm = c.ptrOrNull(3, ch), rv = rm == null ? null : c.ptr(4, ch);
        int[] pw = in.words();
        int po = in.index();
        for (int j = 0; j < ch; j++) {
            long n = 0;
            double ma = 0, m2 = 0;
            for (int p = 0; p < parts; p++) {
                int at = po + (p * ch + j) * 3;
                long nb = (long) f(pw, at);
                if (nb <= 0) {
                    continue; // an empty partial contributes nothing
                }
                double mb = f(pw, at + 1), m2b = f(pw, at + 2);
                long na = n;
                n = na + nb;
                double d = mb - ma;
                ma += d * nb / n;
                m2 += m2b + d * d * na * nb / n;
            }
            double var = m2 / n;
            mean.words()[mean.index() + j] = bits((float) ma);
            invstd.words()[invstd.index() + j] = bits((float) (1 / Math.sqrt(var + eps)));
            if (rm != null) {
                double unbiased = m2 / (n - 1);
                int a = rm.index() + j, b = rv.index() + j;
                rm.words()[a] = bits((float) ((1 - momentum) * f(rm.words(), a) + momentum * ma));
                rv.words()[b] = bits((float) ((1 - momentum) * f(rv.words(), b) + momentum * unbiased));
            }
        }
    }

    /** y = act((x - mean) * scale + shift) per channel over rows, in float as the kernels (one fma). */
    private static void apply(CpuKernels.Call c, CpuMemory.Ref x, CpuMemory.Ref y, int rows, int ch, float[] mean, float[] scale,
                              float[] shift, int act, float slope) {
        int[] xw = x.words(), yw = y.words();
        int xo = x.index(), yo = y.index();
        int block = Math.max(1, CpuKernels.GRAIN / ch);
        c.parallel.run(CpuParallel.tasks(rows, block), t -> {
            int r0 = t * block, r1 = Math.min(rows, r0 + block);
            // one loop per activation (the JIT compiles each without the switch); the same float operations and bits as
            // activate(), the sign chosen by masks (CpuActBits: no mispredicted branch per element)
            for (int r = r0; r < r1; r++) {
                int xe = xo + r * ch, ye = yo + r * ch;
                if (act == 0) {
                    for (int j = 0; j < ch; j++) {
                        yw[ye + j] = bits(Math.fma(Float.intBitsToFloat(xw[xe + j]) - mean[j], scale[j], shift[j]));
                    }
                } else if (act == 1) {
                    for (int j = 0; j < ch; j++) {
                        yw[ye + j] = CpuActBits.reluBits(Math.fma(Float.intBitsToFloat(xw[xe + j]) - mean[j], scale[j], shift[j]));
                    }
                } else if (act == 2) {
                    for (int j = 0; j < ch; j++) {
                        yw[ye + j] = CpuActBits.leakyBits(Math.fma(Float.intBitsToFloat(xw[xe + j]) - mean[j], scale[j], shift[j]), slope);
                    }
                } else {
                    for (int j = 0; j < ch; j++) {
                        yw[ye + j] = CpuActBits.activateBits(Math.fma(Float.intBitsToFloat(xw[xe + j]) - mean[j], scale[j], shift[j]), act, slope);
                    }
                }
            }
        });
    }

    // batch_norm_forward_train(x, mean, invstd, gamma, beta, y, rows, channels, act, slope)
    static void forwardTrain(CpuKernels.Call c) {
        int rows = c.i32(6), ch = c.i32(7), act = c.i32(8);
        float slope = c.f32(9);
        checkSizes(c, rows, ch);
        CpuMemory.Ref x = c.ptr(0, (long) rows * ch), mean = c.ptr(1, ch), invstd = c.ptr(2, ch), gamma = c.ptr(3, ch),
                beta = c.ptr(4, ch), y = c.ptr(5, (long) rows * ch);
        float[] mu = c.scratch.get(3, ch), scale = c.scratch.get(4, ch), shift = c.scratch.get(5, ch);
        for (int j = 0; j < ch; j++) {
            mu[j] = f(mean.words(), mean.index() + j);
            scale[j] = f(gamma.words(), gamma.index() + j) * f(invstd.words(), invstd.index() + j);
            shift[j] = f(beta.words(), beta.index() + j);
        }
        apply(c, x, y, rows, ch, mu, scale, shift, act, slope);
    }

    // batch_norm_forward_eval(x, running_mean, running_var, gamma, beta, y, rows, channels, eps, act, slope)
    static void forwardEval(CpuKernels.Call c) {
        int rows = c.i32(6), ch = c.i32(7), act = c.i32(9);
        float eps = c.f32(8), slope = c.f32(10);
        checkSizes(c, rows, ch);
        CpuMemory.Ref x = c.ptr(0, (long) rows * ch), rm = c.ptr(1, ch), rv = c.ptr(2, ch), gamma = c.ptr(3, ch),
                beta = c.ptr(4, ch), y = c.ptr(5, (long) rows * ch);
        float[] mu = c.scratch.get(3, ch), scale = c.scratch.get(4, ch), shift = c.scratch.get(5, ch);
        for (int j = 0; j < ch; j++) {
            mu[j] = f(rm.words(), rm.index() + j);
            float is = (float) (1 / Math.sqrt((double) f(rv.words(), rv.index() + j) + eps));
            scale[j] = f(gamma.words(), gamma.index() + j) * is;
            shift[j] = f(beta.words(), beta.index() + j);
        }
        apply(c, x, y, rows, ch, mu, scale, shift, act, slope);
    }

    // batch_norm_backward_reduce(dy, y, x, mean, invstd, partials, rows, channels, act, slope)
    static void backwardReduce(CpuKernels.Call c) {
        int rows = c.i32(6), ch = c.i32(7), act = c.i32(8);
        float slope = c.f32(9);
        checkSizes(c, rows, ch);
        int chunk = chunkRows(ch), parts = (rows + chunk - 1) / chunk;
        CpuMemory.Ref dy = c.ptr(0, (long) rows * ch), y = act == 0 ? null : c.ptr(1, (long) rows * ch),
                x = c.ptr(2, (long) rows * ch), mean = c.ptr(3, ch), invstd = c.ptr(4, ch), out = c.ptr(5, (long) parts * ch * 2);
        int[] gw = dy.words(), yw = y == null ? null : y.words(), xw = x.words(), ow = out.words();
        int go = dy.index(), yo = y == null ? 0 : y.index(), xo = x.index(), oo = out.index();
        float[] mu = c.scratch.get(3, ch), is = c.scratch.get(4, ch);
        for (int j = 0; j < ch; j++) {
            mu[j] = f(mean.words(), mean.index() + j);
            is[j] = f(invstd.words(), invstd.index() + j);
        }
        double[][] acc = c.scratch.perTask(parts, 2 * ch);
        int cb = channelBlock(parts, ch), blocks = (ch + cb - 1) / cb;
        c.parallel.run(parts * blocks, t -> {
            int p = t / blocks, j0 = (t % blocks) * cb, j1 = Math.min(ch, j0 + cb);
            int r0 = p * chunk, r1 = Math.min(rows, r0 + chunk);
            double[] a = acc[p]; // [0, ch): sum dz, [ch, 2ch): sum dz xhat; this task's channels [j0, j1) only
            java.util.Arrays.fill(a, j0, j1, 0);
            java.util.Arrays.fill(a, ch + j0, ch + j1, 0);
            for (int r = r0; r < r1; r++) {
                int ge = go + r * ch, ye = yo + r * ch, xe = xo + r * ch;
                for (int j = j0; j < j1; j++) {
                    float dz = Float.intBitsToFloat(gw[ge + j]); // in float, as the kernel (fused = the activation kernels then identity)
                    if (yw != null) {
                        dz *= CpuActBits.grad(yw[ye + j], act, slope);
                    }
                    a[j] += dz;
                    a[ch + j] += dz * ((Float.intBitsToFloat(xw[xe + j]) - mu[j]) * (double) is[j]);
                }
            }
            for (int j = j0; j < j1; j++) {
                int at = oo + (p * ch + j) * 2;
                ow[at] = bits((float) a[j]);
                ow[at + 1] = bits((float) a[ch + j]);
            }
        });
    }

    // batch_norm_backward_finalize(partials, sums, dgamma, dbeta, num_partials, channels, accumulate)
    static void backwardFinalize(CpuKernels.Call c) {
        int parts = c.i32(4), ch = c.i32(5);
        boolean accumulate = c.i32(6) != 0;
        checkSizes(c, Math.max(parts, 1), ch);
        CpuMemory.Ref in = c.ptr(0, (long) parts * ch * 2), sums = c.ptr(1, 2L * ch), dgamma = c.ptrOrNull(2, ch),
                dbeta = c.ptrOrNull(3, ch);
        int[] pw = in.words();
        int po = in.index();
        for (int j = 0; j < ch; j++) {
            double sb = 0, sg = 0;
            for (int p = 0; p < parts; p++) {
                int at = po + (p * ch + j) * 2;
                sb += f(pw, at);
                sg += f(pw, at + 1);
            }
            float b = (float) sb, g = (float) sg;
            sums.words()[sums.index() + 2 * j] = bits(b);
            sums.words()[sums.index() + 2 * j + 1] = bits(g);
            if (dbeta != null) {
                int at = dbeta.index() + j;
                dbeta.words()[at] = bits(accumulate ? f(dbeta.words(), at) + b : b);
            }
            if (dgamma != null) {
                int at = dgamma.index() + j;
                dgamma.words()[at] = bits(accumulate ? f(dgamma.words(), at) + g : g);
            }
        }
    }

    // batch_norm_backward_data(dy, y, x, mean, invstd, gamma, sums, dx, rows, channels, act, slope)
    static void backwardData(CpuKernels.Call c) {
        int rows = c.i32(8), ch = c.i32(9), act = c.i32(10);
        float slope = c.f32(11);
        checkSizes(c, rows, ch);
        CpuMemory.Ref dy = c.ptr(0, (long) rows * ch), y = act == 0 ? null : c.ptr(1, (long) rows * ch),
                x = c.ptr(2, (long) rows * ch), mean = c.ptr(3, ch), invstd = c.ptr(4, ch), gamma = c.ptr(5, ch),
                sums = c.ptr(6, 2L * ch), dx = c.ptr(7, (long) rows * ch);
        float[] mu = c.scratch.get(3, ch), is = c.scratch.get(4, ch), k = c.scratch.get(5, 3L * ch);
        for (int j = 0; j < ch; j++) {
            mu[j] = f(mean.words(), mean.index() + j);
            is[j] = f(invstd.words(), invstd.index() + j);
            k[3 * j] = f(gamma.words(), gamma.index() + j) * is[j];
            k[3 * j + 1] = f(sums.words(), sums.index() + 2 * j) / (float) rows;
            k[3 * j + 2] = f(sums.words(), sums.index() + 2 * j + 1) / (float) rows;
        }
        int[] gw = dy.words(), yw = y == null ? null : y.words(), xw = x.words(), dw = dx.words();
        int go = dy.index(), yo = y == null ? 0 : y.index(), xo = x.index(), d0 = dx.index();
        int block = Math.max(1, CpuKernels.GRAIN / ch), one = CpuActBits.ONE, slopeBits = bits(slope);
        c.parallel.run(CpuParallel.tasks(rows, block), t -> {
            int r0 = t * block, r1 = Math.min(rows, r0 + block);
            for (int r = r0; r < r1; r++) {
                int ge = go + r * ch, ye = yo + r * ch, xe = xo + r * ch, de = d0 + r * ch;
                // one loop per activation; dz = dy * act'(y) in float as grad() gives it, the sign chosen by masks (CpuActBits)
                if (yw == null) {
                    for (int j = 0; j < ch; j++) {
                        float xhat = (Float.intBitsToFloat(xw[xe + j]) - mu[j]) * is[j];
                        dw[de + j] = bits(k[3 * j] * (Float.intBitsToFloat(gw[ge + j]) - k[3 * j + 1] - xhat * k[3 * j + 2]));
                    }
                } else if (act == 1) {
                    for (int j = 0; j < ch; j++) {
                        float dz = Float.intBitsToFloat(gw[ge + j]) * Float.intBitsToFloat(CpuActBits.posMask(yw[ye + j]) & one);
                        float xhat = (Float.intBitsToFloat(xw[xe + j]) - mu[j]) * is[j];
                        dw[de + j] = bits(k[3 * j] * (dz - k[3 * j + 1] - xhat * k[3 * j + 2]));
                    }
                } else if (act == 2) {
                    for (int j = 0; j < ch; j++) {
                        float dz = Float.intBitsToFloat(gw[ge + j])
                                * Float.intBitsToFloat(CpuActBits.select(CpuActBits.posMask(yw[ye + j]), one, slopeBits));
                        float xhat = (Float.intBitsToFloat(xw[xe + j]) - mu[j]) * is[j];
                        dw[de + j] = bits(k[3 * j] * (dz - k[3 * j + 1] - xhat * k[3 * j + 2]));
                    }
                } else {
                    for (int j = 0; j < ch; j++) {
                        float dz = Float.intBitsToFloat(gw[ge + j]) * CpuActBits.grad(yw[ye + j], act, slope);
                        float xhat = (Float.intBitsToFloat(xw[xe + j]) - mu[j]) * is[j];
                        dw[de + j] = bits(k[3 * j] * (dz - k[3 * j + 1] - xhat * k[3 * j + 2]));
                    }
                }
            }
        });
    }
}
