package jgan.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import jgan.device.Device;
import jgan.device.Dim3;
import jgan.device.Graph;
import jgan.device.HostDevice;
import jgan.device.KernelArgs;
import jgan.device.LaunchConfig;
import jgan.reference.BatchNormReference;
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
 * kernels/batch_norm.cu (through {@link BatchNorm}) against {@link BatchNormReference} on every
 * device: training forward with its own statistics and with partials from another partition,
 * running statistics over several steps (and through a replayed graph), eval, backward (written
 * and accumulated), fused against unfused activations, NaN propagation, determinism, and bad
 * input refused before launch. Outputs are NaN-filled before each launch, so an element a kernel
 * fails to write fails the comparison.
 *
 * <p>Tolerances are float rounding against double, scaled by the size of what is rounded: the
 * normalised output's error is dominated by x - mean (|x| + |mean|) times invstd; sums by the sum
 * of their terms' magnitudes.
 */
@Tag("host-runtime")
class BatchNormConformanceTest {
    static final float EPS = BatchNorm.DEFAULT_EPS;
    static final float MOMENTUM = BatchNorm.DEFAULT_MOMENTUM;
    static final float SLOPE = 0.2f;
    static final double REL = 2e-5;

    /** A BN input: its name, its shape (NHWC or [N, C]) and the activation fused after it. */
    record Layer(String name, Shape shape, Activation act) {
        int channels() {
            return shape.dim(shape.rank() - 1);
        }

        int rows() {
            return (int) (shape.numel() / channels());
        }

        @Override
        public String toString() {
            return name + " " + shape + " " + act;
        }
    }

    static List<Layer> layers() {
        List<Layer> l = new ArrayList<>();
        Activation[] acts = Activation.values();
        // Random odd shapes: C in {1, 3, 5, 64} and past one group (131, 200), batch 1 and 7, rank 2 (BatchNorm1d),
        // rows across several chunks (chunk = 4096 rows at C = 1, 1360 at C = 3, 64 at C = 64, 128 above 128).
        int[][] odd = {{1, 5, 3, 1}, {7, 31, 29, 1}, {7, 3, 5, 3}, {7, 15, 17, 3}, {1, 7, 9, 5}, {7, 5, 3, 64}, {1, 9, 7, 64},
            {7, 3, 3, 131}, {7, 5}, {7, 64}, {3, 200}};
        int i = 0;
        for (int[] s : odd) {
            l.add(new Layer("odd", Shape.of(s), acts[i++ % acts.length]));
        }
        // DCGAN-64 (nz 100, ngf = ndf = 64) at batch 2: G's BN inputs (ReLU after); D's are the same shapes (leaky ReLU 0.2).
        l.add(new Layer("DCGAN-64 G", Shape.of(2, 4, 4, 512), Activation.RELU));
        l.add(new Layer("DCGAN-64 G", Shape.of(2, 8, 8, 256), Activation.RELU));
        l.add(new Layer("DCGAN-64 G", Shape.of(2, 16, 16, 128), Activation.RELU));
        l.add(new Layer("DCGAN-64 G", Shape.of(2, 32, 32, 64), Activation.RELU));
        l.add(new Layer("DCGAN-64 D", Shape.of(2, 16, 16, 128), Activation.LEAKY_RELU));
        l.add(new Layer("DCGAN-64 D", Shape.of(2, 8, 8, 256), Activation.LEAKY_RELU));
        l.add(new Layer("DCGAN-64 D", Shape.of(2, 4, 4, 512), Activation.LEAKY_RELU));
        // DCGAN-28 at batch 2: G's BN after dense 64 -> 6272, as BatchNorm1d over 6272 features and as BatchNorm2d over
        // 128 channels of 7x7; G's BN after convT 128 -> 64 (14x14x64); D's BN after conv 64 -> 128 (7x7x128).
        l.add(new Layer("DCGAN-28 G dense", Shape.of(2, 6272), Activation.RELU));
        l.add(new Layer("DCGAN-28 G dense as 2d", Shape.of(2, 7, 7, 128), Activation.RELU));
        l.add(new Layer("DCGAN-28 G convT", Shape.of(2, 14, 14, 64), Activation.RELU));
        l.add(new Layer("DCGAN-28 D", Shape.of(2, 7, 7, 128), Activation.LEAKY_RELU));
        return l;
    }

    static Stream<Arguments> cases() {
        return TestDevices.all().flatMap(d -> layers().stream().map(l -> Arguments.of(d, l)));
    }

    /** The device (every device has the batch_norm_* kernels: CUDA, the host runtime, the cpu bodies). */
    static Device open(Target target) {
        Device dev = target.device();
        return dev;
    }

    /** Inputs of one layer: x off-centre (mean 0.5, std 2), gamma around 1, beta, running statistics, dy. */
    static final class Inputs {
        final float[] x, gamma, beta, runningMean, runningVar, dy;

        Inputs(Layer l, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int n = (int) l.shape().numel(), c = l.channels();
            x = RandomData.normal(r, n, 2.0);
            for (int i = 0; i < n; i++) {
                x[i] += 0.5f;
            }
            gamma = RandomData.uniform(r, c, 0.5, 1.5);
            beta = RandomData.normal(r, c, 0.5);
            runningMean = RandomData.normal(r, c, 1.0);
            runningVar = RandomData.uniform(r, c, 0.5, 2.0);
            dy = RandomData.normal(r, n, 1.0);
        }
    }

    // ------------------------------------------------------------------ tolerances

