package dev.bkd.train.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.io.AtomicFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Appends one JSON object per step to a {@code metrics.jsonl}, flushed per line so a crash loses at most the
 * line being written: {@code {"step":10,"loss":0.12,"loss_kd":0.05,"lr":1e-4,"grad_norm":0.8,"img_per_s":3.1}}.
 * Non-finite values are written as strings ("NaN"), which {@link #read} parses back.
 */
public final class MetricsWriter implements AutoCloseable {
    static final Set<String> RESERVED = Set.of("step", "lr", "grad_norm", "img_per_s");
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MetricsWriter.class);
    private static final ObjectWriter LINE = ConfigReader.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final BufferedWriter out;

    private MetricsWriter(Path file, BufferedWriter out) {
        this.file = file;
        this.out = out;
    }

    /**
     * Opens {@code file} for appending. When resuming ({@code resumeStep >= 0}), lines after that step (logged
     * after the checkpoint the run resumes from) are dropped first; {@code resumeStep < 0} starts a new file.
     */
    public static MetricsWriter open(Path file, long resumeStep) {
        try {
            if (resumeStep < 0 || !Files.exists(file)) {
                Files.deleteIfExists(file);
            } else {
                List<String> keep = new ArrayList<>();
                for (Row r : parse(file, Files.readAllLines(file, StandardCharsets.UTF_8), true)) {
                    if (r.metrics().step() <= resumeStep) {
                        keep.add(r.line());
                    }
                }
                AtomicFiles.writeString(file, keep.isEmpty() ? "" : String.join("\n", keep) + "\n");
            }
            return new MetricsWriter(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new LogException(file + ": cannot open the metrics log: " + e.getMessage(), e);
        }
    }

    /** Appends and flushes one line. */
    public void write(StepMetrics m) {
        ObjectNode n = ConfigReader.MAPPER.createObjectNode();
        n.put("step", m.step());
        m.losses().forEach(n::put);
        n.put("lr", m.lr());
        n.put("grad_norm", m.gradNorm());
        n.put("img_per_s", m.imagesPerSecond());
        try {
            out.write(LINE.writeValueAsString(n));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new LogException(file + ": cannot write metrics: " + e.getMessage(), e);
        }
    }

    /** Parses a metrics file; a malformed line is an error naming it (blank lines are skipped). */
    public static List<StepMetrics> read(Path file) {
        try {
            return parse(file, Files.readAllLines(file, StandardCharsets.UTF_8), false).stream().map(Row::metrics).toList();
        } catch (IOException e) {
            throw new LogException(file + ": cannot read the metrics log: " + e.getMessage(), e);
        }
    }

    /** One parsed line and its text. */
    private record Row(StepMetrics metrics, String line) {}

    /**
     * Parses every non-blank line. With {@code tornLastLine}, a last line that is not JSON is dropped with a
     * warning: the one a crash or a full disk tore mid-write (write() flushes whole lines, so only the last can be).
     */
    private static List<Row> parse(Path file, List<String> lines, boolean tornLastLine) {
        List<Row> out = new ArrayList<>();
        int last = lines.size() - 1;
        while (last >= 0 && lines.get(last).isBlank()) {
            last--;
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String where = file.getFileName() + " line " + (i + 1);
            JsonNode n;
            try {
                n = ConfigReader.MAPPER.readTree(lines.get(i));
            } catch (IOException e) {
                if (tornLastLine && i == last) {
                    LOG.warn("{}: dropping the torn last line (cut off by a crash or a full disk): {}", where,
                            lines.get(i).length() > 80 ? lines.get(i).substring(0, 80) + "..." : lines.get(i));
                    break;
                }
                throw new LogException(where + ": not JSON; a crash mid-write? delete that line");
            }
            if (n == null || !n.isObject() || !n.path("step").canConvertToLong()) {
                throw new LogException(where + ": expected an object with an integer `step`");
            }
            Map<String, Double> losses = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!RESERVED.contains(e.getKey())) {
                    losses.put(e.getKey(), number(where, e.getKey(), e.getValue()));
                }
            }
            out.add(new Row(new StepMetrics(n.get("step").asLong(), losses, number(where, "lr", n.get("lr")),
                    number(where, "grad_norm", n.get("grad_norm")), number(where, "img_per_s", n.get("img_per_s"))),
                    lines.get(i)));
        }
        return out;
    }

    private static double number(String where, String key, JsonNode v) {
        if (v == null || v.isNull()) {
            return Double.NaN;
        }
        if (v.isNumber()) {
            return v.asDouble();
        }
        try {
            return Double.parseDouble(v.asText()); // "NaN", "Infinity"
        } catch (NumberFormatException e) {
            throw new LogException(where + ": `" + key + "` is not a number: " + v);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new LogException(file + ": cannot close the metrics log: " + e.getMessage(), e);
        }
    }
}
