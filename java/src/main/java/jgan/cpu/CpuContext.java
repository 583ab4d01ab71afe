package jgan.cpu;

/**
 * What the cpu device's kernels run with: its memory (int words), its threads, its scratch
 * arrays and the BLAS. {@code jgan.device.CpuDevice} holds one and hands it to every launch.
 */
public final class CpuContext implements AutoCloseable {
    private final CpuMemory memory = new CpuMemory();
    private final CpuParallel parallel;
    private final CpuScratch scratch = new CpuScratch();
    private final CpuBlas blas;

    public CpuContext(int threads) {
        this.parallel = new CpuParallel(threads);
        this.blas = CpuBlas.get();
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
