package jgan.tensor;

import jgan.device.Device;
import jgan.device.DeviceBuffer;

/**
 * A float32 tensor on a device: a shape and the device memory it owns. Close it to give the
 * memory back to the device's caching allocator.
 */
public final class Tensor implements AutoCloseable {
    private final Device device;
    private final Shape shape;
    private final DeviceBuffer buffer;

    private Tensor(Device device, Shape shape) {
        if (shape.numel() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor " + shape + " has more than 2^31-1 elements");
        }
        this.device = device;
        this.shape = shape;
        this.buffer = device.allocate(4 * shape.numel());
    }

    /** A tensor with undefined contents. */
    public static Tensor empty(Device device, Shape shape) {
        return new Tensor(device, shape);
    }

    public static Tensor zeros(Device device, Shape shape) {
        Tensor t = new Tensor(device, shape);
        t.fill(0f);
        return t;
    }

    /** A tensor holding a copy of {@code values} (row-major, {@code shape.numel()} of them). */
    public static Tensor of(Device device, Shape shape, float[] values) {
        if (values.length != shape.numel()) {
            throw new IllegalArgumentException("shape " + shape + " has " + shape.numel() + " elements, " + values.length + " given");
        }
        Tensor t = new Tensor(device, shape);
        t.copyFrom(values);
        return t;
    }

    public Device device() {
        return device;
    }

    public Shape shape() {
        return shape;
    }

    public int numel() {
        return (int) shape.numel();
    }

    public DeviceBuffer buffer() {
        return buffer;
    }

    public void copyFrom(float[] values) {
        if (values.length != numel()) {
            throw new IllegalArgumentException("tensor " + shape + " has " + numel() + " elements, " + values.length + " given");
        }
        device.copyToDevice(values, 0, buffer, 0, values.length);
    }

    /** A copy of the contents (waits for the device). */
    public float[] toArray() {
        float[] out = new float[numel()];
        device.copyToHost(buffer, 0, out, 0, out.length);
        return out;
    }

    public void fill(float value) {
        device.fill32(buffer, 0, numel(), Float.floatToRawIntBits(value));
    }

    @Override
    public void close() {
        buffer.close();
    }

    @Override
    public String toString() {
        return "Tensor" + shape + " on " + device.name();
    }
}
