package jgan.device;

import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of one kernel launch, in the kernel's C++ signature order. Each is kept as its
 * raw bits with its kind, so that the host runtime can check count, kinds and sizes against the
 * kernel's real signature, and CudaDevice can hand the same values to cuLaunchKernel.
 */
public final class KernelArgs {
    /** Kinds as the host runtime names them: pointer, 32-bit int, 32-bit float, 64-bit int. */
    public enum Kind {
        POINTER('p', 8), I32('i', 4), F32('f', 4), I64('l', 8);

        public final char code;
        public final int bytes;

        Kind(char code, int bytes) {
            this.code = code;
            this.bytes = bytes;
        }
    }

    private final List<Kind> kinds = new ArrayList<>();
    private long[] bits = new long[8];

    /** A pointer to the start of {@code memory}; {@code null} passes a null pointer (for optional inputs). */
    public KernelArgs ptr(DeviceMemory memory) {
        return add(Kind.POINTER, memory == null ? 0L : memory.buffer().address() + memory.byteOffset());
    }

    /** A device pointer {@code byteOffset} bytes into {@code memory}. */
    public KernelArgs ptr(DeviceMemory memory, long byteOffset) {
        if (byteOffset < 0 || byteOffset > memory.byteLength()) {
            throw new IllegalArgumentException("offset " + byteOffset + " outside a range of " + memory.byteLength() + " bytes");
        }
        return add(Kind.POINTER, memory.buffer().address() + memory.byteOffset() + byteOffset);
    }

    public KernelArgs i32(int value) {
        return add(Kind.I32, value & 0xffffffffL);
    }

    public KernelArgs f32(float value) {
        return add(Kind.F32, Float.floatToRawIntBits(value) & 0xffffffffL);
    }

    public KernelArgs i64(long value) {
        return add(Kind.I64, value);
    }

    private KernelArgs add(Kind kind, long value) {
        if (kinds.size() == bits.length) {
            bits = java.util.Arrays.copyOf(bits, bits.length * 2);
        }
        bits[kinds.size()] = value;
        kinds.add(kind);
        return this;
    }

    public int count() {
        return kinds.size();
    }

    public Kind kind(int i) {
        return kinds.get(i);
    }

    /** The raw bits of argument i (a 32-bit value sits in the low half). */
    public long bits(int i) {
        if (i >= kinds.size()) {
            throw new IndexOutOfBoundsException(i);
        }
        return bits[i];
    }

    /** A copy of the bits, one slot per argument. */
    public long[] bitsArray() {
        return java.util.Arrays.copyOf(bits, kinds.size());
    }

    /** Kind codes as a string, one character per argument, e.g. "ppif". */
    public String kindCodes() {
        StringBuilder s = new StringBuilder(kinds.size());
        for (Kind k : kinds) {
            s.append(k.code);
        }
        return s.toString();
    }

    /** An independent copy, for recording a launch into a graph. */
    public KernelArgs copy() {
        KernelArgs c = new KernelArgs();
        c.kinds.addAll(kinds);
        c.bits = bits.clone();
        return c;
    }
}
