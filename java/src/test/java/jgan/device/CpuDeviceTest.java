package jgan.device;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

import jgan.kernels.Activation;
import jgan.kernels.BatchNorm;
import jgan.kernels.BiasGrad;
import jgan.kernels.Conv2d;
import jgan.kernels.ConvProblem;
import jgan.kernels.ConvTranspose2d;
import jgan.kernels.Counters;
import jgan.kernels.Dense;
import jgan.kernels.LeakyRelu;
import jgan.kernels.MathMode;
import jgan.kernels.Philox;
import jgan.kernels.Reduce;
import jgan.kernels.Reduction;
import jgan.kernels.SigmoidCrossEntropy;
import jgan.kernels.SoftmaxCrossEntropy;
import jgan.kernels.Tanh;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.TestDevices;
import jgan.testing.Tolerance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What is particular to the cpu device: its addresses and their checks, exact integer memory,
 * allocation limits, its kernel list, and results that do not depend on its thread count. (The
 * ops themselves are checked by the conformance tests, which run on it like on every device.)
 */
class CpuDeviceTest {
    private static CpuDevice dev;

    @BeforeAll
    static void open() {
        dev = new CpuDevice(2);
    }

    @AfterAll
    static void close() {
        dev.close();
    }

    private static LaunchConfig one() {
        return LaunchConfig.cover(1, 1, 1);
    }

    @Test
    void identityAndDescription() {
        assertEquals("cpu", dev.name());
        assertEquals(DeviceKind.CPU, dev.kind());
        assertEquals("cpu", dev.kind().label());
        assertEquals(2, dev.threads());
        String d = dev.description();
        assertEquals("CPU (2 threads, BLAS: " + dev.blasDescription() + ")", d);
        if (System.getProperty("jgan.cpu.blas", "openblas").equals("openblas")) {
            // the bundled OpenBLAS loads on linux-x86_64 with no system package (else the fallback says why)
            assertTrue(dev.bundledOpenBlas(), d);
            assertTrue(dev.blasDescription().matches("OpenBLAS \\d+\\.\\d+\\.\\d+ \\(bundled, 1 thread per call\\)"), d);
        } else {
            assertTrue(dev.blasDescription().startsWith("netlib Java BLAS (") && !dev.bundledOpenBlas(), d);
        }
    }

    @Test
    void addressesEncodeAllocationAndOffset() {
        try (DeviceBuffer a = dev.allocate(12); DeviceBuffer b = dev.allocate(1001)) {
            assertEquals(0, a.address() & 0xffffffffL, "an allocation starts at offset 0 of its id");
            assertEquals(0, b.address() & 0xffffffffL);
            assertTrue(a.address() > 0 && b.address() > 0);
            assertNotEquals(a.address() >>> 32, b.address() >>> 32, "each allocation has its own id");
            // a pointer 4 bytes into a buffer is element 1: the kernel sees the offset
            dev.copyToDevice(new float[] {-4, -8, 2}, 0, a, 0, 3);
            dev.launch(LeakyRelu.FORWARD, one(), new KernelArgs().ptr(a, 4).ptr(a, 4).i32(2).f32(0.5f));
            float[] back = new float[3];
            dev.copyToHost(a, 0, back, 0, 3);
            assertArrayEquals(new float[] {-4, -4, 2}, back);
            // 1001 bytes hold 250 whole words
            float[] v = RandomData.normal(new SplittableRandom(1), 250, 1);
            dev.copyToDevice(v, 0, b, 0, 250);
            float[] w = new float[250];
            dev.copyToHost(b, 0, w, 0, 250);
            assertArrayEquals(v, w);
        }
    }

