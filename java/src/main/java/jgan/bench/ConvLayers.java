package jgan.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import jgan.device.CudaDevice;
import jgan.device.Device;
import jgan.device.DeviceEvent;
import jgan.device.Devices;
import jgan.kernels.Activation;
import jgan.kernels.BatchNorm;
import jgan.kernels.Conv2d;
import jgan.kernels.ConvProblem;
import jgan.kernels.ConvTranspose2d;
import jgan.kernels.MathMode;
import jgan.reference.BatchNormReference;
import jgan.reference.ConvReference;
import jgan.reference.DenseReference.Rounding;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * The per-layer microbenchmark of the convolution family: every conv, transposed conv and batch
 * norm of DCGAN-64 (nz 100, ngf = ndf = 64, 3 channels, k4; NHWC), each pass on its own — conv
 * and convT fprop, dgrad, wgrad; batch norm forward (training, statistics by its own kernel) and
 * backward — in FP32 and TF32. bench/gpu/run.sh runs it beside bench/gpu/conv_layers_torch.py
 * (PyTorch + cuDNN on the same shapes) and bench/gpu/compare_layers.py joins the two.
 *
 * <p>Before anything is timed, every pass is run at batch 2 and compared with the double
 * reference ({@link ConvReference}, {@link BatchNormReference}): a wrong kernel is reported, not
 * timed. On a GPU the passes are then timed with device events: {@code --iters} launches after
 * {@code --warmup}, median of {@code --repeats} runs, milliseconds per launch; GFLOP/s counts
 * 2*N*P*Q*K*R*S*C per conv pass (padding counted, as cuDNN benchmarks do), and the fraction is
 * of the H200's datasheet peaks (FP32 67, TF32 dense 495 TFLOP/s). Without a GPU only the
 * correctness check runs, and it says so (the host runtime and the cpu device are no place to
 * time GPU kernels).
 *
 * <pre>
 *   java -cp jgan.jar:lib/* jgan.bench.ConvLayers [--device auto|cuda|host|cpu] [--batch 128]
 *        [--warmup 10] [--iters 50] [--repeats 5] [--json FILE] [--time]   (--time: time even without a GPU)
 * </pre>
 * Exit status 1 when a check fails.
 */
public final class ConvLayers {
    static final double FP32_PEAK_TFLOPS = 67.0, TF32_PEAK_TFLOPS = 495.0;

    /** A conv (D) or transposed conv (G) layer of DCGAN-64: input spatial size, channels in/out, stride, padding; k4. */
    record Layer(String name, boolean transposed, int cIn, int cOut, int size, int stride, int pad) {
        /** The convolution problem at batch n (for convT: the mirrored problem). */
        ConvProblem problem(int n) {
            return transposed ? ConvProblem.transposed(n, size, size, cIn, cOut, 4, stride, pad, 0, 1)
                    : ConvProblem.of(n, size, size, cIn, cOut, 4, stride, pad, 1);
        }
    }

    /** A batch norm of DCGAN-64: channels and spatial size. */
    record Norm(String name, int channels, int size) {
    }

    static List<Layer> layers() {
        int nz = 100, ngf = 64, ndf = 64, nc = 3;
        return List.of(
                new Layer("G.convT1", true, nz, ngf * 8, 1, 1, 0),
                new Layer("G.convT2", true, ngf * 8, ngf * 4, 4, 2, 1),
                new Layer("G.convT3", true, ngf * 4, ngf * 2, 8, 2, 1),
                new Layer("G.convT4", true, ngf * 2, ngf, 16, 2, 1),
                new Layer("G.convT5", true, ngf, nc, 32, 2, 1),
                new Layer("D.conv1", false, nc, ndf, 64, 2, 1),
                new Layer("D.conv2", false, ndf, ndf * 2, 32, 2, 1),
                new Layer("D.conv3", false, ndf * 2, ndf * 4, 16, 2, 1),
                new Layer("D.conv4", false, ndf * 4, ndf * 8, 8, 2, 1),
                new Layer("D.conv5", false, ndf * 8, 1, 4, 1, 0));
    }

    static List<Norm> norms() {
        return List.of(new Norm("G.bn1", 512, 4), new Norm("G.bn2", 256, 8), new Norm("G.bn3", 128, 16), new Norm("G.bn4", 64, 32),
                new Norm("D.bn2", 128, 16), new Norm("D.bn3", 256, 8), new Norm("D.bn4", 512, 4));
    }

