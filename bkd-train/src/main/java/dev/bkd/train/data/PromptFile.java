package dev.bkd.train.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bkd.core.random.Generator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A list of evaluation prompts: one caption a line ({@code .txt}, blank lines skipped), or a {@code .jsonl} /
 * {@code .csv} with a {@code text} column (e.g. MS-COCO captions exported from a dataset).
 */
public final class PromptFile {
    /** The column holding the caption in jsonl and csv files. */
    public static final String TEXT = "text";

    private PromptFile() {}

    /** Every prompt of {@code file}, in file order; errors name the file and the line. */
    public static List<String> read(Path file) {
        String text = CsvMetadata.readText(file, " the prompts");
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        List<String> out = name.endsWith(".jsonl") ? jsonl(file, text) : name.endsWith(".csv") ? csv(file, text)
                : text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        if (out.isEmpty()) {
            throw new DatasetException(file + ": holds no prompts");
        }
        return out;
    }

    private static List<String> jsonl(Path file, String text) {
        ObjectMapper mapper = new ObjectMapper();
        List<String> out = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            JsonNode row;
            try {
                row = mapper.readTree(lines[i]);
            } catch (IOException e) {
                throw new DatasetException(file + " line " + (i + 1) + ": not JSON: " + e.getMessage());
            }
            JsonNode t = row == null ? null : row.get(TEXT);
            if (t == null || !t.isTextual()) {
                throw new DatasetException(file + " line " + (i + 1) + ": needs a string field `" + TEXT + "`");
            }
            out.add(t.asText());
        }
        return out;
    }

    private static List<String> csv(Path file, String text) {
        List<CsvMetadata.Record> records = CsvMetadata.parse(text);
        if (records.isEmpty()) {
            return List.of();
        }
        int col = records.get(0).fields().indexOf(TEXT);
        if (col < 0) {
            throw new DatasetException(file + " line 1: the header needs a column `" + TEXT + "`; found "
                    + records.get(0).fields());
        }
        List<String> out = new ArrayList<>();
        for (CsvMetadata.Record r : records.subList(1, records.size())) {
            if (r.problem() != null) {
                throw new DatasetException(file + " line " + r.line() + ": " + r.problem());
            }
            if (r.fields().size() == 1 && r.fields().get(0).isEmpty()) {
                continue;
            }
            if (col >= r.fields().size()) {
                throw new DatasetException(file + " line " + r.line() + ": " + r.fields().size()
                        + " fields, no `" + TEXT + "` value");
            }
            out.add(r.fields().get(col));
        }
        return out;
    }

    /**
     * {@code limit} prompts drawn without replacement by {@code seed} (a seeded Fisher–Yates shuffle), kept in file
     * order; all of them when {@code limit} is null or not smaller than the list.
     */
    public static List<String> subsample(List<String> prompts, Integer limit, long seed) {
        if (limit == null || limit >= prompts.size()) {
            return List.copyOf(prompts);
        }
        if (limit <= 0) {
            throw new IllegalArgumentException("--limit must be positive, got " + limit);
        }
        int[] idx = new int[prompts.size()];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        Generator g = new Generator(seed);
        for (int i = idx.length - 1; i > 0; i--) {
            int j = g.nextInt(i + 1);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] chosen = Arrays.copyOf(idx, limit);
        Arrays.sort(chosen);
        List<String> out = new ArrayList<>(limit);
        for (int i : chosen) {
            out.add(prompts.get(i));
        }
        return out;
    }
}
