package jgan.reference;

/**
 * Plain-Java R1 gradient penalty of a ReLU / leaky-ReLU MLP discriminator, in double: the oracle
 * for jgan.nn.R1Penalty. Source: Mescheder, Geiger, Nowozin 2018, "Which Training Methods for GANs
 * do actually Converge?", eq. 9: R1(psi) = gamma / 2 * E_{x ~ p_data} ||grad_x D_psi(x)||^2, with
 * D the logit (before any sigmoid) and the expectation the mean over the batch.
 *
 * <p>The network: h_0 = x [B, widths[0]] (row-major; a packed row for PacGAN is just a wider x);
 * for l = 1..L-1 h_l = act_l(h_{l-1} W_l^T + b_l) with act_l(z) = z &gt; 0 ? z : slopes[l-1] * z
 * (ReLU: slope 0); the logit D = h_{L-1} W_L^T + b_L. W_l is [widths[l], widths[l-1]] row-major
 * (PyTorch's nn.Linear layout), b_l [widths[l]], widths[L] = 1.
 *
 * <p>With the activation masks m_l = act_l'(pre-activation) (1 or the slope; piecewise constant,
 * so their derivative is 0 almost everywhere and no second derivative enters):
 * a_L = 1, a_l = m_l * (W_{l+1}^T a_{l+1}); grad_x D = delta = W_1^T a_1 (per sample). Then with
 * r_0 = (gamma / B) delta and r_l = m_l * (W_l r_{l-1}):
 * dR1/dW_l = sum over the batch of a_l r_{l-1}^T (l = 1..L); the biases get no R1 gradient.
 */
public final class R1Reference {
    private R1Reference() {
    }

    /**
     * R1's value, its gradient with respect to every W_l ([widths[l] * widths[l-1]] each, row-major)
     * and D's input gradient delta [B, widths[0]] (unscaled: grad_x D per sample).
     */
    public record Result(double value, double[][] weightGrads, double[] inputGrads) {
    }

    private static int layers(double[][] w, double[][] b, int[] widths, double[] slopes) {
        int n = w.length;
        if (n < 1 || b.length != n || widths.length != n + 1 || widths[n] != 1 || slopes.length != n - 1) {
            throw new IllegalArgumentException("r1 reference: " + n + " weights, " + b.length + " biases, " + widths.length + " widths (last "
                    + widths[widths.length - 1] + ", must be 1) and " + slopes.length + " slopes do not describe one MLP");
        }
        for (int l = 0; l < n; l++) {
            if (w[l].length != widths[l + 1] * widths[l] || b[l].length != widths[l + 1]) {
                throw new IllegalArgumentException("r1 reference: layer " + (l + 1) + " has " + w[l].length + " weights and " + b[l].length
                        + " biases for " + widths[l] + " -> " + widths[l + 1]);
            }
        }
        return n;
    }

    /** The pre-activations z_l [widths[l]] of one sample (index l-1 for layer l, the last one the logit). */
    private static double[][] preActivations(double[][] w, double[][] b, int[] widths, double[] slopes, double[] x, int row) {
        int n = w.length;
        double[][] z = new double[n][];
        double[] h = new double[widths[0]];
        System.arraycopy(x, row * widths[0], h, 0, widths[0]);
        for (int l = 0; l < n; l++) {
            int in = widths[l], out = widths[l + 1];
            z[l] = new double[out];
            double[] next = new double[out];
            for (int o = 0; o < out; o++) {
                double s = b[l][o];
                for (int i = 0; i < in; i++) {
                    s += w[l][o * in + i] * h[i];
                }
                z[l][o] = s;
                next[o] = l == n - 1 || s > 0 ? s : slopes[l] * s;
            }
            h = next;
        }
        return z;
    }

