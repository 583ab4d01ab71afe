package jgan.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import jgan.device.Device;
import jgan.kernels.Activation;
import jgan.kernels.MathMode;
import jgan.tensor.HostTensor;
import jgan.tensor.Layouts;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;
import jgan.testing.TestDevices;
import jgan.testing.Tolerance;
import org.junit.jupiter.api.Test;

/**
 * The PyTorch state_dict mapping: the exact keys and shapes of PyTorch's DCGAN example at 64,
 * PyTorch layouts (OIHW, [in, out, kh, kw], [out, in]), PyTorch's (c, h, w) flatten order next
 * to flatten/unflatten, export -> load round trips, and the refusals of a state that does not fit.
 * Runs on the cpu device (the mapping is host code; the device only holds the buffers).
 */
class StateDictTest {
    private static Device cpu() {
        return TestDevices.open("cpu");
    }

    private static String describe(Map<String, long[]> m) {
        StringBuilder s = new StringBuilder();
        m.forEach((k, v) -> s.append(k).append(' ').append(java.util.Arrays.toString(v)).append('\n'));
        return s.toString();
    }

    private static void bn(StringBuilder s, int i, int c) {
        for (String n : new String[] {"weight", "bias", "running_mean", "running_var"}) {
            s.append("main.").append(i).append('.').append(n).append(" [").append(c).append("]\n");
        }
        s.append("main.").append(i).append(".num_batches_tracked []\n");
    }

    @Test
    void dcgan64KeysAreExactlyPyTorchsExample() {
        ModelSpec spec = ModelSpec.dcgan(64, 3);
        StringBuilder g = new StringBuilder("main.0.weight [100, 512, 4, 4]\n");
        bn(g, 1, 512);
        g.append("main.3.weight [512, 256, 4, 4]\n");
        bn(g, 4, 256);
        g.append("main.6.weight [256, 128, 4, 4]\n");
        bn(g, 7, 128);
        g.append("main.9.weight [128, 64, 4, 4]\n");
        bn(g, 10, 64);
        g.append("main.12.weight [64, 3, 4, 4]\n");
        StringBuilder d = new StringBuilder("main.0.weight [64, 3, 4, 4]\nmain.2.weight [128, 64, 4, 4]\n");
        bn(d, 3, 128);
        d.append("main.5.weight [256, 128, 4, 4]\n");
        bn(d, 6, 256);
        d.append("main.8.weight [512, 256, 4, 4]\n");
        bn(d, 9, 512);
        d.append("main.11.weight [1, 512, 4, 4]\n");
        try (Sequential gen = spec.generator(cpu(), MathMode.FP32); Sequential dis = spec.discriminator(cpu(), MathMode.FP32)) {
            assertEquals(g.toString(), describe(gen.stateDictShapes()));
            assertEquals(d.toString(), describe(dis.stateDictShapes()));
            assertEquals(Shape.of(64, 64, 3), gen.outShape());
            assertEquals(Shape.of(1, 1, 1), dis.outShape());
        }
    }

    @Test
    void dcgan28AndMlpConvKeys() {
        ModelSpec s28 = new ModelSpec(ModelSpec.DCGAN, 28, 1, 100, 64, 64, 0, 0, 0, Activation.LEAKY_RELU, 0.2f);
        StringBuilder g = new StringBuilder("main.0.weight [6272, 100]\n");
        bn(g, 1, 6272);
        g.append("main.4.weight [128, 64, 4, 4]\n");
        bn(g, 5, 64);
        g.append("main.7.weight [64, 1, 4, 4]\nmain.7.bias [1]\n");
        StringBuilder d = new StringBuilder("main.0.weight [64, 1, 4, 4]\nmain.0.bias [64]\nmain.2.weight [128, 64, 4, 4]\n");
        bn(d, 3, 128);
        d.append("main.6.weight [1, 6272]\nmain.6.bias [1]\n");
        ModelSpec mc = ModelSpec.mlpConv(28, 1, 64, 256, 32, 2, 2, 0.2f);
        String mg = "main.0.weight [256, 64]\nmain.0.bias [256]\nmain.2.weight [256, 256]\nmain.2.bias [256]\n"
                + "main.4.weight [784, 256]\nmain.4.bias [784]\n";
        String md = "main.0.weight [32, 1, 5, 5]\nmain.0.bias [32]\nmain.2.weight [64, 32, 5, 5]\nmain.2.bias [64]\n"
                + "main.5.weight [1, 3136]\nmain.5.bias [1]\n";
        try (Sequential gen = s28.generator(cpu(), MathMode.FP32); Sequential dis = s28.discriminator(cpu(), MathMode.FP32);
             Sequential mcg = mc.generator(cpu(), MathMode.FP32); Sequential mcd = mc.discriminator(cpu(), MathMode.FP32)) {
            assertEquals(g.toString(), describe(gen.stateDictShapes()));
            assertEquals(d.toString(), describe(dis.stateDictShapes()));
            assertEquals(mg, describe(mcg.stateDictShapes()));
            assertEquals(md, describe(mcd.stateDictShapes()));
        }
    }

