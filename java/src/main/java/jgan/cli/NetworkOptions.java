package jgan.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import jgan.gan.LossKind;
import jgan.gan.TrainConfig;
import jgan.kernels.Activation;
import jgan.nn.Init;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The options that define what is trained (shared by {@code train} and {@code bench}). Every
 * default shown by {@code --help} comes from {@link TrainConfig#defaults(String)} through
 * {@link Defaults}; wasserstein's own defaults ({@link TrainConfig#defaults(String, LossKind)})
 * apply where the user did not give the option. An option that has no effect for the chosen
 * loss or activation is refused, naming it.
 */
final class NetworkOptions {
    /** Largest element count of one tensor: the cpu device's buffers hold fewer than 4 GiB. */
    static final long MAX_ELEMENTS = (1L << 30) - 1;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--data", paramLabel = "DATA", converter = Choices.DataConverter.class, completionCandidates = Choices.DataNames.class,
            description = "What to learn: ${COMPLETION-CANDIDATES} (train: required; bench: default ring8). ring8 and grid25 are 2-D"
                    + " mixtures (model mlp); fashion-mnist and a folder are images (model dcgan, DCGAN's settings: batch 64, latent 100,"
                    + " Adam 2e-4, beta1 0.5, init normal_002). A folder named like one of the names: give it as ./NAME (train notes such a folder in the working directory).")
    String data;

    @Option(names = "--model", paramLabel = "NAME", converter = Choices.ModelConverter.class, completionCandidates = Choices.ModelNames.class,
            description = "The networks, images only: ${COMPLETION-CANDIDATES} (default: dcgan for images, mlp for the mixtures).")
    String model;

    @Option(names = "--image-size", paramLabel = "N", description = "Image height = width, images only (default: 28 fashion-mnist,"
            + " 32 a folder; dcgan: 28 or a power of two 16..256). Images are resized keeping their aspect and centre-cropped to it"
            + " (Fashion-MNIST too, from its 28x28).")
    Long imageSize;

    @Option(names = "--channels", paramLabel = "1|3", description = "1 grey or 3 RGB, images only (default: 1 fashion-mnist, 3 a folder).")
    Long channels;

    @Option(names = "--g-width", paramLabel = "N", description = "G's width, images only: DCGAN's ngf (default: 32); mlp-conv: its dense"
            + " layers' width (default: 512).")
    Long gWidth;

    @Option(names = "--d-width", paramLabel = "N", description = "D's width, images only: DCGAN's ndf; mlp-conv: its first convolution's"
            + " channels, doubling with each (default: 32).")
    Long dWidth;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "With --data fashion-mnist: the folder of its idx .gz files (training reads train-images-idx3-ubyte.gz and"
            + " train-labels-idx1-ubyte.gz; default: /usr/share/datasets/fashion-mnist, installed by apt-get where jgan runs as root).")
    String dataDir;

    @Option(names = "--sample-bn", paramLabel = "MODE", converter = Choices.SampleBnConverter.class,
            completionCandidates = Choices.SampleBnNames.class, description = "G's batch norm for the sample grids: eval (running"
            + " statistics: a fixed z gives the same image whatever the batch) or batch (the grid's own statistics) (default: eval).")
    String sampleBn;

    @Option(names = "--background", paramLabel = "COLOUR", converter = Choices.ColourConverter.class,
            description = "The colour transparent images of a folder are composited onto: white, black, grey or #rrggbb (default: white).")
    String background;

    @Option(names = "--loss", paramLabel = "NAME", converter = Choices.LossConverter.class, completionCandidates = Choices.LossNames.class,
            description = "Adversarial objective: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). wasserstein brings its own"
                    + " defaults: --clip 0.01, --n-critic 5, --beta1 0, --beta2 0.9.")
    LossKind loss;

    @Option(names = "--batch", paramLabel = "N", description = "Rows per real and per fake batch (default: ${DEFAULT-VALUE}; images: 64).")
    Long batch;

    @Option(names = "--lr", paramLabel = "X", description = "Adam learning rate of both G and D (default: --lr-g and --lr-d).")
    Float lr;

    @Option(names = "--lr-g", paramLabel = "X", description = "Adam learning rate of G (default: ${DEFAULT-VALUE}; images: 2e-4).")
    Float lrG;

    @Option(names = "--lr-d", paramLabel = "X", description = "Adam learning rate of D (default: ${DEFAULT-VALUE}; images: 2e-4).")
    Float lrD;

    @Option(names = "--beta1", paramLabel = "X", description = "Adam beta1, both networks (default: ${DEFAULT-VALUE}; wasserstein: 0).")
    Float beta1;

    @Option(names = "--beta2", paramLabel = "X", description = "Adam beta2, both networks (default: ${DEFAULT-VALUE}; wasserstein: 0.9).")
    Float beta2;

    @Option(names = "--seed", paramLabel = "N", description = "Seeds initialisation, latent and data draws (default: ${DEFAULT-VALUE}).")
    Long seed;

    @Option(names = "--latent", paramLabel = "N", description = "Dimension of z ~ N(0, I) (default: ${DEFAULT-VALUE}; images: 100).")
    Long latent;

    @Option(names = "--width", paramLabel = "N", description = "Hidden width of G and D, mlp only (default: ${DEFAULT-VALUE}).")
    Long width;

    @Option(names = "--depth", paramLabel = "N", description = "Hidden layers of both G and D (default: --depth-g and --depth-d).")
    Long depth;

    @Option(names = "--depth-g", paramLabel = "N", description = "Hidden layers of G: mlp, mlp-conv's dense G (default: ${DEFAULT-VALUE}; mlp-conv: 2).")
    Long depthG;

    @Option(names = "--depth-d", paramLabel = "N", description = "Hidden layers of D: mlp; mlp-conv's convolutions (default: ${DEFAULT-VALUE}; mlp-conv: 2).")
    Long depthD;

    @Option(names = "--activation", paramLabel = "NAME", converter = Choices.ActivationConverter.class, completionCandidates = Choices.ActivationNames.class,
            description = "Hidden activation, mlp only: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Activation activation;

    @Option(names = "--slope", paramLabel = "X", description = "Leaky ReLU slope (default: ${DEFAULT-VALUE}; only with --activation leakyrelu).")
    Float slope;

    @Option(names = "--init", paramLabel = "NAME", converter = Choices.InitConverter.class, completionCandidates = Choices.InitNames.class,
            description = "Weight initialisation: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; images: normal_002, DCGAN's).")
    Init init;

    @Option(names = "--n-critic", paramLabel = "N", description = "D updates per G update (default: ${DEFAULT-VALUE}; wasserstein: 5).")
    Long nCritic;

    @Option(names = "--clip", paramLabel = "X", description = "WGAN weight clipping of the critic, with --loss wasserstein only (default: 0.01 there).")
    Float clip;

    @Option(names = "--label-smoothing", paramLabel = "X", description = "One-sided label smoothing of the real target, for the losses with a target"
            + " (minimax, nonsaturating, lsgan) (default: ${DEFAULT-VALUE}).")
    Float labelSmoothing;

    @Option(names = "--tf32", arity = "1", paramLabel = "true|false", converter = Choices.BooleanConverter.class,
            description = "TF32 tensor-core GEMMs where the GPU has them (default: ${DEFAULT-VALUE}).")
    Boolean tf32;

    @Option(names = "--pack", paramLabel = "M", description = "PacGAN packing: D judges M samples at once, all real or all fake,"
            + " concatenated (the mixtures: 2M features; images: M times the channels); the batch must be a multiple of M (default: 1,"
            + " no packing).")
    Long pack;

    @Option(names = "--lr-schedule", paramLabel = "NAME", description = "Learning-rate schedule of G and D over the run: constant, linear"
            + " or cosine, down to --lr-final times the rate at the last step (default: constant). It spans --steps: a resume with more"
            + " steps stretches it from there on.")
    String lrSchedule;

    @Option(names = "--lr-final", paramLabel = "X", description = "Where linear and cosine end, as a fraction of the rate, in [0, 1]"
            + " (default: 0; only with --lr-schedule linear or cosine).")
    Float lrFinal;

    @Option(names = "--lr-warmup", paramLabel = "N", description = "Steps of linear warm-up of the rate, from rate/N, before the schedule"
            + " (default: 0).")
    Long lrWarmup;

    @Option(names = "--ema", paramLabel = "DECAY", description = "Exponential moving average of G's weights with this decay, e.g. 0.999"
            + " (warmed up as min(DECAY, (1+t)/(10+t)) at step t), used for samples and metrics and kept in checkpoints (default: 0,"
            + " none).")
    Float ema;

    @Option(names = "--r1", paramLabel = "GAMMA", description = "R1 gradient penalty on D at real data: GAMMA/2 * E ||grad_x D(x)||^2"
            + " added to D's loss, D its logit (Mescheder, Geiger, Nowozin 2018, eq. 9), e.g. 1; the 2-D mixtures' mlp with relu or"
            + " leakyrelu only (default: 10 for ring8 and grid25 with relu or leakyrelu, chosen by issue 11's 5-seed sweep; 0, none,"
            + " with tanh, wasserstein and for images).")
    Float r1;

    private boolean given(String option) {
        return spec.commandLine() != null && spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** The options the user typed among this mixin's (for "a resumed run keeps its settings"). */
    List<String> givenOptions() {
        List<String> g = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            if (o.longestName().startsWith("--") && !o.usageHelp() && !o.versionHelp() && isMine(o) && given(o.longestName())) {
                g.add(o.longestName());
            }
        }
        return g;
    }

    private static boolean isMine(OptionSpec o) {
        return o.userObject() instanceof java.lang.reflect.Field f && f.getDeclaringClass() == NetworkOptions.class;
    }

    /** The options that only image runs take, and those that only the mlp networks take. */
    static final List<String> IMAGE_OPTIONS = List.of("--model", "--image-size", "--channels", "--g-width", "--d-width", "--data-dir",
            "--sample-bn", "--background");
    static final List<String> MLP_OPTIONS = List.of("--width", "--depth", "--depth-g", "--depth-d", "--activation", "--slope");

    /**
     * The config of these options, with {@code steps}, {@code logEvery}, {@code checkpointEvery}
     * (null: the data's default) and {@code dataFallback} from the command. An option not given
     * takes the default of the data ({@link TrainConfig#defaults(String, LossKind)}).
     */
    TrainConfig config(String dataFallback, Long steps, Long logEvery, Long checkpointEvery) {
        String named = data != null ? data : dataFallback;
        if (named == null) {
            throw new IllegalArgumentException("missing --data DATA (ring8, grid25, fashion-mnist or a folder of images)");
        }
        boolean folder = !List.of("ring8", "grid25", "fashion-mnist").contains(named);
        String dataName = folder ? TrainConfig.FOLDER : named;
        boolean images = folder || dataName.equals(TrainConfig.FASHION_MNIST);
        LossKind l = loss;
        Activation act = activation;
        if (!images) {
            List<String> wrong = new ArrayList<>();
            for (String o : IMAGE_OPTIONS) {
                if (given(o)) {
                    wrong.add(o);
                }
            }
            if (!wrong.isEmpty()) {
                throw new IllegalArgumentException(String.join(", ", wrong) + (wrong.size() == 1 ? " is" : " are") + " for images; the"
                        + " 2-D mixture " + dataName + " is learnt by model mlp: remove " + (wrong.size() == 1 ? "it" : "them"));
            }
        }
        if (given("--background") && dataName.equals(TrainConfig.FASHION_MNIST)) {
            throw new IllegalArgumentException("--background is the colour under the transparent pixels of a folder's images; fashion-mnist"
                    + " has none, so it has no effect: remove it");
        }
        if (given("--data-dir") && !dataName.equals(TrainConfig.FASHION_MNIST)) {
            throw new IllegalArgumentException("--data-dir is where fashion-mnist's idx files are; a folder of images is given as --data "
                    + named + " itself: remove --data-dir");
        }
        String dir = "";
        if (folder) {
            java.nio.file.Path p = java.nio.file.Path.of(named);
            if (!java.nio.file.Files.isDirectory(p)) {
                throw new IllegalArgumentException("unknown data '" + named + "': use ring8, grid25, fashion-mnist or a folder of images ("
                        + (java.nio.file.Files.exists(p) ? named + " is a file, not a folder" : "there is no folder " + named) + ")");
            }
            dir = p.toAbsolutePath().normalize().toString();
        } else if (given("--data-dir")) {
            java.nio.file.Path p = java.nio.file.Path.of(dataDir);
            if (!java.nio.file.Files.isDirectory(p)) {
                throw new IllegalArgumentException("--data-dir " + dataDir + ": " + (java.nio.file.Files.exists(p) ? "not a folder"
                        : "no such folder"));
            }
            dir = p.toAbsolutePath().normalize().toString();
        }
        String chosenModel = given("--model") ? model : images ? "dcgan" : "mlp";
        if (images) {
            // dcgan: only --g-width/--d-width shape it (slope 0.2 as the paper); mlp-conv: --g-width and --depth-g its dense G,
            // --d-width and --depth-d its convolutions, --slope both
            List<String> apply = chosenModel.equals("dcgan") ? List.of() : List.of("--depth", "--depth-g", "--depth-d", "--slope");
            List<String> wrong = new ArrayList<>();
            for (String o : MLP_OPTIONS) {
                if (given(o) && !apply.contains(o)) {
                    wrong.add(o);
                }
            }
            if (!wrong.isEmpty()) {
                throw new IllegalArgumentException(String.join(", ", wrong) + (wrong.size() == 1 ? " has" : " have") + " no effect on model "
                        + chosenModel + " (" + (chosenModel.equals("dcgan") ? "its sizes are --g-width and --d-width"
                        : "its sizes are --g-width and --depth-g for the dense G, --d-width and --depth-d for the convolutions, --slope")
                        + "): remove " + (wrong.size() == 1 ? "it" : "them"));
            }
        }
        if (given("--clip") && l != LossKind.WASSERSTEIN) {
            throw new IllegalArgumentException("--clip clips the critic's weights for --loss wasserstein only; it has no effect with --loss "
                    + l.cliName() + ": remove it");
        }
        if (given("--label-smoothing") && (l == LossKind.WASSERSTEIN || l == LossKind.HINGE)) {
            throw new IllegalArgumentException("--label-smoothing softens the real target, and --loss " + l.cliName()
                    + " has none: remove it");
        }
        TrainConfig d = TrainConfig.defaults(dataName, l);
        Activation actual = given("--activation") ? act : d.activation();
        if (given("--slope") && actual != Activation.LEAKY_RELU) {
            throw new IllegalArgumentException("--slope is the leaky ReLU's; it has no effect with --activation "
                    + TrainConfig.activationName(actual) + ": remove it or add --activation leakyrelu");
        }
        if (lr != null && (given("--lr-g") || given("--lr-d"))) {
            throw new IllegalArgumentException("--lr sets both --lr-g and --lr-d: give --lr, or --lr-g and --lr-d");
        }
        if (depth != null && (given("--depth-g") || given("--depth-d"))) {
            throw new IllegalArgumentException("--depth sets both --depth-g and --depth-d: give --depth, or --depth-g and --depth-d");
        }
        Map<String, Object> m = d.settings();
        if (images) {
            m.put("data_dir", dir);
            m.put("model", chosenModel);
            if (chosenModel.equals("mlp-conv")) {
                TrainConfig mc = TrainConfig.mlpConvDefaults(d);
                m.put("g_width", mc.gWidth());
                m.put("d_width", mc.dWidth());
                m.put("depth_g", mc.depthG());
                m.put("depth_d", mc.depthD());
            }
        }
        if (steps != null) {
            m.put("steps", count("--steps", steps, 1));
        }
        if (logEvery != null) {
            m.put("log_every", count("--log-every", logEvery, 1));
        }
        if (checkpointEvery != null) {
            m.put("checkpoint_every", count("--checkpoint-every", checkpointEvery, 0));
        }
        putCount(m, "batch", "--batch", batch, 1);
        putCount(m, "latent", "--latent", latent, 1);
        putCount(m, "width", "--width", width, 1);
        if (depth != null) {
            m.put("depth_g", count("--depth", depth, 1));
            m.put("depth_d", count("--depth", depth, 1));
        } else {
            putCount(m, "depth_g", "--depth-g", depthG, 1);
            putCount(m, "depth_d", "--depth-d", depthD, 1);
        }
        if (given("--seed")) {
            m.put("seed", seed);
        }
        if (lr != null) {
            m.put("lr_g", positiveFinite("--lr", lr));
            m.put("lr_d", positiveFinite("--lr", lr));
        } else {
            if (given("--lr-g")) {
                m.put("lr_g", positiveFinite("--lr-g", lrG));
            }
            if (given("--lr-d")) {
                m.put("lr_d", positiveFinite("--lr-d", lrD));
            }
        }
        if (given("--beta1")) {
            m.put("beta1", fraction("--beta1", beta1));
        }
        if (given("--beta2")) {
            m.put("beta2", fraction("--beta2", beta2));
        }
        putCount(m, "n_critic", "--n-critic", nCritic, 1);
        if (given("--clip")) {
            m.put("clip", nonNegativeFinite("--clip", clip));
        }
        if (given("--activation")) {
            m.put("activation", TrainConfig.activationName(act));
        }
        if (given("--slope")) {
            m.put("slope", nonNegativeFinite("--slope", slope));
        }
        if (given("--init")) {
            m.put("init", init.name().toLowerCase(Locale.ROOT));
        }
        if (given("--label-smoothing")) {
            if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
                throw new IllegalArgumentException("--label-smoothing must be in [0, 1), got " + labelSmoothing);
            }
            m.put("label_smoothing", labelSmoothing);
        }
        if (given("--tf32")) {
            m.put("tf32", tf32);
        }
        if (images) {
            putCount(m, "image_size", "--image-size", imageSize, 1);
            putCount(m, "channels", "--channels", channels, 1);
            putCount(m, "g_width", "--g-width", gWidth, 1);
            putCount(m, "d_width", "--d-width", dWidth, 1);
            if (given("--sample-bn")) {
                m.put("sample_bn", sampleBn);
            }
            if (given("--background")) {
                m.put("background", background);
            }
        }
        putCount(m, "pack", "--pack", pack, 1);
        if (given("--lr-schedule")) {
            if (!TrainConfig.LR_SCHEDULES.contains(lrSchedule)) {
                throw new IllegalArgumentException("--lr-schedule must be constant, linear or cosine, got '" + lrSchedule + "'");
            }
            m.put("lr_schedule", lrSchedule);
        }
        if (given("--lr-final")) {
            if (!given("--lr-schedule") || lrSchedule.equals("constant")) {
                throw new IllegalArgumentException("--lr-final is where --lr-schedule linear or cosine ends; it has no effect with a"
                        + " constant rate: remove it or add --lr-schedule linear|cosine");
            }
            if (!(lrFinal >= 0 && lrFinal <= 1)) {
                throw new IllegalArgumentException("--lr-final must be in [0, 1] (a fraction of the rate), got " + lrFinal);
            }
            m.put("lr_final", lrFinal);
        }
        putCount(m, "lr_warmup", "--lr-warmup", lrWarmup, 0);
        if (given("--ema")) {
            if (!(ema >= 0 && ema < 1)) {
                throw new IllegalArgumentException("--ema must be in [0, 1) (the decay of G's average; 0: none), got " + ema);
            }
            m.put("ema", ema);
        }
        if (given("--r1")) {
            if (!(r1 >= 0) || !Float.isFinite(r1)) {
                throw new IllegalArgumentException("--r1 must be a finite number >= 0 (gamma of the R1 penalty; 0: none), got " + r1);
            }
            m.put("r1", r1);
        } else if (!images && actual == Activation.TANH) {
            m.put("r1", 0f); // R1 needs a piecewise-constant derivative: the mixtures' default gamma is for relu and leakyrelu
        }
        TrainConfig c = TrainConfig.fromMap(m);
        if (!images) {
            checkSizes(c, depth == null && given("--depth-g") ? "--depth-g" : depth == null && given("--depth-d") ? "--depth-d" : "--depth");
        } else {
            jgan.gan.Networks.check(c);
        }
        return c;
    }

    /** Puts an option given by the user (as a count >= min) into the config map; leaves the default otherwise. */
    private void putCount(Map<String, Object> m, String key, String option, Long v, long min) {
        if (v != null && given(option)) {
            m.put(key, count(option, v, min));
        }
    }

    /** A count given as a long: refused with the option's name below {@code min} or past what an int holds. */
    static int count(String option, long v, long min) {
        if (v < min) {
            throw new IllegalArgumentException(option + " must be >= " + min + ", got " + v);
        }
        if (v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s must be at most %,d, got %,d", option, Integer.MAX_VALUE, v));
        }
        return (int) v;
    }

    private static float positiveFinite(String option, float v) {
        if (!(v > 0) || !Float.isFinite(v)) {
            throw new IllegalArgumentException(option + " must be a positive finite number, got " + v);
        }
        return v;
    }

    private static float nonNegativeFinite(String option, float v) {
        if (!(v >= 0) || !Float.isFinite(v)) {
            throw new IllegalArgumentException(option + " must be a finite number >= 0, got " + v);
        }
        return v;
    }

    private static float fraction(String option, float v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException(option + " must be in [0, 1), got " + v);
        }
        return v;
    }

    /**
     * Refuses networks whose tensors would not fit jgan's element count (counted in long, so
     * nothing wraps): each network's parameters are one tensor, and so are the activations of a
     * batch (and of the 2,500 evaluation samples).
     */
    static void checkSizes(TrainConfig c, String depthOption) {
        long w = c.width();
        long g = paramCount(c.latent(), w, c.depthG(), 2), dd = paramCount(2L * c.pack(), w, c.depthD(), 1);
        long params = Math.max(g, dd);
        if (params > MAX_ELEMENTS) {
            boolean isG = g >= dd;
            long depth = isG ? c.depthG() : c.depthD();
            // G's input layer is latent x width: name --latent when it is what makes G too big
            boolean latentShare = isG && (long) c.latent() * w > (depth - 1) * (w * w + w);
            String given = (latentShare ? "--latent " + c.latent() + ", " : "") + "--width " + w + " and " + depthOption + " " + depth;
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s give %s %,d parameters; one tensor holds at most %,d elements:"
                    + " lower %s", given, isG ? "G" : "D", params, MAX_ELEMENTS,
                    latentShare ? "--latent or --width" : "--width or " + depthOption));
        }
        long rows = Math.max(c.batch(), TrainCommand.EVAL_SAMPLES);
        long cols = Math.max(w, c.latent());
        long acts = rows * cols;
        if (acts > MAX_ELEMENTS) {
            String rowOption = c.batch() >= TrainCommand.EVAL_SAMPLES ? "--batch " + c.batch()
                    : "the " + TrainCommand.EVAL_SAMPLES + " evaluation samples";
            String colOption = w >= c.latent() ? "--width " + w : "--latent " + c.latent();
            String lower = (c.batch() >= TrainCommand.EVAL_SAMPLES ? "--batch or " : "") + (w >= c.latent() ? "--width" : "--latent");
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s x %s gives %,d activations in one tensor;"
                    + " one tensor holds at most %,d elements: lower %s", rowOption, colOption, acts, MAX_ELEMENTS, lower));
        }
    }

    private static long paramCount(long in, long w, long depth, long out) {
        return in * w + w + (depth - 1) * (w * w + w) + w * out + out;
    }

    /**
     * Approximate bytes a training step keeps on its device: parameters, gradients and two Adam
     * moments of both networks, and the activations and gradients of the passes (G, D on real, D on
     * fake, and the evaluation pass). Used to refuse early, with advice, what cannot fit the heap.
     */
    static long estimatedBytes(TrainConfig c) {
        if (c.images()) {
            return imageEstimate(c).bytes();
        }
        long w = c.width();
        long params = paramCount(c.latent(), w, c.depthG(), 2) + paramCount(2L * c.pack(), w, c.depthD(), 1);
        long perRow = 3L * w * (Math.max(c.depthG(), c.depthD()) + 1) + c.latent() + 4;
        long rows = 3L * c.batch() + TrainCommand.EVAL_SAMPLES;
        return 4 * (4 * params + rows * perRow);
    }

    /**
     * What an image run holds in the heap on the cpu device, counted from its layers before any is
     * allocated: each parameter 7 times (weights, gradients, two Adam moments, and the checkpoint's
     * copy of weights and moments made at every checkpoint; the file itself is streamed), and per
     * sample each layer's output and its gradient, for G's batch, D's real and fake batches, plus
     * G's outputs for the 64 images of a sample grid. The images of the data set are not counted
     * (a byte per pixel: 47 MB for Fashion-MNIST).
     *
     * @param params      parameters of G and D
     * @param activations floats of the passes' outputs and gradients
     */
    record ImageEstimate(long params, long activations) {
        long bytes() {
            return 4 * (7 * params + activations);
        }
    }

    static ImageEstimate imageEstimate(TrainConfig c) {
        jgan.nn.ModelSpec spec = jgan.gan.Networks.spec(c);
        jgan.nn.Sequential.Builder g = spec.generatorLayers(jgan.kernels.MathMode.FP32);
        jgan.nn.Sequential.Builder d = spec.discriminatorLayers(jgan.kernels.MathMode.FP32, c.pack());
        long perG = g.activationCount(), perD = d.activationCount();
        // D runs on batch / pack packs (PacGAN); packing images adds the packed real and fake batches and G's unpacked gradient
        long packing = c.pack() > 1 ? 3L * c.batch() * c.imageSize() * c.imageSize() * c.channels() : 0;
        long acts = c.batch() * 2 * perG + (long) (c.batch() / c.pack()) * 2 * 2 * perD + packing
                + (long) TrainCommand.GRID_IMAGES * perG;
        return new ImageEstimate(g.parameterCount() + d.parameterCount(), acts);
    }

    /** Defaults shown by --help and used when an option is not given: TrainConfig.defaults. */
    static final class Defaults implements IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec o) || !(isMine(o) || o.command().name().equals("train"))) {
                return null;
            }
            String key = o.longestName().replaceFirst("^--", "").replace('-', '_');
            if (key.equals("data") || key.equals("lr") || key.equals("depth") || key.equals("clip") || !isMine(o)
                    && !List.of("steps", "log_every", "checkpoint_every").contains(key)) {
                return null;
            }
            Object v = TrainConfig.defaults("ring8").toMap().get(key);
            return v == null ? null : v.toString();
        }
    }
}
