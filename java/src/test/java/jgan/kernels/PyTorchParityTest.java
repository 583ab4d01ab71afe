package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import jgan.device.Device;
import jgan.tensor.Layouts;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.TestDevices;
import jgan.testing.TestDevices.Target;
import jgan.testing.Tolerance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conv2d, ConvTranspose2d and BatchNorm against PyTorch itself, the arbiter of the semantics jgan
 * claims (issue 6), without PyTorch: golden files made by bench/parity/make_golden.py (PyTorch
 * 2.13.0+cpu, see its header for the cases and how to regenerate) under
 * src/test/resources/jgan/parity. Inputs and PyTorch's float64 outputs are in PyTorch's layouts
 * (NCHW, OIHW, ConvTranspose2d's [in, out, kh, kw]); the conversion to jgan's NHWC/KRSC goes
 * through {@link Layouts}, so the layout helpers are under test too. Every case runs on every
 * device in FP32 and is compared with PyTorch's float64 result within float32 accumulation error
 * scaled by the sum of |terms| behind each output (the golden "_mag" arrays); PyTorch's own float32
 * result must pass the same tolerance, so it is no tighter than float32 allows. Unlike the
 * conformance tests (against jgan's own double references), a misreading of PyTorch (output_padding,
 * padding sides, the running-variance update, dilation, the ConvTranspose2d weight layout) fails here.
 * Fused activations (ReLU, leaky ReLU 0.2, tanh) are PyTorch's activation after the op; their
 * backward passes take PyTorch's forward output as y (for act'), so only the backward is under
 * test. One DCGAN-28 convolution also feeds a BatchNorm2d step through fprop's fused statistics.
 */
@Tag("host-runtime")
class PyTorchParityTest {
    static final String DIR = "/jgan/parity/";
    /**
     * FP32 accumulation of at most a few hundred terms per output, any summation order: 50 float32
     * ulps (2^-24 relative each) of the sum of |terms|. Measured (host and cpu, and PyTorch's own
     * float32 on the same inputs): at most 2.2e-7 x sum|terms| on every case, so this leaves an
     * order of magnitude for other summation orders (CUDA, split-K) and no more: a semantic slip
     * worth a few 1e-5 relative (eps inside or outside the square root at eps = 1e-3) still fails.
     */
    static final double CONV_REL = 3e-6;
    /** Batch norm: a few float roundings of each term (mean, centring, invstd, scale); measured at most 2e-7. */
    static final double BN_REL = 3e-6;
    static final double ATOL = 1e-6;

    /** One case of index.json with its arrays, read once. */
    record Case(String name, String op, JsonObject params, Map<String, double[]> arrays, Map<String, int[]> shapes) {
        double[] d(String key) {
            double[] a = arrays.get(key);
            assertNotNull(a, name + ": golden array " + key + " missing");
            return a;
        }

        float[] f(String key) {
            return toFloat(d(key));
        }

        boolean has(String key) {
            return arrays.containsKey(key);
        }

        int i(String key) {
            return params.get(key).getAsInt();
        }

        int[] ints(String key) {
            JsonArray a = params.getAsJsonArray(key);
            int[] v = new int[a.size()];
            for (int j = 0; j < v.length; j++) {
                v[j] = a.get(j).getAsInt();
            }
            return v;
        }

        /** The fused activation (PyTorch's F.relu, F.leaky_relu(slope), torch.tanh after the op). */
        Activation act() {
            return Activation.valueOf(params.get("act").getAsString().toUpperCase(java.util.Locale.ROOT));
        }

