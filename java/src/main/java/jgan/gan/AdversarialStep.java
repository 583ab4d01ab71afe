package jgan.gan;

import jgan.data.Mixture;
import jgan.device.Device;
import jgan.device.DeviceBuffer;
import jgan.device.DeviceMemory;
import jgan.device.Graph;
import jgan.kernels.Counters;
import jgan.kernels.MathMode;
import jgan.kernels.MixtureSample;
import jgan.kernels.Optimizer;
import jgan.kernels.Philox;
import jgan.kernels.Reduce;
import jgan.nn.AdamOptimizer;
import jgan.nn.Sequential;
import jgan.tensor.Shape;
import jgan.tensor.Tensor;

/**
 * The fused adversarial training step: one {@link #step()} runs n_critic discriminator updates
 * and one generator update entirely on the device, with no host synchronisation, for any model
 * of {@link Networks} and any data: a 2-D mixture is sampled on the device; image batches
 * ({@link RealBatches}) are copied, before each step and outside the captured graph, into a fixed
 * device buffer of n_critic batches that the graph reads (from pinned host memory with an
 * asynchronous copy on a GPU: jgan.device.UploadRing, so the host never waits for the step it
 * has just launched).
 *
 * <pre>
 * D phase (n_critic times):
 *   real  <- mixture sample (Philox, offset on the device), or batch c of the uploaded buffer
 *   z <- N(0, I) (Philox, offset on the device)
 *   fake  = G(z)
 *   D(real), D(fake) as two separate training passes (batch norm: separate batch statistics, as
 *   PyTorch's DCGAN example); loss_D and its gradients at both logits (fused kernel)
 *   D backward on both (weight gradients accumulate); with r1 > 0 the R1 penalty's weight
 *   gradients at the real batch (jgan.nn.R1Penalty, from D(real)'s forward); Adam on D (zeroes D's gradients)
 * G phase:
 *   D(fake) with the updated D; loss_G and its gradient
 *   D backward for the DATA gradient only (D's weight gradients are not computed)
 *   G backward; Adam on G
 * </pre>
 * With pack m > 1 (PacGAN), D runs on packs of m samples ({@link Packing}): for the mixtures the
 * packed views [batch / m, 2 m] of the real and the fake batch (no copies), for images the
 * batches packed along channels [batch / m, H, W, m C] (one transpose launch each); D's data
 * gradient is unpacked the same way for G. The Adam
 * updates follow the config's learning-rate schedule on the device (jgan.kernels.Optimizer's
 * lr_schedule), and with ema > 0 G's update also advances the EMA of G's parameters, which
 * {@link #sample} and {@link #generate} use.
 * Losses, mean D(x) and mean D(G(z)) are added into device accumulators and read back only by
 * {@link #takeStats()}. The first step runs eagerly (it also creates the kernels' workspaces);
 * after that, with {@code useGraph}, the whole step is captured once and replayed: a CUDA graph
 * on a GPU, the recorded launches on the host runtime.
 */
public final class AdversarialStep implements AutoCloseable {
    /** Accumulator slots. */
    private static final int LOSS_D = 0, LOSS_G = 1, D_REAL = 2, D_FAKE = 3;

    private final Device device;
    private final TrainConfig config;
    private final boolean useGraph;
    private final Sequential generator;
    private final Sequential discriminator;
    private final AdamOptimizer optG;
    private final AdamOptimizer optD;
    private final Sequential.Pass gPass;
    private final Sequential.Pass dReal;
    private final Sequential.Pass dFake;
    private final Losses losses;
    /** The R1 penalty on D at the real batch (config r1 > 0), else null. */
    private final jgan.nn.R1Penalty r1;
    private final Tensor z;
    /** Mixtures: one batch [b, 2], sampled on the device each critic step. Images: n_critic batches [n_critic * b, H, W, C], uploaded. */
    private final Tensor real;
    private final Tensor centers;
    /** Image runs: the real batches and the ring they are uploaded through (null for mixtures). */
    private final RealBatches data;
    private final jgan.device.UploadRing uploads;
    /** Slots of the upload ring: the host may queue this many steps' uploads ahead of the device, less one. */
    static final int UPLOAD_SLOTS = 3;
    private final Tensor gradReal;
    private final Tensor gradFake;
    /** Image runs with pack m > 1: the packed real and fake batches [batch / m, H, W, m C], and G's output gradient unpacked. */
    private final Tensor packedReal;
    private final Tensor packedFake;
    private final Tensor fakeGrad;
    private final Tensor stats;
    /** Two 64-bit Philox offsets: [0] latent draws, [1] data draws. */
    private final DeviceBuffer rngOffsets;
    private final DeviceMemory latentOffset;
    private final DeviceMemory dataOffset;
    private final long latentCounters;
    private final float mixtureStd;
    private Graph graph;
    private boolean warmedUp;
    private long steps;
    private long statSteps;