    /** Runs k training forwards so that the running statistics and the counter are not at their start. */
    private static void train(Sequential net, int batch, int k, SplittableRandom r) {
        try (Sequential.Pass p = net.pass(batch); Tensor x = Tensor.of(net.device(), Shape.of(batch, net.inFeatures()),
                RandomData.normal(r, batch * net.inFeatures(), 1))) {
            for (int i = 0; i < k; i++) {
                p.forward(x);
            }
        }
    }

    @Test
    void exportLoadRoundTripIsExact() {
        List<ModelSpec> specs = List.of(new ModelSpec(ModelSpec.DCGAN, 16, 3, 5, 3, 2, 0, 0, 0, Activation.LEAKY_RELU, 0.2f),
                new ModelSpec(ModelSpec.DCGAN, 28, 1, 4, 2, 2, 0, 0, 0, Activation.LEAKY_RELU, 0.2f),
                ModelSpec.mlpConv(8, 3, 4, 6, 2, 1, 2, 0.2f), ModelSpec.mlp(3, 5, 2, 2, Activation.RELU, 0f));
        SplittableRandom r = new SplittableRandom(3);
        for (ModelSpec spec : specs) {
            for (boolean gen : new boolean[] {true, false}) {
                String what = spec.model() + " " + spec.imageSize() + (gen ? " G" : " D");
                try (Sequential a = gen ? spec.generator(cpu(), MathMode.FP32) : spec.discriminator(cpu(), MathMode.FP32);
                     Sequential b = gen ? spec.generator(cpu(), MathMode.FP32) : spec.discriminator(cpu(), MathMode.FP32)) {
                    a.initialize(Init.NORMAL_002, 5);
                    train(a, 3, 4, r);
                    b.initialize(Init.PYTORCH, 6);
                    LinkedHashMap<String, HostTensor> state = a.stateDict();
                    assertEquals(new ArrayList<>(a.stateDictShapes().keySet()), new ArrayList<>(state.keySet()), what);
                    b.loadStateDict(state);
                    assertArrayEquals(a.parameters().toArray(), b.parameters().toArray(), what + " parameters");
                    assertArrayEquals(a.buffers().toArray(), b.buffers().toArray(), what + " running statistics");
                    assertEquals(a.trainingForwards(), b.trainingForwards(), what + " num_batches_tracked");
                    assertEquals(a.hasBatchNorm() ? 4 : 0, b.trainingForwards(), what);
                    assertEquals(state, b.stateDict(), what + ": export after load gives the same state");
                    for (Map.Entry<String, HostTensor> e : state.entrySet()) {
                        boolean counter = e.getKey().endsWith("num_batches_tracked");
                        assertEquals(counter ? HostTensor.DType.I64 : HostTensor.DType.F32, e.getValue().dtype(), e.getKey());
                        assertTrue(counter ? e.getValue().rank() == 0 : e.getValue().rank() >= 1, e.getKey());
                    }
                }
            }
        }
    }

    @Test
    void convWeightsInPyTorchLayouts() {
        try (Sequential net = Sequential.builder(Shape.of(5, 5, 2)).conv2d(3, 3, 1, 1, true).convTranspose2d(4, 2, 2, 0, 0, true)
                .build(cpu())) {
            net.initialize(Init.PYTORCH, 9);
            float[] p = net.parameters().toArray();
            Map<String, HostTensor> s = net.stateDict();
            float[] krsc = ReferenceNet.slice(p, 0, 3 * 3 * 3 * 2);
            assertArrayEquals(Layouts.krscToOihw(krsc, 3, 3, 3, 2), s.get("main.0.weight").f32());
            assertArrayEquals(new long[] {3, 2, 3, 3}, s.get("main.0.weight").shape());
            assertArrayEquals(ReferenceNet.slice(p, 54, 3), s.get("main.0.bias").f32());
            int o = (int) net.parameterOffset(1);
            float[] jganT = ReferenceNet.slice(p, o, 3 * 2 * 2 * 4); // [in 3, kh 2, kw 2, out 4]
            assertArrayEquals(Layouts.convTransposeJganToTorch(jganT, 3, 2, 2, 4), s.get("main.1.weight").f32());
            assertArrayEquals(new long[] {3, 4, 2, 2}, s.get("main.1.weight").shape());
            assertArrayEquals(ReferenceNet.slice(p, o + 48, 4), s.get("main.1.bias").f32());
        }
    }

