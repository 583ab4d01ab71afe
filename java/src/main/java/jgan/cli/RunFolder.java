package jgan.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import jgan.io.FileError;

/**
 * A run folder: its layout (which names jgan writes, as files or folders), the exclusive lock
 * held while a command writes into it, and the clean-up of {@code --force}.
 *
 * <pre>
 *   RUN/.lock              held (FileChannel.tryLock) by the command writing the run; holds its pid
 *   RUN/config.json        RUN/log.csv        RUN/checkpoint.bin      RUN/samples.csv
 *   RUN/samples.png        RUN/metrics.json   RUN/samples/step_NNNNNNN.csv       (2-D mixtures)
 *   RUN/grid.png           RUN/samples/step_NNNNNNN.png   RUN/data-report.txt        (images)
 *   RUN/real.png                                                                     (images: the first real batch)
 *   RUN/eval.csv           RUN/metrics.png    RUN/metrics.json    (images: train --eval-every, eval --run)
 *   RUN/losses.png                                                                   (every run)
 * </pre>
 */
final class RunFolder {
    static final String LOCK = ".lock";
    /** The files jgan writes at the top of a run folder (their .tmp siblings too). */
    static final List<String> FILES = List.of("config.json", "log.csv", "checkpoint.bin", "samples.csv", "samples.png", "metrics.json",
            "grid.png", "losses.png", "data-report.txt", "eval.csv", "metrics.png", "real.png");
    static final String SAMPLES = "samples";
    private static final Pattern STEP_SAMPLES = Pattern.compile("step_\\d+\\.(csv|png)(\\.tmp)?");

    private RunFolder() {
    }