    /** A step on a 2-D mixture (sampled on the device). */
    public AdversarialStep(Device device, TrainConfig config, boolean useGraph) {
        this(device, config, useGraph, null);
    }

    /**
     * A step for {@code config}: on its mixture when {@code data} is null, else on {@code data}'s
     * images (owned by the step from now on: closed with it), which must match the config's batch,
     * image size and channels.
     */
    public AdversarialStep(Device device, TrainConfig config, boolean useGraph, RealBatches data) {
        if (config.images() != (data != null)) {
            throw new IllegalArgumentException(config.images() ? "an image run (" + config.data() + ") needs its real batches"
                    : "a mixture run (" + config.data() + ") samples on the device: give no image batches");
        }
        if (data != null && (data.batch() != config.batch() || data.imageSize() != config.imageSize()
                || data.channels() != config.channels())) {
            throw new IllegalArgumentException("image batches of " + data.batch() + " x " + data.imageSize() + "x" + data.imageSize() + "x"
                    + data.channels() + " do not match the config's batch " + config.batch() + " of " + config.imageSize() + "x"
                    + config.imageSize() + "x" + config.channels());
        }
        this.device = device;
        this.config = config;
        this.useGraph = useGraph;
        this.data = data;
        MathMode mode = config.tf32() ? MathMode.defaultFor(device) : MathMode.FP32;
        int b = config.batch();
        this.generator = Networks.generator(device, config, mode);
        this.discriminator = Networks.discriminator(device, config, mode);
        generator.initialize(config.init(), config.seed() * 2 + 1);
        discriminator.initialize(config.init(), config.seed() * 2 + 2);
        float clip = config.loss() == LossKind.WASSERSTEIN ? config.clip() : 0f;
        // A run without schedule and EMA keeps the scalar-rate Adam (adam_update): the same launches and bits as before they existed.
        this.optG = new AdamOptimizer(generator, new Optimizer.Adam(config.lrG(), config.beta1(), config.beta2(), 1e-8f, 0f, 0f),
                config.schedule(false), config.ema());
        this.optD = new AdamOptimizer(discriminator, new Optimizer.Adam(config.lrD(), config.beta1(), config.beta2(), 1e-8f, 0f, clip),
                config.schedule(true), 0f);
        this.gPass = generator.pass(b);
        int bd = b / config.pack(); // D's batch: packs of pack samples (PacGAN); b itself without packing
        this.dReal = discriminator.pass(bd);
        this.dFake = discriminator.pass(bd);
        this.losses = new Losses(device, config.loss(), bd, config.labelSmoothing());
        this.r1 = config.r1() > 0 ? new jgan.nn.R1Penalty(discriminator, bd, config.r1()) : null;
        this.z = Tensor.empty(device, Shape.of(b, config.latent()));
        if (data == null) {
            this.real = Tensor.empty(device, Shape.of(b, 2));
            Mixture m = config.mixture();
            this.centers = Tensor.of(device, Shape.of(m.modes(), 2), m.centers());
            this.mixtureStd = m.std();
            this.uploads = null;
        } else {
            int s = config.imageSize();
            this.real = Tensor.empty(device, Shape.of(config.nCritic() * b, s, s, config.channels()));
            this.centers = null;
            this.mixtureStd = 0f;
            this.uploads = device.uploadRing(config.nCritic() * data.floatsPerBatch(), UPLOAD_SLOTS);
        }
        this.gradReal = Tensor.empty(device, Shape.of(bd, 1));
        this.gradFake = Tensor.empty(device, Shape.of(bd, 1));
        if (config.images() && config.pack() > 1) {
            int s = config.imageSize();
            this.packedReal = Tensor.empty(device, Shape.of(bd, s, s, config.pack() * config.channels()));
            this.packedFake = Tensor.empty(device, Shape.of(bd, s, s, config.pack() * config.channels()));
            this.fakeGrad = Tensor.empty(device, Shape.of(b, s, s, config.channels()));
        } else {
            this.packedReal = null;
            this.packedFake = null;
            this.fakeGrad = null;
        }
        this.stats = Tensor.zeros(device, Shape.of(4));
        this.rngOffsets = device.allocate(16);
        device.fill32(rngOffsets, 0, 4, 0);
        this.latentOffset = rngOffsets.slice(0, 8);
        this.dataOffset = rngOffsets.slice(8, 8);
        this.latentCounters = Philox.countersFor(b * config.latent());
    }