    /**
     * The flatten order: jgan's D (flatten of an NHWC image, then dense) and G (dense, batch
     * norm 1d, unflatten to NHWC) computed in double from the exported PyTorch-order weights on
     * the NCHW image must give what the network gives on the NHWC one.
     */
    @Test
    void denseNextToFlattenIsPermutedToPyTorchsOrder() {
        int h = 2, w = 3, c = 4, f = h * w * c, batch = 3;
        SplittableRandom r = new SplittableRandom(13);
        try (Sequential d = Sequential.builder(Shape.of(h, w, c)).flatten().dense(2).build(cpu());
             Sequential g = Sequential.builder(5).dense(f, false).batchNorm().reshape(Shape.of(h, w, c)).build(cpu())) {
            d.initialize(Init.PYTORCH, 1);
            float[] x = RandomData.normal(r, batch * f, 1);
            float[] y;
            try (Sequential.Pass p = d.pass(batch); Tensor tx = Tensor.of(cpu(), Shape.of(batch, h, w, c), x)) {
                y = p.forward(tx).toArray();
            }
            Map<String, HostTensor> s = d.stateDict();
            float[] xt = Layouts.nhwcToNchw(x, batch, h, w, c);
            float[] wt = s.get("main.1.weight").f32(), bt = s.get("main.1.bias").f32();
            float[] yt = new float[batch * 2];
            for (int n = 0; n < batch; n++) {
                for (int o = 0; o < 2; o++) {
                    double acc = bt[o];
                    for (int k = 0; k < f; k++) {
                        acc += (double) wt[o * f + k] * xt[n * f + k];
                    }
                    yt[n * 2 + o] = (float) acc;
                }
            }
            Tolerance.assertClose("D through PyTorch's flatten order", y, yt, 1e-5, 1e-5);

            g.initialize(Init.PYTORCH, 2);
            LayerForwardTest.randomize(g, r);
            float[] z = RandomData.normal(r, batch * 5, 1);
            float[] img;
            try (Sequential.Pass p = g.pass(batch); Tensor tz = Tensor.of(cpu(), Shape.of(batch, 5), z)) {
                img = p.forward(tz, false).toArray();
            }
            Map<String, HostTensor> gs = g.stateDict();
            float[] w0 = gs.get("main.0.weight").f32(), gam = gs.get("main.1.weight").f32(), bet = gs.get("main.1.bias").f32();
            float[] rm = gs.get("main.1.running_mean").f32(), rv = gs.get("main.1.running_var").f32();
            float[] out = new float[batch * f];
            for (int n = 0; n < batch; n++) {
                for (int k = 0; k < f; k++) {
                    double acc = 0;
                    for (int j = 0; j < 5; j++) {
                        acc += (double) w0[k * 5 + j] * z[n * 5 + j];
                    }
                    out[n * f + k] = (float) ((acc - rm[k]) / Math.sqrt(rv[k] + 1e-5) * gam[k] + bet[k]);
                }
            }
            Tolerance.assertClose("G through PyTorch's unflatten order (eval)", Layouts.nhwcToNchw(img, batch, h, w, c), out, 1e-5, 1e-4);
        }
    }

    @Test
    void loadRefusesEveryMisfitAtOnce() {
        ModelSpec spec = new ModelSpec(ModelSpec.DCGAN, 16, 1, 4, 2, 2, 0, 0, 0, Activation.LEAKY_RELU, 0.2f);
        try (Sequential g = spec.generator(cpu(), MathMode.FP32)) {
            g.initialize(Init.NORMAL_002, 1);
            float[] before = g.parameters().toArray();
            LinkedHashMap<String, HostTensor> s = g.stateDict();
            s.remove("main.0.weight");
            s.remove("main.4.running_var");
            s.put("main.3.weight", HostTensor.f32(new long[] {4, 2, 4}, new float[32]));
            s.put("main.1.num_batches_tracked", HostTensor.f32(new long[0], new float[1]));
            s.put("main.14.weight", HostTensor.f32(new long[] {1}, new float[1]));
            s.put("main.2.bias", HostTensor.f32(new long[] {2}, new float[2]));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.loadStateDict(s));
            String m = e.getMessage();
            for (String want : new String[] {"missing keys (2)", "main.0.weight [4, 4, 4, 4]", "main.4.running_var [2]",
                "unexpected keys (2)", "main.14.weight", "main.2.bias", "wrong shape or dtype (2)",
                "main.3.weight: F32[4, 2, 4], expected F32[4, 2, 4, 4]", "main.1.num_batches_tracked: F32[], expected I64[]"}) {
                assertTrue(m.contains(want), "message lacks '" + want + "': " + m);
            }
            assertArrayEquals(before, g.parameters().toArray(), "nothing loaded from a refused state");
        }
    }
}
