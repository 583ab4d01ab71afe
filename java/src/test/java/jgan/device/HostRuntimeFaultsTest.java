package jgan.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.function.Function;
import java.util.regex.Pattern;

import jgan.kernels.LeakyRelu;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.TestDevices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The host runtime catches broken kernels (kernels/broken_kernels.cu) and says which kernel,
 * block and thread, instead of hanging or computing garbage; and the device stays usable.
 * Not part of the sanitizer run: these kernels do what the sanitizers exist to report. The
 * shared-memory race tests ({@link RaceCheck}) need the race-check build and run only in the
 * race-check run (tag host-runtime-races); the schedule tests run on any build.
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

    // ---- the schedule (any build) ----

    private int[] launchInts(String kernel, int blocks, int threads, int outInts, Function<DeviceBuffer, KernelArgs> args) {
        try (DeviceBuffer out = dev.allocate(4L * outInts)) {
            dev.fill32(out, 0, outInts, -1);
            dev.launch(kernel, new LaunchConfig(Dim3.of(blocks), Dim3.of(threads), 0), args.apply(out));
            int[] result = new int[outInts];
            dev.copyToHost(out, 0, result, 0, outInts);
            return result;
        }
    }

    private int[] lastWriters(String schedule) {
        String before = HostRuntime.schedule();
        HostRuntime.setSchedule(schedule);
        try {
            return launchInts("broken_last_writer_wins", 8, 64, 8, out -> new KernelArgs().ptr(out));
        } finally {
            HostRuntime.setSchedule(before);
        }
    }

    @Test
    void shuffledScheduleExposesAnOrderDependentResult() {
        int[] roundRobin = lastWriters("round-robin");
        int[] all63 = new int[8];
        Arrays.fill(all63, 63);
        assertArrayEquals(all63, roundRobin, "round-robin: thread 63 of each block stores last");
        int[] seed1 = lastWriters("shuffle:1");
        int[] seed2 = lastWriters("shuffle:2");
        assertFalse(Arrays.equals(seed1, roundRobin), "shuffle:1 gives round-robin's result " + Arrays.toString(seed1));
        assertFalse(Arrays.equals(seed1, seed2), "two seeds give the same result " + Arrays.toString(seed1));
        assertArrayEquals(seed1, lastWriters("shuffle:1"), "the same seed gives the same schedule");
        for (int v : seed1) {
            assertTrue(v >= 0 && v < 64, Arrays.toString(seed1));
        }
    }

    private int[] blockOrder(String schedule) {
        String before = HostRuntime.schedule();
        int workers = HostRuntime.workerCount();
        HostRuntime.setSchedule(schedule);
        HostRuntime.setWorkerCount(1);
        try (DeviceBuffer ticket = dev.allocate(4)) {
            dev.fill32(ticket, 0, 1, 0);
            return launchInts("broken_block_order", 37, 32, 37, out -> new KernelArgs().ptr(ticket).ptr(out));
        } finally {
            HostRuntime.setSchedule(before);
            HostRuntime.setWorkerCount(workers);
        }
    }

    @Test
    void shuffledScheduleRunsEveryBlockOnceInAnotherOrder() {
        int[] identity = new int[37];
        Arrays.setAll(identity, i -> i);
        assertArrayEquals(identity, blockOrder("round-robin"), "round-robin, one worker: blocks in index order");
        int[] shuffled = blockOrder("shuffle:12345");
        assertFalse(Arrays.equals(identity, shuffled), "shuffle:12345 ran the blocks in index order");
        int[] sorted = shuffled.clone();
        Arrays.sort(sorted);
        assertArrayEquals(identity, sorted, "every block runs exactly once: " + Arrays.toString(shuffled));
        assertArrayEquals(shuffled, blockOrder("shuffle:12345"), "the same seed gives the same block order");
    }

    @Test
    void malformedScheduleIsRefused() {
        String before = HostRuntime.schedule();
        for (String bad : new String[] {"shuffle", "shuffle:", "shuffle:x", "shuffle:-1", "random"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostRuntime.setSchedule(bad));
            assertContains(e.getMessage(), "'" + bad + "'", "round-robin or shuffle:SEED");
        }
        assertEquals(before, HostRuntime.schedule());
        HostRuntime.setSchedule("shuffle:0x10");
        assertEquals("shuffle:16", HostRuntime.schedule());
        HostRuntime.setSchedule(before);
    }

    @Test
    void raceCheckCannotBeSwitchedOnWithoutTheRaceCheckBuild() {
        if (HostRuntime.raceCheckBuilt()) {
            return; // the race-check build: RaceCheck covers it
        }
        assertFalse(HostRuntime.raceCheck());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> HostRuntime.setRaceCheck(true));
        assertContains(e.getMessage(), "no race check", "native/build.sh racecheck");
    }

    /**
     * Shared-memory races, caught by the race-check build (java/target/native-racecheck, loaded
     * by the racecheck-conformance run), with the kernel, block, both threads and the array.
     * Round-robin schedule unless a test says otherwise, so the first race found is fixed. (The
     * last thread to reach a barrier goes on first after it, so with round-robin that thread's
     * accesses come first in each interval after the first.)
     */
    @Nested
    @Tag("host-runtime-races")
    class RaceCheck {
        private String scheduleBefore;

        @BeforeEach
        void raceCheckOnRoundRobin() {
            assertTrue(HostRuntime.raceCheckBuilt(), "these tests need the race-check build of the host runtime "
                    + "(-Djgan.host.library=java/target/native-racecheck/libjgan_host.so), loaded: " + HostRuntime.status().source());
            HostRuntime.setRaceCheck(true);
            scheduleBefore = HostRuntime.schedule();
            HostRuntime.setSchedule("round-robin");
        }

        @AfterEach
        void restore() {
            HostRuntime.setSchedule(scheduleBefore);
            HostRuntime.setRaceCheck(true);
        }

        private float[] run(String kernel, int threads, float[] x, int outFloats) {
            try (DeviceBuffer in = dev.allocate(4L * x.length); DeviceBuffer out = dev.allocate(4L * outFloats)) {
                dev.copyToDevice(x, 0, in, 0, x.length);
                dev.launch(kernel, new LaunchConfig(Dim3.of(1), Dim3.of(threads), 0), new KernelArgs().ptr(in).ptr(out));
                float[] y = new float[outFloats];
                dev.copyToHost(out, 0, y, 0, outFloats);
                return y;
            }
        }

        private float[] iota(int n) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = i;
            }
            return x;
        }

        private String raceOf(String kernel, int threads, int outFloats) {
            float[] x = iota(threads);
            KernelException e = assertThrows(KernelException.class, () -> run(kernel, threads, x, outFloats));
            return e.getMessage();
        }

        @Test
        void missingBarrierBetweenStoreAndLoadIsAReadAfterWriteRace() {
            String m = raceOf("broken_race_missing_barrier", 64, 32);
            assertContains(m, "kernel 'broken_race_missing_barrier' block (0,0,0): shared-memory race (read-after-write hazard): ",
                    "thread (32,0,0) (warp 1, lane 0) read 4 byte(s) at byte 124 of __shared__ 'broken_race_missing_barrier::tile' "
                            + "(128 bytes), which thread (31,0,0) (warp 0, lane 31) wrote since the last __syncthreads()",
                    "(a missing __syncthreads()?)", "[this access at broken_race_missing_barrier+0x",
                    ", the other at broken_race_missing_barrier+0x");
        }

        @Test
        void overwriteBeforeOthersFinishReadingIsAWriteAfterReadRace() {
            String m = raceOf("broken_race_overwrite", 64, 64);
            assertContains(m, "kernel 'broken_race_overwrite' block (0,0,0): shared-memory race (write-after-read hazard): ",
                    "thread (31,0,0) (warp 0, lane 31) wrote 4 byte(s) at byte 124 of __shared__ 'broken_race_overwrite::buf' "
                            + "(256 bytes), which thread (63,0,0) (warp 1, lane 31) read since the last __syncthreads()",
                    "(a missing __syncthreads()?)");
        }

        /** A wmma load or store is one access of its warp, made by lane 0 in the report. */
        @Test
        void wmmaTileStoredByOneWarpAndLoadedByAnotherWithoutBarrierIsARace() {
            try (DeviceBuffer c = dev.allocate(4 * 256)) {
                String m = failure("broken_race_wmma", new LaunchConfig(Dim3.of(1), Dim3.of(64), 0), new KernelArgs().ptr(c));
                assertContains(m, "kernel 'broken_race_wmma' block (0,0,0): shared-memory race (read-after-write hazard): ",
                        "thread (32,0,0) (warp 1, lane 0) read 64 byte(s) at byte 0 of __shared__ 'broken_race_wmma::tile' "
                                + "(1024 bytes), which thread (0,0,0) (warp 0, lane 0) wrote since the last __syncthreads()",
                        "(a missing __syncthreads()?)");
            }
        }

        @Test
        void raceInDynamicSharedMemoryIsReported() {
            try (DeviceBuffer in = dev.allocate(4 * 64); DeviceBuffer out = dev.allocate(4 * 64)) {
                dev.fill32(in, 0, 64, 0);
                String m = failure("broken_race_dynamic_shared", new LaunchConfig(Dim3.of(1), Dim3.of(64), 4 * 64),
                        new KernelArgs().ptr(in).ptr(out));
                assertContains(m, "kernel 'broken_race_dynamic_shared' block (0,0,0): shared-memory race (write-after-read hazard): ",
                        "thread (32,0,0) (warp 1, lane 0) wrote 4 byte(s) at byte 128 of the dynamic shared memory (256 bytes), "
                                + "which thread (31,0,0) (warp 0, lane 31) read since the last __syncthreads()");
            }
        }

        /** Whatever order the threads run in, the missing barrier is found between a thread of each warp. */
        @Test
        void missingBarrierIsFoundUnderEveryShuffledSchedule() {
            Pattern warp0 = Pattern.compile("thread \\(([0-9]|[12][0-9]|3[01]),0,0\\) \\(warp 0, lane \\d+\\)");
            Pattern warp1 = Pattern.compile("thread \\((3[2-9]|[45][0-9]|6[0-3]),0,0\\) \\(warp 1, lane \\d+\\)");
            for (int seed = 1; seed <= 6; seed++) {
                HostRuntime.setSchedule("shuffle:" + seed);
                String m = raceOf("broken_race_missing_barrier", 64, 32);
                assertContains(m, "kernel 'broken_race_missing_barrier' block (0,0,0): shared-memory race (",
                        "__shared__ 'broken_race_missing_barrier::tile'", "[schedule shuffle:" + seed + "]");
                assertTrue(m.contains("read-after-write hazard") || m.contains("write-after-read hazard"), m);
                assertTrue(warp0.matcher(m).find() && warp1.matcher(m).find(), "not one thread of each warp:\n" + m);
            }
        }

        private float[] exchangeInWarp(int useSyncwarp) {
            try (DeviceBuffer out = dev.allocate(4 * 32)) {
                dev.launch("broken_race_in_warp", new LaunchConfig(Dim3.of(1), Dim3.of(32), 0),
                        new KernelArgs().ptr(out).i32(useSyncwarp));
                float[] y = new float[32];
                dev.copyToHost(out, 0, y, 0, 32);
                return y;
            }
        }

        @Test
        void syncwarpOrdersLanesAndItsAbsenceIsARace() {
            float[] y = exchangeInWarp(1);
            for (int lane = 0; lane < 32; lane++) {
                assertEquals(lane ^ 1, y[lane], 0f);
            }
            String m = assertThrows(KernelException.class, () -> exchangeInWarp(0)).getMessage();
            assertContains(m, "kernel 'broken_race_in_warp' block (0,0,0): shared-memory race (write-after-read hazard): ",
                    "thread (1,0,0) (warp 0, lane 1) wrote 4 byte(s) at byte 4 of __shared__ 'broken_race_in_warp::s' (128 bytes), "
                            + "which thread (0,0,0) (warp 0, lane 0) read since the last __syncthreads()",
                    "(a missing __syncwarp() or __syncthreads()?)");
        }

        private int[] count(int useAtomic) {
            try (DeviceBuffer out = dev.allocate(4 * 3)) {
                dev.launch("broken_race_shared_counter", new LaunchConfig(Dim3.of(3), Dim3.of(96), 0),
                        new KernelArgs().ptr(out).i32(useAtomic));
                int[] n = new int[3];
                dev.copyToHost(out, 0, n, 0, 3);
                return n;
            }
        }

        @Test
        void sharedMemoryAtomicsDoNotRaceButPlainIncrementsDo() {
            assertArrayEquals(new int[] {96, 96, 96}, count(1));
            String m = assertThrows(KernelException.class, () -> count(0)).getMessage();
            assertContains(m, "kernel 'broken_race_shared_counter' block (0,0,0): shared-memory race (read-after-write hazard): ",
                    "thread (0,0,0) (warp 0, lane 0) read 4 byte(s) at byte 0 of __shared__ 'broken_race_shared_counter::n' (4 bytes), "
                            + "which thread (95,0,0) (warp 2, lane 31) wrote since the last __syncthreads()");
        }

        @Test
        void raceCheckCanBeSwitchedOff() {
            HostRuntime.setRaceCheck(false);
            assertFalse(HostRuntime.raceCheck());
            float[] x = iota(64);
            float[] y = run("broken_race_missing_barrier", 64, x, 32);
            for (int i = 0; i < 32; i++) {
                assertEquals(31 - i, y[i], 0f, "round-robin: warp 0 stored the tile before warp 1 read it");
            }
        }
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
