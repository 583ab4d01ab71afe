package jgan.io;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;

/**
 * A checkpoint file: a JSON header (config, step, counters) and named float arrays (parameters,
 * optimizer moments), with a checksum over everything.
 *
 * <pre>
 *   "JGANCKPT"  8 bytes
 *   version     int32 (big-endian, as all the numbers)
 *   header      int32 length + UTF-8 JSON
 *   sections    int32 count, then per section: UTF name, int32 length, length float32
 *   crc32       int64 of all the bytes before it
 * </pre>
 * Written atomically: to a temporary file in the same folder, forced to disk, renamed over the
 * old one, and the folder forced, so a kill at any moment leaves the previous checkpoint or the
 * new one, never a torn file. Reading checks magic, version, lengths and checksum, and says which
 * failed.
 */
public record Checkpoint(Map<String, Object> header, Map<String, float[]> sections) {
    public static final int VERSION = 1;
    private static final byte[] MAGIC = "JGANCKPT".getBytes(StandardCharsets.US_ASCII);

    public Checkpoint {
        header = new LinkedHashMap<>(header);
        sections = new LinkedHashMap<>(sections);
    }

    public float[] section(String name) {
        float[] s = sections.get(name);
        if (s == null) {
            throw new IllegalArgumentException("checkpoint has no section '" + name + "' (it has " + sections.keySet() + ")");
        }
        return s;
    }

    /** The file's bytes in one array (for tests and small checkpoints; {@link #write} streams instead). */
    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            writeTo(bytes);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e); // a ByteArrayOutputStream does not fail
        }
    }

    /**
     * Streams the file's bytes (the layout of the class comment) to {@code sink}, computing the
     * checksum on the way: at most 64 KB beyond the sections themselves is held in memory. Does
     * not close {@code sink}.
     */
    public void writeTo(OutputStream sink) throws IOException {
        CRC32 crc = new CRC32();
        DataOutputStream out = new DataOutputStream(new CheckedOutputStream(sink, crc));
        out.write(MAGIC);
        out.writeInt(VERSION);
        byte[] h = Json.write(header).getBytes(StandardCharsets.UTF_8);
        out.writeInt(h.length);
        out.write(h);
        out.writeInt(sections.size());
        ByteBuffer chunk = ByteBuffer.allocate(1 << 16); // big-endian, as the format
        for (Map.Entry<String, float[]> e : sections.entrySet()) {
            out.writeUTF(e.getKey());
            float[] v = e.getValue();
            out.writeInt(v.length);
            for (int i = 0; i < v.length; ) {
                int n = Math.min(v.length - i, chunk.capacity() / 4);
                chunk.clear();
                chunk.asFloatBuffer().put(v, i, n);
                out.write(chunk.array(), 0, 4 * n);
                i += n;
            }
        }
        out.flush();
        new DataOutputStream(sink).writeLong(crc.getValue()); // the checksum covers the bytes before it, not itself
        sink.flush();
    }

    /** Writes atomically (see the class comment); a failure leaves the previous file and no .tmp. */
    public void write(Path file) {
        write(file, "");
    }

    /** As {@link #write(Path)}; {@code context} ends the error message (e.g. "the checkpoint of step 2500 is intact"). */
    public void write(Path file, String context) {
        AtomicFiles.write(file, this::writeTo, context);
    }

    /** Reads and checks a checkpoint; the error says what is wrong with the file. */
    public static Checkpoint read(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no checkpoint at " + file);
        }
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + " is a folder, not a checkpoint");
        }
        return fromBytes(AtomicFiles.readBytes(file), file.toString());
    }

    public static Checkpoint fromBytes(byte[] all, String name) {
        ByteBuffer b = ByteBuffer.wrap(all);
        try {
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new IllegalArgumentException(name + " is not a jgan checkpoint (no JGANCKPT magic)");
            }
            int version = b.getInt();
            if (version != VERSION) {
                throw new IllegalArgumentException(name + " has checkpoint format version " + version + "; this jgan reads version "
                        + VERSION);
            }
            if (all.length < 8) {
                throw new IllegalArgumentException(name + " is truncated");
            }
            CRC32 crc = new CRC32();
            crc.update(all, 0, all.length - 8);
            long stored = ByteBuffer.wrap(all, all.length - 8, 8).getLong();
            int headerLength = b.getInt();
            if (headerLength < 0 || headerLength > b.remaining() - 8) {
                throw new IllegalArgumentException(name + " is truncated or corrupt: header length " + headerLength);
            }
            byte[] h = new byte[headerLength];
            b.get(h);
            int count = b.getInt();
            Map<String, float[]> sections = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                int nameLength = Short.toUnsignedInt(b.getShort());
                byte[] nb = new byte[nameLength];
                b.get(nb);
                int n = b.getInt();
                if (n < 0 || 4L * n > b.remaining() - 8) {
                    throw new IllegalArgumentException(name + " is truncated or corrupt: section " + (i + 1) + " claims " + n
                            + " floats");
                }
                float[] v = new float[n];
                b.asFloatBuffer().get(v);
                b.position(b.position() + 4 * n);
                sections.put(new String(nb, StandardCharsets.UTF_8), v);
            }
            if (b.remaining() != 8) {
                throw new IllegalArgumentException(name + " is corrupt: " + (b.remaining() - 8) + " unexpected bytes before the checksum");
            }
            if (crc.getValue() != stored) {
                throw new IllegalArgumentException(name + " is corrupt: checksum mismatch (stored " + Long.toHexString(stored)
                        + ", computed " + Long.toHexString(crc.getValue()) + ")");
            }
            return new Checkpoint(Json.parseObject(new String(h, StandardCharsets.UTF_8)), sections);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException(name + " is truncated (" + all.length + " bytes)");
        }
    }
}
