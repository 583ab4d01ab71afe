package jgan.device;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import jgan.reference.PhiloxReference;

/**
 * The cpu device's kernels: Java implementations of kernels/*.cu under the same names, taking
 * the same arguments, so that the kernel faces in {@code jgan.kernels} launch them unchanged.
 * Each entry point is registered with its C++ parameter list copied from the .cu file; a launch
 * is checked against it (count and kinds), as the host runtime checks the real signature.
 *
 * <p>Numerics: each kernel's header comment is the contract. Where the kernel computes in float
 * and the result is exact (leaky ReLU, the integer counters, Philox bits and uniforms) the result
 * is the same bits; elsewhere the work is done in double and rounded once to float, which is at
 * least as accurate as the kernel (losses, means, the optimizers, normals, tanh). Sums are taken
 * over fixed chunks of the input (fixed by the sizes alone) in double and the chunk sums added in
 * chunk order, so the same inputs give the same bits whatever the thread count. The workspace
 * pointers of the one-launch reductions (partials, tickets) are checked but not used: the cpu
 * reduces in one pass and has no tickets to reset.
 *
 * <p>Not here: runtime_checks.cu and broken_kernels.cu, which test CUDA semantics (warps, shared
 * memory, the host runtime's fault checks): only the host runtime and CUDA run them.
 */
final class CpuKernels {
    /** Elements per task of the elementwise and reduction loops (fixed: the chunks of a sum depend on n alone). */
    static final int GRAIN = 1 << 14;

    /** What a kernel does with one launch's arguments. */
    interface Body {
        void run(Call call);
    }

    /** One entry point: its name, C++ parameters (as in the .cu file), their kind codes, and the Java body. */
    record Kernel(String name, String[] params, String kinds, Body body) {
        String signature() {
            return name + "(" + String.join(", ", params) + ")";
        }
    }

    private static final Map<String, Kernel> KERNELS = new LinkedHashMap<>();

    static {
        def("leaky_relu_forward", "const float* x, float* y, int n, float slope", CpuKernels::leakyReluForward);
        def("leaky_relu_backward", "const float* y, const float* dy, float* dx, int n, float slope", CpuKernels::leakyReluBackward);
        def("tanh_forward", "const float* x, float* y, int n", CpuKernels::tanhForward);
        def("tanh_backward", "const float* y, const float* dy, float* dx, int n", CpuKernels::tanhBackward);
        def("sigmoid_cross_entropy_forward_backward", "const float* logits, const float* targets, const float* weights, "
                + "float* grad, float* loss, float* partials, unsigned* counter, int n, float scale, int accumulate",
                CpuKernels::sigmoidCrossEntropy);
        def("gan_loss_forward_backward", "const float* logits, float* grad, float* loss, float* partials, unsigned* counter, "
                + "int n, int kind, float target, float scale, int accumulate", CpuKernels::ganLoss);
        def("dense_forward", "const float* x, const float* w, const float* b, float* y, int rows, int in, int out, int act, "
                + "float slope, int math_mode", CpuDense::forward);
        def("dense_backward_data", "const float* dy, const float* y, const float* w, float* dx, int rows, int in, int out, "
                + "int act, float slope, int math_mode", CpuDense::backwardData);
        def("dense_backward_weight", "const float* dy, const float* y, const float* x, float* dw, float* db, int rows, int in, "
                + "int out, int act, float slope, int accumulate, int math_mode", CpuDense::backwardWeight);
        def("bias_grad", "const float* dy, float* db, float* partials, unsigned* counters, int rows, int cols, int accumulate",
                CpuKernels::biasGrad);
        def("reduce_mean", "const float* x, int n, float* out, float* partials, unsigned* counter, int transform, int accumulate",
                CpuKernels::reduceMean);
        def("finite_check", "const float* x, int n, int* flag", CpuKernels::finiteCheck);
        def("adam_update", "float* params, float* grads, float* m, float* v, const int* step, int n, float lr, float beta1, "
                + "float beta2, float eps, float weight_decay, float clip, int zero_grads", CpuKernels::adam);
        def("sgd_update", "float* params, float* grads, float* momentum_buf, int n, float lr, float momentum, "
                + "float weight_decay, float clip, int zero_grads", CpuKernels::sgd);
        def("optimizer_step_increment", "int* step", c -> {
            CpuMemory.Ref s = c.ptr(0, 1);
            s.words()[s.index()] += 1;
        });
        def("counter_add_i32", "int* counter, int delta", c -> {
            CpuMemory.Ref s = c.ptr(0, 1);
            s.words()[s.index()] += c.i32(1);
        });
        def("counter_add_i64", "long long* counter, long long delta", c -> {
            CpuMemory.Ref s = c.ptr(0, 2);
            putI64(s, getI64(s) + c.i64(1));
        });
        def("philox_bits", "unsigned* out, int n, long long seed, long long offset", CpuKernels::philoxBits);
        def("philox_uniform", "float* out, int n, long long seed, long long offset, float lo, float hi", CpuKernels::philoxUniform);
        def("philox_normal", "float* out, int n, long long seed, long long offset, float mean, float stddev",
                c -> philoxNormal(c, c.i64(3)));
        def("philox_normal_at", "float* out, int n, long long seed, const long long* offset, float mean, float stddev",
                c -> philoxNormal(c, getI64(c.ptr(3, 2))));
        def("mixture_sample", "float* out, int n, const float* centers, int modes, float stddev, long long seed, "
                + "const long long* offset", CpuKernels::mixtureSample);
    }

