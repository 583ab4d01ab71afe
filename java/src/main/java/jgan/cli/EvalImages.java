package jgan.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import jgan.data.FashionMnist;
import jgan.data.ImageDataset;
import jgan.device.Device;
import jgan.io.AtomicFiles;
import jgan.io.Json;
import jgan.io.Npy;
import jgan.metrics.Classifier;
import jgan.metrics.ImageEvaluation;
import jgan.tensor.HostTensor;

/**
 * {@code jgan eval --images FILE.npy}: images written by anything (float32 NCHW in [-1, 1], what
 * {@code jgan sample} writes and what numpy/PyTorch users have) scored against Fashion-MNIST in the
 * classifier's feature space ({@link ImageEvaluation}).
 */
final class EvalImages {
    private EvalImages() {
    }

    /** Reads [n, 1, 28, 28] (or [n, 28, 28]) float32 images; refuses any other shape or dtype, naming it. */
    static float[] readImages(Path file) {
        HostTensor t = Npy.read(file);
        long[] s = t.shape();
        boolean fits = t.dtype() == HostTensor.DType.F32 && (s.length == 4 && s[1] == 1 && s[2] == 28 && s[3] == 28
                || s.length == 3 && s[1] == 28 && s[2] == 28);
        if (!fits || s[0] <= 3) {
            throw new IllegalArgumentException(file + " holds " + t.dtype() + " " + Arrays.toString(s) + "; the classifier scores float32 images"
                    + " [N, 1, 28, 28] (NCHW, Fashion-MNIST's size, grey, in [-1, 1]) with N >= 4, e.g. from `jgan sample --out FILE.npy`"
                    + " of a 28x28 grey model");
        }
        return t.f32();
    }

    static int run(Path imagesFile, Path classifierFile, Path dataDir, String deviceName, Path outFile, long seed, PrintStream out,
                   PrintStream err) {
        if (outFile != null && Files.isDirectory(outFile)) {
            throw new IllegalArgumentException("--out " + outFile + " is a folder; give a .json file name");
        }
        float[] images = readImages(imagesFile);
        int n = images.length / 784;
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (float v : images) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        if (min < -1.01f || max > 1.01f || min >= 0) {
            err.printf(Locale.ROOT, "jgan eval: warning: %s's values lie in [%g, %g]; the classifier expects [-1, 1] (pixel / 127.5 - 1):"
                    + " the scores will be off%n", imagesFile, min, max);
        }
        Path dir = FashionMnist.locate(dataDir, FashionMnist.FILES, err);
        ImageDataset train = FashionMnist.load(dir, true);
        ImageDataset test = FashionMnist.load(dir, false);
        try (Device d = DeviceChoice.open(deviceName);
             Classifier c = classifierFile == null ? Classifier.loadShipped(d) : Classifier.load(classifierFile, d)) {
            ImageEvaluation.Result r = ImageEvaluation.evaluate(c, images, n, train, test, seed);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("images", imagesFile.toString());
            m.put("classifier", classifierFile == null ? "jgan " + Classifier.RESOURCE : classifierFile.toString());
            m.put("classifier_test_accuracy", c.metadata().getOrDefault("test_accuracy", "unknown"));
            m.put("reference", test.name());
            m.put("seed", seed);
            m.putAll(r.toMap());
            out.println(imagesFile + ": " + r);
            if (outFile != null) {
                AtomicFiles.write(outFile, Json.write(m), "");
                out.println("wrote " + outFile);
            }
        }
        return 0;
    }
}
