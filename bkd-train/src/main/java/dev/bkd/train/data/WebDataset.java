package dev.bkd.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.bkd.core.config.ConfigReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * webdataset shards as img2dataset writes them: uncompressed {@code .tar} files whose consecutive members sharing a
 * key ({@code 000010023.jpg}, {@code 000010023.txt}, {@code 000010023.json}) form one sample. {@code --data} names
 * them as a brace range ({@code data/{00000..00123}.tar}), a folder of {@code .tar} files, one {@code .tar}, or a
 * list file with one shard (or brace range) per line. Shards are indexed by their headers only; images are read
 * in place when used. Item order is shard order (as given; a folder's sorted by name), then member order, so a
 * seed gives the same epochs on every machine. The caption is the {@code .json} field named by the caption column
 * when the sample's json has it (e.g. {@code --caption-column caption}), else the {@code .txt} member.
 */
final class WebDataset {
    /** Image members Java can be asked to decode (others count as missing images). */
    private static final Set<String> IMAGE_EXT = Set.of("jpg", "jpeg", "png", "bmp", "gif", "webp", "tif", "tiff");
    private static final Pattern RANGE = Pattern.compile("\\{(\\d+)\\.\\.(\\d+)\\}");

    private WebDataset() {}

    /** The tar shards {@code data} names, or null when it names an image folder (the other layouts). */
    static List<Path> shards(Path data) {
        String text = data.toString();
        if (RANGE.matcher(text).find()) {
            return expand(text).stream().map(Path::of).toList();
        }
        if (Files.isRegularFile(data)) {
            String name = data.getFileName().toString().toLowerCase(Locale.ROOT);
            if (name.endsWith(".tar.gz") || name.endsWith(".tgz") || name.endsWith(".tar.zst")) {
                throw new DatasetException(data + ": compressed tar shards cannot be read in place; decompress them"
                        + " or write uncompressed .tar (img2dataset's default)");
            }
            return name.endsWith(".tar") ? List.of(data) : listFile(data);
        }
        if (Files.isDirectory(data) && !Files.exists(data.resolve(CaptionedDataset.METADATA_JSONL))
                && !Files.exists(data.resolve(CaptionedDataset.METADATA_CSV))) {
            try (Stream<Path> s = Files.list(data)) {
                List<Path> tars = s.filter(p -> p.getFileName().toString().endsWith(".tar") && Files.isRegularFile(p))
                        .sorted().toList();
                return tars.isEmpty() ? null : tars;
            } catch (IOException e) {
                throw new DatasetException(data + ": cannot list: " + e.getMessage(), e);
            }
        }
        return null;
    }

    /** Expands every {@code {a..b}} range; zero-padded when either bound is (webdataset's braceexpand). */
    static List<String> expand(String pattern) {
        Matcher m = RANGE.matcher(pattern);
        if (!m.find()) {
            return List.of(pattern);
        }
        String a = m.group(1);
        String b = m.group(2);
        long from = Long.parseLong(a);
        long to = Long.parseLong(b);
        if (to < from) {
            throw new DatasetException(pattern + ": range {" + a + ".." + b + "} runs backwards");
        }
        if (to - from >= 10_000_000) {
            throw new DatasetException(pattern + ": range {" + a + ".." + b + "} is implausibly large");
        }
        boolean padded = (a.length() > 1 && a.startsWith("0")) || (b.length() > 1 && b.startsWith("0"));
        int width = padded ? Math.max(a.length(), b.length()) : 0;
        List<String> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            String n = padded ? String.format("%0" + width + "d", i) : Long.toString(i);
            out.addAll(expand(pattern.substring(0, m.start()) + n + pattern.substring(m.end())));
        }
        return out;
    }

    private static List<Path> listFile(Path list) {
        List<Path> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                for (String s : expand(t)) {
                    out.add(list.toAbsolutePath().getParent().resolve(s).normalize());
                }
            }
        } catch (IOException e) {
            throw new DatasetException(list + ": cannot read the shard list: " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new DatasetException(list + ": not a .tar shard and lists no shards (one path or {a..b} range"
                    + " per line)");
        }
        return out;
    }

    /** The usable samples of {@code shards}, in order; bad ones recorded in {@code report}. */
    static List<CaptionedImage> read(List<Path> shards, Path root, String captionColumn, DatasetReport report) {
        List<CaptionedImage> items = new ArrayList<>();
        for (Path tar : shards) {
            String shardName = relative(root, tar);
            if (!Files.isRegularFile(tar)) {
                report.skip(SkipReason.DAMAGED_SHARD, shardName, "does not exist");
                continue;
            }
            TarIndex.Listing listing;
            try {
                listing = TarIndex.scan(tar);
            } catch (IOException e) {
                report.skip(SkipReason.DAMAGED_SHARD, shardName, "cannot read: " + e.getMessage());
                continue;
            }
            try (FileChannel ch = FileChannel.open(tar, StandardOpenOption.READ)) {
                List<TarIndex.Member> sample = new ArrayList<>();
                for (TarIndex.Member m : listing.members()) {
                    if (!sample.isEmpty() && !key(m.name()).equals(key(sample.get(0).name()))) {
                        addSample(items, sample, tar, shardName, captionColumn, ch, report);
                        sample.clear();
                    }
                    sample.add(m);
                }
                if (!sample.isEmpty()) {
                    addSample(items, sample, tar, shardName, captionColumn, ch, report);
                }
            } catch (IOException e) {
                report.skip(SkipReason.DAMAGED_SHARD, shardName, "cannot read: " + e.getMessage());
            }
            if (listing.problem() != null) {
                report.skip(SkipReason.DAMAGED_SHARD, shardName, listing.problem()
                        + "; the samples before it are used");
            }
        }
        return items;
    }

    private static void addSample(List<CaptionedImage> items, List<TarIndex.Member> sample, Path tar, String shardName,
                                  String captionColumn, FileChannel ch, DatasetReport report) throws IOException {
        String key = key(sample.get(0).name());
        String origin = shardName + " sample " + key;
        TarIndex.Member image = null;
        TarIndex.Member txt = null;
        TarIndex.Member json = null;
        for (TarIndex.Member m : sample) {
            String ext = ext(m.name());
            if (image == null && IMAGE_EXT.contains(ext)) {
                image = m;
            } else if (ext.equals("txt")) {
                txt = m;
            } else if (ext.equals("json")) {
                json = m;
            }
        }
        if (image == null) {
            report.skip(SkipReason.MISSING_IMAGE, origin, "no image member (." + String.join("/.", IMAGE_EXT.stream()
                    .sorted().toList()) + ")");
            return;
        }
        List<String> captions = null;
        if (json != null) {
            JsonNode node;
            try {
                node = ConfigReader.MAPPER.readTree(utf8(json.read(ch)));
            } catch (JsonProcessingException | CharacterCodingException e) {
                report.skip(SkipReason.BAD_ROW, origin, "`" + json.name() + "` is not JSON text: " + e.getMessage());
                return;
            }
            if (node != null && node.isObject() && node.has(captionColumn)) {
                MetadataRow row = JsonlMetadata.row(origin, TextNode.valueOf(image.name()), node.get(captionColumn),
                        captionColumn);
                if (row.problem() != null) {
                    report.skip(SkipReason.BAD_ROW, origin, row.problem());
                    return;
                }
                captions = row.captions();
            }
        }
        if (captions == null && txt != null) {
            try {
                captions = List.of(utf8(txt.read(ch)));
            } catch (CharacterCodingException e) {
                report.skip(SkipReason.BAD_ROW, origin, "`" + txt.name() + "` is not UTF-8 text");
                return;
            }
        }
        List<String> clean = captions == null ? List.of()
                : captions.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (clean.isEmpty()) {
            report.skip(SkipReason.EMPTY_CAPTION, origin, "no .txt caption and no `" + captionColumn
                    + "` field in .json, or it is empty");
            return;
        }
        try {
            Images.probe(image.read(ch));
        } catch (IOException e) {
            report.skip(SkipReason.UNREADABLE_IMAGE, origin, "`" + image.name() + "`: " + e.getMessage());
            return;
        }
        items.add(new CaptionedImage(tar, shardName + "/" + image.name(), clean, origin, image));
    }

    /** webdataset's sample key: the member path up to the first dot of its file name. */
    static String key(String name) {
        int slash = name.lastIndexOf('/');
        int dot = name.indexOf('.', slash + 1);
        return dot < 0 ? name : name.substring(0, dot);
    }

    private static String ext(String name) {
        int slash = name.lastIndexOf('/');
        int dot = name.indexOf('.', slash + 1);
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static String utf8(byte[] b) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
    }

    private static String relative(Path root, Path tar) {
        Path abs = tar.toAbsolutePath().normalize();
        return (abs.startsWith(root) ? root.relativize(abs) : abs).toString().replace('\\', '/');
    }
}
