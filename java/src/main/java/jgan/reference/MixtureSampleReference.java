package jgan.reference;

/** Plain-Java twin of kernels/mixture.cu (same Philox mapping), in double: the oracle. */
public final class MixtureSampleReference {
    private MixtureSampleReference() {
    }

    /** n rows [n * 2] drawn at counters offset .. offset + n - 1. */
    public static float[] sample(int n, float[] centers, float std, long seed, long offset) {
        int modes = centers.length / 2;
        float[] out = new float[2 * n];
        for (int i = 0; i < n; i++) {
            int[] w = PhiloxReference.block(offset + i, seed);
            double u = (w[0] >>> 8) * 0x1p-24;
            int mode = Math.min((int) (u * modes), modes - 1);
            double u1 = ((w[2] >>> 8) + 1) * 0x1p-24, u2 = (w[3] >>> 8) * 0x1p-24;
            double r = Math.sqrt(-2 * Math.log(u1)), theta = 2 * Math.PI * u2;
            out[2 * i] = (float) (centers[2 * mode] + std * r * Math.cos(theta));
            out[2 * i + 1] = (float) (centers[2 * mode + 1] + std * r * Math.sin(theta));
        }
        return out;
    }

    /** The mode each row of a draw came from (for tests and metrics). */
    public static int[] modes(int n, int modes, long seed, long offset) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int[] w = PhiloxReference.block(offset + i, seed);
            out[i] = Math.min((int) (((w[0] >>> 8) * 0x1p-24) * modes), modes - 1);
        }
        return out;
    }
}
