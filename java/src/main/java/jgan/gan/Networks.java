package jgan.gan;

import jgan.device.Device;
import jgan.kernels.MathMode;
import jgan.nn.Sequential;

/**
 * G and D of a run, built from its config: the one place that maps {@link TrainConfig#model()}
 * to networks.
 * <ul>
 *   <li>{@code mlp} (2-D mixtures): z [latent] -> depth_g hidden dense layers of width -> 2; D: 2 -> depth_d
 *       hidden layers -> 1 logit; hidden activation {@code activation}.</li>
 * </ul>
 */
public final class Networks {
    private Networks() {
    }

    /** G: [batch, latent] -> [batch, 2] (mlp) or [batch, H, W, C] in [-1, 1] (images). */
    public static Sequential generator(Device device, TrainConfig c, MathMode mode) {
        return switch (c.model()) {
            case "mlp" -> mlp(device, c.latent(), c.depthG(), 2, c, mode);
            default -> throw new IllegalArgumentException("model " + c.model() + " is not available in this build");
        };
    }

    /** D: [batch, 2] or [batch, H, W, C] -> [batch, 1] logits (critic values for wasserstein). */
    public static Sequential discriminator(Device device, TrainConfig c, MathMode mode) {
        return switch (c.model()) {
            case "mlp" -> mlp(device, 2, c.depthD(), 1, c, mode);
            default -> throw new IllegalArgumentException("model " + c.model() + " is not available in this build");
        };
    }

    /**
     * Refuses a config whose networks cannot be built (sizes that do not fit the model), naming
     * sizes that work, before anything is allocated.
     */
    public static void check(TrainConfig c) {
        if (!c.model().equals("mlp")) {
            throw new IllegalArgumentException("model " + c.model() + " is not available in this build");
        }
    }

    /** An MLP: in -> depth hidden layers of c.width() with c.activation() -> out, the last layer linear. */
    static Sequential mlp(Device device, int in, int depth, int out, TrainConfig c, MathMode mode) {
        Sequential.Builder s = Sequential.builder(in).mathMode(mode);
        for (int i = 0; i < depth; i++) {
            s.dense(c.width()).activation(c.activation(), c.slope());
        }
        s.dense(out);
        return s.build(device);
    }
}