    @Test
    void badPointersAreRefused() {
        try (DeviceBuffer a = dev.allocate(12)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dev.launch(LeakyRelu.FORWARD, one(),
                    new KernelArgs().ptr(a, 2).ptr(a).i32(1).f32(0f)));
            assertTrue(e.getMessage().contains("leaky_relu_forward: argument 0 (const float* x)")
                    && e.getMessage().contains("not a multiple of 4"), e.getMessage());

            DeviceBuffer unknown = new DeviceBuffer(dev, 0x7654_3210L << 32, 64, 64);
            e = assertThrows(IllegalArgumentException.class, () -> dev.launch(LeakyRelu.FORWARD, one(),
                    new KernelArgs().ptr(a).ptr(unknown).i32(1).f32(0f)));
            assertTrue(e.getMessage().contains("argument 1 (float* y)") && e.getMessage().contains("no live allocation"),
                    e.getMessage());

            e = assertThrows(IllegalArgumentException.class, () -> dev.launch(LeakyRelu.FORWARD, one(),
                    new KernelArgs().ptr(null).ptr(a).i32(1).f32(0f)));
            assertTrue(e.getMessage().contains("argument 0") && e.getMessage().contains("null pointer"), e.getMessage());

            e = assertThrows(IllegalArgumentException.class, () -> dev.launch(LeakyRelu.FORWARD, one(),
                    new KernelArgs().ptr(a).ptr(a).i32(4).f32(0f)));
            assertTrue(e.getMessage().contains("4 words at byte offset 0 do not fit its allocation of 12 bytes"), e.getMessage());

            e = assertThrows(IllegalArgumentException.class, () -> dev.launch(LeakyRelu.FORWARD, one(),
                    new KernelArgs().ptr(a).ptr(a).f32(1f).f32(0f)));
            assertTrue(e.getMessage().contains("leaky_relu_forward(const float* x, float* y, int n, float slope)")
                    && e.getMessage().contains("ppff"), e.getMessage());
        }
        // a block given back to the device: its address names nothing any more
        CpuDevice d = new CpuDevice(1);
        long stale;
        try (DeviceBuffer b = d.allocate(8)) {
            stale = b.address();
        }
        d.allocator().emptyCache();
        assertEquals(0, d.liveAllocations());
        DeviceBuffer gone = new DeviceBuffer(d, stale, 8, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Counters.addI32(gone, 1));
        assertTrue(e.getMessage().contains("no live allocation"), e.getMessage());
        d.close();
        assertThrows(IllegalStateException.class, () -> d.allocate(4));
    }

    @Test
    void copiesMoveWholeWords() {
        try (DeviceBuffer a = dev.allocate(16); DeviceBuffer b = dev.allocate(16)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dev.copy(a, 0, b, 0, 6));
            assertTrue(e.getMessage().contains("multiples of 4"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> dev.copy(a, 2, b, 0, 4));
            assertThrows(IllegalArgumentException.class, () -> dev.fill32(a, 1, 1, 0));
            assertThrows(IllegalArgumentException.class, () -> dev.copyToDevice(new int[1], 0, a, 6, 1));
        }
    }

    /** Bit patterns a float path might disturb: signalling and quiet NaNs with payloads, -0, extremes. */
    static final int[] PATTERNS = {0x7f800001, 0xff800001, 0x7fbfffff, 0x7fc0dead, 0xffffffff, 0x7f800000, 0x80000000, 0,
            Integer.MIN_VALUE + 1, Integer.MAX_VALUE, 1, 0x807fffff};

    @Test
    void integersRoundTripExactly() {
        SplittableRandom r = new SplittableRandom(5);
        int n = PATTERNS.length + 1000;
        int[] words = new int[n];
        System.arraycopy(PATTERNS, 0, words, 0, PATTERNS.length);
        for (int i = PATTERNS.length; i < n; i++) {
            words[i] = r.nextInt();
        }
        try (DeviceBuffer a = dev.allocate(4L * n); DeviceBuffer b = dev.allocate(4L * n)) {
            dev.copyToDevice(words, 0, a, 0, n);
            dev.copy(a, 0, b, 0, 4L * n);
            int[] back = new int[n];
            dev.copyToHost(b, 0, back, 0, n);
            assertArrayEquals(words, back, "int copies in, device to device and out");
            for (int p : PATTERNS) {
                dev.fill32(a, 4, 3, p);
                int[] got = new int[5];
                dev.copyToHost(a, 0, got, 0, 5);
                assertArrayEquals(new int[] {words[0], p, p, p, words[4]}, got, "fill32 0x" + Integer.toHexString(p));
            }
        }
        // counters: the low word first, with the carry into the high word; int wraps as on the GPU
        try (DeviceBuffer c = dev.allocate(12)) {
            dev.copyToDevice(new int[] {0xffffffff, 0x7fffffff, Integer.MAX_VALUE}, 0, c, 0, 3);
            Counters.addI64(c, 1);
            Counters.addI32(c.slice(8, 4), 1);
            int[] got = new int[3];
            dev.copyToHost(c, 0, got, 0, 3);
            assertArrayEquals(new int[] {0, 0x80000000, Integer.MIN_VALUE}, got);
        }
        // raw Philox bits come back as written
        try (DeviceBuffer bits = dev.allocate(4 * 1001)) {
            Philox.bits(bits, 1001, 7, 9);
            int[] got = new int[1001];
            dev.copyToHost(bits, 0, got, 0, 1001);
            assertArrayEquals(jgan.reference.PhiloxReference.bits(1001, 7, 9), got);
        }
    }

    @Test
    void allocationLimits() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dev.allocate(1L << 32));
        assertTrue(e.getMessage().contains("4 GiB"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dev.allocate(0));
        long before = dev.memoryStats().bytesInUse();
        try (DeviceBuffer b = dev.allocate(5)) {
            assertEquals(5, b.bytes());
            assertEquals(8, b.blockBytes(), "blocks are whole words");
            assertThrows(IllegalArgumentException.class, () -> dev.copyToDevice(new int[2], 0, b, 0, 2), "past the 5 bytes asked for");
        }
        assertEquals(before, dev.memoryStats().bytesInUse());
    }

    @Test
    void kernelsAreTheOpsNotTheCudaSemanticsChecks() throws IOException {
        Set<String> ops = KernelCatalogueTest.builtKernels().stream()
                .filter(k -> !k.startsWith("check_") && !k.startsWith("broken_"))
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(ops, new TreeSet<>(dev.kernelNames()));
        assertFalse(dev.hasKernel("check_warp_intrinsics"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> dev.launch("check_warp_intrinsics", one(), new KernelArgs()));
        assertTrue(e.getMessage().contains("no kernel 'check_warp_intrinsics'") && e.getMessage().contains("host runtime and CUDA"),
                e.getMessage());
        // the parameter kinds are the kernels' real C++ signatures, as the host runtime reads them
        assumeTrue(HostRuntime.status().available(), "host runtime not loaded");
        HostDevice host = TestDevices.host();
        for (String k : dev.kernelNames()) {
            assertEquals(host.kernelSignature(k), dev.kernelSignature(k), k);
        }
    }

    /** A workload touching every kind of split: GEMMs cut in row blocks, chunked sums, chunked elementwise loops. */
    static List<int[]> workload(Device d) {
        List<int[]> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(11);
        int rows = 300, in = 257, out2 = 129, n = 100_003;
        Function<Tensor, int[]> bits = t -> {
            int[] w = new int[t.numel()];
            d.copyToHost(t.buffer(), t.byteOffset(), w, 0, w.length);
            return w;
        };
        try (Tensor x = Tensor.of(d, Shape.of(rows, in), RandomData.normal(r, rows * in, 1));
             Tensor w = Tensor.of(d, Shape.of(out2, in), RandomData.normal(r, out2 * in, 0.1));
             Tensor b = Tensor.of(d, Shape.of(out2), RandomData.normal(r, out2, 0.1));
             Tensor y = Tensor.empty(d, Shape.of(rows, out2)); Tensor dy = Tensor.of(d, Shape.of(rows, out2), RandomData.normal(r, rows * out2, 1));
             Tensor dx = Tensor.empty(d, Shape.of(rows, in)); Tensor dw = Tensor.empty(d, Shape.of(out2, in));
             Tensor db = Tensor.empty(d, Shape.of(out2)); Tensor big = Tensor.of(d, Shape.of(n), RandomData.normal(r, n, 3));
             Tensor tall = big.view(0, Shape.of(n / 3, 3)); Tensor t = Tensor.of(d, Shape.of(n), RandomData.uniform(r, n, 0, 1));
             Tensor wide = big.view(0, Shape.of(97, 1030)); Tensor g = Tensor.empty(d, Shape.of(n));
             Tensor one = Tensor.zeros(d, Shape.of(1)); Tensor cols = Tensor.empty(d, Shape.of(3));
             Tensor wideCols = Tensor.empty(d, Shape.of(1030))) {
            for (MathMode mode : MathMode.values()) {
                Dense.forward(x, w, b, y, Activation.TANH, 0f, mode);
                Dense.backwardData(dy, y, w, dx, Activation.TANH, 0f, mode);
                Dense.backwardWeight(dy, y, x, dw, db, Activation.TANH, 0f, false, mode);
                out.add(bits.apply(y));
                out.add(bits.apply(dx));
                out.add(bits.apply(dw));
                out.add(bits.apply(db));
            }
            Reduce.mean(big, one, Reduce.Transform.SIGMOID, false);
            out.add(bits.apply(one));
            SigmoidCrossEntropy.lossAndGradient(big, t, null, one, g, Reduction.MEAN, false);
            out.add(bits.apply(one));
            out.add(bits.apply(g));
            // softmax cross-entropy over 33334 rows of 3 classes: three chunks of rows
            int[] labels = new int[n / 3];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = r.nextInt(3);
            }
            try (DeviceBuffer y3 = SoftmaxCrossEntropy.uploadLabels(d, labels, 3); DeviceBuffer pred = d.allocate(4L * labels.length)) {
                SoftmaxCrossEntropy.lossAndGradient(tall, y3, one, g.view(0, tall.shape()), pred, null, Reduction.MEAN, false);
                out.add(bits.apply(one));
                out.add(bits.apply(g));
            }
            BiasGrad.compute(tall, cols, false);
            out.add(bits.apply(cols));
            BiasGrad.compute(wide, wideCols, false);
            out.add(bits.apply(wideCols));
            Tanh.forward(big, g);
            out.add(bits.apply(g));
        }
        // convolution: fprop in several row blocks with BN partials, dgrad's col2im in pixel blocks, wgrad in 8 splits
        // (N*P*Q = 1024), a transposed convolution, FP32 and TF32
        ConvProblem pr = ConvProblem.of(4, 32, 32, 20, 70, 3, 2, 1, 1);
        ConvProblem tr = ConvProblem.transposed(2, 9, 9, 24, 10, 4, 2, 1, 1, 1);
        try (Tensor x = Tensor.of(d, pr.inputShape(), RandomData.normal(r, (int) pr.inputShape().numel(), 1));
             Tensor w = Tensor.of(d, pr.filterShape(), RandomData.normal(r, (int) pr.filterShape().numel(), 0.1));
             Tensor b = Tensor.of(d, Shape.of(70), RandomData.normal(r, 70, 0.1)); Tensor y = Tensor.empty(d, pr.outputShape());
             Tensor parts = Tensor.empty(d, Conv2d.bnPartialsShape(pr));
             Tensor dy = Tensor.of(d, pr.outputShape(), RandomData.normal(r, (int) pr.outputShape().numel(), 1));
             Tensor dx = Tensor.empty(d, pr.inputShape()); Tensor dw = Tensor.empty(d, pr.filterShape()); Tensor db = Tensor.empty(d, Shape.of(70));
             Tensor tx = Tensor.of(d, tr.outputShape(), RandomData.normal(r, (int) tr.outputShape().numel(), 1));
             Tensor tw = Tensor.of(d, tr.filterShape(), RandomData.normal(r, (int) tr.filterShape().numel(), 0.1));
             Tensor ty = Tensor.empty(d, tr.inputShape()); Tensor tdx = Tensor.empty(d, tr.outputShape());
             Tensor tdw = Tensor.empty(d, tr.filterShape()); Tensor tdb = Tensor.empty(d, Shape.of(tr.c()))) {
            for (MathMode mode : MathMode.values()) {
                Conv2d.fprop(pr, x, w, b, y, Activation.IDENTITY, 0f, mode, parts);
                out.add(bits.apply(parts));
                Conv2d.fprop(pr, x, w, b, y, Activation.LEAKY_RELU, 0.2f, mode, null);
                Conv2d.dgrad(pr, dy, y, w, dx, Activation.LEAKY_RELU, 0.2f, false, mode);
                Conv2d.wgrad(pr, dy, y, x, dw, db, Activation.LEAKY_RELU, 0.2f, false, mode);
                ConvTranspose2d.forward(tr, tx, tw, null, ty, Activation.TANH, 0f, mode);
                ConvTranspose2d.backwardData(tr, ty, ty, tw, tdx, Activation.TANH, 0f, mode);
                ConvTranspose2d.backwardWeight(tr, ty, ty, tx, tdw, tdb, Activation.TANH, 0f, false, mode);
                for (Tensor t : new Tensor[] {y, dx, dw, db, ty, tdx, tdw, tdb}) {
                    out.add(bits.apply(t));
                }
            }
        }
        // batch norm: many statistics chunks (C = 70: 48 rows a chunk) and the wide layout (C = 130)
        for (Shape s : new Shape[] {Shape.of(5, 9, 11, 70), Shape.of(2, 10, 10, 130)}) {
            int c = s.dim(3);
            Shape cs = Shape.of(c);
            try (Tensor x = Tensor.of(d, s, RandomData.normal(r, (int) s.numel(), 2)); Tensor gamma = Tensor.of(d, cs, RandomData.normal(r, c, 1));
                 Tensor beta = Tensor.of(d, cs, RandomData.normal(r, c, 1)); Tensor y = Tensor.empty(d, s); Tensor mean = Tensor.empty(d, cs);
                 Tensor invstd = Tensor.empty(d, cs); Tensor rm = Tensor.zeros(d, cs); Tensor rv = Tensor.zeros(d, cs);
                 Tensor dy = Tensor.of(d, s, RandomData.normal(r, (int) s.numel(), 1)); Tensor dx = Tensor.empty(d, s);
                 Tensor dg = Tensor.empty(d, cs); Tensor db = Tensor.empty(d, cs)) {
                BatchNorm.forwardTrain(x, gamma, beta, y, mean, invstd, rm, rv, 0.1f, 1e-5f, Activation.LEAKY_RELU, 0.2f);
                BatchNorm.backward(dy, y, x, gamma, mean, invstd, dx, dg, db, Activation.LEAKY_RELU, 0.2f, false);
                for (Tensor t : new Tensor[] {y, mean, invstd, rm, rv, dx, dg, db}) {
                    out.add(bits.apply(t));
                }
            }
        }
        return out;
    }

    /**
     * dense_backward_data takes dz from the dense_backward_weight launched just before it on the
     * same dy and y (DenseLayer's order) instead of computing it again: its dx must be the bits it
     * gives alone, for every activation and math mode, and it must compute dz afresh when dy was
     * written in between, when another launch ran in between, or when the weight pass wrote its
     * gradient over dy.
     */
    @Test
    void denseBackwardDataAfterTheWeightPassIsTheSameAsAlone() {
        SplittableRandom r = new SplittableRandom(5);
        int rows = 70, in = 33, out = 48;
        float[] dyValues = RandomData.normal(r, rows * out, 1), dy2Values = RandomData.normal(r, rows * out, 1);
        try (CpuDevice d = new CpuDevice(2);
             Tensor x = Tensor.of(d, Shape.of(rows, in), RandomData.normal(r, rows * in, 1));
             Tensor w = Tensor.of(d, Shape.of(out, in), RandomData.normal(r, out * in, 0.2));
             Tensor b = Tensor.of(d, Shape.of(out), RandomData.normal(r, out, 0.2));
             Tensor y = Tensor.empty(d, Shape.of(rows, out)); Tensor dy = Tensor.of(d, Shape.of(rows, out), dyValues);
             Tensor dx = Tensor.empty(d, Shape.of(rows, in)); Tensor dw = Tensor.empty(d, Shape.of(out, in));
             Tensor db = Tensor.empty(d, Shape.of(out));
             // dy in the same buffer as a weight gradient written over it
             Tensor shared = Tensor.empty(d, Shape.of(rows * out)); Tensor dyShared = shared.view(0, Shape.of(rows, out));
             Tensor dwOverDy = shared.view(0, Shape.of(out, in))) {
            for (Activation act : Activation.values()) {
                for (MathMode wMode : MathMode.values()) {
                    for (MathMode dMode : MathMode.values()) {
                        String what = act + ", weight pass " + wMode + ", data pass " + dMode;
                        Dense.forward(x, w, b, y, act, 0.2f, MathMode.FP32);
                        d.copyToDevice(dyValues, 0, dy.buffer(), dy.byteOffset(), dyValues.length);
                        Dense.backwardData(dy, y, w, dx, act, 0.2f, dMode);
                        float[] alone = dx.toArray();
                        Dense.backwardWeight(dy, y, x, dw, db, act, 0.2f, true, wMode);
                        Dense.backwardData(dy, y, w, dx, act, 0.2f, dMode);
                        assertArrayEquals(bitsOf(alone), bitsOf(dx.toArray()), "right after the weight pass: " + what);

                        Dense.backwardData(dy, y, w, dx, act, 0.2f, dMode); // a launch in between
                        assertArrayEquals(bitsOf(alone), bitsOf(dx.toArray()), "data pass twice: " + what);

                        d.copyToDevice(dy2Values, 0, dy.buffer(), dy.byteOffset(), dy2Values.length);
                        Dense.backwardData(dy, y, w, dx, act, 0.2f, dMode);
                        float[] alone2 = dx.toArray();
                        d.copyToDevice(dyValues, 0, dy.buffer(), dy.byteOffset(), dyValues.length);
                        Dense.backwardWeight(dy, y, x, dw, db, act, 0.2f, false, wMode);
                        d.copyToDevice(dy2Values, 0, dy.buffer(), dy.byteOffset(), dy2Values.length);
                        Dense.backwardData(dy, y, w, dx, act, 0.2f, dMode);
                        assertArrayEquals(bitsOf(alone2), bitsOf(dx.toArray()), "dy written after the weight pass: " + what);

                        d.copyToDevice(dyValues, 0, shared.buffer(), shared.byteOffset(), dyValues.length);
                        Dense.backwardWeight(dyShared, y, x, dwOverDy, null, act, 0.2f, false, wMode);
                        float[] overwritten = dyShared.toArray();
                        Dense.backwardData(dyShared, y, w, dx, act, 0.2f, dMode);
                        float[] afterOverwrite = dx.toArray();
                        d.copyToDevice(overwritten, 0, dy.buffer(), dy.byteOffset(), overwritten.length);
                        Dense.backwardData(dy, y, w, dx, act, 0.2f, dMode);
                        assertArrayEquals(bitsOf(dx.toArray()), bitsOf(afterOverwrite), "weight gradient written over dy: " + what);
                    }
                }
            }
        }
    }

    private static int[] bitsOf(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        List<int[]> twice = workload(dev);
        List<int[]> again = workload(dev);
        try (CpuDevice one = new CpuDevice(1); CpuDevice three = new CpuDevice(3)) {
            List<int[]> single = workload(one), triple = workload(three);
            for (int i = 0; i < twice.size(); i++) {
                assertArrayEquals(twice.get(i), again.get(i), "result " + i + ": run twice");
                assertArrayEquals(twice.get(i), single.get(i), "result " + i + ": 2 threads vs 1");
                assertArrayEquals(twice.get(i), triple.get(i), "result " + i + ": 2 threads vs 3");
            }
        }
    }

    /**
     * The same dense layer step (forward, data and weight gradients) 100 times on the cpu device
     * and on the host runtime, after a warm-up: the results agree, and the times are printed (not
     * asserted).
     */
    @Test
    void denseStepAgreesWithTheHostRuntime() {
        assumeTrue(HostRuntime.status().available(), "host runtime not loaded");
        int rows = 256, in = 128, out = 128, calls = 100;
        SplittableRandom r = new SplittableRandom(3);
        float[] x = RandomData.normal(r, rows * in, 1), w = RandomData.normal(r, out * in, 0.1), b = RandomData.normal(r, out, 0.1);
        float[] dy = RandomData.normal(r, rows * out, 1);
        List<float[]> results = new ArrayList<>();
        StringBuilder report = new StringBuilder(String.format(
                "[jgan] dense %dx%d -> %d, forward + backwardData + backwardWeight (leaky ReLU, FP32), %d calls:", rows, in, out, calls));
        double[] millis = new double[2];
        Device[] devices = {dev, TestDevices.host()};
        for (int k = 0; k < 2; k++) {
            Device d = devices[k];
            try (Tensor tx = Tensor.of(d, Shape.of(rows, in), x); Tensor tw = Tensor.of(d, Shape.of(out, in), w);
                 Tensor tb = Tensor.of(d, Shape.of(out), b); Tensor ty = Tensor.empty(d, Shape.of(rows, out));
                 Tensor tdy = Tensor.of(d, Shape.of(rows, out), dy); Tensor tdx = Tensor.empty(d, Shape.of(rows, in));
                 Tensor tdw = Tensor.empty(d, Shape.of(out, in)); Tensor tdb = Tensor.empty(d, Shape.of(out))) {
                Runnable step = () -> {
                    Dense.forward(tx, tw, tb, ty, Activation.LEAKY_RELU, 0.2f, MathMode.FP32);
                    Dense.backwardData(tdy, ty, tw, tdx, Activation.LEAKY_RELU, 0.2f, MathMode.FP32);
                    Dense.backwardWeight(tdy, ty, tx, tdw, tdb, Activation.LEAKY_RELU, 0.2f, false, MathMode.FP32);
                };
                // warm-up: the JIT compiles the Java BLAS after a few hundred GEMMs; the host runtime's is native code
                for (int i = 0, warm = d == dev ? 100 : 10; i < warm; i++) {
                    step.run();
                }
                d.synchronize();
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    step.run();
                }
                d.synchronize();
                millis[k] = (System.nanoTime() - t0) / 1e6;
                report.append(String.format("%n[jgan]   %-4s %8.1f ms  (%.3f ms a step; %s)", d.name(), millis[k], millis[k] / calls,
                        d.description()));
                results.add(ty.toArray());
                results.add(tdx.toArray());
                results.add(tdw.toArray());
                results.add(tdb.toArray());
            }
        }
        report.append(String.format("%n[jgan]   cpu/host speed ratio %.1fx", millis[1] / millis[0]));
        System.out.println(report);
        String[] what = {"y", "dx", "dw", "db"};
        for (int i = 0; i < 4; i++) {
            float[] cpu = results.get(i), host = results.get(i + 4);
            float scale = 0;
            for (float v : host) {
                scale = Math.max(scale, Math.abs(v));
            }
            Tolerance.assertClose(what[i] + ": cpu vs host", cpu, host, 1e-5 * scale, 1e-5);
        }
    }
}
