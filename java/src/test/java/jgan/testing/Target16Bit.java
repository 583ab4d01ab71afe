package jgan.testing;

/**
 * How the hardware rounds fp32 to its narrower formats, computed independently of the host
 * runtime's bit manipulation: scale by the format's unit in the last place and round in double.
 */
public final class Target16Bit {
    private Target16Bit() {
    }

    /** Round to nearest even, keeping {@code mantissaBits} explicit bits, with the given minimum normal exponent. */
    private static float round(float f, int mantissaBits, int minExponent, double max) {
        if (!Float.isFinite(f) || f == 0f) {
            return f;
        }
        int e = Math.max(Math.getExponent(f), minExponent);
        double ulp = Math.scalb(1.0, e - mantissaBits);
        double r = Math.rint(f / ulp) * ulp; // rint: ties to even
        if (Math.abs(r) > max) {
            return r > 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
        }
        return (float) r;
    }

    /** IEEE half, round to nearest even (cvt.rn.f16.f32). */
    public static float half(float f) {
        return round(f, 10, -14, 65504.0);
    }

    /** bfloat16, round to nearest even (cvt.rn.bf16.f32). */
    public static float bf16(float f) {
        return round(f, 7, -126, Float.MAX_VALUE);
    }

    /** tf32 as wmma::__float_to_tf32 makes it: nearest, ties away from zero (cvt.rna.tf32.f32). */
    public static float tf32(float f) {
        if (!Float.isFinite(f) || f == 0f) {
            return f;
        }
        int e = Math.max(Math.getExponent(f), -126);
        double ulp = Math.scalb(1.0, e - 10);
        double q = Math.abs(f) / ulp;
        double r = Math.floor(q + 0.5) * ulp; // ties away from zero
        return (float) Math.copySign(r, f);
    }
}
