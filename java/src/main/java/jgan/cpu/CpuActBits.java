package jgan.cpu;

import static jgan.cpu.CpuKernels.bits;

/**
 * The fused activations and their derivatives ({@link CpuDense#activate}, {@link CpuDense#grad},
 * {@link CpuDense#dz}: kernels/activation.cuh) with the same bits, but with the sign tests done on
 * the float's bits and the choice made by masks, so that no data-dependent branch is taken per
 * element. Float selects compile to a branch on x86 (there is no float cmov): on activations whose
 * signs are random (what ReLU / leaky ReLU see in training) half of those branches are mispredicted,
 * which made the batch-norm backward passes and the conv epilogues 3-5x slower per element
 * (measured: 4.8 -> 1.4 ns an element in batch_norm_backward_reduce's loop, 4.1 -> 0.8 in a leaky
 * ReLU epilogue; bench/results/2026-11-30-dcgan-speed-cpu.txt).
 *
 * <p>For IEEE-754 binary32 bits b (as an int): {@code f < 0f} exactly when b - 1, wrapped, is
 * below the bits of -infinity minus one taken as signed ints (the negative numbers other than -0,
 * not NaN), and {@code f > 0f} exactly when b + 0x7fffffff, wrapped, is (the positive numbers other
 * than +0, +infinity included, not NaN). CpuActBitsTest checks every function against the branching
 * one on the special values and on random bits.
 */
final class CpuActBits {
    /** The bits of 1f. */
    static final int ONE = bits(1f);
    /** -8388608: the bits of -infinity (0xff800000) as a signed int plus 2^31, minus 2^31 (see the class comment). */
    private static final long LIMIT = 0x800000L;

    private CpuActBits() {
    }

    /** All ones where the float with bits {@code b} is {@code < 0f}, else 0. */
    static int negMask(int b) {
        return (int) (((long) (b - 1) + LIMIT) >> 63);
    }

    /** All ones where the float with bits {@code b} is {@code > 0f}, else 0. */
    static int posMask(int b) {
        // v > 0f  <=>  b in [1, 0x7f800000] (+Inf included, NaN and -0 not)  <=>  t = b - 1 in [0, 0x7f7fffff]:
        // int operations only, so loops over it run as vector code (CpuDense.dzRange, the conv and BN loops)
        int t = b - 1;
        return ~((t | (0x7f7fffff - t)) >> 31);
    }

    /** {@code mask == -1 ? a : b} for a mask of all ones or all zeros, without a branch. */
    static int select(int mask, int a, int b) {
        return (mask & a) | (~mask & b);
    }

    /** The bits of {@link CpuDense#activate}(v, act, slope): 0 identity, 1 ReLU, 2 leaky ReLU, 3 tanh. */
    static int activateBits(float v, int act, float slope) {
        int b = bits(v);
        switch (act) {
            case 1: return ~negMask(b) & b;
            case 2: return select(negMask(b), bits(slope * v), b);
            case 3: return bits((float) Math.tanh(v));
            default: return b;
        }
    }

    /** ReLU's bits of v (v < 0f ? 0f : v). */
    static int reluBits(float v) {
        int b = bits(v);
        return ~negMask(b) & b;
    }

    /** Leaky ReLU's bits of v (v < 0f ? slope * v : v). */
    static int leakyBits(float v, float slope) {
        int b = bits(v);
        return select(negMask(b), bits(slope * v), b);
    }

    /** {@link CpuDense#grad}(y, act, slope) from y's bits {@code yb}. */
    static float grad(int yb, int act, float slope) {
        switch (act) {
            case 1: return Float.intBitsToFloat(posMask(yb) & ONE);
            case 2: return Float.intBitsToFloat(select(posMask(yb), ONE, bits(slope)));
            case 3: {
                float y = Float.intBitsToFloat(yb);
                return 1f - y * y;
            }
            default: return 1f;
        }
    }

    /** {@link CpuDense#dz}(dy, y, act, slope) from y's bits {@code yb}. */
    static float dz(float dy, int yb, int act, float slope) {
        switch (act) {
            case 1: return dy * Float.intBitsToFloat(posMask(yb) & ONE);
            case 2: return Float.intBitsToFloat(select(posMask(yb), bits(dy), bits(dy * slope)));
            case 3: {
                double y = Float.intBitsToFloat(yb);
                return (float) (dy * (1 - y * y));
            }
            default: return dy;
        }
    }
}
