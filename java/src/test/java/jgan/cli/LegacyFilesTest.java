package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import jgan.gan.TrainConfig;
import jgan.gan.TrainingCheckpoint;
import jgan.io.Checkpoint;
import jgan.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files written by jgan before Gson replaced its hand-written JSON code (test resources
 * jgan/legacy/: a 20-step ring8 run, width 8, depth 1, latent 2) still read, and the run resumes.
 */
class LegacyFilesTest {
    @TempDir
    Path dir;

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = LegacyFilesTest.class.getResourceAsStream("/jgan/legacy/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void configAndCheckpointWrittenBeforeGsonReadTheSame() throws IOException {
        String configText = new String(resource("config.json"), StandardCharsets.UTF_8);
        TrainConfig config = TrainConfig.fromMap(Json.parseObject(configText));
        assertEquals(8, config.width());
        assertEquals(5e-4f, config.lrG());
        assertEquals(configText, Json.write(config.toMap()), "Gson writes config.json byte for byte as before");
        Checkpoint c = Checkpoint.fromBytes(resource("checkpoint.bin"), "legacy checkpoint.bin");
        assertEquals(config, TrainingCheckpoint.config(c));
        assertEquals(20L, c.header().get("step"));
        assertEquals(List.of(), TrainingCheckpoint.nonFiniteSections(c));
        assertEquals(2 * 8 + 8 + 8 * 2 + 2, c.section("g.params").length);
        assertEquals(2 * 8 + 8 + 8 + 1, c.section("d.adam_v").length);
        assertTrue(c.header().get("latent_offset") instanceof Long);
        // written again, the header reads back equal
        assertEquals(c.header(), Checkpoint.fromBytes(c.toBytes(), "again").header());
    }

    @Test
    void aRunWrittenBeforeGsonResumes() throws IOException {
        Path run = dir.resolve("legacy");
        Files.createDirectories(run);
        for (String f : List.of("config.json", "checkpoint.bin", "log.csv", "metrics.json")) {
            Files.write(run.resolve(f), resource(f));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = Main.run(new String[] {"train", "--resume", run.toString(), "--steps", "30", "--device", "cpu"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("resumed at step 20"), out.toString(StandardCharsets.UTF_8));
        assertEquals(30L, Checkpoint.read(run.resolve("checkpoint.bin")).header().get("step"));
        assertEquals(4, Files.readAllLines(run.resolve("log.csv")).size()); // header, 10, 20, 30
    }
}