    /** The real batches of an image run (null for a mixture). */
    public RealBatches realBatches() {
        return data;
    }

    /** The index of the next real batch an image run reads: step * n_critic (the loader's position). */
    public long dataBatch() {
        return steps * config.nCritic();
    }

    public Sequential generator() {
        return generator;
    }

    public Sequential discriminator() {
        return discriminator;
    }

    public AdamOptimizer generatorOptimizer() {
        return optG;
    }

    public AdamOptimizer discriminatorOptimizer() {
        return optD;
    }

    /** Generator updates done. */
    public long steps() {
        return steps;
    }

    /**
     * Enqueues one training step (n_critic D updates, one G update). An image run first fills an
     * upload slot with batches step * n_critic ... step * n_critic + n_critic - 1 and queues its copy
     * into the fixed buffer the step reads (ordered after the previous step on the device's stream).
     */
    public void step() {
        if (data != null) {
            java.nio.FloatBuffer slot = uploads.next();
            long first = dataBatch();
            for (int c = 0; c < config.nCritic(); c++) {
                data.fill(first + c, slot);
            }
            uploads.upload(real.buffer(), real.byteOffset());
        }
        if (useGraph && warmedUp) {
            if (graph == null) {
                device.beginCapture();
                try {
                    enqueue();
                } finally {
                    graph = device.endCapture();
                }
            }
            graph.replay();
        } else {
            enqueue();
            warmedUp = true; // the kernels' workspaces exist now: the step can be captured
        }
        steps++;
        statSteps++;
    }

    private void enqueue() {
        Tensor dStats = stats.view(D_REAL, Shape.of(1)), gStats = stats.view(D_FAKE, Shape.of(1));
        Reduce.Transform t = config.loss().logits() ? Reduce.Transform.SIGMOID : Reduce.Transform.IDENTITY;
        Tensor fake = null;
        int b = config.batch();
        for (int c = 0; c < config.nCritic(); c++) {
            Tensor x;
            if (data == null) {
                MixtureSample.sample(real, centers, mixtureStd, config.seed(), dataOffset);
                x = real;
            } else {
                int s = config.imageSize();
                x = real.view((long) c * b * s * s * config.channels(), Shape.of(b, s, s, config.channels()));
            }
            Counters.addI64(dataOffset, b); // real samples drawn (mixtures: Philox's data offset)
            Philox.normalAt(z, config.seed(), latentOffset, 0f, 1f);
            Counters.addI64(latentOffset, latentCounters);
            fake = gPass.forward(z, true);
            Tensor lr = logits(dReal.forward(packed(x, packedReal), true));
            Tensor lf = logits(dFake.forward(packed(fake, packedFake), true));
            losses.discriminator(lr, lf, gradReal, gradFake, stats.view(LOSS_D, Shape.of(1)));
            Reduce.mean(lr, dStats, t, true);
            Reduce.mean(lf, gStats, t, true);
            dReal.backward(gradReal, true, false);
            dFake.backward(gradFake, true, false);
            if (r1 != null) {
                r1.accumulate(dReal);
            }
            optD.update();
        }
        Tensor lf = logits(dFake.forward(config.images() && config.pack() > 1 ? packedFake : packed(fake, packedFake), true));
        losses.generator(lf, gradFake, stats.view(LOSS_G, Shape.of(1)));
        Tensor dFakeInput = dFake.backward(gradFake, false, true);
        gPass.backward(unpacked(dFakeInput), true, false);
        optG.update();
    }

