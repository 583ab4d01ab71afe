package jgan.gan;

import jgan.device.Device;
import jgan.kernels.MathMode;
import jgan.nn.ModelSpec;
import jgan.nn.Sequential;

/**
 * G and D of a run, built from its config: the one place that maps a {@link TrainConfig} to
 * networks, through jgan.nn.ModelSpec (which documents each model's layers):
 * <ul>
 *   <li>{@code mlp} (2-D mixtures): z [latent] -> depth_g hidden dense layers of width -> 2; D: 2 -> depth_d
 *       hidden layers -> 1 logit; hidden activation {@code activation}.</li>
 *   <li>{@code dcgan}: DCGAN at image_size (28, or a power of two 16..256) with ngf = g_width, ndf = d_width.</li>
 *   <li>{@code mlp-conv}: a dense G (depth_g hidden layers of g_width, leaky ReLU slope, tanh image) and a D of
 *       depth_d stride-2 k5 'same' convolutions from d_width channels, then a dense logit.</li>
 * </ul>
 */
public final class Networks {
    private Networks() {
    }

    /** The model spec of a config. */
    public static ModelSpec spec(TrainConfig c) {
        return switch (c.model()) {
            case "mlp" -> ModelSpec.mlp(c.latent(), c.width(), c.depthG(), c.depthD(), c.activation(), c.slope());
            case "dcgan" -> new ModelSpec(ModelSpec.DCGAN, c.imageSize(), c.channels(), c.latent(), c.gWidth(), c.dWidth(), 0, 0, 0,
                    c.activation(), ModelSpec.DCGAN_SLOPE);
            case "mlp-conv" -> ModelSpec.mlpConv(c.imageSize(), c.channels(), c.latent(), c.gWidth(), c.dWidth(), c.depthG(), c.depthD(),
                    c.slope());
            default -> throw new IllegalArgumentException("unknown model '" + c.model() + "'");
        };
    }

    /** G: [batch, latent] -> [batch, 2] (mlp) or [batch, H, W, C] in [-1, 1] (images). Parameters zero until initialized. */
    public static Sequential generator(Device device, TrainConfig c, MathMode mode) {
        return spec(c).generator(device, mode);
    }

    /**
     * D: [batch, 2] or [batch, H, W, C] -> one logit per sample (critic values for wasserstein);
     * with pack m > 1, [batch / m, 2 m] or [batch / m, H, W, m C] -> one logit per pack of m
     * samples (PacGAN; {@link Packing}). Parameters zero until initialized.
     */
    public static Sequential discriminator(Device device, TrainConfig c, MathMode mode) {
        return spec(c).discriminator(device, mode, c.pack());
    }

    /**
     * Refuses a config whose networks cannot be built (sizes that do not fit the model), naming
     * sizes that work, before anything is allocated.
     *
     * @throws IllegalArgumentException from jgan.nn.ModelSpec's check
     */
    public static void check(TrainConfig c) {
        spec(c).check();
    }
}
