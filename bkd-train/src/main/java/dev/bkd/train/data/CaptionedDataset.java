package dev.bkd.train.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A captioned image folder: Hugging Face "imagefolder" ({@code metadata.jsonl} or {@code metadata.csv} with
 * {@code file_name} and a caption column), images with same-stem {@code .txt} captions, or webdataset
 * {@code .tar} shards (see {@link WebDataset}). Bad rows (missing
 * or unreadable images, empty captions, paths leaving the folder, malformed rows) are skipped and counted in
 * {@link #report()}, or fatal when strict.
 */
public final class CaptionedDataset {
    private static final Logger LOG = LoggerFactory.getLogger(CaptionedDataset.class);
    /** imagefolder metadata file names, looked for in the data folder itself. */
    public static final String METADATA_JSONL = "metadata.jsonl";
    public static final String METADATA_CSV = "metadata.csv";

    private final Path root;
    private final List<CaptionedImage> items;
    private final DatasetReport report;
    private final String layout;

    private CaptionedDataset(Path root, List<CaptionedImage> items, DatasetReport report, String layout) {
        this.root = root;
        this.items = List.copyOf(items);
        this.report = report;
        this.layout = layout;
    }

    /** Scans {@code folder}: picks the layout, validates every row, probes every image header. */
    public static CaptionedDataset open(Path folder, DatasetOptions options) {
        List<Path> shards = WebDataset.shards(folder);
        if (shards != null) {
            return openShards(folder, shards, options);
        }
        if (!Files.isDirectory(folder)) {
            throw new DatasetException(folder + ": not a folder (expected images with metadata.jsonl,"
                    + " metadata.csv or .txt captions)");
        }
        Path root;
        try {
            root = folder.toRealPath();
        } catch (IOException e) {
            throw new DatasetException(folder + ": cannot resolve: " + e.getMessage(), e);
        }
        Path jsonl = root.resolve(METADATA_JSONL);
        Path csv = root.resolve(METADATA_CSV);
        if (Files.exists(jsonl) && Files.exists(csv)) {
            throw new DatasetException(root + ": has both " + METADATA_JSONL + " and " + METADATA_CSV
                    + "; keep one of them");
        }
        String layout;
        List<MetadataRow> rows;
        if (Files.exists(jsonl)) {
            layout = METADATA_JSONL;
            rows = JsonlMetadata.read(jsonl, options.captionColumn());
        } else if (Files.exists(csv)) {
            layout = METADATA_CSV;
            rows = CsvMetadata.read(csv, options.captionColumn());
        } else {
            layout = ".txt captions";
            rows = SidecarCaptions.read(root);
        }
        DatasetReport report = new DatasetReport(root.toString(), options.strict());
        List<CaptionedImage> items = new ArrayList<>();
        for (MetadataRow row : rows) {
            CaptionedImage item = validate(root, row, report);
            if (item != null) {
                items.add(item);
            }
        }
        if (items.isEmpty()) {
            throw new DatasetException(root + " (" + layout + "): no usable image-caption pairs; "
                    + (rows.isEmpty() ? "no images or rows found" : report.summary()));
        }
        LOG.info("dataset {} ({}): {} items, {}", root, layout, items.size(), report.summary());
        return new CaptionedDataset(root, items, report, layout);
    }

    /** webdataset shards: the root is {@code data} when it is a folder, else the first shard's folder. */
    private static CaptionedDataset openShards(Path data, List<Path> shards, DatasetOptions options) {
        Path root = (Files.isDirectory(data) ? data : shards.get(0).toAbsolutePath().getParent()).toAbsolutePath()
                .normalize();
        String layout = "webdataset, " + shards.size() + " shard" + (shards.size() == 1 ? "" : "s");
        DatasetReport report = new DatasetReport(data.toString(), options.strict());
        List<CaptionedImage> items = WebDataset.read(shards, root, options.captionColumn(), report);
        if (items.isEmpty()) {
            throw new DatasetException(data + " (" + layout + "): no usable image-caption samples; "
                    + report.summary());
        }
        LOG.info("dataset {} ({}): {} items, {}", data, layout, items.size(), report.summary());
        return new CaptionedDataset(root, items, report, layout);
    }

    private static CaptionedImage validate(Path root, MetadataRow row, DatasetReport report) {
        if (row.problem() != null) {
            report.skip(SkipReason.BAD_ROW, row.origin(), row.problem());
            return null;
        }
        String name = row.fileName();
        Path file;
        try {
            Path given = Path.of(name);
            if (name.isEmpty() || given.isAbsolute() || name.startsWith("/") || name.startsWith("\\")) {
                report.skip(SkipReason.OUTSIDE_FOLDER, row.origin(), "`" + name + "` is not a relative path");
                return null;
            }
            file = root.resolve(given).normalize();
        } catch (InvalidPathException e) {
            report.skip(SkipReason.BAD_ROW, row.origin(), "`" + name + "` is not a valid path");
            return null;
        }
        if (!file.startsWith(root)) {
            report.skip(SkipReason.OUTSIDE_FOLDER, row.origin(), "`" + name + "` leaves the data folder");
            return null;
        }
        if (!Files.exists(file)) {
            report.skip(SkipReason.MISSING_IMAGE, row.origin(), "`" + name + "` does not exist");
            return null;
        }
        try {
            if (!file.toRealPath().startsWith(root)) {
                report.skip(SkipReason.OUTSIDE_FOLDER, row.origin(), "`" + name + "` links outside the data folder");
                return null;
            }
        } catch (IOException e) {
            report.skip(SkipReason.MISSING_IMAGE, row.origin(), "`" + name + "`: " + e.getMessage());
            return null;
        }
        List<String> captions = row.captions() == null ? List.of()
                : row.captions().stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (captions.isEmpty()) {
            report.skip(SkipReason.EMPTY_CAPTION, row.origin(), "`" + name + "` has no caption text");
            return null;
        }
        try {
            if (Files.isDirectory(file)) {
                throw new IOException("is a folder");
            }
            Images.probe(file);
        } catch (IOException e) {
            report.skip(SkipReason.UNREADABLE_IMAGE, row.origin(), "`" + name + "`: " + e.getMessage());
            return null;
        }
        return new CaptionedImage(file, root.relativize(file).toString().replace('\\', '/'), captions, row.origin());
    }

    /** The data folder (real path). */
    public Path root() {
        return root;
    }

    /** Which layout was read: {@code metadata.jsonl}, {@code metadata.csv}, {@code .txt captions} or webdataset. */
    public String layout() {
        return layout;
    }

    /** The usable items, in declaration order. */
    public List<CaptionedImage> items() {
        return items;
    }

    /** Number of usable items. */
    public int size() {
        return items.size();
    }

    /** Item {@code i}. */
    public CaptionedImage get(int i) {
        return items.get(i);
    }

    /** Skipped rows (scan time, and images that fail to decode later). */
    public DatasetReport report() {
        return report;
    }

    /** SHA-256 over every item's relative path, captions and file size: changes when the listing changes. */
    public String listingHash() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (CaptionedImage it : items) {
                md.update(it.relativePath().getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                for (String c : it.captions()) {
                    md.update(c.getBytes(StandardCharsets.UTF_8));
                    md.update((byte) 0x1f);
                }
                md.update((byte) 0);
                md.update(Long.toString(it.byteSize()).getBytes(StandardCharsets.UTF_8));
                md.update((byte) '\n');
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new DatasetException(root + ": an image vanished while hashing the listing: " + e.getMessage(), e);
        }
    }
}
