package jgan.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jgan.tensor.HostTensor;

/**
 * The safetensors format (Hugging Face's; what {@code safetensors.torch.save_file} writes and
 * {@code load_file} reads): an 8-byte little-endian unsigned header length N, N bytes of UTF-8
 * JSON mapping each tensor name to {@code {"dtype", "shape", "data_offsets": [begin, end]}} (and
 * an optional {@code "__metadata__"} object of string to string), padded with spaces, then the
 * byte buffer: each tensor's values little-endian, C order, at [begin, end) of the buffer.
 *
 * <p>jgan writes and reads F32 and I64 (PyTorch's float32 weights and int64 num_batches_tracked);
 * any other dtype (F16, BF16, F64, I32, U8, BOOL...) is refused naming it. Written files put the
 * tensors in the map's order, back to back from offset 0, the header padded so that the buffer
 * starts at a multiple of 8 bytes, as the reference writer does.
 *
 * <p>Reading validates everything the reference reader does: the header length against the file
 * size (and at most 100 MB), the JSON (a key given twice is refused), each entry's fields,
 * dtype*shape against its byte range, ranges inside the buffer, not overlapping, and covering it
 * with no gap.
 */
public final class Safetensors {
    /** The key of the string-to-string metadata object in the header. */
    public static final String METADATA = "__metadata__";
    /** The longest header accepted (the reference implementation's limit). */
    public static final long MAX_HEADER = 100L << 20;

    private Safetensors() {
    }

    /**
     * The tensors (in the header's order, which for files written by jgan or the reference writer is
     * the order of their data) and the metadata (empty when the file has none).
     */
    public record Contents(LinkedHashMap<String, HostTensor> tensors, LinkedHashMap<String, String> metadata) {
    }

