package jgan.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import jgan.kernels.Dense;
import jgan.kernels.LeakyRelu;
import jgan.kernels.SigmoidCrossEntropy;
import jgan.testing.TestDevices;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Every kernel of kernels/*.cu is in the host runtime, and every Java face names a real kernel. */
@Tag("host-runtime")
class KernelCatalogueTest {
    static Set<String> builtKernels() throws IOException {
        try (InputStream in = KernelCatalogueTest.class.getResourceAsStream("/jgan/kernels.txt")) {
            assertTrue(in != null, "the build writes /jgan/kernels.txt");
            return Arrays.stream(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
                    .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void hostRuntimeHasEveryKernel() throws IOException {
        Set<String> built = builtKernels();
        assertEquals(built, new TreeSet<>(TestDevices.host().kernelNames()));
        for (String k : new String[] {LeakyRelu.FORWARD, LeakyRelu.BACKWARD, SigmoidCrossEntropy.KERNEL, Dense.FORWARD,
                Dense.BACKWARD_DATA, Dense.BACKWARD_WEIGHT}) {
            assertTrue(built.contains(k), k);
        }
    }
}
