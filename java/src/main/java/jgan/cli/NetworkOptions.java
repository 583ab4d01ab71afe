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

    @Option(names = "--data", paramLabel = "MIXTURE", converter = Choices.DataConverter.class, completionCandidates = Choices.DataNames.class,
            description = "The 2-D mixture: ${COMPLETION-CANDIDATES} (train: required; bench: default ring8).")
    String data;

    @Option(names = "--loss", paramLabel = "NAME", converter = Choices.LossConverter.class, completionCandidates = Choices.LossNames.class,
            description = "Adversarial objective: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). wasserstein brings its own"
                    + " defaults: --clip 0.01, --n-critic 5, --beta1 0, --beta2 0.9.")
    LossKind loss;

    @Option(names = "--batch", paramLabel = "N", description = "Rows per real and per fake batch (default: ${DEFAULT-VALUE}).")
    Long batch;

    @Option(names = "--lr", paramLabel = "X", description = "Adam learning rate of both G and D (default: --lr-g and --lr-d).")
    Float lr;

    @Option(names = "--lr-g", paramLabel = "X", description = "Adam learning rate of G (default: ${DEFAULT-VALUE}).")
    Float lrG;

    @Option(names = "--lr-d", paramLabel = "X", description = "Adam learning rate of D (default: ${DEFAULT-VALUE}).")
    Float lrD;

    @Option(names = "--beta1", paramLabel = "X", description = "Adam beta1, both networks (default: ${DEFAULT-VALUE}; wasserstein: 0).")
    Float beta1;

    @Option(names = "--beta2", paramLabel = "X", description = "Adam beta2, both networks (default: ${DEFAULT-VALUE}; wasserstein: 0.9).")
    Float beta2;

    @Option(names = "--seed", paramLabel = "N", description = "Seeds initialisation, latent and data draws (default: ${DEFAULT-VALUE}).")
    Long seed;

    @Option(names = "--latent", paramLabel = "N", description = "Dimension of z ~ N(0, I) (default: ${DEFAULT-VALUE}).")
    Long latent;

    @Option(names = "--width", paramLabel = "N", description = "Hidden width of G and D (default: ${DEFAULT-VALUE}).")
    Long width;

    @Option(names = "--depth", paramLabel = "N", description = "Hidden layers of both G and D (default: --depth-g and --depth-d).")
    Long depth;

    @Option(names = "--depth-g", paramLabel = "N", description = "Hidden layers of G (default: ${DEFAULT-VALUE}).")
    Long depthG;

    @Option(names = "--depth-d", paramLabel = "N", description = "Hidden layers of D (default: ${DEFAULT-VALUE}).")
    Long depthD;

    @Option(names = "--activation", paramLabel = "NAME", converter = Choices.ActivationConverter.class, completionCandidates = Choices.ActivationNames.class,
            description = "Hidden activation: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Activation activation;

    @Option(names = "--slope", paramLabel = "X", description = "Leaky ReLU slope (default: ${DEFAULT-VALUE}; only with --activation leakyrelu).")
    Float slope;

    @Option(names = "--init", paramLabel = "NAME", converter = Choices.InitConverter.class, completionCandidates = Choices.InitNames.class,
            description = "Weight initialisation: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
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

    /** The config of these options, with {@code steps}, {@code logEvery}, {@code checkpointEvery} and {@code dataFallback} from the command. */
    TrainConfig config(String dataFallback, long steps, long logEvery, long checkpointEvery) {
        String mixture = data != null ? data : dataFallback;
        if (mixture == null) {
            throw new IllegalArgumentException("missing --data MIXTURE (ring8 or grid25)");
        }
        LossKind l = loss;
        Activation act = activation;
        if (given("--clip") && l != LossKind.WASSERSTEIN) {
            throw new IllegalArgumentException("--clip clips the critic's weights for --loss wasserstein only; it has no effect with --loss "
                    + l.cliName() + ": remove it");
        }
        if (given("--label-smoothing") && (l == LossKind.WASSERSTEIN || l == LossKind.HINGE)) {
            throw new IllegalArgumentException("--label-smoothing softens the real target, and --loss " + l.cliName()
                    + " has none: remove it");
        }
        if (given("--slope") && act != Activation.LEAKY_RELU) {
            throw new IllegalArgumentException("--slope is the leaky ReLU's; it has no effect with --activation "
                    + TrainConfig.activationName(act) + ": remove it or add --activation leakyrelu");
        }
        if (lr != null && (given("--lr-g") || given("--lr-d"))) {
            throw new IllegalArgumentException("--lr sets both --lr-g and --lr-d: give --lr, or --lr-g and --lr-d");
        }
        if (depth != null && (given("--depth-g") || given("--depth-d"))) {
            throw new IllegalArgumentException("--depth sets both --depth-g and --depth-d: give --depth, or --depth-g and --depth-d");
        }
        TrainConfig d = TrainConfig.defaults(mixture, l);
        Map<String, Object> m = d.toMap();
        m.put("steps", count("--steps", steps, 1));
        m.put("log_every", count("--log-every", logEvery, 1));
        m.put("checkpoint_every", count("--checkpoint-every", checkpointEvery, 0));
        m.put("batch", count("--batch", batch, 1));
        m.put("latent", count("--latent", latent, 1));
        m.put("width", count("--width", width, 1));
        m.put("depth_g", count(depth != null ? "--depth" : "--depth-g", depth != null ? depth : depthG, 1));
        m.put("depth_d", count(depth != null ? "--depth" : "--depth-d", depth != null ? depth : depthD, 1));
        m.put("seed", seed);
        m.put("lr_g", positiveFinite(lr != null ? "--lr" : "--lr-g", lr != null ? lr : lrG));
        m.put("lr_d", positiveFinite(lr != null ? "--lr" : "--lr-d", lr != null ? lr : lrD));
        if (given("--beta1") || l != LossKind.WASSERSTEIN) {
            m.put("beta1", fraction("--beta1", beta1));
        }
        if (given("--beta2") || l != LossKind.WASSERSTEIN) {
            m.put("beta2", fraction("--beta2", beta2));
        }
        if (given("--n-critic") || l != LossKind.WASSERSTEIN) {
            m.put("n_critic", count("--n-critic", nCritic, 1));
        }
        if (given("--clip")) {
            m.put("clip", nonNegativeFinite("--clip", clip));
        }
        m.put("activation", TrainConfig.activationName(act));
        m.put("slope", nonNegativeFinite("--slope", slope));
        m.put("init", init.name().toLowerCase(Locale.ROOT));
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("--label-smoothing must be in [0, 1), got " + labelSmoothing);
        }
        m.put("label_smoothing", labelSmoothing);
        m.put("tf32", tf32);
        TrainConfig c = TrainConfig.fromMap(m);
        checkSizes(c, depth == null && given("--depth-g") ? "--depth-g" : depth == null && given("--depth-d") ? "--depth-d" : "--depth");
        return c;
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
        long g = paramCount(c.latent(), w, c.depthG(), 2), dd = paramCount(2, w, c.depthD(), 1);
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
        long w = c.width();
        long params = paramCount(c.latent(), w, c.depthG(), 2) + paramCount(2, w, c.depthD(), 1);
        long perRow = 3L * w * (Math.max(c.depthG(), c.depthD()) + 1) + c.latent() + 4;
        long rows = 3L * c.batch() + TrainCommand.EVAL_SAMPLES;
        return 4 * (4 * params + rows * perRow);
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
