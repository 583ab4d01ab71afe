package jgan.reference;

/** Plain-Java column sums in double: the oracle for kernels/bias_grad.cu. */
public final class BiasGradReference {
    private BiasGradReference() {
    }

    /**
     * db[j] = sum_i dy[i * cols + j], plus {@code initial[j]} when {@code initial} is not null
     * (the accumulate mode).
     */
    public static float[] columnSums(float[] dy, int rows, int cols, float[] initial) {
        double[] sums = new double[cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                sums[j] += dy[i * cols + j];
            }
        }
        float[] db = new float[cols];
        for (int j = 0; j < cols; j++) {
            db[j] = (float) (sums[j] + (initial == null ? 0 : initial[j]));
        }
        return db;
    }
}
