package jgan.device;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Where kernels run: a GPU ({@link CudaDevice}) or the host runtime ({@link HostDevice}).
 * Both take the same launches ({@link #launch}) with the same arguments, so every kernel's one
 * Java face serves both. Work is ordered on one stream per device; copies to the host wait for
 * it. A device owns its memory: close it when done (its buffers become invalid).
 */
public abstract class Device implements AutoCloseable {
    private final Map<String, DeviceBuffer> workspaces = new HashMap<>();
    private CachingAllocator allocator;
    private boolean closed;

    /** Short name, e.g. {@code host} or {@code cuda:0}. */
    public abstract String name();

    public abstract DeviceKind kind();

    /** One line for people: the hardware or the host runtime's configuration. */
    public abstract String description();

    /** Whether this device can launch the named kernel. */
    public abstract boolean hasKernel(String kernel);

    /** Every kernel this device can launch. */
    public abstract Set<String> kernelNames();

    /**
     * Launches {@code kernel} on this device's stream. The arguments are the kernel's C++
     * parameters in order; the host runtime checks their count and kinds against the signature.
     * Inside {@link #beginCapture()} ... {@link #endCapture()} the launch is recorded, not run.
     */
    public abstract void launch(String kernel, LaunchConfig config, KernelArgs args);

    public abstract void copyToDevice(float[] src, int srcOffset, DeviceBuffer dst, long dstByteOffset, int count);

    public abstract void copyToHost(DeviceBuffer src, long srcByteOffset, float[] dst, int dstOffset, int count);

    public abstract void copyToDevice(int[] src, int srcOffset, DeviceBuffer dst, long dstByteOffset, int count);

    public abstract void copyToHost(DeviceBuffer src, long srcByteOffset, int[] dst, int dstOffset, int count);

    /**
     * A ring of {@code slots} host buffers of {@code floats} floats for uploads that do not make
     * the host wait for the device (see {@link UploadRing}): pinned memory and asynchronous copies
     * on a GPU; Java arrays and plain copies here, for the devices that finish each operation before
     * returning. Close it before the device.
     */
    public UploadRing uploadRing(int floats, int slots) {
        checkOpen();
        return new UploadRing.Synchronous(this, floats, slots);
    }

    /** Device-to-device copy on the stream (may be captured into a graph). */
    public abstract void copy(DeviceBuffer src, long srcByteOffset, DeviceBuffer dst, long dstByteOffset, long bytes);

    /** Sets {@code count} 32-bit words starting {@code byteOffset} into {@code dst} to {@code bits} (may be captured). */
    public abstract void fill32(DeviceBuffer dst, long byteOffset, long count, int bits);

    /** Waits until all work queued on this device's stream is done, and reports a failure in it. */
    public abstract void synchronize();

    /** Starts recording the launches, copies and fills queued from now on into a graph. */
    public abstract void beginCapture();

    /** Stops recording and returns the graph, ready to replay. */
    public abstract Graph endCapture();

    public abstract boolean isCapturing();

    /** Records an event on the stream. */
    public abstract DeviceEvent recordEvent();

    /** Milliseconds of device time between two recorded events (waits for {@code end}). */
    public abstract float elapsedMillis(DeviceEvent start, DeviceEvent end);

    /** Raw allocation for the caching allocator: an address, or 0 when out of memory. */
    protected abstract long rawAllocate(long bytes);

    protected abstract void rawFree(long address);

    /** Releases the device itself (context, library handles) after every buffer is freed. */
    protected abstract void closeDevice();

    /** Block sizes of the caching allocator are rounded up to this. */
    protected abstract long allocationGranularity();

    /** The caching allocator through which every buffer of this device is allocated. */
    public final synchronized CachingAllocator allocator() {
        if (allocator == null) {
            allocator = new CachingAllocator(this, new CachingAllocator.Backend() {
                @Override
                public long allocate(long bytes) {
                    return rawAllocate(bytes);
                }

                @Override
                public void free(long address) {
                    rawFree(address);
                }
            }, allocationGranularity());
        }
        return allocator;
    }

    /** Allocates {@code bytes} of device memory (contents undefined). */
    public final DeviceBuffer allocate(long bytes) {
        checkOpen();
        return allocator().allocate(bytes);
    }

    public final MemoryStats memoryStats() {
        return allocator().stats();
    }

    /**
     * A buffer that lives as long as the device, zeroed when first made: scratch space that a
     * kernel family keeps between launches (partial sums, a completion counter). Kernels that use
     * one leave it as they found it (zeroed counters), so that a captured graph can replay them.
     * Asking again with the same key and a larger size is refused: size it for the worst case.
     */
    public final synchronized DeviceBuffer workspace(String key, long bytes) {
        checkOpen();
        DeviceBuffer ws = workspaces.get(key);
        if (ws == null) {
            if (isCapturing()) {
                throw new IllegalStateException("workspace '" + key + "' must be created before graph capture starts on " + name());
            }
            ws = allocate(bytes);
            fill32(ws, 0, bytes / 4, 0);
            workspaces.put(key, ws);
        } else if (ws.bytes() < bytes) {
            throw new IllegalArgumentException("workspace '" + key + "' has " + ws.bytes() + " bytes, " + bytes + " asked for");
        }
        return ws;
    }

    protected final void checkOpen() {
        if (closed) {
            throw new IllegalStateException("device " + name() + " is closed");
        }
    }

    public final boolean isClosed() {
        return closed;
    }

    @Override
    public final synchronized void close() {
        if (closed) {
            return;
        }
        try {
            synchronize();
        } finally {
            for (DeviceBuffer ws : workspaces.values()) {
                ws.close();
            }
            workspaces.clear();
            allocator().emptyCache();
            closed = true;
            closeDevice();
        }
    }

    @Override
    public String toString() {
        return name();
    }
}