    /**
     * Writes the tensors (in the map's iteration order) and metadata as a safetensors file,
     * atomically (jgan.io.AtomicFiles).
     *
     * @param tensors  name -> F32 or I64 tensor; names must not be empty nor "__metadata__"
     * @param metadata string -> string, may be null or empty (then no "__metadata__" is written)
     * @throws IllegalArgumentException for an empty or reserved name
     * @throws FileError when the file cannot be written
     */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata) {
        AtomicFiles.write(file, encode(tensors, metadata), "");
    }

    /** The bytes of the file {@link #write} writes. */
    public static byte[] encode(Map<String, HostTensor> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("safetensors metadata needs non-null keys and values: " + metadata);
                }
            }
            header.put(METADATA, new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.isEmpty() || name.equals(METADATA)) {
                throw new IllegalArgumentException("safetensors: the tensor name '" + name + "' is not allowed (empty or reserved)");
            }
            HostTensor t = e.getValue();
            long size = t.numel() * t.dtype().bytes();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", t.dtype().safetensorsName());
            entry.put("shape", Arrays.stream(t.shape()).boxed().toList());
            entry.put("data_offsets", List.of(offset, offset + size));
            header.put(name, entry);
            offset += size;
        }
        byte[] json = new com.google.gson.GsonBuilder().disableHtmlEscaping().create().toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // 8 + padded is a multiple of 8: the buffer is aligned for every dtype
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) {
            b.put((byte) ' ');
        }
        for (HostTensor t : tensors.values()) {
            if (t.dtype() == HostTensor.DType.F32) {
                b.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(t.f32());
            } else {
                b.slice().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(t.i64());
            }
            b.position(b.position() + (int) (t.numel() * t.dtype().bytes()));
        }
        return b.array();
    }

    /**
     * Reads the tensors of a safetensors file, in the header's order (metadata: {@link #readWithMetadata}).
     *
     * @throws IllegalArgumentException naming the file and the problem (see the class comment)
     * @throws FileError when the file cannot be read
     */
    public static LinkedHashMap<String, HostTensor> read(Path file) {
        return readWithMetadata(file).tensors();
    }

    /** As {@link #read}, with the header's "__metadata__". */
    public static Contents readWithMetadata(Path file) {
        return decode(AtomicFiles.readBytes(file), file.toString());
    }

    private record Entry(String name, HostTensor.DType dtype, long[] shape, long begin, long end) {
    }

    /** Parses the bytes of a safetensors file; {@code source} names it in error messages. */
    public static Contents decode(byte[] bytes, String source) {
        String where = source + ": ";
        if (bytes.length < 8) {
            throw new IllegalArgumentException(where + "not a safetensors file (" + bytes.length + " bytes, shorter than the 8-byte header length)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong(0);
        if (n < 2 || n > MAX_HEADER || n > bytes.length - 8) {
            throw new IllegalArgumentException(where + "not a safetensors file, or cut short: the header length "
                    + Long.toUnsignedString(n) + " does not fit the file of " + bytes.length + " bytes"
                    + (Long.compareUnsigned(n, MAX_HEADER) > 0 ? " (nor the 100 MB limit)" : ""));
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, 8, (int) n)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(where + "the header is not UTF-8 text: not a safetensors file?");
        }
        if (!text.startsWith("{")) {
            throw new IllegalArgumentException(where + "the header does not start with '{': not a safetensors file?");
        }
        Map<String, Object> header;
        try {
            header = Json.parseObject(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "the header is not valid JSON (" + e.getMessage() + ")", e);
        }
        LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals(METADATA)) {
                if (!(e.getValue() instanceof Map<?, ?> m)) {
                    throw new IllegalArgumentException(where + "\"__metadata__\" is not an object of strings");
                }
                for (Map.Entry<?, ?> kv : m.entrySet()) {
                    if (!(kv.getValue() instanceof String v)) {
                        throw new IllegalArgumentException(where + "\"__metadata__\" value of '" + kv.getKey() + "' is not a string: " + kv.getValue());
                    }
                    metadata.put((String) kv.getKey(), v);
                }
                continue;
            }
            entries.add(entry(where, name, e.getValue()));
        }
        long buffer = bytes.length - 8 - n;
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        for (Entry e : sorted) {
            if (e.end() > buffer) {
                throw new IllegalArgumentException(where + "tensor '" + e.name() + "' lies at [" + e.begin() + ", " + e.end()
                        + ") past the end of the data (" + buffer + " bytes): the file is cut short");
            }
            if (e.begin() < at) {
                throw new IllegalArgumentException(where + "tensor '" + e.name() + "' at [" + e.begin() + ", " + e.end()
                        + ") overlaps the tensor before it (which ends at " + at + ")");
            }
            if (e.begin() > at) {
                throw new IllegalArgumentException(where + "the bytes [" + at + ", " + e.begin() + ") of the data belong to no tensor"
                        + " (a gap before '" + e.name() + "')");
            }
            at = e.end();
        }
        if (at != buffer) {
            throw new IllegalArgumentException(where + "the data has " + buffer + " bytes but the tensors cover " + at
                    + ": " + (buffer - at) + " bytes at the end belong to no tensor");
        }
        LinkedHashMap<String, HostTensor> tensors = new LinkedHashMap<>();
        int base = (int) (8 + n);
        for (Entry e : entries) {
            int count = (int) ((e.end() - e.begin()) / e.dtype().bytes());
            ByteBuffer data = ByteBuffer.wrap(bytes, base + (int) e.begin(), (int) (e.end() - e.begin())).slice()
                    .order(ByteOrder.LITTLE_ENDIAN);
            if (e.dtype() == HostTensor.DType.F32) {
                float[] v = new float[count];
                data.asFloatBuffer().get(v);
                tensors.put(e.name(), HostTensor.f32(e.shape(), v));
            } else {
                long[] v = new long[count];
                data.asLongBuffer().get(v);
                tensors.put(e.name(), HostTensor.i64(e.shape(), v));
            }
        }
        return new Contents(tensors, metadata);
    }

    private static Entry entry(String where, String name, Object value) {
        String what = where + "tensor '" + name + "': ";
        if (!(value instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(what + "the header entry is not an object {dtype, shape, data_offsets}");
        }
        for (Object key : m.keySet()) {
            if (!List.of("dtype", "shape", "data_offsets").contains(key)) {
                throw new IllegalArgumentException(what + "unknown field '" + key + "' (expected dtype, shape, data_offsets)");
            }
        }
        if (!(m.get("dtype") instanceof String dtypeName)) {
            throw new IllegalArgumentException(what + "no dtype");
        }
        HostTensor.DType dtype = null;
        for (HostTensor.DType d : HostTensor.DType.values()) {
            if (d.safetensorsName().equals(dtypeName)) {
                dtype = d;
            }
        }
        if (dtype == null) {
            throw new IllegalArgumentException(what + "dtype " + dtypeName + " is not supported: jgan reads F32 and I64 (convert in PyTorch,"
                    + " e.g. {k: v.float() for k, v in sd.items()} for floating tensors)");
        }
        long[] shape = longs(what, "shape", m.get("shape"), -1);
        long[] offsets = longs(what, "data_offsets", m.get("data_offsets"), 2);
        if (offsets[1] < offsets[0]) {
            throw new IllegalArgumentException(what + "data_offsets [" + offsets[0] + ", " + offsets[1] + "] end before they begin");
        }
        long numel;
        try {
            numel = HostTensor.numel(shape);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException(what + "shape " + Arrays.toString(shape) + " is too large (at most 2^31 - 1 values)");
        }
        if (offsets[1] - offsets[0] != numel * dtype.bytes()) {
            throw new IllegalArgumentException(what + dtypeName + " " + Arrays.toString(shape) + " needs " + numel * dtype.bytes()
                    + " bytes but data_offsets [" + offsets[0] + ", " + offsets[1] + "] give " + (offsets[1] - offsets[0]));
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] longs(String what, String field, Object value, int count) {
        if (!(value instanceof List<?> l) || (count >= 0 && l.size() != count)) {
            throw new IllegalArgumentException(what + field + " is not a list of " + (count >= 0 ? count + " " : "") + "non-negative integers: " + value);
        }
        long[] v = new long[l.size()];
        for (int i = 0; i < v.length; i++) {
            if (!(l.get(i) instanceof Long x) || x < 0) {
                throw new IllegalArgumentException(what + field + " is not a list of non-negative integers: " + value);
            }
            v[i] = x;
        }
        return v;
    }
}
