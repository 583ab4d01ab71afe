package jgan.device;

/**
 * A caching allocator's counters.
 *
 * @param bytesInUse   bytes of buffers handed out and not yet closed (as requested)
 * @param peakBytesInUse the most {@code bytesInUse} has been
 * @param bytesReserved bytes held from the device (in use plus cached), in allocator blocks
 * @param deviceAllocations how many times the allocator asked the device for memory
 * @param cacheHits     requests served from the cache
 */
public record MemoryStats(long bytesInUse, long peakBytesInUse, long bytesReserved, long deviceAllocations, long cacheHits) {
    @Override
    public String toString() {
        return String.format("in use %,d B (peak %,d B), reserved %,d B, %d device allocations, %d cache hits",
                bytesInUse, peakBytesInUse, bytesReserved, deviceAllocations, cacheHits);
    }
}
