package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.Dim3;
import jgan.device.Graph;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.reference.PhiloxReference;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.TestDevices;
import jgan.testing.TestDevices.Target;
import jgan.testing.Tolerance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** kernels/philox.cu against {@link PhiloxReference} on every device. */
@Tag("host-runtime")
class PhiloxConformanceTest {
    static final int[] SIZES = {1, 7, 31, 4099, 65537};
    /** A seed with the high bits set (negative as a long) and an offset past 2^32. */
    static final long BIG_SEED = 0xDEADBEEFCAFEF00DL;
    static final long BIG_OFFSET = (1L << 40) + 3;
    /** Counters of a draw from here cross lo32 = 0xffffffff -> 0: the carry into the high word. */
    static final long WRAP_OFFSET = (1L << 32) - 3;
    /** How far a device normal may be from the double reference: float log, sin, cos, sqrt. */
    static final double NORMAL_ATOL = 1e-5, NORMAL_RTOL = 1e-5;

    record Origin(long seed, long offset) {
        @Override
        public String toString() {
            return String.format("seed=0x%x offset=%d", seed, offset);
        }
    }

    static final Origin[] STREAMS = {new Origin(0, 0), new Origin(BIG_SEED, BIG_OFFSET), new Origin(42, WRAP_OFFSET)};

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Arrays.stream(SIZES).boxed()
                .flatMap(n -> Arrays.stream(STREAMS).map(s -> Arguments.of(d, n, s))));
    }

    static int[] deviceBits(Device dev, int n, long seed, long offset) {
        // One word past n, poisoned: the tail of the last counter must not be written.
        try (DeviceBuffer buf = dev.allocate(4L * (n + 1))) {
            dev.fill32(buf, 0, n + 1, 0x7fc0dead);
            long next = Philox.bits(buf, n, seed, offset);
            assertEquals(offset + Philox.countersFor(n), next, "returned next offset");
            int[] got = new int[n + 1];
            dev.copyToHost(buf, 0, got, 0, n + 1);
            assertEquals(0x7fc0dead, got[n], "word after the last element was written");
            return Arrays.copyOf(got, n);
        }
    }

    static float[] deviceUniform(Device dev, int n, long seed, long offset, float lo, float hi) {
        try (Tensor t = Tensor.empty(dev, Shape.of(n))) {
            t.fill(Float.NaN);
            Philox.uniform(t, seed, offset, lo, hi);
            return t.toArray();
        }
    }

    static float[] deviceNormal(Device dev, int n, long seed, long offset, float mean, float std) {
        try (Tensor t = Tensor.empty(dev, Shape.of(n))) {
            t.fill(Float.NaN);
            Philox.normal(t, seed, offset, mean, std);
            return t.toArray();
        }
    }

    static void assertNormalClose(String what, float[] got, float[] ref, float std) {
        Tolerance.assertClose(what, got, ref, NORMAL_ATOL * Math.max(std, 1f), NORMAL_RTOL);
    }

    /** The published Random123 known-answer vectors for Philox4x32-10 (kat_vectors). */
    @Test
    void referenceMatchesKnownAnswerVectors() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                PhiloxReference.block(0, 0, 0, 0, 0, 0), "key 0, counter 0");
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                PhiloxReference.block(-1, -1, -1, -1, -1, -1), "key and counter all ones");
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                PhiloxReference.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0), "pi digits");
        // The 64-bit form puts the counter in words 0, 1 and the seed in the key, low half first.
        assertArrayEquals(PhiloxReference.block(0x89abcdef, 0x01234567, 0, 0, 0x76543210, 0xfedcba98),
                PhiloxReference.block(0x0123456789abcdefL, 0xfedcba9876543210L));
    }

    @ParameterizedTest(name = "[{0}] bits n={1} {2}")
    @MethodSource("cases")
    void bitsMatchReferenceExactly(Target target, int n, Origin s) {
        int[] got = deviceBits(target.device(), n, s.seed(), s.offset());
        assertArrayEquals(PhiloxReference.bits(n, s.seed(), s.offset()), got);
    }

    @ParameterizedTest(name = "[{0}] uniform n={1} {2}")
    @MethodSource("cases")
    void uniformMatchesReferenceExactly(Target target, int n, Origin s) {
        float[][] ranges = {{0f, 1f}, {-1f, 1f}, {-3.5f, 0.1f}, {-3e38f, 3e38f}};
        float[] r = ranges[Math.floorMod(n + (int) s.offset(), ranges.length)];
        float[] got = deviceUniform(target.device(), n, s.seed(), s.offset(), r[0], r[1]);
        Tolerance.assertClose("uniform [" + r[0] + ", " + r[1] + ")", got,
                PhiloxReference.uniform(n, s.seed(), s.offset(), r[0], r[1]), 0, 0);
        for (float v : got) {
            assertTrue(v >= r[0] && v < r[1], v + " outside [" + r[0] + ", " + r[1] + ")");
        }
    }

    /** A range two floats wide next to 1: half the draws round onto hi and must be pulled below it. */
    @ParameterizedTest(name = "[{0}] uniform, narrow range stays below hi")
    @MethodSource("jgan.testing.TestDevices#all")
    void narrowUniformRangeExcludesHi(Target target) {
        int n = 4099;
        float lo = 1f, hi = Math.nextUp(Math.nextUp(1f));
        float[] got = deviceUniform(target.device(), n, 9, 5, lo, hi);
        Tolerance.assertClose("narrow uniform", got, PhiloxReference.uniform(n, 9, 5, lo, hi), 0, 0);
        int[] seen = new int[2];
        for (float v : got) {
            assertTrue(v == lo || v == Math.nextUp(lo), v + " outside [" + lo + ", " + hi + ")");
            seen[v == lo ? 0 : 1]++;
        }
        assertTrue(seen[0] > 0 && seen[1] > 0, "both floats below hi appear: " + Arrays.toString(seen));
    }

    @ParameterizedTest(name = "[{0}] normal n={1} {2}")
    @MethodSource("cases")
    void normalMatchesReference(Target target, int n, Origin s) {
        float mean = n % 2 == 0 ? 0f : 0.5f, std = n % 3 == 0 ? 1f : 2f;
        float[] got = deviceNormal(target.device(), n, s.seed(), s.offset(), mean, std);
        assertNormalClose("normal(" + mean + ", " + std + ")", got, PhiloxReference.normal(n, s.seed(), s.offset(), mean, std), std);
    }

    /**
     * n = 1000003 standard normals at a fixed (seed, offset): mean within 0.005 of 0 and std
     * within 0.005 of 1 (5 and 7 standard errors: facts of this seed, not chance), the device
     * values next to the reference, and std 0 gives exactly the mean.
     */
    @ParameterizedTest(name = "[{0}] normal statistics, n=1000003")
    @MethodSource("jgan.testing.TestDevices#all")
    void normalStatistics(Target target) {
        int n = 1_000_003;
        float[] got = deviceNormal(target.device(), n, BIG_SEED, 12345, 0f, 1f);
        assertNormalClose("normal n=1000003", got, PhiloxReference.normal(n, BIG_SEED, 12345, 0f, 1f), 1f);
        double sum = 0, sq = 0;
        for (float v : got) {
            sum += v;
        }
        double mean = sum / n;
        for (float v : got) {
            sq += (v - mean) * (v - mean);
        }
        double std = Math.sqrt(sq / (n - 1));
        assertTrue(Math.abs(mean) < 0.005, "mean " + mean);
        assertTrue(Math.abs(std - 1) < 0.005, "std " + std);
        float[] flat = deviceNormal(target.device(), 31, BIG_SEED, 12345, -2.5f, 0f);
        for (float v : flat) {
            assertEquals(-2.5f, v, 0f, "std 0");
        }
    }

    /**
     * The documented offset semantics: draw(n, offset + k) == draw(m, offset)[4k : 4k + n], and
     * consecutive draws that advance the offset by countersFor(n) read consecutive counters.
     */
    @ParameterizedTest(name = "[{0}] offset semantics")
    @MethodSource("jgan.testing.TestDevices#all")
    void offsetsSliceOneStream(Target target) {
        Device dev = target.device();
        long seed = BIG_SEED, o = WRAP_OFFSET;
        int m = 103;
        int[] bigBits = deviceBits(dev, m, seed, o);
        float[] bigUniform = deviceUniform(dev, m, seed, o, -2f, 3f);
        float[] bigNormal = deviceNormal(dev, m, seed, o, 0f, 1f);
        for (int k : new int[] {0, 1, 3, 7}) {
            for (int n : new int[] {1, 2, 5, 10, 31}) {
                String at = " n=" + n + " at offset+" + k;
                assertArrayEquals(Arrays.copyOfRange(bigBits, 4 * k, 4 * k + n), deviceBits(dev, n, seed, o + k), "bits" + at);
                assertArrayEquals(Arrays.copyOfRange(bigUniform, 4 * k, 4 * k + n),
                        deviceUniform(dev, n, seed, o + k, -2f, 3f), "uniform" + at);
                assertArrayEquals(Arrays.copyOfRange(bigNormal, 4 * k, 4 * k + n),
                        deviceNormal(dev, n, seed, o + k, 0f, 1f), "normal" + at);
            }
        }
        // A latent of 10 then one of 6: the second starts at counter o + 3, i.e. element 12 of the
        // long draw (elements 10 and 11, the rest of the first draw's last counter, are skipped).
        try (Tensor a = Tensor.empty(dev, Shape.of(10)); Tensor b = Tensor.empty(dev, Shape.of(6))) {
            long next = Philox.normal(a, seed, o, 0f, 1f);
            assertEquals(o + Philox.countersFor(10), next);
            assertEquals(o + 3 + 2, Philox.normal(b, seed, next, 0f, 1f));
            assertArrayEquals(Arrays.copyOfRange(bigNormal, 0, 10), a.toArray(), "first draw");
            assertArrayEquals(Arrays.copyOfRange(bigNormal, 12, 18), b.toArray(), "second draw");
        }
        assertEquals(0, Philox.countersFor(0));
        assertEquals(1, Philox.countersFor(1));
        assertEquals(1, Philox.countersFor(4));
        assertEquals(2, Philox.countersFor(5));
        assertEquals(536_870_912L, Philox.countersFor(Integer.MAX_VALUE));
    }

    /**
     * Launch geometry and alignment do not change the numbers: odd grids (a thread doing many
     * counters, threads with none) and an output 4 bytes past 16-byte alignment (the scalar
     * path) give the reference's values, and nothing past the n-th element is written.
     */
    @ParameterizedTest(name = "[{0}] any launch geometry, misaligned output")
    @MethodSource("jgan.testing.TestDevices#all")
    void numbersDoNotDependOnLaunchGeometry(Target target) {
        Device dev = target.device();
        int n = 1001;
        long seed = 77, offset = BIG_OFFSET;
        int[] refBits = PhiloxReference.bits(n, seed, offset);
        float[] refNormal = PhiloxReference.normal(n, seed, offset, 1f, 3f);
        LaunchConfig[] configs = {new LaunchConfig(Dim3.of(1), Dim3.of(32), 0), new LaunchConfig(Dim3.of(3), Dim3.of(96), 0),
                new LaunchConfig(Dim3.of(5), Dim3.of(1024), 0)};
        try (DeviceBuffer buf = dev.allocate(4L * (n + 2)); Tensor t = Tensor.empty(dev, Shape.of(n + 2))) {
            for (LaunchConfig c : configs) {
                for (int shift : new int[] {0, 1}) {
                    String what = " grid " + c.grid() + " block " + c.block() + " shifted " + shift;
                    dev.fill32(buf, 0, n + 2, 0x7fc0dead);
                    dev.launch(Philox.BITS, c, new KernelArgs().ptr(buf, 4L * shift).i32(n).i64(seed).i64(offset));
                    int[] got = new int[n + 2];
                    dev.copyToHost(buf, 0, got, 0, n + 2);
                    assertArrayEquals(refBits, Arrays.copyOfRange(got, shift, shift + n), "bits" + what);
                    assertEquals(0x7fc0dead, got[shift == 0 ? n : 0], "untouched word" + what);
                    assertEquals(0x7fc0dead, got[n + 1], "untouched last word" + what);

                    t.fill(Float.NaN);
                    dev.launch(Philox.NORMAL, c, new KernelArgs().ptr(t.buffer(), 4L * shift).i32(n).i64(seed).i64(offset)
                            .f32(1f).f32(3f));
                    float[] out = t.toArray();
                    assertNormalClose("normal" + what, Arrays.copyOfRange(out, shift, shift + n), refNormal, 3f);
                    assertTrue(Float.isNaN(out[shift == 0 ? n : 0]) && Float.isNaN(out[n + 1]), "untouched floats" + what);
                }
            }
        }
    }

    /** A captured draw replays to the same numbers (the offset is a launch argument). */
    @ParameterizedTest(name = "[{0}] replayed graph")
    @MethodSource("jgan.testing.TestDevices#all")
    void graphReplayRedrawsTheSameNumbers(Target target) {
        Device dev = target.device();
        int n = 257;
        float[] ref = PhiloxReference.uniform(n, 3, 11, -1f, 1f);
        try (Tensor t = Tensor.empty(dev, Shape.of(n))) {
            dev.beginCapture();
            Philox.uniform(t, 3, 11, -1f, 1f);
            try (Graph g = dev.endCapture()) {
                for (int i = 0; i < 2; i++) {
                    t.fill(Float.NaN);
                    g.replay();
                    Tolerance.assertClose("replay " + i, t.toArray(), ref, 0, 0);
                }
            }
        }
    }

    /**
     * With the offset on the device and advanced by a captured counter_add_i64, every replay
     * draws the next numbers: the training step's latent z.
     */
    @ParameterizedTest(name = "[{0}] replayed graph with a device offset draws new numbers")
    @MethodSource("jgan.testing.TestDevices#all")
    void deviceOffsetAdvancesAcrossReplays(Target target) {
        Device dev = target.device();
        int n = 37;
        long seed = 0x5EEDL, start = (1L << 33) + 5;
        try (Tensor t = Tensor.empty(dev, Shape.of(n)); DeviceBuffer offset = dev.allocate(8)) {
            dev.copyToDevice(new int[] {(int) start, (int) (start >>> 32)}, 0, offset, 0, 2);
            dev.beginCapture();
            Philox.normalAt(t, seed, offset, 0.5f, 2f);
            Counters.addI64(offset, Philox.countersFor(n));
            try (Graph g = dev.endCapture()) {
                for (int step = 0; step < 3; step++) {
                    t.fill(Float.NaN);
                    g.replay();
                    long at = start + step * Philox.countersFor(n);
                    assertNormalClose("step " + step, t.toArray(), PhiloxReference.normal(n, seed, at, 0.5f, 2f), 2f);
                }
            }
            int[] words = new int[2];
            dev.copyToHost(offset, 0, words, 0, 2);
            assertEquals(start + 3 * Philox.countersFor(n), (words[0] & 0xffffffffL) | ((long) words[1] << 32));
        }
    }

    @Test
    void badInputIsRefusedBeforeLaunch() {
        Device dev = TestDevices.host();
        try (Tensor t = Tensor.zeros(dev, Shape.of(8)); DeviceBuffer small = dev.allocate(12)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Philox.normal(t, 1, 0, 0f, -1f));
            assertTrue(e.getMessage().contains(Philox.NORMAL) && e.getMessage().contains("std"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Philox.normal(t, 1, 0, Float.NaN, 1f));
            assertTrue(e.getMessage().contains("mean") && e.getMessage().contains("finite"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Philox.normal(t, 1, 0, 0f, Float.POSITIVE_INFINITY));
            assertTrue(e.getMessage().contains("std") && e.getMessage().contains("finite"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Philox.uniform(t, 1, 0, 1f, 1f));
            assertTrue(e.getMessage().contains(Philox.UNIFORM) && e.getMessage().contains("lo must be < hi"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Philox.uniform(t, 1, 0, 2f, 1f));
            assertTrue(e.getMessage().contains("lo must be < hi"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Philox.uniform(t, 1, 0, Float.NEGATIVE_INFINITY, 1f));
            assertTrue(e.getMessage().contains("lo") && e.getMessage().contains("finite"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Philox.uniform(t, 1, -1, 0f, 1f));
            assertTrue(e.getMessage().contains("offset must be >= 0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Philox.normal(t, 1, Long.MAX_VALUE - 1, 0f, 1f));
            assertTrue(e.getMessage().contains("passes 2^63 - 1"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Philox.bits(small, 4, 1, 0));
            assertTrue(e.getMessage().contains(Philox.BITS) && e.getMessage().contains("16 bytes"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Philox.bits(small, 0, 1, 0));
            assertTrue(e.getMessage().contains("n must be >= 1"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Philox.countersFor(-1));
            // Nothing was launched: the tensor still holds its zeros.
            assertArrayEquals(new float[8], t.toArray());
        }
        // The largest offset a draw of 8 may start at is accepted and returns 2^63 - 1.
        try (Tensor t = Tensor.empty(dev, Shape.of(8))) {
            assertEquals(Long.MAX_VALUE, Philox.uniform(t, 1, Long.MAX_VALUE - 2, 0f, 1f));
            Tolerance.assertClose("last counters", t.toArray(), PhiloxReference.uniform(8, 1, Long.MAX_VALUE - 2, 0f, 1f), 0, 0);
        }
    }
}
