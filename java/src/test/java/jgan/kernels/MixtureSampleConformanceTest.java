package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jgan.data.Mixture;
import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.Graph;
import jgan.reference.MixtureSampleReference;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.TestDevices;
import jgan.testing.TestDevices.Target;
import jgan.testing.Tolerance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** kernels/mixture.cu against {@link MixtureSampleReference}, and the mixtures' definitions. */
@Tag("host-runtime")
class MixtureSampleConformanceTest {

    @ParameterizedTest(name = "[{0}] ring8 and grid25 draws, replayed with an advancing offset")
    @MethodSource("jgan.testing.TestDevices#all")
    void matchesReferenceAcrossReplays(Target target) {
        Device dev = target.device();
        for (Mixture m : new Mixture[] {Mixture.ring8(), Mixture.grid25()}) {
            int n = 1001;
            long seed = 42, start = 7;
            try (Tensor out = Tensor.empty(dev, Shape.of(n, 2)); Tensor centers = Tensor.of(dev, Shape.of(m.modes(), 2), m.centers());
                 DeviceBuffer offset = dev.allocate(8)) {
                dev.copyToDevice(new int[] {(int) start, 0}, 0, offset, 0, 2);
                dev.beginCapture();
                MixtureSample.sample(out, centers, m.std(), seed, offset);
                Counters.addI64(offset, n);
                try (Graph g = dev.endCapture()) {
                    for (int step = 0; step < 2; step++) {
                        out.fill(Float.NaN);
                        g.replay();
                        float[] ref = MixtureSampleReference.sample(n, m.centers(), m.std(), seed, start + (long) step * n);
                        Tolerance.assertClose(m.name() + " step " + step, out.toArray(), ref, 1e-6, 1e-6);
                    }
                }
            }
        }
    }

    @Test
    void mixturesFollowThePacGanProtocol() {
        Mixture ring = Mixture.ring8(), grid = Mixture.grid25();
        assertTrue(ring.modes() == 8 && ring.std() == 0.01f && grid.modes() == 25 && grid.std() == 0.05f);
        for (int k = 0; k < 8; k++) {
            float[] c = ring.centers();
            Tolerance.assertClose("ring radius", Math.hypot(c[2 * k], c[2 * k + 1]), 1.0, 1e-6, 0);
        }
        assertTrue(grid.nearestMode(3.9f, -4.1f) == grid.nearestMode(4f, -4f));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Mixture.named("spiral"));
        assertTrue(e.getMessage().contains("unknown mixture 'spiral'"), e.getMessage());
    }

    /** The modes are drawn evenly: each of grid25's 25 gets 4% +- 0.5% of 100k rows. */
    @Test
    void modesAreEquallyLikely() {
        int n = 100_000;
        int[] counts = new int[25];
        for (int mode : MixtureSampleReference.modes(n, 25, 1, 0)) {
            counts[mode]++;
        }
        for (int c : counts) {
            assertTrue(Math.abs(c / (double) n - 0.04) < 0.005, java.util.Arrays.toString(counts));
        }
    }
}
