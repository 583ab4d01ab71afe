package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.Graph;
import jgan.reference.SoftmaxCrossEntropyReference;
import jgan.reference.SoftmaxCrossEntropyReference.Result;
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

/** kernels/softmax_cross_entropy.cu against {@link SoftmaxCrossEntropyReference} on every device. */
@Tag("host-runtime")
class SoftmaxCrossEntropyConformanceTest {
    /**
     * [N, K]: one class, odd class counts below and above a warp, the classifier's 10 classes,
     * three rows of 1000 classes, and 8300 rows (more than 1024 blocks of 8 rows: the grid strides).
     */
    static final int[][] SHAPES = {{1, 1}, {7, 1}, {5, 17}, {33, 10}, {1000, 10}, {129, 33}, {3, 1000}, {8300, 3}};

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> Arrays.stream(SHAPES).map(s -> Arguments.of(d, s[0], s[1])));
    }

    /** What one launch gave. */
    record Out(float loss, float[] grad, int[] predictions, int flag) {
    }

    static Out run(Device dev, float[] z, int rows, int classes, int[] labels, Reduction red, boolean withGrad) {
        DeviceBuffer y = dev.allocate(4L * rows);
        dev.copyToDevice(labels, 0, y, 0, rows); // unchecked: the kernel's own check is under test too
        try (y; Tensor tz = Tensor.of(dev, Shape.of(rows, classes), z); Tensor loss = Tensor.empty(dev, Shape.of(1));
             Tensor grad = withGrad ? Tensor.empty(dev, Shape.of(rows, classes)) : null;
             DeviceBuffer pred = dev.allocate(4L * rows); DeviceBuffer flag = dev.allocate(4)) {
            loss.fill(Float.NaN);
            if (grad != null) {
                grad.fill(Float.NaN);
            }
            dev.fill32(pred, 0, rows, -7);
            dev.fill32(flag, 0, 1, 0);
            SoftmaxCrossEntropy.lossAndGradient(tz, y, loss, grad, pred, flag, red, false);
            int[] p = new int[rows], f = new int[1];
            dev.copyToHost(pred, 0, p, 0, rows);
            dev.copyToHost(flag, 0, f, 0, 1);
            return new Out(loss.toArray()[0], grad == null ? null : grad.toArray(), p, f[0]);
        }
    }

    static double factor(Reduction red, int rows) {
        return red.mean() ? red.scale() / (double) rows : red.scale();
    }

    /** Loss within 1e-5 relative of the reference plus float rounding of the sum of |l|, gradient within 1e-5. */
    static Out check(Device dev, float[] z, int rows, int classes, int[] labels, Reduction red) {
        double factor = factor(red, rows);
        Result ref = SoftmaxCrossEntropyReference.lossAndGradient(z, rows, classes, labels, factor);
        Out out = run(dev, z, rows, classes, labels, red, true);
        Tolerance.assertClose("loss", out.loss(), ref.loss(), 1e-6 * Math.abs(factor), 1e-5);
        Tolerance.assertClose("grad", out.grad(), ref.grad(), 1e-7 * Math.abs(factor), 1e-5);
        assertArrayEquals(ref.predictions(), out.predictions(), "predictions");
        return out;
    }

    static int[] labels(SplittableRandom r, int rows, int classes) {
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = r.nextInt(classes);
        }
        return y;
    }

    @ParameterizedTest(name = "[{0}] N={1} K={2}")
    @MethodSource("cases")
    void randomInputsMatchReference(Target target, int rows, int classes) {
        Device dev = target.device();
        SplittableRandom r = new SplittableRandom(1000L * rows + classes);
        float[] z = RandomData.normal(r, rows * classes, 4.0);
        int[] y = labels(r, rows, classes);
        Out a = check(dev, z, rows, classes, y, Reduction.MEAN);
        assertEquals(0, a.flag(), "no label is out of range");
        if (rows < 5000) { // the largest grid once: its 20 warp collectives a row cost seconds under the sanitizer
            // Deterministic: a second launch gives the same bits.
            Out b = run(dev, z, rows, classes, y, Reduction.MEAN, true);
            assertEquals(Float.floatToRawIntBits(a.loss()), Float.floatToRawIntBits(b.loss()), "same loss bits on a second run");
            assertArrayEquals(a.grad(), b.grad(), "same gradient on a second run");
            check(dev, z, rows, classes, y, Reduction.SUM.times(-0.5f));
            // Loss only: the same loss without a gradient buffer.
            Out c = run(dev, z, rows, classes, y, Reduction.MEAN, false);
            assertEquals(Float.floatToRawIntBits(a.loss()), Float.floatToRawIntBits(c.loss()), "the loss does not depend on grad");
        }
    }

    /**
     * Huge, infinite and NaN logits, one row each: the finite rows match the reference (and its
     * closed forms), the non-finite ones give what PyTorch's cross_entropy gives.
     */
    @ParameterizedTest(name = "[{0}] huge, infinite and NaN logits")
    @MethodSource("jgan.testing.TestDevices#all")
    void extremeLogits(Target target) {
        Device dev = target.device();
        float inf = Float.POSITIVE_INFINITY, nan = Float.NaN;
        int classes = 3;
        float[][] finiteRows = {
            {1e30f, -1e30f, 0f}, // label 1: loss 2e30
            {1e30f, -1e30f, 0f}, // label 0: loss 0, gradient 0
            {3e38f, -3e38f, 1e38f}, // label 0: differences overflow to -Inf, exp gives 0
            {-inf, 2f, 1f}, // a -Inf logit has probability 0
            {-inf, 2f, 1f}, // ... and as the label: loss +Inf, gradient -1
            {-1e4f, -1e4f, -1e4f}, // equal logits: loss log 3, argmax the first
            {5f, 5f, -1f}, // tie: argmax the first
        };
        int[] finiteLabels = {1, 0, 0, 1, 0, 2, 1};
        float[] z = flatten(finiteRows);
        int rows = finiteRows.length;
        Out out = check(dev, z, rows, classes, finiteLabels, Reduction.SUM);
        assertEquals(inf, out.loss(), "the -Inf label's row makes the sum +Inf");
        float[] g = out.grad();
        assertEquals(-1f, g[0 * 3 + 1], 0f);
        assertEquals(0f, g[1 * 3], 0f);
        assertEquals(-1f, g[4 * 3], 0f);
        assertArrayEquals(new int[] {0, 0, 0, 1, 1, 0, 0}, out.predictions());
        // The first four rows alone (without the -Inf label): a finite sum, 2e30 + 0 + 0 + (log(e^2 + e) - 2).
        Out f = check(dev, Arrays.copyOf(z, 4 * classes), 4, classes, Arrays.copyOf(finiteLabels, 4), Reduction.SUM);
        Tolerance.assertClose("finite rows' loss", f.loss(), 2e30 + Math.log(Math.exp(2) + Math.exp(1)) - 2, 0, 1e-6);

        // Rows whose loss is NaN in PyTorch: a NaN anywhere, a +Inf anywhere, only -Inf.
        float[][] nanRows = {{nan, 0f, 1f}, {0f, 1f, nan}, {inf, 0f, 1f}, {0f, inf, 1f}, {-inf, -inf, -inf}, {nan, nan, nan}};
        int[] nanLabels = {1, 1, 0, 1, 2, 0};
        for (int i = 0; i < nanRows.length; i++) {
            Out o = check(dev, nanRows[i], 1, classes, new int[] {nanLabels[i]}, Reduction.MEAN);
            assertTrue(Float.isNaN(o.loss()), "row " + Arrays.toString(nanRows[i]) + ": loss " + o.loss());
            for (float v : o.grad()) {
                assertTrue(Float.isNaN(v), "row " + Arrays.toString(nanRows[i]) + ": gradient " + Arrays.toString(o.grad()));
            }
        }
        // torch.argmax: the first NaN wins; +Inf beats every number; all -Inf gives 0.
        Out o = run(dev, flatten(nanRows), nanRows.length, classes, nanLabels, Reduction.MEAN, true);
        assertArrayEquals(new int[] {0, 2, 0, 1, 0, 0}, o.predictions());
    }

    static float[] flatten(float[][] rows) {
        int k = rows[0].length;
        float[] z = new float[rows.length * k];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, z, i * k, k);
        }
        return z;
    }

    /**
     * A confident right answer keeps its small loss and gradient: logits (z, 0) with label 0 give
     * l = log(1 + e) and grad = (-e/(1 + e), e/(1 + e)) with e = exp(-z), normal floats up to z = 80.
     * The expected values are the closed form in double (the reference's 1/s - 1 rounds to 0 past z = 37).
     */
    @ParameterizedTest(name = "[{0}] small loss and gradient of confident logits")
    @MethodSource("jgan.testing.TestDevices#all")
    void confidentLogitsKeepTheirSmallGradient(Target target) {
        Device dev = target.device();
        float[] zs = {1f, 5f, 10f, 17f, 20f, 30f, 40f, 60f, 80f};
        for (float zi : zs) {
            Out o = run(dev, new float[] {zi, 0f}, 1, 2, new int[] {0}, Reduction.SUM, true);
            double e = Math.exp(-(double) zi), p = e / (1 + e);
            String at = "logits (" + zi + ", 0), label 0 (" + dev.name() + ")";
            assertEquals(Math.log1p(e), o.loss(), 1e-5 * Math.log1p(e), "loss at " + at);
            assertEquals(-p, o.grad()[0], 1e-5 * p, "gradient of the label at " + at);
            assertEquals(p, o.grad()[1], 1e-5 * p, "gradient of the other class at " + at);
        }
    }

    /** Labels outside [0, K) on the device: the flag is set, their rows are NaN, the other rows are right. */
    @ParameterizedTest(name = "[{0}] out-of-range labels set the error flag")
    @MethodSource("jgan.testing.TestDevices#all")
    void outOfRangeLabelsSetTheFlag(Target target) {
        Device dev = target.device();
        int rows = 40, classes = 10;
        SplittableRandom r = new SplittableRandom(9);
        float[] z = RandomData.normal(r, rows * classes, 2.0);
        int[] y = labels(r, rows, classes);
        y[3] = -1;
        y[37] = classes;
        Out o = run(dev, z, rows, classes, y, Reduction.MEAN, true);
        assertEquals(1, o.flag(), "the error flag");
        assertTrue(Float.isNaN(o.loss()), "the mean over a bad row is NaN, got " + o.loss());
        Result ref = SoftmaxCrossEntropyReference.lossAndGradient(z, rows, classes, y, 1.0 / rows);
        Tolerance.assertClose("grad (NaN rows 3 and 37)", o.grad(), ref.grad(), 1e-7, 1e-5);
        assertTrue(Float.isNaN(o.grad()[3 * classes]) && Float.isNaN(o.grad()[37 * classes + 9]));
        assertArrayEquals(ref.predictions(), o.predictions(), "predictions are written for every row");
    }

    /** Accumulation, and graph replay (the ticket counter resets itself). */
    @ParameterizedTest(name = "[{0}] accumulate through a replayed graph")
    @MethodSource("jgan.testing.TestDevices#all")
    void accumulatesAcrossGraphReplays(Target target) {
        Device dev = target.device();
        int rows = 300, classes = 10;
        SplittableRandom r = new SplittableRandom(3);
        float[] z = RandomData.normal(r, rows * classes, 2.0);
        int[] y = labels(r, rows, classes);
        double ref = SoftmaxCrossEntropyReference.lossAndGradient(z, rows, classes, y, 1.0 / rows).loss();
        try (DeviceBuffer ty = SoftmaxCrossEntropy.uploadLabels(dev, y, classes);
             Tensor tz = Tensor.of(dev, Shape.of(rows, classes), z); Tensor loss = Tensor.zeros(dev, Shape.of(1));
             Tensor grad = Tensor.empty(dev, Shape.of(rows, classes))) {
            SoftmaxCrossEntropy.lossAndGradient(tz, ty, loss, grad, null, null, Reduction.MEAN, true); // creates the workspace
            dev.beginCapture();
            SoftmaxCrossEntropy.lossAndGradient(tz, ty, loss, grad, null, null, Reduction.MEAN, true);
            try (Graph g = dev.endCapture()) {
                assertEquals(1, g.size());
                for (int i = 0; i < 4; i++) {
                    g.replay();
                }
            }
            Tolerance.assertClose("5 accumulated losses", loss.toArray()[0], 5 * ref, 1e-6, 1e-5);
        }
    }

    @Test
    void badInputIsRefusedBeforeLaunch() {
        Device dev = TestDevices.host();
        try (Tensor z = Tensor.zeros(dev, Shape.of(8, 10)); Tensor flat = Tensor.zeros(dev, Shape.of(80));
             Tensor g = Tensor.zeros(dev, Shape.of(8, 9)); Tensor loss = Tensor.zeros(dev, Shape.of(1));
             Tensor loss2 = Tensor.zeros(dev, Shape.of(2)); DeviceBuffer y = dev.allocate(4 * 8);
             DeviceBuffer y7 = dev.allocate(4 * 7)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.lossAndGradient(flat, y, loss, null, null, null, Reduction.MEAN, false));
            assertTrue(e.getMessage().contains("[N, K]") && e.getMessage().contains("[80]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.lossAndGradient(z, y, loss, g, null, null, Reduction.MEAN, false));
            assertTrue(e.getMessage().contains("logits [8, 10]") && e.getMessage().contains("grad [8, 9]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.lossAndGradient(z, y7, loss, null, null, null, Reduction.MEAN, false));
            assertTrue(e.getMessage().contains("labels") && e.getMessage().contains("32 bytes, have 28"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.lossAndGradient(z, y, loss, null, y7, null, Reduction.MEAN, false));
            assertTrue(e.getMessage().contains("predictions"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.lossAndGradient(z, y, loss2, null, null, null, Reduction.MEAN, false));
            assertTrue(e.getMessage().contains("loss must have one element"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> SoftmaxCrossEntropy.uploadLabels(dev, new int[] {0, 3, 10, 2}, 10));
            assertTrue(e.getMessage().contains("label 10 at index 2") && e.getMessage().contains("[0, 10)"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> SoftmaxCrossEntropy.uploadLabels(dev, new int[] {-1}, 10));
            assertThrows(IllegalArgumentException.class, () -> SoftmaxCrossEntropy.uploadLabels(dev, new int[0], 10));
        }
    }

    /** The reference itself against hand-computed values (so that the oracle is not only self-consistent). */
    @Test
    void referenceMatchesHandComputedValues() {
        // logits (0, ln 3): softmax (1/4, 3/4); label 1: loss -ln(3/4); grad (1/4, -1/4)
        Result r = SoftmaxCrossEntropyReference.lossAndGradient(new float[] {0f, (float) Math.log(3)}, 1, 2, new int[] {1}, 1.0);
        assertEquals(-Math.log(0.75), r.loss(), 1e-7);
        assertEquals(0.25f, r.grad()[0], 1e-7f);
        assertEquals(-0.25f, r.grad()[1], 1e-7f);
        assertArrayEquals(new int[] {1}, r.predictions());
        // K equal logits: loss ln K whatever the label
        Result u = SoftmaxCrossEntropyReference.lossAndGradient(new float[] {2f, 2f, 2f, 2f, 2f}, 1, 5, new int[] {4}, 1.0);
        assertEquals(Math.log(5), u.loss(), 1e-12);
    }
}
