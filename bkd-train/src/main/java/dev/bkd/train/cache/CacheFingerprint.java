package dev.bkd.train.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a cache's contents depend on: the encoders (identity or weight hash, supplied by the caller), the image
 * transform, the augmentation seed, and the dataset listing. A cache is only reused when all of them match.
 */
public record CacheFingerprint(String encoder, int resolution, boolean centerCrop, boolean randomFlip, long seed,
                               String dataset, int items) {
    /** As a JSON object (the {@code fingerprint} field of cache.json). */
    public ObjectNode toJson() {
        ObjectNode n = ConfigReader.MAPPER.createObjectNode();
        fields().forEach((k, v) -> n.putPOJO(k, v));
        return n;
    }

    /** Reads the object written by {@link #toJson}; {@code cfg} names the file in errors. */
    public static CacheFingerprint fromJson(ConfigReader cfg) {
        return new CacheFingerprint(cfg.getString("encoder", null), cfg.getInt("resolution", 0),
                cfg.getBool("center_crop", false), cfg.getBool("random_flip", false),
                seed(cfg), cfg.getString("dataset", null), cfg.getInt("items", 0));
    }

    private static long seed(ConfigReader cfg) {
        JsonNode s = cfg.raw("seed");
        if (s == null || !s.isIntegralNumber() || !s.canConvertToLong()) {
            throw cfg.error("seed", "must be an integer, found " + s);
        }
        return s.asLong();
    }

    private Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("encoder", encoder);
        m.put("resolution", resolution);
        m.put("center_crop", centerCrop);
        m.put("random_flip", randomFlip);
        m.put("seed", seed);
        m.put("dataset", dataset);
        m.put("items", items);
        return m;
    }

    /** "field: cached X, now Y" for every field that differs from {@code now}. */
    public List<String> differences(CacheFingerprint now) {
        List<String> out = new ArrayList<>();
        Map<String, Object> now2 = now.fields();
        fields().forEach((k, v) -> {
            if (!Objects.equals(v, now2.get(k))) {
                out.add(k + ": cached " + v + ", now " + now2.get(k));
            }
        });
        return out;
    }
}
