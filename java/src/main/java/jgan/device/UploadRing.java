package jgan.device;

import java.nio.FloatBuffer;

/**
 * Host memory from which batches go to the device without the host waiting for the device: a
 * ring of {@link #slots()} host buffers of {@link #floats()} floats each. The host fills the slot
 * {@link #next()} hands out, then {@link #upload} queues its copy into a device buffer on the
 * device's stream, after the work queued before it (so a step that still reads the destination
 * finishes first) and before the work queued after it (the step that reads the new batch).
 *
 * <p>On a GPU ({@link CudaDevice}) the slots are pinned (page-locked) host memory and the copy is
 * an asynchronous {@code cuMemcpyHtoDAsync} followed by an event: {@code next()} waits only for the
 * copy that last used the slot it returns, i.e. with {@code slots} slots the host may run
 * {@code slots - 1} uploads (and the steps between them) ahead of the device and never waits for
 * the step it has just launched. On the cpu and host devices, which run each launch before
 * returning, the slots are Java arrays and the copy is a plain synchronous copy.
 *
 * <p>Uploads are never part of a captured graph: the graph reads the fixed device buffer, and the
 * copy into it is queued before each replay. Not thread-safe: one producer thread.
 */
public interface UploadRing extends AutoCloseable {
    /** Floats per slot. */
    int floats();

    /** Slots in the ring. */
    int slots();

    /**
     * The next slot to fill, positioned at 0 with limit {@link #floats()}; waits until that slot's
     * previous upload has been done by the device (on a GPU; never on the cpu and host devices).
     */
    FloatBuffer next();

    /**
     * Queues the copy of the slot {@link #next()} returned last (all its {@link #floats()} floats)
     * into {@code dst} at {@code dstByteOffset}, on the device's stream.
     *
     * @throws IllegalStateException    without a slot from {@link #next()}, twice for one slot, or during graph capture
     * @throws IllegalArgumentException when {@code dst} is another device's or has no room for the slot
     */
    void upload(DeviceBuffer dst, long dstByteOffset);

    /** Waits for the uploads in flight and frees the slots. */
    @Override
    void close();

    /**
     * The ring of the devices that run each operation before returning (cpu, host runtime): Java
     * arrays copied with {@link Device#copyToDevice(float[], int, DeviceBuffer, long, int)}.
     */
    final class Synchronous implements UploadRing {
        private final Device device;
        private final float[][] slots;
        private int current = -1;
        private int filled = -1;

        public Synchronous(Device device, int floats, int slots) {
            check(floats, slots);
            this.device = device;
            this.slots = new float[slots][floats];
        }

        static void check(int floats, int slots) {
            if (floats < 1 || slots < 1) {
                throw new IllegalArgumentException("an upload ring needs >= 1 float per slot and >= 1 slot, got " + floats + " and " + slots);
            }
        }

        @Override
        public int floats() {
            return slots[0].length;
        }

        @Override
        public int slots() {
            return slots.length;
        }

        @Override
        public FloatBuffer next() {
            current = (current + 1) % slots.length;
            filled = current;
            return FloatBuffer.wrap(slots[current]);
        }

        @Override
        public void upload(DeviceBuffer dst, long dstByteOffset) {
            if (filled < 0) {
                throw new IllegalStateException("upload without a slot: call next() and fill it first");
            }
            if (device.isCapturing()) {
                throw new IllegalStateException("an upload is never captured into a graph: queue it before the replay");
            }
            device.copyToDevice(slots[filled], 0, dst, dstByteOffset, slots[filled].length);
            filled = -1;
        }

        @Override
        public void close() {
            // Java arrays: nothing to free
        }
    }
}
