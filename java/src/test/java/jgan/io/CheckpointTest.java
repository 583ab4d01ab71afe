package jgan.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checkpoint file: round trip, atomic replacement, and clear errors for every kind of damage. */
class CheckpointTest {
    @TempDir
    Path dir;

    static Checkpoint sample() {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("step", 42L);
        header.put("config", Map.of("data", "ring8"));
        Map<String, float[]> sections = new LinkedHashMap<>();
        sections.put("g.params", new float[] {1f, -2.5f, Float.MIN_VALUE});
        sections.put("empty", new float[0]);
        return new Checkpoint(header, sections);
    }

    @Test
    void roundTrip() throws IOException {
        Path f = dir.resolve("checkpoint.bin");
        sample().write(f);
        Checkpoint c = Checkpoint.read(f);
        assertEquals(42L, c.header().get("step"));
        assertArrayEquals(new float[] {1f, -2.5f, Float.MIN_VALUE}, c.section("g.params"));
        assertEquals(0, c.section("empty").length);
        assertTrue(!Files.exists(dir.resolve("checkpoint.bin.tmp")), "no temporary file left");
    }

    /** The format byte by byte, written here independently of Checkpoint: streaming changed nothing in the file. */
    @Test
    void theStreamedFileHasTheDocumentedLayout() throws IOException {
        Path f = dir.resolve("checkpoint.bin");
        float[] big = new float[40_000]; // more than one 64 KB chunk
        for (int i = 0; i < big.length; i++) {
            big[i] = i * 0.25f - 7;
        }
        Map<String, float[]> sections = new LinkedHashMap<>(sample().sections());
        sections.put("big", big);
        Checkpoint c = new Checkpoint(sample().header(), sections);
        c.write(f);
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream d = new java.io.DataOutputStream(expected);
        d.writeBytes("JGANCKPT");
        d.writeInt(1);
        byte[] h = Json.write(c.header()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        d.writeInt(h.length);
        d.write(h);
        d.writeInt(sections.size());
        for (Map.Entry<String, float[]> e : sections.entrySet()) {
            d.writeUTF(e.getKey());
            d.writeInt(e.getValue().length);
            for (float v : e.getValue()) {
                d.writeFloat(v);
            }
        }
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(expected.toByteArray());
        d.writeLong(crc.getValue());
        assertArrayEquals(expected.toByteArray(), Files.readAllBytes(f));
        assertArrayEquals(expected.toByteArray(), c.toBytes());
        assertArrayEquals(big, Checkpoint.read(f).section("big"));
    }

    /** Run by {@link #aCheckpointIsStreamedNotBuiltInTheHeap} in a JVM with a small heap: writes a 48 MB checkpoint to args[0]. */
    public static void main(String[] args) {
        float[] v = new float[12 << 20];
        java.util.Arrays.fill(v, 0.5f);
        new Checkpoint(Map.of("step", 1L), Map.of("g.params", v)).write(Path.of(args[0]));
        System.out.println("written");
    }

    /**
     * A checkpoint whose sections take most of the heap is still written: the file is streamed,
     * not built in one array as large as itself (the tester's --g-width 2048 run died there).
     */
    @Test
    void aCheckpointIsStreamedNotBuiltInTheHeap() throws Exception {
        Path f = dir.resolve("checkpoint.bin");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-Xmx96m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                CheckpointTest.class.getName(), f.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);
        assertTrue(output.contains("written"), output);
        Checkpoint c = Checkpoint.read(f);
        assertEquals(12 << 20, c.section("g.params").length);
        assertEquals(0.5f, c.section("g.params")[12345]);
    }

    @Test
    void aLeftoverTemporaryFileDoesNotHurtTheCheckpoint() throws IOException {
        Path f = dir.resolve("checkpoint.bin");
        sample().write(f);
        byte[] before = Files.readAllBytes(f);
        // a writer killed mid-way leaves a partial temporary file; the checkpoint is intact
        Files.write(dir.resolve("checkpoint.bin.tmp"), Arrays.copyOf(before, 10));
        assertArrayEquals(before, Files.readAllBytes(f));
        Checkpoint.read(f);
        sample().write(f); // and the next write replaces the leftover
        Checkpoint.read(f);
    }

    @Test
    void damageIsNamed() throws IOException {
        byte[] good = sample().toBytes();
        IllegalArgumentException e;
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.fromBytes(Arrays.copyOf(good, good.length - 13), "f"));
        assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("corrupt"), e.getMessage());
        byte[] flipped = good.clone();
        flipped[good.length - 20] ^= 1;
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.fromBytes(flipped, "f"));
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
        byte[] notOurs = good.clone();
        notOurs[0] = 'X';
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.fromBytes(notOurs, "f"));
        assertTrue(e.getMessage().contains("not a jgan checkpoint"), e.getMessage());
        byte[] future = good.clone();
        future[11] = 9;
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.fromBytes(future, "f"));
        assertTrue(e.getMessage().contains("format version 9"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.fromBytes(new byte[3], "f"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.read(dir.resolve("missing.bin")));
        assertTrue(e.getMessage().contains("no checkpoint at"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sample().section("nope"));
        assertTrue(e.getMessage().contains("no section 'nope'"), e.getMessage());
    }

    @Test
    void jsonRoundTrip() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a \"quoted\"\nline");
        m.put("i", 3L);
        m.put("d", 0.25);
        m.put("b", true);
        m.put("n", null);
        m.put("l", java.util.List.of(1L, "x"));
        assertEquals(m, Json.parse(Json.write(m)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": 1,}"));
        assertTrue(e.getMessage().contains("bad JSON") && e.getMessage().contains("line 1"), e.getMessage());
    }
}
