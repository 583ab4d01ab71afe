package jgan.device;

import java.util.ArrayList;
import java.util.List;

/**
 * Graph capture for the devices whose operations run to completion in the calling thread (the
 * host runtime and the cpu device): while capturing, each launch, device copy or fill is recorded
 * instead of run; the graph replays them in order, as a CUDA graph would. Host copies are refused
 * during capture (a CUDA graph cannot hold them either).
 */
final class CaptureRecorder {
    private final Device device;
    private List<Runnable> ops;

    CaptureRecorder(Device device) {
        this.device = device;
    }

    /** Runs {@code op} now, or records it while capturing. */
    void run(Runnable op) {
        if (ops != null) {
            ops.add(op);
        } else {
            op.run();
        }
    }

    void refuseDuringCapture(String what) {
        if (ops != null) {
            throw new IllegalStateException(what + " during graph capture on " + device.name()
                    + " (only launches, device copies and fills are recorded)");
        }
    }

    void begin() {
        device.checkOpen();
        if (ops != null) {
            throw new IllegalStateException("graph capture already started on " + device.name());
        }
        ops = new ArrayList<>();
    }

    Graph end() {
        if (ops == null) {
            throw new IllegalStateException("no graph capture in progress on " + device.name());
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
                device.checkOpen();
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

    boolean isCapturing() {
        return ops != null;
    }

    /** Drops a capture in progress (the device is closing). */
    void clear() {
        ops = null;
    }
}
