package jgan.data;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

import jgan.io.FileError;

/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, zalandoresearch/fashion-mnist): 60,000 training and
 * 10,000 test images of garments, 28x28 grey, labels 0..9, in the four gzip-compressed idx files of
 * LeCun's MNIST format as Debian's package {@code dataset-fashion-mnist} installs them in
 * {@value #DEBIAN_FOLDER}.
 *
 * <p>The idx format (yann.lecun.com/exdb/mnist): big-endian 32-bit integers; an image file is the magic
 * number 2051 (0x00000803: unsigned bytes, 3 dimensions), the count, rows, columns, then count*rows*columns
 * bytes, row-major, 0 = background; a label file is the magic 2049 (0x00000801), the count, then one byte
 * per label. Everything is checked: gzip, magic, sizes, length (nothing missing, nothing after the data),
 * image and label counts agree, and for Fashion-MNIST the counts, 28x28 and labels 0..9. A file that fails is
 * refused with a {@link FileError} naming it and what is wrong.
 */
public final class FashionMnist {
    /** Where Debian's {@code dataset-fashion-mnist} puts the files. */
    public static final String DEBIAN_FOLDER = "/usr/share/datasets/fashion-mnist";
    /** The Debian package that holds the files. */
    public static final String DEBIAN_PACKAGE = "dataset-fashion-mnist";
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";
    /** The four files, in the order messages list them. */
    public static final List<String> FILES = List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS);
    /** The training split's two files: all that {@link #load load(dir, true)} reads. */
    public static final List<String> TRAIN_FILES = List.of(TRAIN_IMAGES, TRAIN_LABELS);
    /** The test split's two files: all that {@link #load load(dir, false)} reads. */
    public static final List<String> TEST_FILES = List.of(TEST_IMAGES, TEST_LABELS);

    public static final int IMAGE_MAGIC = 2051;
    public static final int LABEL_MAGIC = 2049;
    public static final int SIZE = 28;
    public static final int TRAIN_COUNT = 60_000;
    public static final int TEST_COUNT = 10_000;
    public static final int CLASSES = 10;

    /** What to type to install the data as a user with sudo. */
    public static final String INSTALL_COMMAND = "sudo apt-get install " + DEBIAN_PACKAGE;

    private FashionMnist() {
    }

    /**
     * The training (60,000) or test (10,000) split from a folder holding its two files ({@link #TRAIN_FILES} or
     * {@link #TEST_FILES}).
     *
     * @return 28x28x1 uint8 images with labels 0..9, named "Fashion-MNIST train|test (DIR)"
     * @throws FileError when a file is missing, unreadable, not gzip, truncated, foreign (wrong magic or sizes),
     *                   has data after its end, or the counts are not Fashion-MNIST's
     */
    public static ImageDataset load(Path dir, boolean train) {
        Path images = dir.resolve(train ? TRAIN_IMAGES : TEST_IMAGES);
        Path labels = dir.resolve(train ? TRAIN_LABELS : TEST_LABELS);
        ImageDataset d = readIdx(images, labels, "Fashion-MNIST " + (train ? "train" : "test") + " (" + dir + ")");
        int expected = train ? TRAIN_COUNT : TEST_COUNT;
        if (d.count() != expected) {
            throw FileError.badInput(images + " holds " + d.count() + " images; Fashion-MNIST's " + (train ? "training" : "test") + " set has "
                    + expected + " (another dataset in the same format?)", null);
        }
        if (d.height() != SIZE || d.width() != SIZE) {
            throw FileError.badInput(images + " holds " + d.height() + "x" + d.width() + " images; Fashion-MNIST's are " + SIZE + "x" + SIZE, null);
        }
        int[] l = d.labels();
        for (int i = 0; i < l.length; i++) {
            if (l[i] >= CLASSES) {
                throw FileError.badInput(labels + ": label " + l[i] + " of image " + i + " is not a Fashion-MNIST class (0.." + (CLASSES - 1) + ")",
                        null);
            }
        }
        return d;
    }

    /**
     * Any pair of gzip-compressed idx files: an image file (magic 2051, unsigned bytes, 3 dimensions) and its
     * label file (magic 2049) with the same count.
     *
     * @param name the dataset's name for messages
     * @return count x rows x columns x 1 uint8 images with labels 0..255
     * @throws FileError naming the file and what is wrong with it
     */
    public static ImageDataset readIdx(Path imagesFile, Path labelsFile, String name) {
        Idx images = readIdxFile(imagesFile, IMAGE_MAGIC, 3);
        Idx labels = readIdxFile(labelsFile, LABEL_MAGIC, 1);
        if (images.dims[0] != labels.dims[0]) {
            throw FileError.badInput(imagesFile + " holds " + images.dims[0] + " images but " + labelsFile + " holds " + labels.dims[0]
                    + " labels: the two files do not belong together", null);
        }
        int[] l = new int[labels.dims[0]];
        for (int i = 0; i < l.length; i++) {
            l[i] = labels.data[i] & 0xFF;
        }
        return new ImageDataset(name, images.data, images.dims[0], images.dims[1], images.dims[2], 1, l);
    }

    private record Idx(int[] dims, byte[] data) {
    }

    private static Idx readIdxFile(Path file, int magic, int rank) {
        String kind = magic == IMAGE_MAGIC ? "idx image file (magic 2051)" : "idx label file (magic 2049)";
        long size;
        try {
            if (Files.isDirectory(file)) {
                throw FileError.badInput("cannot read " + file + ": it is a folder, not a file", null);
            }
            size = Files.size(file);
        } catch (IOException e) {
            throw FileError.of("read", file, e, null);
        }
        if (size == 0) {
            throw FileError.badInput(file + " is empty (0 bytes); expected a gzip-compressed " + kind, null);
        }
        try (InputStream raw = Files.newInputStream(file)) {
            byte[] head = raw.readNBytes(4);
            if (head.length < 2 || (head[0] & 0xFF) != 0x1f || (head[1] & 0xFF) != 0x8b) {
                boolean plainIdx = head.length == 4 && head[0] == 0 && head[1] == 0 && head[2] == 8;
                throw FileError.badInput(file + " is not a gzip file" + (plainIdx ? " (it looks like an uncompressed idx file: compress it with gzip)"
                        : " (it starts with " + hex(head) + "); expected a gzip-compressed " + kind), null);
            }
        } catch (IOException e) {
            throw FileError.of("read", file, e, null);
        }
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(Files.newInputStream(file), 1 << 16))) {
            int m;
            try {
                m = in.readInt();
            } catch (EOFException e) {
                throw FileError.badInput(file + " is truncated: it ends before its idx header; expected a " + kind, null);
            }
            if (m != magic) {
                String what = m == IMAGE_MAGIC ? " (an image file, not a label file: are the file names swapped?)"
                        : m == LABEL_MAGIC ? " (a label file, not an image file: are the file names swapped?)" : "";
                throw FileError.badInput(file + " is not an " + kind + ": its magic number is " + m + String.format(" (0x%08x)", m) + what, null);
            }
            int[] dims = new int[rank];
            long bytes = 1;
            for (int d = 0; d < rank; d++) {
                try {
                    dims[d] = in.readInt();
                } catch (EOFException e) {
                    throw FileError.badInput(file + " is truncated: it ends inside its idx header", null);
                }
                if (dims[d] <= 0) {
                    throw FileError.badInput(file + ": dimension " + d + " of its idx header is " + dims[d] + ", not a positive size", null);
                }
                bytes *= dims[d];
            }
            if (bytes > Integer.MAX_VALUE - 64) {
                throw FileError.badInput(file + ": its idx header says " + dimsText(dims) + " (" + bytes + " bytes), more than this reader holds", null);
            }
            byte[] data = new byte[(int) bytes];
            int got = in.readNBytes(data, 0, data.length);
            if (got < data.length) {
                throw FileError.badInput(file + " is truncated: its header says " + dimsText(dims) + " (" + data.length + " bytes of data) but it holds "
                        + got, null);
            }
            if (in.read() >= 0) {
                throw FileError.badInput(file + " has data after the " + dimsText(dims) + " its header says: not an idx file of this shape", null);
            }
            return new Idx(dims, data);
        } catch (EOFException e) {
            throw FileError.badInput(file + " is truncated: the gzip stream ends early (" + FileError.reason(e) + ")", e);
        } catch (ZipException e) {
            throw FileError.badInput(file + " is damaged: " + FileError.reason(e), e);
        } catch (IOException e) {
            throw FileError.of("read", file, e, null);
        }
    }

    private static String dimsText(int[] dims) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < dims.length; i++) {
            b.append(i == 0 ? "" : "x").append(dims[i]);
        }
        return b.toString();
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xFF));
        }
        return b.length == 0 ? "nothing" : "0x" + s;
    }

    // ---------------------------------------------------------------------------------------------
    // Finding (and installing) the files

    /**
     * Installs a system package: the part of {@link #locate} that touches the system, apart so that tests
     * can check the decisions with a fake.
     */
    public interface Installer {
        /** Whether this process may install system packages: running as root with apt-get on the PATH. */
        boolean canInstall();

        /** Installs the package; the exit status and the combined output of what ran. */
        Result install(String debianPackage);

        /** @param exitStatus 0 on success; @param output stdout and stderr of the commands run */
        record Result(int exitStatus, String output) {
        }

        /** The real one: apt-get, as root. */
        static Installer apt() {
            return new AptInstaller();
        }
    }

    /**
     * The folder holding the Fashion-MNIST files a command needs: {@link #TRAIN_FILES} (training a GAN
     * reads only the 60,000 training images), {@link #TEST_FILES} (scoring a classifier) or {@link #FILES}
     * (training a classifier, the image metrics: both splits). Files not in {@code needed} are not looked for.
     * <ul>
     *   <li>{@code dataDir} given (--data-dir): that folder, which must hold the needed files (no install);</li>
     *   <li>otherwise {@value #DEBIAN_FOLDER} when the needed files are there;</li>
     *   <li>otherwise, when the installer can install (root with apt-get), it runs
     *       {@code apt-get install -y dataset-fashion-mnist}, saying so in one line to {@code say}; its output is
     *       shown only when it fails (the tail of it, in the error);</li>
     *   <li>otherwise an error saying what to run ({@value #INSTALL_COMMAND}, or --data-dir with the needed files).</li>
     * </ul>
     *
     * @param dataDir   the folder the user named, or null for Debian's
     * @param needed    the file names the caller will read: a non-empty subset of {@link #FILES}
     * @param installer what installs packages ({@link Installer#apt()})
     * @param say       gets the one line said before installing (e.g. {@code System.err::println})
     * @throws FileError when the files are not found and cannot be installed, naming the folder, exactly the
     *                   needed files that are missing, and what to run
     * @throws IllegalArgumentException when {@code needed} is empty or names a file that is not Fashion-MNIST's
     */
    public static Path locate(Path dataDir, List<String> needed, Installer installer, Consumer<String> say) {
        return locate(dataDir, needed, Path.of(DEBIAN_FOLDER), installer, say);
    }

    /** {@link #locate(Path, List, Installer, Consumer)} with the package's folder given (tests use a temporary one). */
    static Path locate(Path dataDir, List<String> needed, Path debian, Installer installer, Consumer<String> say) {
        Objects.requireNonNull(installer, "installer");
        Objects.requireNonNull(say, "say");
        Objects.requireNonNull(needed, "needed");
        if (needed.isEmpty() || !FILES.containsAll(needed)) {
            throw new IllegalArgumentException("FashionMnist.locate: needed files " + needed + " must be a non-empty subset of " + FILES);
        }
        List<String> want = FILES.stream().filter(needed::contains).toList(); // in FILES' order, no repeats
        String files = (want.size() == FILES.size() ? "the four files " : want.size() == 1 ? "the file " : "the files ") + String.join(", ", want);
        if (dataDir != null) {
            if (!Files.isDirectory(dataDir)) {
                throw FileError.badInput("cannot use --data-dir " + dataDir + ": " + (Files.exists(dataDir) ? "it is a file, not a folder"
                        : "no such folder") + "; it must hold the Fashion-MNIST files " + String.join(", ", want), null);
            }
            List<String> missing = missing(dataDir, want);
            if (!missing.isEmpty()) {
                throw FileError.badInput("cannot find Fashion-MNIST in --data-dir " + dataDir + ": missing " + String.join(", ", missing)
                        + "; the folder must hold " + files + " (Debian's " + DEBIAN_PACKAGE + " installs them in " + DEBIAN_FOLDER + ")", null);
            }
            return dataDir;
        }
        List<String> missing = missing(debian, want);
        if (missing.isEmpty()) {
            return debian;
        }
        String alternative = "or download " + files + " (github.com/zalandoresearch/fashion-mnist) into a folder and pass --data-dir FOLDER";
        if (!installer.canInstall()) {
            throw new FileError("Fashion-MNIST is not installed (" + (missing(debian, FILES).size() == FILES.size() ? "nothing in " + debian
                    : "missing " + String.join(", ", missing) + " in " + debian) + "): run `" + INSTALL_COMMAND + "`, " + alternative, null);
        }
        String command = "apt-get install -y " + DEBIAN_PACKAGE;
        say.accept("Fashion-MNIST is not in " + debian + ": installing it with `" + command + "` (running as root)");
        Installer.Result r = installer.install(DEBIAN_PACKAGE);
        if (r.exitStatus() != 0) {
            throw new FileError("could not install Fashion-MNIST: `" + command + "` failed (exit status " + r.exitStatus() + "):\n"
                    + tail(r.output(), 15) + "\nrun `" + command + "` (as root) yourself, " + alternative, null);
        }
        List<String> still = missing(debian, want);
        if (!still.isEmpty()) {
            throw new FileError("`" + command + "` succeeded but " + debian + " still lacks " + String.join(", ", still)
                    + ": run `apt-get install --reinstall -y " + DEBIAN_PACKAGE + "` (as root), " + alternative, null);
        }
        return debian;
    }

    /** {@link #locate(Path, List, Installer, Consumer)} with apt-get and the line said on {@code err}. */
    public static Path locate(Path dataDir, List<String> needed, java.io.PrintStream err) {
        return locate(dataDir, needed, Installer.apt(), err::println);
    }

    /** The four files' names that are not regular files in {@code dir}. */
    static List<String> missing(Path dir) {
        return missing(dir, FILES);
    }

    /** The names among {@code files} that are not regular files in {@code dir}. */
    static List<String> missing(Path dir, List<String> files) {
        List<String> m = new ArrayList<>();
        for (String f : files) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                m.add(f);
            }
        }
        return m;
    }

    /** The last {@code lines} lines of a text, indented. */
    static String tail(String text, int lines) {
        String[] all = (text == null ? "" : text.strip()).split("\\R");
        int from = Math.max(0, all.length - lines);
        StringBuilder b = new StringBuilder();
        if (from > 0) {
            b.append("  ...\n");
        }
        for (int i = from; i < all.length; i++) {
            b.append("  ").append(all[i]).append(i + 1 < all.length ? "\n" : "");
        }
        return b.toString();
    }

    /** apt-get as root: install; when the package is unknown (empty package lists on a fresh machine), update once and retry. */
    static final class AptInstaller implements Installer {
        /** Runs a command, appending its output; gives the exit status. */
        interface Runner {
            int run(List<String> command, StringBuilder output);
        }

        private final Runner runner;

        AptInstaller() {
            this(AptInstaller::run);
        }

        AptInstaller(Runner runner) {
            this.runner = runner;
        }

        @Override
        public boolean canInstall() {
            return isRoot() && onPath("apt-get") != null;
        }

        static boolean isRoot() {
            try {
                // /proc/self belongs to the process's effective user (java.base's "unix" attribute view)
                return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
            } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
                return "root".equals(System.getProperty("user.name"));
            }
        }

        static Path onPath(String program) {
            String path = System.getenv("PATH");
            if (path == null) {
                return null;
            }
            for (String d : path.split(java.io.File.pathSeparator)) {
                if (d.isEmpty()) {
                    continue;
                }
                Path p = Path.of(d, program);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p;
                }
            }
            return null;
        }

        @Override
        public Result install(String debianPackage) {
            StringBuilder out = new StringBuilder();
            int rc = runner.run(List.of("apt-get", "install", "-y", debianPackage), out);
            if (rc != 0 && (out.indexOf("Unable to locate package") >= 0 || out.indexOf("has no installation candidate") >= 0)) {
                out.append("\n$ apt-get update\n");
                int u = runner.run(List.of("apt-get", "update"), out);
                if (u != 0) {
                    return new Result(u, out.toString());
                }
                out.append("\n$ apt-get install -y ").append(debianPackage).append('\n');
                rc = runner.run(List.of("apt-get", "install", "-y", debianPackage), out);
            }
            return new Result(rc, out.toString());
        }

        private static int run(List<String> command, StringBuilder out) {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE);
            Map<String, String> env = pb.environment();
            env.put("DEBIAN_FRONTEND", "noninteractive");
            try {
                Process p = pb.start();
                p.getOutputStream().close();
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                p.getInputStream().transferTo(buf);
                if (!p.waitFor(30, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    out.append(buf.toString(StandardCharsets.UTF_8)).append("\n(stopped after 30 minutes)");
                    return 124;
                }
                out.append(buf.toString(StandardCharsets.UTF_8));
                return p.exitValue();
            } catch (IOException e) {
                out.append("cannot run ").append(String.join(" ", command)).append(": ").append(FileError.reason(e));
                return 127;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                out.append("interrupted");
                return 130;
            }
        }
    }
}
