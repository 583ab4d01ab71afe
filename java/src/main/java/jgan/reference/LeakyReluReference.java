package jgan.reference;

/** Plain-Java leaky ReLU: the oracle for kernels/leaky_relu.cu. */
public final class LeakyReluReference {
    private LeakyReluReference() {
    }

    public static float[] forward(float[] x, float slope) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] > 0 ? x[i] : (float) ((double) slope * x[i]);
        }
        return y;
    }

    /** {@code y} is the forward's output (or input). */
    public static float[] backward(float[] y, float[] dy, float slope) {
        float[] dx = new float[y.length];
        for (int i = 0; i < y.length; i++) {
            dx[i] = y[i] > 0 ? dy[i] : (float) ((double) slope * dy[i]);
        }
        return dx;
    }
}
