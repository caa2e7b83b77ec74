package dev.bkd.core.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Typed, default-aware access to one JSON config object. Every getter records the field as known;
 * {@link #extras()} returns the rest, so unknown harmless fields survive a load/save round trip.
 * Errors name the file and the field ("unet/config.json: field `x` ...").
 */
public final class ConfigReader {
    /** The one ObjectMapper for configs: pretty, sorted like diffusers writes them. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final ObjectMapper LENIENT = MAPPER.copy()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature());

    private final String label;
    private final ObjectNode node;
    private final Set<String> known = new HashSet<>();

    public ConfigReader(String label, ObjectNode node) {
        this.label = label;
        this.node = node;
    }

    /** Reads {@code file}; the label in messages is its last two path segments (e.g. {@code unet/config.json}). */
    public static ConfigReader read(Path file) {
        return read(file, false);
    }

    /** {@link #read(Path)}, also accepting {@code NaN} and {@code ±Infinity} when {@code nonNumeric}. */
    static ConfigReader read(Path file, boolean nonNumeric) {
        String label = label(file);
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(label + ": file not found (" + file + ")");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new ConfigException(label + ": not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException(label + ": cannot read: " + e.getMessage(), e);
        }
        return parse(label, text, nonNumeric);
    }

    /** Parses JSON text that must hold one object. */
    public static ConfigReader parse(String label, String text) {
        return parse(label, text, false);
    }

    /**
     * {@link #parse(String, String)}, also accepting {@code NaN} and {@code ±Infinity} when {@code nonNumeric}
     * (Python's json writes them, e.g. diffusers' {@code lambda_min_clipped: -Infinity}). Strict JSON is tried
     * first so that a file broken in another way gets the strict parser's message.
     */
    static ConfigReader parse(String label, String text, boolean nonNumeric) {
        JsonNode n;
        try {
            n = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            n = nonNumeric ? lenientTree(text) : null;
            if (!(n instanceof ObjectNode)) {
                JsonLocation loc = e.getLocation();
                String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
                throw new ConfigException(label + ": invalid JSON" + where + ": " + e.getOriginalMessage(), e);
            }
        }
        if (!(n instanceof ObjectNode o)) {
            throw new ConfigException(label + ": expected a JSON object, found "
                    + (n == null ? "nothing" : n.getNodeType().toString().toLowerCase()));
        }
        return new ConfigReader(label, o);
    }

    private static JsonNode lenientTree(String text) {
        try {
            return LENIENT.readTree(text);
        } catch (JsonProcessingException e) {
            return null; // the strict parser's message says what is wrong and where
        }
    }

    /** "unet/config.json" for ".../unet/config.json". */
    public static String label(Path file) {
        Path name = file.getFileName();
        Path parent = file.toAbsolutePath().getParent();
        if (name == null) {
            return file.toString();
        }
        return parent == null || parent.getFileName() == null
                ? name.toString()
                : parent.getFileName() + "/" + name;
    }

    public String label() {
        return label;
    }

    public boolean has(String field) {
        known.add(field);
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    public JsonNode raw(String field) {
        known.add(field);
        return node.get(field);
    }

    public ConfigException error(String field, String problem) {
        return new ConfigException(label + ": field `" + field + "` " + problem);
    }

    public String getString(String field, String def) {
        return get(field, def, JsonNode::isTextual, "must be a string", JsonNode::asText);
    }

    public int getInt(String field, int def) {
        return get(field, def, IS_INT, "must be an integer", JsonNode::asInt);
    }

    public double getDouble(String field, double def) {
        return get(field, def, JsonNode::isNumber, "must be a number", JsonNode::asDouble);
    }

    public boolean getBool(String field, boolean def) {
        return get(field, def, JsonNode::isBoolean, "must be true or false", JsonNode::asBoolean);
    }

    public List<String> getStringList(String field, List<String> def) {
        return getList(field, def, JsonNode::isTextual, "must be a list of strings", JsonNode::asText);
    }

    public List<Integer> getIntList(String field, List<Integer> def) {
        return getList(field, def, IS_INT, "must be a list of integers", JsonNode::asInt);
    }

    /** JSON integers that fit an {@code int}. */
    static final Predicate<JsonNode> IS_INT = v -> v.isIntegralNumber() && v.canConvertToInt();

    /** {@code def} when the field is absent or null, else the value if {@code ok} accepts it ("{must}, found v"). */
    private <T> T get(String field, T def, Predicate<JsonNode> ok, String must, Function<JsonNode, T> as) {
        JsonNode v = raw(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!ok.test(v)) {
            throw error(field, must + ", found " + v);
        }
        return as.apply(v);
    }

    /** A list whose elements {@code ok} accepts (else "{must}, found ..."), or {@code def} when absent or null. */
    <T> List<T> getList(String field, List<T> def, Predicate<JsonNode> ok, String must, Function<JsonNode, T> as) {
        JsonNode v = raw(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isArray()) {
            throw error(field, must + ", found " + v);
        }
        List<T> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!ok.test(e)) {
                throw error(field, must + ", found element " + e);
            }
            out.add(as.apply(e));
        }
        return List.copyOf(out);
    }

    /** Fails when a field that would change the math has a value other than the supported one(s). */
    public void requireOneOf(String field, Object... supported) {
        JsonNode v = raw(field);
        if (v == null) {
            return; // absent: the class default, which is what we support
        }
        Object actual = v.isNull() ? null : v.isTextual() ? v.asText() : v.isBoolean() ? (Object) v.asBoolean()
                : v.isIntegralNumber() ? (Object) v.asLong() : v.isNumber() ? (Object) v.asDouble() : v.toString();
        List<String> names = new ArrayList<>();
        for (Object s : supported) {
            // the JSON reads as long / double: compare Java ints and floats as those
            if (Objects.equals(s instanceof Integer i ? (Object) (long) i : s instanceof Float f ? (Object) (double) f : s,
                    actual)) {
                return;
            }
            names.add(s == null ? "null" : s instanceof String ? "\"" + s + "\"" : s.toString());
        }
        throw error(field, "= " + (v.isTextual() ? "\"" + v.asText() + "\"" : v.toString())
                + " is not supported by bkd (supported: " + String.join(", ", names) + ")");
    }

    /** Fields no getter asked for: kept verbatim and written back on save. */
    public ObjectNode extras() {
        ObjectNode out = MAPPER.createObjectNode();
        node.fields().forEachRemaining(e -> {
            if (!known.contains(e.getKey())) {
                out.set(e.getKey(), e.getValue().deepCopy());
            }
        });
        return out;
    }
}
