package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.CudaDevice;
import jgan.device.Device;
import jgan.reference.ConvReference;
import jgan.reference.DenseReference;
import jgan.reference.DenseReference.Rounding;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.TestDevices;
import jgan.testing.TestDevices.Target;
import jgan.testing.Tolerance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * kernels/conv.cu (Conv2d, ConvTranspose2d) against {@link ConvReference}: random odd shapes
 * covering C, K in {1, 3, 5, 64}, stride 1-3, symmetric and asymmetric padding 0-2, dilation 1-2,
 * batch 1 and 7; exact on small integers in both math modes and on both kernel paths (tiled and
 * narrow); within FP32 accumulation error on random inputs, TF32 against a tf32-rounded
 * reference; outputs poisoned with NaN first; fused and unfused epilogues agree; the batch-norm
 * partials combine to the per-channel mean and biased variance; bad input is refused. Every layer
 * of DCGAN-64, DCGAN-28 and the 'same' k5 s2 discriminator at batch 2 is in {@link #realModelLayers}
 * (tagged "slow": the sanitizer run may exclude it).
 */
@Tag("host-runtime")
class ConvConformanceTest {
    static final double REL = 2e-5; // fp32 accumulation over up to a few thousand terms, any summation order

    /** Random odd shapes: a covering sample of C, K in {1, 3, 5, 64}, stride 1-3, padding 0-2 (some asymmetric), dilation 1-2, batch 1 and 7. */
    static final ConvProblem[] RANDOM = {
        new ConvProblem(1, 7, 9, 3, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
        new ConvProblem(7, 9, 7, 1, 64, 4, 4, 1, 1, 1, 1, 2, 2, 1, 1),
        new ConvProblem(1, 11, 13, 64, 3, 3, 3, 2, 0, 1, 2, 3, 2, 1, 2),
        new ConvProblem(7, 5, 5, 5, 1, 2, 3, 0, 1, 2, 0, 1, 2, 2, 1),
        new ConvProblem(1, 9, 9, 64, 64, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2),
        new ConvProblem(7, 13, 11, 3, 3, 5, 5, 2, 1, 2, 1, 1, 1, 1, 1),
        new ConvProblem(1, 15, 15, 5, 64, 1, 1, 0, 0, 0, 0, 3, 3, 1, 1),
        new ConvProblem(7, 7, 7, 64, 5, 3, 3, 0, 2, 1, 0, 2, 2, 1, 1),
        new ConvProblem(1, 17, 9, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2),
        new ConvProblem(7, 9, 9, 5, 64, 2, 2, 1, 0, 1, 0, 1, 1, 1, 1),
    };

    static Stream<Arguments> randomCases() {
        List<Arguments> cases = new ArrayList<>();
        TestDevices.all().forEach(d -> {
            int i = 0;
            for (ConvProblem pr : RANDOM) {
                for (MathMode mode : MathMode.values()) {
                    cases.add(Arguments.of(d, pr, mode, Activation.values()[i++ % Activation.values().length]));
                }
            }
        });
        return cases.stream();
    }

    static Device open(Target target, MathMode mode) {
        Device dev = target.device();
        if (mode == MathMode.TF32 && dev instanceof CudaDevice c) {
            assumeTrue(c.computeCapability() >= 80, "TF32 needs sm_80; this GPU is sm_" + c.computeCapability());
        }
        return dev;
    }


    static float[] times(float[] v, float k) {
        float[] a = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            a[i] = v[i] * k;
        }
        return a;
    }

    static int numel(Shape s) {
        return (int) s.numel();
    }

    /** Everything one convolution's three passes need, on the device and on the host. */
    static final class Run implements AutoCloseable {
        final ConvProblem pr;
        final float[] x, w, b, dy;
        final Tensor tx, tw, tb, ty, tdy, tdx, tdw, tdb;

        Run(Device dev, ConvProblem pr, float[] x, float[] w, float[] b, float[] dy, boolean transposed) {
            this.pr = pr;
            this.x = x;
            this.w = w;
            this.b = b;
            this.dy = dy;
            Shape in = transposed ? pr.outputShape() : pr.inputShape(), out = transposed ? pr.inputShape() : pr.outputShape();
            tx = Tensor.of(dev, in, x);
            tw = Tensor.of(dev, pr.filterShape(), w);
            tb = Tensor.of(dev, Shape.of(b.length), b);
            ty = Tensor.empty(dev, out);
            tdy = Tensor.of(dev, out, dy);
            tdx = Tensor.empty(dev, in);
            tdw = Tensor.empty(dev, pr.filterShape());
            tdb = Tensor.empty(dev, Shape.of(b.length));
            for (Tensor t : new Tensor[] {ty, tdx, tdw, tdb}) {
                t.fill(Float.NaN); // poisoned: an output element the kernel does not write fails the comparison
            }
        }

        static Run random(Device dev, ConvProblem pr, long seed, boolean transposed) {
            SplittableRandom r = new SplittableRandom(seed);
            int nx = numel(transposed ? pr.outputShape() : pr.inputShape()), ny = numel(transposed ? pr.inputShape() : pr.outputShape());
            return new Run(dev, pr, RandomData.normal(r, nx, 1.0), RandomData.normal(r, numel(pr.filterShape()), 0.3),
                    RandomData.normal(r, transposed ? pr.c() : pr.k(), 0.5), RandomData.normal(r, ny, 1.0), transposed);
        }

        static Run integers(Device dev, ConvProblem pr, long seed, boolean transposed) {
            SplittableRandom r = new SplittableRandom(seed);
            int nx = numel(transposed ? pr.outputShape() : pr.inputShape()), ny = numel(transposed ? pr.inputShape() : pr.outputShape());
            return new Run(dev, pr, RandomData.smallIntegers(r, nx, 3), RandomData.smallIntegers(r, numel(pr.filterShape()), 2),
                    RandomData.smallIntegers(r, transposed ? pr.c() : pr.k(), 5), RandomData.smallIntegers(r, ny, 3), transposed);
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {tx, tw, tb, ty, tdy, tdx, tdw, tdb}) {
                t.close();
            }
        }
    }

    /** fprop, dgrad, wgrad (+ db, then accumulated once more) against the reference; exact with rel = 0. */
    static void checkConv(Run run, Activation act, float slope, MathMode mode, Conv2d.Path path, boolean exact) {
        ConvProblem pr = run.pr;
        double rel = rel(mode, act);
        Rounding round = exact ? Rounding.NONE : DenseConformanceTest.rounding(mode);
        String where = pr + " " + mode + " " + act + " " + path;
        Conv2d.fprop(Conv2d.FPROP, pr, run.tx, null, Activation.IDENTITY, run.tw, run.tb, run.ty, act, slope, mode, null, path);
        float[] y = run.ty.toArray();
        float[] yRef = ConvReference.fprop(pr, run.x, run.w, run.b, act.code, slope, round);
        compare("fprop " + where, y, yRef, exact ? null : ConvReference.fprop(pr, Tolerance.abs(run.x), Tolerance.abs(run.w), Tolerance.abs(run.b), 0, 0, Rounding.NONE));

        Conv2d.dgrad(Conv2d.DGRAD, pr, run.tdy, run.ty, run.tw, null, run.tdx, act, slope, Activation.IDENTITY, false, mode, path);
        float[] dxRef = ConvReference.dgrad(pr, run.dy, y, run.w, act.code, slope, round);
        compare("dgrad " + where, run.tdx.toArray(), dxRef,
                exact ? null : ConvReference.dgrad(pr, Tolerance.abs(run.dy), y, Tolerance.abs(run.w), act.code, slope, Rounding.NONE), rel);

        Conv2d.wgrad(pr, run.tdy, run.ty, run.tx, run.tdw, run.tdb, act, slope, false, mode);
        float[][] ref = ConvReference.wgrad(pr, run.dy, y, run.x, act.code, slope, round);
        float[][] mag = exact ? null : ConvReference.wgrad(pr, Tolerance.abs(run.dy), y, Tolerance.abs(run.x), act.code, slope, Rounding.NONE);
        compare("wgrad " + where, run.tdw.toArray(), ref[0], exact ? null : mag[0], rel);
        compare("bias grad " + where, run.tdb.toArray(), ref[1], exact ? null : mag[1], rel);
        Conv2d.wgrad(pr, run.tdy, run.ty, run.tx, run.tdw, run.tdb, act, slope, true, mode);
        compare("accumulated wgrad " + where, run.tdw.toArray(), times(ref[0], 2), exact ? null : times(mag[0], 2), rel);
        compare("accumulated bias grad " + where, run.tdb.toArray(), times(ref[1], 2), exact ? null : times(mag[1], 2), rel);
        // dgrad accumulating onto what dx holds
        Conv2d.dgrad(Conv2d.DGRAD, pr, run.tdy, run.ty, run.tw, null, run.tdx, act, slope, Activation.IDENTITY, true, mode, path);
        compare("accumulated dgrad " + where, run.tdx.toArray(), times(dxRef, 2), exact ? null
                : times(ConvReference.dgrad(pr, Tolerance.abs(run.dy), y, Tolerance.abs(run.w), act.code, slope, Rounding.NONE), 2), rel);
    }

    /** The transposed convolution's three ops against the reference (written from its own scatter definition). */
    static void checkTransposed(Run run, Activation act, float slope, MathMode mode, boolean exact) {
        ConvProblem pr = run.pr;
        Rounding round = exact ? Rounding.NONE : DenseConformanceTest.rounding(mode);
        double rel = rel(mode, act);
        String where = "transposed " + pr + " " + mode + " " + act;
        ConvTranspose2d.forward(pr, run.tx, run.tw, run.tb, run.ty, act, slope, mode);
        float[] y = run.ty.toArray();
        compare("forward " + where, y, ConvReference.transposedForward(pr, run.x, run.w, run.b, act.code, slope, round),
                exact ? null : ConvReference.transposedForward(pr, Tolerance.abs(run.x), Tolerance.abs(run.w), Tolerance.abs(run.b), 0, 0, Rounding.NONE));
        // without bias and activation too (a 1x1 -> RxS problem then runs as a dense GEMM)
        try (Tensor plain = Tensor.empty(run.ty.device(), run.ty.shape())) {
            plain.fill(Float.NaN);
            ConvTranspose2d.forward(pr, run.tx, run.tw, null, plain, Activation.IDENTITY, 0f, mode);
            compare("forward without bias " + where, plain.toArray(), ConvReference.transposedForward(pr, run.x, run.w, null, 0, 0f, round),
                    exact ? null : ConvReference.transposedForward(pr, Tolerance.abs(run.x), Tolerance.abs(run.w), null, 0, 0, Rounding.NONE));
        }
        ConvTranspose2d.backwardData(pr, run.tdy, run.ty, run.tw, run.tdx, act, slope, mode);
        compare("backward data " + where, run.tdx.toArray(),
                ConvReference.transposedBackwardData(pr, run.dy, y, run.w, act.code, slope, round),
                exact ? null : ConvReference.transposedBackwardData(pr, Tolerance.abs(run.dy), y, Tolerance.abs(run.w), act.code, slope, Rounding.NONE), rel);
        ConvTranspose2d.backwardWeight(pr, run.tdy, run.ty, run.tx, run.tdw, run.tdb, act, slope, false, mode);
        float[][] ref = ConvReference.transposedBackwardWeight(pr, run.dy, y, run.x, act.code, slope, round);
        float[][] mag = exact ? null : ConvReference.transposedBackwardWeight(pr, Tolerance.abs(run.dy), y, Tolerance.abs(run.x), act.code, slope, Rounding.NONE);
        compare("backward weight " + where, run.tdw.toArray(), ref[0], exact ? null : mag[0], rel);
        compare("bias gradient " + where, run.tdb.toArray(), ref[1], exact ? null : mag[1], rel);
        ConvTranspose2d.backwardWeight(pr, run.tdy, run.ty, run.tx, run.tdw, run.tdb, act, slope, true, mode);
        compare("accumulated backward weight " + where, run.tdw.toArray(), times(ref[0], 2), exact ? null : times(mag[0], 2), rel);
        compare("accumulated bias gradient " + where, run.tdb.toArray(), times(ref[1], 2), exact ? null : times(mag[1], 2), rel);
    }

    static void compare(String what, float[] out, float[] ref, float[] magnitude) {
        compare(what, out, ref, magnitude, REL);
    }

    static void compare(String what, float[] out, float[] ref, float[] magnitude, double rel) {
        if (magnitude == null) {
            Tolerance.assertClose(what, out, ref, 0, 0);
        } else {
            Tolerance.assertWithinSumError(what, out, ref, magnitude, 1e-6, rel);
        }
    }

    /**
     * The gradients' tolerance: FP32 accumulation, except TF32 with tanh, where the device may
     * contract 1 - y*y into an FMA, so dz can differ from the reference's by one float ulp, which
     * tf32 rounding can turn into one tf32 ulp (2^-11 relative) of a term.
     */
    static double rel(MathMode mode, Activation act) {
        return mode == MathMode.TF32 && act == Activation.TANH ? 1e-3 : REL;
    }

    @ParameterizedTest(name = "[{0}] {1} {2} {3}, random")
    @MethodSource("randomCases")
    void randomShapes(Target target, ConvProblem pr, MathMode mode, Activation act) {
        Device dev = open(target, mode);
        try (Run run = Run.random(dev, pr, pr.hashCode(), false)) {
            checkConv(run, act, 0.2f, mode, Conv2d.Path.AUTO, false);
        }
    }

    /** Small integers: every product and partial sum is exact in float and tf32, so both math modes and both kernel paths are exact. */
    @ParameterizedTest(name = "[{0}] {1} {2} {3}, exact on small integers")
    @MethodSource("randomCases")
    void exactOnSmallIntegers(Target target, ConvProblem pr, MathMode mode, Activation act) {
        Device dev = open(target, mode);
        Activation a = act == Activation.TANH ? Activation.LEAKY_RELU : act; // tanh is not exact
        try (Run run = Run.integers(dev, pr, 7 + pr.hashCode(), false)) {
            checkConv(run, a, 0.25f, mode, Conv2d.Path.AUTO, true);
            // A problem with few output (fprop) or input (dgrad) channels also runs the other path (in FP32: the
            // host runtime's wmma is slow under the sanitizer, and the paths share the TF32 rounding of the AUTO run).
            if (mode == MathMode.TF32) {
                return;
            }
            if (pr.k() <= Conv2d.NARROW_MAX && pr.c() <= Conv2d.NARROW_MAX) {
                run.ty.fill(Float.NaN);
                run.tdx.fill(Float.NaN);
                checkConv(run, a, 0.25f, mode, Conv2d.Path.TILED, true);
                run.ty.fill(Float.NaN);
                run.tdx.fill(Float.NaN);
                checkConv(run, a, 0.25f, mode, Conv2d.Path.NARROW, true);
            } else if (pr.k() <= Conv2d.NARROW_MAX || pr.c() <= Conv2d.NARROW_MAX) {
                run.ty.fill(Float.NaN);
                run.tdx.fill(Float.NaN);
                checkConv(run, a, 0.25f, mode, Conv2d.Path.TILED, true);
            }
        }
    }

    /** The random shapes include split-K wgrads (several splits reduced in order) and narrow problems of both passes. */
    @Test
    void shapesCoverSplitKAndNarrowPaths() {
        int split = 0, narrowF = 0, narrowD = 0;
        for (ConvProblem pr : RANDOM) {
            split += Conv2d.wgradSplit(pr)[0] > 1 ? 1 : 0;
            narrowF += pr.k() <= Conv2d.NARROW_MAX ? 1 : 0;
            narrowD += pr.c() <= Conv2d.NARROW_MAX ? 1 : 0;
            int[] s = Conv2d.wgradSplit(pr);
            assertTrue(s[1] % Conv2d.BK == 0 && (long) s[0] * s[1] >= pr.wgradGemm()[2] && (long) (s[0] - 1) * s[1] < pr.wgradGemm()[2],
                    pr + ": splits " + s[0] + " of " + s[1]);
        }
        assertTrue(split >= 2 && narrowF >= 3 && narrowD >= 3, split + " " + narrowF + " " + narrowD);
        // the split depends on the problem alone: a small filter over a long N*P*Q is split, a big one is not
        assertTrue(Conv2d.wgradSplit(ConvProblem.of(128, 64, 64, 3, 64, 4, 2, 1, 1))[0] > 1);
        assertEquals(1, Conv2d.wgradSplit(ConvProblem.of(128, 8, 8, 256, 512, 4, 2, 1, 1))[0]);
        assertEquals(4, ConvTranspose2d.channelSumsSplit(2048, 5)[0]);
        assertEquals(512, ConvTranspose2d.channelSumsSplit(2048, 5)[1]);
        assertEquals(1, ConvTranspose2d.channelSumsSplit(1000, 5)[0]);
        assertTrue(ConvTranspose2d.isProjection(ConvProblem.transposed(2, 1, 1, 100, 512, 4, 1, 0, 0, 1)));
        assertTrue(!ConvTranspose2d.isProjection(ConvProblem.transposed(2, 1, 1, 100, 512, 4, 1, 0, 0, 2)));
        assertTrue(!ConvTranspose2d.isProjection(ConvProblem.transposed(2, 1, 1, 100, 512, 4, 1, 1, 0, 1)));
        assertTrue(!ConvTranspose2d.isProjection(ConvProblem.transposed(2, 2, 2, 100, 512, 4, 2, 1, 0, 1)));
    }

    /** Split-K partials are reduced in a fixed order: two runs give the same bits. */
    @ParameterizedTest(name = "[{0}] split-K wgrad is deterministic")
    @MethodSource("jgan.testing.TestDevices#all")
    void splitKIsDeterministic(Target target) {
        Device dev = open(target, MathMode.FP32);
        ConvProblem pr = RANDOM[9];
        assertTrue(Conv2d.wgradSplit(pr)[0] > 1, pr.toString());
        try (Run run = Run.random(dev, pr, 29, false); Tensor dw2 = Tensor.empty(dev, pr.filterShape());
             Tensor db2 = Tensor.empty(dev, Shape.of(pr.k()))) {
            MathMode mode = MathMode.defaultFor(dev);
            Conv2d.wgrad(pr, run.tdy, null, run.tx, run.tdw, run.tdb, Activation.IDENTITY, 0f, false, mode);
            Conv2d.wgrad(pr, run.tdy, null, run.tx, dw2, db2, Activation.IDENTITY, 0f, false, mode);
            assertArrayEquals(run.tdw.toArray(), dw2.toArray());
            assertArrayEquals(run.tdb.toArray(), db2.toArray());
        }
    }

    static Stream<Arguments> transposedCases() {
        ConvProblem[] trs = {
            ConvProblem.transposed(1, 3, 5, 5, 3, 4, 2, 1, 0, 1),  // k4 s2 p1, odd input
            ConvProblem.transposed(3, 3, 3, 64, 1, 3, 2, 1, 1, 1), // output_padding 1, out 1 channel (narrow dgrad)
            ConvProblem.transposed(1, 4, 3, 3, 64, 3, 3, 2, 2, 1), // stride 3, output_padding 2
            ConvProblem.transposed(2, 1, 1, 5, 64, 4, 1, 0, 0, 1), // 1x1 -> 4x4 (DCGAN's first layer)
            ConvProblem.transposed(1, 3, 4, 3, 5, 3, 2, 0, 1, 2),  // dilation 2, output_padding 1
            ConvProblem.transposed(1, 4, 3, 3, 3, 3, 1, 0, 1, 2),  // stride 1, dilation 2, output_padding 1 (a cropping mirror)
            ConvProblem.transposed(2, 16, 16, 3, 5, 4, 2, 1, 0, 1), // 2048 output pixels: the bias gradient splits over rows
        };
        List<Arguments> cases = new ArrayList<>();
        TestDevices.all().forEach(d -> {
            int i = 0;
            for (ConvProblem pr : trs) {
                for (MathMode mode : MathMode.values()) {
                    cases.add(Arguments.of(d, pr, mode, Activation.values()[i++ % Activation.values().length]));
                }
            }
        });
        return cases.stream();
    }

    @ParameterizedTest(name = "[{0}] transposed {1} {2} {3}")
    @MethodSource("transposedCases")
    void transposed(Target target, ConvProblem pr, MathMode mode, Activation act) {
        Device dev = open(target, mode);
        try (Run run = Run.random(dev, pr, 3 + pr.hashCode(), true)) {
            checkTransposed(run, act, 0.2f, mode, false);
        }
        Activation a = act == Activation.TANH ? Activation.RELU : act;
        try (Run run = Run.integers(dev, pr, 5 + pr.hashCode(), true)) {
            checkTransposed(run, a, 0.5f, mode, true);
        }
    }

    /** Bias and activation fused into the epilogue, and act' fused into dgrad's and wgrad's loads, equal the unfused sequence. */
    @ParameterizedTest(name = "[{0}] fused and unfused epilogues agree")
    @MethodSource("jgan.testing.TestDevices#all")
    void fusedEqualsUnfused(Target target) {
        Device dev = open(target, MathMode.FP32);
        for (ConvProblem pr : new ConvProblem[] {RANDOM[4], RANDOM[2]}) { // tiled and narrow fprop
            for (Activation act : Activation.values()) {
                float slope = 0.2f;
                try (Run run = Run.random(dev, pr, 17, false); Tensor plain = Tensor.empty(dev, pr.outputShape());
                     Tensor dz = Tensor.empty(dev, pr.outputShape()); Tensor dx2 = Tensor.empty(dev, pr.inputShape());
                     Tensor dw2 = Tensor.empty(dev, pr.filterShape()); Tensor db2 = Tensor.empty(dev, Shape.of(pr.k()))) {
                    Conv2d.fprop(pr, run.tx, run.tw, run.tb, run.ty, act, slope, MathMode.FP32, null);
                    Conv2d.fprop(pr, run.tx, run.tw, null, plain, Activation.IDENTITY, 0f, MathMode.FP32, null);
                    float[] fused = run.ty.toArray(), pre = plain.toArray();
                    float[] unfused = new float[pre.length];
                    for (int i = 0; i < pre.length; i++) {
                        float v = pre[i] + run.b[i % pr.k()];
                        unfused[i] = act == Activation.TANH ? (float) Math.tanh(v) : (float) (act == Activation.RELU ? Math.max(v, 0)
                                : act == Activation.LEAKY_RELU ? (v > 0 ? v : slope * v) : v);
                    }
                    // bias and ReLU/leaky are exact float ops; tanhf is within 2 ulp of the correctly rounded tanh
                    Tolerance.assertClose("fused fprop " + act + " " + pr, fused, unfused, act == Activation.TANH ? 3e-7 : 0,
                            act == Activation.TANH ? 3e-7 : 0);
                    // dz = dy * act'(y) formed on the host in float, then the identity kernels
                    dz.copyFrom(DenseReference.preActivationGrad(run.dy, fused, act.code, slope));
                    Conv2d.dgrad(pr, run.tdy, run.ty, run.tw, run.tdx, act, slope, false, MathMode.FP32);
                    Conv2d.dgrad(pr, dz, null, run.tw, dx2, Activation.IDENTITY, 0f, false, MathMode.FP32);
                    // exact for ReLU/leaky (the factor is 0, slope or 1); tanh's 1 - y*y may be contracted into an FMA on the
                    // device, so dz differs in the last bit there
                    double tol = act == Activation.TANH ? 1e-4 : 0;
                    Tolerance.assertClose("dgrad " + act + " " + pr, run.tdx.toArray(), dx2.toArray(), tol, tol);
                    Conv2d.wgrad(pr, run.tdy, run.ty, run.tx, run.tdw, run.tdb, act, slope, false, MathMode.FP32);
                    Conv2d.wgrad(pr, dz, null, run.tx, dw2, db2, Activation.IDENTITY, 0f, false, MathMode.FP32);
                    Tolerance.assertClose("wgrad " + act + " " + pr, run.tdw.toArray(), dw2.toArray(), tol, tol);
                    Tolerance.assertClose("bias grad " + act + " " + pr, run.tdb.toArray(), db2.toArray(), tol, tol);
                }
            }
        }
    }

    /** Chan et al.'s parallel combination of partials in index order, as batch_norm.cu does (the statistics-partials contract in kernels/batch_norm.cu's header). */
    static double[][] combine(float[] partials, int channels) {
        int parts = partials.length / (3 * channels);
        double[] count = new double[channels], mean = new double[channels], m2 = new double[channels];
        for (int c = 0; c < channels; c++) {
            double n = 0, m = 0, s = 0;
            for (int p = 0; p < parts; p++) {
                int o = (p * channels + c) * 3;
                double nb = partials[o], mb = partials[o + 1], m2b = partials[o + 2];
                if (nb == 0) {
                    continue;
                }
                double nn = n + nb, d = mb - m;
                m = m + d * nb / nn;
                s = s + m2b + d * d * n * nb / nn;
                n = nn;
            }
            count[c] = n;
            mean[c] = m;
            m2[c] = s / n;
        }
        return new double[][] {count, mean, m2};
    }

    @ParameterizedTest(name = "[{0}] batch-norm statistics partials from the fprop epilogue, {1}")
    @MethodSource("bnCases")
    void batchNormPartials(Target target, MathMode mode) {
        Device dev = open(target, mode);
        // several M-tiles with a partial last one; K over one tile; a narrow K (the tiled path serves it then); a shifted mean
        for (ConvProblem pr : new ConvProblem[] {RANDOM[7], RANDOM[3], ConvProblem.of(2, 9, 9, 3, 70, 3, 1, 1, 1)}) {
            try (Run run = Run.random(dev, pr, 23, false); Tensor plain = Tensor.empty(dev, pr.outputShape());
                 Tensor partials = Tensor.empty(dev, Conv2d.bnPartialsShape(pr))) {
                float[] shifted = run.b.clone();
                for (int i = 0; i < shifted.length; i++) {
                    shifted[i] += 100; // a mean far from zero: two-pass m2 keeps the variance's digits
                }
                run.tb.copyFrom(shifted);
                partials.fill(Float.NaN);
                Conv2d.fprop(pr, run.tx, run.tw, run.tb, run.ty, Activation.IDENTITY, 0f, mode, partials);
                // the statistics force the tiled kernel: compare with the tiled kernel's plain output
                Conv2d.fprop(Conv2d.FPROP, pr, run.tx, null, Activation.IDENTITY, run.tw, run.tb, plain, Activation.IDENTITY, 0f, mode,
                        null, Conv2d.Path.TILED);
                float[] y = run.ty.toArray();
                assertArrayEquals(plain.toArray(), y, "y is the same with and without the statistics: " + pr);
                double[][] got = combine(partials.toArray(), pr.k());
                double[][] ref = ConvReference.channelMeanVar(y, pr.k());
                int rows = pr.n() * pr.p() * pr.q();
                for (int c = 0; c < pr.k(); c++) {
                    assertEquals(rows, got[0][c], 0, "count, channel " + c + " " + pr);
                    assertEquals(ref[0][c], got[1][c], 1e-5 * Math.abs(ref[0][c]) + 1e-5, "mean, channel " + c + " " + pr);
                    assertEquals(ref[1][c], got[2][c], 1e-3 * ref[1][c] + 1e-4, "biased variance, channel " + c + " " + pr);
                }
            }
        }
    }

    static Stream<Arguments> bnCases() {
        List<Arguments> cases = new ArrayList<>();
        TestDevices.all().forEach(d -> {
            for (MathMode mode : MathMode.values()) {
                cases.add(Arguments.of(d, mode));
            }
        });
        return cases.stream();
    }

    /** A layer of a real model: a convolution, or a transposed one given as its mirrored problem. */
    record Layer(String name, ConvProblem pr, boolean transposed) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final int BATCH = 2;

    static List<Layer> realLayers() {
        List<Layer> l = new ArrayList<>();
        // DCGAN-64 (nz 100, ngf = ndf = 64, 3 channels, k4)
        int[] gc = {100, 512, 256, 128, 64, 3};
        int size = 1;
        for (int i = 0; i < 5; i++) {
            ConvProblem pr = i == 0 ? ConvProblem.transposed(BATCH, 1, 1, gc[0], gc[1], 4, 1, 0, 0, 1)
                    : ConvProblem.transposed(BATCH, size, size, gc[i], gc[i + 1], 4, 2, 1, 0, 1);
            l.add(new Layer("DCGAN-64 G convT " + gc[i] + "->" + gc[i + 1] + " " + size + "->" + pr.h(), pr, true));
            size = pr.h();
        }
        int[] dc = {3, 64, 128, 256, 512};
        size = 64;
        for (int i = 0; i < 4; i++) {
            ConvProblem pr = ConvProblem.of(BATCH, size, size, dc[i], dc[i + 1], 4, 2, 1, 1);
            l.add(new Layer("DCGAN-64 D conv " + dc[i] + "->" + dc[i + 1] + " " + size + "->" + pr.p(), pr, false));
            size = pr.p();
        }
        l.add(new Layer("DCGAN-64 D conv 512->1 4->1 (logit)", ConvProblem.of(BATCH, 4, 4, 512, 1, 4, 1, 0, 1), false));
        // DCGAN-28 (Fashion-MNIST)
        l.add(new Layer("DCGAN-28 G convT 128->64 7->14", ConvProblem.transposed(BATCH, 7, 7, 128, 64, 4, 2, 1, 0, 1), true));
        l.add(new Layer("DCGAN-28 G convT 64->1 14->28", ConvProblem.transposed(BATCH, 14, 14, 64, 1, 4, 2, 1, 0, 1), true));
        l.add(new Layer("DCGAN-28 D conv 1->64 28->14", ConvProblem.of(BATCH, 28, 28, 1, 64, 4, 2, 1, 1), false));
        l.add(new Layer("DCGAN-28 D conv 64->128 14->7", ConvProblem.of(BATCH, 14, 14, 64, 128, 4, 2, 1, 1), false));
        // the GAN write-up's discriminator: five k5 s2 'same' convolutions on 64x64x3 (TensorFlow padding, asymmetric)
        int[] sc = {3, 64, 128, 256, 512, 1};
        size = 64;
        for (int i = 0; i < 5; i++) {
            ConvProblem pr = ConvProblem.same(BATCH, size, size, sc[i], sc[i + 1], 5, 2, 1);
            l.add(new Layer("same-k5s2 D conv " + sc[i] + "->" + sc[i + 1] + " " + size + "->" + pr.p(), pr, false));
            size = pr.p();
        }
        return l;
    }

    static Stream<Arguments> realCases() {
        List<Arguments> cases = new ArrayList<>();
        TestDevices.all().forEach(d -> realLayers().forEach(layer -> cases.add(Arguments.of(d, layer))));
        return cases.stream();
    }

    /** Every layer of DCGAN-64, DCGAN-28 and the 'same' discriminator at batch 2, all three passes, FP32 (the host default). */
    @Tag("slow")
    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("realCases")
    void realModelLayers(Target target, Layer layer) {
        Device dev = open(target, MathMode.FP32);
        MathMode mode = MathMode.defaultFor(dev);
        try (Run run = Run.random(dev, layer.pr(), layer.name().hashCode(), layer.transposed())) {
            if (layer.transposed()) {
                checkTransposed(run, layer.pr().c() <= 3 ? Activation.TANH : Activation.RELU, 0f, mode, false);
            } else {
                checkConv(run, Activation.LEAKY_RELU, 0.2f, mode, Conv2d.Path.AUTO, false);
            }
        }
    }

    static void refused(String fragment, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void badInputIsRefused() {
        Device dev = TestDevices.host();
        ConvProblem pr = ConvProblem.of(2, 8, 8, 3, 4, 3, 2, 1, 1); // -> 4x4
        try (Tensor x = Tensor.zeros(dev, pr.inputShape()); Tensor w = Tensor.zeros(dev, pr.filterShape());
             Tensor y = Tensor.zeros(dev, pr.outputShape()); Tensor b = Tensor.zeros(dev, Shape.of(4));
             Tensor xBad = Tensor.zeros(dev, Shape.of(2, 8, 8, 4)); Tensor yBad = Tensor.zeros(dev, Shape.of(2, 5, 5, 4));
             Tensor flat = Tensor.zeros(dev, Shape.of(2 * 8 * 8 * 3)); Tensor bBad = Tensor.zeros(dev, Shape.of(3));
             Tensor bn = Tensor.zeros(dev, Conv2d.bnPartialsShape(pr)); Tensor bnBad = Tensor.zeros(dev, Shape.of(1, 4, 2));
             Tensor bad2d = Tensor.zeros(dev, Shape.of(4, 4))) {
            refused("conv2d_fprop: x [2, 8, 8, 4] should be [2, 8, 8, 3]",
                    () -> Conv2d.fprop(pr, xBad, w, null, y, Activation.IDENTITY, 0f, MathMode.FP32, null));
            refused("conv2d_fprop: x [384] should be [2, 8, 8, 3]",
                    () -> Conv2d.fprop(pr, flat, w, null, y, Activation.IDENTITY, 0f, MathMode.FP32, null));
            refused("conv2d_fprop: y [2, 5, 5, 4] should be [2, 4, 4, 4]",
                    () -> Conv2d.fprop(pr, x, w, null, yBad, Activation.IDENTITY, 0f, MathMode.FP32, null));
            refused("conv2d_fprop: w [2, 8, 8, 3] should be [4, 3, 3, 3]",
                    () -> Conv2d.fprop(pr, x, x, null, y, Activation.IDENTITY, 0f, MathMode.FP32, null));
            refused("conv2d_fprop: bias [3] should be [4]",
                    () -> Conv2d.fprop(pr, x, w, bBad, y, Activation.IDENTITY, 0f, MathMode.FP32, null));
            refused("conv2d_fprop: bn partials [1, 4, 2] should be [1, 4, 3]",
                    () -> Conv2d.fprop(pr, x, w, b, y, Activation.IDENTITY, 0f, MathMode.FP32, bnBad));
            refused("pre-activation", () -> Conv2d.fprop(pr, x, w, b, y, Activation.RELU, 0f, MathMode.FP32, bn));
            refused("slope", () -> Conv2d.fprop(pr, x, w, b, y, Activation.LEAKY_RELU, -0.5f, MathMode.FP32, null));
            refused("slope", () -> Conv2d.fprop(pr, x, w, b, y, Activation.LEAKY_RELU, Float.NaN, MathMode.FP32, null));
            refused("conv2d_fprop: x is null", () -> Conv2d.fprop(pr, null, w, b, y, Activation.IDENTITY, 0f, MathMode.FP32, null));
            refused("conv2d_dgrad: dy [2, 5, 5, 4] should be [2, 4, 4, 4]",
                    () -> Conv2d.dgrad(pr, yBad, null, w, x, Activation.IDENTITY, 0f, false, MathMode.FP32));
            refused("conv2d_dgrad: dx [2, 8, 8, 4] should be [2, 8, 8, 3]",
                    () -> Conv2d.dgrad(pr, y, null, w, xBad, Activation.IDENTITY, 0f, false, MathMode.FP32));
            refused("needs the forward's output y", () -> Conv2d.dgrad(pr, y, null, w, x, Activation.TANH, 0f, false, MathMode.FP32));
            refused("conv2d_wgrad: db [3] should be [4]",
                    () -> Conv2d.wgrad(pr, y, y, x, w, bBad, Activation.IDENTITY, 0f, false, MathMode.FP32));
            refused("conv2d_wgrad: dw [2, 8, 8, 3] should be [4, 3, 3, 3]",
                    () -> Conv2d.wgrad(pr, y, y, x, x, null, Activation.IDENTITY, 0f, false, MathMode.FP32));
            // the transposed op names itself and checks against the mirrored problem
            refused("conv_transpose2d_forward: x [2, 8, 8, 3] should be [2, 4, 4, 4]",
                    () -> ConvTranspose2d.forward(pr, x, w, null, y, Activation.IDENTITY, 0f, MathMode.FP32));
            refused("conv_transpose2d_forward: bias [4] should be [3]",
                    () -> ConvTranspose2d.forward(pr, y, w, b, x, Activation.IDENTITY, 0f, MathMode.FP32));
            refused("conv_transpose2d_backward_data", () -> ConvTranspose2d.backwardData(pr, x, null, w, y, Activation.RELU, 0f,
                    MathMode.FP32));
            refused("conv_transpose2d_backward_weight: w [4, 4] should be [4, 3, 3, 3]", () -> ConvTranspose2d.backwardWeight(pr, x, null,
                    y, bad2d, null, Activation.IDENTITY, 0f, false, MathMode.FP32));
            refused("conv_transpose2d_backward_weight: db [4] should be [3]", () -> ConvTranspose2d.backwardWeight(pr, x, null,
                    y, w, b, Activation.IDENTITY, 0f, false, MathMode.FP32));
        }
        // different devices: a second host device (the cpu device would load BLAS natives, which the sanitizer run avoids)
        try (Device other = new jgan.device.HostDevice(); Tensor x = Tensor.zeros(dev, pr.inputShape());
             Tensor w = Tensor.zeros(other, pr.filterShape());
             Tensor y = Tensor.zeros(dev, pr.outputShape())) {
            refused("conv2d_fprop: tensors on different devices",
                    () -> Conv2d.fprop(pr, x, w, null, y, Activation.IDENTITY, 0f, MathMode.FP32, null));
            refused("conv2d_wgrad: tensors on different devices",
                    () -> Conv2d.wgrad(pr, y, null, x, w, null, Activation.IDENTITY, 0f, false, MathMode.FP32));
        }
        // sizes <= 0, stride 0, no output, overflow: the problem itself is refused
        refused("every size must be >= 1", () -> ConvProblem.of(2, 0, 8, 3, 4, 3, 2, 1, 1));
        refused("stride and dilation must be >= 1", () -> ConvProblem.of(2, 8, 8, 3, 4, 3, 0, 1, 1));
        refused("no output", () -> ConvProblem.of(2, 8, 8, 3, 4, 11, 1, 1, 1));
        refused("exceeds 2^31 - 1", () -> ConvProblem.of(1 << 12, 256, 256, 64, 64, 3, 1, 1, 1));
    }
}
