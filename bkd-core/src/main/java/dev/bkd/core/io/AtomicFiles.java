package dev.bkd.core.io;

import dev.bkd.core.BkdException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Files replaced all at once: written to the hidden temp file {@code .NAME.tmp-*} in the same folder, synced, then
 * renamed over {@code NAME}. A crash leaves either the old file or the new one under the final name, and at most a
 * temp file that {@link Leftovers} removes on the next run. The one implementation of write-then-rename for files.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the bytes of a file through a stream. */
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes the bytes of a file through its channel (large buffers, no copies). */
    public interface ChannelBody {
        void writeTo(FileChannel ch) throws IOException;
    }

    /** Replaces {@code file} with {@code text} (UTF-8). */
    public static void writeString(Path file, String text) {
        write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** Replaces {@code file} with what {@code body} writes; on failure the old file is untouched. */
    public static void write(Path file, Body body) {
        try {
            replace(file, ch -> {
                OutputStream out = Channels.newOutputStream(ch);
                body.writeTo(out);
                out.flush();
            });
        } catch (IOException e) {
            throw new BkdException("cannot write " + file + ": " + describe(e), e);
        }
    }

    /**
     * The primitive: fills a temp file by {@code body}, forces it to disk, makes it world-readable like any file
     * in a model folder (temp files start as 0600), renames it over {@code file} and syncs the folder. Failures
     * are thrown as they come so each caller can name its own file type; the temp file is removed.
     */
    public static void replace(Path file, ChannelBody body) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, Leftovers.tmpPrefix(file.getFileName().toString()), "");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                body.writeTo(ch);
                ch.force(true);
            }
            PosixFileAttributeView view = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
            if (view != null) {
                view.setPermissions(PosixFilePermissions.fromString("rw-r--r--"));
            }
            CrashPoint.reach("file.written");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            FileTrees.syncFolder(dir);
        } finally {
            if (tmp != null) {
                FileTrees.deleteQuietly(tmp); // the final name was never touched
            }
        }
    }

    /**
     * Fails early, before hours of work, when nothing could be written to {@code dir}, without creating anything:
     * an existing folder gets a temp file created and deleted in it; for a folder still to be made, its nearest
     * existing ancestor must be a writable folder. {@code what} names the option of the folder in the message.
     */
    public static void requireWritableFolder(Path dir, String what) {
        Path d = dir.toAbsolutePath().normalize();
        Path existing = d;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        String problem = null;
        if (existing == null || !Files.isDirectory(existing)) {
            problem = existing + " is not a folder";
        } else if (existing.equals(d)) {
            try {
                Files.delete(Files.createTempFile(d, ".bkd-write-check", ".tmp"));
            } catch (IOException e) {
                problem = describe(e);
            }
        } else if (!Files.isWritable(existing)) {
            problem = "cannot create folders in " + existing;
        }
        if (problem != null) {
            throw new BkdException(what + " " + dir + ": cannot write there: " + problem + "; choose a writable folder");
        }
    }

    /** An I/O failure in words: the OS reason ("No space left on device") and the file, not the exception class. */
    public static String describe(IOException e) {
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            return fs.getReason() + " (" + fs.getFile() + ")";
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
