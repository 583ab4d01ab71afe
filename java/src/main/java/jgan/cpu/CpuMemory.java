package jgan.cpu;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cpu device's memory. Each raw allocation is a Java {@code int[]} of 32-bit words, kept in a
 * table by a positive id; the address handed out is {@code id << 32}, so that the byte offsets
 * {@link jgan.device.KernelArgs} and the faces add to it land in the low 32 bits, and a pointer argument
 * decodes back to (allocation, word index).
 *
 * <p>Why {@code int[]} words and not {@code float[]}: device memory holds floats AND integers
 * (step counters, 64-bit Philox offsets, the finite-check flag, raw Philox bits, fill patterns
 * such as a NaN with a payload). With int words every integer access, fill, device copy and
 * int copy to or from the host moves bits and nothing else, so integers round-trip exactly by
 * construction. Floats are stored as {@code Float.floatToRawIntBits(v)}, which gives the exact
 * bits of any float value, NaN payloads included, and read with {@code Float.intBitsToFloat},
 * whose only latitude (a signalling NaN may come back quieted on some platforms) is the latitude
 * every Java float has anyway and is invisible to float arithmetic. Keeping floats in a
 * {@code float[]} instead would put the integers through intBitsToFloat on every store, where a
 * counter or offset whose bits happen to form a signalling NaN is not guaranteed to survive;
 * a lazily made parallel int[] would not help, since converting it back runs the same risk.
 * The price is one conversion per element where BLAS needs {@code float[]} operands: the dense
 * kernels convert (and round to tf32, and apply the activation derivative) while copying their
 * operands into scratch arrays, work they need anyway.
 *
 * <p>Allocations are below 4 GiB (a byte offset must fit the low 32 bits) and word-granular:
 * a pointer whose byte offset is not a multiple of 4, or whose id names no live allocation, is
 * refused with an {@link IllegalArgumentException}.
 */
public final class CpuMemory {
    /** Allocations must be smaller than this: the byte offset of a pointer one past the end fits 32 bits. */
    static final long LIMIT_BYTES = 1L << 32;

    private final ConcurrentHashMap<Integer, int[]> live = new ConcurrentHashMap<>();
    private final AtomicInteger lastId = new AtomicInteger();

    /** A decoded pointer: the allocation's words and the word index it points at. */
    public record Ref(int[] words, int index) {
    }

    /** A new zeroed allocation of {@code bytes} (rounded up to whole words); 0 when the Java heap is exhausted. */
    public long allocate(long bytes) {
        if (bytes <= 0 || bytes >= LIMIT_BYTES) {
            throw new IllegalArgumentException(String.format(
                    "cpu: cannot allocate %,d bytes: a buffer must have at least 1 and fewer than 4 GiB (%,d) bytes", bytes, LIMIT_BYTES));
        }
        int id = lastId.incrementAndGet();
        if (id <= 0) {
            throw new IllegalStateException("cpu: allocation ids exhausted");
        }
        int[] words;
        try {
            words = new int[(int) ((bytes + 3) / 4)];
        } catch (OutOfMemoryError e) {
            return 0; // the caching allocator empties its cache and tries once more
        }
        live.put(id, words);
        return (long) id << 32;
    }

    public void free(long address) {
        if ((address & 0xffffffffL) != 0 || live.remove(id(address)) == null) {
            throw new IllegalArgumentException("cpu: free of 0x" + Long.toHexString(address) + ", which is no allocation");
        }
    }

    /** Drops every allocation (the device is closing). */
    public void clear() {
        live.clear();
    }

    public int liveAllocations() {
        return live.size();
    }

    private static int id(long address) {
        return (int) (address >>> 32);
    }

    /**
     * Decodes a device address: the allocation and word index. {@code what} names the pointer in
     * the error (e.g. "dense_forward: argument 2 (const float* b)").
     */
    public Ref decode(long address, String what) {
        if (address == 0) {
            throw new IllegalArgumentException(what + ": null pointer");
        }
        long offset = address & 0xffffffffL;
        int[] words = address < 0 ? null : live.get(id(address));
        if (words == null) {
            throw new IllegalArgumentException(what + ": 0x" + Long.toHexString(address) + " points into no live allocation of the cpu device");
        }
        if ((offset & 3) != 0) {
            throw new IllegalArgumentException(what + ": byte offset " + offset + " is not a multiple of 4 (cpu memory is word-granular)");
        }
        if (offset > 4L * words.length) {
            throw new IllegalArgumentException(what + ": byte offset " + offset + " is past the end of its allocation of "
                    + 4L * words.length + " bytes");
        }
        return new Ref(words, (int) (offset >>> 2));
    }

    /** As {@link #decode}, and checks that {@code count} words from there lie inside the allocation. */
    public Ref decode(long address, long count, String what) {
        Ref r = decode(address, what);
        if (count > (long) r.words().length - r.index()) {
            throw new IllegalArgumentException(what + ": " + count + " words at byte offset " + 4L * r.index()
                    + " do not fit its allocation of " + 4L * r.words().length + " bytes");
        }
        return r;
    }
}