    /** One timed row, written as a JSON line with the keys compare_layers.py reads. */
    record Row(String layer, String pass, String math, int batch, double ms, double msMin, double msMax, double gflops,
               double peakFraction, double gbytesPerS) {
        String json() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                    "{\"peer\": \"jgan\", \"layer\": \"%s\", \"pass\": \"%s\", \"math\": \"%s\", \"batch\": %d, \"ms\": %.6f, "
                            + "\"ms_min\": %.6f, \"ms_max\": %.6f", layer, pass, math, batch, ms, msMin, msMax));
            if (!Double.isNaN(gflops)) {
                b.append(String.format(Locale.ROOT, ", \"gflops\": %.3f, \"peak_fraction\": %.6f", gflops, peakFraction));
            }
            if (!Double.isNaN(gbytesPerS)) {
                b.append(String.format(Locale.ROOT, ", \"gbytes_per_s\": %.3f", gbytesPerS));
            }
            return b.append('}').toString();
        }
    }

    public static void main(String[] args) throws IOException {
        String device = "auto", json = null;
        int batch = 128, warmup = 10, iters = 50, repeats = 5;
        boolean forceTime = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--device" -> device = value(args, ++i, a);
                case "--batch" -> batch = positive(args, ++i, a);
                case "--warmup" -> warmup = positive(args, ++i, a);
                case "--iters" -> iters = positive(args, ++i, a);
                case "--repeats" -> repeats = positive(args, ++i, a);
                case "--json" -> json = value(args, ++i, a);
                case "--time" -> forceTime = true;
                case "--help", "-h" -> {
                    System.out.println("usage: ConvLayers [--device auto|cuda|host|cpu] [--batch 128] [--warmup 10] [--iters 50] "
                            + "[--repeats 5] [--json FILE] [--time]");
                    return;
                }
                default -> {
                    System.err.println("ConvLayers: unknown option '" + a + "' (--help lists them)");
                    System.exit(2);
                }
            }
        }
        PrintStream out = System.out;
        int failures;
        List<Row> rows = new ArrayList<>();
        try (Device d = Devices.open(device)) {
            boolean gpu = d instanceof CudaDevice;
            List<MathMode> modes = gpu && ((CudaDevice) d).computeCapability() >= 80 ? List.of(MathMode.FP32, MathMode.TF32)
                    : List.of(MathMode.FP32);
            out.println("jgan ConvLayers: DCGAN-64 conv/convT/BN layers on " + d.description());
            failures = check(d, modes, out);
            if (failures > 0) {
                out.println("ConvLayers: " + failures + " check(s) FAILED: nothing timed");
                System.exit(1);
            }
            if (!gpu && !forceTime) {
                out.println("no GPU: correctness checked only (every pass at batch 2 against the double reference); nothing timed");
                return;
            }
            for (MathMode mode : modes) {
                for (Layer l : layers()) {
                    rows.addAll(timeLayer(d, l, batch, mode, warmup, iters, repeats));
                }
                for (Norm nm : norms()) {
                    rows.addAll(timeNorm(d, nm, batch, mode, warmup, iters, repeats));
                }
            }
        }
        out.printf(Locale.ROOT, "batch %d; median of %d runs of %d launches after %d warm-up, device events%n", batch, repeats, iters,
                warmup);
        out.printf(Locale.ROOT, "%-10s %-8s %-5s %9s %9s %8s %8s%n", "layer", "pass", "math", "ms", "GFLOP/s", "of peak", "GB/s");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%-10s %-8s %-5s %9.4f %9s %8s %8s%n", r.layer, r.pass, r.math, r.ms,
                    Double.isNaN(r.gflops) ? "" : String.format(Locale.ROOT, "%.0f", r.gflops),
                    Double.isNaN(r.peakFraction) ? "" : String.format(Locale.ROOT, "%.1f%%", 100 * r.peakFraction),
                    Double.isNaN(r.gbytesPerS) ? "" : String.format(Locale.ROOT, "%.0f", r.gbytesPerS));
        }
        if (json != null) {
            try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(Path.of(json), StandardCharsets.UTF_8))) {
                for (Row r : rows) {
                    w.println(r.json());
                }
            }
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            System.err.println("ConvLayers: " + option + " needs a value");
            System.exit(2);
        }
        return args[i];
    }

    private static int positive(String[] args, int i, String option) {
        String v = value(args, i, option);
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        System.err.println("ConvLayers: " + option + " must be an integer >= 1, got '" + v + "'");
        System.exit(2);
        return 0;
    }

    static float[] normal(SplittableRandom r, long n, double std) {
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) {
            // Box-Muller on the generator's doubles: plain and dependency-free
            double u1 = 1 - r.nextDouble(), u2 = r.nextDouble();
            v[i] = (float) (std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
        }
        return v;
    }

    /** max |got - want| / max |want|: a scale-free error for random inputs. */
    static double relError(float[] got, float[] want) {
        double err = 0, scale = 1e-30;
        for (int i = 0; i < want.length; i++) {
            double e = Math.abs((double) got[i] - want[i]);
            err = Double.isNaN(e) ? Double.POSITIVE_INFINITY : Math.max(err, e);
            scale = Math.max(scale, Math.abs(want[i]));
        }
        return err / scale;
    }

    /** Every pass at batch 2 against the reference (FP32 and TF32 with TF32 tolerance); returns the number of failures. */
    static int check(Device d, List<MathMode> modes, PrintStream out) {
        int failures = 0, checks = 0;
        SplittableRandom rnd = new SplittableRandom(64);
        for (MathMode mode : modes) {
            double tol = mode == MathMode.TF32 ? 1e-2 : 1e-4;
            for (Layer l : layers()) {
                ConvProblem pr = l.problem(2);
                float[] a = normal(rnd, pr.n() * (long) (l.transposed ? pr.p() * pr.q() * pr.k() : pr.h() * pr.w() * pr.c()), 1);
                float[] w = normal(rnd, pr.filterShape().numel(), 0.05);
                float[] g = normal(rnd, pr.n() * (long) (l.transposed ? pr.h() * pr.w() * pr.c() : pr.p() * pr.q() * pr.k()), 1);
                Shape in = l.transposed ? pr.outputShape() : pr.inputShape(), outShape = l.transposed ? pr.inputShape() : pr.outputShape();
                try (Tensor x = Tensor.of(d, in, a); Tensor tw = Tensor.of(d, pr.filterShape(), w); Tensor y = Tensor.empty(d, outShape);
                     Tensor dy = Tensor.of(d, outShape, g); Tensor dx = Tensor.empty(d, in); Tensor dw = Tensor.empty(d, pr.filterShape())) {
                    float[] fWant, dWant, wWant;
                    if (l.transposed) {
                        ConvTranspose2d.forward(pr, x, tw, null, y, Activation.IDENTITY, 0f, mode);
                        ConvTranspose2d.backwardData(pr, dy, null, tw, dx, Activation.IDENTITY, 0f, mode);
                        ConvTranspose2d.backwardWeight(pr, dy, null, x, dw, null, Activation.IDENTITY, 0f, false, mode);
                        fWant = ConvReference.transposedForward(pr, a, w, null, 0, 0f, Rounding.NONE);
                        // y: the forward's output, which the backward reads for act' (identity here: values unused)
                        dWant = ConvReference.transposedBackwardData(pr, g, fWant, w, 0, 0f, Rounding.NONE);
                        wWant = ConvReference.transposedBackwardWeight(pr, g, fWant, a, 0, 0f, Rounding.NONE)[0];
                    } else {
                        Conv2d.fprop(pr, x, tw, null, y, Activation.IDENTITY, 0f, mode, null);
                        Conv2d.dgrad(pr, dy, null, tw, dx, Activation.IDENTITY, 0f, false, mode);
                        Conv2d.wgrad(pr, dy, null, x, dw, null, Activation.IDENTITY, 0f, false, mode);
                        fWant = ConvReference.fprop(pr, a, w, null, 0, 0f, Rounding.NONE);
                        dWant = ConvReference.dgrad(pr, g, fWant, w, 0, 0f, Rounding.NONE);
                        wWant = ConvReference.wgrad(pr, g, fWant, a, 0, 0f, Rounding.NONE)[0];
                    }
                    String[] names = {"fprop", "dgrad", "wgrad"};
                    double[] errs = {relError(y.toArray(), fWant), relError(dx.toArray(), dWant), relError(dw.toArray(), wWant)};
                    for (int i = 0; i < 3; i++) {
                        checks++;
                        if (!(errs[i] <= tol)) {
                            failures++;
                            out.printf(Locale.ROOT, "CHECK FAILED %s %s %s: error %.3g > %.0e%n", l.name, names[i], mode, errs[i], tol);
                        }
                    }
                }
            }
            for (Norm nm : norms()) {
                int rows = 2 * nm.size * nm.size, ch = nm.channels;
                Shape s = Shape.of(2, nm.size, nm.size, ch);
                float[] a = normal(rnd, (long) rows * ch, 1), g = normal(rnd, (long) rows * ch, 1);
                float[] gamma = normal(rnd, ch, 1), beta = normal(rnd, ch, 1);
                try (Tensor x = Tensor.of(d, s, a); Tensor y = Tensor.empty(d, s); Tensor dy = Tensor.of(d, s, g); Tensor dx = Tensor.empty(d, s);
                     Tensor tg = Tensor.of(d, Shape.of(ch), gamma); Tensor tb = Tensor.of(d, Shape.of(ch), beta);
                     Tensor mean = Tensor.empty(d, Shape.of(ch)); Tensor invstd = Tensor.empty(d, Shape.of(ch));
                     Tensor rm = Tensor.zeros(d, Shape.of(ch)); Tensor rv = Tensor.of(d, Shape.of(ch), ones(ch));
                     Tensor dg = Tensor.empty(d, Shape.of(ch)); Tensor db = Tensor.empty(d, Shape.of(ch))) {
                    BatchNorm.forwardTrain(x, tg, tb, y, mean, invstd, rm, rv, BatchNorm.DEFAULT_MOMENTUM, BatchNorm.DEFAULT_EPS,
                            Activation.IDENTITY, 0f);
                    BatchNorm.backward(dy, null, x, tg, mean, invstd, dx, dg, db, Activation.IDENTITY, 0f, false);
                    BatchNormReference.Forward f = BatchNormReference.forwardTrain(a, rows, ch, gamma, beta, null, null, 0.1,
                            BatchNorm.DEFAULT_EPS, 0, 0);
                    BatchNormReference.Backward b = BatchNormReference.backward(g, f.y(), a, rows, ch, gamma, f.mean(), f.invstd(), 0, 0);
                    double[] errs = {relError(y.toArray(), f.y()), relError(dx.toArray(), b.dx()), relError(dg.toArray(), b.dgamma())};
                    String[] names = {"forward", "backward dx", "backward dgamma"};
                    for (int i = 0; i < 3; i++) {
                        checks++;
                        if (!(errs[i] <= 1e-4)) {
                            failures++;
                            out.printf(Locale.ROOT, "CHECK FAILED %s %s: error %.3g > 1e-4%n", nm.name, names[i], errs[i]);
                        }
                    }
                }
            }
        }
        out.printf(Locale.ROOT, "checked %d passes at batch 2 against the double reference (%s): %d failed%n", checks,
                modes.size() == 2 ? "FP32 within 1e-4, TF32 within 1e-2 of the largest value" : "FP32 within 1e-4 of the largest value",
                failures);
        return failures;
    }

    static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }

    interface Pass {
        void run();
    }

    static double[] time(Device d, Pass p, int warmup, int iters, int repeats) {
        for (int i = 0; i < warmup; i++) {
            p.run();
        }
        d.synchronize();
        double[] ms = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            try (DeviceEvent start = d.recordEvent()) {
                for (int i = 0; i < iters; i++) {
                    p.run();
                }
                try (DeviceEvent end = d.recordEvent()) {
                    ms[r] = d.elapsedMillis(start, end) / iters;
                }
            }
        }
        Arrays.sort(ms);
        return new double[] {ms[repeats / 2], ms[0], ms[repeats - 1]};
    }

    static List<Row> timeLayer(Device d, Layer l, int batch, MathMode mode, int warmup, int iters, int repeats) {
        ConvProblem pr = l.problem(batch);
        SplittableRandom rnd = new SplittableRandom(7);
        Shape in = l.transposed ? pr.outputShape() : pr.inputShape(), outShape = l.transposed ? pr.inputShape() : pr.outputShape();
        List<Row> rows = new ArrayList<>();
        double peak = (mode == MathMode.TF32 ? TF32_PEAK_TFLOPS : FP32_PEAK_TFLOPS) * 1e3;
        String math = mode.name().toLowerCase(Locale.ROOT);
        try (Tensor x = Tensor.of(d, in, normal(rnd, in.numel(), 1)); Tensor w = Tensor.of(d, pr.filterShape(), normal(rnd, pr.filterShape().numel(), 0.02));
             Tensor y = Tensor.empty(d, outShape); Tensor dy = Tensor.of(d, outShape, normal(rnd, outShape.numel(), 1));
             Tensor dx = Tensor.empty(d, in); Tensor dw = Tensor.empty(d, pr.filterShape())) {
            Pass[] passes = l.transposed
                    ? new Pass[] {() -> ConvTranspose2d.forward(pr, x, w, null, y, Activation.IDENTITY, 0f, mode),
                                  () -> ConvTranspose2d.backwardData(pr, dy, null, w, dx, Activation.IDENTITY, 0f, mode),
                                  () -> ConvTranspose2d.backwardWeight(pr, dy, null, x, dw, null, Activation.IDENTITY, 0f, false, mode)}
                    : new Pass[] {() -> Conv2d.fprop(pr, x, w, null, y, Activation.IDENTITY, 0f, mode, null),
                                  () -> Conv2d.dgrad(pr, dy, null, w, dx, Activation.IDENTITY, 0f, false, mode),
                                  () -> Conv2d.wgrad(pr, dy, null, x, dw, null, Activation.IDENTITY, 0f, false, mode)};
            String[] names = {"fprop", "dgrad", "wgrad"};
            for (int i = 0; i < 3; i++) {
                double[] t = time(d, passes[i], warmup, iters, repeats);
                double gflops = 2.0 * pr.macs() / (t[0] * 1e-3) / 1e9;
                rows.add(new Row(l.name, names[i], math, batch, t[0], t[1], t[2], gflops, gflops / peak, Double.NaN));
            }
        }
        return rows;
    }

    static List<Row> timeNorm(Device d, Norm nm, int batch, MathMode mode, int warmup, int iters, int repeats) {
        int ch = nm.channels;
        Shape s = Shape.of(batch, nm.size, nm.size, ch);
        SplittableRandom rnd = new SplittableRandom(11);
        String math = mode.name().toLowerCase(Locale.ROOT);
        List<Row> rows = new ArrayList<>();
        try (Tensor x = Tensor.of(d, s, normal(rnd, s.numel(), 1)); Tensor y = Tensor.empty(d, s);
             Tensor dy = Tensor.of(d, s, normal(rnd, s.numel(), 1)); Tensor dx = Tensor.empty(d, s);
             Tensor g = Tensor.of(d, Shape.of(ch), ones(ch)); Tensor b = Tensor.zeros(d, Shape.of(ch));
             Tensor mean = Tensor.empty(d, Shape.of(ch)); Tensor invstd = Tensor.empty(d, Shape.of(ch));
             Tensor rm = Tensor.zeros(d, Shape.of(ch)); Tensor rv = Tensor.of(d, Shape.of(ch), ones(ch));
             Tensor dg = Tensor.empty(d, Shape.of(ch)); Tensor db = Tensor.empty(d, Shape.of(ch))) {
            Pass fwd = () -> BatchNorm.forwardTrain(x, g, b, y, mean, invstd, rm, rv, BatchNorm.DEFAULT_MOMENTUM, BatchNorm.DEFAULT_EPS,
                    Activation.IDENTITY, 0f);
            Pass bwd = () -> BatchNorm.backward(dy, null, x, g, mean, invstd, dx, dg, db, Activation.IDENTITY, 0f, false);
            fwd.run();
            double[] tf = time(d, fwd, warmup, iters, repeats);
            double[] tb = time(d, bwd, warmup, iters, repeats);
            long bytes = s.numel() * 4;
            // forward: the stats pass reads x, the normalise pass reads x and writes y; backward: reduce reads x, dy; dx pass reads x, dy, writes dx
            rows.add(new Row(nm.name, "forward", math, batch, tf[0], tf[1], tf[2], Double.NaN, Double.NaN, 3.0 * bytes / (tf[0] * 1e-3) / 1e9));
            rows.add(new Row(nm.name, "backward", math, batch, tb[0], tb[1], tb[2], Double.NaN, Double.NaN, 5.0 * bytes / (tb[0] * 1e-3) / 1e9));
        }
        return rows;
    }
}
