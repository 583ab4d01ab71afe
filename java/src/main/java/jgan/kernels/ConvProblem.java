package jgan.kernels;

import jgan.device.KernelArgs;
import jgan.tensor.Shape;

/**
 * One 2-D convolution (cross-correlation, as PyTorch's {@code Conv2d}) and its three GEMMs: the one
 * problem value shared by the Java faces and the kernels (kernels/conv.cu), in CUTLASS's
 * vocabulary. Layouts are channels-last: activations x [N, H, W, C] (NHWC), filters
 * w [K, R, S, C] (KRSC), output y [N, P, Q, K] (NPQK).
 *
 * <pre>
 *   y[n, p, q, k] = sum over r, s, c of x[n, p*strideH - padTop + r*dilationH, q*strideW - padLeft + s*dilationW, c] * w[k, r, s, c]
 *   P = (H + padTop + padBottom - dilationH*(R-1) - 1) / strideH + 1      (floor; likewise Q)
 *
 *   pass    GEMM M   GEMM N   GEMM K   A                   B                  C
 *   fprop   N*P*Q    K        R*S*C    x  (implicit im2col) w  (KRSC)          y  (NPQK)
 *   dgrad   N*H*W    C        R*S*K    dy (NPQK, implicit)  w  (KRSC, as RSK x C) dx (NHWC)
 *   wgrad   K        R*S*C    N*P*Q    dy^T (NPQK)          x  (implicit im2col) dw (KRSC)
 * </pre>
 *
 * Padding may be asymmetric (TensorFlow's 'same' with stride 2 on an even size pads one more
 * row/column at the bottom/right: {@link #same}); the bottom/right padding may be negative (a
 * crop of the last rows/columns), which only {@link #transposed} with output_padding produces. Output sizes are computed here, once, and a
 * problem that leaves no output or whose tensors exceed 2^31 - 1 elements is refused.
 *
 * <p>A transposed convolution ({@link #transposed}) is the mirrored convolution run backwards:
 * its input plays this problem's dy [N, P, Q, K], its output this problem's dx [N, H, W, C], and
 * its weight (PyTorch's ConvTranspose2d [in, out, kh, kw], stored here as [in, kh, kw, out]) this
 * problem's KRSC filter with K = in channels, C = out channels.
 *
 * @param n batch
 * @param h input height
 * @param w input width
 * @param c input channels
 * @param k output channels (filters)
 * @param r filter height
 * @param s filter width
 * @param padTop rows of zeros above the input
 * @param padBottom rows of zeros below
 * @param padLeft columns of zeros to the left
 * @param padRight columns of zeros to the right
 * @param strideH vertical stride
 * @param strideW horizontal stride
 * @param dilationH vertical dilation (1: dense filter)
 * @param dilationW horizontal dilation
 */
