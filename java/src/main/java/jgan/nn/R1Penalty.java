package jgan.nn;

import java.util.ArrayList;
import java.util.List;

import jgan.kernels.Activation;
import jgan.kernels.Dense;
import jgan.kernels.LeakyRelu;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * The R1 gradient penalty on a discriminator's gradient at real data (Mescheder, Geiger, Nowozin
 * 2018, "Which Training Methods for GANs do actually Converge?", eq. 9):
 * R1(psi) = gamma / 2 * E_{x ~ p_data} ||grad_x D_psi(x)||^2, D the logit (before any sigmoid), the
 * expectation the mean over D's batch of B rows (with PacGAN packing, the packed rows: the gradient
 * is with respect to D's packed input). {@link #accumulate} adds dR1/dW to D's weight gradients,
 * entirely with device launches (no host read), so it runs inside a captured step.
 *
 * <p>Scope: D a chain of dense layers, hidden ones with ReLU or leaky ReLU fused in, the last a
 * dense layer to one logit with no activation (the mlp model's D). Their derivative is piecewise
 * constant, so the double backward needs no second derivative: with the masks m_l = act_l'(y_l)
 * (1 or the slope) of D's forward on the REAL batch, grad_x D = W_1^T m_1 W_2^T ... m_{L-1} w_L is
 * multilinear in the weights. Any other D (tanh, convolutions, batch norm) is refused.
 *
 * <p>What runs (reference: jgan.reference.R1Reference), with s = sqrt(gamma / B) so that
 * gamma / B = s * s is split between the two passes (no scaling launch is needed):
 * <pre>
 * pass A (dgrad GEMMs, the mask multiply fused in): g_L = s (per row, [B, 1]);
 *   g_{l-1} = (g_l * m_l) W_l           for l = L..1   ([B, widths[l-1]]; m_L = 1, the logit)
 *   so g_l * m_l = s a_l and g_0 = s grad_x D
 * pass B: r_0 = g_0 (= r_0 of the reference divided by s);
 *   dW_l += (g_l * m_l)^T r_{l-1}       for l = 1..L   (a wgrad GEMM, accumulating; biases: nothing)
 *   r_l   = m_l * (r_{l-1} W_l^T)        for l = 1..L-1 (an fprop GEMM without bias, then
 *                                          leaky_relu_backward as the mask multiply, in place)
 * </pre>
 * Each wgrad forms s a_l times r_{l-1} / s: the reference's a_l r_{l-1}^T summed over the batch.
 * R1's value is 0.5 * sum(g_0^2) ({@link #value()}).
 */
public final class R1Penalty implements AutoCloseable {
    private final Sequential net;
    private final int batch;
    private final float gamma;
    private final List<DenseLayer> layers = new ArrayList<>();
    private final List<Tensor> weights = new ArrayList<>();
    private final List<Tensor> weightGrads = new ArrayList<>();
    /** [B, 1] filled with s = sqrt(gamma / B): the logit's upstream gradient. */
    private final Tensor upstream;
    /** g[l] [B, widths[l]], l = 0..L-1: pass A's unmasked gradients (g[0] = s grad_x D). */
    private final Tensor[] g;
    /** r[l] [B, widths[l]], l = 1..L-1 (r[0] is g[0]). */
    private final Tensor[] r;

    /**
     * Why R1 cannot run on {@code d}, or null when it can (dense layers with ReLU / leaky ReLU
     * hidden activations and a dense logit of width 1 without activation).
     */
    public static String refusal(Sequential d) {
        List<Layer> ls = d.layers();
        for (int i = 0; i < ls.size(); i++) {
            Layer l = ls.get(i);
            boolean last = i == ls.size() - 1;
            if (!(l instanceof DenseLayer dl)) {
                return "D's layer " + (i + 1) + " (" + l.describe() + ") is not a dense layer: R1 here differentiates twice through"
                        + " an MLP of dense layers with relu or leaky ReLU only (their derivative is piecewise constant, so no second"
                        + " derivative is needed)";
            }
            if (last && (dl.activation() != Activation.IDENTITY || dl.outShape().dim(0) != 1)) {
                return "D's last layer (" + l.describe() + ") must be a dense layer to one logit without activation";
            }
            if (!last && dl.activation() != Activation.RELU && dl.activation() != Activation.LEAKY_RELU) {
                return "D's layer " + (i + 1) + " (" + l.describe() + ") has activation " + dl.activation().name().toLowerCase()
                        + ": R1 needs relu or leaky ReLU hidden layers (their derivative is piecewise constant, so the double"
                        + " backward needs no second derivative)";
            }
        }
        return null;
    }

    /**
     * Buffers for the penalty of {@code d} on batches of {@code batch} rows (D's rows: packs with
     * PacGAN).
     *
     * @throws IllegalArgumentException for gamma not finite and &gt; 0, batch &lt; 1, or a D outside the scope ({@link #refusal})
     */
    public R1Penalty(Sequential d, int batch, float gamma) {
        if (!(gamma > 0) || !Float.isFinite(gamma)) {
            throw new IllegalArgumentException("r1: gamma must be a finite number > 0, got " + gamma);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("r1: batch must be >= 1, got " + batch);
        }
        String why = refusal(d);
        if (why != null) {
            throw new IllegalArgumentException("r1: " + why);
        }
        this.net = d;
        this.batch = batch;
        this.gamma = gamma;
        int n = d.layers().size();
        this.g = new Tensor[n];
        this.r = new Tensor[n];
        Tensor up = null;
        try {
            for (int i = 0; i < n; i++) {
                DenseLayer l = (DenseLayer) d.layers().get(i);
                layers.add(l);
                Shape w = Shape.of(l.outShape().dim(0), l.inShape().dim(0));
                weights.add(d.parameters().view(d.parameterOffset(i), w));
                weightGrads.add(d.gradients().view(d.parameterOffset(i), w));
                g[i] = Tensor.empty(d.device(), Shape.of(batch, l.inShape().dim(0)));
                if (i > 0) {
                    r[i] = Tensor.empty(d.device(), Shape.of(batch, l.inShape().dim(0)));
                }
            }
            up = Tensor.empty(d.device(), Shape.of(batch, 1));
            up.fill((float) Math.sqrt((double) gamma / batch));
        } catch (RuntimeException e) {
            if (up != null) {
                up.close();
            }
            closeBuffers();
            throw e;
        }
        this.upstream = up;
    }

    public float gamma() {
        return gamma;
    }

    public int batch() {
        return batch;
    }

    /**
     * Enqueues R1's weight gradients, added to D's gradients (biases unchanged), at the real batch
     * whose training forward {@code real} last ran (its layer outputs give the masks; they must be
     * unchanged since). Launches only: 2L - 1 GEMMs of pass A and B each side, L - 1 mask multiplies.
     *
     * @throws IllegalArgumentException when {@code real} is not a pass of this D at this batch
     */
    public void accumulate(Sequential.Pass real) {
        if (real.network() != net || real.batch() != batch) {
            throw new IllegalArgumentException("r1: the pass (batch " + real.batch() + ") is not one of this D at batch " + batch);
        }
        int n = layers.size();
        // pass A: g_{l-1} = (g_l * act'(y_l)) W_l, from the logit down to the input
        for (int i = n - 1; i >= 0; i--) {
            DenseLayer l = layers.get(i);
            Tensor dy = i == n - 1 ? upstream : g[i + 1];
            Dense.backwardData(dy, real.layerOutput(i), weights.get(i), g[i], l.activation(), l.slope(), l.mathMode());
        }
        // pass B: dW_l += (g_l * act'(y_l))^T r_{l-1}; r_l = act'(y_l) * (r_{l-1} W_l^T)
        Tensor prev = g[0];
        for (int i = 0; i < n; i++) {
            DenseLayer l = layers.get(i);
            Tensor dy = i == n - 1 ? upstream : g[i + 1];
            Tensor y = real.layerOutput(i);
            Dense.backwardWeight(dy, y, prev, weightGrads.get(i), null, l.activation(), l.slope(), true, l.mathMode());
            if (i < n - 1) {
                Dense.forward(prev, weights.get(i), null, r[i + 1], Activation.IDENTITY, 0f, l.mathMode());
                LeakyRelu.backward(y, r[i + 1], r[i + 1], l.slope());
                prev = r[i + 1];
            }
        }
    }

    /** s * grad_x D of the last {@link #accumulate} [B, D's input features], s = sqrt(gamma / B) (belongs to this penalty). */
    public Tensor scaledInputGradient() {
        return g[0];
    }

    /** R1's value at the last {@link #accumulate}: 0.5 * sum of {@link #scaledInputGradient()}^2 (reads the device). */
    public double value() {
        double v = 0;
        for (float x : g[0].toArray()) {
            v += (double) x * x;
        }
        return 0.5 * v;
    }

    private void closeBuffers() {
        for (Tensor[] ts : new Tensor[][] {g, r}) {
            for (Tensor t : ts) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    @Override
    public void close() {
        upstream.close();
        closeBuffers();
    }
}
