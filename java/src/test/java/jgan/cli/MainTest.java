package jgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import jgan.device.CudaSupport;
import jgan.device.HostRuntime;
import org.junit.jupiter.api.Test;

class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void infoTellsWhyTheGpuIsOrIsNotUsed() {
        assertEquals(0, run("info"));
        String text = out.toString(StandardCharsets.UTF_8);
        CudaSupport.Status cuda = CudaSupport.status();
        if (cuda.available()) {
            assertTrue(text.contains("GPU: used"), text);
        } else {
            assertTrue(text.contains("GPU: not used — " + cuda.reason()), text);
        }
        assertTrue(text.contains("JCublas: "), text);
        assertTrue(text.contains("GPU kernels: "), text);
        if (HostRuntime.status().available()) {
            assertTrue(text.contains("host runtime: loaded"), text);
            assertTrue(text.contains("  host: host runtime"), text);
        }
    }

    @Test
    void unknownCommandFailsWithUsage() {
        assertEquals(2, run("frobnicate"));
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("unknown command 'frobnicate'") && e.contains("Usage: jgan"), e);
    }
}
