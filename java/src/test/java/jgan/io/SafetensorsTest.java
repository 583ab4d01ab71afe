package jgan.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jgan.tensor.HostTensor;

/**
 * safetensors: the file the safetensors package wrote (bench/parity/make_io_golden.py) read with
 * its values, order and metadata; round trips keeping insertion order; every check of the reader.
 */
class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void readsWhatTheSafetensorsPackageWrote() {
        Safetensors.Contents c = Safetensors.readWithMetadata(NpyTest.golden("state.safetensors"));
        assertEquals(Map.of("format", "pt", "model", "dcgan"), c.metadata());
        Map<String, HostTensor> t = c.tensors();
        assertEquals(6, t.size());
        assertEquals(NpyTest.f32(4, 3, 2, 2), t.get("main.0.weight"));
        assertEquals(NpyTest.f32(4), t.get("main.1.weight"));
        assertEquals(NpyTest.f32(4), t.get("main.1.running_mean"));
        assertEquals(NpyTest.f32(0, 3), t.get("empty"));
        assertEquals(HostTensor.scalar(NpyTest.I64_VALUES[2]), t.get("main.1.num_batches_tracked"));
        assertEquals(HostTensor.i64(new long[] {5}, NpyTest.I64_VALUES), t.get("ids"));
        assertEquals(t, Safetensors.read(NpyTest.golden("state.safetensors")));
    }

    static LinkedHashMap<String, HostTensor> stateDict() {
        LinkedHashMap<String, HostTensor> m = new LinkedHashMap<>();
        m.put("main.1.weight", NpyTest.f32(3)); // not sorted: insertion order is kept
        m.put("main.0.weight", HostTensor.f32(new long[] {3, 1, 2, 2}, new float[] {0f, -0f, 1e-45f, Float.MAX_VALUE, -1f, Float.NaN,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.1f, -0.2f, 3e38f, 7f}));
        m.put("main.1.num_batches_tracked", HostTensor.scalar(Long.MAX_VALUE));
        m.put("empty", HostTensor.f32(new long[] {0}, new float[0]));
        m.put("ünïcode name", HostTensor.i64(new long[] {2}, new long[] {Long.MIN_VALUE, 1}));
        return m;
    }

    @Test
    void roundTripKeepsOrderValuesAndMetadata() throws IOException {
        Path f = dir.resolve("model.safetensors");
        LinkedHashMap<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "quotes \" and <html> & newlines\n");
        Safetensors.write(f, stateDict(), meta);
        Safetensors.Contents c = Safetensors.readWithMetadata(f);
        assertEquals(stateDict(), c.tensors());
        assertEquals(List.copyOf(stateDict().keySet()), List.copyOf(c.tensors().keySet()), "insertion order");
        assertEquals(meta, c.metadata());

        byte[] b = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + n) % 8, "the data starts 8-byte aligned");
        Map<String, Object> header = Json.parseObject(new String(b, 8, (int) n, StandardCharsets.UTF_8));
        assertEquals(List.of("__metadata__", "main.1.weight", "main.0.weight", "main.1.num_batches_tracked", "empty", "ünïcode name"),
                List.copyOf(header.keySet()));
        long at = 0; // offsets contiguous, in insertion order, from 0 to the end
        for (String k : stateDict().keySet()) {
            List<?> off = (List<?>) ((Map<?, ?>) header.get(k)).get("data_offsets");
            assertEquals(at, off.get(0), k);
            at = (Long) off.get(1);
        }
        assertEquals(b.length - 8 - n, at);

        Safetensors.write(f, Map.of(), null);
        assertEquals(Map.of(), Safetensors.read(f), "no tensors");
        assertEquals(Map.of(), Safetensors.readWithMetadata(f).metadata());
        assertTrue(!Files.exists(dir.resolve("model.safetensors.tmp")));
    }

    @Test
    void writeRefusesReservedNames() {
        Map<String, HostTensor> m = Map.of("__metadata__", NpyTest.f32(1));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.encode(m, null));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.encode(Map.of("", NpyTest.f32(1)), null));
    }

    @Test
    void refusesOtherDtypesByName() {
        String m = assertThrows(IllegalArgumentException.class, () -> Safetensors.read(NpyTest.golden("f16.safetensors"))).getMessage();
        assertTrue(m.contains("f16.safetensors") && m.contains("dtype F16") && m.contains("'w'"), m);
        assertRefused(file("{\"w\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2), "dtype BF16");
    }

    /** A file with the given header (padded to 8) and {@code data} zero bytes. */
    static byte[] file(String header, int data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) {
            b.put((byte) ' ');
        }
        return b.array();
    }

    private static void assertRefused(byte[] bytes, String... parts) {
        String m = assertThrows(IllegalArgumentException.class, () -> Safetensors.decode(bytes, "bad.safetensors")).getMessage();
        assertTrue(m.startsWith("bad.safetensors: "), m);
        for (String p : parts) {
            assertTrue(m.contains(p), "'" + p + "' in: " + m);
        }
    }

    private static String two(String a, String b) {
        return "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + a + "},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":"
                + b + "}}";
    }

    @Test
    void refusesDamagedFiles() {
        byte[] good = Safetensors.encode(stateDict(), Map.of("k", "v"));
        assertEquals(stateDict(), Safetensors.decode(good, "good").tensors());
        assertRefused(new byte[3], "not a safetensors file");
        byte[] huge = good.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, good.length);
        assertRefused(huge, "header length " + good.length, "does not fit");
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        assertRefused(huge, "header length 18446744073709551615", "100 MB");
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1);
        assertRefused(huge, "header length 1");
        assertRefused(Arrays.copyOf(good, good.length - 1), "past the end of the data", "cut short");
        assertRefused(Arrays.copyOf(good, good.length + 8), "8 bytes at the end belong to no tensor");
        assertRefused("\0\0\0\0\0\0\0\0 a text file".getBytes(StandardCharsets.UTF_8), "header length 0");
        assertRefused(file("[1, 2]", 0), "does not start with '{'");
        assertRefused(file("{\"a\": ", 0), "not valid JSON");
        byte[] notUtf8 = file("{\"a\"}", 0);
        notUtf8[9] = (byte) 0xff;
        assertRefused(notUtf8, "not UTF-8");

        assertEquals(2, Safetensors.decode(file(two("[0,8]", "[8,12]"), 12), "ok").tensors().size(), "the good case of the ones below");
        assertRefused(file(two("[0,8]", "[8,16]"), 16), "'b'", "F32 [1] needs 4 bytes but data_offsets [8, 16] give 8");
        assertRefused(file(two("[0,8]", "[4,8]"), 8), "'b' at [4, 8) overlaps");
        assertRefused(file(two("[0,8]", "[12,16]"), 16), "[8, 12)", "belong to no tensor");
        Map<String, HostTensor> swapped = Safetensors.decode(file(two("[4,12]", "[0,4]"), 12), "ok").tensors();
        assertEquals(List.of("a", "b"), List.copyOf(swapped.keySet()), "data in another order than the header: accepted, header order kept");
        assertRefused(file(two("[0,8]", "[8,12]"), 8), "'b'", "past the end");
        assertRefused(file(two("[8,0]", "[8,12]"), 12), "end before they begin");
        assertRefused(file(two("[0,8]", "[8,12,16]"), 12), "data_offsets is not a list of 2");
        assertRefused(file(two("[0,8]", "[8,-4]"), 12), "non-negative");
        assertRefused(file(two("[0,8]", "[8,99999999999999999999]"), 12), "non-negative integers");
        assertRefused(file(two("[0,8]", "[8,12]").replace("\"b\"", "\"a\""), 12), "given twice");
        assertRefused(file(two("[0,8]", "[8,12]").replace("[1]", "[1.5]"), 12), "shape is not a list");
        assertRefused(file(two("[0,8]", "[8,12]").replace("[1]", "[-1]"), 12), "shape is not a list");
        assertRefused(file(two("[0,8]", "[8,12]").replace("[1]", "[99999999,99999999]"), 12), "too large");
        assertRefused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", 4), "unknown field 'extra'");
        assertRefused(file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "no dtype");
        assertRefused(file("{\"a\":[0,4]}", 4), "not an object");
        assertRefused(file("{\"__metadata__\":{\"k\":1}}", 0), "not a string");
        assertRefused(file("{\"__metadata__\":[\"k\"]}", 0), "__metadata__", "not an object");
    }
}
