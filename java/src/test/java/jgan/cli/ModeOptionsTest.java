package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jgan.io.Checkpoint;
import jgan.io.Json;
import org.junit.jupiter.api.Test;

/** --pack, --lr-schedule, --lr-final, --lr-warmup and --ema end to end on the host runtime, with a tiny network. */
class ModeOptionsTest extends CliTestBase {
    private String[] tiny(String run, int steps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--data", "ring8", "--out", run, "--device", "host", "--steps", "" + steps,
                "--batch", "40", "--width", "16", "--depth", "1", "--latent", "3", "--log-every", "10", "--checkpoint-every", "20"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /**
     * A packed run with G's EMA, stopped at 20 and resumed to 40, equals the straight run bit for
     * bit: parameters, the EMA (kept in the checkpoint) and the samples drawn from it.
     */
    @Test
    void packedEmaRunResumesBitForBit() throws IOException {
        Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
        String[] modes = {"--pack", "4", "--ema", "0.99"};
        assertEquals(0, jgan(tiny(straight.toString(), 40, modes)), err());
        assertTrue(out().contains("D packs 4 samples (PacGAN)") && out().contains("G EMA 0.99"), out());
        assertEquals(0, jgan(tiny(resumed.toString(), 20, modes)), err());
        assertEquals(0, jgan("train", "--resume", resumed.toString(), "--steps", "40", "--device", "host"), err());
        Checkpoint a = Checkpoint.read(straight.resolve("checkpoint.bin")), b = Checkpoint.read(resumed.resolve("checkpoint.bin"));
        for (String section : List.of("g.params", "g.ema", "d.params", "d.adam_v")) {
            assertArrayEquals(a.section(section), b.section(section), section + ": resumed = straight");
        }
        assertFalse(java.util.Arrays.equals(a.section("g.params"), a.section("g.ema")), "the EMA is not the parameters");
        assertEquals(Files.readString(straight.resolve("samples.csv")), Files.readString(resumed.resolve("samples.csv")));
        Map<String, Object> config = Json.parseObject(Files.readString(straight.resolve("config.json")));
        assertEquals(4L, ((Number) config.get("pack")).longValue());
        assertEquals(0.99, ((Number) config.get("ema")).doubleValue(), 1e-6);
        assertFalse(config.containsKey("lr_schedule"), "a constant rate is not written");
    }

    /** A scheduled run states its schedule, writes it to config.json, and its checkpoint holds the step count the rate follows. */
    @Test
    void scheduledRunStatesItsSchedule() throws IOException {
        Path run = dir.resolve("cos");
        assertEquals(0, jgan(tiny(run.toString(), 20, "--lr-schedule", "cosine", "--lr-final", "0.1", "--lr-warmup", "3")), err());
        assertTrue(out().contains("lr cosine to 0.1x, lr warm-up 3 steps"), out());
        Map<String, Object> config = Json.parseObject(Files.readString(run.resolve("config.json")));
        assertEquals("cosine", config.get("lr_schedule"));
        assertEquals(3L, ((Number) config.get("lr_warmup")).longValue());
        Checkpoint ck = Checkpoint.read(run.resolve("checkpoint.bin"));
        assertEquals(20L, ck.header().get("adam_steps_g"));
        assertFalse(ck.sections().containsKey("g.ema"), "no EMA section without --ema");
    }

    @Test
    void badModeOptionsAreNamed() throws IOException {
        assertEquals(2, jgan(tiny(dir.resolve("a").toString(), 20, "--pack", "3")));
        assertTrue(err().contains("batch 40 is not divisible by pack 3"), err());
        assertEquals(2, jgan(tiny(dir.resolve("b").toString(), 20, "--lr-final", "0.1")));
        assertTrue(err().contains("--lr-final") && err().contains("constant rate"), err());
        assertEquals(2, jgan(tiny(dir.resolve("c").toString(), 20, "--ema", "1")));
        assertTrue(err().contains("--ema must be in [0, 1)"), err());
        assertEquals(2, jgan(tiny(dir.resolve("d").toString(), 20, "--lr-schedule", "step")));
        assertTrue(err().contains("--lr-schedule must be constant, linear or cosine"), err());
        assertEquals(2, jgan(tiny(dir.resolve("e").toString(), 20, "--lr-warmup", "20")));
        assertTrue(err().contains("lr_warmup must be in [0, steps) = [0, 20)"), err());
        assertFalse(Files.exists(dir.resolve("a")), "a refused run leaves no folder");
    }
}
