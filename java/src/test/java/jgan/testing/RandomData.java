package jgan.testing;

import java.util.SplittableRandom;

/** Seeded random inputs, so a failure can be reproduced from the test's name. */
public final class RandomData {
    private RandomData() {
    }

    public static float[] normal(SplittableRandom r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller: SplittableRandom has no nextGaussian
            double u1 = 1.0 - r.nextDouble(), u2 = r.nextDouble();
            v[i] = (float) (std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return v;
    }

    public static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return v;
    }

    /** Small integers in [-k, k]: exact in float arithmetic, for exact comparisons. */
    public static float[] smallIntegers(SplittableRandom r, int n, int k) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextInt(-k, k + 1);
        }
        return v;
    }
}