        float slope() {
            return params.get("slope").getAsFloat();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static JsonObject index;
    private static List<Case> cases;

    static synchronized JsonObject index() {
        if (index == null) {
            try (InputStream in = PyTorchParityTest.class.getResourceAsStream(DIR + "index.json")) {
                assertNotNull(in, "golden index " + DIR + "index.json missing: run bench/parity/make_golden.py");
                index = JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).getAsJsonObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return index;
    }

    static synchronized List<Case> cases() {
        if (cases == null) {
            List<Case> list = new ArrayList<>();
            for (JsonElement e : index().getAsJsonArray("cases")) {
                list.add(load(e.getAsJsonObject()));
            }
            cases = list;
        }
        return cases;
    }

    static Case load(JsonObject c) {
        String file = c.get("file").getAsString();
        byte[] bytes;
        try (InputStream in = PyTorchParityTest.class.getResourceAsStream(DIR + file)) {
            assertNotNull(in, "golden file " + DIR + file + " missing");
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, double[]> arrays = new HashMap<>();
        Map<String, int[]> shapes = new HashMap<>();
        for (Map.Entry<String, JsonElement> e : c.getAsJsonObject("arrays").entrySet()) {
            JsonObject a = e.getValue().getAsJsonObject();
            JsonArray sh = a.getAsJsonArray("shape");
            int[] shape = new int[sh.size()];
            long n = 1;
            for (int j = 0; j < shape.length; j++) {
                shape[j] = sh.get(j).getAsInt();
                n *= shape[j];
            }
            boolean f64 = a.get("dtype").getAsString().equals("f64");
            int off = a.get("offset").getAsInt();
            double[] v = new double[(int) n];
            for (int j = 0; j < v.length; j++) {
                v[j] = f64 ? buf.getDouble(off + 8 * j) : buf.getFloat(off + 4 * j);
            }
            arrays.put(e.getKey(), v);
            shapes.put(e.getKey(), shape);
        }
        return new Case(c.get("name").getAsString(), c.get("op").getAsString(), c, arrays, shapes);
    }

    static Stream<Arguments> goldenCases() {
        List<Arguments> args = new ArrayList<>();
        TestDevices.all().forEach(d -> {
            for (Case c : cases()) {
                args.add(Arguments.of(d, c));
            }
        });
        return args.stream();
    }

    static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    /**
     * jgan's result (already in PyTorch's layout) and PyTorch's own float32 result against PyTorch's
     * float64 one, within atol + rel * sum|terms|.
     */
    static void compare(Case c, Device dev, String key, float[] got, double rel) {
        float[] ref = c.f(key), mag = c.f(key + "_mag");
        assertEquals(ref.length, got.length, c.name + " " + key + ": element count");
        Tolerance.assertWithinSumError("PyTorch float32 " + c.name + " " + key + " (the tolerance itself)", c.f(key + "_t32"), ref, mag, ATOL,
                rel);
        Tolerance.assertWithinSumError("[" + dev.name() + "] " + c.name + " " + key + " vs PyTorch " + index().get("torch").getAsString(),
                got, ref, mag, ATOL, rel);
    }

    static Device open(Target target, String... kernels) {
        Device dev = target.device();
        assumeTrue(Arrays.stream(kernels).allMatch(dev::hasKernel), "the " + dev.name() + " device lacks one of " + Arrays.toString(kernels));
        return dev;
    }

    @ParameterizedTest(name = "[{0}] {1}")
    @MethodSource("goldenCases")
    void matchesPyTorch(Target target, Case c) {
        switch (c.op) {
            case "conv2d" -> conv(target, c);
            case "conv_transpose2d" -> convTranspose(target, c);
            case "batch_norm" -> batchNorm(target, c);
            default -> throw new AssertionError("unknown op " + c.op + " in " + c.name);
        }
    }

    /** The problem a PyTorch user's arguments give: F.pad(x, (left, right, top, bottom)) then conv2d(stride, dilation). */
    static ConvProblem convProblem(Case c) {
        int[] pad = c.ints("pad"), stride = c.ints("stride"), dil = c.ints("dilation");
        return new ConvProblem(c.i("n"), c.i("h"), c.i("w"), c.i("c"), c.i("k"), c.i("r"), c.i("s"), pad[0], pad[1], pad[2], pad[3],
                stride[0], stride[1], dil[0], dil[1]);
    }

    void conv(Target target, Case c) {
        Device dev = open(target, Conv2d.FPROP, Conv2d.DGRAD, Conv2d.WGRAD);
        ConvProblem pr = convProblem(c);
        int n = pr.n(), h = pr.h(), w = pr.w(), ch = pr.c(), k = pr.k(), r = pr.r(), s = pr.s(), p = pr.p(), q = pr.q();
        assertArrayEquals(new int[] {n, k, p, q}, c.shapes.get("y"), c.name + ": ConvProblem's output size is not PyTorch's");
        boolean bias = c.has("b");
        Activation act = c.act();
        float slope = c.slope();
        try (Tensor x = Tensor.of(dev, pr.inputShape(), Layouts.nchwToNhwc(c.f("x"), n, ch, h, w));
             Tensor yTorch = Tensor.of(dev, pr.outputShape(), Layouts.nchwToNhwc(c.f("y"), n, k, p, q));
             Tensor wt = Tensor.of(dev, pr.filterShape(), Layouts.oihwToKrsc(c.f("w"), k, ch, r, s));
             Tensor b = bias ? Tensor.of(dev, Shape.of(k), c.f("b")) : null;
             Tensor y = Tensor.empty(dev, pr.outputShape());
             Tensor dy = Tensor.of(dev, pr.outputShape(), Layouts.nchwToNhwc(c.f("dy"), n, k, p, q));
             Tensor dx = Tensor.empty(dev, pr.inputShape()); Tensor dw = Tensor.empty(dev, pr.filterShape());
             Tensor db = Tensor.empty(dev, Shape.of(k))) {
            for (Tensor t : new Tensor[] {y, dx, dw, db}) {
                t.fill(Float.NaN);
            }
            Conv2d.fprop(pr, x, wt, b, y, act, slope, MathMode.FP32, null);
            compare(c, dev, "y", Layouts.nhwcToNchw(y.toArray(), n, p, q, k), CONV_REL);
            // the backward takes the forward's output for act': PyTorch's, so that only the backward is under test
            Conv2d.dgrad(pr, dy, yTorch, wt, dx, act, slope, false, MathMode.FP32);
            compare(c, dev, "dx", Layouts.nhwcToNchw(dx.toArray(), n, h, w, ch), CONV_REL);
            Conv2d.wgrad(pr, dy, yTorch, x, dw, db, act, slope, false, MathMode.FP32);
            compare(c, dev, "dw", Layouts.krscToOihw(dw.toArray(), k, r, s, ch), CONV_REL);
            if (bias) {
                compare(c, dev, "db", db.toArray(), CONV_REL);
            }
            if (c.has("bn_gamma")) {
                convBatchNorm(c, dev, pr, x, wt, b);
            }
        }
    }

    /**
     * The conv output z into a BatchNorm2d training step with the statistics fused into fprop's
     * epilogue (Conv2d.fprop's bn partials, then BatchNorm.forwardTrain with them), against
     * PyTorch's F.batch_norm of its float64 conv output.
     */
    void convBatchNorm(Case c, Device dev, ConvProblem pr, Tensor x, Tensor wt, Tensor b) {
        int n = pr.n(), k = pr.k(), p = pr.p(), q = pr.q();
        Shape cs = Shape.of(k);
        float momentum = c.params.get("momentum").getAsFloat(), eps = c.params.get("eps").getAsFloat();
        try (Tensor z = Tensor.empty(dev, pr.outputShape()); Tensor partials = Tensor.empty(dev, Conv2d.bnPartialsShape(pr));
             Tensor gamma = Tensor.of(dev, cs, c.f("bn_gamma")); Tensor beta = Tensor.of(dev, cs, c.f("bn_beta"));
             Tensor rm = Tensor.of(dev, cs, c.f("bn_running_mean0")); Tensor rv = Tensor.of(dev, cs, c.f("bn_running_var0"));
             Tensor y = Tensor.empty(dev, pr.outputShape()); Tensor mean = Tensor.empty(dev, cs); Tensor invstd = Tensor.empty(dev, cs)) {
            for (Tensor t : new Tensor[] {z, partials, y, mean, invstd}) {
                t.fill(Float.NaN);
            }
            Conv2d.fprop(pr, x, wt, b, z, Activation.IDENTITY, 0f, MathMode.FP32, partials);
            compare(c, dev, "y", Layouts.nhwcToNchw(z.toArray(), n, p, q, k), CONV_REL);
            BatchNorm.forwardTrain(z, partials, gamma, beta, y, mean, invstd, rm, rv, momentum, eps, Activation.IDENTITY, 0f);
            compare(c, dev, "bn_y", Layouts.nhwcToNchw(y.toArray(), n, p, q, k), BN_REL);
            compare(c, dev, "bn_save_mean", mean.toArray(), BN_REL);
            compare(c, dev, "bn_save_invstd", invstd.toArray(), BN_REL);
            compare(c, dev, "bn_running_mean", rm.toArray(), BN_REL);
            compare(c, dev, "bn_running_var", rv.toArray(), BN_REL);
        }
    }

    void convTranspose(Target target, Case c) {
        Device dev = open(target, Conv2d.FPROP, Conv2d.DGRAD, Conv2d.WGRAD, ConvTranspose2d.CHANNEL_SUMS);
        int n = c.i("n"), in = c.i("cin"), out = c.i("cout"), hIn = c.i("h"), wIn = c.i("w"), kk = c.i("kernel");
        ConvProblem pr = ConvProblem.transposed(n, hIn, wIn, in, out, kk, c.i("stride"), c.i("padding"), c.i("output_padding"),
                c.i("dilation"));
        int hOut = pr.h(), wOut = pr.w();
        assertArrayEquals(new int[] {n, out, hOut, wOut}, c.shapes.get("y"), c.name + ": ConvProblem.transposed's output size is not PyTorch's");
        boolean bias = c.has("b");
        Activation act = c.act();
        float slope = c.slope();
        try (Tensor x = Tensor.of(dev, pr.outputShape(), Layouts.nchwToNhwc(c.f("x"), n, in, hIn, wIn));
             Tensor yTorch = Tensor.of(dev, pr.inputShape(), Layouts.nchwToNhwc(c.f("y"), n, out, hOut, wOut));
             Tensor wt = Tensor.of(dev, pr.filterShape(), Layouts.convTransposeTorchToJgan(c.f("w"), in, out, kk, kk));
             Tensor b = bias ? Tensor.of(dev, Shape.of(out), c.f("b")) : null;
             Tensor y = Tensor.empty(dev, pr.inputShape());
             Tensor dy = Tensor.of(dev, pr.inputShape(), Layouts.nchwToNhwc(c.f("dy"), n, out, hOut, wOut));
             Tensor dx = Tensor.empty(dev, pr.outputShape()); Tensor dw = Tensor.empty(dev, pr.filterShape());
             Tensor db = Tensor.empty(dev, Shape.of(out))) {
            for (Tensor t : new Tensor[] {y, dx, dw, db}) {
                t.fill(Float.NaN);
            }
            ConvTranspose2d.forward(pr, x, wt, b, y, act, slope, MathMode.FP32);
            compare(c, dev, "y", Layouts.nhwcToNchw(y.toArray(), n, hOut, wOut, out), CONV_REL);
            ConvTranspose2d.backwardData(pr, dy, yTorch, wt, dx, act, slope, MathMode.FP32);
            compare(c, dev, "dx", Layouts.nhwcToNchw(dx.toArray(), n, hIn, wIn, in), CONV_REL);
            ConvTranspose2d.backwardWeight(pr, dy, yTorch, x, dw, bias ? db : null, act, slope, false, MathMode.FP32);
            compare(c, dev, "dw", Layouts.convTransposeJganToTorch(dw.toArray(), in, kk, kk, out), CONV_REL);
            if (bias) {
                compare(c, dev, "db", db.toArray(), CONV_REL);
            }
        }
    }

    void batchNorm(Target target, Case c) {
        Device dev = open(target, BatchNorm.KERNELS);
        int[] s = c.shapes.get("x");
        int ch = s[1];
        float momentum = c.params.get("momentum").getAsFloat(), eps = c.params.get("eps").getAsFloat();
        Shape shape = s.length == 4 ? Shape.of(s[0], s[2], s[3], ch) : Shape.of(s[0], ch);
        Shape cs = Shape.of(ch);
        Activation act = c.act();
        float slope = c.slope();
        // PyTorch [N, C, H, W] -> NHWC, [N, C] as is; back the same way
        java.util.function.UnaryOperator<float[]> in = v -> s.length == 4 ? Layouts.nchwToNhwc(v, s[0], ch, s[2], s[3]) : v;
        java.util.function.UnaryOperator<float[]> back = v -> s.length == 4 ? Layouts.nhwcToNchw(v, s[0], s[2], s[3], ch) : v;
        try (Tensor x = Tensor.of(dev, shape, in.apply(c.f("x"))); Tensor gamma = Tensor.of(dev, cs, c.f("gamma"));
             Tensor beta = Tensor.of(dev, cs, c.f("beta")); Tensor rm = Tensor.of(dev, cs, c.f("running_mean0"));
             Tensor rv = Tensor.of(dev, cs, c.f("running_var0")); Tensor y = Tensor.empty(dev, shape);
             Tensor mean = Tensor.empty(dev, cs); Tensor invstd = Tensor.empty(dev, cs);
             Tensor dy = Tensor.of(dev, shape, in.apply(c.f("dy"))); Tensor dx = Tensor.empty(dev, shape);
             Tensor dgamma = Tensor.empty(dev, cs); Tensor dbeta = Tensor.empty(dev, cs); Tensor yEval = Tensor.empty(dev, shape);
             Tensor rm0 = Tensor.of(dev, cs, c.f("running_mean0")); Tensor rv0 = Tensor.of(dev, cs, c.f("running_var0"));
             Tensor yTorch = Tensor.of(dev, shape, in.apply(c.f("y")))) {
            for (Tensor t : new Tensor[] {y, mean, invstd, dx, dgamma, dbeta, yEval}) {
                t.fill(Float.NaN);
            }
            BatchNorm.forwardTrain(x, gamma, beta, y, mean, invstd, rm, rv, momentum, eps, act, slope);
            compare(c, dev, "y", back.apply(y.toArray()), BN_REL);
            compare(c, dev, "save_mean", mean.toArray(), BN_REL);
            compare(c, dev, "save_invstd", invstd.toArray(), BN_REL);
            compare(c, dev, "running_mean", rm.toArray(), BN_REL);
            compare(c, dev, "running_var", rv.toArray(), BN_REL);
            BatchNorm.backward(dy, yTorch, x, gamma, mean, invstd, dx, dgamma, dbeta, act, slope, false);
            compare(c, dev, "dx", back.apply(dx.toArray()), BN_REL);
            compare(c, dev, "dgamma", dgamma.toArray(), BN_REL);
            compare(c, dev, "dbeta", dbeta.toArray(), BN_REL);
            BatchNorm.forwardEval(x, gamma, beta, rm0, rv0, yEval, eps, act, slope);
            compare(c, dev, "y_eval", back.apply(yEval.toArray()), BN_REL);
        }
    }

    /** The golden set is what the header of make_golden.py says: every op, the cases that pin PyTorch's semantics. */
    @Test
    void goldenSetCoversTheSemantics() {
        assertTrue(index().get("torch").getAsString().startsWith("2."), "golden files from PyTorch " + index().get("torch"));
        Map<String, Integer> perOp = new HashMap<>();
        boolean asymmetric = false, outputPadding = false, dilatedT = false, dilated = false, bn1d = false, fusedStats = false;
        java.util.Set<Activation> acts = java.util.EnumSet.noneOf(Activation.class);
        for (Case c : cases()) {
            perOp.merge(c.op, 1, Integer::sum);
            acts.add(c.act());
            fusedStats |= c.has("bn_gamma");
            if (c.op.equals("conv2d")) {
                int[] pad = c.ints("pad");
                asymmetric |= pad[0] != pad[1] || pad[2] != pad[3];
                dilated |= c.ints("dilation")[0] > 1;
            } else if (c.op.equals("conv_transpose2d")) {
                outputPadding |= c.i("output_padding") > 0;
                dilatedT |= c.i("dilation") > 1;
            } else {
                bn1d |= c.shapes.get("x").length == 2;
            }
        }
        assertTrue(perOp.getOrDefault("conv2d", 0) >= 5 && perOp.getOrDefault("conv_transpose2d", 0) >= 5
                && perOp.getOrDefault("batch_norm", 0) >= 4, "cases per op: " + perOp);
        assertTrue(asymmetric && outputPadding && dilatedT && dilated && bn1d && fusedStats, "the golden set lost a semantic case");
        assertEquals(java.util.EnumSet.allOf(Activation.class), acts, "activations covered");
    }

    /**
     * 'same' padding as ConvProblem.same builds it is the padding PyTorch was given: TensorFlow's
     * for stride 2 on an even size (the extra row/column at the bottom/right), and PyTorch's own
     * padding='same' for stride 1 with an even (dilated) filter (make_golden.py checks the written
     * padding against F.conv2d(padding='same')).
     */
    @Test
    void sameMatchesThePaddedCases() {
        int checked = 0;
        for (Case c : cases()) {
            if (c.op.equals("conv2d") && c.params.get("same").getAsBoolean()) {
                assertEquals(c.ints("stride")[0], c.ints("stride")[1], c.name);
                ConvProblem same = ConvProblem.same(c.i("n"), c.i("h"), c.i("w"), c.i("c"), c.i("k"), c.i("r"), c.ints("stride")[0],
                        c.ints("dilation")[0]);
                assertEquals(convProblem(c), same, c.name);
                checked++;
            }
        }
        assertTrue(checked >= 3, "'same' cases: " + checked);
    }
}
