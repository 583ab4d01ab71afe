package jgan.device;

import java.util.ArrayList;
import java.util.List;

/**
 * A device whose operations run to completion in the calling thread (the host runtime, the cpu
 * device): {@link #synchronize()} has nothing to wait for, events are wall-clock times, and graph
 * capture records each launch, device copy or fill instead of running it; the graph replays them
 * in order, as a CUDA graph would. Host copies are refused during capture (a CUDA graph cannot
 * hold them either).
 */
abstract class SynchronousDevice extends Device {
    private List<Runnable> ops;

    /** The range lies inside a buffer of this device. */
    protected void checkRange(DeviceBuffer buffer, long byteOffset, long bytes, String what) {
        if (buffer.device() != this) {
            throw new IllegalArgumentException(what + ": the buffer belongs to " + buffer.device().name() + ", not to this "
                    + name() + " device");
        }
        if (byteOffset < 0 || bytes < 0 || byteOffset > buffer.bytes() - bytes) {
            throw new IllegalArgumentException(what + ": " + bytes + " bytes at offset " + byteOffset + " do not fit a buffer of "
                    + buffer.bytes() + " bytes");
        }
    }

    /** {@code count} elements from {@code offset} lie inside an array of {@code length}. */
    protected static void checkArray(int length, int offset, int count, String what) {
        if (offset < 0 || count < 0 || offset > length - count) {
            throw new IllegalArgumentException(what + ": " + count + " elements at offset " + offset + " do not fit an array of "
                    + length);
        }
    }

    /** Runs {@code op} now, or records it while capturing. */
    protected final void run(Runnable op) {
        if (ops != null) {
            ops.add(op);
        } else {
            op.run();
        }
    }

    protected final void refuseDuringCapture(String what) {
        if (ops != null) {
            throw new IllegalStateException(what + " during graph capture on " + name()
                    + " (only launches, device copies and fills are recorded)");
        }
    }

    @Override
    public final void synchronize() {
        // Every operation has completed when its call returns.
    }

    @Override
    public final void beginCapture() {
        checkOpen();
        if (ops != null) {
            throw new IllegalStateException("graph capture already started on " + name());
        }
        ops = new ArrayList<>();
    }

    @Override
    public final Graph endCapture() {
        if (ops == null) {
            throw new IllegalStateException("no graph capture in progress on " + name());
        }
        List<Runnable> recorded = List.copyOf(ops);
        ops = null;
        return new Graph() {
            private boolean closed;

            @Override
            public void replay() {
                if (closed) {
                    throw new IllegalStateException("graph was closed");
                }
                checkOpen();
                for (Runnable op : recorded) {
                    op.run();
                }
            }

            @Override
            public int size() {
                return recorded.size();
            }

            @Override
            public void close() {
                closed = true;
            }
        };
    }

    @Override
    public final boolean isCapturing() {
        return ops != null;
    }

    /** Drops a capture in progress (for closeDevice). */
    protected final void clearCapture() {
        ops = null;
    }

    @Override
    public final DeviceEvent recordEvent() {
        return new WallClockEvent();
    }

    @Override
    public final float elapsedMillis(DeviceEvent start, DeviceEvent end) {
        if (!(start instanceof WallClockEvent s) || !(end instanceof WallClockEvent e)) {
            throw new IllegalArgumentException("events not recorded on " + name());
        }
        return (e.nanos - s.nanos) / 1e6f;
    }

    /** The time it was recorded. */
    private static final class WallClockEvent implements DeviceEvent {
        final long nanos = System.nanoTime();

        @Override
        public void close() {
        }
    }
}
