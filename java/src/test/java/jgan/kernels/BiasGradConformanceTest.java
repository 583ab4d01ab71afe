package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.device.Graph;
import jgan.device.LaunchConfig;
import jgan.reference.BiasGradReference;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.TestDevices;
import jgan.testing.TestDevices.Target;
import jgan.testing.Tolerance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** kernels/bias_grad.cu against {@link BiasGradReference} on every device. */
@Tag("host-runtime")
class BiasGradConformanceTest {
    /**
     * {rows, cols}: degenerate, odd, MLP-like (narrow and wide groups, one chunk and many), and
     * tall-skinny; the comments say which grid each takes (checked in {@link #gridsCoverBothPaths}).
     */
    static final int[][] SHAPES = {
        {1, 1},        // one column, one chunk
        {7, 3},        // narrow, one chunk
        {31, 257},     // wide: 9 groups of 32 (the last of 1 column), one chunk
        {3, 129},      // just past narrow
        {512, 2},      // narrow, several chunks
        {64, 1024},    // 32 groups, several chunks
        {1000, 100},   // narrow, 100 columns, R = 2
        {1025, 257},   // 9 groups x many chunks: a ticket per group
        {100_003, 3},  // tall-skinny: many chunks, R = 85
    };

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Stream.of(SHAPES).map(s -> Arguments.of(d, s[0], s[1])));
    }

    /** Small integers: every partial sum is exact in float, so the result must be exact whatever the order. */
    @ParameterizedTest(name = "[{0}] exact {1}x{2}")
    @MethodSource("cases")
    void smallIntegersAreExact(Target target, int rows, int cols) {
        Device dev = target.device();
        SplittableRandom r = new SplittableRandom(rows * 31L + cols);
        float[] dy = RandomData.smallIntegers(r, rows * cols, 8);
        try (Tensor tdy = Tensor.of(dev, Shape.of(rows, cols), dy); Tensor db = Tensor.empty(dev, Shape.of(cols))) {
            db.fill(Float.NaN);
            BiasGrad.compute(tdy, db, false);
            Tolerance.assertClose("bias_grad", db.toArray(), BiasGradReference.columnSums(dy, rows, cols, null), 0, 0);
        }
    }

    /** Normal inputs against double sums: float rounding only (bounded by ~1e-6 of the column's sum of |dy|). */
    @ParameterizedTest(name = "[{0}] random {1}x{2}")
    @MethodSource("cases")
    void randomInputsMatchReference(Target target, int rows, int cols) {
        Device dev = target.device();
        SplittableRandom r = new SplittableRandom(rows * 17L + cols);
        float[] dy = RandomData.normal(r, rows * cols, 1.0);
        float[] absSums = BiasGradReference.columnSums(Tolerance.abs(dy), rows, cols, null);
        double worst = 0;
        for (float s : absSums) {
            worst = Math.max(worst, s);
        }
        try (Tensor tdy = Tensor.of(dev, Shape.of(rows, cols), dy); Tensor db = Tensor.empty(dev, Shape.of(cols))) {
            db.fill(Float.NaN);
            BiasGrad.compute(tdy, db, false);
            float[] first = db.toArray();
            Tolerance.assertClose("bias_grad", first, BiasGradReference.columnSums(dy, rows, cols, null), 1e-6 * worst, 1e-6);
            db.fill(Float.NaN);
            BiasGrad.compute(tdy, db, false);
            assertArrayEquals(first, db.toArray(), "deterministic: the same bits twice");
        }
    }

    @ParameterizedTest(name = "[{0}] accumulate {1}x{2}")
    @MethodSource("cases")
    void accumulateAdds(Target target, int rows, int cols) {
        Device dev = target.device();
        SplittableRandom r = new SplittableRandom(rows * 13L + cols);
        float[] dy = RandomData.smallIntegers(r, rows * cols, 5);
        float[] initial = RandomData.smallIntegers(r, cols, 1000);
        try (Tensor tdy = Tensor.of(dev, Shape.of(rows, cols), dy); Tensor db = Tensor.of(dev, Shape.of(1, cols), initial)) {
            BiasGrad.compute(tdy, db, true);
            Tolerance.assertClose("bias_grad accumulate", db.toArray(), BiasGradReference.columnSums(dy, rows, cols, initial), 0, 0);
        }
    }

    /** Graph replay of the multi-chunk path: the per-group tickets reset themselves. */
    @ParameterizedTest(name = "[{0}] accumulate through a replayed graph")
    @MethodSource("jgan.testing.TestDevices#all")
    void accumulatesAcrossGraphReplays(Target target) {
        Device dev = target.device();
        for (int[] s : new int[][] {{100_003, 3}, {1025, 257}}) {
            int rows = s[0], cols = s[1];
            SplittableRandom r = new SplittableRandom(rows);
            float[] dy = RandomData.smallIntegers(r, rows * cols, 3);
            float[] once = BiasGradReference.columnSums(dy, rows, cols, null);
            float[] four = new float[cols];
            for (int j = 0; j < cols; j++) {
                four[j] = 4 * once[j];
            }
            try (Tensor tdy = Tensor.of(dev, Shape.of(rows, cols), dy); Tensor db = Tensor.zeros(dev, Shape.of(cols))) {
                BiasGrad.compute(tdy, db, true); // creates the workspace before capture
                dev.beginCapture();
                BiasGrad.compute(tdy, db, true);
                try (Graph g = dev.endCapture()) {
                    assertEquals(1, g.size());
                    for (int i = 0; i < 3; i++) {
                        g.replay();
                    }
                }
                Tolerance.assertClose("4 accumulated bias gradients " + rows + "x" + cols, db.toArray(), four, 0, 0);
            }
        }
    }

    /** The shapes above reach both paths: one chunk (direct write) and many chunks (tickets). */
    @Test
    void gridsCoverBothPaths() {
        LaunchConfig tall = BiasGrad.config(100_003, 3);
        assertEquals(1, tall.grid().x());
        assertTrue(tall.grid().y() > 100, "tall-skinny spreads over row chunks: " + tall.grid());
        LaunchConfig wide = BiasGrad.config(1025, 257);
        assertEquals(9, wide.grid().x());
        assertTrue(wide.grid().y() > 1, "" + wide.grid());
        assertEquals(1, BiasGrad.config(31, 257).grid().y());
        assertEquals(1, BiasGrad.config(7, 3).grid().y());
        // Workspace bound: with chunks, chunks x cols partials fit MAX_BLOCKS x NARROW_COLS and the groups fit the counters.
        for (int[] s : new int[][] {{1 << 20, 128}, {1 << 20, 129}, {1 << 16, 1 << 14}, {1 << 24, 1}, {1, 1 << 24}}) {
            LaunchConfig c = BiasGrad.config(s[0], s[1]);
            if (c.grid().y() > 1) { // one chunk writes db directly and uses no workspace
                assertTrue((long) c.grid().y() * s[1] <= (long) BiasGrad.MAX_BLOCKS * BiasGrad.NARROW_COLS, s[0] + "x" + s[1]);
                assertTrue(c.grid().x() <= BiasGrad.MAX_BLOCKS, s[0] + "x" + s[1]);
            }
        }
    }


    @Test
    void badInputIsRefusedBeforeLaunch() {
        Device dev = TestDevices.host();
        try (Tensor dy = Tensor.zeros(dev, Shape.of(4, 5)); Tensor flat = Tensor.zeros(dev, Shape.of(20));
             Tensor db = Tensor.zeros(dev, Shape.of(4))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BiasGrad.compute(dy, db, false));
            assertTrue(e.getMessage().contains("bias_grad") && e.getMessage().contains("[4, 5]")
                    && e.getMessage().contains("[4]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> BiasGrad.compute(flat, db, false));
            assertTrue(e.getMessage().contains("dy must be [rows, cols]") && e.getMessage().contains("[20]"), e.getMessage());
        }
    }
}