    /**
     * D's input for samples {@code x}: x itself; with pack m its packed view [batch / m, 2 m]
     * (mixtures), or, for images, x packed into {@code into} [batch / m, H, W, m C] by one
     * transpose launch ({@link Packing}).
     */
    private Tensor packed(Tensor x, Tensor into) {
        if (config.pack() == 1) {
            return x;
        }
        if (!config.images()) {
            return Packing.pack(x, config.pack());
        }
        int s = config.imageSize();
        return Packing.packImages(x.reshape(Shape.of(config.batch(), s, s, config.channels())), config.pack(), into);
    }

    /** G's output gradient from D's data gradient at the packed fake input (the inverse of {@link #packed}). */
    private Tensor unpacked(Tensor dPacked) {
        if (config.pack() == 1) {
            return dPacked;
        }
        return config.images() ? Packing.unpackImages(dPacked, config.pack(), fakeGrad) : Packing.unpack(dPacked, config.pack(), 2);
    }

    /** D's output as [batch / pack, 1] logits (a DCGAN D ends in a 4x4 valid convolution: [batch, 1, 1, 1]). */
    private Tensor logits(Tensor out) {
        return out.shape().rank() == 2 ? out : out.reshape(Shape.of(config.batch() / config.pack(), 1));
    }

    /** Seed offset of the evaluation draws: far from anything training draws. */
    private static final long EVAL_SEED_MIX = 0x5EED_E7A1_0000_0000L;

    /**
     * {@code n} points from G at fixed latent draws that do not depend on, or disturb, training's
     * (the same z for every call), as x0, y0, x1, y1, ... (mixtures), or {@code n} images as
     * float NHWC [n, H, W, C] in [-1, 1] (see {@link #sampleImages}).
     */
    public float[] sample(int n) {
        try (Tensor zs = Tensor.empty(device, Shape.of(n, config.latent()))) {
            Philox.normal(zs, config.seed() ^ EVAL_SEED_MIX, 0, 0f, 1f);
            return generate(zs);
        }
    }

    /**
     * G's images for the fixed z of {@link #sample}: the first {@code n} of that sequence, the same
     * all run long (Philox from the seed, independent of training's draws). G's batch norm uses its
     * running statistics (PyTorch's eval mode: an image does not depend on the others of the batch)
     * unless the config's sample_bn is "batch", in which case the batch's own statistics are used
     * and G's running statistics and counter are put back afterwards, so sampling never changes
     * training.
     *
     * @return float NHWC [n, image_size, image_size, channels] in [-1, 1]
     */
    public float[] sampleImages(int n) {
        if (!config.images()) {
            throw new IllegalStateException("a mixture run samples points: use sample(n)");
        }
        return sample(n);
    }

    /**
     * G's output for the latent rows {@code zs} [n, latent], without changing G's state: from the
     * EMA of G's parameters when the config has one (ema > 0; batch norm, if any, with the
     * running statistics training gathered), else from G's trained parameters.
     */
    public float[] generate(Tensor zs) {
        return optG.withAverage(() -> generateWithCurrentWeights(zs));
    }

    private float[] generateWithCurrentWeights(Tensor zs) {
        int n = zs.shape().dim(0);
        boolean batchStats = generator.hasBatchNorm() && config.sampleBn().equals("batch");
        try (Sequential.Pass p = generator.pass(n)) {
            if (!batchStats) {
                return p.forward(zs, !generator.hasBatchNorm()).toArray();
            }
            long count = generator.trainingForwards();
            try (Tensor saved = Tensor.empty(device, generator.buffers().shape())) {
                saved.copyFrom(generator.buffers());
                float[] out = p.forward(zs, true).toArray();
                generator.buffers().copyFrom(saved);
                generator.setTrainingForwards(count);
                return out;
            }
        }
    }

