package jgan.nn;

import java.util.List;

import jgan.kernels.ConvProblem;
import jgan.reference.BatchNormReference;
import jgan.reference.ConvReference;
import jgan.reference.DenseReference;
import jgan.reference.DenseReference.Rounding;

/**
 * A {@link Sequential} run on the host by the plain references (DenseReference, ConvReference,
 * BatchNormReference), layer by layer, from the network's structure and a copy of its flat
 * parameters and state: the oracle of the graph layer's forward. Activation codes are the
 * enum's ordinals (0 identity, 1 ReLU, 2 leaky ReLU, 3 tanh), as the references take them.
 */
final class ReferenceNet {
    private ReferenceNet() {
    }

    /** The output, and the state after the forward (running statistics updated when training). */
    record Result(float[] y, float[] buffers) {
    }

    static Result forward(Sequential net, float[] params, float[] buffers, float[] x, int batch, boolean training) {
        List<Layer> layers = net.layers();
        float[] h = x.clone();
        float[] state = buffers.clone();
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            int off = (int) net.parameterOffset(i), boff = (int) net.bufferOffset(i);
            if (l instanceof DenseLayer d) {
                int in = d.inFeatures(), out = d.outFeatures();
                float[] w = slice(params, off, out * in);
                float[] b = d.hasBias() ? slice(params, off + out * in, out) : null;
                h = DenseReference.forward(h, w, b, batch, in, out, d.activation().ordinal(), d.slope(), Rounding.NONE);
            } else if (l instanceof Conv2dLayer c) {
                ConvProblem pr = c.problem(batch);
                int nw = pr.k() * pr.r() * pr.s() * pr.c();
                h = ConvReference.fprop(pr, h, slice(params, off, nw), c.hasBias() ? slice(params, off + nw, pr.k()) : null,
                        c.activation().ordinal(), c.slope(), Rounding.NONE);
            } else if (l instanceof ConvTranspose2dLayer t) {
                ConvProblem pr = t.problem(batch);
                int nw = pr.k() * pr.r() * pr.s() * pr.c();
                h = ConvReference.transposedForward(pr, h, slice(params, off, nw), t.hasBias() ? slice(params, off + nw, pr.c()) : null,
                        t.activation().ordinal(), t.slope(), Rounding.NONE);
            } else if (l instanceof BatchNormLayer b) {
                int c = b.channels(), rows = h.length / c;
                float[] gamma = slice(params, off, c), beta = slice(params, off + c, c);
                float[] rm = slice(state, boff, c), rv = slice(state, boff + c, c);
                if (training) {
                    BatchNormReference.Forward f = BatchNormReference.forwardTrain(h, rows, c, gamma, beta, rm, rv, b.momentum(), b.eps(),
                            b.activation().ordinal(), b.slope());
                    h = f.y();
                    System.arraycopy(f.runningMean(), 0, state, boff, c);
                    System.arraycopy(f.runningVar(), 0, state, boff + c, c);
                } else {
                    h = BatchNormReference.forwardEval(h, rows, c, gamma, beta, rm, rv, b.eps(), b.activation().ordinal(), b.slope());
                }
            } else if (l instanceof ActivationLayer a) {
                float[] y = new float[h.length];
                for (int j = 0; j < h.length; j++) {
                    y[j] = (float) DenseReference.activate(h[j], a.activation().ordinal(), a.slope());
                }
                h = y;
            } else if (!(l instanceof ReshapeLayer)) {
                throw new IllegalStateException("no reference for " + l.describe());
            }
        }
        return new Result(h, state);
    }

    static float[] slice(float[] a, int off, int n) {
        float[] s = new float[n];
        System.arraycopy(a, off, s, 0, n);
        return s;
    }
}
