package jgan.tensor;

import java.util.Arrays;

/**
 * A tensor in Java memory, as files and other frameworks see it: a dtype, a shape (outermost
 * first, C order; rank 0 is a scalar) and the values. What jgan.io's safetensors and .npy
 * helpers read and write, and what a network's state_dict holds (PyTorch's names and layouts).
 * Immutable by convention: the arrays are not copied, so do not change them after handing them over.
 *
 * @param dtype F32 (values in {@code f32}) or I64 (values in {@code i64}; PyTorch's
 *              num_batches_tracked)
 * @param shape extents, each &gt;= 0; the product is the number of values
 */
public record HostTensor(DType dtype, long[] shape, float[] f32, long[] i64) {
    /** The element types jgan reads and writes, with their safetensors / numpy names and sizes. */
    public enum DType {
        F32("F32", "<f4", 4), I64("I64", "<i8", 8);

        private final String safetensors;
        private final String numpy;
        private final int bytes;

        DType(String safetensors, String numpy, int bytes) {
            this.safetensors = safetensors;
            this.numpy = numpy;
            this.bytes = bytes;
        }

        /** The name in a safetensors header: "F32", "I64". */
        public String safetensorsName() {
            return safetensors;
        }

        /** The numpy descr: "&lt;f4", "&lt;i8". */
        public String numpyDescr() {
            return numpy;
        }

        public int bytes() {
            return bytes;
        }
    }

    public HostTensor {
        if (dtype == null || shape == null) {
            throw new IllegalArgumentException("a host tensor needs a dtype and a shape");
        }
        long n = numel(shape);
        long have = dtype == DType.F32 ? (f32 == null ? -1 : f32.length) : (i64 == null ? -1 : i64.length);
        if (have != n) {
            throw new IllegalArgumentException("host tensor " + dtype + Arrays.toString(shape) + " needs " + n + " values, "
                    + (have < 0 ? "none" : have) + " given");
        }
        if ((dtype == DType.F32 && i64 != null) || (dtype == DType.I64 && f32 != null)) {
            throw new IllegalArgumentException("host tensor " + dtype + " given values of the other dtype too");
        }
    }

    public static HostTensor f32(long[] shape, float[] values) {
        return new HostTensor(DType.F32, shape.clone(), values, null);
    }

    public static HostTensor i64(long[] shape, long[] values) {
        return new HostTensor(DType.I64, shape.clone(), null, values);
    }

    /** A rank-0 int64 tensor (PyTorch's num_batches_tracked). */
    public static HostTensor scalar(long value) {
        return i64(new long[0], new long[] {value});
    }

    /** Product of the extents (1 for a scalar); refuses a negative extent or overflow past 2^31 - 1. */
    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative extent");
            }
            n = Math.multiplyExact(n, d);
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31 - 1 elements");
        }
        return n;
    }

    public long numel() {
        return numel(shape);
    }

    public int rank() {
        return shape.length;
    }

    /** The shape as PyTorch prints it, e.g. [64, 1, 4, 4]. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostTensor t && dtype == t.dtype && Arrays.equals(shape, t.shape) && Arrays.equals(f32, t.f32)
                && Arrays.equals(i64, t.i64);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + (f32 != null ? Arrays.hashCode(f32) : Arrays.hashCode(i64));
    }

    @Override
    public String toString() {
        return "HostTensor" + dtype + shapeString();
    }
}
