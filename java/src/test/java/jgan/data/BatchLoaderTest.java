package jgan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Batches: a function of the batch index alone (whatever the thread does), each image once per epoch, [-1, 1]. */
@Timeout(60) // a loader that lost a batch would wait forever: fail instead
class BatchLoaderTest {
    static final int N = 103;
    static final int H = 2;
    static final int W = 3;
    static final int C = 3;

    /** Image i: first value i (identifies it), then values covering 0..255 with 0 and 255 present. */
    static ImageDataset dataset() {
        int s = H * W * C;
        byte[] p = new byte[N * s];
        for (int i = 0; i < N; i++) {
            p[i * s] = (byte) i;
            for (int k = 1; k < s; k++) {
                p[i * s + k] = (byte) (k == 1 ? 255 : k == 2 ? 0 : (i * 37 + k * 11) % 256);
            }
        }
        return ImageDataset.of("test images", p, N, H, W, C, null);
    }

    static float[] run(BatchLoader l, int batches) {
        float[] all = new float[batches * l.floatsPerBatch()];
        for (int b = 0; b < batches; b++) {
            l.next(all, b * l.floatsPerBatch());
        }
        return all;
    }

    /** The dataset index of each image of a batch, read back from its first value. */
    static int[] ids(float[] batch, int offset, int n) {
        int s = H * W * C;
        int[] ids = new int[n];
        for (int j = 0; j < n; j++) {
            ids[j] = Math.round((batch[offset + j * s] + 1f) * 127.5f);
        }
        return ids;
    }

    @Test
    void valuesAreTheImagesNormalised() {
        ImageDataset d = dataset();
        try (BatchLoader l = new BatchLoader(d, 10, 42)) {
            assertEquals(10, l.batchesPerEpoch());
            assertEquals(10 * H * W * C, l.floatsPerBatch());
            float[] b = new float[l.floatsPerBatch()];
            for (long i = 0; i < 25; i++) {
                l.next(b);
                int[] idx = l.indices(i);
                for (int j = 0; j < 10; j++) {
                    byte[] img = d.image(idx[j]);
                    for (int k = 0; k < img.length; k++) {
                        float v = b[j * img.length + k];
                        assertEquals((img[k] & 0xFF) / 127.5f - 1f, v, 1e-6f);
                        assertTrue(v >= -1f && v <= 1f);
                    }
                    assertEquals(1f, b[j * img.length + 1]); // 255
                    assertEquals(-1f, b[j * img.length + 2]); // 0
                }
            }
        }
    }

    @Test
    void sameSeedSameBatchesOtherSeedOthers() {
        ImageDataset d = dataset();
        float[] a;
        float[] b;
        float[] c;
        try (BatchLoader l = new BatchLoader(d, 10, 7)) {
            a = run(l, 35);
        }
        try (BatchLoader l = new BatchLoader(d, 10, 7, 1)) {
            b = run(l, 35);
        }
        try (BatchLoader l = new BatchLoader(d, 10, 8)) {
            c = run(l, 35);
        }
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void eachImageOncePerEpochAndEpochsDiffer() {
        try (BatchLoader l = new BatchLoader(dataset(), 10, 3)) {
            int[][] orders = new int[3][];
            for (int e = 0; e < 3; e++) {
                float[] epoch = run(l, l.batchesPerEpoch());
                int[] ids = ids(epoch, 0, 100);
                Set<Integer> seen = new HashSet<>();
                for (int id : ids) {
                    assertTrue(id >= 0 && id < N);
                    assertTrue(seen.add(id), "image " + id + " twice in epoch " + e);
                }
                assertEquals(100, seen.size()); // 3 of 103 dropped
                orders[e] = ids;
            }
            assertFalse(Arrays.equals(orders[0], orders[1]));
            assertFalse(Arrays.equals(orders[1], orders[2]));
        }
    }

    @Test
    void permutationIsAPermutation() {
        for (long e = 0; e < 5; e++) {
            int[] p = BatchLoader.permutation(11, e, 1000);
            int[] sorted = p.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < 1000; i++) {
                assertEquals(i, sorted[i]);
            }
        }
        assertArrayEquals(BatchLoader.permutation(11, 4, 50), BatchLoader.permutation(11, 4, 50));
    }

