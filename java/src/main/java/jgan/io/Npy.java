package jgan.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jgan.tensor.HostTensor;

/**
 * NumPy's .npy file (the format numpy.save writes and numpy.load reads, NumPy's "format.py"
 * specification: the magic {@code \x93NUMPY}, a version, a little-endian header length, a
 * Python dict literal {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}
 * padded with spaces to a multiple of 64 bytes and ending in a newline, then the raw values).
 *
 * <p>Written: float32 ({@code '<f4'}) and int64 ({@code '<i8'}), C order, any rank (rank 0 is a
 * scalar, shape {@code ()}), header version 1.0 unless the header needs more than 65535 bytes
 * (then 2.0), laid out byte for byte as numpy.save lays it out (including the spare header space
 * numpy leaves for growing the first axis). jgan's image files are float32 NCHW in [-1, 1] and
 * latent files float32 [n, latent], as numpy and PyTorch users expect.
 *
 * <p>Read: header versions 1.0, 2.0 and 3.0 (3.0 = 2.0 with a UTF-8 header); dtypes {@code '<f4'}
 * and {@code '>f4'} (into F32), {@code '<i8'} and {@code '>i8'} (into I64), and {@code '|u1'}
 * (uint8, widened exactly into I64: e.g. an image array saved as bytes). Every other dtype
 * (float64, float16, int32, bool, structured, object arrays...) is refused naming it, as is a
 * Fortran-order array ({@code fortran_order: True}); convert such arrays in numpy first
 * ({@code np.save(f, np.ascontiguousarray(a, dtype=np.float32))}).
 */
public final class Npy {
    /** The six bytes every .npy file starts with. */
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy aligns the data to 64 bytes: the magic, version, length and header together are a multiple of it. */
    static final int ALIGN = 64;
    /**
     * Spare spaces numpy (1.23 and later) writes after the dict so that the first extent can grow
     * in place to 21 digits: 21 minus the digits of shape[0] (none for a scalar).
     */
    static final int GROWTH_DIGITS = 21;

    private Npy() {
    }

    /**
     * Writes {@code t} as a .npy file, atomically (jgan.io.AtomicFiles: FILE.tmp then a rename; a
     * failure leaves the previous FILE untouched).
     *
     * @param t float32 or int64 tensor, C order, any rank
     * @throws FileError when the file cannot be written
     */
    public static void write(Path file, HostTensor t) {
        AtomicFiles.write(file, encode(t), "");
    }

