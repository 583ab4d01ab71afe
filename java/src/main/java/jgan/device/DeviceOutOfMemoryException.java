package jgan.device;

/** The device could not provide the memory asked for, even after the allocator emptied its cache. */
public final class DeviceOutOfMemoryException extends RuntimeException {
    public DeviceOutOfMemoryException(String message) {
        super(message);
    }
}
