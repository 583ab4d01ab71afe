package jgan.reference;

/** Plain-Java swap of the two middle axes: the oracle for kernels/swap_axes.cu. */
public final class SwapAxesReference {
    private SwapAxesReference() {
    }

    /** x [groups, a, b, c] row-major to [groups, b, a, c]: out[g][j][i][k] = x[g][i][j][k]. */
    public static float[] swapMiddle(float[] x, int groups, int a, int b, int c) {
        float[] y = new float[x.length];
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < a; i++) {
                for (int j = 0; j < b; j++) {
                    for (int k = 0; k < c; k++) {
                        y[((g * b + j) * a + i) * c + k] = x[((g * a + i) * b + j) * c + k];
                    }
                }
            }
        }
        return y;
    }
}
