package jgan.device;

/**
 * Grid, block and dynamic shared memory of one kernel launch: the same value on every device.
 * The limits are CUDA's (1024 threads a block, grid y and z below 65536); the host runtime
 * enforces the same ones so that a launch that works there also launches on a GPU.
 */
public record LaunchConfig(Dim3 grid, Dim3 block, int sharedBytes) {
    /** Shared memory a block may opt into on sm_90 (227 KiB); 48 KiB without opting in. */
    public static final int MAX_SHARED_BYTES = 232_448;
    public static final int MAX_THREADS_PER_BLOCK = 1024;

    public LaunchConfig {
        if (block.volume() > MAX_THREADS_PER_BLOCK) {
            throw new IllegalArgumentException("block " + block + " has " + block.volume()
                    + " threads; CUDA allows at most " + MAX_THREADS_PER_BLOCK);
        }
        if (block.z() > 64) {
            throw new IllegalArgumentException("block " + block + ": z may be at most 64");
        }
        if (grid.y() > 65535 || grid.z() > 65535) {
            throw new IllegalArgumentException("grid " + grid + ": y and z may be at most 65535");
        }
        if (sharedBytes < 0 || sharedBytes > MAX_SHARED_BYTES) {
            throw new IllegalArgumentException("dynamic shared memory " + sharedBytes + " bytes is outside [0, "
                    + MAX_SHARED_BYTES + "]");
        }
    }

    /** A 1-D launch: enough blocks of {@code threads} to cover {@code n} items, at most {@code maxBlocks}. */
    public static LaunchConfig cover(long n, int threads, int maxBlocks) {
        long blocks = Math.max(1, Math.min((n + threads - 1) / threads, maxBlocks));
        return new LaunchConfig(Dim3.of((int) blocks), Dim3.of(threads), 0);
    }
}
