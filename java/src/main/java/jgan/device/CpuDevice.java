package jgan.device;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

import jgan.cpu.CpuContext;
import jgan.cpu.CpuKernels;
import jgan.cpu.CpuMemory;

/**
 * The ops of kernels/*.cu written in Java for the CPU: fast where the host runtime is faithful,
 * for machines without a GPU. It takes the same launches as the other devices (kernel name,
 * launch configuration, arguments in the C++ signature's order), so the kernel faces of
 * {@code jgan.kernels} and the networks built on them run on it unchanged; the launch
 * configuration is accepted and ignored (no result of these kernels depends on it).
 *
 * <ul>
 *   <li>Memory ({@link CpuMemory}): each allocation is an {@code int[]} of 32-bit words; an
 *       address is {@code id << 32} plus a byte offset, so that {@link KernelArgs}' pointer
 *       arithmetic works; pointers decode back to (words, index) and are refused when they
 *       name no live allocation or are not word-aligned. Buffers are below 4 GiB.</li>
 *   <li>Kernels (package {@code jgan.cpu}: {@link CpuKernels}, the registry, and one file per op
 *       family): one Java body per entry point, the arguments checked against the kernel's C++
 *       parameter list; GEMMs through BLAS ({@link jgan.cpu.CpuBlas}: the bundled OpenBLAS,
 *       1 thread per call, under netlib's API; netlib's Java BLAS where it cannot load), the rest
 *       in Java loops. The check_* and broken_* kernels, which test CUDA semantics, are not
 *       here.</li>
 *   <li>Threads ({@link jgan.cpu.CpuParallel}): a fixed pool, {@code -Djgan.cpu.threads} or
 *       {@code $JGAN_CPU_THREADS} (default: the number of cores). Work is cut by the problem's
 *       shape alone (a GEMM into blocks, each one single-threaded BLAS call over the whole K),
 *       so results are the same bits whatever the thread count.</li>
 *   <li>Every operation is done when its call returns; {@link #synchronize()} has nothing to wait
 *       for. Graph capture records launches, device copies and fills and replays them in order
 *       ({@link SynchronousDevice}, shared with {@link HostDevice}).</li>
 * </ul>
 */
public final class CpuDevice extends SynchronousDevice {
    private final CpuContext context;
    private final CpuMemory memory;
    /** Attached by {@link #profile}: every launch, copy and fill is timed into it (null: none). */
    private volatile LaunchProfile profile;

    /** A cpu device with the default number of threads. */
    public CpuDevice() {
        this(defaultThreads());
    }

    public CpuDevice(int threads) {
        this.context = new CpuContext(threads);
        this.memory = context.memory();
    }

