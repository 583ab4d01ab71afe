package jgan.data;

import java.util.Locale;

/**
 * A mixture of equally likely isotropic 2-D Gaussians: the mode-collapse benchmark of the GAN
 * literature, with the protocol of PacGAN and VEEGAN:
 * <ul>
 *   <li>{@code ring8}: 8 modes evenly spaced on a circle of radius 1, std 0.01;</li>
 *   <li>{@code grid25}: 25 modes on the 5x5 grid {-4, -2, 0, 2, 4}^2, std 0.05.</li>
 * </ul>
 */
public record Mixture(String name, float[] centers, float std) {
    public Mixture {
        if (centers.length == 0 || centers.length % 2 != 0) {
            throw new IllegalArgumentException("mixture centers must be (x, y) pairs, got " + centers.length + " floats");
        }
        if (!(std > 0) || !Float.isFinite(std)) {
            throw new IllegalArgumentException("mixture std must be a positive finite number, got " + std);
        }
        centers = centers.clone();
    }

    public static Mixture ring8() {
        float[] c = new float[16];
        for (int k = 0; k < 8; k++) {
            double a = 2 * Math.PI * k / 8;
            c[2 * k] = (float) Math.cos(a);
            c[2 * k + 1] = (float) Math.sin(a);
        }
        return new Mixture("ring8", c, 0.01f);
    }

    public static Mixture grid25() {
        float[] c = new float[50];
        int k = 0;
        for (int i = -2; i <= 2; i++) {
            for (int j = -2; j <= 2; j++) {
                c[k++] = 2 * i;
                c[k++] = 2 * j;
            }
        }
        return new Mixture("grid25", c, 0.05f);
    }

    /** By name: ring8 or grid25. */
    public static Mixture named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "ring8" -> ring8();
            case "grid25" -> grid25();
            default -> throw new IllegalArgumentException("unknown mixture '" + name + "': use ring8 or grid25");
        };
    }

    public int modes() {
        return centers.length / 2;
    }

    @Override
    public float[] centers() {
        return centers.clone();
    }

    /** The nearest mode to (x, y) and the squared distance to it. */
    public int nearestMode(float x, float y) {
        int best = 0;
        double bestD = Double.MAX_VALUE;
        for (int k = 0; k < modes(); k++) {
            double dx = x - centers[2 * k], dy = y - centers[2 * k + 1], d = dx * dx + dy * dy;
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return best;
    }

    public double distanceToMode(float x, float y, int mode) {
        return Math.hypot(x - centers[2 * mode], y - centers[2 * mode + 1]);
    }
}
