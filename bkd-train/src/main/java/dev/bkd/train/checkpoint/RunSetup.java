package dev.bkd.train.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What a training run was set up with (teacher or model, data, resolution, batch, accumulation, learning rate,
 * seed, loss weights, ...), recorded in every checkpoint so that {@code --resume} can refuse to continue a run
 * under a different setup: that would give a model trained half on one setup and half on another, without a word.
 * Values are kept as text, compared exactly; paths as their real absolute paths.
 */
public final class RunSetup {
    /** The key in trainer_state.json. */
    public static final String KEY = "setup";

    private final Map<String, String> values;

    private RunSetup(Map<String, String> values) {
        this.values = values;
    }

    public static RunSetup empty() {
        return new RunSetup(new LinkedHashMap<>());
    }

    /** A copy with {@code key = value} (a Path as its real absolute path; null as "none"). */
    public RunSetup with(String key, Object value) {
        Map<String, String> v = new LinkedHashMap<>(values);
        v.put(key, text(value));
        return new RunSetup(v);
    }

    /** A copy with every entry of {@code other} added (other's win). */
    public RunSetup with(RunSetup other) {
        Map<String, String> v = new LinkedHashMap<>(values);
        v.putAll(other.values);
        return new RunSetup(v);
    }

    private static String text(Object value) {
        if (value == null) {
            return "none";
        }
        if (value instanceof Path p) {
            Path a = p.toAbsolutePath().normalize();
            try {
                return Files.exists(a) ? a.toRealPath().toString() : a.toString();
            } catch (java.io.IOException e) {
                return a.toString();
            }
        }
        return String.valueOf(value);
    }

    public Map<String, String> values() {
        return Map.copyOf(values);
    }

    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        values.forEach(n::put);
        return n;
    }

    /** The setup recorded in a checkpoint's extra state, or null for checkpoints written before it was recorded. */
    public static RunSetup fromJson(JsonNode n) {
        if (n == null || !n.isObject()) {
            return null;
        }
        Map<String, String> v = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            v.put(e.getKey(), e.getValue().asText());
        }
        return new RunSetup(v);
    }

    /** One line per setting that differs: {@code lr: 1e-4 in the checkpoint, now 2e-4}. Empty when they match. */
    public List<String> differences(RunSetup recorded) {
        List<String> out = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(values.keySet());
        keys.addAll(recorded.values.keySet());
        for (String k : keys) {
            String was = recorded.values.get(k);
            String now = values.get(k);
            if (!Objects.equals(was, now)) {
                out.add(k + ": " + (was == null ? "not recorded" : was) + " in the checkpoint, "
                        + (now == null ? "not set" : now) + " now");
            }
        }
        return out;
    }
}
