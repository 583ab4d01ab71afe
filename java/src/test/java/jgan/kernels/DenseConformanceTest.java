package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.CudaDevice;
import jgan.device.Device;
import jgan.reference.DenseReference;
import jgan.reference.DenseReference.Rounding;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.Target16Bit;
import jgan.testing.TestDevices;
import jgan.testing.TestDevices.Target;
import jgan.testing.Tolerance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * kernels/dense.cu against {@link DenseReference}: exact on small-integer inputs in both math
 * modes (as CUTLASS tests GEMMs), and within FP32 accumulation error on random inputs, with TF32
 * compared against a reference that rounds its operands to tf32 the same way.
 */
@Tag("host-runtime")
class DenseConformanceTest {
    /** {rows, in, out}: odd sizes, tiles cut at every edge, K of 1 and K beyond one tile. */
    static final int[][] SHAPES = {{1, 1, 1}, {7, 3, 5}, {31, 2, 33}, {65, 130, 67}, {200, 17, 3}, {3, 300, 70}};

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        TestDevices.all().forEach(d -> {
            int i = 0;
            for (int[] s : SHAPES) {
                for (MathMode mode : MathMode.values()) {
                    cases.add(Arguments.of(d, s[0], s[1], s[2], mode, Activation.values()[i++ % Activation.values().length]));
                }
            }
        });
        return cases.stream();
    }

    static void requireMode(Device dev, MathMode mode) {
        if (mode == MathMode.TF32 && dev instanceof CudaDevice c) {
            assumeTrue(c.computeCapability() >= 80, "TF32 needs sm_80; this GPU is sm_" + c.computeCapability());
        }
    }

    static Rounding rounding(MathMode mode) {
        return mode == MathMode.TF32 ? Target16Bit::tf32 : Rounding.NONE;
    }


    static void assertWithin(String what, float[] out, float[] ref, float[] magnitude, double rel) {
        Tolerance.assertWithinSumError(what, out, ref, magnitude, 1e-6, rel);
    }

    @ParameterizedTest(name = "[{0}] {1}x{2} -> {3} {4} {5}, random")
    @MethodSource("cases")
    void randomInputs(Target target, int rows, int in, int out, MathMode mode, Activation act) {
        Device dev = target.device();
        requireMode(dev, mode);
        SplittableRandom r = new SplittableRandom(rows * 1_000_003L + in * 1009L + out);
        float slope = 0.2f;
        float[] x = RandomData.normal(r, rows * in, 1.0), w = RandomData.normal(r, out * in, 0.5);
        float[] b = RandomData.normal(r, out, 0.5), dy = RandomData.normal(r, rows * out, 1.0);
        Rounding round = rounding(mode);
        double rel = 2e-5; // fp32 accumulation over K <= 300 terms, with room for the GPU's summation order
        try (Tensor tx = Tensor.of(dev, Shape.of(rows, in), x); Tensor tw = Tensor.of(dev, Shape.of(out, in), w);
             Tensor tb = Tensor.of(dev, Shape.of(out), b); Tensor ty = Tensor.empty(dev, Shape.of(rows, out));
             Tensor tdy = Tensor.of(dev, Shape.of(rows, out), dy); Tensor tdx = Tensor.empty(dev, Shape.of(rows, in));
             Tensor tdw = Tensor.empty(dev, Shape.of(out, in)); Tensor tdb = Tensor.empty(dev, Shape.of(out))) {
            // forward
            ty.fill(Float.NaN);
            Dense.forward(tx, tw, tb, ty, act, slope, mode);
            float[] y = ty.toArray();
            float[] yRef = DenseReference.forward(x, w, b, rows, in, out, act.code, slope, round);
            float[] yMag = DenseReference.forward(Tolerance.abs(x), Tolerance.abs(w), Tolerance.abs(b), rows, in, out, 0, 0, Rounding.NONE);
            assertWithin("forward", y, yRef, yMag, rel);
            // data gradient, from the device's own y
            tdx.fill(Float.NaN);
            Dense.backwardData(tdy, ty, tw, tdx, act, slope, mode);
            float[] dxRef = DenseReference.backwardData(dy, y, w, rows, in, out, act.code, slope, round);
            float[] dxMag = DenseReference.backwardData(Tolerance.abs(dy), y, Tolerance.abs(w), rows, in, out, act.code, slope, Rounding.NONE);
            assertWithin("backward data", tdx.toArray(), dxRef, dxMag, rel);
            // weight and bias gradients, written, then accumulated once more
            tdw.fill(Float.NaN);
            tdb.fill(Float.NaN);
            Dense.backwardWeight(tdy, ty, tx, tdw, tdb, act, slope, false, mode);
            float[][] ref = DenseReference.backwardWeight(dy, y, x, rows, in, out, act.code, slope, round);
            float[][] mag = DenseReference.backwardWeight(Tolerance.abs(dy), y, Tolerance.abs(x), rows, in, out, act.code, slope, Rounding.NONE);
            assertWithin("backward weight", tdw.toArray(), ref[0], mag[0], rel);
            assertWithin("bias gradient", tdb.toArray(), ref[1], mag[1], rel);
            Dense.backwardWeight(tdy, ty, tx, tdw, tdb, act, slope, true, mode);
            float[] twice = ref[0].clone(), twiceMag = mag[0].clone();
            for (int i = 0; i < twice.length; i++) {
                twice[i] *= 2;
                twiceMag[i] *= 2;
            }
            assertWithin("accumulated weight gradient", tdw.toArray(), twice, twiceMag, rel);
        }
    }

    /** Small integers: every product and partial sum is exact in float and in tf32, so the results are exact. */
    @ParameterizedTest(name = "[{0}] {1}x{2} -> {3} {4} {5}, exact on small integers")
    @MethodSource("cases")
    void exactOnSmallIntegers(Target target, int rows, int in, int out, MathMode mode, Activation act) {
        assumeTrue(act != Activation.TANH, "tanh is not exact");
        Device dev = target.device();
        requireMode(dev, mode);
        SplittableRandom r = new SplittableRandom(rows + 31L * in + 977L * out);
        float slope = 0.25f;
        float[] x = RandomData.smallIntegers(r, rows * in, 3), w = RandomData.smallIntegers(r, out * in, 3);
        float[] b = RandomData.smallIntegers(r, out, 5), dy = RandomData.smallIntegers(r, rows * out, 4);
        try (Tensor tx = Tensor.of(dev, Shape.of(rows, in), x); Tensor tw = Tensor.of(dev, Shape.of(out, in), w);
             Tensor tb = Tensor.of(dev, Shape.of(out), b); Tensor ty = Tensor.empty(dev, Shape.of(rows, out));
             Tensor tdy = Tensor.of(dev, Shape.of(rows, out), dy); Tensor tdx = Tensor.empty(dev, Shape.of(rows, in));
             Tensor tdw = Tensor.empty(dev, Shape.of(out, in)); Tensor tdb = Tensor.empty(dev, Shape.of(out))) {
            Dense.forward(tx, tw, tb, ty, act, slope, mode);
            float[] y = ty.toArray();
            Tolerance.assertClose("forward", y, DenseReference.forward(x, w, b, rows, in, out, act.code, slope, Rounding.NONE), 0, 0);
            Dense.backwardData(tdy, ty, tw, tdx, act, slope, mode);
            Tolerance.assertClose("backward data", tdx.toArray(),
                    DenseReference.backwardData(dy, y, w, rows, in, out, act.code, slope, Rounding.NONE), 0, 0);
            Dense.backwardWeight(tdy, ty, tx, tdw, tdb, act, slope, false, mode);
            float[][] ref = DenseReference.backwardWeight(dy, y, x, rows, in, out, act.code, slope, Rounding.NONE);
            Tolerance.assertClose("backward weight", tdw.toArray(), ref[0], 0, 0);
            Tolerance.assertClose("bias gradient", tdb.toArray(), ref[1], 0, 0);
        }
    }

    /** Weights as views into one flat parameter buffer, as networks hold them. */
    @ParameterizedTest(name = "[{0}] views into a flat parameter buffer")
    @MethodSource("jgan.testing.TestDevices#all")
    void viewsIntoFlatBuffer(Target target) {
        Device dev = target.device();
        int rows = 9, in = 5, out = 6;
        SplittableRandom r = new SplittableRandom(2);
        float[] x = RandomData.smallIntegers(r, rows * in, 3), params = RandomData.smallIntegers(r, 3 + out * in + out, 3);
        float[] w = java.util.Arrays.copyOfRange(params, 3, 3 + out * in);
        float[] b = java.util.Arrays.copyOfRange(params, 3 + out * in, 3 + out * in + out);
        try (Tensor flat = Tensor.of(dev, Shape.of(params.length), params); Tensor tx = Tensor.of(dev, Shape.of(rows, in), x);
             Tensor ty = Tensor.empty(dev, Shape.of(rows, out))) {
            Tensor tw = flat.view(3, Shape.of(out, in)), tb = flat.view(3 + out * in, Shape.of(out));
            Dense.forward(tx, tw, tb, ty, Activation.IDENTITY, 0f, MathMode.FP32);
            Tolerance.assertClose("forward", ty.toArray(),
                    DenseReference.forward(x, w, b, rows, in, out, 0, 0f, Rounding.NONE), 0, 0);
        }
    }

    /**
     * A NaN input stays NaN through every fused activation (PyTorch: relu(NaN) = NaN), so that a
     * diverging network is seen downstream by the NaN/Inf check instead of being zeroed by a ReLU;
     * rows without the NaN are untouched. The same activation code serves conv and batch norm.
     */
    @ParameterizedTest(name = "[{0}] NaN passes through the fused activations")
    @MethodSource("jgan.testing.TestDevices#all")
    void nanPassesThroughFusedActivations(Target target) {
        Device dev = target.device();
        int rows = 3, in = 4, out = 5;
        float[] x = RandomData.smallIntegers(new SplittableRandom(5), rows * in, 3);
        x[in + 2] = Float.NaN; // row 1
        float[] w = RandomData.smallIntegers(new SplittableRandom(6), out * in, 3);
        for (Activation act : Activation.values()) {
            try (Tensor tx = Tensor.of(dev, Shape.of(rows, in), x); Tensor tw = Tensor.of(dev, Shape.of(out, in), w);
                 Tensor ty = Tensor.empty(dev, Shape.of(rows, out))) {
                Dense.forward(tx, tw, null, ty, act, 0.2f, MathMode.FP32);
                float[] y = ty.toArray();
                for (int j = 0; j < out; j++) {
                    assertTrue(Float.isNaN(y[out + j]), act + ": y[1][" + j + "] = " + y[out + j] + ", NaN expected");
                    assertTrue(!Float.isNaN(y[j]) && !Float.isNaN(y[2 * out + j]), act + ": a row without NaN became NaN");
                }
            }
        }
    }

    @Test
    void badShapesAreRefused() {
        Device dev = TestDevices.host();
        try (Tensor x = Tensor.zeros(dev, Shape.of(4, 3)); Tensor w = Tensor.zeros(dev, Shape.of(5, 2));
             Tensor y = Tensor.zeros(dev, Shape.of(4, 5))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Dense.forward(x, w, null, y, Activation.RELU, 0f, MathMode.FP32));
            assertTrue(e.getMessage().contains("dense_forward") && e.getMessage().contains("[4, 3]")
                    && e.getMessage().contains("[5, 2]"), e.getMessage());
        }
        try (Tensor x = Tensor.zeros(dev, Shape.of(4, 3)); Tensor w = Tensor.zeros(dev, Shape.of(5, 3));
             Tensor y = Tensor.zeros(dev, Shape.of(4, 6))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Dense.forward(x, w, null, y, Activation.RELU, 0f, MathMode.FP32));
            assertTrue(e.getMessage().contains("y [4, 6] should be [4, 5]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Dense.forward(x, w, null, x, Activation.LEAKY_RELU, -1f, MathMode.FP32));
            assertTrue(e.getMessage().contains("slope"), e.getMessage());
        }
    }
}
