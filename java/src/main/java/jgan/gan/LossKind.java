package jgan.gan;

import java.util.Locale;

/**
 * The adversarial objectives. D sees logits (or critic values) on a real and a fake batch; each
 * kind says what D minimises and what G minimises.
 * <ul>
 *   <li>MINIMAX — Goodfellow et al.'s min_G max_D E[log D(x)] + E[log(1 - D(G(z)))]: D minimises
 *   BCE(real, 1) + BCE(fake, 0); G minimises -BCE(fake, 0) = E[log(1 - D(G(z)))] (saturating).</li>
 *   <li>NON_SATURATING — the same D; G minimises BCE(fake, 1) = -E[log D(G(z))]. The default.</li>
 *   <li>WASSERSTEIN — D (a critic) minimises mean(fake) - mean(real), with weight clipping and
 *   n_critic critic steps; G minimises -mean(fake).</li>
 *   <li>HINGE — D minimises mean(max(0, 1 - real)) + mean(max(0, 1 + fake)); G minimises -mean(fake).</li>
 *   <li>LEAST_SQUARES — D minimises (mean((real - 1)^2) + mean(fake^2)) / 2; G minimises mean((fake - 1)^2) / 2.</li>
 * </ul>
 * One-sided label smoothing replaces the real target 1 by 1 - s where there is a target.
 */
public enum LossKind {
    MINIMAX, NON_SATURATING, WASSERSTEIN, HINGE, LEAST_SQUARES;

    /** The command line's names: minimax, nonsaturating, wasserstein, hinge, lsgan. */
    public static LossKind named(String name) {
        return switch (name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "")) {
            case "minimax" -> MINIMAX;
            case "nonsaturating", "ns" -> NON_SATURATING;
            case "wasserstein", "wgan" -> WASSERSTEIN;
            case "hinge" -> HINGE;
            case "leastsquares", "lsgan", "ls" -> LEAST_SQUARES;
            default -> throw new IllegalArgumentException("unknown loss '" + name
                    + "': use minimax, nonsaturating, wasserstein, hinge or lsgan");
        };
    }

    public String cliName() {
        return switch (this) {
            case MINIMAX -> "minimax";
            case NON_SATURATING -> "nonsaturating";
            case WASSERSTEIN -> "wasserstein";
            case HINGE -> "hinge";
            case LEAST_SQUARES -> "lsgan";
        };
    }

    /** Whether D's output is a probability's logit (so mean D(x) is reported through a sigmoid). */
    public boolean logits() {
        return this == MINIMAX || this == NON_SATURATING;
    }
}
