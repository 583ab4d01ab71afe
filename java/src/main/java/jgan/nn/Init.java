package jgan.nn;

import java.util.SplittableRandom;

/**
 * How a dense layer's weights W [out, in] and bias b [out] start. Drawn on the host from a
 * seeded generator, so the same seed gives the same network on every device.
 */
public enum Init {
    /** PyTorch's nn.Linear default: W and b uniform in +-1/sqrt(in). */
    PYTORCH,
    /** Glorot/Xavier uniform W in +-sqrt(6/(in+out)), b = 0. */
    XAVIER,
    /** DCGAN's: W ~ N(0, 0.02), b = 0. */
    NORMAL_002;

    void fill(float[] w, int wOffset, float[] b, int bOffset, int in, int out, SplittableRandom rng) {
        switch (this) {
            case PYTORCH -> {
                double bound = 1 / Math.sqrt(in);
                for (int i = 0; i < in * out; i++) {
                    w[wOffset + i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
                }
                for (int i = 0; i < out; i++) {
                    b[bOffset + i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
                }
            }
            case XAVIER -> {
                double bound = Math.sqrt(6.0 / (in + out));
                for (int i = 0; i < in * out; i++) {
                    w[wOffset + i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
                }
            }
            case NORMAL_002 -> {
                for (int i = 0; i < in * out; i += 2) {
                    double u1 = 1 - rng.nextDouble(), u2 = rng.nextDouble(), r = Math.sqrt(-2 * Math.log(u1));
                    w[wOffset + i] = (float) (0.02 * r * Math.cos(2 * Math.PI * u2));
                    if (i + 1 < in * out) {
                        w[wOffset + i + 1] = (float) (0.02 * r * Math.sin(2 * Math.PI * u2));
                    }
                }
            }
        }
    }
}
