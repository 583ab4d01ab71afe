package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** {@code jgan bench} on the image models: what bench/cpu.sh reads (step_ms, params) and the cpu profile. */
class BenchCommandTest extends CliTestBase {
    /** A DCGAN-16 of ngf = ndf = 2, latent 4 (tiny: the test takes about a second). */
    private static final List<String> TINY = List.of("bench", "--device", "cpu", "--model", "dcgan", "--image-size", "16", "--channels",
            "1", "--g-width", "2", "--d-width", "2", "--latent", "4", "--batch", "4", "--warmup", "1", "--steps", "3");

    private int bench(String... more) {
        String[] args = new String[TINY.size() + more.length];
        TINY.toArray(args);
        System.arraycopy(more, 0, args, TINY.size(), more.length);
        return jgan(args);
    }

    private static String line(String text, String prefix) {
        return Arrays.stream(text.split("\n")).filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
    }

    @Test
    void modelWithoutDataStepsSyntheticImagesAndPrintsEachStepAndTheParameterCounts() {
        assertEquals(0, bench("--mode", "plain"), err());
        String o = out();
        assertTrue(o.contains("dcgan 4 x 16x16x1 (synthetic images), g_width 2, d_width 2, latent 4"), o);
        // PyTorch's count of the same modules (sum of numel() over parameters(), BN weight and bias included):
        // G convT 4->4 (256) BN (8) convT 4->2 (128) BN (4) convT 2->1 (32); D conv 1->2 (32) conv 2->4 (128) BN (8) conv 4->1 (64)
        assertEquals("params: G 428 D 232", line(o, "params:"), o);
        String steps = line(o, "step_ms:");
        assertTrue(steps != null, o);
        String[] ms = steps.substring("step_ms:".length()).trim().split(" ");
        assertEquals(3, ms.length, steps);
        for (String m : ms) {
            assertTrue(Double.parseDouble(m) > 0, steps);
        }
        assertTrue(o.contains("plain launches") && !o.contains("graph replay"), o);
        assertFalse(o.contains("step_ms_plain:"), o);
    }

    @Test
    void bothModesGiveTwoStepLinesGraphFirst() {
        assertEquals(0, bench(), err());
        assertTrue(out().contains("graph replay") && out().contains("plain launches") && out().contains("graph / plain"), out());
        Matcher m = Pattern.compile("(?m)^step_ms_plain:( [0-9.]+){3}$").matcher(out());
        assertTrue(m.find() && line(out(), "step_ms:") != null, out());
    }

    @Test
    void profileSaysWhereTheStepsTimeGoesPerOpClassAndPerLaunch() {
        assertEquals(0, bench("--mode", "plain", "--profile", "--profile-steps", "2"), err());
        String o = out();
        assertTrue(o.contains("profile: 2 plain steps"), o);
        assertTrue(o.contains("profile per launch") && o.contains("conv2d_"), o);
        for (String cls : List.of("conv dgrad (convT fprop)", "conv wgrad + bias", "batch norm", "Adam", "(between launches)")) {
            assertTrue(o.contains("\n" + cls + " "), cls + ": " + o);
        }
        Matcher adam = Pattern.compile("(?m)^Adam\\s+[0-9.]+\\s+[0-9.]+%\\s+([0-9]+)").matcher(o);
        assertTrue(adam.find(), o);
        assertEquals(4, Integer.parseInt(adam.group(1)), "2 adam_update + 2 optimizer_step_increment a step: " + o);
    }

    @Test
    void badModeAndProfileOffTheCpuDeviceAreRefused() {
        assertEquals(2, bench("--mode", "replay"));
        assertTrue(err().contains("--mode must be graph, plain or both, got 'replay'"), err());
        assertEquals(2, jgan("bench", "--device", "host", "--steps", "1", "--warmup", "1", "--profile"));
        assertTrue(err().contains("--profile times the cpu device's synchronous launches: use --device cpu"), err());
    }
}
