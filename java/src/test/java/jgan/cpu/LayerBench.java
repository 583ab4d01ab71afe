package jgan.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import jgan.device.CpuDevice;
import jgan.device.Device;
import jgan.kernels.Activation;
import jgan.kernels.BatchNorm;
import jgan.kernels.Conv2d;
import jgan.kernels.ConvProblem;
import jgan.kernels.ConvTranspose2d;
import jgan.kernels.MathMode;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;
import jgan.testing.RandomData;

/**
 * By hand, not a test: the jgan side of bench/cpu/layers.sh. Times each layer of
 * bench/cpu/layers.txt on the cpu device, FP32, identity activations (the passes alone):
 * conv fprop / dgrad / wgrad (with the bias gradient where the layer has a bias), a transposed
 * convolution's forward / backward data / backward weight under the same three names, and
 * batch norm's training forward (statistics included) as "fprop" and its backward (dx, dgamma,
 * dbeta) as "dgrad". Prints {@code jgan <model> <layer> <pass> <median ms>}, the median of
 * {@code reps} timed calls after {@code warmup} calls.
 *
 * <p>Usage: {@code LayerBench <layers.txt> [threads] [warmup] [reps]}.
 */
public final class LayerBench {
    private LayerBench() {
    }

    record Layer(String model, String name, String kind, int n, int h, int w, int cin, int cout, int filter, int stride, int pad,
                 boolean bias) {
    }

    static List<Layer> read(Path file) throws IOException {
        List<Layer> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            int hash = line.indexOf('#');
            String s = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (s.isEmpty()) {
                continue;
            }
            String[] f = s.split("\\s+");
            out.add(new Layer(f[0], f[1], f[2], Integer.parseInt(f[3]), Integer.parseInt(f[4]), Integer.parseInt(f[5]),
                    Integer.parseInt(f[6]), Integer.parseInt(f[7]), Integer.parseInt(f[8]), Integer.parseInt(f[9]),
                    Integer.parseInt(f[10]), f[11].equals("1")));
        }
        return out;
    }

    public static void main(String[] args) throws IOException {
        List<Layer> layers = read(Path.of(args[0]));
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 3, reps = args.length > 3 ? Integer.parseInt(args[3]) : 7;
        try (CpuDevice dev = new CpuDevice(threads)) {
            System.err.println("jgan: " + dev.description());
            for (Layer l : layers) {
                if (l.kind.equals("bn")) {
                    bn(dev, l, warmup, reps);
                } else {
                    conv(dev, l, warmup, reps);
                }
            }
        }
    }

    private static Tensor random(Device d, Shape s, SplittableRandom r) {
        return Tensor.of(d, s, RandomData.normal(r, (int) s.numel(), 1));
    }

    private static void conv(Device d, Layer l, int warmup, int reps) {
        SplittableRandom r = new SplittableRandom(1);
        boolean t = l.kind.equals("convT");
        ConvProblem pr = t ? ConvProblem.transposed(l.n, l.h, l.w, l.cin, l.cout, l.filter, l.stride, l.pad, 0, 1)
                : ConvProblem.of(l.n, l.h, l.w, l.cin, l.cout, l.filter, l.stride, l.pad, 1);
        // the layer's input and output in the problem's terms: a convolution reads [N,H,W,C] and writes [N,P,Q,K];
        // a transposed one reads [N,P,Q,K] and writes [N,H,W,C]
        Shape in = t ? pr.outputShape() : pr.inputShape(), out = t ? pr.inputShape() : pr.outputShape();
        int outChannels = l.cout;
        try (Tensor x = random(d, in, r); Tensor w = random(d, pr.filterShape(), r); Tensor y = Tensor.empty(d, out);
             Tensor dy = random(d, out, r); Tensor dx = Tensor.empty(d, in); Tensor dw = Tensor.empty(d, pr.filterShape());
             Tensor b = l.bias ? random(d, Shape.of(outChannels), r) : null;
             Tensor db = l.bias ? Tensor.empty(d, Shape.of(outChannels)) : null) {
            Runnable fprop, dgrad, wgrad;
            if (t) {
                fprop = () -> ConvTranspose2d.forward(pr, x, w, b, y, Activation.IDENTITY, 0f, MathMode.FP32);
                dgrad = () -> ConvTranspose2d.backwardData(pr, dy, null, w, dx, Activation.IDENTITY, 0f, MathMode.FP32);
                wgrad = () -> ConvTranspose2d.backwardWeight(pr, dy, null, x, dw, db, Activation.IDENTITY, 0f, false, MathMode.FP32);
            } else {
                fprop = () -> Conv2d.fprop(pr, x, w, b, y, Activation.IDENTITY, 0f, MathMode.FP32, null);
                dgrad = () -> Conv2d.dgrad(pr, dy, null, w, dx, Activation.IDENTITY, 0f, false, MathMode.FP32);
                wgrad = () -> Conv2d.wgrad(pr, dy, null, x, dw, db, Activation.IDENTITY, 0f, false, MathMode.FP32);
            }
            report(l, "fprop", time(d, fprop, warmup, reps));
            report(l, "dgrad", time(d, dgrad, warmup, reps));
            report(l, "wgrad", time(d, wgrad, warmup, reps));
        }
    }

    private static void bn(Device d, Layer l, int warmup, int reps) {
        SplittableRandom r = new SplittableRandom(2);
        Shape s = l.h == 1 && l.w == 1 ? Shape.of(l.n, l.cin) : Shape.of(l.n, l.h, l.w, l.cin);
        Shape cs = Shape.of(l.cin);
        try (Tensor x = random(d, s, r); Tensor g = random(d, cs, r); Tensor b = random(d, cs, r); Tensor y = Tensor.empty(d, s);
             Tensor mean = Tensor.empty(d, cs); Tensor invstd = Tensor.empty(d, cs); Tensor rm = Tensor.zeros(d, cs);
             Tensor rv = Tensor.zeros(d, cs); Tensor dy = random(d, s, r); Tensor dx = Tensor.empty(d, s);
             Tensor dg = Tensor.empty(d, cs); Tensor db = Tensor.empty(d, cs)) {
            Runnable fwd = () -> BatchNorm.forwardTrain(x, g, b, y, mean, invstd, rm, rv, BatchNorm.DEFAULT_MOMENTUM, BatchNorm.DEFAULT_EPS,
                    Activation.IDENTITY, 0f);
            Runnable bwd = () -> BatchNorm.backward(dy, null, x, g, mean, invstd, dx, dg, db, Activation.IDENTITY, 0f, false);
            report(l, "fprop", time(d, fwd, warmup, reps));
            report(l, "dgrad", time(d, bwd, warmup, reps));
        }
    }

    private static void report(Layer l, String pass, double ms) {
        System.out.printf("jgan %s %s %s %.4f%n", l.model, l.name, pass, ms);
        System.out.flush();
    }

    /** Median ms of {@code reps} calls after {@code warmup}. */
    private static double time(Device d, Runnable call, int warmup, int reps) {
        for (int i = 0; i < warmup; i++) {
            call.run();
        }
        d.synchronize();
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            call.run();
            d.synchronize();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[reps / 2];
    }
}
