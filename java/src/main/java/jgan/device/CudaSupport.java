package jgan.device;

import java.util.Locale;

/**
 * Whether this process can use CUDA, found out once and then remembered.
 *
 * <p>Asking is never fatal: on a machine without an NVIDIA driver JCuda's driver binding cannot
 * even load its native library (it links against {@code libcuda.so.1}), and the JVM then refuses
 * the class for the rest of the process. So the first probe catches that {@link LinkageError},
 * turns it into a sentence for people, and every later caller gets the cached answer instead of
 * a {@link NoClassDefFoundError}. Everything that touches JCuda lives in the nested probe classes,
 * so that this class itself loads even when the JCuda jars are not on the class path.
 */
public final class CudaSupport {
    /** The system property that turns CUDA off ({@code -Djgan.cuda=off}) even where a GPU is present. */
    public static final String PROPERTY = "jgan.cuda";

    private static final String NOT_PROBED = "not probed: CUDA is disabled";
    private static final String NONE = "none";

    private static volatile Status status;

    private CudaSupport() {
    }

    /**
     * What the probe found.
     *
     * @param available      whether a {@link CudaDevice} can be made (driver loaded, cuInit worked, at least one device)
     * @param reason         a sentence for people: why CUDA is unavailable, or what was found
     * @param deviceCount    CUDA devices the driver reports (0 when unavailable)
     * @param driverVersion  the CUDA version the driver supports, e.g. {@code 13.0}; {@code none} without a driver
     * @param cublasAvailable whether JCublas could load cuBLAS (optional: jgan's own kernels do not need it)
     * @param cublasReason   a sentence for people about cuBLAS
     */
    public record Status(boolean available, String reason, int deviceCount, String driverVersion,
                         boolean cublasAvailable, String cublasReason) {
    }

    /** The cached answer; the first call probes (it may take a moment where a driver is present). */
    public static Status status() {
        Status s = status;
        if (s == null) {
            synchronized (CudaSupport.class) {
                s = status;
                if (s == null) {
                    s = probe();
                    status = s;
                }
            }
        }
        return s;
    }

    /** The CUDA version the driver supports, e.g. {@code 13.0}, or {@code none}. */
    public static String driverVersionString() {
        return status().driverVersion();
    }

    private static Status probe() {
        String setting = System.getProperty(PROPERTY);
        if (setting != null && setting.trim().toLowerCase(Locale.ROOT).equals("off")) {
            return unavailable("disabled by -D" + PROPERTY + "=off", NONE);
        }
        // JCublas is probed whether or not there is a GPU: loading it needs only libcublas, so
        // `info` can say on any machine whether it would be there.
        String[] cublas = probeCublas();
        boolean cublasOk = cublas[0] != null;
        String cublasReason = cublasOk ? cublas[0] : cublas[1];
        DriverProbe.Result driver;
        try {
            driver = DriverProbe.run();
        } catch (LinkageError e) {
            return new Status(false, linkageReason(e), 0, NONE, cublasOk, cublasReason);
        } catch (RuntimeException e) {
            // e.g. a CudaException because some other code turned JCuda's exceptions on first
            return new Status(false, "the CUDA probe failed: " + e, 0, NONE, cublasOk, cublasReason);
        }
        if (!driver.available()) {
            return new Status(false, driver.reason(), 0, driver.version(), cublasOk, cublasReason);
        }
        return new Status(true, driver.reason(), driver.deviceCount(), driver.version(), cublasOk, cublasReason);
    }

    /** {loaded text, null} or {null, why not}. */
    private static String[] probeCublas() {
        try {
            return new String[] {CublasProbe.run(), null};
        } catch (LinkageError e) {
            return new String[] {null, cublasLinkageReason(e)};
        } catch (Throwable t) {
            return new String[] {null, "cuBLAS could not be used through JCublas: " + t};
        }
    }

    private static Status unavailable(String reason, String driverVersion) {
        return new Status(false, reason, 0, driverVersion, false, NOT_PROBED);
    }

    private static String linkageReason(LinkageError e) {
        String text = fullText(e);
        String detail = nativeDetail(e);
        if (text.contains("libcuda.so")) {
            return "no NVIDIA driver: libcuda.so.1 could not be loaded (" + detail + ")";
        }
        if (e instanceof NoClassDefFoundError && !text.contains("Could not initialize class")) {
            return "JCuda is not on the class path (" + detail + ")";
        }
        if (text.contains("Could not initialize class")) {
            return "JCuda's driver binding failed to initialize earlier in this process (" + detail + ")";
        }
        return "JCuda's driver library could not be loaded (" + detail + ")";
    }

    private static String cublasLinkageReason(LinkageError e) {
        String text = fullText(e);
        String detail = nativeDetail(e);
        if (text.contains("libcublas.so.12")) {
            return "JCublas 12.6.0 needs CUDA 12's libcublas.so.12, which could not be loaded (" + detail
                    + "); CUDA 13 installs only libcublas.so.13, which JCublas 12.6.0 cannot use";
        }
        if (e instanceof NoClassDefFoundError && !text.contains("Could not initialize class")) {
            return "JCublas is not on the class path (" + detail + ")";
        }
        return "JCublas's native library could not be loaded (" + detail + ")";
    }

    /** The message of a throwable and all its causes: JCuda puts the real reason in nested text. */
    private static String fullText(Throwable t) {
        StringBuilder s = new StringBuilder();
        for (Throwable c = t; c != null && s.length() < 100_000; c = c.getCause()) {
            s.append(c).append('\n');
        }
        return s.toString();
    }

