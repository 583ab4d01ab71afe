package jgan.device;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Keeps freed device blocks for reuse, so that a training loop that allocates the same shapes
 * every step asks the device for memory only in its first step. Blocks are rounded up to
 * {@code granularity} bytes and reused only for the same rounded size. When the device is out of
 * memory the cache is emptied and the request tried once more before it fails.
 *
 * <p>Not thread-safe beyond its own lock: a device is driven from one thread at a time.
 */
public final class CachingAllocator {
    /** How a device allocates and frees raw blocks. */
    public interface Backend {
        /** Returns the address, or 0 when the device is out of memory. */
        long allocate(long bytes);

        void free(long address);
    }

    private final Device device;
    private final Backend backend;
    private final long granularity;
    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    private long bytesInUse;
    private long peakBytesInUse;
    private long bytesReserved;
    private long deviceAllocations;
    private long cacheHits;

    /**
     * @param granularity block sizes are rounded up to a multiple of this; 1 keeps exact sizes
     *                    (the host runtime does, so that its guard pages sit right after each buffer)
     */
    public CachingAllocator(Device device, Backend backend, long granularity) {
        if (granularity < 1) {
            throw new IllegalArgumentException("granularity " + granularity);
        }
        this.device = device;
        this.backend = backend;
        this.granularity = granularity;
    }

    public synchronized DeviceBuffer allocate(long bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("cannot allocate " + bytes + " bytes on " + device.name() + ": size must be > 0");
        }
        long block = (bytes + granularity - 1) / granularity * granularity;
        ArrayDeque<Long> cached = free.get(block);
        long address;
        if (cached != null && !cached.isEmpty()) {
            address = cached.pop();
            cacheHits++;
        } else {
            address = backend.allocate(block);
            if (address == 0) {
                emptyCache();
                address = backend.allocate(block);
            }
            if (address == 0) {
                throw new DeviceOutOfMemoryException("out of memory on " + device.name() + ": could not allocate "
                        + String.format("%,d", bytes) + " bytes (" + stats() + ")");
            }
            deviceAllocations++;
            bytesReserved += block;
        }
        bytesInUse += bytes;
        peakBytesInUse = Math.max(peakBytesInUse, bytesInUse);
        return new DeviceBuffer(device, address, bytes, block);
    }

    synchronized void release(DeviceBuffer buffer) {
        bytesInUse -= buffer.bytes();
        free.computeIfAbsent(buffer.blockBytes(), k -> new ArrayDeque<>()).push(buffer.rawAddress());
    }

    /** Frees every cached block back to the device. Buffers in use are untouched. */
    public synchronized void emptyCache() {
        for (Map.Entry<Long, ArrayDeque<Long>> e : free.entrySet()) {
            for (long address : e.getValue()) {
                backend.free(address);
                bytesReserved -= e.getKey();
            }
        }
        free.clear();
    }

    public synchronized MemoryStats stats() {
        return new MemoryStats(bytesInUse, peakBytesInUse, bytesReserved, deviceAllocations, cacheHits);
    }
}
