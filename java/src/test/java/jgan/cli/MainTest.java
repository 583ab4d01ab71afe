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

    /** A command that runs out of heap, as a too-wide network would. */
    @picocli.CommandLine.Command(name = "jgan", subcommands = Hungry.Train.class)
    static final class Hungry implements Runnable {
        @Override
        public void run() {
        }

        @picocli.CommandLine.Command(name = "train")
        static final class Train implements Runnable {
            @Override
            public void run() {
                throw new OutOfMemoryError("Java heap space");
            }
        }
    }

    @Test
    void outOfMemoryIsOneLineWithWhatToLowerAndNoStackTrace() {
        picocli.CommandLine cl = new picocli.CommandLine(new Hungry());
        cl.setExecutionExceptionHandler((e, c, parsed) -> Main.failed(e, c, new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertEquals(1, Main.execute(cl, new String[] {"train"}, new PrintStream(err, true, StandardCharsets.UTF_8)));
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.startsWith("jgan train: out of memory") && e.contains("lower --batch, --g-width") && e.contains("JGAN_JAVA_OPTS=-Xmx"), e);
        assertEquals(1, e.strip().lines().count(), e);
        // wrapped (a loader thread's failure rethrown by the command): the same line
        err.reset();
        assertEquals(1, Main.failed(new IllegalStateException("loader failed", new OutOfMemoryError("Java heap space")),
                cl.getSubcommands().get("train"), new PrintStream(err, true, StandardCharsets.UTF_8)));
        e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.startsWith("jgan train: out of memory") && !e.contains("at jgan."), e);
        assertEquals(1, e.strip().lines().count(), e);
    }

    @Test
    void unknownCommandFailsWithUsage() {
        assertEquals(2, run("frobnicate"));
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("unknown command 'frobnicate'") && e.contains("Usage: jgan"), e);
    }
}
