package jgan.nn;

import java.util.SplittableRandom;

/**
 * How a network's parameters start. Drawn on the host from a seeded generator, layer by layer
 * in order (weights, then bias), so the same seed gives the same network on every device.
 *
 * <p>fan_in is the number of inputs one output sums: in for a dense layer, C*R*S for a
 * convolution, and for a transposed convolution out*kh*kw, as PyTorch computes it from the
 * weight [in, out, kh, kw] (its dimension 1 times the kernel area). Batch norm starts at
 * weight 1, bias 0 (PyTorch's default) except under {@link #NORMAL_002}.
 */
public enum Init {
    /** PyTorch's default for nn.Linear, nn.Conv2d, nn.ConvTranspose2d: weight and bias uniform in +-1/sqrt(fan_in). */
    PYTORCH,
    /** Glorot/Xavier uniform weight in +-sqrt(6/(fan_in + fan_out)), bias 0. */
    XAVIER,
    /** DCGAN's (Radford et al. 2015, and PyTorch's DCGAN example's weights_init): weights N(0, 0.02), biases 0, batch norm weight N(1, 0.02), bias 0. */
    NORMAL_002;

    /** A dense layer's W [out, in] then b [out] (b may be absent: bOffset < 0). */
    void fill(float[] w, int wOffset, float[] b, int bOffset, int in, int out, SplittableRandom rng) {
        weights(w, wOffset, in * out, in, out, rng);
        if (bOffset >= 0) {
            bias(b, bOffset, out, in, rng);
        }
    }

    /** n weights of a layer with the given fan-in and fan-out. */
    void weights(float[] a, int offset, int n, int fanIn, int fanOut, SplittableRandom rng) {
        switch (this) {
            case PYTORCH -> uniform(a, offset, n, 1 / Math.sqrt(fanIn), rng);
            case XAVIER -> uniform(a, offset, n, Math.sqrt(6.0 / (fanIn + fanOut)), rng);
            case NORMAL_002 -> normal(a, offset, n, 0, 0.02, rng);
        }
    }

    /** n biases of a layer with the given fan-in (zero unless {@link #PYTORCH}). */
    void bias(float[] a, int offset, int n, int fanIn, SplittableRandom rng) {
        if (this == PYTORCH) {
            uniform(a, offset, n, 1 / Math.sqrt(fanIn), rng);
        } else {
            java.util.Arrays.fill(a, offset, offset + n, 0f);
        }
    }

    /** Batch norm's weight (gamma) [c] and bias (beta) [c]. */
    void batchNorm(float[] a, int gammaOffset, int betaOffset, int c, SplittableRandom rng) {
        if (this == NORMAL_002) {
            normal(a, gammaOffset, c, 1, 0.02, rng);
        } else {
            java.util.Arrays.fill(a, gammaOffset, gammaOffset + c, 1f);
        }
        java.util.Arrays.fill(a, betaOffset, betaOffset + c, 0f);
    }

    private static void uniform(float[] a, int offset, int n, double bound, SplittableRandom rng) {
        for (int i = 0; i < n; i++) {
            a[offset + i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
    }

    /** Box-Muller, two values per pair of draws. */
    private static void normal(float[] a, int offset, int n, double mean, double std, SplittableRandom rng) {
        for (int i = 0; i < n; i += 2) {
            double u1 = 1 - rng.nextDouble(), u2 = rng.nextDouble(), r = Math.sqrt(-2 * Math.log(u1));
            a[offset + i] = (float) (mean + std * r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                a[offset + i + 1] = (float) (mean + std * r * Math.sin(2 * Math.PI * u2));
            }
        }
    }
}
