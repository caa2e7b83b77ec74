package dev.bkd.examples.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.io.AtomicFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The numbers of one evaluation, written as {@code eval.json} (for scripts) and {@code eval.md} (for people). */
public record EvalReport(int images, Long seed, String reference, List<Row> rows, List<String> notes) {

    /** One evaluated model or picture folder; null metrics were not computed (missing weights or reference). */
    public record Row(String label, String source, int images, Double clipScore, Double fid, Double fdClip,
            Double secondsPerImage) {}

    public ObjectNode json() {
        ObjectNode o = ConfigReader.MAPPER.createObjectNode();
        o.put("images_per_model", images);
        if (seed != null) {
            o.put("seed", seed);
        }
        o.put("reference", reference);
        o.put("clip_score_scale", "torchmetrics CLIPScore: 100 * cos, mean, clamped at 0 (BK-SDM's table divides by 100)");
        ArrayNode rs = o.putArray("models");
        for (Row r : rows) {
            ObjectNode n = rs.addObject();
            n.put("label", r.label());
            n.put("source", r.source());
            n.put("images", r.images());
            put(n, "clip_score", r.clipScore());
            put(n, "fid", r.fid());
            put(n, "fd_clip", r.fdClip());
            put(n, "latency_s_per_image", r.secondsPerImage());
        }
        ArrayNode ns = o.putArray("notes");
        notes.forEach(ns::add);
        return o;
    }

    private static void put(ObjectNode n, String key, Double v) {
        if (v == null || v.isNaN()) {
            n.putNull(key);
        } else {
            n.put(key, v);
        }
    }

    public String markdown() {
        StringBuilder b = new StringBuilder("# bkd eval\n\n");
        b.append(images).append(" images per model").append(seed == null ? "" : ", seeds " + seed + " + i")
                .append("; FID / FD-CLIP against ").append(reference == null ? "nothing (no reference)" : reference)
                .append(".\n\n");
        b.append("| model | images | CLIP score | FID | FD-CLIP | latency s/image |\n|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append("| ").append(r.label()).append(" | ").append(r.images()).append(" | ")
                    .append(fmt(r.clipScore(), "%.4f")).append(" | ").append(fmt(r.fid(), "%.3f")).append(" | ")
                    .append(fmt(r.fdClip(), "%.4f")).append(" | ").append(fmt(r.secondsPerImage(), "%.3f"))
                    .append(" |\n");
        }
        if (!notes.isEmpty()) {
            b.append('\n');
            notes.forEach(n -> b.append("- ").append(n).append('\n'));
        }
        return b.toString();
    }

    static String fmt(Double v, String format) {
        return v == null || v.isNaN() ? "–" : String.format(Locale.ROOT, format, v);
    }

    /** Writes eval.json and eval.md into {@code out}. */
    public void write(Path out) {
        AtomicFiles.writeString(out.resolve("eval.json"), json().toPrettyString() + "\n");
        AtomicFiles.writeString(out.resolve("eval.md"), markdown());
    }
}
