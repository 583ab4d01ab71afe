package jgan.cpu;

import static jgan.cpu.CpuKernels.bits;
import static jgan.cpu.CpuKernels.f;
import static jgan.cpu.CpuKernels.getI64;
import static jgan.cpu.CpuKernels.putI64;

import jgan.cpu.CpuKernels.Call;
import jgan.reference.PhiloxReference;

/**
 * kernels/philox.cu (Philox-4x32-10 bits, uniforms, normals), kernels/mixture.cu (device-side
 * sampling of Gaussian mixtures) and kernels/counters.cu (device step counters) on the cpu
 * device. Bits and uniforms are the kernel's exact bits; normals are Box-Muller in double,
 * rounded once.
 */
final class CpuRandom {
    private CpuRandom() {
    }

    // counter_add_i32(int* counter, int delta): wraps as on the GPU
    static void counterAddI32(Call c) {
        CpuMemory.Ref s = c.ptr(0, 1);
        s.words()[s.index()] += c.i32(1);
    }

    // counter_add_i64(long long* counter, long long delta)
    static void counterAddI64(Call c) {
        CpuMemory.Ref s = c.ptr(0, 2);
        putI64(s, getI64(s) + c.i64(1));
    }

    private static final double TWO_POW_M24 = 0x1p-24;

    /** ceil(n / 4) counters for n elements (0 for n <= 0). */
    private static long counters(int n) {
        return n > 0 ? (n + 3L) / 4 : 0;
    }

    static void philoxBits(Call c) {
        int n = c.i32(1);
        long seed = c.i64(2), offset = c.i64(3);
        CpuMemory.Ref out = c.ptr(0, n);
        int[] ow = out.words();
        int oo = out.index();
        c.forChunks(counters(n), (k0, k1) -> {
            for (int k = k0; k < k1; k++) {
                int[] w = PhiloxReference.block(offset + k, seed); // unsigned 64-bit counter: wraps as on the GPU
                for (int j = 0; j < 4 && 4 * k + j < n; j++) {
                    ow[oo + 4 * k + j] = w[j];
                }
            }
        });
    }

    static void philoxUniform(Call c) {
        int n = c.i32(1);
        long seed = c.i64(2), offset = c.i64(3);
        float lo = c.f32(4), hi = c.f32(5);
        double range = (double) hi - (double) lo;
        CpuMemory.Ref out = c.ptr(0, n);
        int[] ow = out.words();
        int oo = out.index();
        c.forChunks(counters(n), (k0, k1) -> {
            for (int k = k0; k < k1; k++) {
                int[] w = PhiloxReference.block(offset + k, seed);
                for (int j = 0; j < 4 && 4 * k + j < n; j++) {
                    // the kernel's affine map: one fma in double, one rounding, kept below hi (bit-exact)
                    float r = (float) Math.fma(range, (w[j] >>> 8) * TWO_POW_M24, lo);
                    ow[oo + 4 * k + j] = bits(r >= hi ? Math.nextDown(hi) : r);
                }
            }
        });
    }

    /** philox_normal / philox_normal_at: Box-Muller on word pairs (0, 1) and (2, 3), in double. */
    static void philoxNormal(Call c, long offset) {
        int n = c.i32(1);
        long seed = c.i64(2);
        double mean = c.f32(4), std = c.f32(5);
        CpuMemory.Ref out = c.ptr(0, n);
        int[] ow = out.words();
        int oo = out.index();
        c.forChunks(counters(n), (k0, k1) -> {
            for (int k = k0; k < k1; k++) {
                int[] w = PhiloxReference.block(offset + k, seed);
                for (int pair = 0; pair < 4 && 4 * k + pair < n; pair += 2) {
                    double u1 = ((w[pair] >>> 8) + 1) * TWO_POW_M24, u2 = (w[pair + 1] >>> 8) * TWO_POW_M24;
                    double r = Math.sqrt(-2 * Math.log(u1)), theta = 2 * Math.PI * u2;
                    int i = 4 * k + pair;
                    ow[oo + i] = bits((float) (mean + std * (r * Math.cos(theta))));
                    if (i + 1 < n) {
                        ow[oo + i + 1] = bits((float) (mean + std * (r * Math.sin(theta))));
                    }
                }
            }
        });
    }

    static void mixtureSample(Call c) {
        int n = c.i32(1), modes = c.i32(3);
        double std = c.f32(4);
        long seed = c.i64(5);
        if (n <= 0) {
            return;
        }
        if (modes < 1) {
            throw new IllegalArgumentException(c.what(3) + ": needs at least one mode, got " + modes);
        }
        CpuMemory.Ref out = c.ptr(0, 2L * n), centers = c.ptr(2, 2L * modes);
        long base = getI64(c.ptr(6, 2));
        int[] ow = out.words(), cw = centers.words();
        int oo = out.index(), co = centers.index();
        c.forChunks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                int[] w = PhiloxReference.block(base + i, seed);
                // the mode as the kernel picks it: u * modes in float (it may round up to modes)
                int mode = (int) ((float) (w[0] >>> 8) * (float) TWO_POW_M24 * (float) modes);
                mode = mode < modes ? mode : modes - 1;
                double u1 = ((w[2] >>> 8) + 1) * TWO_POW_M24, u2 = (w[3] >>> 8) * TWO_POW_M24;
                double r = Math.sqrt(-2 * Math.log(u1)), theta = 2 * Math.PI * u2;
                ow[oo + 2 * i] = bits((float) (f(cw, co + 2 * mode) + std * r * Math.cos(theta)));
                ow[oo + 2 * i + 1] = bits((float) (f(cw, co + 2 * mode + 1) + std * r * Math.sin(theta)));
            }
        });
    }
}
