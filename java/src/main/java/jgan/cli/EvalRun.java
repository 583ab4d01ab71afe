package jgan.cli;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jgan.data.BatchLoader;
import jgan.data.FashionMnist;
import jgan.data.ImageDataset;
import jgan.data.ImageFolder;
import jgan.gan.TrainConfig;
import jgan.kernels.Philox;
import jgan.metrics.Classifier;
import jgan.metrics.ImageEvaluation;
import jgan.nn.Sequential;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * What {@code jgan eval --run RUN} and {@code jgan train --eval-every N} share for image runs: the
 * real reference of a run, G's images from a fixed z, and the rows and JSON they write.
 *
 * <pre>
 *   z           [n, latent] N(0, 1) by Philox from seed ^ {@link #Z_SEED_MIX} (the run's seed), counter offset 0:
 *               the same z at every evaluation of a run, independent of training's draws and of the sample grids'
 *   G           eval mode (batch norm with its running statistics), FP32, chunks of 256 rows
 *   images      NCHW in [-1, 1]; other sizes than 28x28x1 brought to the classifier's input by
 *               ImageEvaluation#toClassifierInput (8-bit, resized, centre-cropped, luma)
 *   reference   fashion-mnist: the test set (10,000), floor sample from the training set;
 *               a folder: its images at 28x28 grey, split by a seeded permutation into halves: the first is the
 *               reference, the second gives the floor sample (numbers comparable only between runs on the same folder)
 *   real draws  seed {@link #REAL_SEED} for every run, so runs of different seeds are scored against the same samples
 * </pre>
 */
final class EvalRun {
    /** Generated images per evaluation unless --eval-images / --n says otherwise. */
    static final int DEFAULT_COUNT = 2000;
    /** Seeds the real samples (floor sample, precision/recall subset, folder split): the same for every run. */
    static final long REAL_SEED = 0;
    /** Mixed into the run's seed for the evaluation's z (differs from the sample grids' z). */
    static final long Z_SEED_MIX = 0xE7A1_F1D0_0000_0000L;
    /** RUN/eval.csv's header. */
    static final String HEADER = "step,fd,fd_floor,precision,recall,precision_real,recall_real,classes_present,class_entropy,"
            + "class_kl_uniform,count,eval_s";
    /** Fewest readable images of a folder run's data: two halves of at least 4 (precision/recall's k = 3 needs more than 3). */
    static final int MIN_FOLDER_IMAGES = 8;

    private EvalRun() {
    }

    /**
     * The real side of a run's evaluation.
     *
     * @param reference what the generated images are compared with (precomputed features)
     * @param note      how the real set was made (metrics.json's "reference_note")
     */
    record Real(ImageEvaluation.Reference reference, String note) {
    }

    /**
     * The reference of an image run for n generated images: Fashion-MNIST's test set (the idx files
     * of {@code dataDir}, else the run's data_dir, else Debian's), or a folder run's own images.
     *
     * @throws IllegalArgumentException when the data cannot be found, or a folder has fewer than {@link #MIN_FOLDER_IMAGES} readable images
     */
    static Real reference(TrainConfig c, Classifier classifier, int n, Path dataDir, PrintStream err) {
        if (c.data().equals(TrainConfig.FASHION_MNIST)) {
            Path dir = FashionMnist.locate(dataDir != null ? dataDir : c.dataDir().isEmpty() ? null : Path.of(c.dataDir()), FashionMnist.FILES, err);
            ImageDataset train = FashionMnist.load(dir, true);
            ImageDataset test = FashionMnist.load(dir, false);
            String note = "Fashion-MNIST test set (" + test.count() + " images) as the reference, the floor's sample from its training"
                    + " set" + (c.imageSize() != 28 || c.channels() != 1 ? "; the run's " + c.imageSize() + "x" + c.imageSize() + "x"
                    + c.channels() + " images are brought to 28x28 grey for the classifier" : "");
            return new Real(ImageEvaluation.Reference.of(classifier, train, test, n, REAL_SEED), note);
        }
        Path folder = dataDir != null ? dataDir : Path.of(c.dataDir());
        int background = Integer.parseInt(c.background().substring(1), 16);
        ImageDataset all = ImageFolder.load(folder, Classifier.IMAGE_SIZE, Classifier.CHANNELS, background).dataset();
        if (all.count() < MIN_FOLDER_IMAGES) {
            throw new IllegalArgumentException(folder + " holds " + all.count() + " readable images; evaluating a folder run needs at"
                    + " least " + MIN_FOLDER_IMAGES + " (two halves of real images: the reference and the floor's sample)");
        }
        int[] perm = BatchLoader.permutation(REAL_SEED, 3, all.count());
        int half = all.count() / 2;
        ImageDataset ref = subset(all, perm, 0, half, folder + " (half A: " + half + " images at 28x28 grey)");
        ImageDataset floor = subset(all, perm, half, all.count(), folder + " (half B)");
        String note = "the run's folder " + folder + " at 28x28 grey (the classifier's Fashion-MNIST input: shorter side resized,"
                + " centre-cropped, luma), split by seed " + REAL_SEED + " into a reference half (" + ref.count() + ") and a floor half ("
                + floor.count() + "); the classifier was trained on Fashion-MNIST, so these numbers are comparable only between runs"
                + " on the same folder";
        return new Real(ImageEvaluation.Reference.of(classifier, floor, ref, n, REAL_SEED), note);
    }

    private static ImageDataset subset(ImageDataset d, int[] perm, int from, int to, String name) {
        int size = d.imageSize();
        byte[] px = new byte[(to - from) * size];
        ByteBuffer all = d.pixels();
        for (int i = from; i < to; i++) {
            all.get(perm[i] * size, px, (i - from) * size, size);
        }
        return ImageDataset.of(name, px, to - from, d.height(), d.width(), d.channels(), null);
    }

    /** The seed of the evaluation's z for a run. */
    static long zSeed(TrainConfig c) {
        return c.seed() ^ Z_SEED_MIX;
    }

    /**
     * n images of G from the run's evaluation z, batch norm in eval mode (G's state is not changed:
     * no running statistic, counter or random draw of training moves), brought to the classifier's input.
     *
     * @return [n, 28, 28, 1] in [-1, 1]
     */
    static float[] images(Sequential g, TrainConfig c, int n) {
        int latent = c.latent();
        Shape out = g.outShape(); // [H, W, C]
        int h = out.dim(0), w = out.dim(1), ch = out.dim(2);
        int per = h * w * ch;
        float[] nhwc = new float[Math.toIntExact((long) n * per)];
        try (Tensor z = Tensor.empty(g.device(), Shape.of(n, latent))) {
            Philox.normal(z, zSeed(c), 0, 0f, 1f);
            for (int start = 0; start < n; start += jgan.gan.Generator.CHUNK) {
                int m = Math.min(jgan.gan.Generator.CHUNK, n - start);
                try (Tensor in = z.view((long) start * latent, Shape.of(m, latent)); Sequential.Pass p = g.pass(m)) {
                    float[] o = p.forward(in, !g.hasBatchNorm()).toArray();
                    System.arraycopy(o, 0, nhwc, start * per, o.length);
                }
            }
        }
        if (ch == 1) {
            return ImageEvaluation.toClassifierInput(nhwc, n, 1, h, w); // one channel: NHWC is NCHW
        }
        float[] nchw = new float[nhwc.length];
        for (int b = 0; b < n; b++) {
            for (int p = 0; p < h * w; p++) {
                for (int k = 0; k < ch; k++) {
                    nchw[b * per + k * h * w + p] = nhwc[b * per + p * ch + k];
                }
            }
        }
        return ImageEvaluation.toClassifierInput(nchw, n, ch, h, w);
    }

    /** One row of RUN/eval.csv. */
    static String row(long step, ImageEvaluation.Result r, double seconds) {
        return String.format(Locale.ROOT, "%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%d,%.6g,%.6g,%d,%.1f", step, r.fd(), r.fdFloor(),
                r.prGenerated().precision(), r.prGenerated().recall(), r.prReal().precision(), r.prReal().recall(),
                r.classes().classesPresent(), r.classes().entropy(), r.classes().klToUniform(), r.count(), seconds);
    }

    /** metrics.json of an image run. */
    static Map<String, Object> json(Path run, long step, TrainConfig c, Classifier classifier, Path classifierFile, Real real,
                                    ImageEvaluation.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run", run.toString());
        m.put("step", step);
        m.put("data", c.data().equals(TrainConfig.FOLDER) ? c.dataDir() : c.data());
        m.put("classifier", classifierFile == null ? "jgan " + Classifier.RESOURCE : classifierFile.toString());
        m.put("classifier_test_accuracy", classifier.metadata().getOrDefault("test_accuracy", "unknown"));
        m.put("reference", real.reference().name());
        m.put("reference_note", real.note());
        m.put("generator", "eval mode (batch norm running statistics), z ~ N(0, I) by Philox seed " + zSeed(c) + " (run seed "
                + c.seed() + " ^ 0x" + Long.toHexString(Z_SEED_MIX) + "), offset 0");
        m.put("real_seed", REAL_SEED);
        m.putAll(r.toMap());
        return m;
    }

    /** The summary line printed by eval and by training's evaluations. */
    static String summary(long step, ImageEvaluation.Result r) {
        return "step " + step + ": " + r;
    }

    /** Checks a count of generated images given on the command line. */
    static int count(String option, long n) {
        if (n <= jgan.metrics.PrecisionRecall.DEFAULT_K || n > 1_000_000) {
            throw new IllegalArgumentException(option + " must be in " + (jgan.metrics.PrecisionRecall.DEFAULT_K + 1) + "..1000000 (images"
                    + " scored per evaluation; precision/recall's k = 3 needs more than 3), got " + n);
        }
        return (int) n;
    }

    /** The rows of an eval.csv up to a step (resume: rows past the checkpoint are computed again). */
    static List<String> rowsUpTo(String text, long upTo) {
        return Arrays.stream(text.split("\n")).map(String::strip).filter(l -> !l.isEmpty() && !l.equals(HEADER)).filter(l -> {
            try {
                return Long.parseLong(l.substring(0, l.indexOf(','))) <= upTo;
            } catch (RuntimeException e) {
                return false; // a torn row
            }
        }).toList();
    }

    /**
     * Training's evaluations (--eval-every): the classifier and the reference are made once, before
     * the run's files are written; each evaluation appends a row to RUN/eval.csv, redraws
     * RUN/metrics.png, and the last one writes RUN/metrics.json (what {@code jgan eval --run} writes
     * at that step). G is only read (eval-mode forwards on its own tensors, z from its own seed), so
     * training's parameters, statistics and random draws are exactly those of a run without.
     */
    static final class Training implements AutoCloseable {
        final long every;
        final int count;
        private final Classifier classifier;
        private final Real real;

        private Training(long every, int count, Classifier classifier, Real real) {
            this.every = every;
            this.count = count;
            this.classifier = classifier;
            this.real = real;
        }

        /** Null when {@code every} is 0 (off). */
        static Training open(jgan.device.Device device, TrainConfig c, long every, int count, PrintStream err) {
            if (every == 0) {
                return null;
            }
            Classifier cl = Classifier.loadShipped(device);
            try {
                return new Training(every, count, cl, reference(c, cl, count, null, err));
            } catch (RuntimeException | Error e) {
                cl.close();
                throw e;
            }
        }

        /** Whether step {@code s} is evaluated: every N steps and the last. */
        boolean due(long s, boolean last) {
            return s % every == 0 || last;
        }

        /**
         * Evaluates G at step {@code s} (the caller puts G's EMA in {@code g}'s parameters when the
         * run has one, as TrainedRun#network does for eval --run); returns the summary line.
         */
        String evaluate(Sequential g, TrainConfig c, Path run, long s, boolean last, String context) {
            long t0 = System.nanoTime();
            ImageEvaluation.Result r = ImageEvaluation.evaluate(classifier, images(g, c, count), count, real.reference());
            double seconds = (System.nanoTime() - t0) / 1e9;
            Path csv = run.resolve("eval.csv");
            try {
                java.nio.file.Files.writeString(csv, row(s, r, seconds) + "\n", java.nio.charset.StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.APPEND);
            } catch (java.io.IOException e) {
                throw jgan.io.FileError.of("append to", csv, e, context);
            }
            try {
                jgan.io.AtomicFiles.write(run.resolve("metrics.png"), jgan.io.MetricsPlot.png(csv), context);
            } catch (IllegalStateException | LinkageError e) { // no font or no java.desktop: the run goes on without its plot
                Main.err().println("jgan train: warning: metrics.png not drawn: " + e.getMessage());
            }
            if (last) {
                jgan.io.AtomicFiles.write(run.resolve("metrics.json"), jgan.io.Json.write(json(run, s, c, classifier, null, real, r)), context);
            }
            return String.format(Locale.ROOT, "eval %s (%.1f s)", summary(s, r), seconds);
        }

        @Override
        public void close() {
            classifier.close();
        }
    }
}
