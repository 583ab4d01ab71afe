package jgan.gan;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import jgan.device.Device;
import jgan.io.ImageGrid;
import jgan.io.Safetensors;
import jgan.kernels.MathMode;
import jgan.kernels.Philox;
import jgan.nn.ModelSpec;
import jgan.nn.Sequential;
import jgan.tensor.HostTensor;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * A trained generator on a device, for applications: load it from a run folder or from a
 * safetensors file, then turn latent vectors into images.
 *
 * <pre>{@code
 * try (Device device = Devices.open("auto");
 *      Generator g = Generator.load(Path.of("runs/fmnist"), device)) {
 *     HostTensor images = g.sample(64, 42);          // float32 NCHW [64, C, H, W] in [-1, 1]
 *     ImageIO.write(g.grid(images), "png", new File("samples.png"));
 * }
 * }</pre>
 *
 * <p>Shapes are PyTorch's: latent vectors z are float32 [n, latent]; images come back as float32
 * NCHW [n, channels, height, width] in [-1, 1] (tanh), the layout numpy and torchvision use (jgan
 * computes in NHWC on the device and transposes on the way out). A mixture run's generator ("mlp")
 * gives points [n, 2] instead.
 *
 * <p>Batch norm runs in eval mode by default: the running statistics gathered in training
 * normalise every image (PyTorch's {@code model.eval()}), so an image depends on its own z only,
 * whatever else is in the batch. {@link #useBatchStatistics(boolean) useBatchStatistics(true)}
 * normalises with the batch's own statistics instead (PyTorch's {@code model.train()} forward, as
 * the DCGAN example samples); the running statistics are then left as they were.
 *
 * <p>The network computes in FP32 (no TF32), whatever the run trained with. The generator does not
 * own the device: close the device after the generator. Not thread-safe.
 */
public final class Generator implements AutoCloseable {
    /** Images per forward pass in eval mode: larger requests are computed in chunks of this many. */
    public static final int CHUNK = 256;

    private final ModelSpec spec;
    private final TrainConfig config;
    private final Sequential net;
    private final String source;
    private final long step;
    private boolean batchStatistics;
    private boolean closed;

    private Generator(ModelSpec spec, TrainConfig config, Sequential net, String source, long step) {
        this.step = step;
        this.spec = spec;
        this.config = config;
        this.net = net;
        this.source = source;
    }

    /**
     * Loads a generator from a run folder (a folder: see {@link #fromRun}) or a safetensors file
     * that jgan exported (a file: see {@link #fromSafetensors}).
     *
     * @throws IllegalArgumentException when {@code source} does not exist or is neither
     */
    public static Generator load(Path source, Device device) {
        if (Files.isDirectory(source)) {
            return fromRun(source, device);
        }
        if (!Files.exists(source)) {
            throw new IllegalArgumentException("no run folder or safetensors file at " + source);
        }
        return fromSafetensors(source, device);
    }

    /**
     * The generator of a run folder (RUN/checkpoint.bin: parameters, batch-norm running statistics;
     * RUN/config.json: the model), as of its last checkpoint.
     *
     * @throws IllegalArgumentException when the folder has no checkpoint, it is damaged, or
     *                                  config.json describes another model (jgan.gan.TrainedRun)
     * @throws jgan.io.FileError        when a file cannot be read
     */
    public static Generator fromRun(Path run, Device device) {
        TrainedRun r = TrainedRun.read(run);
        Sequential net = r.network("g", device);
        return new Generator(r.spec(), r.config(), net, run + " (step " + r.step() + ")", r.step());
    }

    /**
     * The generator in a safetensors file written by {@code jgan export} (or by anyone keeping its
     * metadata): the tensors are a PyTorch state_dict (jgan.gan.Exports), the metadata
     * "jgan.config" gives the model and "jgan.net" must be "g". For a state_dict that carries no
     * jgan metadata (e.g. saved from PyTorch), use {@link #fromStateDict} with the model spec.
     *
     * @throws IllegalArgumentException when the file is not safetensors, lacks jgan's metadata,
     *                                  holds a discriminator, or its names or shapes do not fit
     *                                  the model (listing every misfit)
     * @throws jgan.io.FileError        when the file cannot be read
     */
    public static Generator fromSafetensors(Path file, Device device) {
        Safetensors.Contents c = Safetensors.readWithMetadata(file);
        TrainConfig config = TrainedRun.configOf(c.metadata(), file.toString());
        if (config == null) {
            throw new IllegalArgumentException(file + " carries no jgan model in its metadata ('" + Exports.CONFIG + "'): for a"
                    + " state_dict saved elsewhere (e.g. PyTorch) use Generator.fromStateDict(spec, tensors, device) with its ModelSpec,"
                    + " or train --init-from it");
        }
        String net = c.metadata().getOrDefault(Exports.NET, "g");
        if (!net.equals("g")) {
            throw new IllegalArgumentException(file + " holds a " + (net.equals("d") ? "discriminator" : "network '" + net + "'")
                    + " (metadata " + Exports.NET + "=" + net + "), not a generator: export one with `jgan export --net g`");
        }
        long step = -1;
        try {
            step = Long.parseLong(c.metadata().getOrDefault(Exports.STEP, "-1"));
        } catch (NumberFormatException e) {
            // an unknown step: -1
        }
        return fromStateDict(Networks.spec(config), config, c.tensors(), device, file.toString(), step);
    }

    /**
     * A generator of model {@code spec} with the weights of a PyTorch state_dict (the keys, layouts
     * and dtypes of jgan.nn.Sequential#stateDict: for dcgan at 64 those of PyTorch's DCGAN example).
     *
     * @throws IllegalArgumentException listing every missing, extra or mis-shaped name, or when
     *                                  the spec's sizes do not fit its model
     */
    public static Generator fromStateDict(ModelSpec spec, Map<String, HostTensor> state, Device device) {
        return fromStateDict(spec, null, state, device, "a state_dict", -1);
    }

    private static Generator fromStateDict(ModelSpec spec, TrainConfig config, Map<String, HostTensor> state, Device device,
                                           String source, long step) {
        spec.check();
        Sequential net = spec.generator(device, MathMode.FP32);
        try {
            net.loadStateDict(state);
        } catch (IllegalArgumentException e) {
            net.close();
            throw new IllegalArgumentException(source + " does not fit the " + spec.model() + " generator: " + e.getMessage(), e);
        }
        return new Generator(spec, config, net, source, step);
    }

    /** The model (sizes, widths, latent length). */
    public ModelSpec spec() {
        return spec;
    }

    /** The run's settings when loaded from a run or a jgan export; null when built from a bare state_dict. */
    public TrainConfig config() {
        return config;
    }

    /** The training step of the weights (a run's checkpoint, an export's metadata), or -1 when unknown. */
    public long step() {
        return step;
    }

    /** Where it was loaded from (for messages). */
    public String source() {
        return source;
    }

    /** The device it runs on. */
    public Device device() {
        return net.device();
    }

    /** z's length: the second extent of {@link #generate}'s input. */
    public int latent() {
        return spec.latent();
    }

    /** True for image models (dcgan, mlp-conv); false for a mixture run's point generator (mlp). */
    public boolean makesImages() {
        return net.outShape().rank() == 3;
    }

    /** The shape of one output: [channels, height, width] (images) or [2] (points). */
    public long[] sampleShape() {
        Shape s = net.outShape();
        return s.rank() == 3 ? new long[] {s.dim(2), s.dim(0), s.dim(1)} : new long[] {s.dim(0)};
    }

    /**
     * Batch statistics (true) or the running statistics (false, the default) in batch norm.
     * Without batch norm in the model it changes nothing.
     *
     * @return this generator
     */
    public Generator useBatchStatistics(boolean on) {
        this.batchStatistics = on;
        return this;
    }

    public boolean usesBatchStatistics() {
        return batchStatistics;
    }

    /**
     * n latent vectors N(0, 1) drawn by Philox-4x32-10 from {@code seed} (counter offset 0), on the
     * device: the same seed gives the same z on every device.
     *
     * @return float32 [n, latent]
     * @throws IllegalArgumentException when n &lt; 1 or n * latent exceeds 2^31 - 1
     */
    public HostTensor latents(int n, long seed) {
        checkOpen();
        checkCount(n);
        try (Tensor z = Tensor.empty(net.device(), Shape.of(n, latent()))) {
            Philox.normal(z, seed, 0, 0f, 1f);
            return HostTensor.f32(new long[] {n, latent()}, z.toArray());
        }
    }

    /**
     * n samples from the latents of {@link #latents(int, long) latents(n, seed)}.
     *
     * @return float32 NCHW [n, C, H, W] in [-1, 1] (images) or [n, 2] (points)
     * @throws IllegalArgumentException when n &lt; 1 or the output would exceed 2^31 - 1 values
     */
    public HostTensor sample(int n, long seed) {
        checkCount(n);
        return generate(latents(n, seed));
    }

    /**
     * G(z) for the rows of {@code z}. In eval mode (the default) rows are computed in chunks of
     * {@link #CHUNK}; with batch statistics all n rows form one batch.
     *
     * @param z float32 [n, latent], every value finite
     * @return float32 NCHW [n, C, H, W] in [-1, 1] (images) or [n, 2] (points)
     * @throws IllegalArgumentException for another dtype, rank or latent length, n &lt; 1, or a
     *                                  NaN or infinite value (its row and column named)
     */
    public HostTensor generate(HostTensor z) {
        checkOpen();
        checkLatents(z, latent(), "generator input z");
        int n = (int) z.shape()[0];
        checkCount(n);
        long per = net.outShape().numel();
        float[] nhwc = new float[Math.toIntExact(n * per)];
        if (batchStatistics && net.hasBatchNorm()) {
            forwardWithBatchStatistics(z.f32(), n, nhwc);
        } else {
            for (int start = 0; start < n; start += CHUNK) {
                int m = Math.min(CHUNK, n - start);
                try (Tensor in = Tensor.of(net.device(), Shape.of(m, latent()),
                        Arrays.copyOfRange(z.f32(), start * latent(), (start + m) * latent()));
                     Sequential.Pass p = net.pass(m)) {
                    float[] out = p.forward(in, !net.hasBatchNorm()).toArray();
                    System.arraycopy(out, 0, nhwc, (int) (start * per), out.length);
                }
            }
        }
        long[] shape = new long[1 + sampleShape().length];
        shape[0] = n;
        System.arraycopy(sampleShape(), 0, shape, 1, sampleShape().length);
        return HostTensor.f32(shape, makesImages() ? toNchw(nhwc, n, net.outShape()) : nhwc);
    }

    /** A training-mode forward (batch statistics) with the running statistics and counter put back afterwards. */
    private void forwardWithBatchStatistics(float[] z, int n, float[] into) {
        float[] running = net.buffers().toArray();
        long count = net.trainingForwards();
        try (Tensor in = Tensor.of(net.device(), Shape.of(n, latent()), z); Sequential.Pass p = net.pass(n)) {
            float[] out = p.forward(in, true).toArray();
            System.arraycopy(out, 0, into, 0, out.length);
        } finally {
            net.buffers().copyFrom(running);
            net.setTrainingForwards(count);
        }
    }

    /**
     * The images as one grid picture (ceil(sqrt(n)) columns, 2-pixel white lines between tiles;
     * jgan.io.ImageGrid), 8-bit grey for 1 channel, RGB for 3.
     *
     * @param images float32 NCHW [n, C, H, W] as {@link #generate} returns
     * @throws IllegalArgumentException when it is not such a tensor
     */
    public BufferedImage grid(HostTensor images) {
        long[] s = checkImages(images);
        return ImageGrid.imageNchw(images.f32(), (int) s[0], (int) s[1], (int) s[2], (int) s[3], 1);
    }

    /**
     * Image {@code i} of a batch as a picture of H x W pixels (value v -> 8-bit round((v + 1) * 127.5)).
     *
     * @throws IllegalArgumentException when i is out of range or {@code images} is not NCHW images
     */
    public BufferedImage image(HostTensor images, int i) {
        long[] s = checkImages(images);
        if (i < 0 || i >= s[0]) {
            throw new IllegalArgumentException("image " + i + " of a batch of " + s[0]);
        }
        int per = (int) (s[1] * s[2] * s[3]);
        return ImageGrid.imageNchw(Arrays.copyOfRange(images.f32(), i * per, (i + 1) * per), 1, (int) s[1], (int) s[2], (int) s[3], 1);
    }

    private static long[] checkImages(HostTensor images) {
        if (images.dtype() != HostTensor.DType.F32 || images.rank() != 4) {
            throw new IllegalArgumentException("images must be float32 NCHW [n, C, H, W], got " + images);
        }
        return images.shape();
    }

    /**
     * Refuses latents that are not float32 [n, latent] with finite values.
     *
     * @throws IllegalArgumentException naming {@code what}, the shape expected and the first bad value
     */
    public static void checkLatents(HostTensor z, int latent, String what) {
        if (z.dtype() != HostTensor.DType.F32 || z.rank() != 2 || z.shape()[1] != latent || z.shape()[0] < 1) {
            throw new IllegalArgumentException(what + " must be float32 [n, " + latent + "] with n >= 1 (the model's latent length is "
                    + latent + "), got " + z.dtype() + z.shapeString());
        }
        float[] v = z.f32();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new IllegalArgumentException(what + " holds " + v[i] + " at row " + i / latent + ", column " + i % latent
                        + ": every value must be finite");
            }
        }
    }

    private void checkCount(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("the number of samples must be at least 1, got " + n);
        }
        if ((long) n * Math.max(latent(), net.outShape().numel()) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(n + " samples of " + Arrays.toString(sampleShape()) + " exceed 2^31 - 1 values: ask for"
                    + " fewer at a time");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("generator " + source + " is closed");
        }
    }

    /** NHWC [n, H, W, C] to NCHW [n, C, H, W]. */
    static float[] toNchw(float[] nhwc, int n, Shape image) {
        int h = image.dim(0), w = image.dim(1), c = image.dim(2);
        float[] out = new float[nhwc.length];
        int per = h * w * c;
        for (int b = 0; b < n; b++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int k = 0; k < c; k++) {
                        out[b * per + (k * h + y) * w + x] = nhwc[b * per + (y * w + x) * c + k];
                    }
                }
            }
        }
        return out;
    }

    /** Frees the network's device memory (not the device). Closing twice is harmless. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            net.close();
        }
    }

    @Override
    public String toString() {
        return "Generator[" + spec.model() + " " + Arrays.toString(sampleShape()) + " from " + source + "]";
    }
}
