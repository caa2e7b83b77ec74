package dev.bkd.train.data;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/** A folder of images, each captioned by a same-stem {@code .txt} next to it ({@code cat.png} + {@code cat.txt}). */
final class SidecarCaptions {
    /** Extensions treated as images when listing the folder. */
    static final Set<String> IMAGE_EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff");

    private SidecarCaptions() {}

    static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = n.lastIndexOf('.');
        return dot > 0 && IMAGE_EXTENSIONS.contains(n.substring(dot + 1));
    }

    /** Rows for every image under {@code root} (sorted by path, so the listing is stable). */
    static List<MetadataRow> read(Path root) {
        List<Path> images;
        try (Stream<Path> s = Files.walk(root)) {
            images = s.filter(p -> !Files.isDirectory(p) && isImage(p)).sorted().toList();
        } catch (IOException e) {
            throw new DatasetException(root + ": cannot list: " + e.getMessage(), e);
        }
        List<MetadataRow> rows = new ArrayList<>();
        for (Path img : images) {
            String rel = root.relativize(img).toString().replace('\\', '/');
            String stem = rel.substring(0, rel.lastIndexOf('.'));
            Path txt = root.resolve(stem + ".txt");
            String origin = stem + ".txt";
            if (!Files.isRegularFile(txt)) {
                rows.add(new MetadataRow(origin, rel, null, null));
                continue;
            }
            try {
                rows.add(new MetadataRow(origin, rel, List.of(Files.readString(txt, StandardCharsets.UTF_8)), null));
            } catch (CharacterCodingException e) {
                rows.add(MetadataRow.bad(origin, "caption file is not UTF-8 text"));
            } catch (IOException e) {
                rows.add(MetadataRow.bad(origin, "cannot read caption file: " + e.getMessage()));
            }
        }
        return rows;
    }
}
