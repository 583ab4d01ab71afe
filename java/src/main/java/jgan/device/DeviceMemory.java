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
}
