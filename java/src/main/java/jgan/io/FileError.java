package jgan.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * A file operation that failed, said in plain words: the action, the path and the reason, e.g.
 * "cannot write RUN/checkpoint.bin: no space left on device; the checkpoint of step 2500 is intact".
 * The command line prints the message alone (no Java exception name) and exits with status 1, or
 * 2 for a {@link #badInput} (the user's file is the wrong thing, not an I/O failure).
 */
public final class FileError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean badInput;

    public FileError(String message, Throwable cause) {
        this(message, cause, false);
    }

    private FileError(String message, Throwable cause, boolean badInput) {
        super(message, cause);
        this.badInput = badInput;
    }

    /**
     * A file or folder the user gave that is the wrong thing (no images in it, a foreign or
     * truncated data file, missing files): read fine, but unusable. The command line exits with
     * status 2 (bad input), not 1 (the system could not read or write).
     */
    public static FileError badInput(String message, Throwable cause) {
        return new FileError(message, cause, true);
    }

    /** Whether this is {@link #badInput} (exit status 2) rather than an I/O failure (1). */
    public boolean isBadInput() {
        return badInput;
    }

    /** "cannot ACTION PATH: REASON" (+ "; CONTEXT" when context is not empty). */
    public static FileError of(String action, Path path, IOException e, String context) {
        return new FileError("cannot " + action + " " + path + ": " + reason(e) + (context == null || context.isEmpty() ? "" : "; " + context),
                e);
    }

    /** The reason of an I/O failure without the Java exception's class name. */
    public static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file or folder" + other(e);
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied" + other(e);
        }
        if (e instanceof FileAlreadyExistsException) {
            return "something is in the way" + other(e);
        }
        if (e instanceof DirectoryNotEmptyException) {
            return "a folder is in the way" + other(e);
        }
        if (e instanceof NotDirectoryException) {
            return "a file is in the way, not a folder" + other(e);
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return lower(f.getReason()) + other(e);
        }
        String m = e.getMessage();
        return m == null || m.isEmpty() ? "input/output error" : lower(m);
    }

    /** The file the system names when it is not the one the caller named (e.g. a parent folder). */
    private static String other(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return " (" + f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ")";
        }
        return "";
    }

    private static String lower(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
