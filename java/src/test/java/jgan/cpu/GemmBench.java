package jgan.cpu;

import java.util.Arrays;
import java.util.SplittableRandom;

import dev.ludovic.netlib.blas.BLAS;

/**
 * By hand, not a test: GFLOP/s of {@code sgemm} on the GEMMs of DCGAN-28's layers, through the
 * cpu device's BLAS ({@link CpuBlas}: the bundled OpenBLAS, 1 thread per call) against netlib's
 * Java BLAS (what the cpu device used before), each (a) as one call on one thread and (b) cut into
 * the blocks the cpu device uses ({@link CpuDense#rowsPerTask}) on its threads. Medians of
 * several timed runs after a warm-up, the two BLASes alternating. Run by bench/cpu/gemm.sh.
 *
 * <p>Usage: {@code GemmBench [threads] [batch]} (default 2 threads, batch 64).
 */
public final class GemmBench {
    private GemmBench() {
    }

    /** A column-major GEMM C[m x n] = A[m x k] B[k x n], named after the layer pass it stands for. */
    record Shape(String what, int m, int n, int k) {
    }

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        CpuBlas cpuBlas = CpuBlas.get();
        BLAS fast = cpuBlas.blas(), java = CpuBlas.javaBlas();
        // DCGAN-28 at this batch: D conv 1->64 k4 s2 p1 (28->14), D conv 64->128 k4 s2 p1 (14->7),
        // G convT 128->64 (7->14) and 64->1 (14->28) as col = x W then col2im, G dense 64 -> 6272.
        Shape[] shapes = {
            new Shape("D conv1 fprop  (NPQ x K x RSC)", batch * 196, 64, 16),
            new Shape("D conv2 fprop  (NPQ x K x RSC)", batch * 49, 128, 1024),
            new Shape("D conv2 dgrad  (NPQ x RSC x K)", batch * 49, 1024, 128),
            new Shape("D conv2 wgrad  (K x RSC x NPQ)", 128, 1024, batch * 49),
            new Shape("G convT1 fwd   (NHW x RSK x C)", batch * 49, 1024, 128),
            new Shape("G convT2 fwd   (NHW x RSK x C)", batch * 196, 16, 64),
            new Shape("G dense fwd    (N x 6272 x 64)", batch, 6272, 64),
        };
        System.out.printf("sgemm GFLOP/s, DCGAN-28 GEMMs at batch %d; %s threads for the blocked runs; %d cores%n", batch, threads,
                Runtime.getRuntime().availableProcessors());
        System.out.printf("fast = %s; java = %s%n", cpuBlas.description(), java.getClass().getName());
        System.out.printf("%-32s %6s %6s %6s | %8s %8s %6s | %8s %8s %6s%n", "GEMM", "M", "N", "K",
                "java 1t", "fast 1t", "x", "java " + threads + "t", "fast " + threads + "t", "x");
        try (CpuParallel parallel = new CpuParallel(threads)) {
            for (Shape s : shapes) {
                SplittableRandom r = new SplittableRandom(1);
                float[] a = fill(r, (long) s.m * s.k), b = fill(r, (long) s.k * s.n), c = new float[s.m * s.n];
                double[] t = new double[4];
                double flop = 2.0 * s.m * s.n * s.k;
                // warm-up (the Java BLAS is JIT-compiled after a few hundred calls)
                time(() -> one(java, s, a, b, c), 1.0);
                time(() -> blocked(parallel, java, s, a, b, c), 0.5);
                time(() -> one(fast, s, a, b, c), 0.3);
                time(() -> blocked(parallel, fast, s, a, b, c), 0.3);
                double[][] runs = new double[4][5];
                for (int rep = 0; rep < 5; rep++) {
                    runs[0][rep] = time(() -> one(java, s, a, b, c), 0.2);
                    runs[1][rep] = time(() -> one(fast, s, a, b, c), 0.2);
                    runs[2][rep] = time(() -> blocked(parallel, java, s, a, b, c), 0.2);
                    runs[3][rep] = time(() -> blocked(parallel, fast, s, a, b, c), 0.2);
                }
                for (int i = 0; i < 4; i++) {
                    Arrays.sort(runs[i]);
                    t[i] = flop / runs[i][2] / 1e9;
                }
                System.out.printf("%-32s %6d %6d %6d | %8.1f %8.1f %5.1fx | %8.1f %8.1f %5.1fx%n", s.what, s.m, s.n, s.k,
                        t[0], t[1], t[1] / t[0], t[2], t[3], t[3] / t[2]);
            }
        }
    }

    private static float[] fill(SplittableRandom r, long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    private static void one(BLAS blas, Shape s, float[] a, float[] b, float[] c) {
        blas.sgemm("N", "N", s.m, s.n, s.k, 1f, a, s.m, b, s.k, 0f, c, s.m);
    }

    /**
     * As the cpu device cuts a GEMM: blocks of the longer result dimension (never K), sized by
     * {@link CpuDense#rowsPerTask}, one single-threaded call each.
     */
    private static void blocked(CpuParallel parallel, BLAS blas, Shape s, float[] a, float[] b, float[] c) {
        if (s.n >= s.m) {
            int block = CpuDense.rowsPerTask(s.n, (long) s.m * s.k);
            parallel.run(CpuParallel.tasks(s.n, block), t -> {
                int j0 = t * block, nj = Math.min(s.n, j0 + block) - j0;
                blas.sgemm("N", "N", s.m, nj, s.k, 1f, a, 0, s.m, b, j0 * s.k, s.k, 0f, c, j0 * s.m, s.m);
            });
        } else {
            int block = CpuDense.rowsPerTask(s.m, (long) s.n * s.k);
            parallel.run(CpuParallel.tasks(s.m, block), t -> {
                int i0 = t * block, ni = Math.min(s.m, i0 + block) - i0;
                blas.sgemm("N", "N", ni, s.n, s.k, 1f, a, i0, s.m, b, 0, s.k, 0f, c, i0, s.m);
            });
        }
    }

    /** Seconds per call: calls repeated for at least {@code seconds}. */
    private static double time(Runnable call, double seconds) {
        call.run();
        long t0 = System.nanoTime(), end = t0 + (long) (seconds * 1e9);
        int calls = 0;
        long now;
        do {
            call.run();
            calls++;
            now = System.nanoTime();
        } while (now < end);
        return (now - t0) / 1e9 / calls;
    }
}
