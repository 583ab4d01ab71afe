package jgan.testing;

import static org.junit.jupiter.api.Assertions.fail;

/** Elementwise comparison with |out - ref| <= atol + rtol * |ref|, printing the first mismatches. */
public final class Tolerance {
    private Tolerance() {
    }

    public static void assertClose(String what, float[] out, float[] ref, double atol, double rtol) {
        if (out.length != ref.length) {
            fail(what + ": " + out.length + " values, reference has " + ref.length);
        }
        int bad = 0;
        StringBuilder first = new StringBuilder();
        double worst = 0;
        for (int i = 0; i < out.length; i++) {
            double o = out[i], r = ref[i];
            boolean ok;
            if (Double.isNaN(r)) {
                ok = Double.isNaN(o);
            } else if (Double.isInfinite(r)) {
                ok = o == r;
            } else {
                double err = Math.abs(o - r);
                ok = err <= atol + rtol * Math.abs(r); // false for NaN: an unwritten (poisoned) element fails
                if (!Double.isNaN(err)) {
                    worst = Math.max(worst, err);
                }
            }
            if (!ok) {
                if (bad < 10) {
                    first.append(String.format("%n  [%d] got %s, expected %s (|diff| %.3g)", i, o, r, Math.abs(o - r)));
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d values outside atol %.3g + rtol %.3g (largest finite error %.3g); first:%s", what, bad,
                    out.length, atol, rtol, worst, first));
        }
    }

    public static void assertClose(String what, double out, double ref, double atol, double rtol) {
        assertClose(what, new float[] {(float) out}, new float[] {(float) ref}, atol, rtol);
    }
}
