package jgan.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

import jgan.data.FashionMnist;
import jgan.data.ImageDataset;
import jgan.data.ImageFolder;
import jgan.gan.LoaderBatches;
import jgan.gan.TrainConfig;

/**
 * The real images of a run, opened from its config before anything is written: Fashion-MNIST's
 * training set (from data_dir, else Debian's folder, installed with apt-get where jgan runs as
 * root: jgan.data.FashionMnist.locate; resized by jgan.data.ImageFolder.resize when the run's
 * image size or channels are not its 28x28 grey) or a folder of images (jgan.data.ImageFolder: resized and
 * centre-cropped to image_size, composited onto the background, with a report of the files
 * skipped for RUN/data-report.txt).
 */
final class ImageData {
    /**
     * @param batches     the run's real batches (owned by the caller)
     * @param description for the run's first line, e.g. "fashion-mnist (60,000 images 28x28x1)"
     * @param report      the text of RUN/data-report.txt (folder runs), or null
     * @param warning     the line about skipped files, said once data-report.txt is written (it points there), or null
     */
    record Opened(LoaderBatches batches, String description, String report, String warning) {
    }

    private ImageData() {
    }

    /**
     * Fashion-MNIST brought to the run's size (ImageFolder#resize: about 1 ms an image on one core,
     * so a minute for 60,000 at 64x64x3 on a loaded machine): one line on {@code err} before,
     * "resizing 60,000 images from 28x28x1 to 64x64x3 ...", ended by the time it took.
     */
    static ImageDataset resized(ImageDataset data, TrainConfig c, PrintStream err) {
        err.printf(Locale.ROOT, "jgan train: resizing %,d images from %dx%dx%d to %dx%dx%d ...", data.count(), data.height(), data.width(),
                data.channels(), c.imageSize(), c.imageSize(), c.channels());
        err.flush();
        long t0 = System.nanoTime();
        ImageDataset out;
        try {
            out = ImageFolder.resize(data, c.imageSize(), c.channels());
        } catch (RuntimeException | Error e) {
            err.println(" failed");
            throw e;
        }
        err.printf(Locale.ROOT, " done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return out;
    }

    /** Opens the images of {@code c}; {@code err} gets the one line said before an install, and the one around a resize. */
    static Opened open(TrainConfig c, PrintStream err) {
        ImageDataset data;
        String report = null;
        String warning = null;
        if (c.data().equals(TrainConfig.FASHION_MNIST)) {
            Path dir = FashionMnist.locate(c.dataDir().isEmpty() ? null : Path.of(c.dataDir()), FashionMnist.TRAIN_FILES, err);
            data = FashionMnist.load(dir, true);
            if (data.height() != c.imageSize() || data.channels() != c.channels()) { // 28x28 grey brought to the run's size, as files are
                data = resized(data, c, err);
            }
        } else {
            int background = Integer.parseInt(c.background().substring(1), 16);
            ImageFolder.Loaded loaded = ImageFolder.load(Path.of(c.dataDir()), c.imageSize(), c.channels(), background);
            data = loaded.dataset();
            report = loaded.report();
            if (!loaded.skipped().isEmpty()) { // said by the command once RUN/data-report.txt exists: a failed start writes none
                warning = String.format(Locale.ROOT, "jgan train: warning: %d of %d image files in %s could not be read and are skipped"
                        + " (listed in data-report.txt)", loaded.skipped().size(), loaded.tried(), c.dataDir());
            }
        }
        if (data.height() != c.imageSize() || data.channels() != c.channels()) {
            throw new IllegalArgumentException(data.name() + " holds " + data.height() + "x" + data.width() + "x" + data.channels()
                    + " images; the run needs " + c.imageSize() + "x" + c.imageSize() + "x" + c.channels());
        }
        String what = String.format(Locale.ROOT, "%s (%,d images %dx%dx%d)", c.data().equals(TrainConfig.FOLDER) ? c.dataDir() : c.data(),
                data.count(), data.height(), data.width(), data.channels());
        return new Opened(new LoaderBatches(data, c.batch(), c.seed()), what, report, warning);
    }
}