    /** The bytes of the .npy file for {@code t} (what {@link #write} writes). */
    public static byte[] encode(HostTensor t) {
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < t.shape().length; i++) {
            shape.append(i == 0 ? "" : ", ").append(t.shape()[i]);
        }
        shape.append(t.shape().length == 1 ? ",)" : ")");
        StringBuilder dict = new StringBuilder("{'descr': '").append(t.dtype().numpyDescr()).append("', 'fortran_order': False, 'shape': ")
                .append(shape).append(", }");
        if (t.shape().length > 0) {
            dict.append(" ".repeat(Math.max(0, GROWTH_DIGITS - Long.toString(t.shape()[0]).length())));
        }
        // version 1.0 holds a header of up to 65535 bytes (2-byte length), 2.0 up to 4 GB (4-byte length)
        int major = 1;
        int prefix = MAGIC.length + 2 + 2;
        int total = roundUp(prefix + dict.length() + 1);
        if (total - prefix > 0xffff) {
            major = 2;
            prefix = MAGIC.length + 2 + 4;
            total = roundUp(prefix + dict.length() + 1);
        }
        int headerLen = total - prefix;
        dict.append(" ".repeat(headerLen - dict.length() - 1)).append('\n');
        long numel = t.numel();
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(total + numel * t.dtype().bytes())).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) headerLen);
        } else {
            b.putInt(headerLen);
        }
        b.put(dict.toString().getBytes(StandardCharsets.US_ASCII));
        if (t.dtype() == HostTensor.DType.F32) {
            b.asFloatBuffer().put(t.f32());
        } else {
            b.asLongBuffer().put(t.i64());
        }
        return b.array();
    }

    private static int roundUp(int n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    /**
     * Reads a .npy file (see the class comment for what is accepted).
     *
     * @return F32 for float32 files, I64 for int64 and uint8 files; the shape as stored (C order)
     * @throws IllegalArgumentException naming the file and the problem: not a .npy file (bad magic),
     *         an unknown version, a header or data cut short, a header that is not the dict numpy
     *         writes, an unsupported dtype (named), Fortran order, bytes after the data
     * @throws FileError when the file cannot be read
     */
    public static HostTensor read(Path file) {
        return decode(AtomicFiles.readBytes(file), file.toString());
    }

    /** Parses the bytes of a .npy file; {@code source} names it in error messages. */
    public static HostTensor decode(byte[] bytes, String source) {
        String where = source + ": ";
        if (bytes.length < MAGIC.length + 2) {
            throw new IllegalArgumentException(where + "not a .npy file (" + bytes.length + " bytes, shorter than the magic and version)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw new IllegalArgumentException(where + "not a .npy file (it does not start with \\x93NUMPY)");
            }
        }
        int major = bytes[6] & 0xff;
        int minor = bytes[7] & 0xff;
        if (major < 1 || major > 3 || minor != 0) {
            throw new IllegalArgumentException(where + ".npy format version " + major + "." + minor + " is not one jgan reads (1.0, 2.0, 3.0)");
        }
        int lenBytes = major == 1 ? 2 : 4;
        int prefix = 8 + lenBytes;
        if (bytes.length < prefix) {
            throw new IllegalArgumentException(where + "the file ends inside the header length (" + bytes.length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = major == 1 ? (b.getShort(8) & 0xffffL) : (b.getInt(8) & 0xffffffffL);
        if (prefix + headerLen > bytes.length) {
            throw new IllegalArgumentException(where + "the header is cut short: it says " + headerLen + " bytes, the file has "
                    + (bytes.length - prefix) + " after the header length");
        }
        String header = new String(bytes, prefix, (int) headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict;
        try {
            dict = new HeaderParser(header).dict();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "bad header (" + e.getMessage() + "): " + shown(header), e);
        }
        for (String key : dict.keySet()) {
            if (!List.of("descr", "fortran_order", "shape").contains(key)) {
                throw new IllegalArgumentException(where + "the header has the unknown key '" + key + "': " + shown(header));
            }
        }
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(key)) {
                throw new IllegalArgumentException(where + "the header lacks '" + key + "': " + shown(header));
            }
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw new IllegalArgumentException(where + "a structured dtype (" + shown(String.valueOf(dict.get("descr")))
                    + ") is not supported: jgan reads float32, int64 and uint8 arrays");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new IllegalArgumentException(where + "'fortran_order' is not True or False: " + shown(header));
        }
        if (fortran) {
            throw new IllegalArgumentException(where + "the array is in Fortran order (fortran_order: True); jgan reads C order only:"
                    + " save np.ascontiguousarray(a) instead");
        }
        if (!(dict.get("shape") instanceof long[] shape)) {
            throw new IllegalArgumentException(where + "'shape' is not a tuple of integers: " + shown(header));
        }
        long numel;
        try {
            numel = HostTensor.numel(shape);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException(where + "shape " + java.util.Arrays.toString(shape) + " is too large for jgan (at most 2^31 - 1 values)");
        }
        int item;
        boolean big;
        switch (descr) {
            case "<f4", "<i8" -> {
                item = descr.endsWith("4") ? 4 : 8;
                big = false;
            }
            case ">f4", ">i8" -> {
                item = descr.endsWith("4") ? 4 : 8;
                big = true;
            }
            case "|u1", "<u1", ">u1" -> {
                item = 1;
                big = false;
            }
            default -> throw new IllegalArgumentException(where + "dtype '" + descr + "' (" + describe(descr) + ") is not supported: jgan reads"
                    + " float32 ('<f4'), int64 ('<i8') and uint8 ('|u1'); convert it in numpy, e.g. np.save(f, a.astype(np.float32))");
        }
        long start = prefix + headerLen;
        long need = numel * item;
        long have = bytes.length - start;
        if (have < need) {
            throw new IllegalArgumentException(where + "the data is cut short: shape " + java.util.Arrays.toString(shape) + " of '" + descr
                    + "' needs " + need + " bytes, the file has " + have);
        }
        if (have > need) {
            throw new IllegalArgumentException(where + (have - need) + " bytes follow the data of shape " + java.util.Arrays.toString(shape)
                    + " of '" + descr + "' (" + need + " bytes): not a file numpy.save wrote");
        }
        ByteBuffer data = ByteBuffer.wrap(bytes, (int) start, (int) need).slice().order(big ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        int n = (int) numel;
        if (descr.endsWith("f4")) {
            float[] v = new float[n];
            data.asFloatBuffer().get(v);
            return HostTensor.f32(shape, v);
        }
        long[] v = new long[n];
        if (item == 8) {
            data.asLongBuffer().get(v);
        } else {
            for (int i = 0; i < n; i++) {
                v[i] = data.get(i) & 0xff;
            }
        }
        return HostTensor.i64(shape, v);
    }

    /** A reader's name for a numpy type string, for the refusal message. */
    private static String describe(String descr) {
        if (descr.length() < 2) {
            return "unknown";
        }
        String kind = switch (descr.charAt(1)) {
            case 'f' -> "float";
            case 'i' -> "int";
            case 'u' -> "uint";
            case 'b' -> "bool";
            case 'c' -> "complex";
            case 'O' -> "Python object";
            case 'U' -> "unicode string";
            case 'S' -> "byte string";
            case 'V' -> "void";
            case 'M' -> "datetime";
            case 'm' -> "timedelta";
            default -> null;
        };
        if (kind == null) {
            return "unknown";
        }
        String size = descr.substring(2);
        String order = switch (descr.charAt(0)) {
            case '<' -> ", little-endian";
            case '>' -> ", big-endian";
            default -> "";
        };
        if (size.matches("\\d+") && "fiuc".indexOf(descr.charAt(1)) >= 0) {
            return kind + (Integer.parseInt(size) * 8) + order;
        }
        return kind + order;
    }

    private static String shown(String s) {
        String t = s.strip().replaceAll("[^\\x20-\\x7e]", "?");
        return "'" + (t.length() > 120 ? t.substring(0, 120) + "..." : t) + "'";
    }

    /**
     * The Python literal subset numpy writes in a header: a dict of quoted string keys whose
     * values are quoted strings, True/False, tuples of integers, or (for a structured dtype) a
     * list, read as a marker object. Anything else is an error saying what was found where.
     */
    private static final class HeaderParser {
        private final String s;
        private int i;

        HeaderParser(String s) {
            this.s = s;
        }

        Map<String, Object> dict() {
            skip();
            expect('{');
            Map<String, Object> m = new LinkedHashMap<>();
            skip();
            while (peek() != '}') {
                String key = string();
                if (m.containsKey(key)) {
                    throw new IllegalArgumentException("the key '" + key + "' is given twice");
                }
                skip();
                expect(':');
                skip();
                m.put(key, value());
                skip();
                if (peek() == ',') {
                    i++;
                    skip();
                } else if (peek() != '}') {
                    throw error("',' or '}'");
                }
            }
            i++;
            skip();
            if (i != s.length()) {
                throw new IllegalArgumentException("text after the dict at character " + (i + 1));
            }
            if (!s.endsWith("\n")) {
                throw new IllegalArgumentException("it does not end in a newline");
            }
            return m;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (s.startsWith("True", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (c == '(') {
                return tuple();
            }
            if (c == '[') { // a structured dtype's field list: skipped as a whole, reported by the caller
                int depth = 0;
                int from = i;
                do {
                    char d = peek();
                    depth += d == '[' || d == '(' ? 1 : d == ']' || d == ')' ? -1 : 0;
                    i++;
                } while (depth > 0);
                return new StringBuilder(s.substring(from, i)); // not a String, not a long[]
            }
            throw error("a string, True, False or a tuple");
        }

        private long[] tuple() {
            expect('(');
            List<Long> v = new ArrayList<>();
            skip();
            boolean comma = true;
            while (peek() != ')') {
                if (!comma) {
                    throw error("',' or ')'");
                }
                int from = i;
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                if (i == from) {
                    throw error("a non-negative integer");
                }
                if (i - from > 18) {
                    throw new IllegalArgumentException("the extent " + s.substring(from, i) + " is too large");
                }
                v.add(Long.parseLong(s.substring(from, i)));
                if (peek() == 'L') { // Python 2's long literal, in files written by old numpy
                    i++;
                }
                skip();
                comma = peek() == ',';
                if (comma) {
                    i++;
                    skip();
                }
            }
            i++;
            if (v.size() == 1 && !comma) {
                throw new IllegalArgumentException("(" + v.get(0) + ") is not a tuple (numpy writes (" + v.get(0) + ",))");
            }
            return v.stream().mapToLong(Long::longValue).toArray();
        }

        private String string() {
            char q = peek();
            if (q != '\'' && q != '"') {
                throw error("a quoted string");
            }
            int end = s.indexOf(q, i + 1);
            if (end < 0) {
                throw new IllegalArgumentException("a string is not closed");
            }
            String v = s.substring(i + 1, end);
            i = end + 1;
            return v;
        }

        private void skip() {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\n' || s.charAt(i) == '\t' || s.charAt(i) == '\r')) {
                i++;
            }
        }

        private char peek() {
            if (i >= s.length()) {
                throw new IllegalArgumentException("it ends early");
            }
            return s.charAt(i);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("'" + c + "'");
            }
            i++;
        }

        private IllegalArgumentException error(String expected) {
            return new IllegalArgumentException("expected " + expected + " at character " + (i + 1) + ", found '" + s.charAt(i) + "'");
        }
    }
}
