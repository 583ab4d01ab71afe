package jgan.tensor;

/**
 * Layout conversions for the edges of jgan (import, export, .npy files), on host float arrays,
 * never inside a training step. jgan keeps activations NHWC and filters KRSC (channels last);
 * PyTorch keeps activations NCHW, Conv2d weights OIHW = [K, C, R, S] and ConvTranspose2d
 * weights [in, out, kh, kw], which jgan keeps as [in, kh, kw, out].
 *
 * <p>All three are the same permutation of a 4-D row-major array: dimension 1 moved to the end
 * ({@link #channelsLast}) and back ({@link #channelsFirst}); the named methods say which is
 * which. Every method returns a new array and refuses (IllegalArgumentException) extents below
 * 1, a size above 2^31 - 1 or an array whose length is not the product of the extents.
 */
public final class Layouts {
    private Layouts() {
    }

    private static int size(String op, float[] src, int d0, int d1, int d2, int d3) {
        if (d0 < 1 || d1 < 1 || d2 < 1 || d3 < 1) {
            throw new IllegalArgumentException(op + ": extents [" + d0 + ", " + d1 + ", " + d2 + ", " + d3 + "] must be >= 1");
        }
        long n = (long) d0 * d1 * d2 * d3;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": [" + d0 + ", " + d1 + ", " + d2 + ", " + d3 + "] has more than 2^31-1 elements");
        }
        if (src.length != n) {
            throw new IllegalArgumentException(op + ": [" + d0 + ", " + d1 + ", " + d2 + ", " + d3 + "] needs " + n
                    + " elements, the array has " + src.length);
        }
        return (int) n;
    }

    /** [d0, d1, d2, d3] to [d0, d2, d3, d1]: out[a][b][c][j] = src[a][j][b][c]. */
    public static float[] channelsLast(float[] src, int d0, int d1, int d2, int d3) {
        float[] out = new float[size("channelsLast", src, d0, d1, d2, d3)];
        for (int a = 0; a < d0; a++) {
            for (int j = 0; j < d1; j++) {
                for (int b = 0; b < d2; b++) {
                    for (int c = 0; c < d3; c++) {
                        out[((a * d2 + b) * d3 + c) * d1 + j] = src[((a * d1 + j) * d2 + b) * d3 + c];
                    }
                }
            }
        }
        return out;
    }

    /** [d0, d1, d2, d3] to [d0, d3, d1, d2]: the inverse of {@link #channelsLast}, out[a][j][b][c] = src[a][b][c][j]. */
    public static float[] channelsFirst(float[] src, int d0, int d1, int d2, int d3) {
        float[] out = new float[size("channelsFirst", src, d0, d1, d2, d3)];
        for (int a = 0; a < d0; a++) {
            for (int b = 0; b < d1; b++) {
                for (int c = 0; c < d2; c++) {
                    for (int j = 0; j < d3; j++) {
                        out[((a * d3 + j) * d1 + b) * d2 + c] = src[((a * d1 + b) * d2 + c) * d3 + j];
                    }
                }
            }
        }
        return out;
    }

    /** Activations: PyTorch's NCHW [n, c, h, w] to jgan's NHWC [n, h, w, c]. */
    public static float[] nchwToNhwc(float[] src, int n, int c, int h, int w) {
        return channelsLast(src, n, c, h, w);
    }

    /** Activations: jgan's NHWC [n, h, w, c] to PyTorch's NCHW [n, c, h, w]. */
    public static float[] nhwcToNchw(float[] src, int n, int h, int w, int c) {
        return channelsFirst(src, n, h, w, c);
    }

    /** Conv2d weights: PyTorch's OIHW [k, c, r, s] (out, in, kh, kw) to jgan's KRSC [k, r, s, c]. */
    public static float[] oihwToKrsc(float[] src, int k, int c, int r, int s) {
        return channelsLast(src, k, c, r, s);
    }

    /** Conv2d weights: jgan's KRSC [k, r, s, c] to PyTorch's OIHW [k, c, r, s]. */
    public static float[] krscToOihw(float[] src, int k, int r, int s, int c) {
        return channelsFirst(src, k, r, s, c);
    }

    /** ConvTranspose2d weights: PyTorch's [in, out, kh, kw] to jgan's [in, kh, kw, out]. */
    public static float[] convTransposeTorchToJgan(float[] src, int in, int out, int kh, int kw) {
        return channelsLast(src, in, out, kh, kw);
    }

    /** ConvTranspose2d weights: jgan's [in, kh, kw, out] to PyTorch's [in, out, kh, kw]. */
    public static float[] convTransposeJganToTorch(float[] src, int in, int kh, int kw, int out) {
        return channelsFirst(src, in, kh, kw, out);
    }
}
