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
