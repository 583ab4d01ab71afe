package jgan.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.IntToDoubleFunction;

/** Elementwise comparison against a reference, printing the first mismatches. */
public final class Tolerance {
    private Tolerance() {
    }

    /** |out - ref| <= atol + rtol * |ref| for every element; NaN and Inf must match exactly. */
    /** |v| elementwise: the operands of a reference run whose result bounds the rounding error (Σ|terms|). */
    public static float[] abs(float[] v) {
        float[] a = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            a[i] = Math.abs(v[i]);
        }
        return a;
    }

    public static void assertClose(String what, float[] out, float[] ref, double atol, double rtol) {
        check(what, out, ref, i -> atol + rtol * Math.abs(ref[i]),
                String.format("atol %.3g + rtol %.3g", atol, rtol));
    }

    public static void assertClose(String what, double out, double ref, double atol, double rtol) {
        assertClose(what, new float[] {(float) out}, new float[] {(float) ref}, atol, rtol);
    }

    /**
     * |out - ref| <= atol + rel * magnitude[i], where magnitude is the sum of |terms| behind each
     * output: the scale of a sum's rounding error, which |ref| understates when terms cancel.
     */
    public static void assertWithinSumError(String what, float[] out, float[] ref, float[] magnitude, double atol, double rel) {
        check(what, out, ref, i -> atol + rel * magnitude[i], String.format("%.3g + %.3g x sum|terms|", atol, rel));
    }

    private static void check(String what, float[] out, float[] ref, IntToDoubleFunction allowance, String rule) {
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
                ok = err <= allowance.applyAsDouble(i); // false for NaN: an unwritten (poisoned) element fails
                if (!Double.isNaN(err)) {
                    worst = Math.max(worst, err);
                }
            }
            if (!ok) {
                if (bad < 10) {
                    first.append(String.format("%n  [%d] got %s, expected %s (|diff| %.3g, allowed %.3g)", i, o, r,
                            Math.abs(o - r), allowance.applyAsDouble(i)));
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d values outside %s (largest finite error %.3g); first:%s", what, bad, out.length,
                    rule, worst, first));
        }
    }
}
