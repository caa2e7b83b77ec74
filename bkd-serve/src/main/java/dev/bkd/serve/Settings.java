package dev.bkd.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The A1111 options bkd understands (GET/POST {@code /sdapi/v1/options}, and a request's
 * {@code override_settings}), as a table: name, how a value is read and checked, whether it can be changed. Options
 * A1111 has and bkd does not are accepted and reported back as ignored, because clients post whole option sets.
 */
final class Settings {
    static final String MODEL = "sd_model_checkpoint";
    static final String CLIP_SKIP = "CLIP_stop_at_last_layers";
    static final String FORMAT = "samples_format";

    /** How one option's JSON value is read: the value to store, or an {@link ApiException}. */
    private interface Reader {
        Object read(JsonNode holder, String name, Settings current);
    }

    private record Option(String name, Reader reader, boolean writable) {}

    private static final List<Option> TABLE = List.of(
            new Option(MODEL, Settings::readModel, true),
            // A1111's numbering: 1 = the last layer, N = stop N - 1 layers early (up to the text encoder's depth)
            new Option(CLIP_SKIP, (h, n, s) -> (int) JsonFields.integer(h, n, 1, 1, s.maxClipSkip), true),
            new Option(FORMAT, Settings::readFormat, true));

    private final String modelTitle;
    private final int maxClipSkip;
    private final Map<String, Object> values = new ConcurrentHashMap<>();

    Settings(String modelTitle, int textEncoderLayers) {
        this.modelTitle = modelTitle;
        this.maxClipSkip = textEncoderLayers;
        values.put(MODEL, modelTitle);
        values.put(CLIP_SKIP, 1);
        values.put(FORMAT, "png");
    }

    private static Object readModel(JsonNode holder, String name, Settings s) {
        String v = JsonFields.string(holder, name, s.modelTitle, 4096);
        if (!v.equals(s.modelTitle)) {
            throw new ApiException(404, "ModelNotFound", "model `" + v + "` not found: this server runs `"
                    + s.modelTitle + "` only (see GET /sdapi/v1/sd-models)");
        }
        return v;
    }

    private static Object readFormat(JsonNode holder, String name, Settings s) {
        String v = JsonFields.string(holder, name, "png", 16);
        if (!v.equalsIgnoreCase("png")) {
            throw ApiException.invalid(name, "= \"" + v + "\": bkd serves PNG images only");
        }
        return "png";
    }

    /** Every option and its current value (GET /sdapi/v1/options). */
    ObjectNode toJson(ObjectMapper json) {
        ObjectNode out = json.createObjectNode();
        for (Option o : TABLE) {
            out.set(o.name(), json.valueToTree(values.get(o.name())));
        }
        return out;
    }

    /**
     * Reads the options in {@code body} against the current values: all are checked before any is used, so a bad
     * one changes nothing. Returns the checked values and the names bkd does not know.
     */
    Checked check(JsonNode body) {
        Map<String, Object> known = new java.util.LinkedHashMap<>();
        List<String> ignored = new ArrayList<>();
        for (var it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            Option o = TABLE.stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
            if (o == null) {
                ignored.add(name);
            } else if (!JsonFields.absent(body, name)) {
                known.put(name, o.reader().read(body, name, this));
            }
        }
        return new Checked(Map.copyOf(known), List.copyOf(ignored));
    }

    /** Stores checked values (POST /sdapi/v1/options). */
    void apply(Checked c) {
        values.putAll(c.values());
    }

    /** The current value of {@code name}, or the checked override when one was given. */
    Object get(String name, Checked overrides) {
        Object o = overrides == null ? null : overrides.values().get(name);
        return o != null ? o : values.get(name);
    }

    String modelTitle() {
        return modelTitle;
    }

    record Checked(Map<String, Object> values, List<String> ignored) {}
}
