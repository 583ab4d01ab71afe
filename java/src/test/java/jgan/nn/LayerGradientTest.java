package jgan.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.kernels.Activation;
import jgan.kernels.MathMode;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.TestDevices;
import jgan.testing.TestDevices.Target;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every layer type's backward, and small whole models', against central finite differences of
 * L = sum(c * net(x)) in training mode (batch statistics): the parameter gradients
 * {@link Sequential.Pass#backward} adds and the input gradient it returns. The forwards run in
 * FP32 and L is summed in double; each layer's parameters are sampled (up to
 * {@value #PER_LAYER} evenly spaced per layer, so every layer and both weight and bias/beta are
 * hit) and up to {@value #INPUTS} inputs, to keep the host runtime's time modest; the larger
 * models run on the cpu device only (their layers run on the host runtime in the layer cases).
 *
 * <p>ReLU and leaky ReLU have a kink at 0 where a central difference is meaningless, and after
 * batch norm many values sit near 0: a sample whose two evaluations (+eps, -eps) put any
 * rectified value on different sides of 0 is not compared but counted, and at most a quarter of
 * the samples may be skipped so.
 */
class LayerGradientTest {
    static final int PER_LAYER = 24;
    static final int INPUTS = 24;
    static final double EPS = 1e-2;
    /** Whole models: smaller steps, so that fewer of their many rectified values cross 0. */
    static final double MODEL_EPS = 2e-3;

    record Case(String name, Supplier<Sequential> build, int batch, double eps, boolean hostToo) {
        Case(String name, Supplier<Sequential> build, int batch) {
            this(name, build, batch, EPS, true);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static Supplier<Sequential> net(Supplier<Sequential.Builder> b) {
        return () -> b.get().build(dev);
    }

    private static Device dev;

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("dense+bias+tanh", net(() -> Sequential.builder(4).dense(5).tanh()), 3));
        c.add(new Case("dense no bias+leaky_relu", net(() -> Sequential.builder(4).dense(5, false).leakyRelu(0.3f)), 3));
        c.add(new Case("conv k3 s1 p1 +bias+tanh", net(() -> Sequential.builder(Shape.of(4, 5, 2)).conv2d(3, 3, 1, 1, true).tanh()), 2));
        c.add(new Case("conv k4 s2 p1 +leaky_relu", net(() -> Sequential.builder(Shape.of(6, 6, 2)).conv2d(3, 4, 2, 1, true)
                .leakyRelu(0.2f)), 2));
        c.add(new Case("conv k5 s2 same (asymmetric)", net(() -> Sequential.builder(Shape.of(6, 6, 1)).conv2dSame(2, 5, 2, true).tanh()), 2));
        c.add(new Case("convT k4 s2 p1 +bias+tanh", net(() -> Sequential.builder(Shape.of(3, 3, 3)).convTranspose2d(2, 4, 2, 1, 0, true)
                .tanh()), 2));
        c.add(new Case("convT k3 s2 p1 output_padding 1", net(() -> Sequential.builder(Shape.of(2, 3, 2))
                .convTranspose2d(3, 3, 2, 1, 1, true).tanh()), 2));
        c.add(new Case("convT 1x1 -> 4x4 (projection)", net(() -> Sequential.builder(Shape.of(1, 1, 3))
                .convTranspose2d(2, 4, 1, 0, 0, false)), 3));
        c.add(new Case("dense -> bn1d -> tanh", net(() -> Sequential.builder(3).dense(4, false).batchNorm().tanh()), 5));
        c.add(new Case("conv -> bn2d (epilogue stats) -> tanh", net(() -> Sequential.builder(Shape.of(5, 5, 2)).conv2d(3, 3, 2, 1, false)
                .batchNorm().tanh()), 3));
        c.add(new Case("convT -> bn2d -> tanh", net(() -> Sequential.builder(Shape.of(2, 2, 2)).convTranspose2d(3, 4, 2, 1, 0, false)
                .batchNorm().tanh()), 3));
        c.add(new Case("convT -> bn2d -> relu (fused)", net(() -> Sequential.builder(Shape.of(2, 2, 2)).convTranspose2d(3, 4, 2, 1, 0, false)
                .batchNorm().relu()), 3));
        c.add(new Case("conv -> bn2d -> leaky_relu (fused)", net(() -> Sequential.builder(Shape.of(4, 4, 2)).conv2d(3, 3, 1, 1, false)
                .batchNorm().leakyRelu(0.2f)), 2));
        c.add(new Case("bn2d first, flatten, tanh layer, dense", net(() -> Sequential.builder(Shape.of(2, 3, 2)).batchNorm().flatten()
                .tanh().dense(3)), 4));
        c.add(new Case("leaky_relu layer after unflatten", net(() -> Sequential.builder(3).dense(12).reshape(Shape.of(2, 2, 3))
                .leakyRelu(0.3f).conv2d(2, 2, 1, 0, true).flatten().dense(2)), 2));
        c.add(new Case("dcgan 16 G (ngf 2, latent 3)", () -> spec16().generator(dev, MathMode.FP32), 3, MODEL_EPS, false));
        c.add(new Case("dcgan 16 D (ndf 2)", () -> spec16().discriminator(dev, MathMode.FP32), 3, MODEL_EPS, true));
        c.add(new Case("dcgan 28 G (ngf 1, latent 3)", () -> new ModelSpec(ModelSpec.DCGAN, 28, 1, 3, 1, 1, 0, 0, 0, Activation.LEAKY_RELU,
                0.2f).generator(dev, MathMode.FP32), 4, MODEL_EPS, false));
        c.add(new Case("dcgan 28 D (ndf 1)", () -> new ModelSpec(ModelSpec.DCGAN, 28, 1, 3, 1, 1, 0, 0, 0, Activation.LEAKY_RELU,
                0.2f).discriminator(dev, MathMode.FP32), 2, MODEL_EPS, false));
        c.add(new Case("mlp-conv 8x8x1 G", () -> ModelSpec.mlpConv(8, 1, 3, 5, 2, 1, 2, 0.2f).generator(dev, MathMode.FP32), 2, MODEL_EPS,
                true));
        c.add(new Case("mlp-conv 8x8x1 D", () -> ModelSpec.mlpConv(8, 1, 3, 5, 2, 1, 2, 0.2f).discriminator(dev, MathMode.FP32), 2,
                MODEL_EPS, true));
        return c;
    }

    private static ModelSpec spec16() {
        return new ModelSpec(ModelSpec.DCGAN, 16, 1, 3, 2, 2, 0, 0, 0, Activation.LEAKY_RELU, 0.2f);
    }

    static Stream<Arguments> devicesAndCases() {
        return TestDevices.all().flatMap(t -> cases().stream().filter(c -> c.hostToo() || !t.label().equals("host"))
                .map(c -> Arguments.of(t, c)));
    }

    @ParameterizedTest(name = "[{0}] {1}: parameter and input gradients match finite differences")
    @MethodSource("devicesAndCases")
    void gradientsMatchFiniteDifferences(Target target, Case cs) {
        dev = target.device();
        int batch = cs.batch();
        double eps = cs.eps();
        SplittableRandom r = new SplittableRandom(cs.name().hashCode());
        try (Sequential net = cs.build().get()) {
            net.initialize(Init.PYTORCH, 7);
            float[] params = net.parameters().toArray();
            for (int i = 0; i < params.length; i++) { // livelier than the default init: gradients well above rounding noise
                params[i] = (float) (params[i] * 2 + 0.1 * r.nextGaussian());
            }
            net.parameters().copyFrom(params);
            int in = net.inFeatures(), out = net.outFeatures();
            float[] x = RandomData.normal(r, batch * in, 1.0), c = RandomData.normal(r, batch * out, 1.0);
            try (Sequential.Pass pass = net.pass(batch); Tensor tx = Tensor.of(dev, Shape.of(batch, in), x);
                 Tensor tc = Tensor.of(dev, Shape.of(batch, out), c)) {
                pass.forward(tx);
                net.gradients().fill(0f);
                float[] dx = pass.backward(tc, true, true).toArray();
                float[] grads = net.gradients().toArray();
                List<String> bad = new ArrayList<>();
                int checked = 0, straddled = 0;
                for (int l = 0; l < net.layers().size(); l++) {
                    int from = (int) net.parameterOffset(l), n = (int) net.parameterOffset(l + 1) - from;
                    int step = Math.max(1, (n + PER_LAYER - 1) / PER_LAYER);
                    for (int k = 0; k < n; k += step) {
                        // the last element too: a bias or beta at the end of the layer's slice
                        for (int i : (k + step >= n && n - 1 != k) ? new int[] {from + k, from + n - 1} : new int[] {from + k}) {
                            float[] p = params.clone();
                            p[i] = (float) (params[i] + eps);
                            net.parameters().copyFrom(p);
                            double up = loss(pass, tx, c);
                            String upSide = kinkSides(net, pass);
                            p[i] = (float) (params[i] - eps);
                            net.parameters().copyFrom(p);
                            double down = loss(pass, tx, c);
                            checked++;
                            if (!upSide.equals(kinkSides(net, pass))) {
                                straddled++;
                                continue;
                            }
                            check(bad, "parameter " + i + " (layer " + l + ": " + net.layers().get(l).describe() + ")", grads[i],
                                    (up - down) / (2 * eps), eps);
                        }
                    }
                }
                net.parameters().copyFrom(params);
                int step = Math.max(1, (x.length + INPUTS - 1) / INPUTS);
                for (int i = 0; i < x.length; i += step) {
                    float[] xp = x.clone();
                    xp[i] = (float) (x[i] + eps);
                    tx.copyFrom(xp);
                    double up = loss(pass, tx, c);
                    String upSide = kinkSides(net, pass);
                    xp[i] = (float) (x[i] - eps);
                    tx.copyFrom(xp);
                    double down = loss(pass, tx, c);
                    checked++;
                    if (!upSide.equals(kinkSides(net, pass))) {
                        straddled++;
                        continue;
                    }
                    check(bad, "input " + i, dx[i], (up - down) / (2 * eps), eps);
                }
                assertTrue(bad.isEmpty(), cs.name() + ": " + bad.size() + " gradients off (of " + checked + " parameters and inputs):\n  "
                        + String.join("\n  ", bad.subList(0, Math.min(10, bad.size()))));
                assertTrue(straddled * 4 <= checked, cs.name() + ": " + straddled + " of " + checked + " samples straddle a kink");
                assertTrue(net.parameterCount() == 0 || checked >= Math.min(net.parameterCount(), net.layers().stream()
                        .filter(l -> l.parameterCount() > 0).count()), "every layer with parameters was checked");
            }
        }
    }

    /** Which side of 0 every rectified (ReLU, leaky ReLU) value of the last forward is on. */
    private static String kinkSides(Sequential net, Sequential.Pass pass) {
        StringBuilder s = new StringBuilder();
        for (int l = 0; l < net.layers().size(); l++) {
            Layer layer = net.layers().get(l);
            Activation a = layer instanceof DenseLayer d ? d.activation() : layer instanceof Conv2dLayer cv ? cv.activation()
                    : layer instanceof ConvTranspose2dLayer t ? t.activation() : layer instanceof BatchNormLayer b ? b.activation()
                    : layer instanceof ActivationLayer al ? al.activation() : Activation.IDENTITY;
            if (a == Activation.RELU || a == Activation.LEAKY_RELU) {
                for (float v : pass.layerOutput(l).toArray()) {
                    s.append(v > 0 ? '+' : '-');
                }
            }
        }
        return s.toString();
    }

    /** Within 2e-3 + 2e-2 |numeric| at eps 1e-2; the absolute part (float rounding of L over 2 eps) grows as eps shrinks. */
    private static void check(List<String> bad, String what, double analytic, double numeric, double eps) {
        if (!(Math.abs(numeric - analytic) <= 2e-3 * (EPS / eps) + 2e-2 * Math.abs(numeric))) {
            bad.add(what + ": backward " + analytic + ", finite difference " + numeric);
        }
    }

    private static double loss(Sequential.Pass pass, Tensor x, float[] c) {
        float[] y = pass.forward(x).toArray();
        double l = 0;
        for (int i = 0; i < y.length; i++) {
            l += (double) c[i] * y[i];
        }
        return l;
    }
}
