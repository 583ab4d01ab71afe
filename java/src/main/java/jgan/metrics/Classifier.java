package jgan.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import jgan.data.BatchLoader;
import jgan.data.ImageDataset;
import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.io.FileError;
import jgan.io.Safetensors;
import jgan.kernels.Optimizer;
import jgan.kernels.Reduction;
import jgan.kernels.SoftmaxCrossEntropy;
import jgan.nn.Init;
import jgan.nn.Sequential;
import jgan.tensor.HostTensor;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * A small Fashion-MNIST classifier built from jgan's own layers and kernels, whose penultimate
 * layer is the feature space of jgan's image metrics ({@link FrechetDistance},
 * {@link PrecisionRecall}) and whose predictions feed {@link ClassHistogram}: the role Inception
 * plays for FID, without a network download.
 *
 * <p>Architecture ({@value #ARCHITECTURE}); input 28x28x1 images in [-1, 1] (a GAN's tanh range;
 * pixels p in 0..255 map to p / 127.5 - 1), NHWC [N, 28, 28, 1] (for one channel the same floats as
 * PyTorch's NCHW [N, 1, 28, 28]). As a PyTorch {@code nn.Sequential} held as {@code self.main}:
 * <pre>
 *   main.0  Conv2d(1, 32, 4, stride 2, padding 1, bias=False)   28x28x1  -> 14x14x32
 *   main.1  BatchNorm2d(32)      main.2  LeakyReLU(0.2)
 *   main.3  Conv2d(32, 64, 4, stride 2, padding 1, bias=False)  14x14x32 -> 7x7x64
 *   main.4  BatchNorm2d(64)      main.5  LeakyReLU(0.2)
 *   main.6  Conv2d(64, 64, 3, stride 2, padding 1, bias=False)  7x7x64   -> 4x4x64
 *   main.7  BatchNorm2d(64)      main.8  LeakyReLU(0.2)
 *   main.9  Flatten()            (PyTorch's (c, h, w) order in the saved weights)
 *   main.10 Linear(1024, 128, bias=False)
 *   main.11 BatchNorm1d(128)     main.12 LeakyReLU(0.2)        -> the 128 features
 *   main.13 Linear(128, 10)                                    -> logits of the 10 classes
 * </pre>
 * The features are main.12's output with batch norm in eval mode (running statistics): a function
 * of one image alone, whatever the batch. Training: Adam (betas 0.9, 0.999) on PyTorch's
 * {@code F.cross_entropy} (jgan's fused {@link SoftmaxCrossEntropy} kernel), a cosine learning-rate
 * decay, batches from {@link BatchLoader} (shuffled each epoch from the seed); PyTorch's default
 * initialisation ({@link Init#PYTORCH}) from the seed. On one device, the same data, seed and
 * settings give the same weights bit for bit.
 *
 * <p>Files: safetensors with the state_dict keys above (PyTorch layouts: Conv2d OIHW, Linear
 * [out, in], num_batches_tracked I64) and metadata: {@code format} ({@value #FORMAT}),
 * {@code architecture}, and how the weights were made (command, seed, epochs, train time, test
 * accuracy). The weights jgan ships were made by {@code jgan classifier train} and live in the jar
 * at {@value #RESOURCE}.
 *
 * <p>Not thread-safe. Close it to free its device memory.
 */
public final class Classifier implements AutoCloseable {
    /** The name of this architecture, stored in files and checked when they are read. */
    public static final String ARCHITECTURE = "jgan-fmnist-cnn-v1";
    /** The {@code format} metadata of classifier files. */
    public static final String FORMAT = "jgan-classifier";
    /** The shipped weights: a class-path resource. */
    public static final String RESOURCE = "/jgan/metrics/fashion-mnist-classifier.safetensors";
    public static final int IMAGE_SIZE = 28;
    public static final int CHANNELS = 1;
    public static final int CLASSES = 10;
    /** Width of the feature layer (the penultimate layer). */
    public static final int FEATURES = 128;
    /** Fashion-MNIST's class names, by label. */
    public static final String[] CLASS_NAMES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
        "Bag", "Ankle boot"};
    /** The state_dict module index of the last Linear (main.13). */
    static final int HEAD_INDEX = 13;
    static final float SLOPE = 0.2f;
    /** Images per forward when computing features and predictions. */
    static final int EVAL_BATCH = 500;

    private final Device device;
    private final Sequential trunk; // image -> features
    private final Sequential head;  // features -> logits
    private final Map<Integer, Batch> evalBatches = new HashMap<>();
    private final LinkedHashMap<String, String> metadata = new LinkedHashMap<>();

    private Classifier(Device device) {
        this.device = device;
        Sequential t = null;
        try {
            t = Sequential.builder(Shape.of(IMAGE_SIZE, IMAGE_SIZE, CHANNELS))
                    .conv2d(32, 4, 2, 1, false).batchNorm().leakyRelu(SLOPE)
                    .conv2d(64, 4, 2, 1, false).batchNorm().leakyRelu(SLOPE)
                    .conv2d(64, 3, 2, 1, false).batchNorm().leakyRelu(SLOPE)
                    .flatten()
                    .dense(FEATURES, false).batchNorm().leakyRelu(SLOPE)
                    .build(device);
            this.trunk = t;
            this.head = Sequential.builder(FEATURES).dense(CLASSES).build(device);
        } catch (RuntimeException e) {
            if (t != null) {
                t.close();
            }
            throw e;
        }
    }

    /** The network one line per layer (the trunk, then the head). */
    public String describe() {
        return trunk.describe() + "\n" + head.describe();
    }

    /** An untrained classifier, initialised from {@code seed} ({@link Init#PYTORCH}). */
    public static Classifier initialized(Device device, long seed) {
        Classifier c = new Classifier(device);
        c.trunk.initialize(Init.PYTORCH, seed);
        c.head.initialize(Init.PYTORCH, seed ^ 0x9E3779B97F4A7C15L);
        c.metadata.put("format", FORMAT);
        c.metadata.put("architecture", ARCHITECTURE);
        c.metadata.put("input", "float32 NHWC [N, 28, 28, 1] in [-1, 1] (pixel / 127.5 - 1)");
        c.metadata.put("features", FEATURES + ": the output of main.12 (LeakyReLU(0.2) after BatchNorm1d, eval mode)");
        c.metadata.put("classes", String.join(", ", CLASS_NAMES));
        c.metadata.put("seed", Long.toString(seed));
        return c;
    }

    // ------------------------------------------------------------------------------------------
    // Training

    /**
     * Training settings: epochs >= 1 over the training set, batch >= 1, peak learning rate
     * {@code lr} > 0 decayed by a cosine to 0 over all steps ({@code lr * (1 + cos(pi t / T)) / 2}
     * at step t of T), the seed (initialisation and shuffling).
     */
    public record Settings(int epochs, int batch, float lr, long seed) {
        public static final int DEFAULT_EPOCHS = 3;
        public static final int DEFAULT_BATCH = 64;
        public static final float DEFAULT_LR = 2e-3f;

        public Settings {
            if (epochs < 1) {
                throw new IllegalArgumentException("classifier training: epochs must be >= 1, got " + epochs);
            }
            if (batch < 1) {
                throw new IllegalArgumentException("classifier training: batch must be >= 1, got " + batch);
            }
            if (!(lr > 0) || !Float.isFinite(lr)) {
                throw new IllegalArgumentException("classifier training: lr must be a positive number, got " + lr);
            }
        }

        /** The defaults ({@value #DEFAULT_BATCH} images a batch, lr {@value #DEFAULT_LR}) for these epochs and seed. */
        public static Settings of(int epochs, long seed) {
            return new Settings(epochs, DEFAULT_BATCH, DEFAULT_LR, seed);
        }
    }

    /**
     * What training reports every {@code reportEvery} steps and at the end of each epoch.
     *
     * @param step     steps done (1..steps)
     * @param steps    steps in all (epochs * floor(count / batch))
     * @param epoch    the epoch of the step, 1-based
     * @param loss     mean cross-entropy (nats) of the training batches since the previous report
     * @param accuracy fraction of those batches' images predicted right (in training mode)
     * @param seconds  since training started
     */
    public record Progress(long step, long steps, int epoch, double loss, double accuracy, double seconds) {
    }

    /** {@link #train(ImageDataset, Settings, Device, Consumer, int)} with the default settings and no reports. */
    public static Classifier train(ImageDataset train, long seed, int epochs, Device device) {
        return train(train, Settings.of(epochs, seed), device, null, 0);
    }

    /**
     * Trains a classifier on labelled 28x28 grey images (Fashion-MNIST's training set, or a subset).
     * Deterministic on one device for the same data and settings.
     *
     * @param progress    gets a report every {@code reportEvery} steps and at the end of every epoch; may be null
     * @param reportEvery steps between reports (0: at epoch ends only)
     * @throws IllegalArgumentException for images that are not 28x28x1, a dataset without labels, a label outside 0..9,
     *                                  or fewer images than one batch
     */
    public static Classifier train(ImageDataset train, Settings s, Device device, Consumer<Progress> progress, int reportEvery) {
        checkImages(train, "training");
        if (!train.hasLabels()) {
            throw new IllegalArgumentException("classifier training: " + train.name() + " has no labels");
        }
        int[] labels = train.labels();
        SoftmaxCrossEntropy.checkLabels(labels, CLASSES);
        if (train.count() < s.batch()) {
            throw new IllegalArgumentException("classifier training: batch " + s.batch() + " is larger than " + train.name() + " ("
                    + train.count() + " images)");
        }
        long t0 = System.nanoTime();
        Classifier c = initialized(device, s.seed());
        try {
            c.fit(train, labels, s, progress, reportEvery, t0);
            double seconds = (System.nanoTime() - t0) / 1e9;
            c.metadata.put("epochs", Integer.toString(s.epochs()));
            c.metadata.put("batch", Integer.toString(s.batch()));
            c.metadata.put("lr", Float.toString(s.lr()));
            c.metadata.put("trained_on", train.name() + ", " + train.count() + " images");
            c.metadata.put("device", device.description());
            c.metadata.put("train_seconds", String.format(Locale.ROOT, "%.1f", seconds));
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void fit(ImageDataset train, int[] labels, Settings s, Consumer<Progress> progress, int reportEvery, long t0) {
        int b = s.batch();
        BatchLoader loader = new BatchLoader(train, b, s.seed());
        long steps = (long) s.epochs() * loader.batchesPerEpoch();
        float[] images = new float[loader.floatsPerBatch()];
        int[] batchLabels = new int[b];
        int[] predicted = new int[b];
        Tensor x = Tensor.empty(device, Shape.of(b, IMAGE_SIZE, IMAGE_SIZE, CHANNELS));
        Tensor loss = Tensor.zeros(device, Shape.of(1));
        Tensor grad = Tensor.empty(device, Shape.of(b, CLASSES));
        DeviceBuffer y = device.allocate(4L * b);
        DeviceBuffer pred = device.allocate(4L * b);
        Adam trunkAdam = new Adam(trunk);
        Adam headAdam = new Adam(head);
        Sequential.Pass tp = trunk.pass(b);
        Sequential.Pass hp = head.pass(b);
        try {
            long right = 0, seen = 0, batchesSinceReport = 0;
            for (long step = 0; step < steps; step++) {
                loader.next(images);
                int[] idx = loader.indices(step);
                for (int i = 0; i < b; i++) {
                    batchLabels[i] = labels[idx[i]];
                }
                x.copyFrom(images);
                device.copyToDevice(batchLabels, 0, y, 0, b);
                Tensor logits = hp.forward(tp.forward(x, true), true);
                SoftmaxCrossEntropy.lossAndGradient(logits, y, loss, grad, pred, null, Reduction.MEAN, true);
                Tensor dFeatures = hp.backward(grad, true, true);
                tp.backward(dFeatures, true, false);
                float lr = (float) (s.lr() * 0.5 * (1 + Math.cos(Math.PI * step / steps)));
                trunkAdam.update(lr);
                headAdam.update(lr);
                batchesSinceReport++;
                boolean epochEnd = (step + 1) % loader.batchesPerEpoch() == 0;
                boolean report = progress != null && (epochEnd || reportEvery > 0 && (step + 1) % reportEvery == 0);
                if (progress != null) {
                    device.copyToHost(pred, 0, predicted, 0, b);
                    for (int i = 0; i < b; i++) {
                        right += predicted[i] == batchLabels[i] ? 1 : 0;
                    }
                    seen += b;
                }
                if (report) {
                    float[] l = loss.toArray();
                    progress.accept(new Progress(step + 1, steps, (int) (step / loader.batchesPerEpoch()) + 1, l[0] / batchesSinceReport,
                            (double) right / seen, (System.nanoTime() - t0) / 1e9));
                    loss.fill(0f);
                    right = 0;
                    seen = 0;
                    batchesSinceReport = 0;
                }
            }
            device.synchronize();
        } finally {
            tp.close();
            hp.close();
            trunkAdam.close();
            headAdam.close();
            x.close();
            loss.close();
            grad.close();
            y.close();
            pred.close();
            loader.close();
        }
    }

    /** Adam's moments and device step count for one network, with the learning rate given at each update. */
    private static final class Adam implements AutoCloseable {
        private final Sequential net;
        private final Tensor m;
        private final Tensor v;
        private final DeviceBuffer step;

        Adam(Sequential net) {
            this.net = net;
            this.m = Tensor.zeros(net.device(), Shape.of(net.parameters().numel()));
            this.v = Tensor.zeros(net.device(), Shape.of(net.parameters().numel()));
            this.step = net.device().allocate(4);
            net.device().fill32(step, 0, 1, 0);
        }

        void update(float lr) {
            Optimizer.adam(net.parameters(), net.gradients(), m, v, step, Optimizer.Adam.of(lr), true);
            Optimizer.incrementStep(step);
        }

        @Override
        public void close() {
            m.close();
            v.close();
            step.close();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Inference

    /** Features and predictions of a set of images. */
    public record Outputs(int count, float[] features, int[] predictions) {
        /** The features as [count][FEATURES]. */
        public float[][] featureRows() {
            float[][] r = new float[count][FEATURES];
            for (int i = 0; i < count; i++) {
                System.arraycopy(features, i * FEATURES, r[i], 0, FEATURES);
            }
            return r;
        }
    }

    /**
     * The penultimate layer's features (eval mode) and the predicted class of each image.
     *
     * @param images {@code n} images in [-1, 1], NHWC [n, 28, 28, 1] row-major (= NCHW for one channel)
     * @return features [n, {@value #FEATURES}] row-major and predictions [n] in 0..9 (argmax of the logits, the first on ties)
     * @throws IllegalArgumentException when n < 1 or {@code images.length != n * 784}
     */
    public Outputs run(float[] images, int n) {
        int per = IMAGE_SIZE * IMAGE_SIZE * CHANNELS;
        if (n < 1 || images == null || images.length != (long) n * per) {
            throw new IllegalArgumentException("classifier: need n >= 1 images of " + IMAGE_SIZE + "x" + IMAGE_SIZE + "x" + CHANNELS + " ("
                    + per + " floats each), got n = " + n + " and " + (images == null ? "no array" : images.length + " floats"));
        }
        float[] features = new float[n * FEATURES];
        int[] predictions = new int[n];
        float[] chunk = null;
        float[] logits = null;
        for (int start = 0; start < n; start += EVAL_BATCH) {
            int b = Math.min(EVAL_BATCH, n - start);
            Batch p = evalBatch(b);
            if (chunk == null || chunk.length != b * per) {
                chunk = new float[b * per];
                logits = new float[b * CLASSES];
            }
            System.arraycopy(images, start * per, chunk, 0, b * per);
            p.x.copyFrom(chunk);
            Tensor f = p.trunk.forward(p.x, false);
            Tensor z = p.head.forward(f, false);
            device.copyToHost(f.buffer(), f.byteOffset(), features, start * FEATURES, b * FEATURES);
            device.copyToHost(z.buffer(), z.byteOffset(), logits, 0, b * CLASSES);
            for (int i = 0; i < b; i++) {
                predictions[start + i] = argmax(logits, i * CLASSES, CLASSES);
            }
        }
        return new Outputs(n, features, predictions);
    }

    /** {@link #run(float[], int)} for a dataset's images (normalised p / 127.5 - 1). */
    public Outputs run(ImageDataset images) {
        checkImages(images, "classifier input");
        return run(normalised(images), images.count());
    }

    /** Penultimate-layer features [n][{@value #FEATURES}] (eval mode) of n images in [-1, 1], NHWC [n, 28, 28, 1]. */
    public float[][] features(float[] images, int n) {
        return run(images, n).featureRows();
    }

    /** Penultimate-layer features [count][{@value #FEATURES}] of a dataset's images. */
    public float[][] features(ImageDataset images) {
        return run(images).featureRows();
    }

    /** Predicted classes (0..9) of n images in [-1, 1], NHWC [n, 28, 28, 1]. */
    public int[] predict(float[] images, int n) {
        return run(images, n).predictions();
    }

    /** Predicted classes (0..9) of a dataset's images. */
    public int[] predict(ImageDataset images) {
        return run(images).predictions();
    }

    /**
     * The fraction of a labelled dataset's images predicted right.
     *
     * @throws IllegalArgumentException for images that are not 28x28x1 or a dataset without labels
     */
    public double accuracy(ImageDataset labelled) {
        if (!labelled.hasLabels()) {
            throw new IllegalArgumentException("classifier accuracy: " + labelled.name() + " has no labels");
        }
        int[] p = predict(labelled);
        int[] l = labelled.labels();
        long right = 0;
        for (int i = 0; i < p.length; i++) {
            right += p[i] == l[i] ? 1 : 0;
        }
        return (double) right / p.length;
    }

    /** The input buffer and eval passes for batches of b images. */
    private record Batch(Tensor x, Sequential.Pass trunk, Sequential.Pass head) {
    }

    private Batch evalBatch(int b) {
        return evalBatches.computeIfAbsent(b, k -> new Batch(Tensor.empty(device, Shape.of(k, IMAGE_SIZE, IMAGE_SIZE, CHANNELS)),
                trunk.pass(k), head.pass(k)));
    }

    static int argmax(float[] a, int offset, int n) {
        int best = 0;
        for (int k = 1; k < n; k++) {
            float v = a[offset + k], m = a[offset + best];
            if (v > m || Float.isNaN(v) && !Float.isNaN(m)) {
                best = k;
            }
        }
        return best;
    }

    /** A dataset's pixels p as p / 127.5 - 1, NHWC. */
    static float[] normalised(ImageDataset d) {
        java.nio.ByteBuffer px = d.pixels();
        float[] out = new float[px.remaining()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) ((px.get(i) & 0xFF) / 127.5 - 1.0);
        }
        return out;
    }

    private static void checkImages(ImageDataset d, String what) {
        if (d.height() != IMAGE_SIZE || d.width() != IMAGE_SIZE || d.channels() != CHANNELS) {
            throw new IllegalArgumentException("classifier: " + what + " images must be " + IMAGE_SIZE + "x" + IMAGE_SIZE + "x" + CHANNELS
                    + " (Fashion-MNIST's), got " + d.height() + "x" + d.width() + "x" + d.channels() + " (" + d.name() + ")");
        }
    }

    // ------------------------------------------------------------------------------------------
    // Files

    /**
     * PyTorch's state_dict of the whole classifier as one {@code nn.Sequential} held as
     * {@code self.main} (keys main.0.weight ... main.13.bias, see the class comment). Reads the device.
     */
    public LinkedHashMap<String, HostTensor> stateDict() {
        LinkedHashMap<String, HostTensor> s = new LinkedHashMap<>(trunk.stateDict());
        for (Map.Entry<String, HostTensor> e : head.stateDict().entrySet()) {
            s.put(e.getKey().replaceFirst("^main\\.0\\.", "main." + HEAD_INDEX + "."), e.getValue());
        }
        return s;
    }

    /**
     * Loads a state_dict as {@link #stateDict()} writes it.
     *
     * @throws IllegalArgumentException naming missing, unexpected or mis-shaped entries
     */
    public void loadStateDict(Map<String, HostTensor> state) {
        LinkedHashMap<String, HostTensor> t = new LinkedHashMap<>();
        LinkedHashMap<String, HostTensor> h = new LinkedHashMap<>();
        String prefix = "main." + HEAD_INDEX + ".";
        for (Map.Entry<String, HostTensor> e : state.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                h.put("main.0." + e.getKey().substring(prefix.length()), e.getValue());
            } else {
                t.put(e.getKey(), e.getValue());
            }
        }
        String trunkError = null;
        try {
            trunk.loadStateDict(t);
        } catch (IllegalArgumentException e) {
            trunkError = e.getMessage();
        }
        try {
            head.loadStateDict(h);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage().replace("main.0.", prefix);
            throw new IllegalArgumentException("classifier weights: " + (trunkError == null ? "" : trunkError + "; ") + m);
        }
        if (trunkError != null) {
            throw new IllegalArgumentException("classifier weights: " + trunkError);
        }
    }

    /** The file's metadata: format, architecture and how the weights were made (a copy). */
    public LinkedHashMap<String, String> metadata() {
        return new LinkedHashMap<>(metadata);
    }

    /** Adds or replaces metadata entries saved with the weights (e.g. "test_accuracy", "command"). */
    public void putMetadata(String key, String value) {
        if (key == null || value == null || key.equals("format") || key.equals("architecture")) {
            throw new IllegalArgumentException("classifier metadata: cannot set '" + key + "' to " + value);
        }
        metadata.put(key, value);
    }

    /**
     * Writes the weights and metadata as safetensors (atomically).
     *
     * @throws FileError when the file cannot be written
     */
    public void save(Path file) {
        Safetensors.write(file, stateDict(), metadata);
    }

    /**
     * A classifier from a file {@link #save} wrote (or a PyTorch state_dict of the same module saved
     * with this metadata).
     *
     * @throws FileError when the file cannot be read or is not safetensors
     * @throws IllegalArgumentException when its format or architecture is not this one, or its weights do not fit (naming them)
     */
    public static Classifier load(Path file, Device device) {
        return fromContents(Safetensors.readWithMetadata(file), file.toString(), device);
    }

    /** The weights shipped in the jar ({@value #RESOURCE}). */
    public static Classifier loadShipped(Device device) {
        try (InputStream in = Classifier.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the classifier weights " + RESOURCE + " are not in this build of jgan");
            }
            Path tmp = java.nio.file.Files.createTempFile("jgan-classifier", ".safetensors");
            try {
                java.nio.file.Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                return fromContents(Safetensors.readWithMetadata(tmp), "jgan's " + RESOURCE, device);
            } finally {
                java.nio.file.Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new FileError("cannot read jgan's classifier weights " + RESOURCE + ": " + FileError.reason(e), e);
        }
    }

    private static Classifier fromContents(Safetensors.Contents c, String source, Device device) {
        String format = c.metadata().get("format");
        String arch = c.metadata().get("architecture");
        if (!FORMAT.equals(format) || !ARCHITECTURE.equals(arch)) {
            throw new IllegalArgumentException(source + " is not a jgan classifier of architecture " + ARCHITECTURE + " (its metadata: format "
                    + (format == null ? "missing" : "'" + format + "'") + ", architecture " + (arch == null ? "missing" : "'" + arch + "'") + ")");
        }
        Classifier k = new Classifier(device);
        try {
            k.loadStateDict(c.tensors());
            k.metadata.putAll(c.metadata());
            return k;
        } catch (RuntimeException e) {
            k.close();
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    public Device device() {
        return device;
    }

    @Override
    public void close() {
        for (Batch b : evalBatches.values()) {
            b.x.close(); // the passes close with their networks
        }
        evalBatches.clear();
        trunk.close();
        head.close();
    }
}