    /**
     * The one useful line of JCuda's long loading report (it embeds two stack traces), e.g.
     * {@code libcuda.so.1: cannot open shared object file: No such file or directory}.
     */
    static String nativeDetail(Throwable t) {
        String text = fullText(t);
        for (String line : text.split("\n")) {
            if (line.contains("cannot open shared object file") || line.contains("undefined symbol")
                    || line.contains("version `") || line.contains("wrong ELF class")) {
                String l = line.trim();
                int colon = l.indexOf(": /");
                if (l.startsWith("java.lang.UnsatisfiedLinkError") && colon >= 0) {
                    l = l.substring(colon + 2);
                }
                int so = l.startsWith("/") ? l.indexOf(".so: ") : -1;
                return so >= 0 ? l.substring(so + 5) : l;
            }
        }
        String first = text.split("\n", 2)[0].trim();
        return first.length() > 300 ? first.substring(0, 300) + "…" : first;
    }

    static String cudaVersion(int v) {
        return v <= 0 ? NONE : (v / 1000) + "." + (v % 1000) / 10;
    }

    /** Touches JCudaDriver; kept apart so that a missing native library fails only here. */
    private static final class DriverProbe {
        record Result(boolean available, String reason, int deviceCount, String version) {
        }

        static Result run() {
            // The first use of JCudaDriver: this is where a missing libcuda.so.1 shows (LinkageError).
            // Return codes, not exceptions, are what CudaDevice checks.
            jcuda.driver.JCudaDriver.setExceptionsEnabled(false);
            int[] v = {0};
            String version = jcuda.driver.JCudaDriver.cuDriverGetVersion(v) == jcuda.driver.CUresult.CUDA_SUCCESS
                    ? cudaVersion(v[0]) : NONE;
            String driver = version.equals(NONE) ? "the NVIDIA driver" : "the NVIDIA driver (CUDA " + version + ")";
            int rc = jcuda.driver.JCudaDriver.cuInit(0);
            if (rc == jcuda.driver.CUresult.CUDA_ERROR_NO_DEVICE) {
                return new Result(false, driver + " found no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE)", 0, version);
            }
            if (rc != jcuda.driver.CUresult.CUDA_SUCCESS) {
                return new Result(false, driver + " could not be initialised (cuInit: "
                        + jcuda.driver.CUresult.stringFor(rc) + ")", 0, version);
            }
            int[] count = {0};
            rc = jcuda.driver.JCudaDriver.cuDeviceGetCount(count);
            if (rc != jcuda.driver.CUresult.CUDA_SUCCESS) {
                return new Result(false, driver + " could not count devices (cuDeviceGetCount: "
                        + jcuda.driver.CUresult.stringFor(rc) + ")", 0, version);
            }
            if (count[0] <= 0) {
                return new Result(false, driver + " reports no CUDA device", 0, version);
            }
            StringBuilder found = new StringBuilder();
            found.append(count[0]).append(count[0] == 1 ? " CUDA device" : " CUDA devices")
                    .append(" (driver supports CUDA ").append(version).append("):");
            for (int i = 0; i < count[0]; i++) {
                found.append(i == 0 ? " " : ", ").append("cuda:").append(i).append(' ').append(deviceName(i));
            }
            return new Result(true, found.toString(), count[0], version);
        }

        private static String deviceName(int ordinal) {
            jcuda.driver.CUdevice d = new jcuda.driver.CUdevice();
            if (jcuda.driver.JCudaDriver.cuDeviceGet(d, ordinal) != jcuda.driver.CUresult.CUDA_SUCCESS) {
                return "(unknown)";
            }
            byte[] name = new byte[256];
            if (jcuda.driver.JCudaDriver.cuDeviceGetName(name, name.length, d) != jcuda.driver.CUresult.CUDA_SUCCESS) {
                return "(unknown)";
            }
            return cString(name);
        }
    }

    /**
     * Loads JCublas's native library and asks cuBLAS its version: enough to know that the library
     * links, without creating a handle (which would create a context and load all of cuBLAS's code).
     */
    private static final class CublasProbe {
        static String run() {
            jcuda.jcublas.JCublas2.initialize();
            int[] major = {0};
            int[] minor = {0};
            int[] patch = {0};
            int ok = jcuda.jcublas.cublasStatus.CUBLAS_STATUS_SUCCESS;
            int rc = jcuda.jcublas.JCublas2.cublasGetProperty(jcuda.libraryPropertyType.MAJOR_VERSION, major);
            if (rc == ok) {
                rc = jcuda.jcublas.JCublas2.cublasGetProperty(jcuda.libraryPropertyType.MINOR_VERSION, minor);
            }
            if (rc == ok) {
                rc = jcuda.jcublas.JCublas2.cublasGetProperty(jcuda.libraryPropertyType.PATCH_LEVEL, patch);
            }
            if (rc != ok) {
                throw new IllegalStateException("cublasGetProperty: " + jcuda.jcublas.cublasStatus.stringFor(rc));
            }
            return "cuBLAS " + major[0] + "." + minor[0] + "." + patch[0] + " loaded through JCublas";
        }
    }

    /** A NUL-terminated C string from a fixed buffer. */
    static String cString(byte[] bytes) {
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, java.nio.charset.StandardCharsets.UTF_8);
    }
}
