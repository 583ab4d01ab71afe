package jgan.nn;

import java.util.List;

import jgan.device.Device;
import jgan.kernels.Activation;
import jgan.kernels.MathMode;
import jgan.tensor.Shape;

/**
 * Which generator/discriminator pair to build, and its sizes. The generator maps z [latent] to
 * an image [imageSize, imageSize, channels] (NHWC, tanh in [-1, 1]) or, for "mlp", to a point
 * [2]; the discriminator maps that to one logit (no sigmoid: the loss takes logits).
 *
 * <ul>
 *   <li>"dcgan" (Radford et al. 2015; the layers of PyTorch's DCGAN example, generalised):
 *     <ul>
 *       <li>imageSize 28: G z -> dense 2*ngf*49 (no bias) -> BN -> ReLU -> unflatten [7, 7, 2*ngf] ->
 *       convT(ngf, k4 s2 p1, no bias) -> BN -> ReLU -> convT(channels, k4 s2 p1) -> tanh;
 *       D conv(ndf, k4 s2 p1) -> leaky ReLU 0.2 -> conv(2*ndf, k4 s2 p1, no bias) -> BN -> leaky ReLU 0.2
 *       -> flatten -> dense 1.</li>
 *       <li>imageSize 4*2^d, 16..256 (d = 2..6): G z [1, 1, latent] -> convT(ngf*2^(d-1), k4 s1 p0) -> BN -> ReLU,
 *       then d-1 times convT(half the channels, k4 s2 p1) -> BN -> ReLU, then convT(channels, k4 s2 p1) -> tanh;
 *       D conv(ndf, k4 s2 p1) -> leaky ReLU 0.2, then d-1 times conv(twice the channels, k4 s2 p1) -> BN
 *       -> leaky ReLU 0.2, then conv(1, k4 s1 p0): a 4x4 valid convolution to one logit [1, 1, 1]. No
 *       convolution has a bias (PyTorch's example: bias=False). At 64 with ngf = ndf = 64 these are
 *       exactly the example's modules (its D's final Sigmoid is in jgan's loss).</li>
 *     </ul></li>
 *   <li>"mlp-conv": G z -> depthG dense layers of gWidth with leaky ReLU(slope) -> dense H*W*C -> tanh ->
 *   unflatten to the image; D depthD convolutions k5 stride 2 'same' (output ceil(H / 2); padded 2 on every
 *   side, which gives TensorFlow's 'same' sizes and keeps each an exact nn.Conv2d(padding=2), where
 *   TensorFlow pads 1 above and 2 below on even sizes), dWidth channels doubling each time, each with bias and
 *   leaky ReLU(slope) -> flatten -> dense 1. imageSize 4..256.</li>
 *   <li>"mlp": today's toy-mixture pair on 2-D points: G latent -> depthG x (dense width, activation) -> dense 2;
 *   D 2 -> depthD x (dense width, activation) -> dense 1.</li>
 * </ul>
 *
 * @param model      "dcgan", "mlp-conv" or "mlp"
 * @param imageSize  image height = width (ignored by "mlp")
 * @param channels   1 (grey) or 3 (RGB) (ignored by "mlp")
 * @param latent     z's length
 * @param gWidth     PyTorch's ngf (dcgan) / the hidden width of G (mlp-conv)
 * @param dWidth     PyTorch's ndf (dcgan) / the first conv's channels (mlp-conv)
 * @param width      the mlp's hidden width
 * @param depthG     hidden layers of G (mlp, mlp-conv)
 * @param depthD     hidden layers of D (mlp) / its convolutions (mlp-conv)
 * @param activation the mlp's hidden activation
 * @param slope      leaky ReLU's slope (mlp, mlp-conv; dcgan uses 0.2 as the paper)
 */
