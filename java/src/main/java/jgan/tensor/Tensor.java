package jgan.tensor;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.DeviceMemory;

/**
 * A float32 tensor on a device: a shape over a range of device memory. A tensor made by
 * {@link #empty}, {@link #zeros} or {@link #of} owns its memory and gives it back to the device's
 * caching allocator when closed; a {@link #view} shares its parent's memory (a layer's weights
 * inside a network's flat parameter buffer) and closing it does nothing.
 */
public final class Tensor implements DeviceMemory, AutoCloseable {
    private final Device device;
    private final Shape shape;
    private final DeviceBuffer buffer;
    private final long byteOffset;
    private final boolean owner;

    private Tensor(Device device, Shape shape, DeviceBuffer buffer, long byteOffset, boolean owner) {
        this.device = device;
        this.shape = shape;
        this.buffer = buffer;
        this.byteOffset = byteOffset;
        this.owner = owner;
    }

    private static Tensor allocate(Device device, Shape shape) {
        if (shape.numel() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor " + shape + " has more than 2^31-1 elements");
        }
        return new Tensor(device, shape, device.allocate(4 * shape.numel()), 0, true);
    }

    /** A tensor with undefined contents. */
    public static Tensor empty(Device device, Shape shape) {
        return allocate(device, shape);
    }

    public static Tensor zeros(Device device, Shape shape) {
        Tensor t = allocate(device, shape);
        t.fill(0f);
        return t;
    }

    /** A tensor holding a copy of {@code values} (row-major, {@code shape.numel()} of them). */
    public static Tensor of(Device device, Shape shape, float[] values) {
        if (values.length != shape.numel()) {
            throw new IllegalArgumentException("shape " + shape + " has " + shape.numel() + " elements, " + values.length + " given");
        }
        Tensor t = allocate(device, shape);
        t.copyFrom(values);
        return t;
    }

    /**
     * A view of {@code shape.numel()} elements starting {@code elementOffset} elements into this
     * tensor. It shares this tensor's memory and is valid as long as this tensor is open.
     */
    public Tensor view(long elementOffset, Shape shape) {
        if (elementOffset < 0 || elementOffset + shape.numel() > numel()) {
            throw new IllegalArgumentException("view of " + shape + " at element " + elementOffset + " does not fit tensor "
                    + this.shape + " (" + numel() + " elements)");
        }
        return new Tensor(device, shape, buffer, byteOffset + 4 * elementOffset, false);
    }

    /** The same elements under another shape of the same size. */
    public Tensor reshape(Shape shape) {
        if (shape.numel() != numel()) {
            throw new IllegalArgumentException("cannot reshape " + this.shape + " (" + numel() + " elements) to " + shape);
        }
        return new Tensor(device, shape, buffer, byteOffset, false);
    }

    @Override
    public Device device() {
        return device;
    }

    public Shape shape() {
        return shape;
    }

    public int numel() {
        return (int) shape.numel();
    }

    @Override
    public DeviceBuffer buffer() {
        return buffer;
    }

    @Override
    public long byteOffset() {
        return byteOffset;
    }

    @Override
    public long byteLength() {
        return 4L * numel();
    }

    public boolean isView() {
        return !owner;
    }

    public void copyFrom(float[] values) {
        if (values.length != numel()) {
            throw new IllegalArgumentException("tensor " + shape + " has " + numel() + " elements, " + values.length + " given");
        }
        device.copyToDevice(values, 0, buffer, byteOffset, values.length);
    }

    /** A copy of the contents (waits for the device). */
    public float[] toArray() {
        float[] out = new float[numel()];
        device.copyToHost(buffer, byteOffset, out, 0, out.length);
        return out;
    }

    public void fill(float value) {
        device.fill32(buffer, byteOffset, numel(), Float.floatToRawIntBits(value));
    }

    /** Copies {@code src}'s elements into this tensor on the device (same number of elements). */
    public void copyFrom(Tensor src) {
        if (src.numel() != numel() || src.device != device) {
            throw new IllegalArgumentException("cannot copy " + src + " into " + this);
        }
        device.copy(src.buffer, src.byteOffset, buffer, byteOffset, byteLength());
    }

    @Override
    public void close() {
        if (owner) {
            buffer.close();
        }
    }

    @Override
    public String toString() {
        return "Tensor" + shape + " on " + device.name() + (owner ? "" : " (view)");
    }
}
