package jgan.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import jgan.gan.Exports;
import jgan.gan.TrainedRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jgan export --run RUN --out FILE.safetensors [--net g|d]}: a network of the run's last
 * checkpoint as a safetensors file with PyTorch's state_dict names and layouts (jgan.gan.Exports),
 * which {@code load_state_dict(strict=True)} of the equivalent PyTorch module takes (for dcgan at
 * 64x64, PyTorch's DCGAN example's Generator / Discriminator), and which jgan reads back
 * ({@code jgan sample --from}, {@code jgan train --init-from}, jgan.gan.Generator).
 */
@Command(name = "export", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:done (the file is written)", "1:a file could not be read or written",
            "2:bad options, a run folder without a checkpoint, or a damaged file"},
        description = {"G or D of a run as .safetensors with PyTorch's state_dict names and layouts (load_state_dict takes it).",
            "Conv2d OIHW, ConvTranspose2d [in, out, kh, kw], Linear [out, in], batch norm's running statistics and num_batches_tracked"
                + " (int64), for load_state_dict(strict=True) of the same module in PyTorch (for dcgan at 64x64: PyTorch's DCGAN"
                + " example's keys); the run's config goes into the file's metadata."})
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--run", paramLabel = "RUN", required = true, description = "The run folder (its checkpoint.bin is read).")
    String runName;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "The .safetensors file to write.")
    Path outFile;

    @Option(names = "--net", paramLabel = "NET", defaultValue = "g", description = "g (the generator) or d (the discriminator)"
            + " (default: ${DEFAULT-VALUE}).")
    String net;

    @Override
    public Integer call() {
        if (!TrainedRun.NETS.contains(net)) {
            throw new IllegalArgumentException("--net must be g (the generator) or d (the discriminator), got '" + net + "'");
        }
        if (!SampleCommand.extension(outFile).equals("safetensors")) {
            throw new IllegalArgumentException("--out " + outFile + ": the file must end in .safetensors");
        }
        TrainedRun run = TrainedRun.read(RunFolder.checkedPath(runName, "--run"));
        Exports.Written w = Exports.write(run, net, outFile);
        Main.out().println(String.format(Locale.ROOT, "jgan export: %s of %s (%s, step %d): %d tensors, %,d values -> %s",
                net.equals("g") ? "G" : "D", run.folder(), run.config().model(), run.step(), w.entries(), w.values(), outFile));
        return 0;
    }
}
