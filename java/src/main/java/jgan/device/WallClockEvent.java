package jgan.device;

/**
 * An event of a device whose work is done when each call returns (host runtime, cpu): the time
 * it was recorded, so the time between two events is wall-clock time.
 */
final class WallClockEvent implements DeviceEvent {
    final long nanos = System.nanoTime();

    /** Milliseconds from {@code start} to {@code end}; both must be wall-clock events. */
    static float elapsedMillis(Device device, DeviceEvent start, DeviceEvent end) {
        if (!(start instanceof WallClockEvent s) || !(end instanceof WallClockEvent e)) {
            throw new IllegalArgumentException("events not recorded on " + device.name());
        }
        return (e.nanos - s.nanos) / 1e6f;
    }

    @Override
    public void close() {
    }
}
