package jgan.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The fatbin in the jar holds machine code for sm_75 ... sm_120 and PTX for the newest. */
class FatbinTest {
    @Test
    void holdsEveryCurrentArchitectureAndPtx() {
        Optional<Fatbin> f = Fatbin.load();
        assumeTrue(f.isPresent(), "kernels not built: nvcc was missing at build time");
        assertEquals(List.of(75, 80, 86, 89, 90, 100, 120), f.get().sassArchitectures());
        assertEquals(List.of(120), f.get().ptxArchitectures());
    }

    @Test
    void refusesWhatIsNotAFatbin() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Fatbin.parse(new byte[64]));
        assertEquals("not a CUDA fatbin (magic 0xBA55ED50 missing)", e.getMessage());
    }
}
