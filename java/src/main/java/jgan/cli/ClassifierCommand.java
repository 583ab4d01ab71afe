package jgan.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import jgan.data.FashionMnist;
import jgan.data.ImageDataset;
import jgan.device.Device;
import jgan.metrics.Classifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jgan classifier train | test}: the Fashion-MNIST classifier whose penultimate layer is
 * the feature space of jgan's image metrics ({@link Classifier}).
 */
@Command(name = "classifier", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = "The Fashion-MNIST classifier of jgan's image metrics: train one, or score one on the test set.",
        subcommands = {ClassifierCommand.Train.class, ClassifierCommand.Test.class, HelpCommand.class})
final class ClassifierCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("jgan classifier: missing a command (train or test)");
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** {@code jgan classifier train}. */
    @Command(name = "train", mixinStandardHelpOptions = true, usageHelpAutoWidth = true, exitCodeListHeading = "%nExit status:%n",
            exitCodeList = {"0:done (the weights written to --out)", "1:a file could not be read or written",
                "2:bad options, or Fashion-MNIST not found"},
            description = "Trains the classifier on Fashion-MNIST's 60,000 training images, prints progress and its accuracy on the"
                    + " 10,000 test images, and writes the weights as safetensors (PyTorch names and layouts) with metadata saying how"
                    + " they were made.")
    static final class Train implements Callable<Integer> {
        @Option(names = "--out", paramLabel = "FILE", required = true, description = "The .safetensors file to write (replaced if it exists).")
        String out;

        @Option(names = "--epochs", paramLabel = "E", defaultValue = "" + Classifier.Settings.DEFAULT_EPOCHS,
                description = "Passes over the training set (default: ${DEFAULT-VALUE}).")
        int epochs;

        @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Initialisation and shuffling seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--batch", paramLabel = "B", defaultValue = "" + Classifier.Settings.DEFAULT_BATCH,
                description = "Images per step (default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--lr", paramLabel = "LR", defaultValue = "" + Classifier.Settings.DEFAULT_LR,
                description = "Adam's peak learning rate, decayed by a cosine to 0 (default: ${DEFAULT-VALUE}).")
        float lr;

        @Option(names = "--device", paramLabel = "NAME", converter = Choices.DeviceConverter.class,
                completionCandidates = Choices.DeviceNames.class, defaultValue = "auto",
                description = "Where to train: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}: the GPU when there is one, else cpu).")
        String device;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "A folder holding Fashion-MNIST's four .gz files (default: Debian's "
                + FashionMnist.DEBIAN_FOLDER + ", installed when missing where jgan runs as root).")
        Path dataDir;

        @Option(names = "--train-images", paramLabel = "N", description = "Train on the first N training images only (default: all 60,000).")
        Integer trainImages;

        @Option(names = "--report-every", paramLabel = "N", defaultValue = "200", description = "Steps between progress lines (default: ${DEFAULT-VALUE}).")
        int reportEvery;

        @Override
        public Integer call() throws IOException {
            PrintStream o = Main.out();
            Classifier.Settings settings = new Classifier.Settings(epochs, batch, lr, seed);
            if (reportEvery < 1) {
                throw new IllegalArgumentException("--report-every must be >= 1, got " + reportEvery);
            }
            Path file = Path.of(out);
            if (Files.isDirectory(file)) {
                throw new IllegalArgumentException("--out " + file + " is a folder; give a .safetensors file name");
            }
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent); // before the minutes of training, not after
            }
            Path dir = FashionMnist.locate(dataDir, FashionMnist.FILES, Main.err());
            ImageDataset train = FashionMnist.load(dir, true);
            if (trainImages != null) {
                if (trainImages < batch || trainImages > train.count()) {
                    throw new IllegalArgumentException("--train-images must be between --batch (" + batch + ") and " + train.count() + ", got "
                            + trainImages);
                }
                train = train.head(trainImages);
            }
            ImageDataset test = FashionMnist.load(dir, false);
            try (Device d = DeviceChoice.open(device)) {
                o.printf(Locale.ROOT, "training the classifier (%s) on %s: %d epochs, batch %d, lr %s, seed %d, on %s%n", Classifier.ARCHITECTURE,
                        train, epochs, batch, lr, seed, d.description());
                long t0 = System.nanoTime();
                try (Classifier c = Classifier.train(train, settings, d, p -> o.printf(Locale.ROOT,
                        "epoch %d  step %d/%d  loss %.4f  train accuracy %.2f%%  %.1f s%n", p.epoch(), p.step(), p.steps(), p.loss(),
                        100 * p.accuracy(), p.seconds()), reportEvery)) {
                    double trainSeconds = (System.nanoTime() - t0) / 1e9;
                    long e0 = System.nanoTime();
                    double acc = c.accuracy(test);
                    double evalSeconds = (System.nanoTime() - e0) / 1e9;
                    o.printf(Locale.ROOT, "test accuracy %.2f%% (%d test images, scored in %.1f s); trained in %.1f s%n", 100 * acc, test.count(),
                            evalSeconds, trainSeconds);
                    c.putMetadata("test_accuracy", String.format(Locale.ROOT, "%.4f", acc));
                    c.putMetadata("test_set", test.name() + ", " + test.count() + " images");
                    c.putMetadata("command", "jgan classifier train --epochs " + epochs + " --seed " + seed + " --batch " + batch + " --lr " + lr
                            + " --device " + device + (trainImages == null ? "" : " --train-images " + trainImages));
                    c.putMetadata("jgan_version", Main.version());
                    c.save(file);
                    o.println("wrote " + file);
                }
            }
            return 0;
        }
    }

    /** {@code jgan classifier test}. */
    @Command(name = "test", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = "Scores a classifier (jgan's own by default) on Fashion-MNIST's 10,000 test images and prints how it was made.")
    static final class Test implements Callable<Integer> {
        @Option(names = "--classifier", paramLabel = "FILE", description = "A file `jgan classifier train` wrote (default: the weights shipped with jgan).")
        Path classifier;

        @Option(names = "--device", paramLabel = "NAME", converter = Choices.DeviceConverter.class,
                completionCandidates = Choices.DeviceNames.class, defaultValue = "auto",
                description = "Where to run: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
        String device;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "A folder holding Fashion-MNIST's two test-set .gz files, "
                + FashionMnist.TEST_IMAGES + " and " + FashionMnist.TEST_LABELS + " (default: Debian's " + FashionMnist.DEBIAN_FOLDER + ").")
        Path dataDir;

        @Override
        public Integer call() {
            PrintStream o = Main.out();
            ImageDataset test = FashionMnist.load(FashionMnist.locate(dataDir, FashionMnist.TEST_FILES, Main.err()), false);
            try (Device d = DeviceChoice.open(device);
                 Classifier c = classifier == null ? Classifier.loadShipped(d) : Classifier.load(classifier, d)) {
                o.println("classifier: " + (classifier == null ? "jgan's own (" + Classifier.RESOURCE + ")" : classifier));
                c.metadata().forEach((k, v) -> o.println("  " + k + ": " + v));
                long t0 = System.nanoTime();
                double acc = c.accuracy(test);
                o.printf(Locale.ROOT, "test accuracy %.2f%% (%d images, %.1f s on %s)%n", 100 * acc, test.count(), (System.nanoTime() - t0) / 1e9,
                        d.description());
            }
            return 0;
        }
    }
}
