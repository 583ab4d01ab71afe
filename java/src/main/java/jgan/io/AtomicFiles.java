package jgan.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Whole-file writes that a kill, a full disk or a folder in the way never leave half done: the
 * bytes go to FILE.tmp in the same folder, are forced to disk, and the temporary file is renamed
 * over FILE (then the folder is forced). On any failure the .tmp is removed and a {@link FileError}
 * names the file, the action and the reason; FILE is then the one from before, untouched.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    public static void write(Path file, String text, String context) {
        write(file, text.getBytes(StandardCharsets.UTF_8), context);
    }

    /** @param context what the user should know if this fails (e.g. "the checkpoint of step 2500 is intact"); may be empty */
    public static void write(Path file, byte[] bytes, String context) {
        write(file, out -> out.write(bytes), context);
    }

    /** Writes the bytes of a file to a stream; may throw what writing throws. */
    @FunctionalInterface
    public interface Body {
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    /**
     * As {@link #write(Path, byte[], String)}, with the bytes streamed by {@code body} to FILE.tmp
     * (buffered, never held whole in memory: a checkpoint of gigabytes needs no heap of that size).
     */
    public static void write(Path file, Body body, String context) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try {
            // A leftover FILE.tmp may be a symbolic link: delete the link itself, then create a new
            // file without following links, so nothing outside the folder is ever truncated.
            Files.deleteIfExists(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                java.io.OutputStream raw = java.nio.channels.Channels.newOutputStream(ch);
                java.io.BufferedOutputStream buffered = new java.io.BufferedOutputStream(raw, 1 << 16);
                body.writeTo(buffered);
                buffered.flush();
                ch.force(true);
            }
            if (Files.isDirectory(file)) {
                throw new java.nio.file.FileSystemException(file.toString(), null, "a folder is in the way");
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the message below is what matters; a leftover .tmp is replaced by the next write
            }
            throw FileError.of("write", file, e, context);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // the rename itself reaches the disk
        } catch (IOException ignored) {
            // some file systems cannot open a folder for reading; the rename is still atomic
        }
    }

    /**
     * The most a text file of a run may hold (config.json, log.csv, samples.csv are kilobytes to a
     * few megabytes; a long run's log.csv stays far below this).
     */
    public static final long MAX_TEXT_BYTES = 256L << 20;
    /** The most a checkpoint may hold: what one Java array can (about 2 GB). */
    public static final long MAX_BINARY_BYTES = Integer.MAX_VALUE - 16L;

    /**
     * Reads a whole text file (UTF-8) of at most {@link #MAX_TEXT_BYTES}; a failure names the file.
     *
     * @throws IllegalArgumentException for a file that is not a regular file (a device such as
     *         /dev/zero, a pipe), is larger than the limit, or is not UTF-8
     * @throws FileError when it cannot be read
     */
    public static String readString(Path file) {
        byte[] b = readBytes(file, MAX_TEXT_BYTES);
        try {
            return java.nio.charset.StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(file + " is not UTF-8 text (a binary file?)");
        }
    }

    /** Reads a whole file of at most {@link #MAX_BINARY_BYTES}; the errors are those of {@link #readString}. */
    public static byte[] readBytes(Path file) {
        return readBytes(file, MAX_BINARY_BYTES);
    }

    /**
     * Reads a whole regular file of at most {@code limit} bytes. The size is checked before
     * reading and again while reading (a file that grows, or a device that reports size 0, cannot
     * exhaust memory), so no read ends in an OutOfMemoryError.
     */
    public static byte[] readBytes(Path file, long limit) {
        if (Files.exists(file) && !Files.isRegularFile(file) && !Files.isDirectory(file)) {
            throw new IllegalArgumentException(file + " is not a regular file (a device, a pipe or a socket?): jgan reads only the"
                    + " files it wrote");
        }
        try {
            long size = Files.size(file);
            if (size > limit) {
                throw new IllegalArgumentException(tooBig(file, limit));
            }
            try (var in = Files.newInputStream(file)) {
                byte[] b = in.readNBytes((int) Math.min(limit, MAX_BINARY_BYTES) + (limit < MAX_BINARY_BYTES ? 1 : 0));
                if (b.length > limit) {
                    throw new IllegalArgumentException(tooBig(file, limit));
                }
                return b;
            }
        } catch (IOException e) {
            throw FileError.of("read", file, e, "");
        }
    }

    private static String tooBig(Path file, long limit) {
        return String.format(java.util.Locale.ROOT, "%s is larger than %,d MB, far more than a jgan file of this kind holds: not"
                + " the file jgan wrote?", file, limit >> 20);
    }
}
