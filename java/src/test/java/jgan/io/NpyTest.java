package jgan.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jgan.tensor.HostTensor;

/**
 * .npy: the files numpy wrote (bench/parity/make_io_golden.py) read back with their values and
 * written byte for byte the same; round trips; every kind of damage refused naming the file.
 */
class NpyTest {
    @TempDir
    Path dir;

    /** The golden files' float32 values: (i - 10) * 0.375 in C order. */
    static HostTensor f32(long... shape) {
        float[] v = new float[(int) HostTensor.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((i - 10) * 0.375);
        }
        return HostTensor.f32(shape, v);
    }

    static final long[] I64_VALUES = {0, -1, (1L << 40) + 3, -(1L << 62), 7};

    static Path golden(String name) {
        try {
            return Path.of(NpyTest.class.getResource("/jgan/io/" + name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readsWhatNumpyWrote() {
        assertEquals(f32(2, 3, 4), Npy.read(golden("f32_2x3x4.npy")));
        assertEquals(f32(), Npy.read(golden("f32_scalar.npy")));
        assertEquals(0, Npy.read(golden("f32_scalar.npy")).rank());
        assertEquals(f32(5), Npy.read(golden("f32_5.npy")));
        assertEquals(f32(0, 3), Npy.read(golden("f32_0x3.npy")));
        assertEquals(HostTensor.i64(new long[] {5}, I64_VALUES), Npy.read(golden("i64_5.npy")));
        assertEquals(f32(2, 3), Npy.read(golden("f32_v2_2x3.npy")), "version 2.0 header");
        assertEquals(f32(2, 3), Npy.read(golden("f32be_2x3.npy")), "big-endian float32 converted");
        assertEquals(HostTensor.i64(new long[] {5}, I64_VALUES), Npy.read(golden("i64be_5.npy")), "big-endian int64 converted");
        long[] u8 = new long[6];
        for (int i = 0; i < 6; i++) {
            u8[i] = (37 * i) % 256;
        }
        assertEquals(HostTensor.i64(new long[] {2, 3}, u8), Npy.read(golden("u8_2x3.npy")), "uint8 widened to int64");
    }

    @Test
    void writesWhatNumpyWritesByteForByte() throws IOException {
        for (String name : new String[] {"f32_2x3x4.npy", "f32_scalar.npy", "f32_5.npy", "f32_0x3.npy", "i64_5.npy"}) {
            byte[] expected = Files.readAllBytes(golden(name));
            HostTensor t = Npy.decode(expected, name);
            Path f = dir.resolve(name);
            Npy.write(f, t);
            assertArrayEquals(expected, Files.readAllBytes(f), name);
        }
    }

    @Test
    void roundTripsAnyRankAndValues() {
        HostTensor[] ts = {
            HostTensor.f32(new long[] {3, 1, 2, 2}, new float[] {0f, -0f, 1e-45f, Float.MAX_VALUE, -1f, Float.NaN, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, 0.1f, -0.2f, 3e38f, 7f}),
            HostTensor.scalar(Long.MIN_VALUE),
            HostTensor.i64(new long[] {2, 0, 4}, new long[0]),
            HostTensor.f32(new long[] {1, 1, 1, 1, 1, 1, 1, 1}, new float[] {42f}),
        };
        for (HostTensor t : ts) {
            Path f = dir.resolve("t.npy");
            Npy.write(f, t);
            HostTensor back = Npy.read(f);
            assertEquals(t, back, t.toString());
            assertEquals(0, (Npy.encode(t).length - t.numel() * t.dtype().bytes()) % 64, "data aligned to 64 bytes");
        }
        assertFalse(Files.exists(dir.resolve("t.npy.tmp")), "no temporary file left");
    }

    @Test
    void aHeaderPast64KiBIsWrittenAsVersion2() {
        long[] shape = new long[23000]; // "1, " per extent: a header of ~69 kB
        Arrays.fill(shape, 1);
        HostTensor t = HostTensor.f32(shape, new float[] {2.5f});
        byte[] b = Npy.encode(t);
        assertEquals(2, b[6], "major version");
        assertEquals(0, (b.length - 4) % 64);
        assertEquals(t, Npy.decode(b, "v2"));
        assertEquals(1, Npy.encode(f32(3))[6], "small headers stay version 1.0");
    }

    private static String refusal(byte[] bytes) {
        return assertThrows(IllegalArgumentException.class, () -> Npy.decode(bytes, "bad.npy")).getMessage();
    }

    private static void assertRefused(byte[] bytes, String... parts) {
        String m = refusal(bytes);
        assertTrue(m.startsWith("bad.npy: "), m);
        for (String p : parts) {
            assertTrue(m.contains(p), "'" + p + "' in: " + m);
        }
    }

    /** A version 1.0 file with the given header dict (padded as numpy pads) and data bytes. */
    static byte[] file(String dict, byte[] data) {
        int total = (10 + dict.length() + 1 + 63) / 64 * 64;
        String header = dict + " ".repeat(total - 10 - dict.length() - 1) + "\n";
        byte[] b = new byte[total + data.length];
        System.arraycopy(Npy.MAGIC, 0, b, 0, 6);
        b[6] = 1;
        b[8] = (byte) (header.length() & 0xff);
        b[9] = (byte) (header.length() >> 8);
        System.arraycopy(header.getBytes(StandardCharsets.ISO_8859_1), 0, b, 10, header.length());
        System.arraycopy(data, 0, b, total, data.length);
        return b;
    }

    @Test
    void refusesUnsupportedDtypesByName() throws IOException {
        String m = assertThrows(IllegalArgumentException.class, () -> Npy.read(golden("f64_2x3.npy"))).getMessage();
        assertTrue(m.contains("f64_2x3.npy") && m.contains("'<f8'") && m.contains("float64"), m);
        m = assertThrows(IllegalArgumentException.class, () -> Npy.read(golden("i32_5.npy"))).getMessage();
        assertTrue(m.contains("'<i4'") && m.contains("int32"), m);
        m = assertThrows(IllegalArgumentException.class, () -> Npy.read(golden("structured_2.npy"))).getMessage();
        assertTrue(m.contains("structured dtype"), m);
        m = assertThrows(IllegalArgumentException.class, () -> Npy.read(golden("fortran_2x3.npy"))).getMessage();
        assertTrue(m.contains("fortran_2x3.npy") && m.contains("Fortran order"), m);
        assertRefused(file("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", new byte[2]), "'<f2'", "float16");
        assertRefused(file("{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }", new byte[1]), "'|b1'", "bool");
        assertRefused(file("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new byte[8]), "'|O'", "Python object");
    }

    @Test
    void refusesDamagedFiles() {
        byte[] good = Npy.encode(f32(2, 3));
        assertRefused(new byte[0], "not a .npy file");
        assertRefused("PK\3\4 a zip file, not an array".getBytes(StandardCharsets.ISO_8859_1), "not a .npy file", "\\x93NUMPY");
        byte[] v4 = good.clone();
        v4[6] = 4;
        assertRefused(v4, "version 4.0");
        assertRefused(Arrays.copyOf(good, 9), "ends inside the header length");
        assertRefused(Arrays.copyOf(good, 40), "header is cut short");
        assertRefused(Arrays.copyOf(good, good.length - 1), "data is cut short", "[2, 3]", "24 bytes", "has 23");
        assertRefused(Arrays.copyOf(good, good.length + 4), "4 bytes follow the data");
        byte[] d = new byte[24];
        assertRefused(file("{'descr': '<f4', 'fortran_order': False, }", d), "lacks 'shape'");
        assertRefused(file("{'descr': '<f4', 'shape': (6,), }", d), "lacks 'fortran_order'");
        assertRefused(file("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'extra': 1, }", d), "bad header");
        assertRefused(file("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'extra': 'x', }", d), "unknown key 'extra'");
        assertRefused(file("{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", d), "bad header", "not a tuple");
        assertRefused(file("{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }", d), "bad header", "non-negative integer");
        assertRefused(file("{'descr': '<f4', 'fortran_order': 0, 'shape': (6,), }", d), "bad header");
        assertRefused(file("{'descr': '<f4', 'fortran_order': False, 'shape': (6,) ", d), "bad header");
        assertRefused(file("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), } junk", d), "bad header", "text after the dict");
        assertRefused(file("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", d), "given twice");
        assertRefused(file("{'descr': '<f4', 'fortran_order': False, 'shape': 'x', }", d), "'shape' is not a tuple");
        assertRefused(file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", d), "too large");
        assertRefused(file("not a dict at all", d), "bad header");
        byte[] noNewline = good.clone();
        noNewline[9 + (good[8] & 0xff)] = ' ';
        assertRefused(noNewline, "newline");
        // the usual numpy files read, so the cases above fail for the damage alone
        assertEquals(HostTensor.f32(new long[] {6}, new float[6]), Npy.decode(file("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", d), "ok"));
        assertEquals(HostTensor.f32(new long[] {6}, new float[6]), Npy.decode(file("{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(6L,)}", d), "ok"));
    }

    @Test
    void readAndWriteNameTheFile() throws IOException {
        Path missing = dir.resolve("none.npy");
        FileError e = assertThrows(FileError.class, () -> Npy.read(missing));
        assertTrue(e.getMessage().contains("none.npy") && e.getMessage().contains("no such file"), e.getMessage());
        Path inNoFolder = dir.resolve("no/such/folder/x.npy");
        e = assertThrows(FileError.class, () -> Npy.write(inNoFolder, f32(1)));
        assertTrue(e.getMessage().contains("x.npy"), e.getMessage());
        Path f = dir.resolve("x.npy");
        Files.writeString(f, "old");
        Npy.write(f, f32(4));
        assertEquals(f32(4), Npy.read(f), "an existing file is replaced");
    }
}
