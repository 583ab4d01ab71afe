package jgan.device;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The kernels' fatbin as packaged in the jar (/jgan/kernels.fatbin, built by kernels/build.sh),
 * with the list of what it holds: machine code (SASS) per architecture and PTX. Read from the
 * fatbin's own headers, so {@code info} reports what was really built.
 *
 * <p>Layout: a 16-byte header (magic 0xBA55ED50, version, header size, payload size), then
 * entries, each with a header giving its kind (1 PTX, 2 ELF machine code), header size,
 * payload size and, at offset 28, the architecture (e.g. 90 for sm_90).
 */
public final class Fatbin {
    public static final String RESOURCE = "/jgan/kernels.fatbin";
    static final int MAGIC = 0xBA55ED50;

    public enum Kind { PTX, SASS }

    public record Entry(Kind kind, int arch) {
        @Override
        public String toString() {
            return (kind == Kind.PTX ? "compute_" : "sm_") + arch;
        }
    }

    private final byte[] bytes;
    private final List<Entry> entries;

    private Fatbin(byte[] bytes, List<Entry> entries) {
        this.bytes = bytes;
        this.entries = List.copyOf(entries);
    }

    /** The packaged fatbin, or empty when the jar was built without nvcc. */
    public static Optional<Fatbin> load() {
        try (InputStream in = Fatbin.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return Optional.empty();
            }
            return Optional.of(parse(in.readAllBytes()));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    public static Fatbin parse(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 16 || b.getInt(0) != MAGIC) {
            throw new IllegalArgumentException("not a CUDA fatbin (magic 0xBA55ED50 missing)");
        }
        int headerSize = Short.toUnsignedInt(b.getShort(6));
        long payload = b.getLong(8);
        long end = headerSize + payload;
        if (end > bytes.length) {
            throw new IllegalArgumentException("truncated fatbin: header says " + end + " bytes, file has " + bytes.length);
        }
        List<Entry> entries = new ArrayList<>();
        long off = headerSize;
        while (off + 32 <= end) {
            int at = (int) off;
            int kind = Short.toUnsignedInt(b.getShort(at));
            long entryHeader = Integer.toUnsignedLong(b.getInt(at + 4));
            long size = b.getLong(at + 8);
            int arch = b.getInt(at + 28);
            if (entryHeader == 0) {
                break;
            }
            if (kind == 1 || kind == 2) {
                entries.add(new Entry(kind == 1 ? Kind.PTX : Kind.SASS, arch));
            }
            off += entryHeader + size;
        }
        return new Fatbin(bytes, entries);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public int size() {
        return bytes.length;
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Architectures with machine code, ascending. */
    public List<Integer> sassArchitectures() {
        return entries.stream().filter(e -> e.kind() == Kind.SASS).map(Entry::arch).sorted().distinct().toList();
    }

    public List<Integer> ptxArchitectures() {
        return entries.stream().filter(e -> e.kind() == Kind.PTX).map(Entry::arch).sorted().distinct().toList();
    }

    /** e.g. "machine code for sm_75, sm_80, ...; PTX for compute_120". */
    public String summary() {
        return "machine code for " + sassArchitectures().stream().map(a -> "sm_" + a).collect(Collectors.joining(", "))
                + "; PTX for " + ptxArchitectures().stream().map(a -> "compute_" + a).collect(Collectors.joining(", "));
    }
}
