package dev.bkd.core.io;

import dev.bkd.core.BkdException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * An output folder that appears all at once: written into a hidden temp sibling, then renamed over the target
 * (an existing target is moved aside first and deleted after). Closing without {@link #commit()} deletes the temp
 * folder, so a failed or interrupted write never leaves a half-written output under the real name.
 */
public final class AtomicFolder implements AutoCloseable {
    private final Path out;
    private Path tmp;

    private AtomicFolder(Path out, Path tmp) {
        this.out = out;
        this.tmp = tmp;
    }

    /** Starts writing {@code out}; a non-empty existing {@code out} is refused unless {@code force}. */
    public static AtomicFolder begin(Path out, boolean force) {
        Path o = out.toAbsolutePath().normalize();
        if (Files.exists(o) && !Files.isDirectory(o)) {
            throw new BkdException("output " + out + " exists and is not a folder");
        }
        if (!force && !isEmpty(o)) {
            throw new BkdException("output " + out + " exists and is not empty; pass --force to replace it");
        }
        try {
            Files.createDirectories(o.getParent());
            Path tmp = Files.createTempDirectory(o.getParent(), "." + o.getFileName() + ".tmp-");
            if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            return new AtomicFolder(o, tmp);
        } catch (IOException e) {
            throw new BkdException("cannot create a folder next to " + out + ": " + e.getMessage(), e);
        }
    }

    /** The temp folder to write into. */
    public Path dir() {
        if (tmp == null) {
            throw new IllegalStateException("folder " + out + " is already committed");
        }
        return tmp;
    }

    /** The final location. */
    public Path target() {
        return out;
    }

    /** Moves the written folder to its final name. */
    public Path commit() {
        Path t = dir();
        Path old = null;
        try {
            if (Files.exists(out)) {
                old = Files.createTempDirectory(out.getParent(), "." + out.getFileName() + ".old-");
                Files.delete(old);
                Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
            }
            try {
                Files.move(t, out, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (old != null) {
                    Files.move(old, out, StandardCopyOption.ATOMIC_MOVE);
                }
                throw e;
            }
        } catch (IOException e) {
            throw new BkdException("cannot move the finished " + out.getFileName() + " into place: " + e.getMessage(), e);
        }
        tmp = null;
        if (old != null) {
            deleteTree(old);
        }
        return out;
    }

    @Override
    public void close() {
        if (tmp != null) {
            deleteTree(tmp);
            tmp = null;
        }
    }

    /** True when {@code dir} does not exist or has no entries. */
    public static boolean isEmpty(Path dir) {
        if (!Files.isDirectory(dir)) {
            return !Files.exists(dir);
        }
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw new BkdException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a folder tree, best effort (a leftover hidden temp folder is harmless and named after the output). */
    public static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    Files.delete(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