public record ModelSpec(String model, int imageSize, int channels, int latent, int gWidth, int dWidth, int width, int depthG,
                        int depthD, Activation activation, float slope) {
    public static final String DCGAN = "dcgan";
    public static final String MLP_CONV = "mlp-conv";
    public static final String MLP = "mlp";
    public static final List<String> MODELS = List.of(DCGAN, MLP_CONV, MLP);
    /** The image sizes "dcgan" builds. */
    public static final List<Integer> DCGAN_SIZES = List.of(16, 28, 32, 64, 128, 256);
    /** DCGAN's leaky ReLU slope. */
    public static final float DCGAN_SLOPE = 0.2f;

    /** Checks the sizes (as {@link #check()}). */
    public ModelSpec {
        check(model, imageSize, channels, latent, gWidth, dWidth, width, depthG, depthD);
    }

    /** DCGAN at {@code imageSize} with PyTorch's example's widths (nz 100, ngf = ndf = 64). */
    public static ModelSpec dcgan(int imageSize, int channels) {
        return new ModelSpec(DCGAN, imageSize, channels, 100, 64, 64, 0, 0, 0, Activation.LEAKY_RELU, DCGAN_SLOPE);
    }

    /** An mlp-conv pair. */
    public static ModelSpec mlpConv(int imageSize, int channels, int latent, int gWidth, int dWidth, int depthG, int depthD, float slope) {
        return new ModelSpec(MLP_CONV, imageSize, channels, latent, gWidth, dWidth, 0, depthG, depthD, Activation.LEAKY_RELU, slope);
    }

    /** The toy-mixture MLP pair. */
    public static ModelSpec mlp(int latent, int width, int depthG, int depthD, Activation activation, float slope) {
        return new ModelSpec(MLP, 0, 0, latent, 0, 0, width, depthG, depthD, activation, slope);
    }

    private static void check(String model, int imageSize, int channels, int latent, int gWidth, int dWidth, int width, int depthG,
                              int depthD) {
        if (model == null || !MODELS.contains(model)) {
            throw new IllegalArgumentException("model '" + model + "' is not one of " + String.join(", ", MODELS));
        }
        if (latent < 1) {
            throw new IllegalArgumentException(model + ": latent must be >= 1, got " + latent);
        }
        switch (model) {
            case DCGAN -> {
                if (!DCGAN_SIZES.contains(imageSize)) {
                    throw new IllegalArgumentException("dcgan: image size " + imageSize + " does not fit; sizes that work: "
                            + "28 or a power of two from 16 to 256 (" + DCGAN_SIZES + ")");
                }
                channels(model, channels);
                if (gWidth < 1 || dWidth < 1) {
                    throw new IllegalArgumentException("dcgan: g_width and d_width must be >= 1, got " + gWidth + ", " + dWidth);
                }
                int d = Integer.numberOfTrailingZeros(Math.max(imageSize, 4) / 4);
                long top = (long) Math.max(gWidth, dWidth) << Math.max(0, d - 1);
                if (top > 1 << 16) {
                    throw new IllegalArgumentException("dcgan: widths " + gWidth + "/" + dWidth + " at size " + imageSize + " give "
                            + top + " channels, more than 65536");
                }
            }
            case MLP_CONV -> {
                if (imageSize < 4 || imageSize > 256) {
                    throw new IllegalArgumentException("mlp-conv: image size " + imageSize + " does not fit; sizes that work: 4 to 256");
                }
                channels(model, channels);
                if (gWidth < 1 || dWidth < 1 || depthG < 0 || depthD < 1) {
                    throw new IllegalArgumentException("mlp-conv: g_width, d_width >= 1, depth_g >= 0, depth_d >= 1, got " + gWidth
                            + ", " + dWidth + ", " + depthG + ", " + depthD);
                }
                if ((long) dWidth << (depthD - 1) > 1 << 16) {
                    throw new IllegalArgumentException("mlp-conv: d_width " + dWidth + " doubled over " + depthD
                            + " convolutions exceeds 65536 channels");
                }
            }
            default -> {
                if (width < 1 || depthG < 0 || depthD < 0) {
                    throw new IllegalArgumentException("mlp: width >= 1 and depths >= 0, got width " + width + ", depths " + depthG
                            + ", " + depthD);
                }
            }
        }
    }

    private static void channels(String model, int channels) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException(model + ": channels " + channels + " does not fit; channels that work: 1 (grey) or 3 (RGB)");
        }
    }

    /** Checks the sizes again; the constructor already refuses a bad spec. */
    public ModelSpec check() {
        check(model, imageSize, channels, latent, gWidth, dWidth, width, depthG, depthD);
        return this;
    }

    /** The per-sample shape G produces and D reads: [imageSize, imageSize, channels], or [2] for "mlp". */
    public Shape dataShape() {
        return model.equals(MLP) ? Shape.of(2) : Shape.of(imageSize, imageSize, channels);
    }

    /** The init each model is meant to start from: DCGAN's N(0, 0.02) for dcgan, PyTorch's default otherwise. */
    public Init defaultInit() {
        return model.equals(DCGAN) ? Init.NORMAL_002 : Init.PYTORCH;
    }

    /** d with imageSize = 4 * 2^d (dcgan's powers of two). */
    private int doublings() {
        return Integer.numberOfTrailingZeros(imageSize / 4);
    }

    /** Builds G on {@code device}: z [batch, latent] in, [batch, ...dataShape()] out. Parameters zero until initialized. */
    public Sequential generator(Device device, MathMode mode) {
        return generatorLayers(mode).build(device);
    }

    /**
     * G's layers, not yet on a device (nothing allocated): for {@link Sequential.Builder#parameterCount()} and
     * {@link Sequential.Builder#activationCount()} (the memory a run needs, estimated before it is allocated).
     */
    public Sequential.Builder generatorLayers(MathMode mode) {
        check();
        switch (model) {
            case DCGAN -> {
                if (imageSize == 28) {
                    int c0 = 2 * gWidth;
                    return Sequential.builder(latent).mathMode(mode).dense(c0 * 49, false).batchNorm().relu()
                            .reshape(Shape.of(7, 7, c0)).convTranspose2d(gWidth, 4, 2, 1, 0, false).batchNorm().relu()
                            .convTranspose2d(channels, 4, 2, 1, 0, true).tanh();
                }
                int d = doublings();
                int c = gWidth << (d - 1);
                Sequential.Builder b = Sequential.builder(Shape.of(1, 1, latent)).mathMode(mode)
                        .convTranspose2d(c, 4, 1, 0, 0, false).batchNorm().relu();
                for (int i = 1; i < d; i++) {
                    c /= 2;
                    b.convTranspose2d(c, 4, 2, 1, 0, false).batchNorm().relu();
                }
                return b.convTranspose2d(channels, 4, 2, 1, 0, false).tanh();
            }
            case MLP_CONV -> {
                Sequential.Builder b = Sequential.builder(latent).mathMode(mode);
                for (int i = 0; i < depthG; i++) {
                    b.dense(gWidth).leakyRelu(slope);
                }
                return b.dense(imageSize * imageSize * channels).tanh().reshape(dataShape());
            }
            default -> {
                Sequential.Builder b = Sequential.builder(latent).mathMode(mode);
                for (int i = 0; i < depthG; i++) {
                    b.dense(width).activation(activation, slope);
                }
                return b.dense(2);
            }
        }
    }

    /** Builds D on {@code device}: [batch, ...dataShape()] in, one logit per sample out. Parameters zero until initialized. */
    public Sequential discriminator(Device device, MathMode mode) {
        return discriminator(device, mode, 1);
    }

    /**
     * Builds D for PacGAN's packing of {@code pack} samples (Lin et al. 2018): the same network on
     * inputs of pack times the features, [batch, 2 pack] (mlp) or [batch, H, W, pack channels]
     * (images: the samples' channels concatenated), one logit per pack. pack 1 is
     * {@link #discriminator(Device, MathMode)}.
     *
     * @throws IllegalArgumentException when pack < 1, or as {@link #check()}
     */
    public Sequential discriminator(Device device, MathMode mode, int pack) {
        return discriminatorLayers(mode, pack).build(device);
    }

    /** D's layers, not yet on a device (as {@link #generatorLayers}). */
    public Sequential.Builder discriminatorLayers(MathMode mode) {
        return discriminatorLayers(mode, 1);
    }

    /** D's layers for packs of {@code pack} samples, not yet on a device (see {@link #discriminator(Device, MathMode, int)}). */
    public Sequential.Builder discriminatorLayers(MathMode mode, int pack) {
        check();
        if (pack < 1) {
            throw new IllegalArgumentException(model + ": pack must be >= 1, got " + pack);
        }
        Shape in = model.equals(MLP) ? Shape.of(2 * pack) : Shape.of(imageSize, imageSize, channels * pack);
        switch (model) {
            case DCGAN -> {
                Sequential.Builder b = Sequential.builder(in).mathMode(mode);
                if (imageSize == 28) {
                    return b.conv2d(dWidth, 4, 2, 1, true).leakyRelu(DCGAN_SLOPE).conv2d(2 * dWidth, 4, 2, 1, false).batchNorm()
                            .leakyRelu(DCGAN_SLOPE).flatten().dense(1);
                }
                int d = doublings();
                int c = dWidth;
                b.conv2d(c, 4, 2, 1, false).leakyRelu(DCGAN_SLOPE);
                for (int i = 1; i < d; i++) {
                    c *= 2;
                    b.conv2d(c, 4, 2, 1, false).batchNorm().leakyRelu(DCGAN_SLOPE);
                }
                return b.conv2d(1, 4, 1, 0, false);
            }
            case MLP_CONV -> {
                Sequential.Builder b = Sequential.builder(in).mathMode(mode);
                int c = dWidth;
                for (int i = 0; i < depthD; i++, c *= 2) {
                    b.conv2d(c, 5, 2, 2, true).leakyRelu(slope); // 'same' size: ceil(H / 2)
                }
                return b.flatten().dense(1);
            }
            default -> {
                Sequential.Builder b = Sequential.builder(in).mathMode(mode);
                for (int i = 0; i < depthD; i++) {
                    b.dense(width).activation(activation, slope);
                }
                return b.dense(1);
            }
        }
    }
}
