package jgan.gan;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import jgan.data.Mixture;
import jgan.kernels.Activation;
import jgan.nn.Init;

/**
 * Everything that defines a training run, immutable and checked on construction (a bad value
 * is refused with a message naming it). Serialised as config.json in the run folder and inside
 * every checkpoint, so a resumed run continues with exactly the same settings.
 *
 * @param data           the mixture: ring8 or grid25
 * @param loss           the adversarial objective
 * @param steps          generator updates in all
 * @param batch          rows per real and per fake batch
 * @param lrG            Adam learning rate of G
 * @param lrD            Adam learning rate of D
 * @param beta1          Adam beta1 (both)
 * @param beta2          Adam beta2 (both)
 * @param seed           seeds initialisation, latent draws and data draws
 * @param latent         dimension of z ~ N(0, I)
 * @param width          hidden width of G and D (mlp)
 * @param depthG         hidden layers of G (mlp; mlp-conv's dense G)
 * @param depthD         hidden layers of D (mlp); mlp-conv: D's convolutions
 * @param activation     hidden activation of the mlp: relu, leakyrelu or tanh
 * @param slope          leaky ReLU slope (mlp with leakyrelu; mlp-conv)
 * @param init           weight initialisation
 * @param nCritic        D updates per G update
 * @param clip           WGAN weight clipping (0: none)
 * @param labelSmoothing one-sided label smoothing of the real target
 * @param tf32           TF32 tensor-core GEMMs where the device has them
 * @param logEvery       steps between progress lines and log rows (the only host reads)
 * @param checkpointEvery steps between checkpoints (0: only at the end)
 * @param model          the networks: {@code mlp} (2-D mixtures), {@code dcgan} or {@code mlp-conv} (images)
 * @param imageSize      image height = width in pixels (images; 0 for the mixtures)
 * @param channels       1 (grey) or 3 (RGB) (images; 0 for the mixtures)
 * @param gWidth         G's width: DCGAN's ngf; mlp-conv: its dense layers' width (images; 0 for the mixtures)
 * @param dWidth         D's width: DCGAN's ndf; mlp-conv: its first convolution's channels (images; 0 for the mixtures)
 * @param dataDir        fashion-mnist: the folder of the four idx .gz files ("" = where Debian's package puts them);
 *                       folder: the image folder (absolute); "" for the mixtures
 * @param sampleBn       how G's batch norm runs for RUN/samples: {@code eval} (running statistics: a fixed z gives the same
 *                       image whatever the batch) or {@code batch} (the sample batch's statistics)
 * @param background     the colour RGBA images are composited onto, {@code #rrggbb} (images)
 * @param pack           PacGAN's packing degree m: D judges m samples concatenated (features for the mlp, channels for
 *                       images; the batch a multiple of m); 1 = no packing ({@link Packing})
 * @param lrSchedule     the learning-rate schedule of both networks over the run: constant, linear or cosine (decaying to
 *                       lr_final times the rate over the run's updates: G's steps, D's steps x n_critic)
 * @param lrFinal        the final fraction of the rate for linear and cosine, in [0, 1] (0 with constant)
 * @param lrWarmup       steps of linear warm-up before the schedule (G steps; D: times n_critic), in [0, steps)
 * @param ema            the decay of G's exponential moving average (samples and evaluation use the average), in [0, 1); 0: none
 * @param r1             gamma of the R1 gradient penalty on D at real data (Mescheder, Geiger, Nowozin 2018, eq. 9:
 *                       gamma / 2 * E ||grad_x D(x)||^2 added to D's loss; jgan.nn.R1Penalty), finite and >= 0; 0: none.
 *                       Only for the mlp model with relu or leakyrelu (a D whose derivative is piecewise constant)
 *
 * <p>The last six ("mode" fields) are written to config.json only when they differ from "none" (pack 1, constant, no
 * warm-up, ema 0, r1 0), so a run without them writes what jgan wrote before they existed, and older configs read with them off.
 */
