package jgan.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import jgan.device.Device;
import jgan.gan.Generator;
import jgan.gan.TrainConfig;
import jgan.io.AtomicFiles;
import jgan.io.ImageGrid;
import jgan.io.Npy;
import jgan.tensor.HostTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jgan sample --run RUN | --from FILE.safetensors --out FILE.png|FILE.npy [--n N] [--seed S | --z z.npy]
 * [--sample-bn eval|batch] [--device D]}: images from a trained generator (jgan.gan.Generator).
 * .png: a grid (jgan.io.ImageGrid); .npy: float32 NCHW [n, C, H, W] in [-1, 1]. A mixture run's
 * generator gives points: .npy [n, 2], .png a scatter plot over the mixture's modes.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:done (the file is written)", "1:a file could not be read or written",
            "2:bad options, a run folder without a checkpoint, or a damaged file"},
        description = {"Images from a trained generator (a run, or a `jgan export` file): a PNG grid or a .npy of float32 NCHW.",
            "The .npy holds [n, C, H, W] in [-1, 1] (what numpy and PyTorch read). The latent vectors are drawn from --seed (Philox, the same on every device) or read from --z, a .npy of"
                + " float32 [n, latent]. Batch norm uses the running statistics unless --sample-bn batch. A mixture run gives points:"
                + " .npy [n, 2], .png a scatter plot."})
final class SampleCommand implements Callable<Integer> {
    /** Samples when neither --n nor --z says. */
    static final int DEFAULT_N = 64;

    @Spec
    CommandSpec spec;

    @Option(names = "--run", paramLabel = "RUN", description = "The run folder (its checkpoint.bin and config.json are read).")
    String runName;

    @Option(names = "--from", paramLabel = "FILE", description = "A .safetensors generator written by `jgan export` (instead of --run).")
    Path from;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "The file to write: .png (a grid) or .npy (float32 NCHW).")
    Path outFile;

    @Option(names = "--n", paramLabel = "N", description = "How many samples (default: " + DEFAULT_N + ", or the rows of --z).")
    Integer n;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the latent draws (default: 0).")
    Long seed;

    @Option(names = "--z", paramLabel = "FILE", description = "Latent vectors: a .npy of float32 [n, latent], every value finite.")
    Path zFile;

    @Option(names = "--sample-bn", paramLabel = "MODE", description = "Batch norm: eval (running statistics) or batch (the batch's own"
            + " statistics) (default: the run's sample_bn, eval unless it was trained with --sample-bn batch).")
    String sampleBn;

    @Option(names = "--device", paramLabel = "NAME", converter = Choices.DeviceConverter.class, completionCandidates = Choices.DeviceNames.class,
            defaultValue = "auto", description = "Where to run G: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() {
        PrintStream out = Main.out();
        if ((runName == null) == (from == null)) {
            throw new IllegalArgumentException(runName == null ? "missing --run RUN (or --from FILE.safetensors): the generator to sample"
                    : "--run and --from both name a generator: give one of them");
        }
        String kind = extension(outFile);
        if (!kind.equals("png") && !kind.equals("npy")) {
            throw new IllegalArgumentException("--out " + outFile + ": the file must end in .png (a grid) or .npy (float32 NCHW)");
        }
        if (n != null && n < 1) {
            throw new IllegalArgumentException("--n must be at least 1, got " + n);
        }
        if (zFile != null && seed != null) {
            throw new IllegalArgumentException("--seed draws the latent vectors, --z gives them: give one of them");
        }
        if (sampleBn != null && !sampleBn.equals("eval") && !sampleBn.equals("batch")) {
            throw new IllegalArgumentException("--sample-bn must be eval or batch, got '" + sampleBn + "'");
        }
        HostTensor z = null;
        if (zFile != null) {
            if (!Files.isRegularFile(zFile)) {
                throw new IllegalArgumentException("--z " + zFile + ": no such file");
            }
            z = Npy.read(zFile);
            if (z.rank() == 2 && n != null && z.shape()[0] != n) {
                throw new IllegalArgumentException("--n " + n + " but --z " + zFile + " holds " + z.shape()[0] + " rows: drop --n, or give"
                        + " a z of " + n + " rows");
            }
        }
        Path source = from != null ? from : RunFolder.checkedPath(runName, "--run");
        if (from != null && !Files.isRegularFile(from)) {
            throw new IllegalArgumentException("--from " + from + ": " + (Files.isDirectory(from) ? "a folder; use --run for a run folder"
                    : "no such file"));
        }
        try (Device dev = DeviceChoice.open(device);
             Generator g = from != null ? Generator.fromSafetensors(from, dev) : Generator.fromRun(source, dev)) {
            TrainConfig config = g.config();
            String bn = sampleBn != null ? sampleBn : config != null && config.images() ? config.sampleBn() : "eval";
            g.useBatchStatistics(bn.equals("batch"));
            HostTensor samples;
            String latents;
            if (z != null) {
                Generator.checkLatents(z, g.latent(), "--z " + zFile);
                samples = g.generate(z);
                latents = "z from " + zFile;
            } else {
                long s = seed != null ? seed : 0;
                samples = g.sample(n != null ? n : DEFAULT_N, s);
                latents = "seed " + s;
            }
            int count = (int) samples.shape()[0];
            if (kind.equals("npy")) {
                Npy.write(outFile, samples);
            } else if (g.makesImages()) {
                long[] sh = samples.shape();
                ImageGrid.writeNchw(outFile, samples.f32(), count, (int) sh[1], (int) sh[2], (int) sh[3], 1);
            } else {
                if (config == null) {
                    throw new IllegalArgumentException(g.source() + " is a point generator with no mixture known: use --out FILE.npy");
                }
                AtomicFiles.write(outFile, Plots.samples(config.mixture(), samples.f32(), config.seed(), Math.max(0, g.step())).png(), "");
            }
            long[] shape = g.sampleShape();
            String what = g.makesImages() ? String.format(Locale.ROOT, "%d images %dx%dx%d", count, shape[1], shape[2], shape[0])
                    : count + " points";
            out.println("jgan sample: " + what + " from " + g.source() + ", batch norm " + (g.usesBatchStatistics() ? "batch statistics"
                    : "eval (running statistics)") + ", " + latents + " -> " + outFile);
            return 0;
        }
    }

    static String extension(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }
}
