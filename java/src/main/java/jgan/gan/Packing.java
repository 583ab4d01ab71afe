package jgan.gan;

import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * Packing (PacGAN: Lin, Khetan, Fanti and Oh, "PacGAN: The power of two samples in generative
 * adversarial networks", NeurIPS 2018): the discriminator judges {@code m} samples at once, all
 * real or all fake, concatenated into one input. For an MLP discriminator on [B, F] row-major
 * samples, packed input j is rows jm, jm+1, ..., jm+m-1 side by side: [B/m, m F], which is the
 * SAME memory read under another shape, so packing is a free view (no copy, no kernel), and the
 * data gradient D hands back for the packed input, [B/m, m F], is under the same view the
 * gradient of the B samples, [B, F]. The losses then see B/m logits per side; every loss works
 * unchanged.
 *
 * <p>Convolutional discriminators pack channels (m images of C channels as one of m C): in NHWC
 * the channels of one pixel of the m images are not adjacent in memory, so a view cannot give it;
 * {@link #check} refuses it.
 */
public final class Packing {
    private Packing() {
    }

    /**
     * Refuses a packing degree that cannot be used: m >= 1; the batch divisible by m (naming both);
     * images (a convolutional D) not packable by a view.
     *
     * @throws IllegalArgumentException naming the batch and m, or the model
     */
    public static void check(int batch, int m, boolean images) {
        if (m < 1) {
            throw new IllegalArgumentException("pack must be >= 1 (1: no packing), got " + m);
        }
        if (m == 1) {
            return;
        }
        if (images) {
            throw new IllegalArgumentException("pack " + m + " is for MLP discriminators on 2-D samples: packing images concatenates "
                    + "channels, which NHWC tensors cannot give as a view (it needs a transpose kernel jgan does not have yet); use pack 1");
        }
        if (batch % m != 0) {
            throw new IllegalArgumentException("batch " + batch + " is not divisible by pack " + m + ": D sees batch / pack packed inputs"
                    + " of pack samples each; choose a batch that is a multiple of " + m);
        }
    }

    /**
     * The packed view of samples {@code x} [B, F] (row-major): [B/m, m F], packed row j holding
     * samples jm ... jm+m-1 in order (sample jm + i's feature f at column i F + f). Shares x's
     * memory (a view: closing it does nothing).
     *
     * @throws IllegalArgumentException when x is not 2-D or B is not divisible by m
     */
    public static Tensor pack(Tensor x, int m) {
        Shape s = x.shape();
        if (s.rank() != 2) {
            throw new IllegalArgumentException("pack: samples must be [batch, features], got " + s);
        }
        check(s.dim(0), m, false);
        return m == 1 ? x : x.reshape(Shape.of(s.dim(0) / m, m * s.dim(1)));
    }

    /**
     * The inverse of {@link #pack}: [B/m, m F] back to [B, F] for the gradient of the packed
     * input ({@code features} = F). A view.
     *
     * @throws IllegalArgumentException when the shape is not [rows, m * features]
     */
    public static Tensor unpack(Tensor packed, int m, int features) {
        Shape s = packed.shape();
        if (s.rank() != 2 || m < 1 || features < 1 || s.dim(1) != m * features) {
            throw new IllegalArgumentException("unpack: expected [rows, " + m + " x " + features + "] for pack " + m + ", got " + s);
        }
        return m == 1 ? packed : packed.reshape(Shape.of(s.dim(0) * m, features));
    }
}