public record ConvProblem(int n, int h, int w, int c, int k, int r, int s, int padTop, int padBottom, int padLeft,
                          int padRight, int strideH, int strideW, int dilationH, int dilationW) {

    public ConvProblem {
        String what = describe(n, h, w, c, k, r, s, padTop, padBottom, padLeft, padRight, strideH, strideW, dilationH, dilationW);
        if (n < 1 || h < 1 || w < 1 || c < 1 || k < 1 || r < 1 || s < 1) {
            throw new IllegalArgumentException("conv: every size must be >= 1: " + what);
        }
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1) {
            throw new IllegalArgumentException("conv: stride and dilation must be >= 1: " + what);
        }
        if (padTop < 0 || padLeft < 0) {
            throw new IllegalArgumentException("conv: padding must be >= 0: " + what);
        }
        // A negative bottom/right padding crops the last rows/columns (they are never read): how a
        // transposed convolution's output_padding mirrors (ConvProblem.transposed). PyTorch's own
        // Conv2d arguments never give one; the output-size check below still requires P, Q >= 1.

        long p = outSize(h, padTop, padBottom, r, dilationH, strideH), q = outSize(w, padLeft, padRight, s, dilationW, strideW);
        if (p < 1 || q < 1) {
            throw new IllegalArgumentException("conv: the padded input " + ((long) h + padTop + padBottom) + "x"
                    + ((long) w + padLeft + padRight) + " is smaller than the dilated filter "
                    + ((long) dilationH * (r - 1) + 1) + "x" + ((long) dilationW * (s - 1) + 1) + ", no output: " + what);
        }
        long[] sizes = {(long) n * h * w * c, (long) n * p * q * k, (long) k * r * s * c, (long) n * p * q, (long) n * h * w,
                (long) r * s * c, (long) r * s * k};
        for (long v : sizes) {
            if (v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("conv: a tensor or GEMM extent of " + v + " exceeds 2^31 - 1: " + what);
            }
        }
    }

    private static long outSize(int in, int before, int after, int filter, int dilation, int stride) {
        long span = (long) in + before + after - (long) dilation * (filter - 1) - 1;
        return span < 0 ? 0 : span / stride + 1;
    }

    private static String describe(int n, int h, int w, int c, int k, int r, int s, int pt, int pb, int pl, int pr, int sh, int sw,
                                   int dh, int dw) {
        return "N=" + n + " H=" + h + " W=" + w + " C=" + c + " K=" + k + " R=" + r + " S=" + s + " padding (top, bottom, left, right)=("
                + pt + ", " + pb + ", " + pl + ", " + pr + ") stride=(" + sh + ", " + sw + ") dilation=(" + dh + ", " + dw + ")";
    }

    /** Square filter, the same padding on every side, the same stride and dilation both ways (PyTorch's int arguments). */
    public static ConvProblem of(int n, int h, int w, int c, int k, int filter, int stride, int padding, int dilation) {
        return new ConvProblem(n, h, w, c, k, filter, filter, padding, padding, padding, padding, stride, stride, dilation, dilation);
    }

    /**
     * TensorFlow's 'same' padding: output ceil(H / stride) x ceil(W / stride); the total padding
     * max((P-1)*stride + (R-1)*dilation + 1 - H, 0) is split with the odd row/column at the
     * bottom/right.
     */
    public static ConvProblem same(int n, int h, int w, int c, int k, int filter, int stride, int dilation) {
        int p = (h + stride - 1) / stride, q = (w + stride - 1) / stride;
        int padH = Math.max((p - 1) * stride + (filter - 1) * dilation + 1 - h, 0);
        int padW = Math.max((q - 1) * stride + (filter - 1) * dilation + 1 - w, 0);
        return new ConvProblem(n, h, w, c, k, filter, filter, padH / 2, padH - padH / 2, padW / 2, padW - padW / 2, stride, stride,
                dilation, dilation);
    }

    /**
     * PyTorch's {@code ConvTranspose2d(in, out, filter, stride, padding, output_padding, dilation)}
     * on an input [n, hIn, wIn, in] (NHWC), as the mirrored convolution: the returned problem's
     * output [N, P, Q, K] = [n, hIn, wIn, in] is the transposed convolution's input, its input
     * [N, H, W, C] = [n, hOut, wOut, out] the transposed convolution's output, with
     * hOut = (hIn - 1)*stride - 2*padding + dilation*(filter - 1) + outputPadding + 1.
     * outputPadding must be smaller than stride or dilation (PyTorch's rule).
     */
    public static ConvProblem transposed(int n, int hIn, int wIn, int in, int out, int filter, int stride, int padding,
                                         int outputPadding, int dilation) {
        if (outputPadding < 0 || (outputPadding >= stride && outputPadding >= dilation)) {
            throw new IllegalArgumentException("conv_transpose: output_padding " + outputPadding
                    + " must be >= 0 and smaller than either stride " + stride + " or dilation " + dilation);
        }
        if (stride < 1 || dilation < 1 || padding < 0 || filter < 1 || hIn < 1 || wIn < 1) {
            throw new IllegalArgumentException("conv_transpose: sizes, filter, stride and dilation must be >= 1 and padding >= 0: input "
                    + hIn + "x" + wIn + " filter " + filter + " stride " + stride + " padding " + padding + " dilation " + dilation);
        }
        long hOut = (long) (hIn - 1) * stride - 2L * padding + (long) dilation * (filter - 1) + outputPadding + 1;
        long wOut = (long) (wIn - 1) * stride - 2L * padding + (long) dilation * (filter - 1) + outputPadding + 1;
        if (hOut < 1 || wOut < 1 || hOut > Integer.MAX_VALUE || wOut > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("conv_transpose: output " + hOut + "x" + wOut + " for input " + hIn + "x" + wIn
                    + ", filter " + filter + ", stride " + stride + ", padding " + padding + ", output_padding " + outputPadding);
        }
        // Bottom/right padding minus output_padding: the extra output rows/columns then lie past the
        // mirror's last window (they receive no input, only the bias), and P, Q come out exactly hIn, wIn.
        ConvProblem pr = new ConvProblem(n, (int) hOut, (int) wOut, out, in, filter, filter, padding, padding - outputPadding, padding,
                padding - outputPadding, stride, stride, dilation, dilation);
        if (pr.p() != hIn || pr.q() != wIn) { // cannot happen for valid arguments; the mirror must match exactly
            throw new IllegalStateException("conv_transpose: mirrored problem " + pr + " does not give back " + hIn + "x" + wIn);
        }
        return pr;
    }

    /** Output height. */
    public int p() {
        return (int) outSize(h, padTop, padBottom, r, dilationH, strideH);
    }

    /** Output width. */
    public int q() {
        return (int) outSize(w, padLeft, padRight, s, dilationW, strideW);
    }

    /** x [N, H, W, C]. */
    public Shape inputShape() {
        return Shape.of(n, h, w, c);
    }

    /** w [K, R, S, C]. */
    public Shape filterShape() {
        return Shape.of(k, r, s, c);
    }

    /** y [N, P, Q, K]. */
    public Shape outputShape() {
        return Shape.of(n, p(), q(), k);
    }

    /** Multiply-adds of one pass (each of fprop, dgrad, wgrad does N*P*Q*K*R*S*C, counting padding as work). */
    public long macs() {
        return (long) n * p() * q() * k * r * s * c;
    }

    /** The GEMM extents {M, N, K} of fprop. */
    public long[] fpropGemm() {
        return new long[] {(long) n * p() * q(), k, (long) r * s * c};
    }

    /** The GEMM extents {M, N, K} of dgrad. */
    public long[] dgradGemm() {
        return new long[] {(long) n * h * w, c, (long) r * s * k};
    }

    /** The GEMM extents {M, N, K} of wgrad. */
    public long[] wgradGemm() {
        return new long[] {k, (long) r * s * c, (long) n * p() * q()};
    }

    /**
     * Appends the problem to a launch's arguments in the order every conv kernel takes it:
     * {@code int n, int h, int w, int c, int k, int r, int s, int p, int q, int pad_top,
     * int pad_left, int stride_h, int stride_w, int dilation_h, int dilation_w}
     * (padBottom and padRight are implied by P and Q).
     */
    public KernelArgs addTo(KernelArgs args) {
        return args.i32(n).i32(h).i32(w).i32(c).i32(k).i32(r).i32(s).i32(p()).i32(q()).i32(padTop).i32(padLeft)
                .i32(strideH).i32(strideW).i32(dilationH).i32(dilationW);
    }

    @Override
    public String toString() {
        return "conv " + describe(n, h, w, c, k, r, s, padTop, padBottom, padLeft, padRight, strideH, strideW, dilationH, dilationW)
                + " -> P=" + p() + " Q=" + q();
    }
}
