package jgan.device;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jgan.kernels.LeakyRelu;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.TestDevices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The host runtime catches broken kernels (kernels/broken_kernels.cu) and says which kernel,
 * block and thread, instead of hanging or computing garbage; and the device stays usable.
 * Not part of the sanitizer run: these kernels do what the sanitizers exist to report.
 */
@Tag("host-runtime-faults")
class HostRuntimeFaultsTest {
    private final HostDevice dev = TestDevices.host();

    private String failure(String kernel, LaunchConfig config, KernelArgs args) {
        KernelException e = assertThrows(KernelException.class, () -> dev.launch(kernel, config, args));
        return e.getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "message lacks '" + p + "':\n" + message);
        }
    }

    /** After any failure the runtime still runs kernels correctly. */
    @AfterEach
    void deviceStillWorks() {
        try (Tensor x = Tensor.of(dev, Shape.of(5), new float[] {-2, -1, 0, 1, 2})) {
            LeakyRelu.forward(x, x, 0.5f);
            org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {-1, -0.5f, 0, 1, 2}, x.toArray());
        }
    }

    @Test
    void syncthreadsInDivergentBranchIsReported() {
        try (DeviceBuffer x = dev.allocate(4 * 64)) {
            String m = failure("broken_divergent_syncthreads", new LaunchConfig(Dim3.of(1), Dim3.of(64), 0),
                    new KernelArgs().ptr(x));
            assertContains(m, "kernel 'broken_divergent_syncthreads' block (0,0,0)", "thread (1,0,0) exited",
                    "wait at __syncthreads() at broken_kernels.cu:", "thread (0,0,0)");
        }
    }

    @Test
    void outOfBoundsWriteIntoGuardPageIsReportedWithThread() {
        try (DeviceBuffer x = dev.allocate(4 * 64)) {
            String m = failure("broken_out_of_bounds_write", new LaunchConfig(Dim3.of(2), Dim3.of(32), 0),
                    new KernelArgs().ptr(x).i32(64).i32(64));
            assertContains(m, "kernel 'broken_out_of_bounds_write' block (0,0,0) thread (0,0,0)", "invalid write",
                    "0 bytes past the end of a 256-byte device buffer");
        }
    }

    @Test
    void outOfBoundsWriteIntoSlackIsReportedAfterLaunch() {
        // 61 floats = 244 bytes: 12 bytes of slack before the guard page
        try (DeviceBuffer x = dev.allocate(4 * 61)) {
            String m = failure("broken_out_of_bounds_write", new LaunchConfig(Dim3.of(1), Dim3.of(64), 0),
                    new KernelArgs().ptr(x).i32(61).i32(1));
            assertContains(m, "kernel 'broken_out_of_bounds_write' wrote past the end of the 244-byte device buffer of argument 0",
                    "bytes up to 4 past its end");
        }
    }

    @Test
    void nullPointerReadIsReported() {
        try (DeviceBuffer y = dev.allocate(4 * 32)) {
            String m = failure("broken_null_read", new LaunchConfig(Dim3.of(1), Dim3.of(32), 0),
                    new KernelArgs().ptr(null).ptr(y));
            assertContains(m, "kernel 'broken_null_read' block (0,0,0) thread (0,0,0)", "invalid read at address 0x0");
        }
    }

    @Test
    void deadlockIsReportedNotHung() {
        try (DeviceBuffer x = dev.allocate(4 * 32)) {
            dev.fill32(x, 0, 32, 0);
            String m = failure("broken_warp_deadlock", new LaunchConfig(Dim3.of(1), Dim3.of(32), 0), new KernelArgs().ptr(x));
            assertContains(m, "kernel 'broken_warp_deadlock' block (0,0,0): deadlock",
                    "16 threads, thread (0,0,0) to (15,0,0), wait at __shfl_sync (mask 0xffffffff) at broken_kernels.cu:",
                    "16 threads, thread (16,0,0) to (31,0,0), wait at __syncthreads() at broken_kernels.cu:");
        }
    }

    @Test
    void stackOverflowIsReported() {
        try (DeviceBuffer out = dev.allocate(4 * 32)) {
            String m = failure("broken_stack_overflow", new LaunchConfig(Dim3.of(1), Dim3.of(32), 0),
                    new KernelArgs().ptr(out).i32(12_345));
            assertContains(m, "kernel 'broken_stack_overflow' block (0,0,0) thread (0,0,0): stack overflow", "JGAN_HOST_STACK_KB");
        }
    }

    @Test
    void endlessLoopIsStoppedByTheWatchdog() {
        double limit = HostRuntime.launchTimeoutSeconds();
        HostRuntime.setLaunchTimeoutSeconds(1);
        try (DeviceBuffer flag = dev.allocate(4)) {
            dev.fill32(flag, 0, 1, 0);
            String m = failure("broken_spin_forever", new LaunchConfig(Dim3.of(4), Dim3.of(64), 0), new KernelArgs().ptr(flag));
            assertContains(m, "kernel 'broken_spin_forever' block (0,0,0) thread (0,0,0): still running after 1 s",
                    "JGAN_HOST_TIMEOUT_S");
        } finally {
            HostRuntime.setLaunchTimeoutSeconds(limit);
        }
    }

    @Test
    void fullMaskInPartialWarpIsReported() {
        try (DeviceBuffer out = dev.allocate(4 * 6 * 48)) {
            String m = failure("check_warp_intrinsics", new LaunchConfig(Dim3.of(1), Dim3.of(48), 0), new KernelArgs().ptr(out));
            assertContains(m, "thread (32,0,0)", "mask 0xffffffff", "warp 1 of this 48-thread block has only 16 lanes");
        }
    }

    @Test
    void dynamicSharedMemoryWithoutAnyIsReported() {
        try (DeviceBuffer x = dev.allocate(4 * 32); DeviceBuffer y = dev.allocate(4 * 32)) {
            String m = failure("check_dynamic_shared_reverse", new LaunchConfig(Dim3.of(1), Dim3.of(32), 0),
                    new KernelArgs().ptr(x).ptr(y).i32(32));
            assertContains(m, "uses dynamic shared memory but was launched with 0 bytes");
        }
    }

    @Test
    void argumentsThatDoNotMatchTheSignatureAreRefused() {
        try (DeviceBuffer x = dev.allocate(4 * 8)) {
            LaunchConfig one = new LaunchConfig(Dim3.of(1), Dim3.of(32), 0);
            String m = failure(LeakyRelu.FORWARD, one, new KernelArgs().ptr(x).ptr(x).i32(8));
            assertContains(m, "kernel 'leaky_relu_forward' takes 4 argument(s) (p8, p8, i4, f4) but was passed 3 (p, p, i)");
            m = failure(LeakyRelu.FORWARD, one, new KernelArgs().ptr(x).ptr(x).f32(8).f32(0.2f));
            assertContains(m, "(p8, p8, i4, f4) but was passed 4 (p, p, f, f)");
        }
        assertTrue(dev.kernelSignature(LeakyRelu.FORWARD).equals("ppif"));
    }

    @Test
    void closedBuffersCannotBePassed() {
        DeviceBuffer x = dev.allocate(64);
        x.close();
        assertThrows(IllegalStateException.class, () -> new KernelArgs().ptr(x));
    }

    @Test
    void unknownKernelIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> dev.launch("no_such_kernel", new LaunchConfig(Dim3.of(1), Dim3.of(1), 0), new KernelArgs()));
        assertContains(e.getMessage(), "no kernel 'no_such_kernel'");
    }
}
