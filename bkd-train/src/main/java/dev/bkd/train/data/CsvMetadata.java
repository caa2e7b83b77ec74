package dev.bkd.train.data;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Rows of an imagefolder {@code metadata.csv} (RFC 4180: quoted fields may hold commas, quotes, newlines). */
final class CsvMetadata {
    private CsvMetadata() {}

    static List<MetadataRow> read(Path file, String captionColumn) {
        String text = readText(file, "");
        String name = file.getFileName().toString();
        List<Record> records = parse(text);
        if (records.isEmpty()) {
            return List.of();
        }
        List<String> header = records.get(0).fields();
        int fileCol = header.indexOf(DatasetOptions.FILE_NAME);
        int capCol = header.indexOf(captionColumn);
        if (fileCol < 0 || capCol < 0) {
            throw new DatasetException(file + " line 1: the header needs columns `" + DatasetOptions.FILE_NAME
                    + "` and `" + captionColumn + "`; found " + header);
        }
        List<MetadataRow> rows = new ArrayList<>();
        for (Record r : records.subList(1, records.size())) {
            String origin = name + " line " + r.line();
            if (r.problem() != null) {
                rows.add(MetadataRow.bad(origin, r.problem()));
            } else if (r.fields().size() == 1 && r.fields().get(0).isEmpty()) {
                continue; // blank line
            } else if (r.fields().size() != header.size()) {
                rows.add(MetadataRow.bad(origin, r.fields().size() + " fields, the header has " + header.size()));
            } else {
                rows.add(new MetadataRow(origin, r.fields().get(fileCol), List.of(r.fields().get(capCol)), null));
            }
        }
        return rows;
    }

    /** One CSV record and the line it starts on; {@code problem} is set for an unterminated quote. */
    record Record(int line, List<String> fields, String problem) {}

    /**
     * The whole file as UTF-8 without a leading byte-order mark (spreadsheet exports write one);
     * {@code what} completes "cannot read" in the error (e.g. " the prompts").
     */
    static String readText(Path file, String what) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new DatasetException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot read" + what + ": " + e.getMessage(), e);
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    static List<Record> parse(String text) {
        List<Record> out = new ArrayList<>();
        int i = 0;
        int line = 1;
        int n = text.length();
        while (i < n) {
            int start = line;
            List<String> fields = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            boolean quoted = false;
            boolean endOfRecord = false;
            while (i < n && !endOfRecord) {
                char c = text.charAt(i++);
                if (quoted) {
                    if (c == '"' && i < n && text.charAt(i) == '"') {
                        cur.append('"');
                        i++;
                    } else if (c == '"') {
                        quoted = false;
                    } else {
                        line += c == '\n' ? 1 : 0;
                        cur.append(c);
                    }
                } else if (c == '"' && cur.length() == 0) {
                    quoted = true;
                } else if (c == ',') {
                    fields.add(cur.toString());
                    cur.setLength(0);
                } else if (c == '\n' || c == '\r') {
                    if (c == '\r' && i < n && text.charAt(i) == '\n') {
                        i++;
                    }
                    line++;
                    endOfRecord = true;
                } else {
                    cur.append(c);
                }
            }
            if (quoted) {
                out.add(new Record(start, fields, "a quoted field is never closed"));
                break;
            }
            fields.add(cur.toString());
            out.add(new Record(start, fields, null));
        }
        return out;
    }
}
