package jgan.cpu;

import java.lang.reflect.Field;

/**
 * Bulk moves between device memory words ({@code int[]}, {@link CpuMemory}) and {@code float[]}
 * scratch arrays, bit for bit: the same result as {@code dst[i] = Float.intBitsToFloat(src[i])}
 * (and {@code Float.floatToRawIntBits} the other way), done as one byte copy
 * ({@code sun.misc.Unsafe.copyMemory} between the two arrays, which C2 compiles to its
 * array-copy stub: ~1.6x a Java loop on the 1 KB rows of im2col, measured). Where
 * {@code sun.misc.Unsafe} (module jdk.unsupported) is not there, a Java loop does the same.
 */
final class CpuWords {
    private static final sun.misc.Unsafe UNSAFE = unsafe();
    private static final long INTS = UNSAFE == null ? 0 : sun.misc.Unsafe.ARRAY_INT_BASE_OFFSET;
    private static final long FLOATS = UNSAFE == null ? 0 : sun.misc.Unsafe.ARRAY_FLOAT_BASE_OFFSET;

    /** Shorter runs (im2col's taps of a one-channel image) go by the loop, cheaper than the call. */
    private static final int BULK = 16;

    private CpuWords() {
    }

    private static sun.misc.Unsafe unsafe() {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
            // the copy below assumes 4-byte elements in both arrays
            return sun.misc.Unsafe.ARRAY_INT_INDEX_SCALE == 4 && sun.misc.Unsafe.ARRAY_FLOAT_INDEX_SCALE == 4 ? u : null;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** dst[dstAt + i] = the float with bits src[srcAt + i], i < n. Indices are checked as array accesses would be. */
    static void toFloats(int[] src, int srcAt, float[] dst, int dstAt, int n) {
        java.util.Objects.checkFromIndexSize(srcAt, n, src.length);
        java.util.Objects.checkFromIndexSize(dstAt, n, dst.length);
        if (UNSAFE != null && n >= BULK) {
            UNSAFE.copyMemory(src, INTS + 4L * srcAt, dst, FLOATS + 4L * dstAt, 4L * n);
        } else {
            for (int i = 0; i < n; i++) {
                dst[dstAt + i] = Float.intBitsToFloat(src[srcAt + i]);
            }
        }
    }

    /** dst[dstAt + i] = the bits of src[srcAt + i] (raw: a NaN's payload kept), i < n. */
    static void toWords(float[] src, int srcAt, int[] dst, int dstAt, int n) {
        java.util.Objects.checkFromIndexSize(srcAt, n, src.length);
        java.util.Objects.checkFromIndexSize(dstAt, n, dst.length);
        if (UNSAFE != null && n >= BULK) {
            UNSAFE.copyMemory(src, FLOATS + 4L * srcAt, dst, INTS + 4L * dstAt, 4L * n);
        } else {
            for (int i = 0; i < n; i++) {
                dst[dstAt + i] = Float.floatToRawIntBits(src[srcAt + i]);
            }
        }
    }
}
