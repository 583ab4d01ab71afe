package jgan.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link ClassHistogram}: counts, entropy and KL to uniform of hand-made predictions. */
class ClassHistogramTest {
    @Test
    void uniformPredictions() {
        int k = 10;
        int[] p = new int[7 * k];
        for (int i = 0; i < p.length; i++) {
            p[i] = i % k;
        }
        ClassHistogram h = ClassHistogram.of(p, k);
        assertArrayEquals(new long[] {7, 7, 7, 7, 7, 7, 7, 7, 7, 7}, h.counts());
        assertEquals(70, h.total());
        assertEquals(Math.log(k), h.entropy(), 1e-12);
        assertEquals(1.0, h.normalizedEntropy(), 1e-12);
        assertEquals(0.0, h.klToUniform(), 1e-12);
        assertEquals(k, h.classesPresent());
    }

    @Test
    void oneClassOnly() {
        ClassHistogram h = ClassHistogram.of(new int[] {3, 3, 3, 3, 3}, 10);
        assertEquals(0.0, h.entropy(), 0);
        assertEquals(0.0, h.normalizedEntropy(), 0);
        assertEquals(Math.log(10), h.klToUniform(), 1e-12);
        assertEquals(1, h.classesPresent());
        assertEquals(1.0, h.frequencies()[3], 0);
    }

    /** Half class 0, half class 1 of 10: H = ln 2, KL = ln 10 - ln 2 = ln 5. A skewed pair: -(p ln p + q ln q). */
    @Test
    void partialCoverage() {
        ClassHistogram h = ClassHistogram.of(new int[] {0, 1, 0, 1}, 10);
        assertEquals(Math.log(2), h.entropy(), 1e-12);
        assertEquals(Math.log(5), h.klToUniform(), 1e-12);
        assertEquals(Math.log(2) / Math.log(10), h.normalizedEntropy(), 1e-12);
        ClassHistogram s = ClassHistogram.ofCounts(new long[] {1, 3});
        assertEquals(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), s.entropy(), 1e-12);
        assertEquals(Math.log(2) - s.entropy(), s.klToUniform(), 1e-12);
        assertTrue(s.toString().contains("classes 2/2 present"), s.toString());
        assertEquals(1.0, ClassHistogram.of(new int[] {0, 0}, 1).normalizedEntropy(), 0);
    }

    @Test
    void badInputIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClassHistogram.of(new int[] {0, 10, 2}, 10));
        assertTrue(e.getMessage().contains("prediction 10 at index 1 is outside [0, 10)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClassHistogram.of(new int[0], 10));
        assertThrows(IllegalArgumentException.class, () -> ClassHistogram.of(new int[] {0}, 0));
        assertThrows(IllegalArgumentException.class, () -> ClassHistogram.ofCounts(new long[] {0, 0}));
        assertThrows(IllegalArgumentException.class, () -> ClassHistogram.ofCounts(new long[] {2, -1}));
    }
}