    /** Mean losses and D outputs since the last call (reads the device: a synchronisation). */
    public Stats takeStats() {
        float[] s = stats.toArray();
        stats.fill(0f);
        long n = Math.max(1, statSteps);
        long nd = n * config.nCritic();
        statSteps = 0;
        return new Stats(steps, s[LOSS_D] / nd, s[LOSS_G] / n, s[D_REAL] / nd, s[D_FAKE] / nd);
    }

    /**
     * The running sums behind the next {@link #takeStats()} (loss_D, loss_G, D(x), D(G(z)), summed
     * over the steps since the last one) and how many steps they hold; reads the device. A
     * checkpoint keeps them, so a run stopped between two log rows and resumed writes the same row
     * as one that never stopped.
     */
    public float[] statSums() {
        return stats.toArray();
    }

    /** Steps summed in {@link #statSums()}. */
    public long statSteps() {
        return statSteps;
    }

    /** Restores the running sums of {@link #statSums()} (from a checkpoint). */
    public void restoreStats(float[] sums, long count) {
        if (sums.length != 4 || count < 0) {
            throw new IllegalArgumentException("stats need 4 sums and a count >= 0, got " + sums.length + " and " + count);
        }
        stats.copyFrom(sums);
        statSteps = count;
    }

    /** Losses and mean D outputs (probabilities for the cross-entropy losses, critic values otherwise). */
    public record Stats(long step, float lossD, float lossG, float dReal, float dFake) {
    }

    /**
     * Whether both networks' parameters, batch-norm statistics, both optimisers' moments and G's EMA
     * (when on) are all finite: the finite_check kernel (jgan.kernels.Reduce) over those tensors into one device flag, then
     * one 4-byte read back. Called before every checkpoint, so a NaN or Inf never reaches one.
     */
    public boolean stateFinite() {
        try (DeviceBuffer flag = device.allocate(4)) {
            device.fill32(flag, 0, 1, 0);
            for (Tensor t : new Tensor[] {generator.parameters(), optG.firstMoment(), optG.secondMoment(), discriminator.parameters(),
                    optD.firstMoment(), optD.secondMoment(), generator.buffers(), discriminator.buffers(), optG.average()}) {
                if (t == null) {
                    continue; // no EMA
                }
                Reduce.finiteCheck(t, flag);
            }
            int[] f = new int[1];
            device.copyToHost(flag, 0, f, 0, 1);
            return f[0] == 0;
        }
    }

    /** The Philox offsets {latent, data} (reads the device), for checkpoints. */
    public long[] rngOffsets() {
        int[] w = new int[4];
        device.copyToHost(rngOffsets, 0, w, 0, 4);
        return new long[] {(w[0] & 0xffffffffL) | ((long) w[1] << 32), (w[2] & 0xffffffffL) | ((long) w[3] << 32)};
    }

    /** Restores the step count and Philox offsets (from a checkpoint). */
    public void restoreCounters(long steps, long latentOffset, long dataOffset) {
        this.steps = steps;
        device.copyToDevice(new int[] {(int) latentOffset, (int) (latentOffset >>> 32), (int) dataOffset, (int) (dataOffset >>> 32)},
                0, rngOffsets, 0, 4);
    }

    public TrainConfig config() {
        return config;
    }

    public Device device() {
        return device;
    }

    @Override
    public void close() {
        if (uploads != null) {
            uploads.close(); // first: waits for the copies in flight into the real buffer
        }
        if (graph != null) {
            graph.close();
        }
        losses.close();
        if (r1 != null) {
            r1.close();
        }
        optG.close();
        optD.close();
        generator.close();
        discriminator.close();
        z.close();
        real.close();
        if (centers != null) {
            centers.close();
        }
        if (data != null) {
            data.close();
        }
        gradReal.close();
        gradFake.close();
        for (Tensor t : new Tensor[] {packedReal, packedFake, fakeGrad}) {
            if (t != null) {
                t.close();
            }
        }
        stats.close();
        rngOffsets.close();
    }
}
