package jgan.kernels;

import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * Transposed 2-D convolution (PyTorch's {@code ConvTranspose2d}, output_padding included), the
 * generator's upsampling, run on the convolution kernels of kernels/conv.cu with no kernel of
 * its own and no zero-stuffed input: it is the mirrored convolution {@code pr} (from
 * {@link ConvProblem#transposed}) run backwards.
 *
 * <pre>
 *   transposed op       = kernel on the mirrored problem pr
 *   forward             = dgrad  (its input plays dy [N, P, Q, K], its output dx [N, H, W, C]; bias and act in the epilogue)
 *   backward data       = fprop  (dy of the output plays x, times act'(y) as it is loaded)
 *   backward weight     = wgrad with the roles swapped (its input plays dy, the output gradient plays x)
 * </pre>
 *
 * Shapes (NHWC): input x [N, hIn, wIn, in] = [N, P, Q, K] of pr, weight w [in, kh, kw, out] =
 * [K, R, S, C] (PyTorch's [in, out, kh, kw] permuted), bias [out], output y [N, hOut, wOut, out]
 * = [N, H, W, C] with hOut = (hIn - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1.
 * Reference: {@link jgan.reference.ConvReference#transposedForward}.
 */
public final class ConvTranspose2d {
    public static final String FORWARD = "conv_transpose2d_forward";
    public static final String BACKWARD_DATA = "conv_transpose2d_backward_data";
    public static final String BACKWARD_WEIGHT = "conv_transpose2d_backward_weight";

    private ConvTranspose2d() {
    }

    /**
     * y = act(convT(x, w) + bias), bias [out] may be null.
     *
     * @param pr the mirrored problem ({@link ConvProblem#transposed})
     * @param x  input [N, P, Q, K]
     * @param w  weight [K, R, S, C]
     * @param y  output [N, H, W, C]
     * @throws IllegalArgumentException on any shape, device or argument disagreement
     */
    public static void forward(ConvProblem pr, Tensor x, Tensor w, Tensor bias, Tensor y, Activation act, float slope, MathMode mode) {
        check(FORWARD, pr, "x", x, "y", y, w);
        if (bias != null) {
            Conv2d.shape(FORWARD, pr, "bias", bias, Shape.of(pr.c()));
        }
        Conv2d.dgrad(FORWARD, pr, x, null, w, bias, y, Activation.IDENTITY, slope, act, false, mode, Conv2d.Path.AUTO);
    }

    /**
     * dx = conv(dy * act'(y), w): the gradient with respect to the input [N, P, Q, K], from the
     * output gradient dy and the forward's output y [N, H, W, C] (y may be null with identity).
     *
     * @throws IllegalArgumentException on any shape, device or argument disagreement
     */
    public static void backwardData(ConvProblem pr, Tensor dy, Tensor y, Tensor w, Tensor dx, Activation act, float slope,
                                    MathMode mode) {
        check(BACKWARD_DATA, pr, "dx", dx, "dy", dy, w);
        checkY(BACKWARD_DATA, pr, y, act);
        Conv2d.fprop(BACKWARD_DATA, pr, dy, y, act, w, null, dx, Activation.IDENTITY, slope, mode, null, Conv2d.Path.AUTO);
    }

    /**
     * dw (= or +=) the weight gradient [K, R, S, C] from the forward's input x [N, P, Q, K] and
     * the output gradient dy (times act'(y), y [N, H, W, C] may be null with identity). The bias
     * gradient (sum of dy * act'(y) over N*H*W per output channel) is not part of this GEMM: use
     * {@link BiasGrad} on dy viewed as [N*H*W, out] (identity activation).
     *
     * @throws IllegalArgumentException on any shape, device or argument disagreement
     */
    public static void backwardWeight(ConvProblem pr, Tensor dy, Tensor y, Tensor x, Tensor dw, Activation act, float slope,
                                      boolean accumulate, MathMode mode) {
        check(BACKWARD_WEIGHT, pr, "x", x, "dy", dy, dw);
        checkY(BACKWARD_WEIGHT, pr, y, act);
        Conv2d.wgrad(BACKWARD_WEIGHT, pr, x, null, Activation.IDENTITY, dy, y, act, dw, null, slope, accumulate, mode);
    }

    /** Checks in the transposed op's own names: an input-side tensor [N, P, Q, K], an output-side one [N, H, W, C], a weight [K, R, S, C]. */
    private static void check(String op, ConvProblem pr, String inName, Tensor in, String outName, Tensor out, Tensor w) {
        Conv2d.nonNull(op, pr, inName, in, outName, out, "w", w);
        Conv2d.shape(op, pr, inName, in, pr.outputShape());
        Conv2d.shape(op, pr, outName, out, pr.inputShape());
        Conv2d.shape(op, pr, "w", w, pr.filterShape());
    }

    private static void checkY(String op, ConvProblem pr, Tensor y, Activation act) {
        if (y == null && act != Activation.IDENTITY) {
            throw new IllegalArgumentException(op + ": act " + act + " needs the forward's output y: " + pr);
        }
        if (y != null) {
            Conv2d.shape(op, pr, "y", y, pr.inputShape());
        }
    }
}
