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

/** --r1 end to end on the host runtime with a tiny network: stated, written, resumed bit for bit, refused out of scope; in bench too. */
class R1OptionTest extends CliTestBase {
    private String[] tiny(String run, int steps, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--data", "ring8", "--out", run, "--device", "host", "--steps", "" + steps,
                "--batch", "40", "--width", "16", "--depth", "1", "--latent", "3", "--log-every", "10", "--checkpoint-every", "20"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    void packedR1RunResumesBitForBit() throws IOException {
        Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
        String[] opts = {"--r1", "2", "--pack", "2", "--activation", "leakyrelu", "--slope", "0.1"};
        assertEquals(0, jgan(tiny(straight.toString(), 40, opts)), err());
        assertTrue(out().contains("R1 penalty on D, gamma 2.0"), out());
        assertEquals(0, jgan(tiny(resumed.toString(), 20, opts)), err());
        assertEquals(0, jgan("train", "--resume", resumed.toString(), "--steps", "40", "--device", "host"), err());
        Checkpoint a = Checkpoint.read(straight.resolve("checkpoint.bin")), b = Checkpoint.read(resumed.resolve("checkpoint.bin"));
        for (String section : List.of("g.params", "d.params", "d.adam_v")) {
            assertArrayEquals(a.section(section), b.section(section), section + ": resumed = straight");
        }
        Map<String, Object> config = Json.parseObject(Files.readString(straight.resolve("config.json")));
        assertEquals(2.0, ((Number) config.get("r1")).doubleValue(), 0);
        assertEquals(0, jgan(tiny(dir.resolve("off").toString(), 20, "--r1", "0")), err());
        assertFalse(Json.parseObject(Files.readString(dir.resolve("off").resolve("config.json"))).containsKey("r1"),
                "r1 is not written when off");
        // The mixtures' default is on (gamma 10, issue 11's sweep), off with tanh where it does not apply.
        assertEquals(0, jgan(tiny(dir.resolve("default").toString(), 20)), err());
        assertEquals(10.0, ((Number) Json.parseObject(Files.readString(dir.resolve("default").resolve("config.json"))).get("r1"))
                .doubleValue(), 0);
        assertEquals(0, jgan(tiny(dir.resolve("tanh").toString(), 20, "--activation", "tanh")), err());
        assertFalse(Json.parseObject(Files.readString(dir.resolve("tanh").resolve("config.json"))).containsKey("r1"),
                "tanh: r1 off by default");
    }

    @Test
    void outOfScopeR1IsRefusedBeforeTraining() {
        assertEquals(2, jgan(tiny(dir.resolve("a").toString(), 20, "--r1", "-1")));
        assertTrue(err().contains("--r1 must be a finite number >= 0"), err());
        assertEquals(2, jgan(tiny(dir.resolve("b").toString(), 20, "--r1", "1", "--activation", "tanh")));
        assertTrue(err().contains("r1 needs activation relu or leakyrelu"), err());
        assertFalse(Files.exists(dir.resolve("a")) || Files.exists(dir.resolve("b")), "a refused run leaves no folder");
    }

    @Test
    void helpNamesTheSourceAndBenchTakesIt() {
        assertEquals(0, jgan("train", "--help"));
        assertTrue(out().contains("--r1") && out().contains("Mescheder"), out());
        assertEquals(0, jgan("bench", "--device", "cpu", "--data", "ring8", "--batch", "40", "--width", "16", "--depth", "1", "--latent", "3",
                "--warmup", "1", "--steps", "2", "--r1", "1", "--mode", "plain"), err());
        assertTrue(out().contains("R1 penalty on D, gamma 1.0"), out());
    }
}
