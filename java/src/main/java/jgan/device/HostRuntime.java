package jgan.device;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The native host runtime (native/, built by g++ into libjgan_host.so and packaged in the jar):
 * the kernel sources compiled for the CPU, run with CUDA semantics. Loaded once; when it cannot
 * be loaded, {@link #status()} says why and {@link HostDevice} refuses to open.
 *
 * <p>{@code -Djgan.host.library=/path/libjgan_host.so} loads another build (the sanitizer run
 * uses the ASan+UBSan build this way, the race-check run the build with the shared-memory race
 * check).
 */
public final class HostRuntime {
    static final String RESOURCE = "/jgan/native/linux-x86_64/libjgan_host.so";

    /** Whether the library is loaded, and if not, why. */
    public record Status(boolean available, String source, String reason) {
    }

    private static final Status STATUS = load();

    private HostRuntime() {
    }

    public static Status status() {
        return STATUS;
    }

    static void requireAvailable() {
        if (!STATUS.available()) {
            throw new IllegalStateException("host runtime unavailable: " + STATUS.reason());
        }
    }

    private static Status load() {
        String os = System.getProperty("os.name", "").toLowerCase();
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return new Status(false, null, "the host runtime is built for linux-x86_64 only, this is " + os + "-" + arch);
        }
        String override = System.getProperty("jgan.host.library");
        try {
            if (override != null && !override.isBlank()) {
                Path p = Path.of(override).toAbsolutePath();
                if (!Files.isRegularFile(p)) {
                    return new Status(false, null, "-Djgan.host.library=" + override + " is not a file");
                }
                System.load(p.toString());
                return new Status(true, p.toString(), null);
            }
            try (InputStream in = HostRuntime.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    return new Status(false, null, "the jar has no " + RESOURCE + " (g++ failed or was missing at build time)");
                }
                Path tmp = Files.createTempFile("libjgan_host", ".so");
                tmp.toFile().deleteOnExit();
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                System.load(tmp.toString());
                return new Status(true, "jar:" + RESOURCE, null);
            }
        } catch (IOException | LinkageError e) {
            return new Status(false, null, "could not load the host runtime library: " + e);
        }
    }

    // ---- native methods (native/src/jni.cpp) ----
    static native String[] kernelNames();

    /** A handle for the named kernel, or 0 when there is no such kernel. */
    static native long kernelHandle(String name);

    /** Parameter kind codes of a kernel's C++ signature, e.g. "ppif". */
    static native String kernelSignature(long handle);

    /** Runs a kernel to completion; throws {@link KernelException} naming kernel, block and thread on failure. */
    static native void launch(long handle, int gx, int gy, int gz, int bx, int by, int bz, int sharedBytes, long[] args,
                              String kinds);

    /** Device memory with guard pages; 0 when the system is out of memory. */
    static native long allocate(long bytes);

    static native void free(long address);

    static native void copyFloatsIn(float[] src, int offset, long dst, int count);

    static native void copyFloatsOut(long src, float[] dst, int offset, int count);

    static native void copyIntsIn(int[] src, int offset, long dst, int count);

    static native void copyIntsOut(long src, int[] dst, int offset, int count);

    static native void copy(long src, long dst, long bytes);

    static native void fill32(long dst, long count, int bits);

    static native long allocatedBytes();

    /** Worker threads that run blocks in parallel (default: the number of cores, or $JGAN_HOST_THREADS). */
    public static native int workerCount();

    public static native void setWorkerCount(int workers);

    /** A launch still running after this long is stopped and reported, never left hanging (default 300 s). */
    public static native double launchTimeoutSeconds();

    public static native void setLaunchTimeoutSeconds(double seconds);

    /**
     * The order fibers and blocks run in: {@code "round-robin"} (the default: blocks in index
     * order, threads in thread order) or {@code "shuffle:SEED"} (blocks, and the threads of each
     * round between barriers or warp collectives, in an order drawn from SEED; the same seed gives
     * the same schedule). Starts as {@code $JGAN_HOST_SCHEDULE}.
     */
    public static native String schedule();

    /** Sets {@link #schedule()}; IllegalArgumentException for anything but round-robin or shuffle:SEED. */
    public static native void setSchedule(String schedule);

    /** Whether this build of the runtime has the shared-memory race check (native/build.sh racecheck). */
    public static native boolean raceCheckBuilt();

    /** Whether launches are race-checked: in the race-check build, unless $JGAN_HOST_RACECHECK=0 or switched off. */
    public static native boolean raceCheck();

    /** Switches the race check; IllegalStateException when switching it on in a build without it. */
    public static native void setRaceCheck(boolean on);
}
