package jganpeer;

import java.util.ArrayList;
import java.util.List;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;

/**
 * The DJL peer of bench/cpu.sh: issue 10's DCGAN training step in DJL 0.36 on its PyTorch engine
 * (CPU, libtorch 2.7.1), what a Java user would pick. The same step as bench/peers/torch_step.py:
 * sample z, G forward, D on the real batch and on the detached fake batch (separate BN batch
 * statistics), BCE with logits, D backward + Adam, D on the fake batch, G backward + Adam; a fixed
 * random real batch in [-1, 1]. Same models, init (weights N(0, 0.02), BN weight N(1, 0.02),
 * biases 0) and Adam (lr 2e-4, betas 0.5, 0.999) as the PyTorch script; NCHW (DJL's layout).
 *
 * <p>DJL's Conv2dTranspose throws "Not implemented" on the PyTorch engine, so G's transposed
 * convolutions are written exactly in other ops: k4 s2 p1 as one 2x2 stride-1 convolution of the
 * input padded by 1 with the four sub-pixel kernels (each a 2x2 slice of the flipped kernel)
 * stacked as 4*Cout output channels, each group cropped to H x W at its parity's offset and the
 * four interleaved (depth-to-space); DCGAN-64's first (1x1 -> 4x4, s1 p0) as the matrix product
 * it is. Checked against torch's conv_transpose2d in double (max difference 4e-15). The
 * parameters stay in PyTorch's ConvTranspose2d layout [Cin, Cout, 4, 4]; autograd differentiates
 * through the rearrangement.
 *
 * <p>Usage: DjlStep [dcgan28|dcgan64] [batch] [warmup] [steps]; threads from
 * -Dai.djl.pytorch.num_threads (bench/cpu.sh sets 2). Prints one line:
 * {@code djl <model> <batch> <threads> <ms of each timed step...>}.
 */
public final class DjlStep {
    private final NDManager pm;
    private final List<NDArray> gParams = new ArrayList<>(), dParams = new ArrayList<>();
    private final List<NDArray[]> gBn = new ArrayList<>(), dBn = new ArrayList<>(); // running mean, var
    private final boolean big;
    private final int latent;

    private DjlStep(NDManager pm, boolean big) {
        this.pm = pm;
        this.big = big;
        this.latent = big ? 100 : 64;
        if (big) {
            int[] g = {latent, 512, 256, 128, 64, 3};
            for (int i = 0; i < 5; i++) {
                w(gParams, g[i], g[i + 1], 4, 4);
                if (i < 4) {
                    bn(gParams, gBn, g[i + 1]);
                }
            }
            int[] d = {3, 64, 128, 256, 512, 1};
            for (int i = 0; i < 5; i++) {
                w(dParams, d[i + 1], d[i], 4, 4);
                if (i >= 1 && i <= 3) {
                    bn(dParams, dBn, d[i + 1]);
                }
            }
        } else {
            w(gParams, 6272, latent); // Linear, no bias (BN follows)
            bn(gParams, gBn, 6272);
            w(gParams, 128, 64, 4, 4); // ConvT 128 -> 64, [Cin, Cout, kh, kw]
            bn(gParams, gBn, 64);
            w(gParams, 64, 1, 4, 4); // ConvT 64 -> 1, bias
            zero(gParams, 1);
            w(dParams, 64, 1, 4, 4); // Conv 1 -> 64, bias
            zero(dParams, 64);
            w(dParams, 128, 64, 4, 4); // Conv 64 -> 128
            bn(dParams, dBn, 128);
            w(dParams, 1, 6272); // Linear 6272 -> 1, bias
            zero(dParams, 1);
        }
        for (NDArray p : gParams) {
            p.setRequiresGradient(true);
        }
        for (NDArray p : dParams) {
            p.setRequiresGradient(true);
        }
    }

    private void w(List<NDArray> to, long... shape) {
        to.add(pm.randomNormal(0f, 0.02f, new Shape(shape), ai.djl.ndarray.types.DataType.FLOAT32));
    }

    private void zero(List<NDArray> to, long n) {
        to.add(pm.zeros(new Shape(n)));
    }

    private void bn(List<NDArray> to, List<NDArray[]> running, long c) {
        to.add(pm.randomNormal(1f, 0.02f, new Shape(c), ai.djl.ndarray.types.DataType.FLOAT32));
        to.add(pm.zeros(new Shape(c)));
        running.add(new NDArray[] {pm.zeros(new Shape(c)), pm.ones(new Shape(c))});
    }

    private static NDArray batchNorm(NDArray x, NDArray gamma, NDArray beta, NDArray[] running) {
        return BatchNorm.batchNorm(x, running[0], running[1], gamma, beta, 1, 0.1f, 1e-5f, true).singletonOrThrow();
    }

