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
 * <p>Convolutional discriminators pack channels (m images [H, W, C] as one [H, W, m C], channel
 * i C + k being image i's channel k): in NHWC the channels of one pixel of the m images are not
 * adjacent in memory, so a view cannot give it; {@link #packImages} copies it with one transpose
 * launch (kernels/swap_axes.cu) into a buffer, and {@link #unpackImages} takes D's data gradient
 * back the same way.
 */
public final class Packing {
    private Packing() {
    }

    /**
     * Refuses a packing degree that cannot be used: m >= 1; the batch divisible by m (naming both).
     * {@code images}: only words the message.
     *
     * @throws IllegalArgumentException naming the batch and m
     */
    public static void check(int batch, int m, boolean images) {
        if (m < 1) {
            throw new IllegalArgumentException("pack must be >= 1 (1: no packing), got " + m);
        }
        if (m == 1) {
            return;
        }
        if (batch % m != 0) {
            throw new IllegalArgumentException("batch " + batch + " is not divisible by pack " + m + ": D sees batch / pack packed "
                    + (images ? "images" : "inputs") + " of pack samples each; choose a batch that is a multiple of " + m);
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

    /**
     * Packs NHWC images {@code x} [B, H, W, C] into {@code out} [B/m, H, W, m C]: out[j, h, w,
     * i C + k] = x[j m + i, h, w, k] (one launch of jgan.kernels.SwapAxes). Returns out.
     *
     * @throws IllegalArgumentException when x is not 4-D, B is not divisible by m, or out is not [B/m, H, W, m C]
     */
    public static Tensor packImages(Tensor x, int m, Tensor out) {
        Shape s = x.shape();
        if (s.rank() != 4) {
            throw new IllegalArgumentException("pack: images must be [batch, H, W, C], got " + s);
        }
        check(s.dim(0), m, true);
        Shape want = Shape.of(s.dim(0) / m, s.dim(1), s.dim(2), m * s.dim(3));
        if (!out.shape().equals(want)) {
            throw new IllegalArgumentException("pack: images " + s + " with pack " + m + " go into " + want + ", got " + out.shape());
        }
        jgan.kernels.SwapAxes.swapMiddle(x, out, s.dim(0) / m, m, s.dim(1) * s.dim(2), s.dim(3));
        return out;
    }

    /**
     * The inverse of {@link #packImages}: {@code packed} [B/m, H, W, m C] (D's data gradient) into
     * {@code out} [B, H, W, C]. Returns out.
     *
     * @throws IllegalArgumentException when the shapes do not match
     */
    public static Tensor unpackImages(Tensor packed, int m, Tensor out) {
        Shape s = out.shape();
        if (s.rank() != 4 || m < 1 || s.dim(0) % m != 0) {
            throw new IllegalArgumentException("unpack: images must be [batch, H, W, C] with batch a multiple of " + m + ", got " + s);
        }
        Shape want = Shape.of(s.dim(0) / m, s.dim(1), s.dim(2), m * s.dim(3));
        if (packed.numel() != want.numel()) {
            throw new IllegalArgumentException("unpack: " + packed.shape() + " is not the pack " + m + " of " + s + " (" + want + ")");
        }
        jgan.kernels.SwapAxes.swapMiddle(packed, out, s.dim(0) / m, s.dim(1) * s.dim(2), m, s.dim(3));
        return out;
    }
}
