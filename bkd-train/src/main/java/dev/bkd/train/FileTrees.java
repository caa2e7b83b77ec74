package dev.bkd.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Folder trees copied or deleted whole. Symbolic links are never followed: deleting one removes the link only. */
public final class FileTrees {
    private FileTrees() {}

    /** Copies {@code src} and everything under it to {@code dst} (created; existing files replaced). */
    public static void copy(Path src, Path dst) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(src)) {
            all = s.toList();
        }
        for (Path p : all) {
            Path d = dst.resolve(src.relativize(p).toString());
            if (Files.isDirectory(p)) {
                Files.createDirectories(d);
            } else {
                Files.copy(p, d, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Deletes {@code root} and everything under it; nothing happens when it does not exist. */
    public static void delete(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = s.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            Files.delete(p);
        }
    }
}
