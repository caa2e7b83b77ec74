package dev.bkd.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.ConfigReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Rows of an imagefolder {@code metadata.jsonl}: one JSON object per line with file_name and a caption. */
final class JsonlMetadata {
    private JsonlMetadata() {}

    static List<MetadataRow> read(Path file, String captionColumn) {
        List<MetadataRow> rows = new ArrayList<>();
        Set<String> keysSeen = new TreeSet<>();
        boolean sawCaption = false;
        String name = file.getFileName().toString();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (n == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                if (line.isBlank()) {
                    continue;
                }
                String origin = name + " line " + n;
                JsonNode node;
                try {
                    node = ConfigReader.MAPPER.readTree(line);
                } catch (JsonProcessingException e) {
                    rows.add(MetadataRow.bad(origin, "invalid JSON: " + e.getOriginalMessage()));
                    continue;
                }
                if (node == null || !node.isObject()) {
                    rows.add(MetadataRow.bad(origin, "expected a JSON object"));
                    continue;
                }
                node.fieldNames().forEachRemaining(keysSeen::add);
                JsonNode caption = node.get(captionColumn);
                sawCaption |= caption != null;
                rows.add(row(origin, node.get(DatasetOptions.FILE_NAME), caption, captionColumn));
            }
        } catch (CharacterCodingException e) {
            throw new DatasetException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (!rows.isEmpty() && !sawCaption && !keysSeen.isEmpty()) {
            throw new DatasetException(file + ": no row has the caption column `" + captionColumn
                    + "`; columns found: " + keysSeen + " (set the caption column)");
        }
        return rows;
    }

    static MetadataRow row(String origin, JsonNode fileName, JsonNode caption, String column) {
        if (fileName == null || !fileName.isTextual()) {
            return MetadataRow.bad(origin, "`" + DatasetOptions.FILE_NAME + "` must be a string, found " + fileName);
        }
        if (caption == null || caption.isNull()) {
            return new MetadataRow(origin, fileName.asText(), null, null);
        }
        List<String> captions = new ArrayList<>();
        if (caption.isTextual()) {
            captions.add(caption.asText());
        } else if (caption.isArray()) {
            for (JsonNode c : caption) {
                if (!c.isTextual()) {
                    return MetadataRow.bad(origin, "`" + column + "` list holds a non-string: " + c);
                }
                captions.add(c.asText());
            }
        } else {
            return MetadataRow.bad(origin, "`" + column + "` must be a string or a list of strings, found " + caption);
        }
        return new MetadataRow(origin, fileName.asText(), captions, null);
    }
}
