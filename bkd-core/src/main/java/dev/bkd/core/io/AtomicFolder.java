package dev.bkd.core.io;

import dev.bkd.core.BkdException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An output folder that appears all at once: written into the hidden temp sibling {@code .NAME.tmp-*}, then
 * swapped in by {@link #swap}: an existing target is moved aside to {@code .NAME.old-*}, the new one renamed in,
 * and only then the old one deleted. So a kill at any moment leaves either the old or the new folder complete under
 * its final name, never a half-deleted one; {@link Leftovers} cleans the hidden rest on the next
 * {@link #begin}. Closing without {@link #commit()} deletes the temp folder. The one implementation of
 * write-then-rename for folders.
 */
public final class AtomicFolder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AtomicFolder.class);
    private final Path out;
    private Path tmp;

    private AtomicFolder(Path out, Path tmp) {
        this.out = out;
        this.tmp = tmp;
    }

    /**
     * Starts writing {@code out}; a non-empty existing {@code out} is refused unless {@code force}. Leftovers of an
     * earlier interrupted write of {@code out} are cleaned first (and reported).
     */
    public static AtomicFolder begin(Path out, boolean force) {
        Path o = out.toAbsolutePath().normalize();
        if (Files.exists(o) && !Files.isDirectory(o)) {
            throw new BkdException("output " + out + " exists and is not a folder");
        }
        try {
            Files.createDirectories(o.getParent());
        } catch (IOException e) {
            throw new BkdException("cannot create a folder next to " + out + ": " + AtomicFiles.describe(e), e);
        }
        Leftovers.clean(o.getParent(), o.getFileName().toString());
        if (!force && !isEmpty(o)) {
            throw new BkdException("output " + out + " exists and is not empty; pass --force to replace it");
        }
        try {
            Path tmp = Files.createTempDirectory(o.getParent(), Leftovers.tmpPrefix(o.getFileName().toString()));
            if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            return new AtomicFolder(o, tmp);
        } catch (IOException e) {
            throw new BkdException("cannot create a folder next to " + out + ": " + AtomicFiles.describe(e), e);
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
        try {
            swap(t, out);
        } catch (IOException e) {
            throw new BkdException("cannot move the finished " + out.getFileName() + " into place: "
                    + AtomicFiles.describe(e), e);
        }
        tmp = null;
        return out;
    }

    @Override
    public void close() {
        if (tmp != null) {
            FileTrees.deleteQuietly(tmp);
            tmp = null;
        }
    }

    /**
     * Puts the complete folder (or file) {@code filled} under the name {@code target}, which lives in the same folder:
     * an existing target is renamed aside, {@code filled} renamed in, then the old one deleted. If the second rename
     * fails the old target is put back. A symbolic link as target is moved (and deleted) as a link.
     */
    public static void swap(Path filled, Path target) throws IOException {
        Path old = null;
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            old = Leftovers.asideName(target);
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            CrashPoint.reach("swap.aside");
        }
        try {
            Files.move(filled, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (old != null) {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            }
            throw e;
        }
        FileTrees.syncFolder(target.toAbsolutePath().getParent());
        if (old != null) {
            CrashPoint.reach("swap.in");
            if (!FileTrees.deleteQuietly(old)) {
                LOG.warn("could not delete the replaced {} (moved aside to {}); the next run removes it", target, old);
            }
        }
    }

    /**
     * Deletes the folder {@code target} so that it vanishes from its final name at once: renamed to
     * {@code .NAME.trash-*} first, then deleted (a kill mid-delete leaves a hidden leftover, never a half folder
     * under NAME). False when it could not be deleted (logged).
     */
    public static boolean delete(Path target) {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return true;
        }
        Path trash = Leftovers.trashName(target);
        try {
            Files.move(target, trash, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.warn("could not delete {}: {}", target, AtomicFiles.describe(e));
            return false;
        }
        CrashPoint.reach("delete.aside");
        if (!FileTrees.deleteQuietly(trash)) {
            LOG.warn("could not delete {} (renamed to {}); the next run removes it", target, trash);
            return false;
        }
        return true;
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

    /**
     * The one rule for every command that writes a folder from an input folder: {@code out} must be neither
     * {@code input}, inside it, nor its parent (replacing it would delete the input, and for a parent, its
     * siblings). Symbolic links are resolved, so a link to the input is the input.
     */
    public static void requireApart(Path out, Path input, String what) {
        Path o = real(out);
        Path i = real(input);
        if (o.startsWith(i) || i.startsWith(o)) {
            throw new BkdException("output " + out + " and " + what + " " + input + " overlap (the one is inside the"
                    + " other, and writing the output would delete the input); choose another --out");
        }
    }

    /** The real path of the longest existing prefix of {@code p}, plus the rest as written. */
    private static Path real(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(abs).toString()).normalize();
        } catch (IOException e) {
            return abs;
        }
    }
}