    @Test
    void seekGivesWhatSequentialReadingGives() {
        ImageDataset d = dataset();
        float[] seq;
        try (BatchLoader l = new BatchLoader(d, 10, 99)) {
            seq = run(l, 40);
        }
        int f = 10 * H * W * C;
        try (BatchLoader l = new BatchLoader(d, 10, 99)) {
            float[] b = new float[f];
            l.next(b); // some prefetching has happened
            l.seek(17);
            assertEquals(17, l.position());
            for (int i = 17; i < 40; i++) {
                l.next(b);
                assertArrayEquals(Arrays.copyOfRange(seq, i * f, (i + 1) * f), b, "batch " + i + " after seek(17)");
            }
            l.seek(3);
            l.next(b);
            assertArrayEquals(Arrays.copyOfRange(seq, 3 * f, 4 * f), b, "batch 3 after seeking back");
            assertEquals(4, l.position());
            // far away: what the calling thread makes itself
            l.seek(1_000_000_007L);
            float[] far = new float[f];
            l.batch(1_000_000_007L, far, 0);
            l.next(b);
            assertArrayEquals(far, b);
        }
    }

    @Test
    void deterministicWhateverTheTiming() throws InterruptedException {
        ImageDataset d = dataset();
        int f = 7 * H * W * C;
        Random r = new Random(5);
        try (BatchLoader fast = new BatchLoader(d, 7, 1234, 8); BatchLoader slow = new BatchLoader(d, 7, 1234, 1)) {
            float[] a = new float[f];
            float[] b = new float[f];
            float[] ref = new float[f];
            for (int it = 0; it < 300; it++) {
                if (r.nextInt(10) == 0) { // seek somewhere, both to the same place, at different moments
                    long to = r.nextInt(200);
                    fast.seek(to);
                    if (r.nextBoolean()) {
                        Thread.sleep(1);
                    }
                    slow.seek(to);
                }
                long at = fast.position();
                assertEquals(at, slow.position());
                fast.next(a);
                if (r.nextInt(20) == 0) {
                    Thread.sleep(1);
                }
                slow.next(b);
                fast.batch(at, ref, 0);
                assertArrayEquals(ref, a, "batch " + at);
                assertArrayEquals(ref, b, "batch " + at);
            }
        }
    }

    @Test
    void wholeDatasetBatch() {
        try (BatchLoader l = new BatchLoader(dataset(), N, 1)) {
            assertEquals(1, l.batchesPerEpoch());
            float[] b = new float[l.floatsPerBatch()];
            for (int e = 0; e < 3; e++) {
                l.next(b);
                int[] ids = ids(b, 0, N);
                Arrays.sort(ids);
                for (int i = 0; i < N; i++) {
                    assertEquals(i, ids[i]);
                }
            }
        }
    }

    @Test
    void refusesBadUse() {
        ImageDataset d = dataset();
        String m = assertThrows(IllegalArgumentException.class, () -> new BatchLoader(d, N + 1, 0)).getMessage();
        assertTrue(m.contains("104") && m.contains("103") && m.contains("test images"), m);
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader(d, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new BatchLoader(d, 4, 0, 0));
        BatchLoader l = new BatchLoader(d, 4, 0);
        assertThrows(IllegalArgumentException.class, () -> l.next(new float[l.floatsPerBatch() - 1]));
        assertThrows(IllegalArgumentException.class, () -> l.next(new float[l.floatsPerBatch()], 1));
        assertThrows(IllegalArgumentException.class, () -> l.seek(-1));
        l.close();
        l.close();
        assertThrows(IllegalStateException.class, () -> l.next(new float[l.floatsPerBatch()]));
        assertThrows(IllegalStateException.class, () -> l.seek(0));
    }

    @Test
    void datasetChecksItsShape() {
        assertThrows(IllegalArgumentException.class, () -> ImageDataset.of("x", new byte[11], 2, 2, 3, 1, null));
        assertThrows(IllegalArgumentException.class, () -> ImageDataset.of("x", new byte[24], 2, 2, 3, 2, null));
        assertThrows(IllegalArgumentException.class, () -> ImageDataset.of("x", new byte[12], 2, 2, 3, 1, new int[3]));
        byte[] px = new byte[12];
        px[7] = (byte) 200;
        ImageDataset d = ImageDataset.of("x", px, 2, 2, 3, 1, new int[] {4, 5});
        px[7] = 0; // copied: the dataset does not change
        assertEquals(200, d.pixel(1, 0, 1, 0));
        assertEquals(5, d.label(1));
        assertEquals(1, d.head(1).count());
        assertThrows(IndexOutOfBoundsException.class, () -> d.image(2));
        assertThrows(java.nio.ReadOnlyBufferException.class, () -> d.pixels().put(0, (byte) 1));
    }
}