    /** D's logits [B] for x [B, widths[0]]. */
    public static double[] logits(double[][] w, double[][] b, int[] widths, double[] slopes, double[] x, int batch) {
        int n = layers(w, b, widths, slopes);
        double[] out = new double[batch];
        for (int s = 0; s < batch; s++) {
            out[s] = preActivations(w, b, widths, slopes, x, s)[n - 1][0];
        }
        return out;
    }

    /**
     * The smallest |pre-activation| of the hidden layers over the batch: how far the masks are from
     * changing (tests compare only where this exceeds their step or the float error).
     */
    public static double kinkMargin(double[][] w, double[][] b, int[] widths, double[] slopes, double[] x, int batch) {
        int n = layers(w, b, widths, slopes);
        double min = Double.MAX_VALUE;
        for (int s = 0; s < batch; s++) {
            double[][] z = preActivations(w, b, widths, slopes, x, s);
            for (int l = 0; l < n - 1; l++) {
                for (double v : z[l]) {
                    min = Math.min(min, Math.abs(v));
                }
            }
        }
        return min;
    }

    /**
     * R1 = gamma / (2 B) * sum_b ||grad_x D(x_b)||^2 and its weight gradients, for x [B, widths[0]].
     *
     * @throws IllegalArgumentException when the arrays do not describe one MLP with a 1-wide logit
     */
    public static Result penalty(double[][] w, double[][] b, int[] widths, double[] slopes, double[] x, int batch, double gamma) {
        int n = layers(w, b, widths, slopes);
        if (x.length != batch * widths[0]) {
            throw new IllegalArgumentException("r1 reference: x has " + x.length + " values, not " + batch + " x " + widths[0]);
        }
        double[][] dw = new double[n][];
        for (int l = 0; l < n; l++) {
            dw[l] = new double[w[l].length];
        }
        double[] delta = new double[x.length];
        double value = 0;
        for (int s = 0; s < batch; s++) {
            double[][] z = preActivations(w, b, widths, slopes, x, s);
            double[][] mask = new double[n][];
            for (int l = 0; l < n - 1; l++) {
                mask[l] = new double[widths[l + 1]];
                for (int o = 0; o < widths[l + 1]; o++) {
                    mask[l][o] = z[l][o] > 0 ? 1 : slopes[l];
                }
            }
            // a[l] belongs to layer l+1's output (a[n-1] = 1, the logit's upstream)
            double[][] a = new double[n][];
            a[n - 1] = new double[] {1};
            for (int l = n - 1; l >= 1; l--) {
                int in = widths[l], out = widths[l + 1];
                a[l - 1] = new double[in];
                for (int i = 0; i < in; i++) {
                    double t = 0;
                    for (int o = 0; o < out; o++) {
                        t += w[l][o * in + i] * a[l][o];
                    }
                    a[l - 1][i] = mask[l - 1][i] * t;
                }
            }
            double norm = 0;
            for (int i = 0; i < widths[0]; i++) {
                double t = 0;
                for (int o = 0; o < widths[1]; o++) {
                    t += w[0][o * widths[0] + i] * a[0][o];
                }
                delta[s * widths[0] + i] = t;
                norm += t * t;
            }
            value += gamma / (2.0 * batch) * norm;
            double[] r = new double[widths[0]];
            for (int i = 0; i < widths[0]; i++) {
                r[i] = gamma / batch * delta[s * widths[0] + i];
            }
            for (int l = 0; l < n; l++) {
                int in = widths[l], out = widths[l + 1];
                for (int o = 0; o < out; o++) {
                    for (int i = 0; i < in; i++) {
                        dw[l][o * in + i] += a[l][o] * r[i];
                    }
                }
                if (l < n - 1) {
                    double[] next = new double[out];
                    for (int o = 0; o < out; o++) {
                        double t = 0;
                        for (int i = 0; i < in; i++) {
                            t += w[l][o * in + i] * r[i];
                        }
                        next[o] = mask[l][o] * t;
                    }
                    r = next;
                }
            }
        }
        return new Result(value, dw, delta);
    }
}