    private CpuKernels() {
    }

    private static void def(String name, String params, Body body) {
        String[] ps = params.split(",\\s*");
        StringBuilder kinds = new StringBuilder();
        for (String p : ps) {
            kinds.append(kindOf(p));
        }
        KERNELS.put(name, new Kernel(name, ps, kinds.toString(), body));
    }

    /** The KernelArgs kind code of a C++ parameter declaration. */
    private static char kindOf(String param) {
        if (param.contains("*")) {
            return KernelArgs.Kind.POINTER.code;
        }
        if (param.startsWith("long long ")) {
            return KernelArgs.Kind.I64.code;
        }
        if (param.startsWith("int ")) {
            return KernelArgs.Kind.I32.code;
        }
        if (param.startsWith("float ")) {
            return KernelArgs.Kind.F32.code;
        }
        throw new IllegalStateException("cpu: unknown parameter type in '" + param + "'");
    }

    static Kernel get(String name) {
        return KERNELS.get(name);
    }

    static Map<String, Kernel> all() {
        return Collections.unmodifiableMap(KERNELS);
    }

    /** One launch: the arguments' raw bits, decoded on demand against the device's memory. */
    static final class Call {
        final Kernel kernel;
        final long[] bits;
        final CpuMemory memory;
        final CpuParallel parallel;
        final CpuDense.Scratch scratch;
        final dev.ludovic.netlib.blas.BLAS blas;
        /** Whether GEMMs are cut into row blocks on our threads (else one BLAS call that threads itself). */
        final boolean splitGemms;

        Call(Kernel kernel, long[] bits, CpuMemory memory, CpuParallel parallel, CpuDense.Scratch scratch,
             dev.ludovic.netlib.blas.BLAS blas, boolean splitGemms) {
            this.kernel = kernel;
            this.bits = bits;
            this.memory = memory;
            this.parallel = parallel;
            this.scratch = scratch;
            this.blas = blas;
            this.splitGemms = splitGemms;
        }

        String what(int i) {
            return kernel.name() + ": argument " + i + " (" + kernel.params()[i] + ")";
        }

        int i32(int i) {
            return (int) bits[i];
        }

        float f32(int i) {
            return Float.intBitsToFloat((int) bits[i]);
        }

        long i64(int i) {
            return bits[i];
        }

        boolean isNull(int i) {
            return bits[i] == 0;
        }

