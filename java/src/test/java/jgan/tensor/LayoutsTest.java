package jgan.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** {@link Layouts}: hand-worked small cases, the meaning of every index, and round trips. */
class LayoutsTest {
    static float[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return v;
    }

    @Test
    void nchwToNhwcByHand() {
        // NCHW [1, 2, 2, 3]: channel 0 = [[0 1 2] [3 4 5]], channel 1 = [[6 7 8] [9 10 11]];
        // NHWC lists the two channels of each pixel together.
        float[] nhwc = Layouts.nchwToNhwc(iota(12), 1, 2, 2, 3);
        assertArrayEquals(new float[] {0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11}, nhwc);
        assertArrayEquals(iota(12), Layouts.nhwcToNchw(nhwc, 1, 2, 3, 2));
    }

    @Test
    void oihwToKrscByHand() {
        // OIHW [2, 3, 1, 2]: out 0 = in0 [0 1], in1 [2 3], in2 [4 5]; out 1 = in0 [6 7], in1 [8 9], in2 [10 11].
        float[] krsc = Layouts.oihwToKrsc(iota(12), 2, 3, 1, 2);
        assertArrayEquals(new float[] {0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11}, krsc);
        assertArrayEquals(iota(12), Layouts.krscToOihw(krsc, 2, 1, 2, 3));
    }

    @Test
    void convTransposeByHand() {
        // PyTorch [in 1, out 2, kh 2, kw 1]: out 0 = [0 1] over kh, out 1 = [2 3]; jgan [in, kh, kw, out].
        float[] jgan = Layouts.convTransposeTorchToJgan(iota(4), 1, 2, 2, 1);
        assertArrayEquals(new float[] {0, 2, 1, 3}, jgan);
        assertArrayEquals(iota(4), Layouts.convTransposeJganToTorch(jgan, 1, 2, 1, 2));
    }

    /** Every element lands where the index formulas of the two layouts say, on odd shapes with extents of 1. */
    @Test
    void everyIndexAndRoundTrips() {
        int[][] shapes = {{1, 1, 1, 1}, {2, 3, 5, 7}, {3, 1, 4, 2}, {1, 64, 1, 1}, {2, 1, 1, 5}, {4, 3, 7, 1}};
        SplittableRandom r = new SplittableRandom(5);
        for (int[] s : shapes) {
            int n = s[0], c = s[1], h = s[2], w = s[3];
            float[] nchw = new float[n * c * h * w];
            for (int i = 0; i < nchw.length; i++) {
                nchw[i] = (float) r.nextGaussian();
            }
            float[] nhwc = Layouts.nchwToNhwc(nchw, n, c, h, w);
            for (int a = 0; a < n; a++) {
                for (int j = 0; j < c; j++) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            assertEquals(nchw[((a * c + j) * h + y) * w + x], nhwc[((a * h + y) * w + x) * c + j]);
                        }
                    }
                }
            }
            assertArrayEquals(nchw, Layouts.nhwcToNchw(nhwc, n, h, w, c));
            assertArrayEquals(nchw, Layouts.krscToOihw(Layouts.oihwToKrsc(nchw, n, c, h, w), n, h, w, c));
            assertArrayEquals(nchw, Layouts.convTransposeJganToTorch(Layouts.convTransposeTorchToJgan(nchw, n, c, h, w), n, h, w, c));
            // and the other way round: channels-last first
            assertArrayEquals(nchw, Layouts.channelsLast(Layouts.channelsFirst(nchw, n, c, h, w), n, w, c, h));
        }
    }

    @Test
    void badExtentsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Layouts.nchwToNhwc(new float[5], 1, 2, 2, 1));
        assertTrue(e.getMessage().contains("[1, 2, 2, 1]") && e.getMessage().contains("5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Layouts.oihwToKrsc(new float[0], 0, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Layouts.krscToOihw(new float[1], 65536, 65536, 1, 1));
    }
}
