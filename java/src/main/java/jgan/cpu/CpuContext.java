package jgan.cpu;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.LongAdder;

import dev.ludovic.netlib.blas.BLAS;

/**
 * What the cpu device's kernels run with: its memory (int words), its threads, its scratch
 * arrays and the BLAS. {@code jgan.device.CpuDevice} holds one and hands it to every launch.
 */
public final class CpuContext implements AutoCloseable {
    private final CpuMemory memory = new CpuMemory();
    private final CpuParallel parallel;
    private final CpuScratch scratch = new CpuScratch();
    private final CpuBlas blas;
    /** Nanoseconds inside sgemm, summed over threads, while GEMMs are timed. */
    private final LongAdder gemmNanos = new LongAdder();
    /** The BLAS the kernels call: the plain one, or a timing proxy of it ({@link #timeGemms}). */
    private volatile BLAS gemm;

    public CpuContext(int threads) {
        this.parallel = new CpuParallel(threads);
        this.blas = CpuBlas.get();
        this.gemm = blas.blas();
    }

    /** The BLAS the kernels call (the plain one unless GEMMs are being timed). */
    public BLAS gemm() {
        return gemm;
    }

    /**
     * Times every sgemm call from now on (true) or stops (false): the kernels then call a proxy
     * of the BLAS that adds the nanoseconds of each sgemm, on whichever thread, to
     * {@link #gemmThreadNanos()}. For profiling; results are unchanged (the same calls).
     */
    public void timeGemms(boolean on) {
        BLAS base = blas.blas();
        if (!on) {
            gemm = base;
            return;
        }
        gemm = (BLAS) Proxy.newProxyInstance(BLAS.class.getClassLoader(), new Class<?>[] {BLAS.class}, (proxy, m, a) -> {
            boolean timed = m.getName().equals("sgemm");
            long t0 = timed ? System.nanoTime() : 0;
            try {
                return m.invoke(base, a);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                if (timed) {
                    gemmNanos.add(System.nanoTime() - t0);
                }
            }
        });
    }

    /** Nanoseconds spent in sgemm while timed ({@link #timeGemms}), summed over threads. */
    public long gemmThreadNanos() {
        return gemmNanos.sum();
    }

    /**
     * To be called before every operation other than a kernel launch that may write device memory
     * (a copy to the device or within it, a fill, an allocation or free; {@link CpuKernels.Call#run}
     * counts launches itself): a kernel may leave what it computed from device memory for the very
     * next launch, which uses it only when nothing else has run in between. Code that writes the
     * words of {@link #memory()} directly must call it too.
     */
    public void memoryWritten() {
        scratch.touch();
    }

    public CpuMemory memory() {
        return memory;
    }

    public CpuParallel parallel() {
        return parallel;
    }

    CpuScratch scratch() {
        return scratch;
    }

    public CpuBlas blas() {
        return blas;
    }

    @Override
    public void close() {
        parallel.close();
        memory.clear();
    }
}
