package dev.bkd.core.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a killed write leaves behind, and its clean-up. Every atomic write in bkd names its temporaries after the
 * final name: {@code .NAME.tmp-*} (being filled; never complete), {@code .NAME.old-*} (the previous NAME, moved
 * aside during a swap) and {@code .NAME.trash-*} (NAME being deleted). After a kill, {@code .NAME.tmp-*} and
 * {@code .NAME.trash-*} are deleted; {@code .NAME.old-*} is moved back when NAME is missing (the kill fell between "move aside" and "move in") and deleted otherwise. For SD1.5 these are GBs, so
 * the next run on the same output cleans them and says what it did.
 */
public final class Leftovers {
    private static final Logger LOG = LoggerFactory.getLogger(Leftovers.class);
    private static final Pattern LEFTOVER = Pattern.compile("\\.(.+)\\.(tmp|old|trash)-[0-9A-Za-z-]+");

    private Leftovers() {}

    /** The prefix of a temp file or folder that will become {@code name}. */
    public static String tmpPrefix(String name) {
        return "." + name + ".tmp-";
    }

    /** A fresh name to move {@code target} aside to during a swap. */
    static Path asideName(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".old-" + UUID.randomUUID());
    }

    /** A fresh name to move {@code target} to before deleting it. */
    static Path trashName(Path target) {
        return target.resolveSibling("." + target.getFileName() + ".trash-" + UUID.randomUUID());
    }

    /** The final name a leftover belongs to, or null when {@code p} is not one. */
    public static String ownerOf(Path p) {
        Matcher m = LEFTOVER.matcher(p.getFileName().toString());
        return m.matches() ? m.group(1) : null;
    }

    /** Cleans every leftover directly in {@code dir} (a folder bkd owns, such as an output folder). */
    public static List<String> clean(Path dir) {
        return clean(dir, n -> true);
    }

    /** Cleans the leftovers in {@code dir} that belong to {@code name} only (e.g. in the parent of an output). */
    public static List<String> clean(Path dir, String name) {
        return clean(dir, name::equals);
    }

    /** Cleans leftovers of the final names {@code owners} accepts; returns one line per action, also logged. */
    public static List<String> clean(Path dir, Predicate<String> owners) {
        List<String> done = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return done;
        }
        List<Path> found;
        try (Stream<Path> s = Files.list(dir)) {
            // old- before tmp-, newest first: the newest displaced copy is restored, any other is stale
            found = s.filter(p -> ownerOf(p) != null && owners.test(ownerOf(p)))
                    .sorted(Comparator.comparing((Path p) -> !p.getFileName().toString().contains(".old-"))
                            .thenComparing(Leftovers::modified, Comparator.reverseOrder()))
                    .toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.warn("cannot look for leftovers of interrupted runs in {}: {}", dir, e.getMessage());
            return done;
        }
        for (Path p : found) {
            Path target = p.resolveSibling(ownerOf(p));
            boolean old = p.getFileName().toString().contains(".old-");
            if (old && !Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.move(p, target, StandardCopyOption.ATOMIC_MOVE);
                    done.add("restored " + target + " from " + p.getFileName() + ", moved aside by an interrupted run");
                } catch (IOException e) {
                    done.add("could not restore " + target + " from " + p + ": " + AtomicFiles.describe(e));
                }
                LOG.warn(done.get(done.size() - 1));
                continue;
            }
            long bytes = FileTrees.size(p);
            String what = (FileTrees.deleteQuietly(p) ? "removed " : "could not remove ") + p + " ("
                    + human(bytes) + ") left by an interrupted run";
            done.add(what);
            LOG.warn(what);
        }
        return done;
    }

    private static java.nio.file.attribute.FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    /** Bytes as people read them: 1.6 GB, 312 kB. */
    public static String human(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