    /** Per channel: the double mean and biased variance of x. */
    static double[][] stats(float[] x, int rows, int channels) {
        double[] xd = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            xd[i] = x[i];
        }
        double[] m = BatchNormReference.mean(xd, rows, channels);
        return new double[][] {m, BatchNormReference.biasedVariance(xd, rows, channels, m)};
    }

    /** y = gamma (x - mean) invstd + beta: its rounding scales with (|x| + |mean| + std) invstd |gamma| + |beta|. */
    static float[] outputMagnitude(float[] x, int rows, int channels, float[] gamma, float[] beta, double[] mean, double[] var,
                                   double eps) {
        float[] mag = new float[x.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < channels; c++) {
                int i = r * channels + c;
                double is = 1 / Math.sqrt(var[c] + eps);
                mag[i] = (float) (Math.abs(gamma[c]) * (Math.abs(x[i]) + Math.abs(mean[c]) + Math.sqrt(var[c])) * is
                        + Math.abs(beta[c]));
            }
        }
        return mag;
    }

    static void assertStats(String what, float[] meanOut, float[] invstdOut, BatchNormReference.Forward ref, double[] mean,
                            double[] var, double eps) {
        int c = mean.length;
        float[] meanMag = new float[c], invMag = new float[c];
        for (int j = 0; j < c; j++) {
            double sd = Math.sqrt(var[j]);
            meanMag[j] = (float) (Math.abs(mean[j]) + sd);
            // var's rounding ~ sd (|mean| + sd) u; invstd's relative error half of var's relative to var + eps
            invMag[j] = (float) (ref.invstd()[j] * (1 + sd * (Math.abs(mean[j]) + sd) / (var[j] + eps)));
        }
        Tolerance.assertWithinSumError(what + " mean", meanOut, ref.mean(), meanMag, 0, REL);
        Tolerance.assertWithinSumError(what + " invstd", invstdOut, ref.invstd(), invMag, 0, REL);
    }

    static void assertRunning(String what, float[] rmOut, float[] rvOut, BatchNormReference.Forward ref, float[] rmIn, float[] rvIn,
                              double[] mean, double[] var, int rows) {
        int c = mean.length;
        float[] rmMag = new float[c], rvMag = new float[c];
        for (int j = 0; j < c; j++) {
            double sd = Math.sqrt(var[j]);
            rmMag[j] = (float) (Math.abs(rmIn[j]) + Math.abs(mean[j]) + sd);
            rvMag[j] = (float) (Math.abs(rvIn[j]) + (var[j] + sd * Math.abs(mean[j])) * rows / (rows - 1.0));
        }
        Tolerance.assertWithinSumError(what + " running_mean", rmOut, ref.runningMean(), rmMag, 0, REL);
        Tolerance.assertWithinSumError(what + " running_var", rvOut, ref.runningVar(), rvMag, 0, REL);
    }

    // ------------------------------------------------------------------ the main case

    @ParameterizedTest(name = "[{0}] {1}: train forward, backward, eval")
    @MethodSource("cases")
    void trainBackwardEval(Target target, Layer l) {
        Device dev = open(target);
        int rows = l.rows(), c = l.channels(), act = l.act().code;
        Inputs in = new Inputs(l, l.shape().numel() * 31 + c);
        Shape cs = Shape.of(c);
        try (Tensor x = Tensor.of(dev, l.shape(), in.x); Tensor gamma = Tensor.of(dev, cs, in.gamma);
             Tensor beta = Tensor.of(dev, cs, in.beta); Tensor rm = Tensor.of(dev, cs, in.runningMean);
             Tensor rv = Tensor.of(dev, cs, in.runningVar); Tensor y = Tensor.empty(dev, l.shape());
             Tensor mean = Tensor.empty(dev, cs); Tensor invstd = Tensor.empty(dev, cs); Tensor dy = Tensor.of(dev, l.shape(), in.dy);
             Tensor dx = Tensor.empty(dev, l.shape()); Tensor dgamma = Tensor.empty(dev, cs); Tensor dbeta = Tensor.empty(dev, cs);
             Tensor yEval = Tensor.empty(dev, l.shape())) {
            for (Tensor t : new Tensor[] {y, mean, invstd, dx, dgamma, dbeta, yEval}) {
                t.fill(Float.NaN);
            }
            // training forward
            BatchNorm.forwardTrain(x, gamma, beta, y, mean, invstd, rm, rv, MOMENTUM, EPS, l.act(), SLOPE);
            BatchNormReference.Forward ref = BatchNormReference.forwardTrain(in.x, rows, c, in.gamma, in.beta, in.runningMean,
                    in.runningVar, MOMENTUM, EPS, act, SLOPE);
            double[][] st = stats(in.x, rows, c);
            float[] yOut = y.toArray(), meanOut = mean.toArray(), invOut = invstd.toArray();
            assertStats("forward_train", meanOut, invOut, ref, st[0], st[1], EPS);
            Tolerance.assertWithinSumError("forward_train y", yOut, ref.y(),
                    outputMagnitude(in.x, rows, c, in.gamma, in.beta, st[0], st[1], EPS), 1e-6, REL);
            float[] rmOut = rm.toArray(), rvOut = rv.toArray();
            assertRunning("forward_train", rmOut, rvOut, ref, in.runningMean, in.runningVar, st[0], st[1], rows);
            Tolerance.assertClose("forward_train leaves x alone", x.toArray(), in.x, 0, 0);

            // backward, from the device's own y, mean and invstd
            BatchNorm.backward(dy, y, x, gamma, mean, invstd, dx, dgamma, dbeta, l.act(), SLOPE, false);
            BatchNormReference.Backward g = BatchNormReference.backward(in.dy, yOut, in.x, rows, c, in.gamma, meanOut, invOut, act,
                    SLOPE);
            float[][] mag = backwardMagnitudes(in.dy, yOut, in.x, rows, c, in.gamma, meanOut, invOut, act);
            float[] dxOut = dx.toArray(), dgOut = dgamma.toArray(), dbOut = dbeta.toArray();
            Tolerance.assertWithinSumError("backward dx", dxOut, g.dx(), mag[0], 1e-6, REL);
            Tolerance.assertWithinSumError("backward dgamma", dgOut, g.dgamma(), mag[1], 1e-6, REL);
            Tolerance.assertWithinSumError("backward dbeta", dbOut, g.dbeta(), mag[2], 1e-6, REL);
            // accumulated: dgamma and dbeta add the same sums again; dx is rewritten with the same bits
            dx.fill(Float.NaN);
            BatchNorm.backward(dy, y, x, gamma, mean, invstd, dx, dgamma, dbeta, l.act(), SLOPE, true);
            assertArrayEquals(dxOut, dx.toArray(), "backward dx, the same bits again");
            float[] twiceG = new float[c], twiceB = new float[c];
            for (int j = 0; j < c; j++) {
                twiceG[j] = dgOut[j] + dgOut[j];
                twiceB[j] = dbOut[j] + dbOut[j];
            }
            assertArrayEquals(twiceG, dgamma.toArray(), "dgamma accumulated: the same sum added to itself");
            assertArrayEquals(twiceB, dbeta.toArray(), "dbeta accumulated");

            // eval, with the running statistics the training step left
            BatchNorm.forwardEval(x, gamma, beta, rm, rv, yEval, EPS, l.act(), SLOPE);
            float[] evalRef = BatchNormReference.forwardEval(in.x, rows, c, in.gamma, in.beta, rmOut, rvOut, EPS, act, SLOPE);
            double[] rmd = new double[c], rvd = new double[c];
            for (int j = 0; j < c; j++) {
                rmd[j] = rmOut[j];
                rvd[j] = rvOut[j];
            }
            Tolerance.assertWithinSumError("forward_eval y", yEval.toArray(), evalRef,
                    outputMagnitude(in.x, rows, c, in.gamma, in.beta, rmd, rvd, EPS), 1e-6, REL);
        }
    }

    /** Sum-of-|terms| scales of {dx, dgamma, dbeta}. */
    static float[][] backwardMagnitudes(float[] dy, float[] y, float[] x, int rows, int c, float[] gamma, float[] mean,
                                        float[] invstd, int act) {
        double[] sdz = new double[c], sdzx = new double[c];
        double[] dz = new double[dy.length], xhat = new double[dy.length];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < c; j++) {
                int i = r * c + j;
                dz[i] = Math.abs(dy[i] * BatchNormReference.activationGrad(y[i], act, SLOPE));
                xhat[i] = Math.abs((x[i] - mean[j]) * (double) invstd[j]);
                sdz[j] += dz[i];
                sdzx[j] += dz[i] * xhat[i];
            }
        }
        float[] dxm = new float[dy.length];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < c; j++) {
                int i = r * c + j;
                dxm[i] = (float) (Math.abs(gamma[j] * (double) invstd[j]) * (dz[i] + sdz[j] / rows + xhat[i] * sdzx[j] / rows));
            }
        }
        float[] g = new float[c], b = new float[c];
        for (int j = 0; j < c; j++) {
            g[j] = (float) sdzx[j];
            b[j] = (float) sdz[j];
        }
        return new float[][] {dxm, g, b};
    }

    // ------------------------------------------------------------------ partials

    static Stream<Arguments> partitionCases() {
        Layer[] ls = {new Layer("odd", Shape.of(7, 15, 17, 3), Activation.TANH), new Layer("odd", Shape.of(7, 5, 3, 64),
            Activation.IDENTITY), new Layer("DCGAN-64 G", Shape.of(2, 4, 4, 512), Activation.RELU)};
        return TestDevices.all().flatMap(d -> Stream.of(ls).map(l -> Arguments.of(d, l)));
    }

    /**
     * The statistics kernel's partials are {count, mean, m2} of its fixed chunks; partials of a
     * different partition (rows dealt round-robin to 5 partials, one more left empty, as a
     * producer may choose) give the same mean, invstd and output within float rounding.
     */
    @ParameterizedTest(name = "[{0}] {1}: partials of any partition")
    @MethodSource("partitionCases")
    void partialsOfAnyPartition(Target target, Layer l) {
        Device dev = open(target);
        int rows = l.rows(), c = l.channels();
        Inputs in = new Inputs(l, 99 + c);
        Shape cs = Shape.of(c);
        Shape ps = BatchNorm.statsPartialsShape(l.shape());
        int chunk = BatchNorm.chunkRows(c);
        assertEquals((rows + chunk - 1) / chunk, ps.dim(0));
        // our own partials, checked chunk by chunk against double
        float[] own;
        try (Tensor x = Tensor.of(dev, l.shape(), in.x); Tensor p = Tensor.empty(dev, ps)) {
            p.fill(Float.NaN);
            BatchNorm.statsPartials(x, p);
            own = p.toArray();
        }
        float[] expected = partials(in.x, rows, c, ps.dim(0), r -> r / chunk);
        float[] scale = new float[expected.length];
        for (int i = 0; i < expected.length; i += 3) {
            scale[i] = 0;
            scale[i + 1] = (float) (Math.abs(expected[i + 1]) + Math.sqrt(expected[i + 2] / expected[i]));
            scale[i + 2] = (float) (expected[i + 2] + 2 * Math.sqrt(expected[i + 2] * expected[i]) * Math.abs(expected[i + 1]));
        }
        Tolerance.assertWithinSumError("batch_norm_stats partials", own, expected, scale, 0, REL);

        // another partition: row r in partial (r % 5), and partial 5 empty
        float[] other = partials(in.x, rows, c, 6, r -> r % 5);
        try (Tensor x = Tensor.of(dev, l.shape(), in.x); Tensor gamma = Tensor.of(dev, cs, in.gamma);
             Tensor beta = Tensor.of(dev, cs, in.beta); Tensor p = Tensor.of(dev, Shape.of(6, c, 3), other);
             Tensor y1 = Tensor.empty(dev, l.shape()); Tensor y2 = Tensor.empty(dev, l.shape());
             Tensor m1 = Tensor.empty(dev, cs); Tensor m2 = Tensor.empty(dev, cs); Tensor i1 = Tensor.empty(dev, cs);
             Tensor i2 = Tensor.empty(dev, cs); Tensor rm = Tensor.of(dev, cs, in.runningMean); Tensor rv = Tensor.of(dev, cs, in.runningVar)) {
            for (Tensor t : new Tensor[] {y1, y2, m1, m2, i1, i2}) {
                t.fill(Float.NaN);
            }
            BatchNorm.forwardTrain(x, gamma, beta, y1, m1, i1, null, null, MOMENTUM, EPS, l.act(), SLOPE);
            BatchNorm.forwardTrain(x, p, gamma, beta, y2, m2, i2, rm, rv, MOMENTUM, EPS, l.act(), SLOPE);
            BatchNormReference.Forward ref = BatchNormReference.forwardTrain(in.x, rows, c, in.gamma, in.beta, in.runningMean,
                    in.runningVar, MOMENTUM, EPS, l.act().code, SLOPE);
            double[][] st = stats(in.x, rows, c);
            float[] mag = outputMagnitude(in.x, rows, c, in.gamma, in.beta, st[0], st[1], EPS);
            assertStats("own partials", m1.toArray(), i1.toArray(), ref, st[0], st[1], EPS);
            assertStats("round-robin partials", m2.toArray(), i2.toArray(), ref, st[0], st[1], EPS);
            Tolerance.assertWithinSumError("y, round-robin partials vs own", y2.toArray(), y1.toArray(), mag, 1e-6, 2 * REL);
            assertRunning("round-robin partials", rm.toArray(), rv.toArray(), ref, in.runningMean, in.runningVar, st[0], st[1], rows);
        }
    }

    /** {count, mean, m2} in double per partial (partialOf(row)), laid out [P][C][3]. */
    static float[] partials(float[] x, int rows, int c, int p, java.util.function.IntUnaryOperator partialOf) {
        double[] n = new double[p], sum = new double[p * c], m2 = new double[p * c];
        for (int r = 0; r < rows; r++) {
            int q = partialOf.applyAsInt(r);
            n[q]++;
            for (int j = 0; j < c; j++) {
                sum[q * c + j] += x[r * c + j];
            }
        }
        for (int r = 0; r < rows; r++) {
            int q = partialOf.applyAsInt(r);
            for (int j = 0; j < c; j++) {
                double d = x[r * c + j] - sum[q * c + j] / n[q];
                m2[q * c + j] += d * d;
            }
        }
        float[] out = new float[p * c * 3];
        for (int q = 0; q < p; q++) {
            for (int j = 0; j < c; j++) {
                int o = (q * c + j) * 3;
                out[o] = (float) n[q];
                out[o + 1] = n[q] == 0 ? 0f : (float) (sum[q * c + j] / n[q]);
                out[o + 2] = (float) m2[q * c + j];
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ fused vs unfused, steps, NaN, stability

    /** BN + leaky ReLU / tanh fused gives what BN followed by the LeakyRelu / Tanh kernels gives, forward and backward. */
    @ParameterizedTest(name = "[{0}] fused activation = separate kernels")
    @MethodSource("jgan.testing.TestDevices#all")
    void fusedEqualsUnfused(Target target) {
        Device dev = open(target);
        Layer l = new Layer("odd", Shape.of(3, 5, 7, 5), Activation.IDENTITY);
        Inputs in = new Inputs(l, 5);
        int c = l.channels();
        Shape cs = Shape.of(c);
        try (Tensor x = Tensor.of(dev, l.shape(), in.x); Tensor gamma = Tensor.of(dev, cs, in.gamma);
             Tensor beta = Tensor.of(dev, cs, in.beta); Tensor dy = Tensor.of(dev, l.shape(), in.dy);
             Tensor yf = Tensor.empty(dev, l.shape()); Tensor yu = Tensor.empty(dev, l.shape()); Tensor z = Tensor.empty(dev, l.shape());
             Tensor mean = Tensor.empty(dev, cs); Tensor invstd = Tensor.empty(dev, cs); Tensor dxf = Tensor.empty(dev, l.shape());
             Tensor dxu = Tensor.empty(dev, l.shape()); Tensor dz = Tensor.empty(dev, l.shape());
             Tensor dgf = Tensor.empty(dev, cs); Tensor dbf = Tensor.empty(dev, cs); Tensor dgu = Tensor.empty(dev, cs);
             Tensor dbu = Tensor.empty(dev, cs)) {
            for (Activation act : new Activation[] {Activation.LEAKY_RELU, Activation.TANH, Activation.RELU}) {
                BatchNorm.forwardTrain(x, gamma, beta, yf, mean, invstd, null, null, MOMENTUM, EPS, act, SLOPE);
                BatchNorm.backward(dy, yf, x, gamma, mean, invstd, dxf, dgf, dbf, act, SLOPE, false);
                BatchNorm.forwardTrain(x, gamma, beta, z, mean, invstd, null, null, MOMENTUM, EPS, Activation.IDENTITY, 0f);
                float slope = act == Activation.RELU ? 0f : SLOPE;
                if (act == Activation.TANH) {
                    Tanh.forward(z, yu);
                    Tanh.backward(yu, dy, dz);
                } else {
                    LeakyRelu.forward(z, yu, slope);
                    LeakyRelu.backward(yu, dy, dz, slope);
                }
                BatchNorm.backward(dz, null, x, gamma, mean, invstd, dxu, dgu, dbu, Activation.IDENTITY, 0f, false);
                // tanh kernels may differ in the last bits; leaky ReLU / ReLU are the same float operations
                double tol = act == Activation.TANH ? 1e-6 : 0;
                Tolerance.assertClose(act + " y", yf.toArray(), yu.toArray(), tol, tol);
                Tolerance.assertClose(act + " dx", dxf.toArray(), dxu.toArray(), 10 * tol, 10 * tol);
                Tolerance.assertClose(act + " dgamma", dgf.toArray(), dgu.toArray(), 100 * tol, 10 * tol);
                Tolerance.assertClose(act + " dbeta", dbf.toArray(), dbu.toArray(), 100 * tol, 10 * tol);
            }
        }
    }

    /**
     * Running statistics after k = 4 training steps on different batches match the reference
     * chained 4 times; the last 3 steps are one captured graph replayed (the batches copied in by
     * the graph), and two runs give the same bits.
     */
    @ParameterizedTest(name = "[{0}] running statistics over 4 steps, graph replay")
    @MethodSource("jgan.testing.TestDevices#all")
    void runningStatisticsOverSteps(Target target) {
        Device dev = open(target);
        Layer l = new Layer("odd", Shape.of(3, 7, 5, 64), Activation.RELU);
        int rows = l.rows(), c = l.channels(), k = 4;
        Shape cs = Shape.of(c);
        Inputs[] batches = new Inputs[k];
        for (int s = 0; s < k; s++) {
            batches[s] = new Inputs(l, 1000 + s);
        }
        float[] rm0 = batches[0].runningMean, rv0 = batches[0].runningVar;
        float[] refMean = rm0, refVar = rv0;
        BatchNormReference.Forward ref = null;
        for (int s = 0; s < k; s++) {
            ref = BatchNormReference.forwardTrain(batches[s].x, rows, c, batches[0].gamma, batches[0].beta, refMean, refVar, MOMENTUM,
                    EPS, 1, SLOPE);
            refMean = ref.runningMean();
            refVar = ref.runningVar();
        }
        float[][] runs = new float[2][];
        for (int run = 0; run < 2; run++) {
            try (Tensor x = Tensor.of(dev, l.shape(), batches[0].x); Tensor gamma = Tensor.of(dev, cs, batches[0].gamma);
                 Tensor beta = Tensor.of(dev, cs, batches[0].beta); Tensor rm = Tensor.of(dev, cs, rm0); Tensor rv = Tensor.of(dev, cs, rv0);
                 Tensor y = Tensor.empty(dev, l.shape()); Tensor mean = Tensor.empty(dev, cs); Tensor invstd = Tensor.empty(dev, cs);
                 Tensor all = Tensor.empty(dev, Shape.of(k - 1, (int) l.shape().numel()))) {
                for (int s = 1; s < k; s++) {
                    all.view((long) (s - 1) * x.numel(), l.shape()).copyFrom(batches[s].x);
                }
                BatchNorm.forwardTrain(x, gamma, beta, y, mean, invstd, rm, rv, MOMENTUM, EPS, Activation.RELU, SLOPE);
                dev.beginCapture();
                x.copyFrom(all.view(0, l.shape()));
                BatchNorm.forwardTrain(x, gamma, beta, y, mean, invstd, rm, rv, MOMENTUM, EPS, Activation.RELU, SLOPE);
                try (Graph g = dev.endCapture()) {
                    for (int s = 1; s < k; s++) {
                        if (s > 1) {
                            // the graph copies from the first slot: move the next batch there
                            all.view(0, l.shape()).copyFrom(batches[s].x);
                        }
                        g.replay();
                    }
                }
                double[][] st = stats(batches[k - 1].x, rows, c);
                float[] rmOut = rm.toArray(), rvOut = rv.toArray();
                // after k steps the old statistics have decayed; the error scale is the batches' own
                assertRunning("after " + k + " steps", rmOut, rvOut, new BatchNormReference.Forward(null, null, null, refMean, refVar),
                        rm0, rv0, st[0], st[1], rows);
                assertStats("last step", mean.toArray(), invstd.toArray(), ref, st[0], st[1], EPS);
                runs[run] = concat(rmOut, rvOut, y.toArray());
            }
        }
        assertArrayEquals(runs[0], runs[1], "two runs give the same bits");
    }

    static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    /** A NaN in one element makes its channel's statistics and outputs NaN (as PyTorch), and leaves the other channels alone. */
    @ParameterizedTest(name = "[{0}] NaN propagates within its channel")
    @MethodSource("jgan.testing.TestDevices#all")
    void nanPropagates(Target target) {
        Device dev = open(target);
        Layer l = new Layer("odd", Shape.of(7, 3, 5, 3), Activation.RELU);
        int rows = l.rows(), c = l.channels();
        Inputs in = new Inputs(l, 17);
        in.x[40 * c + 1] = Float.NaN;
        Shape cs = Shape.of(c);
        try (Tensor x = Tensor.of(dev, l.shape(), in.x); Tensor gamma = Tensor.of(dev, cs, in.gamma);
             Tensor beta = Tensor.of(dev, cs, in.beta); Tensor y = Tensor.empty(dev, l.shape()); Tensor mean = Tensor.empty(dev, cs);
             Tensor invstd = Tensor.empty(dev, cs); Tensor rm = Tensor.of(dev, cs, in.runningMean); Tensor rv = Tensor.of(dev, cs, in.runningVar)) {
            BatchNorm.forwardTrain(x, gamma, beta, y, mean, invstd, rm, rv, MOMENTUM, EPS, l.act(), SLOPE);
            BatchNormReference.Forward ref = BatchNormReference.forwardTrain(in.x, rows, c, in.gamma, in.beta, in.runningMean,
                    in.runningVar, MOMENTUM, EPS, l.act().code, SLOPE);
            float[] yOut = y.toArray();
            for (int r = 0; r < rows; r++) {
                assertTrue(Float.isNaN(yOut[r * c + 1]), "row " + r + " of the NaN channel (ReLU passes NaN, as PyTorch)");
                assertTrue(Float.isFinite(yOut[r * c]) && Float.isFinite(yOut[r * c + 2]), "row " + r + " of the other channels");
            }
            assertTrue(Float.isNaN(mean.toArray()[1]) && Float.isNaN(rm.toArray()[1]) && Float.isNaN(rv.toArray()[1]));
            double[][] st = stats(in.x, rows, c);
            Tolerance.assertWithinSumError("y", yOut, ref.y(), outputMagnitude(in.x, rows, c, in.gamma, in.beta, st[0], st[1], EPS),
                    1e-6, REL); // NaN where the reference has NaN, close elsewhere
        }
    }

    /**
     * Values far from zero (1000 + N(0, 1)): the two-pass partials and Chan's combination keep the
     * variance accurate where sum of squares - n mean^2 in float would lose it entirely.
     */
    @ParameterizedTest(name = "[{0}] variance of values far from zero")
    @MethodSource("jgan.testing.TestDevices#all")
    void varianceFarFromZero(Target target) {
        Device dev = open(target);
        Layer l = new Layer("odd", Shape.of(7, 31, 29, 3), Activation.IDENTITY);
        int rows = l.rows(), c = l.channels();
        float[] x = RandomData.normal(new SplittableRandom(8), (int) l.shape().numel(), 1.0);
        for (int i = 0; i < x.length; i++) {
            x[i] += 1000f;
        }
        float[] ones = {1, 1, 1}, zeros = {0, 0, 0};
        Shape cs = Shape.of(c);
        try (Tensor tx = Tensor.of(dev, l.shape(), x); Tensor gamma = Tensor.of(dev, cs, ones); Tensor beta = Tensor.of(dev, cs, zeros);
             Tensor y = Tensor.empty(dev, l.shape()); Tensor mean = Tensor.empty(dev, cs); Tensor invstd = Tensor.empty(dev, cs);
             Tensor rm = Tensor.of(dev, cs, zeros); Tensor rv = Tensor.of(dev, cs, ones)) {
            BatchNorm.forwardTrain(tx, gamma, beta, y, mean, invstd, rm, rv, 1f, EPS, Activation.IDENTITY, 0f);
            BatchNormReference.Forward ref = BatchNormReference.forwardTrain(x, rows, c, ones, zeros, zeros, ones, 1.0, EPS, 0, 0);
            Tolerance.assertClose("invstd", invstd.toArray(), ref.invstd(), 0, 1e-5);
            Tolerance.assertClose("running_var (momentum 1: the unbiased variance)", rv.toArray(), ref.runningVar(), 0, 1e-5);
            Tolerance.assertClose("mean", mean.toArray(), ref.mean(), 0, 1e-6);
        }
    }

    /** Eval mode takes one row (a single sample through a trained generator), in place too, as PyTorch's eval BatchNorm does. */
    @ParameterizedTest(name = "[{0}] eval of one row, in place")
    @MethodSource("jgan.testing.TestDevices#all")
    void evalOfOneRow(Target target) {
        Device dev = open(target);
        for (Layer l : new Layer[] {new Layer("one sample", Shape.of(1, 5), Activation.TANH),
            new Layer("one pixel", Shape.of(1, 1, 1, 200), Activation.LEAKY_RELU)}) {
            Inputs in = new Inputs(l, 23);
            int c = l.channels();
            Shape cs = Shape.of(c);
            try (Tensor x = Tensor.of(dev, l.shape(), in.x); Tensor gamma = Tensor.of(dev, cs, in.gamma);
                 Tensor beta = Tensor.of(dev, cs, in.beta); Tensor rm = Tensor.of(dev, cs, in.runningMean);
                 Tensor rv = Tensor.of(dev, cs, in.runningVar)) {
                BatchNorm.forwardEval(x, gamma, beta, rm, rv, x, EPS, l.act(), SLOPE);
                float[] ref = BatchNormReference.forwardEval(in.x, 1, c, in.gamma, in.beta, in.runningMean, in.runningVar, EPS,
                        l.act().code, SLOPE);
                double[] rmd = new double[c], rvd = new double[c];
                for (int j = 0; j < c; j++) {
                    rmd[j] = in.runningMean[j];
                    rvd[j] = in.runningVar[j];
                }
                Tolerance.assertWithinSumError(l + " eval", x.toArray(), ref,
                        outputMagnitude(in.x, 1, c, in.gamma, in.beta, rmd, rvd, EPS), 1e-6, REL);
                Tolerance.assertClose("running statistics untouched", rm.toArray(), in.runningMean, 0, 0);
            }
        }
    }

    /**
     * The elementwise passes give the same bits whatever the grid: the face's grid (one pass of 4
     * rows a thread here) and one block per channel group (the grid-stride loop going round 14
     * times, with a partial last batch of rows).
     */
    @ParameterizedTest(name = "[{0}] elementwise passes independent of the grid")
    @MethodSource("jgan.testing.TestDevices#all")
    void elementwisePassesIndependentOfGrid(Target target) {
        Device dev = open(target);
        Layer l = new Layer("odd", Shape.of(7, 9, 7, 131), Activation.TANH);
        int rows = l.rows(), c = l.channels(), act = l.act().code;
        BatchNorm.Dims d = new BatchNorm.Dims(rows, c);
        Inputs in = new Inputs(l, 41);
        Shape cs = Shape.of(c);
        LaunchConfig narrow = new LaunchConfig(new Dim3(1, BatchNorm.groups(c), 1), Dim3.of(BatchNorm.THREADS), 0);
        assertEquals(5, narrow.grid().y());
        assertTrue(BatchNorm.rowGrid("test", d).grid().x() > 1, "the face's grid has several blocks a group");
        try (Tensor x = Tensor.of(dev, l.shape(), in.x); Tensor gamma = Tensor.of(dev, cs, in.gamma);
             Tensor beta = Tensor.of(dev, cs, in.beta); Tensor rm = Tensor.of(dev, cs, in.runningMean);
             Tensor rv = Tensor.of(dev, cs, in.runningVar); Tensor dy = Tensor.of(dev, l.shape(), in.dy);
             Tensor y1 = Tensor.empty(dev, l.shape()); Tensor y2 = Tensor.empty(dev, l.shape());
             Tensor e1 = Tensor.empty(dev, l.shape()); Tensor e2 = Tensor.empty(dev, l.shape());
             Tensor dx1 = Tensor.empty(dev, l.shape()); Tensor dx2 = Tensor.empty(dev, l.shape());
             Tensor mean = Tensor.empty(dev, cs); Tensor invstd = Tensor.empty(dev, cs);
             Tensor partials = Tensor.empty(dev, Shape.of(BatchNorm.chunks(d), c, 2)); Tensor sums = Tensor.empty(dev, Shape.of(c, 2))) {
            for (Tensor t : new Tensor[] {y2, e2, dx2}) {
                t.fill(Float.NaN);
            }
            BatchNorm.forwardTrain(x, gamma, beta, y1, mean, invstd, null, null, MOMENTUM, EPS, l.act(), SLOPE);
            dev.launch(BatchNorm.FORWARD_TRAIN, narrow, new KernelArgs().ptr(x).ptr(mean).ptr(invstd).ptr(gamma).ptr(beta).ptr(y2)
                    .i32(rows).i32(c).i32(act).f32(SLOPE));
            assertArrayEquals(y1.toArray(), y2.toArray(), "forward_train");

            BatchNorm.forwardEval(x, gamma, beta, rm, rv, e1, EPS, l.act(), SLOPE);
            dev.launch(BatchNorm.FORWARD_EVAL, narrow, new KernelArgs().ptr(x).ptr(rm).ptr(rv).ptr(gamma).ptr(beta).ptr(e2)
                    .i32(rows).i32(c).f32(EPS).i32(act).f32(SLOPE));
            assertArrayEquals(e1.toArray(), e2.toArray(), "forward_eval");

            BatchNorm.backward(dy, y1, x, gamma, mean, invstd, dx1, null, null, l.act(), SLOPE, false);
            dev.launch(BatchNorm.BACKWARD_REDUCE, BatchNorm.chunkGrid("test", d), new KernelArgs().ptr(dy).ptr(y1).ptr(x).ptr(mean)
                    .ptr(invstd).ptr(partials).i32(rows).i32(c).i32(act).f32(SLOPE));
            dev.launch(BatchNorm.BACKWARD_FINALIZE, BatchNorm.channelGrid(c), new KernelArgs().ptr(partials).ptr(sums).ptr(null)
                    .ptr(null).i32(BatchNorm.chunks(d)).i32(c).i32(0));
            dev.launch(BatchNorm.BACKWARD_DATA, narrow, new KernelArgs().ptr(dy).ptr(y1).ptr(x).ptr(mean).ptr(invstd).ptr(gamma)
                    .ptr(sums).ptr(dx2).i32(rows).i32(c).i32(act).f32(SLOPE));
            assertArrayEquals(dx1.toArray(), dx2.toArray(), "backward_data");
        }
    }

    /**
     * gamma and beta as views into a network's flat parameter buffer, dgamma and dbeta into its
     * flat gradient buffer, accumulated: the neighbouring gradients are untouched.
     */
    @ParameterizedTest(name = "[{0}] views into flat parameter and gradient buffers")
    @MethodSource("jgan.testing.TestDevices#all")
    void viewsIntoFlatBuffers(Target target) {
        Device dev = open(target);
        Layer l = new Layer("odd", Shape.of(3, 5, 5, 5), Activation.LEAKY_RELU);
        int rows = l.rows(), c = l.channels();
        Inputs in = new Inputs(l, 77);
        float[] params = new float[3 + 2 * c + 4];
        System.arraycopy(in.gamma, 0, params, 3, c);
        System.arraycopy(in.beta, 0, params, 3 + c, c);
        float[] grads = new float[params.length];
        Arrays.fill(grads, 7f);
        Shape cs = Shape.of(c);
        try (Tensor p = Tensor.of(dev, Shape.of(params.length), params); Tensor g = Tensor.of(dev, Shape.of(grads.length), grads);
             Tensor x = Tensor.of(dev, l.shape(), in.x); Tensor dy = Tensor.of(dev, l.shape(), in.dy); Tensor y = Tensor.empty(dev, l.shape());
             Tensor dx = Tensor.empty(dev, l.shape()); Tensor mean = Tensor.empty(dev, cs); Tensor invstd = Tensor.empty(dev, cs)) {
            Tensor gamma = p.view(3, cs), beta = p.view(3 + c, cs), dgamma = g.view(3, cs), dbeta = g.view(3 + c, cs);
            BatchNorm.forwardTrain(x, gamma, beta, y, mean, invstd, null, null, MOMENTUM, EPS, l.act(), SLOPE);
            BatchNorm.backward(dy, y, x, gamma, mean, invstd, dx, dgamma, dbeta, l.act(), SLOPE, true);
            BatchNormReference.Backward ref = BatchNormReference.backward(in.dy, y.toArray(), in.x, rows, c, in.gamma, mean.toArray(),
                    invstd.toArray(), l.act().code, SLOPE);
            float[] out = g.toArray(), want = grads.clone();
            for (int j = 0; j < c; j++) {
                want[3 + j] += ref.dgamma()[j];
                want[3 + c + j] += ref.dbeta()[j];
            }
            Tolerance.assertClose("flat gradient buffer", out, want, 1e-4, 1e-5);
            for (int i : new int[] {0, 1, 2, 3 + 2 * c, 4 + 2 * c, 5 + 2 * c, 6 + 2 * c}) {
                assertEquals(7f, out[i], "gradient " + i + " outside dgamma/dbeta");
            }
        }
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void badInputIsRefusedBeforeLaunch() {
        Device dev = TestDevices.host();
        try (Tensor x = Tensor.zeros(dev, Shape.of(2, 3, 3, 4)); Tensor y = Tensor.zeros(dev, Shape.of(2, 3, 3, 4));
             Tensor yBad = Tensor.zeros(dev, Shape.of(2, 3, 4, 3)); Tensor c4 = Tensor.zeros(dev, Shape.of(4));
             Tensor c4b = Tensor.zeros(dev, Shape.of(4)); Tensor c4c = Tensor.zeros(dev, Shape.of(4));
             Tensor c4d = Tensor.zeros(dev, Shape.of(4)); Tensor c4e = Tensor.zeros(dev, Shape.of(4)); Tensor c4f = Tensor.zeros(dev, Shape.of(4));
             Tensor c3 = Tensor.zeros(dev, Shape.of(3)); Tensor x3 = Tensor.zeros(dev, Shape.of(2, 3, 4));
             Tensor one = Tensor.zeros(dev, Shape.of(1, 4)); Tensor oneImage = Tensor.zeros(dev, Shape.of(1, 1, 1, 4));
             Tensor pBad = Tensor.zeros(dev, Shape.of(2, 3, 3)); Tensor pGood = Tensor.zeros(dev, Shape.of(2, 4, 3));
             Tensor pWrongP = Tensor.zeros(dev, Shape.of(3, 4, 3))) {
            // y's shape differs from x's
            expect(() -> BatchNorm.forwardTrain(x, c4, c4b, yBad, c4c, c4d, c4e, c4f, 0.1f, 1e-5f, Activation.RELU, 0f),
                    "batch_norm_forward_train", "[2, 3, 4, 3]", "[2, 3, 3, 4]");
            // gamma of the wrong length
            expect(() -> BatchNorm.forwardTrain(x, c3, c4b, y, c4c, c4d, c4e, c4f, 0.1f, 1e-5f, Activation.RELU, 0f), "gamma [3]",
                    "4 elements");
            // running_var of the wrong length, and only one of the running statistics
            expect(() -> BatchNorm.forwardTrain(x, c4, c4b, y, c4c, c4d, c4e, c3, 0.1f, 1e-5f, Activation.RELU, 0f), "running_var [3]");
            expect(() -> BatchNorm.forwardTrain(x, c4, c4b, y, c4c, c4d, c4e, null, 0.1f, 1e-5f, Activation.RELU, 0f), "together");
            // x of rank 3
            expect(() -> BatchNorm.forwardTrain(x3, c4, c4b, x3, c4c, c4d, c4e, c4f, 0.1f, 1e-5f, Activation.RELU, 0f), "[2, 3, 4]",
                    "NHWC");
            // momentum outside [0, 1], eps <= 0, a negative slope
            expect(() -> BatchNorm.forwardTrain(x, c4, c4b, y, c4c, c4d, c4e, c4f, 1.5f, 1e-5f, Activation.RELU, 0f), "momentum", "1.5");
            expect(() -> BatchNorm.forwardTrain(x, c4, c4b, y, c4c, c4d, c4e, c4f, -0.1f, 1e-5f, Activation.RELU, 0f), "momentum");
            expect(() -> BatchNorm.forwardTrain(x, c4, c4b, y, c4c, c4d, c4e, c4f, Float.NaN, 1e-5f, Activation.RELU, 0f), "momentum");
            expect(() -> BatchNorm.forwardTrain(x, c4, c4b, y, c4c, c4d, c4e, c4f, 0.1f, 0f, Activation.RELU, 0f), "eps");
            expect(() -> BatchNorm.forwardEval(x, c4, c4b, c4e, c4f, y, -1e-5f, Activation.RELU, 0f), "batch_norm_forward_eval", "eps");
            expect(() -> BatchNorm.forwardTrain(x, c4, c4b, y, c4c, c4d, c4e, c4f, 0.1f, 1e-5f, Activation.LEAKY_RELU, -0.2f), "slope");
            // one value per channel in training ([1, C] and [1, 1, 1, C]), as PyTorch refuses it; eval takes it
            expect(() -> BatchNorm.forwardTrain(one, c4, c4b, one, c4c, c4d, c4e, c4f, 0.1f, 1e-5f, Activation.RELU, 0f),
                    "more than 1 value per channel", "[1, 4]");
            expect(() -> BatchNorm.forwardTrain(oneImage, c4, c4b, oneImage, c4c, c4d, c4e, c4f, 0.1f, 1e-5f, Activation.RELU, 0f),
                    "more than 1 value per channel", "[1, 1, 1, 4]");
            expect(() -> BatchNorm.backward(one, one, one, c4, c4c, c4d, one, c4e, c4f, Activation.RELU, 0f, false),
                    "more than 1 value per channel");
            // partials: wrong channel count, and statsPartials into a tensor of the wrong P
            expect(() -> BatchNorm.forwardTrain(x, pBad, c4, c4b, y, c4c, c4d, c4e, c4f, 0.1f, 1e-5f, Activation.RELU, 0f),
                    "partials [2, 3, 3]", "[P, 4, 3]");
            expect(() -> BatchNorm.statsPartials(x, pWrongP), "batch_norm_stats", "[3, 4, 3]", "[1, 4, 3]");
            // backward: dy of another shape, y missing for a non-identity activation
            expect(() -> BatchNorm.backward(yBad, y, x, c4, c4c, c4d, y, c4e, c4f, Activation.RELU, 0f, false), "dy [2, 3, 4, 3]");
            expect(() -> BatchNorm.backward(y, null, x, c4, c4c, c4d, y, c4e, c4f, Activation.TANH, 0f, false), "output y");
            expect(() -> BatchNorm.backward(y, y, x, c4, c4c, c4d, y, c3, c4f, Activation.TANH, 0f, false), "dgamma [3]");
            assertTrue(pGood.numel() > 0);
        }
        // tensors on different devices (a second host device: the sanitizer run keeps to the host runtime)
        try (HostDevice second = new HostDevice(); Tensor x = Tensor.zeros(dev, Shape.of(4, 2)); Tensor y = Tensor.zeros(dev, Shape.of(4, 2));
             Tensor c2 = Tensor.zeros(dev, Shape.of(2)); Tensor other = Tensor.zeros(second, Shape.of(2))) {
            expect(() -> BatchNorm.forwardTrain(x, other, c2, y, c2, c2, null, null, 0.1f, 1e-5f, Activation.RELU, 0f),
                    "batch_norm_forward_train", "different devices");
            expect(() -> BatchNorm.forwardEval(x, c2, c2, c2, other, y, 1e-5f, Activation.RELU, 0f), "different devices");
        }
    }

    static void expect(org.junit.jupiter.api.function.Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
    }

    /** The grids the shapes above take: one chunk and many, narrow and wide channel groups. */
    @Test
    void gridsFollowTheShape() {
        assertEquals(4096, BatchNorm.chunkRows(1));
        assertEquals(1360, BatchNorm.chunkRows(3));
        assertEquals(64, BatchNorm.chunkRows(64));
        assertEquals(128, BatchNorm.chunkRows(512));
        assertEquals(Shape.of(2, 1, 3), BatchNorm.statsPartialsShape(Shape.of(7, 31, 29, 1)));
        assertEquals(Shape.of(32, 64, 3), BatchNorm.statsPartialsShape(Shape.of(2, 32, 32, 64)));
        assertEquals(Shape.of(1, 6272, 3), BatchNorm.statsPartialsShape(Shape.of(2, 6272)));
        assertEquals(196, BatchNorm.groups(6272));
        assertEquals(5, BatchNorm.groups(131));
    }
}
