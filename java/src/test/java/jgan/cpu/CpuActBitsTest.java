package jgan.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * CpuActBits's branch-free sign masks and activations give exactly the bits of the branching
 * forms in CpuDense (which the conformance tests check against the references), on the special
 * values (both zeros, both infinities, NaNs of either sign, the denormal and normal extremes) and
 * on random bit patterns, for every activation and two slopes.
 */
class CpuActBitsTest {
    private static final int RANDOM = 200_000;

    private static int[] specials() {
        float[] f = {0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, Float.MAX_VALUE,
            -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.2f, -3.5e-20f};
        int[] nan = {0x7fc00000, 0x7f800001, 0x7fffffff, 0xffc00000, 0xff800001, 0xffffffff};
        int[] out = new int[f.length + nan.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = Float.floatToRawIntBits(f[i]);
        }
        System.arraycopy(nan, 0, out, f.length, nan.length);
        return out;
    }

    /**
     * The same bits, except that a NaN matches any NaN: a signalling NaN's quiet bit may be set by a
     * multiply or a float move on one path and not the other (Float.intBitsToFloat's documented
     * latitude); arithmetic never makes a signalling NaN.
     */
    private static void same(int expected, int actual, java.util.function.Supplier<String> what) {
        if (Float.isNaN(Float.intBitsToFloat(expected)) && Float.isNaN(Float.intBitsToFloat(actual))) {
            return;
        }
        assertEquals(expected, actual, what);
    }

    private static void check(int b, int d) {
        float v = Float.intBitsToFloat(b), dy = Float.intBitsToFloat(d);
        assertEquals(v < 0f ? -1 : 0, CpuActBits.negMask(b), () -> "negMask of " + Integer.toHexString(b));
        assertEquals(v > 0f ? -1 : 0, CpuActBits.posMask(b), () -> "posMask of " + Integer.toHexString(b));
        for (float slope : new float[] {0.2f, 0.01f}) {
            same(Float.floatToRawIntBits(v < 0f ? 0f : v), CpuActBits.reluBits(v), () -> "relu " + Integer.toHexString(b));
            same(Float.floatToRawIntBits(v < 0f ? slope * v : v), CpuActBits.leakyBits(v, slope),
                    () -> "leaky " + Integer.toHexString(b));
            for (int act = 0; act <= 3; act++) {
                int a = act;
                same(Float.floatToRawIntBits(CpuDense.activate(v, act, slope)), CpuActBits.activateBits(v, act, slope),
                        () -> "activate " + a + " of " + Integer.toHexString(b));
                same(Float.floatToRawIntBits(CpuDense.grad(v, act, slope)), Float.floatToRawIntBits(CpuActBits.grad(b, act, slope)),
                        () -> "grad " + a + " of " + Integer.toHexString(b));
                same(Float.floatToRawIntBits(CpuDense.dz(dy, v, act, slope)),
                        Float.floatToRawIntBits(CpuActBits.dz(dy, b, act, slope)),
                        () -> "dz " + a + " of dy " + Integer.toHexString(d) + ", y " + Integer.toHexString(b));
            }
        }
    }

    @Test
    void specialValuesGiveTheBranchingFormsBits() {
        for (int b : specials()) {
            for (int d : specials()) {
                check(b, d);
            }
        }
    }

    @Test
    void randomBitsGiveTheBranchingFormsBits() {
        SplittableRandom r = new SplittableRandom(10);
        for (int i = 0; i < RANDOM; i++) {
            check(r.nextInt(), r.nextInt());
        }
    }
}
