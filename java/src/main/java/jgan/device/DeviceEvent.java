package jgan.device;

/** A point in a device's stream, for timing work on the device itself. */
public interface DeviceEvent extends AutoCloseable {
    @Override
    void close();
}
