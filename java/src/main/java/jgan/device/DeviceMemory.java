package jgan.device;

/**
 * A range of device memory: a buffer, a byte offset into it and a length. Kernel arguments take
 * it ({@link KernelArgs#ptr(DeviceMemory)}), so a view into a larger buffer (a layer's weights
 * inside a network's flat parameter buffer) is passed exactly like a whole buffer.
 */
public interface DeviceMemory {
    DeviceBuffer buffer();

    /** Where this range starts within {@link #buffer()}. */
    long byteOffset();

    long byteLength();

    default Device device() {
        return buffer().device();
    }

    /** The {@code bytes} bytes starting {@code byteOffset} into this range. */
    default DeviceMemory slice(long byteOffset, long bytes) {
        if (byteOffset < 0 || bytes < 0 || byteOffset + bytes > byteLength()) {
            throw new IllegalArgumentException("slice of " + bytes + " bytes at " + byteOffset + " does not fit a range of "
                    + byteLength() + " bytes");
        }
        DeviceBuffer b = buffer();
        long start = byteOffset() + byteOffset;
        return new DeviceMemory() {
            @Override
            public DeviceBuffer buffer() {
                return b;
            }

            @Override
            public long byteOffset() {
                return start;
            }

            @Override
            public long byteLength() {
                return bytes;
            }
        };
    }
}