        /** Pointer argument i, which must hold {@code words} 32-bit words from where it points. */
        CpuMemory.Ref ptr(int i, long words) {
            return memory.decode(bits[i], Math.max(0, words), what(i));
        }

        /** As {@link #ptr}, or null for a null pointer (optional operands). */
        CpuMemory.Ref ptrOrNull(int i, long words) {
            return bits[i] == 0 ? null : ptr(i, words);
        }

        /** Checks every non-null pointer argument (live allocation, aligned), without running anything. */
        void checkPointers() {
            for (int i = 0; i < bits.length; i++) {
                if (kernel.kinds().charAt(i) == KernelArgs.Kind.POINTER.code && bits[i] != 0) {
                    memory.decode(bits[i], what(i));
                }
            }
        }

        /** Runs {@code body(from, to)} over [0, n) in chunks of {@link #GRAIN}, on the device's threads. */
        void forChunks(long n, ChunkBody body) {
            int tasks = CpuParallel.tasks(n, GRAIN);
            parallel.run(tasks, t -> body.run((int) ((long) t * GRAIN), (int) Math.min(n, (long) (t + 1) * GRAIN)));
        }

        /** The sum of {@code term(from, to)} over the chunks of [0, n), added in chunk order: deterministic. */
        double sumChunks(long n, ChunkSum term) {
            int tasks = CpuParallel.tasks(n, GRAIN);
            double[] partial = new double[tasks];
            parallel.run(tasks, t -> partial[t] = term.sum((int) ((long) t * GRAIN), (int) Math.min(n, (long) (t + 1) * GRAIN)));
            double total = 0;
            for (double p : partial) {
                total += p;
            }
            return total;
        }
    }

    interface ChunkBody {
        void run(int from, int to);
    }

    interface ChunkSum {
        double sum(int from, int to);
    }

    static float f(int[] words, int i) {
        return Float.intBitsToFloat(words[i]);
    }

    static int bits(float v) {
        return Float.floatToRawIntBits(v);
    }

    /** A 64-bit integer as the GPU lays it out: the low word first (little-endian). */
    static long getI64(CpuMemory.Ref r) {
        return (r.words()[r.index()] & 0xffffffffL) | ((long) r.words()[r.index() + 1] << 32);
    }

    static void putI64(CpuMemory.Ref r, long v) {
        r.words()[r.index()] = (int) v;
        r.words()[r.index() + 1] = (int) (v >>> 32);
    }

    /** Writes a reduced value: {@code *out = v}, or {@code *out += v} when accumulating (in float, as the kernels). */
    private static void store(CpuMemory.Ref out, float v, boolean accumulate) {
        int[] w = out.words();
        int i = out.index();
        w[i] = bits(accumulate ? f(w, i) + v : v);
    }

    // ---------------------------------------------------------------- elementwise

