package jgan.device;

/**
 * A block of device memory from a device's caching allocator. Closing it returns it to the
 * allocator (it is not freed until the device empties its cache or closes). Closing twice is
 * harmless; using a closed buffer is refused.
 */
public final class DeviceBuffer implements DeviceMemory, AutoCloseable {
    private final Device device;
    private final long address;
    private final long bytes;
    private final long blockBytes;
    private boolean closed;

    DeviceBuffer(Device device, long address, long bytes, long blockBytes) {
        this.device = device;
        this.address = address;
        this.bytes = bytes;
        this.blockBytes = blockBytes;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public DeviceBuffer buffer() {
        return this;
    }

    @Override
    public long byteOffset() {
        return 0;
    }

    @Override
    public long byteLength() {
        return bytes;
    }

    /** The device address (a CUdeviceptr on CUDA, a host address on the host runtime). */
    public long address() {
        if (closed) {
            throw new IllegalStateException("device buffer of " + bytes + " bytes on " + device.name() + " was already closed");
        }
        return address;
    }

    /** Bytes requested. */
    public long bytes() {
        return bytes;
    }

    /** Bytes of the allocator block that holds it (at least {@link #bytes()}). */
    long blockBytes() {
        return blockBytes;
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            device.allocator().release(this);
        }
    }

    long rawAddress() {
        return address;
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + device.name() + ", 0x" + Long.toHexString(address) + ", " + bytes + " bytes" + (closed ? ", closed" : "") + "]";
    }
}
