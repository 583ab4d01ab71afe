package jgan.reference;

/** Plain-Java mean and finiteness in double: the oracle for kernels/reduce.cu. */
public final class ReduceReference {
    private ReduceReference() {
    }

    /** The mean of x, or of sigmoid(x) when {@code sigmoid}. */
    public static double mean(float[] x, boolean sigmoid) {
        double sum = 0;
        for (float v : x) {
            sum += sigmoid ? 1 / (1 + Math.exp(-(double) v)) : v;
        }
        return sum / x.length;
    }

    /** Whether any element is NaN or +-Inf. */
    public static boolean anyNonFinite(float[] x) {
        for (float v : x) {
            if (!Float.isFinite(v)) {
                return true;
            }
        }
        return false;
    }
}
