package jgan.gan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import jgan.data.BatchLoader;
import jgan.data.ImageDataset;
import org.junit.jupiter.api.Test;

/**
 * The real batches of an image run: batch i is BatchLoader's batch i whatever the order asked,
 * into a Java array (cpu, host) or a direct buffer (the pinned memory of a GPU), at the buffer's position.
 */
class LoaderBatchesTest {
    static ImageDataset data() {
        byte[] px = new byte[23 * 6 * 6 * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 31 + 7);
        }
        return ImageDataset.of("synthetic", px, 23, 6, 6, 3, null);
    }

    @Test
    void batchesFollowTheIndexIntoArraysAndDirectBuffers() {
        ImageDataset d = data();
        int floats = 4 * 6 * 6 * 3;
        try (LoaderBatches b = new LoaderBatches(d, 4, 9); BatchLoader ref = new BatchLoader(d, 4, 9)) {
            assertEquals(floats, b.floatsPerBatch());
            assertEquals(5, b.batchesPerEpoch());
            long[] order = {0, 1, 2, 7, 8, 3, 3}; // in order, a jump ahead (a resume), back, the same again
            FloatBuffer heap = FloatBuffer.allocate(2 * floats);
            FloatBuffer direct = ByteBuffer.allocateDirect(8 * floats).order(ByteOrder.nativeOrder()).asFloatBuffer();
            for (long i : order) {
                float[] expected = new float[floats];
                ref.batch(i, expected, 0);
                heap.clear();
                heap.position(floats); // the second batch of an n_critic = 2 slot
                b.fill(i, heap);
                assertEquals(2 * floats, heap.position());
                float[] got = new float[floats];
                heap.position(floats);
                heap.get(got);
                assertArrayEquals(expected, got, "batch " + i + " into an array");
                direct.clear();
                b.fill(i, direct);
                assertEquals(floats, direct.position());
                direct.flip();
                direct.get(got);
                assertArrayEquals(expected, got, "batch " + i + " into a direct buffer");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new LoaderBatches(ImageDataset.of("wide", new byte[2 * 4 * 6], 2, 4, 6, 1, null), 1, 1));
    }

    /** RUN/real.png's batch: peek(i) is what fill(i) gives, and it does not move the loader (training reads the same batches). */
    @Test
    void peekGivesTheBatchWithoutMovingTheLoader() {
        ImageDataset d = data();
        int floats = 4 * 6 * 6 * 3;
        try (LoaderBatches b = new LoaderBatches(d, 4, 9); LoaderBatches ref = new LoaderBatches(d, 4, 9)) {
            float[] peeked = b.peek(0);
            assertEquals(floats, peeked.length);
            FloatBuffer first = FloatBuffer.allocate(floats), again = FloatBuffer.allocate(floats);
            ref.fill(0, first);
            assertArrayEquals(first.array(), peeked, "peek(0) is batch 0");
            assertArrayEquals(peeked, b.peek(0), "the same again");
            for (long i = 0; i < 7; i++) { // after the peeks, the batches follow as in a loader never peeked at
                b.fill(i, again.clear());
                ref.fill(i, first.clear());
                assertArrayEquals(first.array(), again.array(), "batch " + i);
            }
            assertThrows(IllegalArgumentException.class, () -> b.peek(-1));
        }
    }
}