    /** {@code -Djgan.cpu.threads}, else {@code $JGAN_CPU_THREADS}, else the number of cores. */
    static int defaultThreads() {
        String s = System.getProperty("jgan.cpu.threads");
        if (s == null || s.isBlank()) {
            s = System.getenv("JGAN_CPU_THREADS");
        }
        if (s != null && !s.isBlank()) {
            try {
                int n = Integer.parseInt(s.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through to the error
            }
            throw new IllegalArgumentException("cpu: thread count '" + s + "' (jgan.cpu.threads / JGAN_CPU_THREADS) must be an integer >= 1");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public DeviceKind kind() {
        return DeviceKind.CPU;
    }

    @Override
    public String description() {
        return "CPU (" + threads() + (threads() == 1 ? " thread" : " threads") + ", BLAS: " + blasDescription() + ")";
    }

    /** The BLAS in use, e.g. "OpenBLAS 0.3.31 (bundled, 1 thread per call)", or the Java fallback and why. */
    public String blasDescription() {
        return context.blas().description();
    }

    /** Whether the GEMMs run on the bundled OpenBLAS (else netlib's Java BLAS, or netlib's choice). */
    public boolean bundledOpenBlas() {
        return context.blas().bundledOpenBlas();
    }

    public int threads() {
        return context.parallel().threads();
    }

    @Override
    public boolean hasKernel(String kernel) {
        return CpuKernels.get(kernel) != null;
    }

    @Override
    public Set<String> kernelNames() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(CpuKernels.all().keySet()));
    }

    /** The kind codes of a kernel's parameters ("ppif"), from its C++ parameter list. */
    public String kernelSignature(String kernel) {
        return requireKernel(kernel).kinds();
    }

    private CpuKernels.Kernel requireKernel(String kernel) {
        CpuKernels.Kernel k = CpuKernels.get(kernel);
        if (k == null) {
            throw new IllegalArgumentException("the cpu device has no kernel '" + kernel + "'"
                    + (kernel.startsWith("check_") || kernel.startsWith("broken_")
                    ? " (kernels that test CUDA semantics run on the host runtime and CUDA only)" : ""));
        }
        return k;
    }

    @Override
    public void launch(String kernel, LaunchConfig config, KernelArgs args) {
        checkOpen();
        CpuKernels.Kernel k = requireKernel(kernel);
        String kinds = args.kindCodes();
        if (!kinds.equals(k.kinds())) {
            throw new IllegalArgumentException("cpu: " + kernel + " takes " + k.kinds().length() + " arguments (" + k.kinds()
                    + ": " + k.signature() + "), got " + kinds.length() + " (" + kinds + ")");
        }
        long[] bits = args.bitsArray();
        call(k, bits).checkPointers(); // refused now, even while capturing
        run(() -> execute(k, bits));
    }

    private CpuKernels.Call call(CpuKernels.Kernel k, long[] bits) {
        return new CpuKernels.Call(k, bits, context);
    }

    /** One launch at a time: the scratch arrays are shared. */
    private synchronized void execute(CpuKernels.Kernel k, long[] bits) {
        LaunchProfile p = profile;
        if (p == null) {
            call(k, bits).run();
            return;
        }
        long g0 = context.gemmThreadNanos(), t0 = System.nanoTime();
        call(k, bits).run();
        long t = System.nanoTime() - t0;
        p.add(k.name(), ints(k, bits), t, context.gemmThreadNanos() - g0);
    }

    /** A launch's integer arguments, in signature order, comma-separated. */
    private static String ints(CpuKernels.Kernel k, long[] bits) {
        StringBuilder sb = new StringBuilder();
        String kinds = k.kinds();
        for (int i = 0; i < bits.length; i++) {
            if (kinds.charAt(i) == KernelArgs.Kind.I32.code) {
                if (sb.length() > 0) {
                    sb.append(',');
                }
                sb.append((int) bits[i]);
            }
        }
        return sb.toString();
    }

    /**
     * Attaches a profile (null detaches it): from now on every launch, device copy and fill,
     * including those a graph replays, is timed into it, and the BLAS's sgemm calls are timed
     * too (through a timing proxy of netlib's interface: a little slower per call). For
     * {@code jgan bench --profile}; nothing else changes (same results, same order).
     */
    public void profile(LaunchProfile p) {
        context.timeGemms(p != null);
        profile = p;
    }

    /** Times {@code op} into the attached profile, if any, as {@code name} with {@code words} 32-bit words. */
    private void timed(String name, long words, Runnable op) {
        LaunchProfile p = profile;
        if (p == null) {
            op.run();
            return;
        }
        long t0 = System.nanoTime();
        op.run();
        p.add(name, Long.toString(words), System.nanoTime() - t0, 0);
    }

    // ---------------------------------------------------------------- copies and fills

    @Override
    protected void checkRange(DeviceBuffer buffer, long byteOffset, long bytes, String what) {
        super.checkRange(buffer, byteOffset, bytes, what);
        if ((byteOffset & 3) != 0 || (bytes & 3) != 0) {
            throw new IllegalArgumentException(what + ": " + bytes + " bytes at offset " + byteOffset
                    + ": the cpu device moves whole 32-bit words (offsets and sizes must be multiples of 4)");
        }
    }

    /** Checks a copy between a Java array and a device buffer; returns where it starts in device memory. */
    private CpuMemory.Ref hostCopy(String what, int arrayLength, int arrayOffset, int count, DeviceBuffer buffer, long byteOffset) {
        checkOpen();
        refuseDuringCapture(what);
        checkArray(arrayLength, arrayOffset, count, what);
        checkRange(buffer, byteOffset, 4L * count, what);
        return memory.decode(buffer.address() + byteOffset, count, what);
    }

    @Override
    public void copyToDevice(float[] src, int srcOffset, DeviceBuffer dst, long dstByteOffset, int count) {
        CpuMemory.Ref to = hostCopy("copy from host to device", src.length, srcOffset, count, dst, dstByteOffset);
        context.memoryWritten();
        int[] w = to.words();
        for (int i = 0, o = to.index(); i < count; i++) {
            w[o + i] = Float.floatToRawIntBits(src[srcOffset + i]);
        }
    }

    @Override
    public void copyToHost(DeviceBuffer src, long srcByteOffset, float[] dst, int dstOffset, int count) {
        CpuMemory.Ref from = hostCopy("copy from device to host", dst.length, dstOffset, count, src, srcByteOffset);
        int[] w = from.words();
        for (int i = 0, o = from.index(); i < count; i++) {
            dst[dstOffset + i] = Float.intBitsToFloat(w[o + i]);
        }
    }

    @Override
    public void copyToDevice(int[] src, int srcOffset, DeviceBuffer dst, long dstByteOffset, int count) {
        CpuMemory.Ref to = hostCopy("copy from host to device", src.length, srcOffset, count, dst, dstByteOffset);
        context.memoryWritten();
        System.arraycopy(src, srcOffset, to.words(), to.index(), count);
    }

    @Override
    public void copyToHost(DeviceBuffer src, long srcByteOffset, int[] dst, int dstOffset, int count) {
        CpuMemory.Ref from = hostCopy("copy from device to host", dst.length, dstOffset, count, src, srcByteOffset);
        System.arraycopy(from.words(), from.index(), dst, dstOffset, count);
    }

    @Override
    public void copy(DeviceBuffer src, long srcByteOffset, DeviceBuffer dst, long dstByteOffset, long bytes) {
        checkOpen();
        checkRange(src, srcByteOffset, bytes, "device copy source");
        checkRange(dst, dstByteOffset, bytes, "device copy destination");
        long from = src.address() + srcByteOffset, to = dst.address() + dstByteOffset;
        int words = (int) (bytes / 4);
        memory.decode(from, words, "device copy source");
        memory.decode(to, words, "device copy destination");
        run(() -> timed("device_copy", words, () -> {
            context.memoryWritten();
            CpuMemory.Ref s = memory.decode(from, words, "device copy source");
            CpuMemory.Ref d = memory.decode(to, words, "device copy destination");
            System.arraycopy(s.words(), s.index(), d.words(), d.index(), words);
        }));
    }

    @Override
    public void fill32(DeviceBuffer dst, long byteOffset, long count, int bits) {
        checkOpen();
        checkRange(dst, byteOffset, 4 * count, "fill");
        long to = dst.address() + byteOffset;
        memory.decode(to, count, "fill");
        run(() -> timed("fill32", count, () -> {
            context.memoryWritten();
            CpuMemory.Ref d = memory.decode(to, count, "fill");
            Arrays.fill(d.words(), d.index(), d.index() + (int) count, bits);
        }));
    }


    // ---------------------------------------------------------------- graphs and events






    // ---------------------------------------------------------------- raw memory

    @Override
    protected long rawAllocate(long bytes) {
        context.memoryWritten();
        return memory.allocate(bytes);
    }

    @Override
    protected void rawFree(long address) {
        context.memoryWritten();
        memory.free(address);
    }

    @Override
    protected long allocationGranularity() {
        return 4; // whole words
    }

    /** Raw allocations currently held (in use or cached by the allocator). */
    int liveAllocations() {
        return memory.liveAllocations();
    }

    @Override
    protected void closeDevice() {
        clearCapture();
        context.close();
    }
}
