package jgan.reference;

/** Plain-Java tanh, in double: the oracle for kernels/tanh.cu. */
public final class TanhReference {
    private TanhReference() {
    }

    public static float[] forward(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (float) Math.tanh(x[i]);
        }
        return y;
    }

    /** {@code y} is the forward's output: dx = dy (1 - y^2). */
    public static float[] backward(float[] y, float[] dy) {
        float[] dx = new float[y.length];
        for (int i = 0; i < y.length; i++) {
            double yi = y[i];
            dx[i] = (float) (dy[i] * (1 - yi * yi));
        }
        return dx;
    }
}
