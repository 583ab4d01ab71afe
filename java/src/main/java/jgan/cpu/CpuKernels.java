package jgan.cpu;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import jgan.device.KernelArgs;

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
 * reduces in one pass and has no tickets to reset. The two-launch reductions (conv's split-K
 * workspace then conv2d_wgrad_reduce, batch norm's partials then its finalizers) are kept: their
 * partial buffers are read by the next launch, whose count the face fixes.
 *
 * <p>One file per op family: {@link CpuDense}, {@link CpuConv}, {@link CpuBatchNorm},
 * {@link CpuActivations}, {@link CpuLosses}, {@link CpuReduce}, {@link CpuOptimizer},
 * {@link CpuRandom}; GEMMs through {@link CpuBlas}.
 *
 * <p>Not here: runtime_checks.cu and broken_kernels.cu, which test CUDA semantics (warps, shared
 * memory, the host runtime's fault checks): only the host runtime and CUDA run them.
 */
public final class CpuKernels {
    /** Elements per task of the elementwise and reduction loops (fixed: the chunks of a sum depend on n alone). */
    static final int GRAIN = 1 << 14;

    /** What a kernel does with one launch's arguments. */
    public interface Body {
        void run(Call call);
    }

    /** One entry point: its name, C++ parameters (as in the .cu file), their kind codes, and the Java body. */
    public record Kernel(String name, String[] params, String kinds, Body body) {
        /** The C++ declaration, e.g. {@code leaky_relu_forward(const float* x, float* y, int n, float slope)}. */
        public String signature() {
            return name + "(" + String.join(", ", params) + ")";
        }
    }

    private static final Map<String, Kernel> KERNELS = new LinkedHashMap<>();

    static {
        def("leaky_relu_forward", "const float* x, float* y, int n, float slope", CpuActivations::leakyReluForward);
        def("leaky_relu_backward", "const float* y, const float* dy, float* dx, int n, float slope", CpuActivations::leakyReluBackward);
        def("tanh_forward", "const float* x, float* y, int n", CpuActivations::tanhForward);
        def("tanh_backward", "const float* y, const float* dy, float* dx, int n", CpuActivations::tanhBackward);
        def("sigmoid_cross_entropy_forward_backward", "const float* logits, const float* targets, const float* weights, "
                + "float* grad, float* loss, float* partials, unsigned* counter, int n, float scale, int accumulate",
                CpuLosses::sigmoidCrossEntropy);
        def("softmax_cross_entropy_forward_backward", "const float* logits, const int* labels, float* grad, int* predictions, "
                + "float* loss, float* partials, unsigned* counter, int* error_flag, int rows, int classes, float scale, "
                + "int accumulate", CpuLosses::softmaxCrossEntropy);
        def("gan_loss_forward_backward", "const float* logits, float* grad, float* loss, float* partials, unsigned* counter, "
                + "int n, int kind, float target, float scale, int accumulate", CpuLosses::ganLoss);
        def("dense_forward", "const float* x, const float* w, const float* b, float* y, int rows, int in, int out, int act, "
                + "float slope, int math_mode", CpuDense::forward);
        def("dense_backward_data", "const float* dy, const float* y, const float* w, float* dx, int rows, int in, int out, "
                + "int act, float slope, int math_mode", CpuDense::backwardData);
        def("dense_backward_weight", "const float* dy, const float* y, const float* x, float* dw, float* db, int rows, int in, "
                + "int out, int act, float slope, int accumulate, int math_mode", CpuDense::backwardWeight);
        def("bias_grad", "const float* dy, float* db, float* partials, unsigned* counters, int rows, int cols, int accumulate",
                CpuReduce::biasGrad);
        def("reduce_mean", "const float* x, int n, float* out, float* partials, unsigned* counter, int transform, int accumulate",
                CpuReduce::reduceMean);
        def("finite_check", "const float* x, int n, int* flag", CpuReduce::finiteCheck);
        def("adam_update", "float* params, float* grads, float* m, float* v, const int* step, int n, float lr, float beta1, "
                + "float beta2, float eps, float weight_decay, float clip, int zero_grads", CpuOptimizer::adam);
        def("sgd_update", "float* params, float* grads, float* momentum_buf, int n, float lr, float momentum, "
                + "float weight_decay, float clip, int zero_grads", CpuOptimizer::sgd);
        def("optimizer_step_increment", "int* step", CpuOptimizer::stepIncrement);
        def("lr_schedule", "const int* step, float* lr, int kind, float base_lr, float final_frac, int warmup, int total",
                CpuOptimizer::lrSchedule);
        def("adam_update_lr", "float* params, float* grads, float* m, float* v, float* ema, const int* step, const float* lr, "
                + "int n, float beta1, float beta2, float eps, float weight_decay, float clip, int zero_grads, float ema_decay",
                CpuOptimizer::adamLr);
        def("swap_middle_axes", "const float* x, float* y, int groups, int a, int b, int c", CpuReduce::swapMiddleAxes);
        def("counter_add_i32", "int* counter, int delta", CpuRandom::counterAddI32);
        def("counter_add_i64", "long long* counter, long long delta", CpuRandom::counterAddI64);
        def("philox_bits", "unsigned* out, int n, long long seed, long long offset", CpuRandom::philoxBits);
        def("philox_uniform", "float* out, int n, long long seed, long long offset, float lo, float hi", CpuRandom::philoxUniform);
        def("philox_normal", "float* out, int n, long long seed, long long offset, float mean, float stddev",
                c -> CpuRandom.philoxNormal(c, c.i64(3)));
        def("philox_normal_at", "float* out, int n, long long seed, const long long* offset, float mean, float stddev",
                c -> CpuRandom.philoxNormal(c, getI64(c.ptr(3, 2))));
        def("mixture_sample", "float* out, int n, const float* centers, int modes, float stddev, long long seed, "
                + "const long long* offset", CpuRandom::mixtureSample);
        // kernels/conv.cu (CpuConv): the narrow kernels run the same bodies as the tiled ones
        def("conv2d_fprop", "const float* x, const float* x_act_y, const float* filt, const float* bias, float* y, "
                + "float* bn_partials, int n, int h, int w, int c, int k, int r, int s, int p, int q, "
                + "int pad_top, int pad_left, int stride_h, int stride_w, int dilation_h, int dilation_w, "
                + "int x_act, int act, float slope, int math_mode",
                CpuConv::fprop);
        def("conv2d_fprop_narrow", "const float* x, const float* x_act_y, const float* filt, const float* bias, float* y, int n, "
                + "int h, int w, int c, int k, int r, int s, int p, int q, int pad_top, int pad_left, "
                + "int stride_h, int stride_w, int dilation_h, int dilation_w, int x_act, int act, float slope, "
                + "int math_mode",
                CpuConv::fpropNarrow);
        def("conv2d_dgrad", "const float* dy, const float* y, const float* filt, const float* bias, float* dx, int n, "
                + "int h, int w, int c, int k, int r, int s, int p, int q, int pad_top, int pad_left, "
                + "int stride_h, int stride_w, int dilation_h, int dilation_w, int act, float slope, int out_act, "
                + "int accumulate, int math_mode",
                CpuConv::dgrad);
        def("conv2d_dgrad_narrow", "const float* dy, const float* y, const float* filt, const float* bias, float* dx, int n, "
                + "int h, int w, int c, int k, int r, int s, int p, int q, int pad_top, int pad_left, "
                + "int stride_h, int stride_w, int dilation_h, int dilation_w, int act, float slope, int out_act, "
                + "int accumulate, int math_mode",
                CpuConv::dgrad);
        def("conv2d_wgrad", "const float* dy, const float* y, const float* x, const float* x_act_y, float* dw, float* db, "
                + "float* ws, int n, int h, int w, int c, int k, int r, int s, int p, int q, int pad_top, "
                + "int pad_left, int stride_h, int stride_w, int dilation_h, int dilation_w, int act, int x_act, "
                + "float slope, int accumulate, int math_mode, int chunk",
                CpuConv::wgrad);
        def("conv2d_wgrad_reduce", "const float* ws, float* dw, float* db, int splits, int k, int rsc, int accumulate",
                CpuConv::wgradReduce);
        def("conv2d_channel_sums", "const float* dy, const float* y, float* db, float* ws, int rows, int cols, int act, "
                + "float slope, int accumulate, int chunk",
                CpuConv::channelSums);
        // kernels/batch_norm.cu (CpuBatchNorm)
        def("batch_norm_stats", "const float* x, float* partials, int rows, int channels",
                CpuBatchNorm::stats);
        def("batch_norm_finalize", "const float* partials, float* mean, float* invstd, float* running_mean, float* running_var, "
                + "int num_partials, int channels, float momentum, float eps",
                CpuBatchNorm::finalizeStats);
        def("batch_norm_forward_train", "const float* x, const float* mean, const float* invstd, const float* gamma, const float* beta, "
                + "float* y, int rows, int channels, int act, float slope",
                CpuBatchNorm::forwardTrain);
        def("batch_norm_forward_eval", "const float* x, const float* running_mean, const float* running_var, const float* gamma, "
                + "const float* beta, float* y, int rows, int channels, float eps, int act, float slope",
                CpuBatchNorm::forwardEval);
        def("batch_norm_backward_reduce", "const float* dy, const float* y, const float* x, const float* mean, const float* invstd, "
                + "float* partials, int rows, int channels, int act, float slope",
                CpuBatchNorm::backwardReduce);
        def("batch_norm_backward_finalize", "const float* partials, float* sums, float* dgamma, float* dbeta, int num_partials, "
                + "int channels, int accumulate",
                CpuBatchNorm::backwardFinalize);
        def("batch_norm_backward_data", "const float* dy, const float* y, const float* x, const float* mean, const float* invstd, "
                + "const float* gamma, const float* sums, float* dx, int rows, int channels, int act, float slope",
                CpuBatchNorm::backwardData);
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

    /** The kernel of that name, or null. */
    public static Kernel get(String name) {
        return KERNELS.get(name);
    }

    /** Every kernel, by name, in registration order. */
    public static Map<String, Kernel> all() {
        return Collections.unmodifiableMap(KERNELS);
    }

    /**
     * One launch: the arguments' raw bits, decoded on demand against the device's memory, and
     * what the bodies work with (the device's threads, scratch arrays and BLAS).
     */
    public static final class Call {
        final Kernel kernel;
        final long[] bits;
        final CpuMemory memory;
        final CpuParallel parallel;
        final CpuScratch scratch;
        final dev.ludovic.netlib.blas.BLAS blas;

        public Call(Kernel kernel, long[] bits, CpuContext context) {
            this.kernel = kernel;
            this.bits = bits;
            this.memory = context.memory();
            this.parallel = context.parallel();
            this.scratch = context.scratch();
            this.blas = context.gemm();
        }

        /** Runs the kernel's body on these arguments (the device runs one launch at a time); counts as a write of device memory. */
        public void run() {
            scratch.touch();
            kernel.body().run(this);
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
        public void checkPointers() {
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
    static void store(CpuMemory.Ref out, float v, boolean accumulate) {
        int[] w = out.words();
        int i = out.index();
        w[i] = bits(accumulate ? f(w, i) + v : v);
    }
}
