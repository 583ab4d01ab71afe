package jgan.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.FloatBuffer;

import jgan.testing.TestDevices.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The upload ring: what a slot holds arrives where it is sent, in queue order; misuse is refused. */
class UploadRingTest {
    @ParameterizedTest(name = "[{0}] slots cycle and each upload lands at its offset")
    @MethodSource("jgan.testing.TestDevices#all")
    void uploadsLand(Target target) {
        Device d = target.device();
        try (UploadRing ring = d.uploadRing(5, 2); DeviceBuffer dst = d.allocate(4 * 15)) {
            assertEquals(5, ring.floats());
            assertEquals(2, ring.slots());
            for (int k = 0; k < 3; k++) { // three uploads through two slots: a slot is reused
                FloatBuffer f = ring.next();
                assertEquals(0, f.position());
                assertEquals(5, f.remaining());
                for (int i = 0; i < 5; i++) {
                    f.put(10 * k + i);
                }
                ring.upload(dst, 4L * 5 * k);
            }
            float[] back = new float[15];
            d.copyToHost(dst, 0, back, 0, 15);
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24}, back);
        }
    }

    @ParameterizedTest(name = "[{0}] misuse is refused: no slot, a slot twice, no room, zero sizes, during capture")
    @MethodSource("jgan.testing.TestDevices#all")
    void misuseRefused(Target target) {
        Device d = target.device();
        assertThrows(IllegalArgumentException.class, () -> d.uploadRing(0, 2));
        assertThrows(IllegalArgumentException.class, () -> d.uploadRing(4, 0));
        try (UploadRing ring = d.uploadRing(4, 2); DeviceBuffer dst = d.allocate(16)) {
            assertThrows(IllegalStateException.class, () -> ring.upload(dst, 0));
            ring.next();
            assertThrows(IllegalArgumentException.class, () -> ring.upload(dst, 4));
            ring.upload(dst, 0);
            assertThrows(IllegalStateException.class, () -> ring.upload(dst, 0));
            ring.next();
            d.beginCapture();
            try {
                assertThrows(IllegalStateException.class, () -> ring.upload(dst, 0));
            } finally {
                d.endCapture().close();
            }
        }
    }
}