    private static void leakyReluForward(Call c) {
        int n = c.i32(2);
        float slope = c.f32(3);
        CpuMemory.Ref x = c.ptr(0, n), y = c.ptr(1, n);
        int[] xw = x.words(), yw = y.words();
        int xo = x.index(), yo = y.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float v = f(xw, xo + i);
                yw[yo + i] = bits(v > 0f ? v : slope * v);
            }
        });
    }

    private static void leakyReluBackward(Call c) {
        int n = c.i32(3);
        float slope = c.f32(4);
        CpuMemory.Ref y = c.ptr(0, n), dy = c.ptr(1, n), dx = c.ptr(2, n);
        int[] yw = y.words(), gw = dy.words(), dw = dx.words();
        int yo = y.index(), go = dy.index(), d0 = dx.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = f(gw, go + i);
                dw[d0 + i] = bits(f(yw, yo + i) > 0f ? g : slope * g);
            }
        });
    }

    private static void tanhForward(Call c) {
        int n = c.i32(2);
        CpuMemory.Ref x = c.ptr(0, n), y = c.ptr(1, n);
        int[] xw = x.words(), yw = y.words();
        int xo = x.index(), yo = y.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                yw[yo + i] = bits((float) Math.tanh(f(xw, xo + i)));
            }
        });
    }

    private static void tanhBackward(Call c) {
        int n = c.i32(3);
        CpuMemory.Ref y = c.ptr(0, n), dy = c.ptr(1, n), dx = c.ptr(2, n);
        int[] yw = y.words(), gw = dy.words(), dw = dx.words();
        int yo = y.index(), go = dy.index(), d0 = dx.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                double v = f(yw, yo + i);
                // (1 - y)(1 + y) is exact in double; one rounding at the end
                dw[d0 + i] = bits((float) (f(gw, go + i) * ((1 - v) * (1 + v))));
            }
        });
    }

    // ---------------------------------------------------------------- losses and statistics

    private static void sigmoidCrossEntropy(Call c) {
        int n = c.i32(7);
        double scale = c.f32(8);
        boolean accumulate = c.i32(9) != 0;
        CpuMemory.Ref z = c.ptr(0, n), t = c.ptr(1, n), w = c.ptrOrNull(2, n), g = c.ptrOrNull(3, n), loss = c.ptr(4, 1);
        int[] zw = z.words(), tw = t.words();
        int zo = z.index(), to0 = t.index();
        double total = c.sumChunks(n, (from, to) -> {
            double acc = 0;
            for (int i = from; i < to; i++) {
                double zi = f(zw, zo + i), ti = f(tw, to0 + i);
                double wi = w == null ? 1.0 : f(w.words(), w.index() + i);
                double e = Math.exp(-Math.abs(zi)); // in (0, 1]: never overflows
                double l = Math.max(zi, 0) - zi * ti + Math.log1p(e);
                double s = zi >= 0 ? 1 / (1 + e) : e / (1 + e);
                acc += wi * l;
                if (g != null) {
                    g.words()[g.index() + i] = bits((float) (scale * wi * (s - ti)));
                }
            }
            return acc;
        });
        store(loss, (float) (scale * total), accumulate);
    }

    private static void ganLoss(Call c) {
        int n = c.i32(5), kind = c.i32(6);
        double target = c.f32(7), scale = c.f32(8);
        boolean accumulate = c.i32(9) != 0;
        CpuMemory.Ref z = c.ptr(0, n), g = c.ptrOrNull(1, n), loss = c.ptr(2, 1);
        int[] zw = z.words();
        int zo = z.index();
        double total = c.sumChunks(n, (from, to) -> {
            double acc = 0;
            for (int i = from; i < to; i++) {
                double zi = f(zw, zo + i), l, d;
                if (kind == 0) {
                    l = target * zi;
                    d = target;
                } else if (kind == 1) {
                    double margin = 1 - target * zi;
                    l = margin > 0 ? margin : 0;
                    d = margin > 0 ? -target : 0;
                } else {
                    d = zi - target;
                    l = 0.5 * d * d;
                }
                acc += l;
                if (g != null) {
                    g.words()[g.index() + i] = bits((float) (scale * d));
                }
            }
            return acc;
        });
        store(loss, (float) (scale * total), accumulate);
    }

    private static void reduceMean(Call c) {
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

    private static void finiteCheck(Call c) {
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

    private static void biasGrad(Call c) {
        int rows = c.i32(4), cols = c.i32(5);
        boolean accumulate = c.i32(6) != 0;
        if (rows <= 0 || cols <= 0) {
            return;
        }
        CpuMemory.Ref dy = c.ptr(0, (long) rows * cols), db = c.ptr(1, cols);
        int[] w = dy.words();
        int o = dy.index();
        double[] sums = new double[cols];
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
            int rowsPerTask = (int) Math.max(Math.max(1, GRAIN / cols), (rows + MAX_SUM_TASKS - 1L) / MAX_SUM_TASKS);
            int tasks = CpuParallel.tasks(rows, rowsPerTask);
            double[][] partial = new double[tasks][cols];
            c.parallel.run(tasks, t -> {
                double[] s = partial[t];
                int r1 = (int) Math.min(rows, (long) (t + 1) * rowsPerTask);
                for (int r = t * rowsPerTask; r < r1; r++) {
                    int base = o + r * cols;
                    for (int j = 0; j < cols; j++) {
                        s[j] += f(w, base + j);
                    }
                }
            });
            for (double[] p : partial) {
                for (int j = 0; j < cols; j++) {
                    sums[j] += p[j];
                }
            }
        }
        int[] dw = db.words();
        for (int j = 0; j < cols; j++) {
            float v = (float) sums[j];
            dw[db.index() + j] = bits(accumulate ? f(dw, db.index() + j) + v : v);
        }
    }

    // ---------------------------------------------------------------- optimizers

    /** Clamp to [-clip, clip] when clip > 0; NaN stays NaN (comparisons are false for it), as in the kernel. */
    private static double clip(double p, double clip) {
        if (clip > 0) {
            if (p > clip) {
                return clip;
            }
            if (p < -clip) {
                return -clip;
            }
        }
        return p;
    }

    private static void adam(Call c) {
        int n = c.i32(5);
        double lr = c.f32(6), b1 = c.f32(7), b2 = c.f32(8), eps = c.f32(9), wd = c.f32(10), clip = c.f32(11);
        boolean zero = c.i32(12) != 0;
        CpuMemory.Ref p = c.ptr(0, n), g = c.ptr(1, n), m = c.ptr(2, n), v = c.ptr(3, n), step = c.ptr(4, 1);
        int t = step.words()[step.index()] + 1; // read only: optimizer_step_increment advances it
        double bc1 = 1 - Math.pow(b1, t), bc2 = 1 - Math.pow(b2, t);
        int[] pw = p.words(), gw = g.words(), mw = m.words(), vw = v.words();
        int po = p.index(), go = g.index(), mo = m.index(), vo = v.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                double gi = f(gw, go + i);
                float mi = (float) (b1 * f(mw, mo + i) + (1 - b1) * gi);
                float vi = (float) (b2 * f(vw, vo + i) + (1 - b2) * gi * gi);
                mw[mo + i] = bits(mi);
                vw[vo + i] = bits(vi);
                // the update uses the moments as stored, as the kernel does
                double pi = f(pw, po + i);
                double mhat = mi / bc1, vhat = vi / bc2;
                pw[po + i] = bits((float) clip(pi - lr * (mhat / (Math.sqrt(vhat) + eps) + wd * pi), clip));
                if (zero) {
                    gw[go + i] = 0;
                }
            }
        });
    }

    private static void sgd(Call c) {
        int n = c.i32(3);
        double lr = c.f32(4), momentum = c.f32(5), wd = c.f32(6), clip = c.f32(7);
        boolean zero = c.i32(8) != 0;
        boolean useBuf = momentum > 0; // otherwise the buffer is never touched (it may be null)
        CpuMemory.Ref p = c.ptr(0, n), g = c.ptr(1, n), b = useBuf ? c.ptr(2, n) : null;
        int[] pw = p.words(), gw = g.words();
        int po = p.index(), go = g.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                double pi = f(pw, po + i);
                double s = f(gw, go + i) + wd * pi;
                if (useBuf) {
                    float buf = (float) (momentum * f(b.words(), b.index() + i) + s);
                    b.words()[b.index() + i] = bits(buf);
                    s = buf; // the step is the buffer as stored
                }
                pw[po + i] = bits((float) clip(pi - lr * s, clip));
                if (zero) {
                    gw[go + i] = 0;
                }
            }
        });
    }

    // ---------------------------------------------------------------- random numbers

    private static final double TWO_POW_M24 = 0x1p-24;

    /** ceil(n / 4) counters for n elements (0 for n <= 0). */
    private static long counters(int n) {
        return n > 0 ? (n + 3L) / 4 : 0;
    }

    private static void philoxBits(Call c) {
        int n = c.i32(1);
        long seed = c.i64(2), offset = c.i64(3);
        CpuMemory.Ref out = c.ptr(0, n);
        int[] ow = out.words();
        int oo = out.index();
        c.forChunks(counters(n), (k0, k1) -> {
            for (int k = k0; k < k1; k++) {
                int[] w = PhiloxReference.block(offset + k, seed); // unsigned 64-bit counter: wraps as on the GPU
                for (int j = 0; j < 4 && 4 * k + j < n; j++) {
                    ow[oo + 4 * k + j] = w[j];
                }
            }
        });
    }

    private static void philoxUniform(Call c) {
        int n = c.i32(1);
        long seed = c.i64(2), offset = c.i64(3);
        float lo = c.f32(4), hi = c.f32(5);
        double range = (double) hi - (double) lo;
        CpuMemory.Ref out = c.ptr(0, n);
        int[] ow = out.words();
        int oo = out.index();
        c.forChunks(counters(n), (k0, k1) -> {
            for (int k = k0; k < k1; k++) {
                int[] w = PhiloxReference.block(offset + k, seed);
                for (int j = 0; j < 4 && 4 * k + j < n; j++) {
                    // the kernel's affine map: one fma in double, one rounding, kept below hi (bit-exact)
                    float r = (float) Math.fma(range, (w[j] >>> 8) * TWO_POW_M24, lo);
                    ow[oo + 4 * k + j] = bits(r >= hi ? Math.nextDown(hi) : r);
                }
            }
        });
    }

    /** philox_normal / philox_normal_at: Box-Muller on word pairs (0, 1) and (2, 3), in double. */
    private static void philoxNormal(Call c, long offset) {
        int n = c.i32(1);
        long seed = c.i64(2);
        double mean = c.f32(4), std = c.f32(5);
        CpuMemory.Ref out = c.ptr(0, n);
        int[] ow = out.words();
        int oo = out.index();
        c.forChunks(counters(n), (k0, k1) -> {
            for (int k = k0; k < k1; k++) {
                int[] w = PhiloxReference.block(offset + k, seed);
                for (int pair = 0; pair < 4 && 4 * k + pair < n; pair += 2) {
                    double u1 = ((w[pair] >>> 8) + 1) * TWO_POW_M24, u2 = (w[pair + 1] >>> 8) * TWO_POW_M24;
                    double r = Math.sqrt(-2 * Math.log(u1)), theta = 2 * Math.PI * u2;
                    int i = 4 * k + pair;
                    ow[oo + i] = bits((float) (mean + std * (r * Math.cos(theta))));
                    if (i + 1 < n) {
                        ow[oo + i + 1] = bits((float) (mean + std * (r * Math.sin(theta))));
                    }
                }
            }
        });
    }

    private static void mixtureSample(Call c) {
        int n = c.i32(1), modes = c.i32(3);
        double std = c.f32(4);
        long seed = c.i64(5);
        if (n <= 0) {
            return;
        }
        if (modes < 1) {
            throw new IllegalArgumentException(c.what(3) + ": needs at least one mode, got " + modes);
        }
        CpuMemory.Ref out = c.ptr(0, 2L * n), centers = c.ptr(2, 2L * modes);
        long base = getI64(c.ptr(6, 2));
        int[] ow = out.words(), cw = centers.words();
        int oo = out.index(), co = centers.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                int[] w = PhiloxReference.block(base + i, seed);
                // the mode as the kernel picks it: u * modes in float (it may round up to modes)
                int mode = (int) ((float) (w[0] >>> 8) * (float) TWO_POW_M24 * (float) modes);
                mode = mode < modes ? mode : modes - 1;
                double u1 = ((w[2] >>> 8) + 1) * TWO_POW_M24, u2 = (w[3] >>> 8) * TWO_POW_M24;
                double r = Math.sqrt(-2 * Math.log(u1)), theta = 2 * Math.PI * u2;
                ow[oo + 2 * i] = bits((float) (f(cw, co + 2 * mode) + std * r * Math.cos(theta)));
                ow[oo + 2 * i + 1] = bits((float) (f(cw, co + 2 * mode + 1) + std * r * Math.sin(theta)));
            }
        });
    }
}
