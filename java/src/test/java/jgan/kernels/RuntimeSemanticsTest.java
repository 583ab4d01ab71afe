package jgan.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;

import jgan.device.CudaDevice;
import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.Dim3;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.Target16Bit;
import jgan.testing.TestDevices.Target;
import jgan.testing.Tolerance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * kernels/runtime_checks.cu: warp shuffles and ballots, shared memory and barriers, atomics and
 * wmma, each against what plain Java says CUDA computes. On a GPU these pin down the hardware's
 * behaviour; on the host runtime they check that it reproduces it. Not on the cpu device, which
 * runs the ops in Java and does not model CUDA (TestDevices#cudaSemantics).
 */
@Tag("host-runtime")
class RuntimeSemanticsTest {

    @ParameterizedTest(name = "[{0}] warp shuffles and ballot")
    @MethodSource("jgan.testing.TestDevices#cudaSemantics")
    void warpIntrinsics(Target target) {
        Device dev = target.device();
        int blocks = 3, threads = 64, total = blocks * threads;
        int[] expected = new int[6 * total];
        for (int tid = 0; tid < total; tid++) {
            int lane = tid % 32, base = tid - lane;
            int[] e = {
                10 * (base + (lane + 3) % 32) + 1,
                base + (lane ^ 5),
                lane + 3 < 32 ? tid + 3 : tid,
                lane % 16 < 2 ? tid : tid - 2,
                0,
                lane % 16 < 8 ? tid : base + (lane ^ 8),
            };
            for (int l = 0; l < 32; l++) {
                if ((base + l) % 3 == 0) {
                    e[4] |= 1 << l;
                }
            }
            System.arraycopy(e, 0, expected, 6 * tid, 6);
        }
        try (DeviceBuffer out = dev.allocate(4L * expected.length)) {
            dev.fill32(out, 0, expected.length, -1);
            dev.launch("check_warp_intrinsics", new LaunchConfig(Dim3.of(blocks), Dim3.of(threads), 0), new KernelArgs().ptr(out));
            int[] got = new int[expected.length];
            dev.copyToHost(out, 0, got, 0, got.length);
            org.junit.jupiter.api.Assertions.assertArrayEquals(expected, got);
        }
    }

    @ParameterizedTest(name = "[{0}] shared-memory reduction with atomics")
    @MethodSource("jgan.testing.TestDevices#cudaSemantics")
    void blockSumWithAtomics(Target target) {
        Device dev = target.device();
        int n = 100_003;
        float[] x = RandomData.normal(new SplittableRandom(9), n, 1.0);
        double ref = 0, abs = 0;
        for (float v : x) {
            ref += v;
            abs += Math.abs(v);
        }
        try (Tensor tx = Tensor.of(dev, Shape.of(n), x); Tensor sum = Tensor.zeros(dev, Shape.of(1))) {
            dev.launch("check_block_sum_atomic", LaunchConfig.cover(n, 256, Integer.MAX_VALUE),
                    new KernelArgs().ptr(tx.buffer()).ptr(sum.buffer()).i32(n));
            Tolerance.assertClose("sum", sum.toArray()[0], ref, 1e-6 * abs, 0);
        }
    }

    @ParameterizedTest(name = "[{0}] dynamic shared memory")
    @MethodSource("jgan.testing.TestDevices#cudaSemantics")
    void dynamicSharedMemory(Target target) {
        Device dev = target.device();
        int n = 1000, bd = 128;
        float[] x = RandomData.normal(new SplittableRandom(4), n, 1.0);
        float[] ref = new float[n];
        for (int i = 0; i < n; i++) {
            int base = i / bd * bd, k = i - base, src = base + bd - 1 - k;
            ref[i] = src < n ? x[src] : 0f;
        }
        try (Tensor tx = Tensor.of(dev, Shape.of(n), x); Tensor ty = Tensor.empty(dev, Shape.of(n))) {
            ty.fill(Float.NaN);
            dev.launch("check_dynamic_shared_reverse", new LaunchConfig(Dim3.of((n + bd - 1) / bd), Dim3.of(bd), 4 * bd),
                    new KernelArgs().ptr(tx.buffer()).ptr(ty.buffer()).i32(n));
            Tolerance.assertClose("reverse", ty.toArray(), ref, 0, 0);
        }
    }

    static void requireTensorCores(Device dev) {
        if (dev instanceof CudaDevice c) {
            assumeTrue(c.computeCapability() >= 80, "tf32/bf16 wmma needs sm_80; this GPU is sm_" + c.computeCapability());
        }
    }

    @ParameterizedTest(name = "[{0}] wmma tf32 m16n16k8")
    @MethodSource("jgan.testing.TestDevices#cudaSemantics")
    void wmmaTf32(Target target) {
        Device dev = target.device();
        requireTensorCores(dev);
        SplittableRandom r = new SplittableRandom(12);
        float[] a = RandomData.normal(r, 16 * 8, 1.0), b = RandomData.normal(r, 8 * 16, 1.0);
        float[] ref = new float[256];
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 16; j++) {
                double s = 0;
                for (int k = 0; k < 8; k++) {
                    s += (double) Target16Bit.tf32(a[i * 8 + k]) * Target16Bit.tf32(b[k * 16 + j]);
                }
                ref[i * 16 + j] = (float) s;
            }
        }
        try (Tensor ta = Tensor.of(dev, Shape.of(16, 8), a); Tensor tb = Tensor.of(dev, Shape.of(8, 16), b);
             Tensor tc = Tensor.empty(dev, Shape.of(16, 16))) {
            tc.fill(Float.NaN);
            dev.launch("check_wmma_tf32", new LaunchConfig(Dim3.of(1), Dim3.of(32), 0),
                    new KernelArgs().ptr(ta.buffer()).ptr(tb.buffer()).ptr(tc.buffer()));
            Tolerance.assertClose("tf32 mma", tc.toArray(), ref, 1e-5, 1e-5);
        }
    }

    @ParameterizedTest(name = "[{0}] wmma half and bf16 m16n16k16")
    @MethodSource("jgan.testing.TestDevices#cudaSemantics")
    void wmma16Bit(Target target) {
        Device dev = target.device();
        requireTensorCores(dev);
        SplittableRandom r = new SplittableRandom(13);
        float[] a = RandomData.normal(r, 256, 1.0), b = RandomData.normal(r, 256, 1.0);
        for (boolean bf16 : new boolean[] {false, true}) {
            float[] ref = new float[256];
            for (int i = 0; i < 16; i++) {
                for (int j = 0; j < 16; j++) {
                    double s = 0;
                    for (int k = 0; k < 16; k++) {
                        float av = a[i * 16 + k], bv = b[j * 16 + k]; // B is column-major
                        s += bf16 ? (double) Target16Bit.bf16(av) * Target16Bit.bf16(bv)
                                  : (double) Target16Bit.half(av) * Target16Bit.half(bv);
                    }
                    ref[i * 16 + j] = (float) s;
                }
            }
            try (Tensor ta = Tensor.of(dev, Shape.of(16, 16), a); Tensor tb = Tensor.of(dev, Shape.of(16, 16), b);
                 Tensor tc = Tensor.empty(dev, Shape.of(16, 16))) {
                tc.fill(Float.NaN);
                dev.launch("check_wmma_16bit", new LaunchConfig(Dim3.of(1), Dim3.of(32), 0),
                        new KernelArgs().ptr(ta.buffer()).ptr(tb.buffer()).ptr(tc.buffer()).i32(bf16 ? 1 : 0));
                Tolerance.assertClose(bf16 ? "bf16 mma" : "half mma", tc.toArray(), ref, 1e-5, 1e-5);
            }
        }
    }
}