    /** ConvTranspose2d k4 s2 p1 (weight [Cin, Cout, 4, 4]) by four sub-pixel 2x2 convolutions, interleaved. */
    static NDArray convT4s2p1(NDArray x, NDArray wt, NDArray bias) {
        long n = x.getShape().get(0), h = x.getShape().get(2), w = x.getShape().get(3), co = wt.getShape().get(1);
        NDArray wf = wt.transpose(1, 0, 2, 3).flip(2, 3); // [Cout, Cin, 4, 4], flipped: wf[k] = wt[3 - k]
        NDArray k = NDArrays.concat(new NDList(wf.get(":, :, 0::2, 0::2"), wf.get(":, :, 0::2, 1::2"), wf.get(":, :, 1::2, 0::2"),
                wf.get(":, :, 1::2, 1::2")), 0);
        NDArray out = Conv2d.conv2d(x, k, null, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1)).singletonOrThrow();
        NDArray y00 = out.get(String.format(":, 0:%d, 0:%d, 0:%d", co, h, w));
        NDArray y01 = out.get(String.format(":, %d:%d, 0:%d, 1:%d", co, 2 * co, h, w + 1));
        NDArray y10 = out.get(String.format(":, %d:%d, 1:%d, 0:%d", 2 * co, 3 * co, h + 1, w));
        NDArray y11 = out.get(String.format(":, %d:%d, 1:%d, 1:%d", 3 * co, 4 * co, h + 1, w + 1));
        NDArray y = NDArrays.stack(new NDList(y00, y01, y10, y11), 2).reshape(n, co, 2, 2, h, w).transpose(0, 1, 4, 2, 5, 3)
                .reshape(n, co, 2 * h, 2 * w);
        return bias == null ? y : y.add(bias.reshape(1, co, 1, 1));
    }

    NDArray generator(NDArray z) {
        List<NDArray> p = gParams;
        if (big) {
            long n = z.getShape().get(0);
            NDArray x = z.dot(p.get(0).reshape(latent, 512 * 16)).reshape(n, 512, 4, 4); // ConvT 1x1 -> 4x4 s1 p0
            x = ai.djl.nn.Activation.relu(batchNorm(x, p.get(1), p.get(2), gBn.get(0)));
            for (int i = 1; i < 4; i++) {
                x = convT4s2p1(x, p.get(3 * i), null);
                x = ai.djl.nn.Activation.relu(batchNorm(x, p.get(3 * i + 1), p.get(3 * i + 2), gBn.get(i)));
            }
            return convT4s2p1(x, p.get(12), null).tanh();
        }
        NDArray x = Linear.linear(z, p.get(0)).singletonOrThrow();
        x = ai.djl.nn.Activation.relu(batchNorm(x, p.get(1), p.get(2), gBn.get(0))).reshape(z.getShape().get(0), 128, 7, 7);
        x = convT4s2p1(x, p.get(3), null);
        x = ai.djl.nn.Activation.relu(batchNorm(x, p.get(4), p.get(5), gBn.get(1)));
        return convT4s2p1(x, p.get(6), p.get(7)).tanh();
    }

    NDArray discriminator(NDArray x) {
        List<NDArray> p = dParams;
        Shape s2 = new Shape(2, 2), p1 = new Shape(1, 1), one = new Shape(1, 1);
        if (big) {
            x = ai.djl.nn.Activation.leakyRelu(Conv2d.conv2d(x, p.get(0), null, s2, p1, one).singletonOrThrow(), 0.2f);
            for (int i = 0; i < 3; i++) {
                x = Conv2d.conv2d(x, p.get(1 + 3 * i), null, s2, p1, one).singletonOrThrow();
                x = ai.djl.nn.Activation.leakyRelu(batchNorm(x, p.get(2 + 3 * i), p.get(3 + 3 * i), dBn.get(i)), 0.2f);
            }
            x = Conv2d.conv2d(x, p.get(10), null, new Shape(1, 1), new Shape(0, 0), one).singletonOrThrow();
            return x.reshape(x.getShape().get(0), 1);
        }
        x = ai.djl.nn.Activation.leakyRelu(Conv2d.conv2d(x, p.get(0), p.get(1), s2, p1, one).singletonOrThrow(), 0.2f);
        x = Conv2d.conv2d(x, p.get(2), null, s2, p1, one).singletonOrThrow();
        x = ai.djl.nn.Activation.leakyRelu(batchNorm(x, p.get(3), p.get(4), dBn.get(0)), 0.2f);
        return Linear.linear(x.reshape(x.getShape().get(0), 6272), p.get(5), p.get(6)).singletonOrThrow();
    }

    /** BCE with logits, mean: max(x, 0) - x t + log(1 + exp(-|x|)) (PyTorch's stable form). */
    static NDArray bce(NDArray logits, float target) {
        return logits.maximum(0f).sub(logits.mul(target)).add(logits.abs().neg().exp().add(1f).log()).mean();
    }

    private static void zeroGrads(List<NDArray> ps) {
        for (NDArray p : ps) {
            if (p.hasGradient()) {
                NDArray g = p.getGradient();
                g.muli(0f);
            }
        }
    }

    private static void update(Optimizer opt, String net, List<NDArray> ps) {
        for (int i = 0; i < ps.size(); i++) {
            NDArray p = ps.get(i);
            opt.update(net + i, p, p.getGradient());
        }
    }

    /**
     * The sub-pixel replacement against the definition of a transposed convolution (each input
     * pixel scatters its kernel: y[co, 2i - 1 + kh, 2j - 1 + kw] += x[ci, i, j] w[ci, co, kh, kw]),
     * in plain Java loops, on a small random case; throws when they differ.
     */
    static void check(NDManager m) {
        int n = 2, ci = 3, co = 2, h = 3, w = 4;
        java.util.Random r = new java.util.Random(7);
        float[] x = new float[n * ci * h * w], wt = new float[ci * co * 16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < wt.length; i++) {
            wt[i] = (float) r.nextGaussian();
        }
        double[] ref = new double[n * co * 2 * h * 2 * w];
        for (int b = 0; b < n; b++) {
            for (int c = 0; c < ci; c++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        for (int o = 0; o < co; o++) {
                            for (int kh = 0; kh < 4; kh++) {
                                for (int kw = 0; kw < 4; kw++) {
                                    int oh = 2 * i - 1 + kh, ow = 2 * j - 1 + kw;
                                    if (oh >= 0 && oh < 2 * h && ow >= 0 && ow < 2 * w) {
                                        ref[((b * co + o) * 2 * h + oh) * 2 * w + ow] += x[((b * ci + c) * h + i) * w + j]
                                                * wt[((c * co + o) * 4 + kh) * 4 + kw];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        float[] got = convT4s2p1(m.create(x, new Shape(n, ci, h, w)), m.create(wt, new Shape(ci, co, 4, 4)), null).toFloatArray();
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            worst = Math.max(worst, Math.abs(got[i] - ref[i]));
        }
        if (got.length != ref.length || worst > 1e-4) {
            throw new IllegalStateException("sub-pixel transposed convolution differs from the definition: max |diff| " + worst);
        }
        System.err.println("djl: sub-pixel ConvTranspose2d k4 s2 p1 matches the definition (max |diff| " + worst + ")");
    }

    /** Elements of the trainable parameters (PyTorch's sum of numel() over parameters()). */
    private static long count(List<NDArray> params) {
        long n = 0;
        for (NDArray p : params) {
            n += p.size();
        }
        return n;
    }

    public static void main(String[] args) {
        String model = args.length > 0 ? args[0] : "dcgan28";
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 64, warmup = args.length > 2 ? Integer.parseInt(args[2]) : 10,
                steps = args.length > 3 ? Integer.parseInt(args[3]) : 30;
        boolean big = model.equals("dcgan64");
        if (!big && !model.equals("dcgan28")) {
            throw new IllegalArgumentException("model must be dcgan28 or dcgan64, got " + model);
        }
        Engine engine = Engine.getEngine("PyTorch");
        try (NDManager base = NDManager.newBaseManager()) {
            engine.setRandomSeed(0);
            check(base);
            DjlStep m = new DjlStep(base, big);
            System.out.println("params djl " + model + " G " + count(m.gParams) + " D " + count(m.dParams));
            Optimizer og = Optimizer.adam().optLearningRateTracker(Tracker.fixed(2e-4f)).optBeta1(0.5f).optBeta2(0.999f).build();
            Optimizer od = Optimizer.adam().optLearningRateTracker(Tracker.fixed(2e-4f)).optBeta1(0.5f).optBeta2(0.999f).build();
            Shape img = big ? new Shape(batch, 3, 64, 64) : new Shape(batch, 1, 28, 28);
            NDArray real = base.randomUniform(-1f, 1f, img);
            double[] ms = new double[steps];
            for (int i = 0; i < warmup + steps; i++) {
                long t0 = System.nanoTime();
                try (NDManager sm = base.newSubManager()) {
                    NDArray z = sm.randomNormal(new Shape(batch, m.latent));
                    NDArray fake;
                    float lossD, lossG;
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        fake = m.generator(z);
                        zeroGrads(m.dParams);
                        NDArray ld = bce(m.discriminator(real), 1f).add(bce(m.discriminator(fake.stopGradient()), 0f));
                        gc.backward(ld);
                        lossD = ld.getFloat();
                    }
                    update(od, "d", m.dParams);
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        zeroGrads(m.gParams);
                        NDArray lg = bce(m.discriminator(fake), 1f);
                        gc.backward(lg);
                        lossG = lg.getFloat();
                    }
                    update(og, "g", m.gParams);
                    if (!Float.isFinite(lossD + lossG)) {
                        throw new IllegalStateException("loss not finite at step " + i + ": " + lossD + ", " + lossG);
                    }
                }
                if (i >= warmup) {
                    ms[i - warmup] = (System.nanoTime() - t0) / 1e6;
                }
            }
            StringBuilder sb = new StringBuilder("djl " + model + " " + batch + " " + System.getProperty("ai.djl.pytorch.num_threads", "?"));
            for (double t : ms) {
                sb.append(String.format(" %.3f", t));
            }
            System.out.println(sb);
        }
    }
}
