package jgan.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import jgan.testing.Tolerance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The graph layer's forward, layer by layer and for small whole models, against the plain
 * references run layer by layer ({@link ReferenceNet}): training mode (batch statistics, running
 * statistics updated as PyTorch with momentum 0.1) and eval mode (running statistics), the
 * training-forward counter, and the fusions the builder chooses.
 */
class LayerForwardTest {
    /** A network to test: a name, its builder, the batch. */
    record Case(String name, Supplier<Sequential.Builder> builder, int batch) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("dense+bias+leaky_relu", () -> Sequential.builder(5).dense(7).leakyRelu(0.2f), 3));
        c.add(new Case("dense no bias+tanh", () -> Sequential.builder(5).dense(4, false).tanh(), 3));
        c.add(new Case("conv k3 s1 p1 +bias", () -> Sequential.builder(Shape.of(5, 6, 3)).conv2d(4, 3, 1, 1, true), 2));
        c.add(new Case("conv k4 s2 p1 +bias+leaky_relu", () -> Sequential.builder(Shape.of(8, 8, 2)).conv2d(5, 4, 2, 1, true)
                .leakyRelu(0.2f), 2));
        c.add(new Case("conv k5 s2 same (asymmetric)", () -> Sequential.builder(Shape.of(6, 6, 2)).conv2dSame(3, 5, 2, true).relu(), 2));
        c.add(new Case("convT k4 s2 p1 +tanh", () -> Sequential.builder(Shape.of(3, 3, 4)).convTranspose2d(2, 4, 2, 1, 0, true).tanh(), 2));
        c.add(new Case("convT k3 s2 p1 output_padding 1", () -> Sequential.builder(Shape.of(3, 4, 3))
                .convTranspose2d(2, 3, 2, 1, 1, false).relu(), 2));
        c.add(new Case("convT 1x1 -> 4x4 (projection)", () -> Sequential.builder(Shape.of(1, 1, 6)).convTranspose2d(5, 4, 1, 0, 0, false),
                3));
        c.add(new Case("dense -> bn1d -> relu", () -> Sequential.builder(4).dense(6, false).batchNorm().relu(), 5));
        c.add(new Case("conv -> bn2d (epilogue stats) -> leaky_relu", () -> Sequential.builder(Shape.of(6, 6, 2)).conv2d(3, 4, 2, 1, false)
                .batchNorm().leakyRelu(0.2f), 3));
        c.add(new Case("convT -> bn2d -> relu", () -> Sequential.builder(Shape.of(2, 2, 3)).convTranspose2d(4, 4, 2, 1, 0, false)
                .batchNorm().relu(), 3));
        c.add(new Case("bn2d alone, then tanh layer after reshape", () -> Sequential.builder(Shape.of(3, 3, 2)).batchNorm().flatten()
                .tanh(), 4));
        c.add(new Case("dense -> reshape -> conv -> flatten -> dense", () -> Sequential.builder(3).dense(2 * 4 * 4).leakyRelu(0.1f)
                .reshape(Shape.of(4, 4, 2)).conv2d(3, 3, 1, 1, true).relu().flatten().dense(2), 2));
        return c;
    }

    static Stream<Arguments> devicesAndCases() {
        return TestDevices.all().flatMap(t -> cases().stream().map(c -> Arguments.of(t, c)));
    }

    static Stream<Arguments> devicesAndModels() {
        List<ModelSpec> specs = List.of(
                new ModelSpec(ModelSpec.DCGAN, 16, 1, 6, 4, 3, 0, 0, 0, Activation.LEAKY_RELU, 0.2f),
                new ModelSpec(ModelSpec.DCGAN, 28, 1, 5, 2, 2, 0, 0, 0, Activation.LEAKY_RELU, 0.2f),
                ModelSpec.mlpConv(8, 3, 4, 6, 2, 1, 2, 0.2f));
        return TestDevices.all().flatMap(t -> specs.stream().flatMap(s -> Stream.of(Arguments.of(t, s, true), Arguments.of(t, s, false))));
    }

    /** Random parameters (batch norm weights near 1) and state (running variance positive). */
    static void randomize(Sequential net, SplittableRandom r) {
        float[] p = RandomData.normal(r, net.parameters().numel(), 0.3);
        float[] b = new float[net.buffers().numel()];
        for (int i = 0; i < net.layers().size(); i++) {
            if (net.layers().get(i) instanceof BatchNormLayer bn) {
                int c = bn.channels(), o = (int) net.parameterOffset(i), bo = (int) net.bufferOffset(i);
                for (int j = 0; j < c; j++) {
                    p[o + j] = (float) (1 + 0.2 * r.nextGaussian());
                    b[bo + j] = (float) (0.3 * r.nextGaussian());
                    b[bo + c + j] = (float) (0.5 + r.nextDouble());
                }
            }
        }
        net.parameters().copyFrom(p);
        net.buffers().copyFrom(b);
    }

    private static void checkForwards(Sequential net, int batch, boolean training, int times, String what) {
        Device dev = net.device();
        SplittableRandom r = new SplittableRandom(what.hashCode());
        randomize(net, r);
        float[] params = net.parameters().toArray();
        float[] state = net.buffers().toArray();
        long count0 = net.trainingForwards();
        try (Sequential.Pass pass = net.pass(batch)) {
            for (int t = 0; t < times; t++) {
                float[] x = RandomData.normal(r, batch * net.inFeatures(), 1.0);
                float[] y;
                try (Tensor tx = Tensor.of(dev, Shape.of(batch, net.inFeatures()), x)) {
                    Tensor out = pass.forward(tx, training);
                    assertEquals(batch * net.outFeatures(), out.numel());
                    assertEquals(batch, out.shape().dim(0));
                    y = out.toArray();
                }
                ReferenceNet.Result ref = ReferenceNet.forward(net, params, state, x, batch, training);
                Tolerance.assertClose(what + " forward " + t + " (" + (training ? "training" : "eval") + ")", y, ref.y(), 2e-4, 2e-3);
                state = ref.buffers();
                Tolerance.assertClose(what + " running statistics after forward " + t, net.buffers().toArray(), state, 1e-5, 1e-4);
            }
        }
        assertEquals(count0 + (training && net.hasBatchNorm() ? times : 0), net.trainingForwards(), what + ": training forwards counted");
        assertArrayEquals(params, net.parameters().toArray(), what + ": the forward left the parameters alone");
    }

    @ParameterizedTest(name = "[{0}] {1}: training and eval forward match the references")
    @MethodSource("devicesAndCases")
    void layerForward(Target target, Case c) {
        Device dev = target.device();
        try (Sequential net = c.builder().get().build(dev)) {
            checkForwards(net, c.batch(), true, 2, c.name());
            checkForwards(net, c.batch(), false, 1, c.name());
        }
    }

    @ParameterizedTest(name = "[{0}] {1} training={2}: whole-model forwards match the references, running statistics after 3")
    @MethodSource("devicesAndModels")
    void modelForward(Target target, ModelSpec spec, boolean training) {
        Device dev = target.device();
        try (Sequential g = spec.generator(dev, MathMode.FP32); Sequential d = spec.discriminator(dev, MathMode.FP32)) {
            assertEquals(Shape.of(spec.latent()).numel(), g.inShape().numel());
            assertEquals(spec.dataShape().numel(), g.outShape().numel());
            assertEquals(spec.dataShape(), d.inShape());
            assertEquals(1, d.outFeatures());
            checkForwards(g, 3, training, 3, spec.model() + spec.imageSize() + " G");
            checkForwards(d, 3, training, 3, spec.model() + spec.imageSize() + " D");
        }
    }

    @ParameterizedTest(name = "[{0}] the counter is on the device: settable, readable, advanced once per training forward")
    @MethodSource("jgan.testing.TestDevices#all")
    void counter(Target target) {
        Device dev = target.device();
        try (Sequential net = Sequential.builder(Shape.of(4, 4, 1)).conv2d(2, 3, 1, 1, false).batchNorm().relu().build(dev);
             Sequential.Pass pass = net.pass(2); Tensor x = Tensor.zeros(dev, Shape.of(2, 4, 4, 1))) {
            assertTrue(net.hasBatchNorm());
            assertEquals(0, net.trainingForwards());
            net.setTrainingForwards(5_000_000_000L); // above 2^32: both words of the int64
            pass.forward(x);
            pass.forward(x, false);
            pass.forward(x, true);
            assertEquals(5_000_000_002L, net.trainingForwards());
            net.initialize(Init.NORMAL_002, 1);
            assertEquals(0, net.trainingForwards(), "initialize resets the count");
            assertThrows(IllegalArgumentException.class, () -> net.setTrainingForwards(-1));
        }
        try (Sequential mlp = Sequential.builder(2).dense(3).build(dev)) {
            assertTrue(!mlp.hasBatchNorm());
            assertEquals(0, mlp.trainingForwards());
            assertThrows(IllegalArgumentException.class, () -> mlp.setTrainingForwards(1));
        }
    }

    @ParameterizedTest(name = "[{0}] backward after an eval forward of a batch-norm network is refused")
    @MethodSource("jgan.testing.TestDevices#all")
    void backwardNeedsTrainingForward(Target target) {
        Device dev = target.device();
        try (Sequential net = Sequential.builder(3).dense(4, false).batchNorm().build(dev); Sequential.Pass pass = net.pass(2);
             Tensor x = Tensor.zeros(dev, Shape.of(2, 3)); Tensor dy = Tensor.zeros(dev, Shape.of(2, 4))) {
            pass.forward(x, false);
            assertThrows(IllegalStateException.class, () -> pass.backward(dy, true, true));
        }
    }

    @ParameterizedTest(name = "[{0}] a pass refuses inputs and gradients of the wrong size, and backward before forward")
    @MethodSource("jgan.testing.TestDevices#all")
    void passRefusesMisfits(Target target) {
        Device dev = target.device();
        try (Sequential net = Sequential.builder(Shape.of(4, 4, 1)).conv2d(2, 3, 2, 1, true).flatten().dense(3).build(dev);
             Sequential.Pass pass = net.pass(2); Tensor x = Tensor.zeros(dev, Shape.of(2, 4, 4, 1));
             Tensor wrong = Tensor.zeros(dev, Shape.of(2, 15)); Tensor dy = Tensor.zeros(dev, Shape.of(2, 3))) {
            assertThrows(IllegalStateException.class, () -> pass.backward(dy, true, true));
            assertThrows(IllegalArgumentException.class, () -> pass.forward(wrong));
            assertEquals(Shape.of(2, 3), pass.forward(x.reshape(Shape.of(2, 16))).shape(), "any shape of the right size is read as NHWC");
            assertThrows(IllegalArgumentException.class, () -> pass.backward(wrong, true, true));
            assertEquals(Shape.of(2, 4, 4, 1), pass.backward(dy, true, true).shape());
            assertThrows(IllegalArgumentException.class, () -> net.pass(0));
        }
    }

    @Test
    void fusionsChosenAtBuildTime() {
        Sequential.Builder b = Sequential.builder(Shape.of(8, 8, 3)).conv2d(4, 4, 2, 1, false).batchNorm().leakyRelu(0.2f)
                .convTranspose2d(2, 4, 2, 1, 0, false).batchNorm().relu().conv2d(2, 3, 1, 1, true).tanh().flatten().dense(3).leakyRelu(0.1f)
                .dense(5, false).batchNorm().relu().dense(1);
        try (Sequential net = b.build(TestDevices.open("cpu"))) {
            List<Layer> l = net.layers();
            assertEquals(10, l.size(), net.describe());
            Conv2dLayer c0 = (Conv2dLayer) l.get(0);
            assertTrue(c0.feedsBatchNorm() && c0.activation() == Activation.IDENTITY && !c0.hasBias());
            BatchNormLayer n1 = (BatchNormLayer) l.get(1);
            assertTrue(n1.statsFromProducer() && n1.activation() == Activation.LEAKY_RELU && n1.slope() == 0.2f);
            BatchNormLayer n3 = (BatchNormLayer) l.get(3);
            assertTrue(!n3.statsFromProducer() && n3.activation() == Activation.RELU, "a transposed conv has no partials");
            Conv2dLayer c4 = (Conv2dLayer) l.get(4);
            assertTrue(!c4.feedsBatchNorm() && c4.activation() == Activation.TANH);
            assertTrue(l.get(5) instanceof ReshapeLayer);
            assertEquals(Activation.LEAKY_RELU, ((DenseLayer) l.get(6)).activation());
            assertEquals(Activation.RELU, ((BatchNormLayer) l.get(8)).activation());
            int modules = l.stream().mapToInt(Layer::torchModules).sum();
            assertEquals(15, modules, "PyTorch modules: conv, bn, lrelu, convT, bn, relu, conv, tanh, flatten, linear, lrelu, linear, bn, relu, linear");
            assertEquals(2 * (4 + 2 + 5), net.bufferCount());
        }
    }

    @Test
    void builderRefusesMisfits() {
        assertThrows(IllegalArgumentException.class, () -> Sequential.builder(4).conv2d(2, 3, 1, 1, true), "conv on a vector");
        assertThrows(IllegalArgumentException.class, () -> Sequential.builder(Shape.of(4, 4, 1)).dense(2), "dense on an image");
        assertThrows(IllegalArgumentException.class, () -> Sequential.builder(12).reshape(Shape.of(2, 2, 2)), "reshape size");
        assertThrows(IllegalArgumentException.class, () -> Sequential.builder(Shape.of(2, 2, 1)).conv2d(2, 5, 1, 0, true), "no output");
        assertThrows(IllegalArgumentException.class, () -> Sequential.builder(Shape.of(2, 2, 1)).convTranspose2d(2, 3, 2, 1, 2, true),
                "output_padding >= stride");
        assertThrows(IllegalArgumentException.class, () -> Sequential.builder(Shape.of(2, 2)), "rank 2 input");
    }

    @Test
    void modelSpecRefusesMismatchedSizesNamingTheOnesThatWork() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.dcgan(48, 3));
        assertTrue(e.getMessage().contains("[16, 28, 32, 64, 128, 256]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.dcgan(64, 2));
        assertTrue(e.getMessage().contains("1 (grey) or 3 (RGB)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.mlpConv(300, 1, 8, 8, 8, 1, 2, 0.2f));
        assertTrue(e.getMessage().contains("4 to 256"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ModelSpec("gan", 28, 1, 8, 8, 8, 8, 1, 1, Activation.RELU, 0f));
        assertTrue(e.getMessage().contains("dcgan, mlp-conv, mlp"), e.getMessage());
        for (int size : ModelSpec.DCGAN_SIZES) {
            ModelSpec s = new ModelSpec(ModelSpec.DCGAN, size, 3, 4, 2, 2, 0, 0, 0, Activation.LEAKY_RELU, 0.2f);
            try (Sequential g = s.generator(TestDevices.open("cpu"), MathMode.FP32);
                 Sequential d = s.discriminator(TestDevices.open("cpu"), MathMode.FP32)) {
                assertEquals(Shape.of(size, size, 3), g.outShape(), "dcgan " + size);
                assertEquals(1, d.outFeatures(), "dcgan " + size);
            }
        }
    }
}
