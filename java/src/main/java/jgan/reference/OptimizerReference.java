package jgan.reference;

/**
 * Plain-Java Adam and SGD: the oracle for kernels/optimizer.cu. The state is kept in float
 * arrays (as on the device), each update is computed in double and rounded once when stored.
 */
public final class OptimizerReference {
    private OptimizerReference() {
    }

    /**
     * One Adam update, number {@code t} (1 for the first), in place: m, v, p and, when
     * {@code zeroGrads}, g. Decoupled weight decay; clip > 0 clamps p to [-clip, clip].
     */
    public static void adam(float[] p, float[] g, float[] m, float[] v, int t, double lr, double beta1, double beta2, double eps,
                            double weightDecay, double clip, boolean zeroGrads) {
        double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
        for (int i = 0; i < p.length; i++) {
            double gi = g[i];
            double mi = beta1 * m[i] + (1 - beta1) * gi;
            double vi = beta2 * v[i] + (1 - beta2) * gi * gi;
            m[i] = (float) mi;
            v[i] = (float) vi;
            // The device divides what it stored: the rounded moments.
            double mhat = m[i] / bc1, vhat = v[i] / bc2;
            double pi = p[i];
            p[i] = (float) clip(pi - lr * (mhat / (Math.sqrt(vhat) + eps) + weightDecay * pi), clip);
            if (zeroGrads) {
                g[i] = 0f;
            }
        }
    }

    /**
     * The learning rate of update {@code t} (1 for the first; k = t - 1 updates before it) under
     * a schedule, as the float the device stores: for k < warmup, base (k + 1) / warmup; else,
     * with p = min(k - warmup, T) / T and T = total - warmup, base (f + (1 - f) d(p)) where d = 1
     * ({@code kind} 0, constant), 1 - p (1, linear: PyTorch's LinearLR(1, f, T)) or
     * (1 + cos(pi p)) / 2 (2, cosine: PyTorch's CosineAnnealingLR(T, eta_min = f base)).
     */
    public static float scheduledRate(int t, double base, int kind, double f, int warmup, int total) {
        int k = t - 1;
        if (k < warmup) {
            return (float) (base * (k + 1) / warmup);
        }
        double span = total - warmup, done = k - warmup;
        double p = done < span ? done / span : 1.0;
        double d = switch (kind) {
            case 0 -> 1.0;
            case 1 -> 1.0 - p;
            case 2 -> 0.5 * (1.0 + Math.cos(Math.PI * p));
            default -> throw new IllegalArgumentException("schedule kind " + kind);
        };
        return (float) (base * (f + (1.0 - f) * d));
    }

    /**
     * The exponential moving average after update {@code t} (1 for the first) of the parameters
     * {@code p} as they are after it, in place: d = min(decay, (1 + t) / (10 + t)) (TensorFlow's
     * ExponentialMovingAverage with num_updates), ema = d ema + (1 - d) p.
     */
    public static void ema(float[] ema, float[] p, int t, double decay) {
        double d = Math.min(decay, (1.0 + t) / (10.0 + t));
        for (int i = 0; i < p.length; i++) {
            ema[i] = (float) (d * ema[i] + (1 - d) * p[i]);
        }
    }

    /**
     * One SGD update in place: g' = g + weightDecay p; with momentum > 0, buf = momentum buf + g'
     * and the step is buf, else g'; p -= lr step; clip > 0 clamps p. {@code buf} may be null
     * when momentum is 0.
     */
    public static void sgd(float[] p, float[] g, float[] buf, double lr, double momentum, double weightDecay, double clip,
                           boolean zeroGrads) {
        for (int i = 0; i < p.length; i++) {
            double pi = p[i];
            double s = g[i] + weightDecay * pi;
            if (momentum > 0) {
                s = momentum * buf[i] + s;
                buf[i] = (float) s;
                s = buf[i]; // the device steps by what it stored
            }
            p[i] = (float) clip(pi - lr * s, clip);
            if (zeroGrads) {
                g[i] = 0f;
            }
        }
    }

    /** Clamp to [-c, c] when c > 0; NaN stays NaN (comparisons are false for it). */
    static double clip(double p, double c) {
        if (c > 0) {
            if (p > c) {
                return c;
            }
            if (p < -c) {
                return -c;
            }
        }
        return p;
    }
}
