package jgan.reference;

/**
 * Plain-Java Philox-4x32-10 and the draws built on it: the oracle for kernels/philox.cu, with
 * the same mapping (see that file's header): element i of a draw at (seed, offset) comes from
 * word i%4 of the block call on counter offset + i/4 (unsigned 64-bit, as {lo32, hi32, 0, 0})
 * with key {lo32(seed), hi32(seed)}. Unsigned 32-bit arithmetic is done in longs.
 */
public final class PhiloxReference {
    static final long M0 = 0xD2511F53L;
    static final long M1 = 0xCD9E8D57L;
    static final int W0 = 0x9E3779B9;
    static final int W1 = 0xBB67AE85;
    private static final long MASK = 0xffffffffL;
    private static final double TWO_POW_M24 = 0x1p-24;

    private PhiloxReference() {
    }

    /** The Philox-4x32-10 block function: four counter words, two key words, four output words. */
    public static int[] block(int c0, int c1, int c2, int c3, int k0, int k1) {
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += W0; // int addition wraps mod 2^32, as unsigned addition does
                k1 += W1;
            }
            long p0 = M0 * (c0 & MASK); // < 2^64: the unsigned product's bits are exact in a long
            long p1 = M1 * (c2 & MASK);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            int n0 = hi1 ^ c1 ^ k0;
            int n2 = hi0 ^ c3 ^ k1;
            c0 = n0;
            c1 = lo1;
            c2 = n2;
            c3 = lo0;
        }
        return new int[] {c0, c1, c2, c3};
    }

    /** The block call for 64-bit counter {@code counter} and key {@code seed}. */
    public static int[] block(long counter, long seed) {
        return block((int) counter, (int) (counter >>> 32), 0, 0, (int) seed, (int) (seed >>> 32));
    }

    /** The raw 32-bit outputs of a draw of n at (seed, offset). */
    public static int[] bits(int n, long seed, long offset) {
        int[] out = new int[n];
        for (int i = 0; i < n; i += 4) {
            int[] w = block(offset + i / 4, seed);
            for (int j = 0; j < 4 && i + j < n; j++) {
                out[i + j] = w[j];
            }
        }
        return out;
    }

    /** Top 24 bits as a double in [0, 1). */
    static double u01ClosedOpen(int word) {
        return (word >>> 8) * TWO_POW_M24;
    }

    /** Top 24 bits plus one as a double in (0, 1]. */
    static double u01OpenClosed(int word) {
        return ((word >>> 8) + 1) * TWO_POW_M24;
    }

    /**
     * Uniform floats in [lo, hi): (float) (lo + (hi - lo) u) in double (one fma), u in [0, 1) from
     * the top 24 bits; a value that rounds onto hi becomes the largest float below hi.
     */
    public static float[] uniform(int n, long seed, long offset, float lo, float hi) {
        int[] w = bits(n, seed, offset);
        double range = (double) hi - (double) lo;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            float r = (float) Math.fma(range, u01ClosedOpen(w[i]), lo);
            out[i] = r >= hi ? Math.nextDown(hi) : r;
        }
        return out;
    }

    /**
     * Normal floats mean + std z by Box-Muller in double: words (0, 1) of each call give z_{4k}
     * = r cos(2 pi u2), z_{4k+1} = r sin(2 pi u2) with r = sqrt(-2 ln u1), u1 in (0, 1] from
     * word 0, u2 in [0, 1) from word 1; words (2, 3) give z_{4k+2}, z_{4k+3}.
     */
    public static float[] normal(int n, long seed, long offset, float mean, float std) {
        int[] w = bits((n + 3) / 4 * 4, seed, offset); // whole calls: a pair needs both its words
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int pair = i & ~1;
            double u1 = u01OpenClosed(w[pair]), u2 = u01ClosedOpen(w[pair + 1]);
            double r = Math.sqrt(-2 * Math.log(u1));
            double theta = 2 * Math.PI * u2;
            double z = (i & 1) == 0 ? r * Math.cos(theta) : r * Math.sin(theta);
            out[i] = (float) (mean + (double) std * z);
        }
        return out;
    }
}
