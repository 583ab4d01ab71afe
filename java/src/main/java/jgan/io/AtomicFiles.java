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
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try {
            // A leftover FILE.tmp may be a symbolic link: delete the link itself, then create a new
            // file without following links, so nothing outside the folder is ever truncated.
            Files.deleteIfExists(tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
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

    /** Reads a whole text file; a failure names the file. */
    public static String readString(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IllegalArgumentException(file + " is not UTF-8 text (a binary file?)");
        } catch (IOException e) {
            throw FileError.of("read", file, e, "");
        }
    }

    public static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw FileError.of("read", file, e, "");
        }
    }
}
