package jgan.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jgan.kernels.LeakyRelu;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.TestDevices;
import jgan.testing.TestDevices.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The device layer: caching allocator, graph capture and replay, copies and their checks. */
@Tag("host-runtime")
class DeviceTest {

    @ParameterizedTest(name = "[{0}] caching allocator reuses blocks and counts")
    @MethodSource("jgan.testing.TestDevices#all")
    void cachingAllocator(Target target) {
        Device dev = target.device();
        MemoryStats before = dev.memoryStats();
        DeviceBuffer a = dev.allocate(1000);
        MemoryStats during = dev.memoryStats();
        assertEquals(before.bytesInUse() + 1000, during.bytesInUse());
        assertTrue(during.peakBytesInUse() >= during.bytesInUse());
        long address = a.address();
        a.close();
        a.close(); // harmless
        assertEquals(before.bytesInUse(), dev.memoryStats().bytesInUse());
        try (DeviceBuffer b = dev.allocate(1000)) {
            assertEquals(address, b.address(), "the freed block is reused");
            assertEquals(during.deviceAllocations(), dev.memoryStats().deviceAllocations());
            assertEquals(during.cacheHits() + 1, dev.memoryStats().cacheHits());
        }
        assertThrows(IllegalArgumentException.class, () -> dev.allocate(0));
    }

    @ParameterizedTest(name = "[{0}] a captured graph runs only when replayed")
    @MethodSource("jgan.testing.TestDevices#all")
    void graphCaptureAndReplay(Target target) {
        Device dev = target.device();
        try (Tensor x = Tensor.of(dev, Shape.of(4), new float[] {-8, -4, 4, 8}); Tensor y = Tensor.zeros(dev, Shape.of(4))) {
            dev.beginCapture();
            assertTrue(dev.isCapturing());
            LeakyRelu.forward(x, x, 0.5f);              // x <- leaky(x)
            dev.copy(x.buffer(), 0, y.buffer(), 0, 16); // y <- x
            assertThrows(IllegalStateException.class, x::toArray, "host copies are refused during capture");
            try (Graph g = dev.endCapture()) {
                assertEquals(2, g.size());
                assertArrayEquals(new float[] {-8, -4, 4, 8}, x.toArray(), "nothing ran during capture");
                g.replay();
                g.replay();
                dev.synchronize();
                assertArrayEquals(new float[] {-2, -1, 4, 8}, x.toArray());
                assertArrayEquals(new float[] {-2, -1, 4, 8}, y.toArray());
            }
        }
    }

    @ParameterizedTest(name = "[{0}] copies are range-checked")
    @MethodSource("jgan.testing.TestDevices#all")
    void copiesAreChecked(Target target) {
        Device dev = target.device();
        try (DeviceBuffer b = dev.allocate(40)) {
            float[] ten = new float[10];
            dev.copyToDevice(ten, 0, b, 0, 10);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dev.copyToDevice(ten, 0, b, 4, 10));
            assertTrue(e.getMessage().contains("40 bytes"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> dev.copyToHost(b, 0, ten, 5, 6));
            int[] ints = {1, 2, 3};
            dev.copyToDevice(ints, 0, b, 8, 3);
            int[] back = new int[3];
            dev.copyToHost(b, 8, back, 0, 3);
            assertArrayEquals(ints, back);
        }
    }

    @ParameterizedTest(name = "[{0}] workspaces are zeroed and persistent")
    @MethodSource("jgan.testing.TestDevices#all")
    void workspaces(Target target) {
        Device dev = target.device();
        DeviceBuffer w = dev.workspace("device-test", 64);
        int[] words = new int[16];
        dev.copyToHost(w, 0, words, 0, 16);
        assertArrayEquals(new int[16], words);
        assertEquals(w, dev.workspace("device-test", 32));
        assertThrows(IllegalArgumentException.class, () -> dev.workspace("device-test", 128));
    }

    @Test
    void openingDevicesByName() {
        try (Device d = Devices.open("host")) {
            assertEquals(DeviceKind.HOST, d.kind());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Devices.open("tpu"));
        assertTrue(e.getMessage().contains("unknown device 'tpu'"), e.getMessage());
        if (!CudaSupport.status().available()) {
            IllegalStateException s = assertThrows(IllegalStateException.class, () -> Devices.open("cuda"));
            assertTrue(s.getMessage().contains(CudaSupport.status().reason()), s.getMessage());
        }
    }

    @Test
    void closedDeviceRefusesWork() {
        HostDevice d = new HostDevice();
        d.close();
        assertThrows(IllegalStateException.class, () -> d.allocate(4));
        TestDevices.host().allocate(4).close(); // the shared device is unaffected
    }
}