public record TrainConfig(String data, LossKind loss, int steps, int batch, float lrG, float lrD, float beta1, float beta2,
                          long seed, int latent, int width, int depthG, int depthD, Activation activation, float slope,
                          Init init, int nCritic, float clip, float labelSmoothing, boolean tf32, int logEvery,
                          int checkpointEvery, String model, int imageSize, int channels, int gWidth, int dWidth,
                          String dataDir, String sampleBn, String background, int pack, String lrSchedule, float lrFinal,
                          int lrWarmup, float ema, float r1) {
    /**
     * The config.json / checkpoint format written for image runs. Mixture runs are still written as
     * version 1 (the fields of the first jgan, no image fields), byte for byte as before, so older
     * runs and newer mixture runs read alike; a version-1 file reads as an mlp run.
     */
    public static final int FORMAT_VERSION = 2;
    /** The version of mixture (mlp) configs: the first jgan's fields only. */
    public static final int FORMAT_VERSION_MIXTURE = 1;
    /** The data sets: the two mixtures, Fashion-MNIST, and a folder of images (its path in data_dir). */
    public static final java.util.List<String> DATA = java.util.List.of("ring8", "grid25", "fashion-mnist", "folder");
    public static final java.util.List<String> MODELS = java.util.List.of("mlp", "dcgan", "mlp-conv");
    public static final String FASHION_MNIST = "fashion-mnist", FOLDER = "folder";

    /** A mixture run with the first jgan's fields (model mlp, no image fields). */
    public TrainConfig(String data, LossKind loss, int steps, int batch, float lrG, float lrD, float beta1, float beta2,
                       long seed, int latent, int width, int depthG, int depthD, Activation activation, float slope,
                       Init init, int nCritic, float clip, float labelSmoothing, boolean tf32, int logEvery,
                       int checkpointEvery) {
        this(data, loss, steps, batch, lrG, lrD, beta1, beta2, seed, latent, width, depthG, depthD, activation, slope, init, nCritic, clip,
                labelSmoothing, tf32, logEvery, checkpointEvery, "mlp", 0, 0, 0, 0, "", "eval", "#ffffff");
    }

    /** A run without the mode fields (pack 1, constant rate, no warm-up, no EMA). */
    public TrainConfig(String data, LossKind loss, int steps, int batch, float lrG, float lrD, float beta1, float beta2,
                       long seed, int latent, int width, int depthG, int depthD, Activation activation, float slope,
                       Init init, int nCritic, float clip, float labelSmoothing, boolean tf32, int logEvery,
                       int checkpointEvery, String model, int imageSize, int channels, int gWidth, int dWidth,
                       String dataDir, String sampleBn, String background) {
        this(data, loss, steps, batch, lrG, lrD, beta1, beta2, seed, latent, width, depthG, depthD, activation, slope, init, nCritic, clip,
                labelSmoothing, tf32, logEvery, checkpointEvery, model, imageSize, channels, gWidth, dWidth, dataDir, sampleBn, background,
                1, CONSTANT, 0f, 0, 0f);
    }

    /** A run without R1 (r1 0): the fields before R1 existed. */
    public TrainConfig(String data, LossKind loss, int steps, int batch, float lrG, float lrD, float beta1, float beta2,
                       long seed, int latent, int width, int depthG, int depthD, Activation activation, float slope,
                       Init init, int nCritic, float clip, float labelSmoothing, boolean tf32, int logEvery,
                       int checkpointEvery, String model, int imageSize, int channels, int gWidth, int dWidth,
                       String dataDir, String sampleBn, String background, int pack, String lrSchedule, float lrFinal,
                       int lrWarmup, float ema) {
        this(data, loss, steps, batch, lrG, lrD, beta1, beta2, seed, latent, width, depthG, depthD, activation, slope, init, nCritic, clip,
                labelSmoothing, tf32, logEvery, checkpointEvery, model, imageSize, channels, gWidth, dWidth, dataDir, sampleBn, background,
                pack, lrSchedule, lrFinal, lrWarmup, ema, 0f);
    }

    /** The learning-rate schedule names (jgan.kernels.Optimizer.ScheduleKind). */
    public static final java.util.List<String> LR_SCHEDULES = java.util.List.of("constant", "linear", "cosine");
    static final String CONSTANT = "constant";
    /** The mode fields: written only when not off, optional on reading. */
    public static final java.util.List<String> MODE_FIELDS = java.util.List.of("pack", "lr_schedule", "lr_final", "lr_warmup", "ema",
            "r1");

    public TrainConfig {
        if (data == null || !DATA.contains(data)) {
            throw new IllegalArgumentException("unknown data '" + data + "': use ring8, grid25, fashion-mnist or a folder of images");
        }
        if (model == null || !MODELS.contains(model)) {
            throw new IllegalArgumentException("unknown model '" + model + "': use dcgan or mlp-conv for images, mlp for the 2-D mixtures");
        }
        if (dataDir == null || sampleBn == null || background == null) {
            throw new IllegalArgumentException("data_dir, sample_bn and background must be given");
        }
        boolean images = data.equals(FASHION_MNIST) || data.equals(FOLDER);
        if (!images) {
            Mixture.named(data); // refuses an unknown mixture
            if (!model.equals("mlp")) {
                throw new IllegalArgumentException("model " + model + " makes images; the 2-D mixture " + data + " is learnt by model mlp");
            }
            if (imageSize != 0 || channels != 0 || gWidth != 0 || dWidth != 0 || !dataDir.isEmpty()) {
                throw new IllegalArgumentException("the 2-D mixture " + data + " has no image_size, channels, g_width, d_width or data_dir"
                        + " (they must be 0 and \"\")");
            }
        } else {
            if (model.equals("mlp")) {
                throw new IllegalArgumentException("model mlp learns the 2-D mixtures; for " + (data.equals(FOLDER) ? "a folder of images"
                        : data) + " use --model dcgan or mlp-conv");
            }
            positive("image_size", imageSize);
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), got " + channels);
            }
            positive("g_width", gWidth);
            positive("d_width", dWidth);
            if (data.equals(FOLDER) && dataDir.isEmpty()) {
                throw new IllegalArgumentException("data folder needs its path in data_dir");
            }
            if (!sampleBn.equals("eval") && !sampleBn.equals("batch")) {
                throw new IllegalArgumentException("sample_bn must be eval or batch, got '" + sampleBn + "'");
            }
            if (!background.matches("#[0-9a-f]{6}")) {
                throw new IllegalArgumentException("background must be a colour #rrggbb (lower-case hex), got '" + background + "'");
            }
        }
        if (!images && (!sampleBn.equals("eval") || !background.equals("#ffffff"))) {
            throw new IllegalArgumentException("the 2-D mixture " + data + " has no sample_bn or background");
        }
        positive("steps", steps);
        positive("batch", batch);
        positiveFinite("lr_g", lrG);
        positiveFinite("lr_d", lrD);
        fraction("beta1", beta1);
        fraction("beta2", beta2);
        positive("latent", latent);
        positive("width", width);
        positive("depth_g", depthG);
        positive("depth_d", depthD);
        if (activation == Activation.IDENTITY) {
            throw new IllegalArgumentException("activation must be relu, leakyrelu or tanh");
        }
        if (!(slope >= 0) || !Float.isFinite(slope)) {
            throw new IllegalArgumentException("slope must be a finite number >= 0, got " + slope);
        }
        positive("n_critic", nCritic);
        if (!(clip >= 0) || !Float.isFinite(clip)) {
            throw new IllegalArgumentException("clip must be a finite number >= 0, got " + clip);
        }
        if (clip > 0 && loss != LossKind.WASSERSTEIN) {
            throw new IllegalArgumentException("clip applies to the wasserstein critic only; it has no effect with the "
                    + loss.cliName() + " loss");
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("label_smoothing must be in [0, 1), got " + labelSmoothing);
        }
        positive("log_every", logEvery);
        if (checkpointEvery < 0) {
            throw new IllegalArgumentException("checkpoint_every must be >= 0, got " + checkpointEvery);
        }
        if (pack < 1) {
            throw new IllegalArgumentException("pack must be >= 1 (1: no packing), got " + pack);
        }
        Packing.check(batch, pack, images);
        if (lrSchedule == null || !LR_SCHEDULES.contains(lrSchedule)) {
            throw new IllegalArgumentException("lr_schedule must be constant, linear or cosine, got '" + lrSchedule + "'");
        }
        if (!(lrFinal >= 0 && lrFinal <= 1)) {
            throw new IllegalArgumentException("lr_final must be in [0, 1] (a fraction of the rate), got " + lrFinal);
        }
        if (lrSchedule.equals(CONSTANT) && lrFinal != 0) {
            throw new IllegalArgumentException("lr_final is where linear and cosine end; with lr_schedule constant it must be 0, got "
                    + lrFinal);
        }
        if (lrWarmup < 0 || lrWarmup >= steps) {
            throw new IllegalArgumentException("lr_warmup must be in [0, steps) = [0, " + steps + "), got " + lrWarmup);
        }
        if (!(ema >= 0 && ema < 1)) {
            throw new IllegalArgumentException("ema must be in [0, 1) (the decay of G's average; 0: none), got " + ema);
        }
        if (!(r1 >= 0) || !Float.isFinite(r1)) {
            throw new IllegalArgumentException("r1 must be a finite number >= 0 (gamma of the R1 penalty; 0: none), got " + r1);
        }
        if (r1 > 0 && !model.equals("mlp")) {
            throw new IllegalArgumentException("r1 is implemented for the mlp model's discriminator only (dense layers with relu or"
                    + " leakyrelu); model " + model + "'s D has convolutions" + (model.equals("dcgan") ? " and batch norm" : "")
                    + ", whose double backward jgan does not have");
        }
        if (r1 > 0 && activation == Activation.TANH) {
            throw new IllegalArgumentException("r1 needs activation relu or leakyrelu: their derivative is piecewise constant, so the"
                    + " penalty's double backward needs no second derivative; tanh's would");
        }
    }

    /**
     * The learning-rate schedule of G (over {@code steps} updates) or D (over steps x n_critic,
     * warm-up scaled alike), or null for a constant rate without warm-up.
     */
    public jgan.kernels.Optimizer.Schedule schedule(boolean discriminator) {
        if (lrSchedule.equals(CONSTANT) && lrWarmup == 0) {
            return null;
        }
        long per = discriminator ? nCritic : 1;
        long total = (long) steps * per, warm = (long) lrWarmup * per;
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a learning-rate schedule counts updates in 32 bits: steps " + steps + " x n_critic " + nCritic
                    + " is past " + Integer.MAX_VALUE);
        }
        return new jgan.kernels.Optimizer.Schedule(jgan.kernels.Optimizer.ScheduleKind.parse(lrSchedule), lrSchedule.equals(CONSTANT) ? 1f
                : lrFinal, (int) warm, (int) total);
    }

    /** The mode settings for the run's first line: empty when all are off. */
    public String modeSettings() {
        java.util.List<String> parts = new java.util.ArrayList<>();
        if (pack > 1) {
            parts.add("D packs " + pack + " samples (PacGAN)");
        }
        if (!lrSchedule.equals(CONSTANT)) {
            parts.add("lr " + lrSchedule + " to " + lrFinal + "x");
        }
        if (lrWarmup > 0) {
            parts.add("lr warm-up " + lrWarmup + " steps");
        }
        if (ema > 0) {
            parts.add("G EMA " + ema + " (samples from the average)");
        }
        if (r1 > 0) {
            parts.add("R1 penalty on D, gamma " + r1);
        }
        return String.join(", ", parts);
    }

    /**
     * The defaults for a data set: {@link #imageDefaults} for fashion-mnist and folder, else the
     * mixture defaults (what the README's mixture example runs).
     */
    public static TrainConfig defaults(String data) {
        if (data.equals(FASHION_MNIST) || data.equals(FOLDER)) {
            return imageDefaults(data, data.equals(FOLDER) ? "/" : "");
        }
        // Two time-scales (D learns twice as fast as G) and batch 512: on ring8 this reached 8/8 modes,
        // 93.8% high-quality samples and reverse KL 0.03 in 10k steps, where equal rates of 1e-3
        // (5/8) or 2e-4 (6/8) left modes out (bench/results/toy-mixtures-*.txt has the seeds).
        // Without a penalty on D, G's mass is pushed onto the edges and corners of the data's box and
        // modes are left out (grid25: 6-13/25, ring8: 3-8/8 over 5 seeds); R1 with gamma 10 captured
        // every mode of every seed in the sweep of issue 11 (bench/results/2026-11-30-mode-coverage-cpu.txt),
        // and its samples keep sharpening after 10k steps (grid25 seed 1: 61% high quality at 10k, 85% at
        // 20k), hence 20k steps.
        TrainConfig base = new TrainConfig(data, LossKind.NON_SATURATING, 20_000, 512, 5e-4f, 1e-3f, 0.5f, 0.999f, 1, 16, 128, 3, 3,
                Activation.RELU, 0.2f, Init.PYTORCH, 1, 0f, 0f, true, 500, 2500);
        Map<String, Object> m = base.settings();
        m.put("r1", MIXTURE_R1);
        return fromMap(m);
    }

    /**
     * The mixtures' default gamma of the R1 penalty (Mescheder et al. 2018, eq. 9), chosen by the 5-seed
     * sweep of issue 11; 0 where R1 does not apply (tanh, and wasserstein, whose clipped critic is WGAN's
     * Algorithm 1).
     */
    public static final float MIXTURE_R1 = 10f;

    /** WGAN's weight clipping bound c (Arjovsky et al. 2017, Algorithm 1). */
    public static final float WGAN_CLIP = 0.01f;
    /** WGAN's critic iterations per generator iteration (Algorithm 1). */
    public static final int WGAN_N_CRITIC = 5;

    /**
     * The defaults for a mixture and a loss. For wasserstein, WGAN's Algorithm 1 settings: weights
     * clipped to [-0.01, 0.01] and 5 critic steps per generator step; the optimiser stays Adam but
     * without momentum (beta1 0, beta2 0.9: the WGAN paper found momentum unstable for the clipped
     * critic and used RMSProp, which Adam with beta1 = 0 resembles; WGAN-GP's Adam settings).
     * Other losses: {@link #defaults(String)}.
     */
    public static TrainConfig defaults(String data, LossKind loss) {
        Map<String, Object> m = defaults(data).settings();
        m.put("loss", loss.cliName());
        if (loss == LossKind.WASSERSTEIN) {
            m.put("beta1", 0f);
            m.put("beta2", 0.9f);
            m.put("n_critic", WGAN_N_CRITIC);
            m.put("clip", WGAN_CLIP);
            m.put("r1", 0f);
        }
        return fromMap(m);
    }

    /** Steps of the image main job (README: {@code jgan train --data fashion-mnist}); see {@link #imageDefaults}. */
    public static final int IMAGE_STEPS = 3000;

    /**
     * The defaults for images: DCGAN (Radford et al. 2016, section 4 and PyTorch's DCGAN example):
     * Adam lr 2e-4 for both, beta1 0.5, beta2 0.999, batch 64, weights N(0, 0.02), the
     * non-saturating loss; 28x28 grey for fashion-mnist, 32x32 RGB for a folder. The widths
     * (ngf = ndf = 32, half the example's 64) and {@link #IMAGE_STEPS} are sized so that the
     * main job finishes on 2 CPU cores within 10 minutes. For mlp-conv: {@link #mlpConvDefaults}.
     *
     * @param dataDir the folder (folder) or the idx files' folder ("" = Debian's package path)
     */
    public static TrainConfig imageDefaults(String data, String dataDir) {
        boolean fm = data.equals(FASHION_MNIST);
        return new TrainConfig(data, LossKind.NON_SATURATING, IMAGE_STEPS, 64, 2e-4f, 2e-4f, 0.5f, 0.999f, 1, 100, 512, 2, 2,
                Activation.LEAKY_RELU, 0.2f, Init.NORMAL_002, 1, 0f, 0f, true, 100, 500, "dcgan", fm ? 28 : 32, fm ? 1 : 3, 32, 32,
                dataDir, "eval", "#ffffff");
    }

    /**
     * {@code d} (image defaults) as model mlp-conv with its own sizes: the dense G 2 hidden layers of
     * 512 (leaky ReLU 0.2), D 2 stride-2 k5 convolutions of 32 and 64 channels.
     */
    public static TrainConfig mlpConvDefaults(TrainConfig d) {
        Map<String, Object> m = d.settings();
        m.put("model", "mlp-conv");
        m.put("g_width", 512);
        m.put("d_width", 32);
        m.put("depth_g", 2);
        m.put("depth_d", 2);
        return fromMap(m);
    }

    /** Whether the data are images (fashion-mnist or a folder), not a 2-D mixture. */
    public boolean images() {
        return data.equals(FASHION_MNIST) || data.equals(FOLDER);
    }

    /** What the loss does beyond its name, for the run's first line (e.g. wasserstein's clipping and critic steps). */
    public String lossSettings() {
        String modes = modeSettings();
        return lossOnly() + (modes.isEmpty() ? "" : ", " + modes);
    }

    private String lossOnly() {
        String adam = String.format(Locale.ROOT, "Adam lr G %s D %s, beta1 %s, beta2 %s", lrG, lrD, beta1, beta2);
        return switch (loss) {
            case WASSERSTEIN -> String.format(Locale.ROOT, "%s, %d critic steps per G step, %s",
                    clip > 0 ? "critic weights clipped to +-" + clip : "critic weights not clipped (--clip 0)", nCritic, adam);
            default -> (nCritic > 1 ? nCritic + " D steps per G step, " : "") + adam
                    + (labelSmoothing > 0 && loss != LossKind.HINGE ? ", real label " + (1 - labelSmoothing) : "");
        };
    }

    /** An initialisation by name: pytorch, xavier, normal_002 (also normal-002), any case. */
    public static Init initNamed(String name) {
        String n = name.toUpperCase(Locale.ROOT).replace('-', '_');
        for (Init i : Init.values()) {
            if (i.name().equals(n)) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown init '" + name + "': use pytorch, xavier or normal_002");
    }

    private static void positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
    }

    private static void positiveFinite(String name, float v) {
        if (!(v > 0) || !Float.isFinite(v)) {
            throw new IllegalArgumentException(name + " must be a positive finite number, got " + v);
        }
    }

    private static void fraction(String name, float v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + v);
        }
    }

    public Mixture mixture() {
        return Mixture.named(data);
    }

    /**
     * As an ordered map of JSON-ready values (the config.json fields): a mixture run as format
     * version 1 (exactly the first jgan's fields), an image run as version 2 (those, then model,
     * image_size, channels, g_width, d_width, data_dir, sample_bn, background), without the fields
     * its model and loss do not use ({@link #unusedFields}) while they hold the value reading fills
     * in ({@link #UNUSED_DEFAULTS}), so that a dcgan run's config does not list the mlp's width,
     * depths, activation and slope, nor clip unless the loss is wasserstein.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = settings();
        for (String f : unusedFields()) {
            if (m.get(f).equals(UNUSED_DEFAULTS.get(f))) {
                m.remove(f);
            }
        }
        return m;
    }

    /**
     * The values an image config's unused fields take when config.json leaves them out: those of
     * {@link #imageDefaults} (what every image run has had in them; the options that set them are
     * refused for the models that do not use them).
     */
    public static final Map<String, Object> UNUSED_DEFAULTS = Map.of("width", 512, "depth_g", 2, "depth_d", 2, "activation",
            "leakyrelu", "slope", 0.2f, "clip", 0f);

    /**
     * The fields this run's networks and loss do not use: none for a mixture (model mlp uses them
     * all; its config stays version 1 byte for byte); dcgan: width, depth_g, depth_d, activation,
     * slope (its sizes are g_width and d_width, its slope DCGAN's 0.2); mlp-conv: width and
     * activation (leaky ReLU with slope); and clip unless the loss is wasserstein.
     */
    public java.util.List<String> unusedFields() {
        return images() ? unusedFields(model, loss == LossKind.WASSERSTEIN) : java.util.List.of();
    }

    private static java.util.List<String> unusedFields(String imageModel, boolean wasserstein) {
        java.util.List<String> f = new java.util.ArrayList<>(imageModel.equals("dcgan")
                ? java.util.List.of("width", "depth_g", "depth_d", "activation", "slope") : java.util.List.of("width", "activation"));
        if (!wasserstein) {
            f.add("clip");
        }
        return f;
    }

    /**
     * Every field, those {@link #toMap} leaves out included, as an ordered map of JSON-ready
     * values (what {@link #with} and the command line's options edit).
     */
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format_version", images() ? FORMAT_VERSION : FORMAT_VERSION_MIXTURE);
        m.put("data", data);
        m.put("loss", loss.cliName());
        m.put("steps", steps);
        m.put("batch", batch);
        m.put("lr_g", lrG);
        m.put("lr_d", lrD);
        m.put("beta1", beta1);
        m.put("beta2", beta2);
        m.put("seed", seed);
        m.put("latent", latent);
        m.put("width", width);
        m.put("depth_g", depthG);
        m.put("depth_d", depthD);
        m.put("activation", activationName(activation));
        m.put("slope", slope);
        m.put("init", init.name().toLowerCase(Locale.ROOT));
        m.put("n_critic", nCritic);
        m.put("clip", clip);
        m.put("label_smoothing", labelSmoothing);
        m.put("tf32", tf32);
        m.put("log_every", logEvery);
        m.put("checkpoint_every", checkpointEvery);
        if (images()) {
            m.put("model", model);
            m.put("image_size", imageSize);
            m.put("channels", channels);
            m.put("g_width", gWidth);
            m.put("d_width", dWidth);
            m.put("data_dir", dataDir);
            m.put("sample_bn", sampleBn);
            m.put("background", background);
        }
        if (pack != 1) {
            m.put("pack", pack);
        }
        if (!lrSchedule.equals(CONSTANT)) {
            m.put("lr_schedule", lrSchedule);
            m.put("lr_final", lrFinal);
        }
        if (lrWarmup != 0) {
            m.put("lr_warmup", lrWarmup);
        }
        if (ema != 0) {
            m.put("ema", ema);
        }
        if (r1 != 0) {
            m.put("r1", r1);
        }
        return m;
    }

    /**
     * From the map of {@link #toMap} (values as parsed from JSON); refuses missing or extra fields.
     * Version 1 (written before the image models, and by mixture runs) reads as an mlp run.
     */
    public static TrainConfig fromMap(Map<String, Object> given) {
        Object version = given.get("format_version");
        boolean v1 = version instanceof Number n1 && n1.doubleValue() == FORMAT_VERSION_MIXTURE;
        if (!v1 && !(version instanceof Number n && n.doubleValue() == FORMAT_VERSION)) {
            throw new IllegalArgumentException("format_version is " + (version == null ? "missing" : shown(version)) + ", not "
                    + FORMAT_VERSION_MIXTURE + " or " + FORMAT_VERSION + " (not a jgan config, or one of another version)");
        }
        Map<String, Object> m = given;
        if (!v1 && given.get("model") instanceof String model && !model.equals("mlp")) {
            // an image config leaves out the fields its model and loss do not use (older ones list them: read as written)
            m = new LinkedHashMap<>(given);
            boolean wasserstein;
            try {
                wasserstein = given.get("loss") instanceof String l && LossKind.named(l) == LossKind.WASSERSTEIN;
            } catch (IllegalArgumentException e) {
                wasserstein = false; // refused below, naming the loss
            }
            for (String f : unusedFields(model, wasserstein)) {
                m.putIfAbsent(f, UNUSED_DEFAULTS.get(f));
            }
        }
        TrainConfig c = new TrainConfig(str(m, "data"), LossKind.named(str(m, "loss")), integer(m, "steps"),
                integer(m, "batch"), real(m, "lr_g"), real(m, "lr_d"),
                real(m, "beta1"), real(m, "beta2"), whole(m, "seed"),
                integer(m, "latent"), integer(m, "width"), integer(m, "depth_g"),
                integer(m, "depth_d"), activationNamed(str(m, "activation")), real(m, "slope"),
                initNamed(str(m, "init")), integer(m, "n_critic"),
                real(m, "clip"), real(m, "label_smoothing"), bool(m, "tf32"),
                integer(m, "log_every"), integer(m, "checkpoint_every"),
                v1 ? "mlp" : str(m, "model"), v1 ? 0 : integer(m, "image_size"), v1 ? 0 : integer(m, "channels"),
                v1 ? 0 : integer(m, "g_width"), v1 ? 0 : integer(m, "d_width"), v1 ? "" : str(m, "data_dir"),
                v1 ? "eval" : str(m, "sample_bn"), v1 ? "#ffffff" : str(m, "background"),
                m.containsKey("pack") ? integer(m, "pack") : 1, m.containsKey("lr_schedule") ? str(m, "lr_schedule") : CONSTANT,
                m.containsKey("lr_final") ? real(m, "lr_final") : 0f, m.containsKey("lr_warmup") ? integer(m, "lr_warmup") : 0,
                m.containsKey("ema") ? real(m, "ema") : 0f, m.containsKey("r1") ? real(m, "r1") : 0f);
        java.util.Set<String> extra = new java.util.LinkedHashSet<>(m.keySet());
        extra.removeAll(c.settings().keySet());
        extra.removeAll(MODE_FIELDS); // read above (a field at its "off" value is not written back)
        if (!v1) {
            extra.removeAll(IMAGE_FIELDS); // a version-2 mixture config: its image fields were checked neutral
        }
        if (!extra.isEmpty()) {
            throw new IllegalArgumentException("config has " + (extra.size() == 1 ? "a field jgan does not know: '" : "fields jgan does not"
                    + " know: '") + String.join("', '", extra) + "'");
        }
        return c;
    }

    /** The fields of format version 2 that version 1 lacks. */
    public static final java.util.List<String> IMAGE_FIELDS = java.util.List.of("model", "image_size", "channels", "g_width", "d_width",
            "data_dir", "sample_bn", "background");

    /** Whether a parsed JSON object is a jgan config by its header: a format_version of 1 or 2 (its other fields are not checked). */
    public static boolean looksLikeConfig(Map<String, Object> m) {
        return m.get("format_version") instanceof Number n && (n.doubleValue() == FORMAT_VERSION_MIXTURE
                || n.doubleValue() == FORMAT_VERSION);
    }

    private static Object need(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("config lacks '" + key + "'");
        }
        return v;
    }

    private static String shown(Object v) {
        return v instanceof String ? "the text \"" + v + "\"" : v instanceof Map ? "an object" : v instanceof java.util.List ? "a list"
                : String.valueOf(v);
    }

    private static String str(Map<String, Object> m, String key) {
        Object v = need(m, key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("'" + key + "' must be a name in quotes, got " + shown(v));
        }
        return s;
    }

    private static boolean bool(Map<String, Object> m, String key) {
        Object v = need(m, key);
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException("'" + key + "' must be true or false, got " + shown(v));
        }
        return b;
    }

    private static float real(Map<String, Object> m, String key) {
        Object v = need(m, key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("'" + key + "' must be a number, got " + shown(v));
        }
        return n.floatValue();
    }

    /** A whole number: a JSON integer, or a double with no fraction (never truncated). */
    private static long whole(Map<String, Object> m, String key) {
        Object v = need(m, key);
        if (v instanceof Long || v instanceof Integer) {
            return ((Number) v).longValue();
        }
        if (v instanceof java.math.BigInteger b) {
            throw new IllegalArgumentException("'" + key + "' is " + b + ", past the limit " + (b.signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE));
        }
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 0x1p63) {
            return (long) n.doubleValue();
        }
        throw new IllegalArgumentException("'" + key + "' must be a whole number, got " + shown(v));
    }

    private static int integer(Map<String, Object> m, String key) {
        long v = whole(m, key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("'" + key + "' is " + v + ", past the limit " + Integer.MAX_VALUE);
        }
        return (int) v;
    }

    public static String activationName(Activation a) {
        return switch (a) {
            case RELU -> "relu";
            case LEAKY_RELU -> "leakyrelu";
            case TANH -> "tanh";
            case IDENTITY -> "identity";
        };
    }

    public static Activation activationNamed(String name) {
        return switch (name.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "")) {
            case "relu" -> Activation.RELU;
            case "leakyrelu" -> Activation.LEAKY_RELU;
            case "tanh" -> Activation.TANH;
            default -> throw new IllegalArgumentException("unknown activation '" + name + "': use relu, leakyrelu or tanh");
        };
    }

    /** A copy with a field replaced, by its config.json name and a string value (command-line options). */
    public TrainConfig with(String key, String value) {
        Map<String, Object> m = settings();
        if (!m.containsKey(key) && MODE_FIELDS.contains(key)) {
            m.put(key, switch (key) {
                case "pack" -> pack;
                case "lr_schedule" -> lrSchedule;
                case "lr_final" -> lrFinal;
                case "lr_warmup" -> lrWarmup;
                case "r1" -> r1;
                default -> ema;
            });
        }
        if (!m.containsKey(key) || key.equals("format_version")) {
            throw new IllegalArgumentException("unknown setting '" + key + "'");
        }
        Object old = m.get(key);
        try {
            Object parsed;
            if (old instanceof String) {
                parsed = value;
            } else if (old instanceof Boolean) {
                if (!value.equals("true") && !value.equals("false")) {
                    throw new IllegalArgumentException(key + " must be true or false, got '" + value + "'");
                }
                parsed = Boolean.parseBoolean(value);
            } else if (old instanceof Float) {
                parsed = Float.parseFloat(value);
            } else if (old instanceof Long) {
                parsed = Long.parseLong(value);
            } else {
                parsed = Integer.parseInt(value);
            }
            m.put(key, parsed);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + value + "'");
        }
        return fromMap(m);
    }
}
