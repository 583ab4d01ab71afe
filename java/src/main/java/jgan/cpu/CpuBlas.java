package jgan.cpu;

import java.util.Map;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;

/**
 * The BLAS under the cpu device's GEMMs, chosen once per JVM: OpenBLAS as JavaCPP bundles it
 * ({@code org.bytedeco:openblas}, linux-x86_64), called through netlib's API
 * ({@code dev.ludovic.netlib:blas}), so that {@code sgemm} takes our {@code float[]} scratch
 * arrays with no copy (netlib's JNI pins them; JavaCPP's own {@code float[]} overloads would copy
 * each array on every call).
 *
 * <p>Wiring: JavaCPP's {@code Loader} extracts and loads {@code openblas_nolapack} (its cache,
 * {@code ~/.javacpp/cache}); netlib is then pointed at that very file with the system property
 * {@code dev.ludovic.netlib.blas.nativeLibPath} before its first use, so netlib's JNI layer
 * {@code dlopen}s the library already in the process (one copy of OpenBLAS, one thread setting).
 * OpenBLAS is set to 1 thread per call ({@code openblas_set_num_threads(1)}): the cpu device cuts
 * every GEMM into blocks fixed by the shape and runs them on its own threads, each block a
 * single-threaded GEMM over the whole K, so no result depends on the thread count (a
 * multi-threaded OpenBLAS splits K or M/N by its thread count and changes bits).
 *
 * <p>Fallback: where the bundled library cannot be loaded (another platform, a broken cache) the
 * device uses netlib's Java BLAS and {@link #description()} says why. netlib is then told not to
 * look for a system {@code libblas.so.3} ({@code dev.ludovic.netlib.blas.allowNative=false}),
 * which would print a "dlopen(libblas.so.3) failed" line on stderr on every machine without one;
 * a failure to load the library we found is still printed by netlib, as it is a real error.
 * {@code -Djgan.cpu.blas=java} asks for the Java BLAS; a user who sets netlib's own properties
 * ({@code nativeLib}, {@code nativeLibPath}, {@code allowNative}) gets netlib's choice.
 */
public final class CpuBlas {
    private static final String NATIVE_LIB_PATH = "dev.ludovic.netlib.blas.nativeLibPath";
    private static final String NATIVE_LIB = "dev.ludovic.netlib.blas.nativeLib";
    private static final String ALLOW_NATIVE = "dev.ludovic.netlib.blas.allowNative";

    private static CpuBlas instance;

    private final BLAS blas;
    private final String description;
    private final boolean bundled;

    private CpuBlas(BLAS blas, String description, boolean bundled) {
        this.blas = blas;
        this.description = description;
        this.bundled = bundled;
    }

    /** The BLAS of this JVM (loaded on the first call). */
    public static synchronized CpuBlas get() {
        if (instance == null) {
            instance = load();
        }
        return instance;
    }

    /** netlib's Java BLAS (the fallback), whatever {@link #get()} chose: for comparisons. */
    public static BLAS javaBlas() {
        get(); // netlib's choice is made once, with our properties set
        return JavaBLAS.getInstance();
    }

    public BLAS blas() {
        return blas;
    }

    /** Whether this is the bundled OpenBLAS (single-threaded per call). */
    public boolean bundledOpenBlas() {
        return bundled;
    }

    /** What {@code jgan info} says, e.g. "OpenBLAS 0.3.31 (bundled, 1 thread per call)". */
    public String description() {
        return description;
    }

    private static CpuBlas load() {
        String choice = System.getProperty("jgan.cpu.blas", "openblas").trim();
        boolean userNetlib = System.getProperty(NATIVE_LIB_PATH) != null || System.getProperty(NATIVE_LIB) != null
                || System.getProperty(ALLOW_NATIVE) != null;
        if (userNetlib) {
            BLAS b = BLAS.getInstance();
            return new CpuBlas(b, "netlib's choice by its system properties: " + b.getClass().getName()
                    + (b instanceof NativeBLAS ? " (a native BLAS that threads itself gives bits that depend on its thread count)" : ""),
                    false);
        }
        if (choice.equals("java")) {
            return javaFallback("-Djgan.cpu.blas=java");
        }
        if (!choice.equals("openblas")) {
            throw new IllegalArgumentException("cpu: -Djgan.cpu.blas must be openblas or java, got '" + choice + "'");
        }
        String path;
        String version;
        try {
            org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            path = null;
            for (Map.Entry<String, String> e : org.bytedeco.javacpp.Loader.getLoadedLibraries().entrySet()) {
                if (e.getKey().startsWith("openblas_nolapack@")) {
                    path = e.getValue();
                }
            }
            if (path == null) {
                return javaFallback("JavaCPP loaded openblas_nolapack but did not say where ("
                        + org.bytedeco.javacpp.Loader.getLoadedLibraries().keySet() + ")");
            }
            org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads(1);
            int threads = org.bytedeco.openblas.global.openblas_nolapack.blas_get_num_threads();
            if (threads != 1) {
                return javaFallback("openblas_set_num_threads(1) left it at " + threads + " threads");
            }
            version = org.bytedeco.openblas.global.openblas_nolapack.OPENBLAS_VERSION.trim();
        } catch (LinkageError | RuntimeException e) { // UnsatisfiedLinkError, NoClassDefFoundError, Loader's own
            return javaFallback("the bundled OpenBLAS did not load: " + e);
        }
        System.setProperty(NATIVE_LIB_PATH, path);
        BLAS b = BLAS.getInstance();
        if (!(b instanceof NativeBLAS)) {
            return new CpuBlas(b, "netlib Java BLAS (" + b.getClass().getName() + "; netlib did not take the bundled OpenBLAS at "
                    + path + ")", false);
        }
        return new CpuBlas(b, version + " (bundled, 1 thread per call)", true);
    }

    private static CpuBlas javaFallback(String why) {
        System.setProperty(ALLOW_NATIVE, "false");
        JavaBLAS b = JavaBLAS.getInstance();
        return new CpuBlas(b, "netlib Java BLAS (" + b.getClass().getName() + "; " + why + ")", false);
    }
}