    /**
     * Refuses a path that is empty or names a root, the home folder or the current folder's
     * ancestors. Symbolic links are resolved first (the part of the path that exists), so a link
     * to / or to the home folder is refused as they are.
     */
    static Path checkedPath(String name, String option) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException(option + " needs a folder name, got " + (name == null || name.isEmpty() ? "an empty one"
                    : "only spaces"));
        }
        Path p = Path.of(name);
        Path abs = real(p.toAbsolutePath().normalize());
        Path home = real(Path.of(System.getProperty("user.home", "/")).toAbsolutePath().normalize());
        Path cwd = real(Path.of("").toAbsolutePath().normalize());
        if (abs.getNameCount() == 0 || abs.equals(home) || cwd.startsWith(abs)) {
            throw new IllegalArgumentException(option + " " + name + " is " + abs + ": give a folder of its own for the run (e.g. runs/ring8)");
        }
        return p;
    }

    /** The real path of the longest existing ancestor of {@code abs} (links resolved), with the rest appended. */
    static Path real(Path abs) {
        Path existing = abs;
        Path rest = null;
        while (existing != null) {
            try {
                Path r = existing.toRealPath();
                return rest == null ? r : r.resolve(rest).normalize();
            } catch (IOException e) {
                Path last = existing.getFileName();
                if (last == null) {
                    return abs;
                }
                rest = rest == null ? last : last.resolve(rest);
                existing = existing.getParent();
            }
        }
        return abs;
    }

    /**
     * Whether the folder holds a jgan run, by content, not by name: a config.json that reads as a
     * whole jgan config (every field, valid values), or a checkpoint.bin that reads (JGANCKPT
     * header, sections, CRC). A stray config.json that merely has jgan's format_version, or a file
     * that starts with the magic alone, is not enough for --force to delete anything.
     */
    static boolean holdsRun(Path run) {
        Path config = run.resolve("config.json"), checkpoint = run.resolve("checkpoint.bin");
        if (Files.isRegularFile(config)) {
            try {
                jgan.gan.TrainConfig.fromMap(jgan.io.Json.parseObject(jgan.io.AtomicFiles.readString(config)));
                return true;
            } catch (RuntimeException e) {
                // not text, not a JSON object or not a whole config: not jgan's (its own writes are atomic)
            }
        }
        if (Files.isRegularFile(checkpoint)) {
            try {
                jgan.gan.TrainingCheckpoint.validate(jgan.io.Checkpoint.read(checkpoint), checkpoint.toString());
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        }
        return false;
    }

    /**
     * Removes the .tmp files a killed jgan left behind (its own names only: RUN/FILE.tmp and
     * RUN/samples/step_N.csv.tmp). Called with the lock held, before a command writes the run;
     * each write makes a new .tmp, so none of them holds anything that is needed.
     */
    static void removeLeftovers(Path run) {
        try {
            for (Path p : ownFiles(run)) {
                if (p.getFileName().toString().endsWith(".tmp")) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw FileError.of("remove the leftover .tmp files in", run, e, "");
        }
    }

    /**
     * Refuses a layout jgan could not write into, before anything is written: a file where the
     * run folder or samples/ should be, a folder where one of jgan's files should be.
     */
    static void checkLayout(Path run) {
        checkLayout(run, false);
    }

    /**
     * As {@link #checkLayout(Path)}; a symbolic link named samples is refused too (jgan would write
     * through it, outside the run), unless {@code linksRemoved}: --force deletes the link itself
     * before anything is written.
     */
    static void checkLayout(Path run, boolean linksRemoved) {
        if (Files.exists(run) && !Files.isDirectory(run)) {
            throw new IllegalArgumentException(run + " exists and is not a folder");
        }
        for (String f : FILES) {
            if (Files.isDirectory(run.resolve(f), LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalArgumentException(run.resolve(f) + " is a folder where jgan writes a file: move it away first");
            }
        }
        Path samples = run.resolve(SAMPLES);
        if (Files.isSymbolicLink(samples)) {
            if (linksRemoved) {
                return;
            }
            throw new IllegalArgumentException(samples + " is a symbolic link: jgan writes only inside the run folder and never"
                    + " through a link; remove the link (or use --force, which deletes the link itself, not what it points to)");
        }
        if (Files.exists(samples) && !Files.isDirectory(samples)) {
            throw new IllegalArgumentException(samples + " is a file where jgan writes a folder (samples at every checkpoint): move it"
                    + " away first");
        }
    }

    /**
     * What {@code --force} would delete: jgan's own files only (nothing else in the folder). Links
     * are never followed: a symbolic link under one of jgan's names is listed as the link itself
     * (deleting it leaves what it points to alone), and a samples link is not looked into.
     */
    static List<Path> ownFiles(Path run) throws IOException {
        List<Path> own = new ArrayList<>();
        for (String f : FILES) {
            for (Path p : List.of(run.resolve(f), run.resolve(f + ".tmp"))) {
                if (fileOrLink(p)) {
                    own.add(p);
                }
            }
        }
        Path samples = run.resolve(SAMPLES);
        if (Files.isSymbolicLink(samples)) {
            own.add(samples);
        } else if (Files.isDirectory(samples, LinkOption.NOFOLLOW_LINKS)) {
            try (var s = Files.list(samples)) {
                for (Path p : s.toList()) {
                    if (fileOrLink(p) && STEP_SAMPLES.matcher(p.getFileName().toString()).matches()) {
                        own.add(p);
                    }
                }
            }
        }
        return own;
    }

    private static boolean fileOrLink(Path p) {
        return Files.isSymbolicLink(p) || Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
    }

    /** Deletes jgan's own files (and samples/ when that leaves it empty); links are deleted, never followed. */
    static void deleteOwnFiles(Path run) {
        try {
            for (Path p : ownFiles(run)) {
                Files.deleteIfExists(p);
            }
            Path samples = run.resolve(SAMPLES);
            if (Files.isDirectory(samples, LinkOption.NOFOLLOW_LINKS)) {
                try (var s = Files.list(samples)) {
                    if (s.findAny().isEmpty()) {
                        Files.delete(samples);
                    }
                }
            }
        } catch (IOException e) {
            throw FileError.of("clear the old run in", run, e, "");
        }
    }

    /** The exclusive lock on RUN/.lock, held for the life of a writing command. */
    static final class Lock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private Lock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() {
            try {
                lock.release();
                channel.close();
            } catch (IOException ignored) {
                // closing the channel releases the lock in any case
            }
        }
    }

    /**
     * Refuses a run folder whose RUN/.lock another command holds now (the message of {@link #lock}),
     * without taking the lock or writing anything: a command checks this before it judges the
     * folder's contents, which a running command is changing. No .lock, or one nobody holds: returns.
     */
    static void checkNotInUse(Path run) {
        Path file = run.resolve(LOCK);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        FileLock l;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null; // held by this very process
            }
            if (l != null) {
                l.release();
                return;
            }
        } catch (IOException e) {
            return; // cannot open it to test: lock() says why when it is taken
        }
        throw new IllegalStateException(run + " is in use by another jgan command (" + holder(file) + ", lock " + file
                + "): wait for it to finish or stop it first");
    }

    /** Takes RUN/.lock or refuses, naming the process that holds it. The folder must exist. */
    static Lock lock(Path run) {
        Path file = run.resolve(LOCK);
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileError("cannot create the lock file " + file + ": a folder is in the way; move it away first", null);
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw FileError.of("create the lock file", file, e, "");
        }
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null; // held by this very process
        } catch (IOException e) {
            close(ch);
            throw FileError.of("lock", file, e, "");
        }
        if (l == null) {
            String holder = holder(file);
            close(ch);
            throw new IllegalStateException(run + " is in use by another jgan command (" + holder + ", lock " + file
                    + "): wait for it to finish or stop it first");
        }
        try {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(false);
        } catch (IOException e) {
            close(ch);
            throw FileError.of("write", file, e, "");
        }
        return new Lock(ch, l);
    }

    /**
     * The holder as its lock file names it ("pid N"). A holder that has just taken the lock may
     * not have written its pid yet: read again for a moment before saying so.
     */
    private static String holder(Path file) {
        for (int i = 0; i < 10; i++) {
            try {
                String s = Files.readString(file, StandardCharsets.US_ASCII).trim();
                if (!s.isEmpty()) {
                    return s;
                }
                Thread.sleep(20);
            } catch (IOException e) {
                break;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return "one that is just starting and has not written its pid yet";
    }

    private static void close(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing was written
        }
    }
}
