package dev.bkd.core.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * diffusers' {@code lora_adapter_metadata}: the PEFT LoraConfig of each component as one JSON object in the
 * safetensors {@code __metadata__}, keys prefixed by component ({@code unet.r}, {@code unet.lora_alpha},
 * {@code unet.target_modules}, {@code unet.rank_pattern}, {@code unet.alpha_pattern}, ...). diffusers builds
 * {@code LoraConfig(**config)} from it, which is how a file carries alpha != r.
 */
final class LoraMetadata {
    /** The safetensors metadata key (diffusers' LORA_ADAPTER_METADATA_KEY). */
    static final String KEY = "lora_adapter_metadata";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private final JsonNode root;

    private LoraMetadata(JsonNode root) {
        this.root = root;
    }

    /** The parsed metadata, or null when {@code text} is null (the file has none). */
    static LoraMetadata parse(String text, String source) {
        if (text == null) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null || !n.isObject()) {
                throw new LoraFileException(source + ": " + KEY + " metadata is not a JSON object", null);
            }
            validate(n, source);
            return new LoraMetadata(n);
        } catch (JsonProcessingException e) {
            throw new LoraFileException(source + ": " + KEY + " metadata is not valid JSON: "
                    + e.getOriginalMessage(), null);
        }
    }

    /**
     * PEFT's LoraConfig fields that bkd reads must have their types: a rank a whole number >= 1, an alpha a finite
     * number (per component and in the patterns). A wrong one used to be skipped, silently changing the scale.
     */
    private static void validate(JsonNode root, String source) {
        for (java.util.Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String field = e.getKey().substring(e.getKey().lastIndexOf('.') + 1);
            switch (field) {
                case "r" -> checkRank(source, e.getKey(), e.getValue());
                case "lora_alpha" -> checkAlpha(source, e.getKey(), e.getValue());
                case "rank_pattern", "alpha_pattern" -> {
                    if (!e.getValue().isObject()) {
                        throw bad(source, e.getKey(), e.getValue(), "an object of layer pattern -> value");
                    }
                    for (java.util.Iterator<Map.Entry<String, JsonNode>> p = e.getValue().fields(); p.hasNext(); ) {
                        Map.Entry<String, JsonNode> v = p.next();
                        String key = e.getKey() + "[\"" + v.getKey() + "\"]";
                        if (field.equals("rank_pattern")) {
                            checkRank(source, key, v.getValue());
                        } else {
                            checkAlpha(source, key, v.getValue());
                        }
                    }
                }
                default -> { }
            }
        }
    }

    private static void checkRank(String source, String key, JsonNode v) {
        if (!v.isIntegralNumber() || v.asLong() < 1) {
            throw bad(source, key, v, "a whole number >= 1");
        }
    }

    private static void checkAlpha(String source, String key, JsonNode v) {
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw bad(source, key, v, "a finite number");
        }
    }

    private static LoraFileException bad(String source, String key, JsonNode v, String expected) {
        return new LoraFileException(source + ": " + KEY + " metadata `" + key + "` is " + v + "; expected "
                + expected + " (PEFT's LoraConfig); fix or remove it", null);
    }

    /** True when {@code component} has a config here. */
    boolean has(String component) {
        return root.has(component + ".r") || root.has(component + ".lora_alpha");
    }

    boolean flag(String component, String field) {
        JsonNode n = root.get(component + "." + field);
        return n != null && n.asBoolean(false);
    }

    /**
     * The alpha PEFT would use for layer {@code path} of rank {@code rank}: the first matching
     * {@code alpha_pattern} entry, else {@code lora_alpha}, else (no config) the rank. With
     * {@code use_rslora} PEFT scales by alpha/sqrt(r); that is returned as the equivalent alpha for alpha/r.
     */
    double alpha(String component, String path, int rank) {
        if (!has(component)) {
            return rank;
        }
        double alpha = rank;
        JsonNode a = root.get(component + ".lora_alpha");
        if (a != null && a.isNumber()) {
            alpha = a.asDouble();
        }
        JsonNode patterns = root.get(component + ".alpha_pattern");
        if (patterns != null && patterns.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = patterns.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isNumber() && patternMatches(e.getKey(), path)) {
                    alpha = e.getValue().asDouble();
                    break;
                }
            }
        }
        return flag(component, "use_rslora") ? alpha * Math.sqrt(rank) : alpha;
    }

    /** PEFT's rule: {@code re.match(rf"(.*\.)?({key})$", path)}; a key that is no valid regex must equal the tail. */
    private static boolean patternMatches(String key, String path) {
        try {
            return Pattern.compile("(.*\\.)?(" + key + ")$").matcher(path).matches();
        } catch (PatternSyntaxException e) {
            return path.equals(key) || path.endsWith("." + key);
        }
    }

    /**
     * The metadata JSON for {@code adapters} (component -> adapter): the most common rank and alpha as
     * {@code r} / {@code lora_alpha}, other layers in {@code rank_pattern} / {@code alpha_pattern}, and the
     * full layer paths as {@code target_modules}, which is what diffusers infers for files without metadata.
     */
    static String write(Map<String, LoraAdapter> adapters) {
        ObjectNode out = JSON.createObjectNode();
        for (Map.Entry<String, LoraAdapter> c : adapters.entrySet()) {
            String p = c.getKey() + ".";
            Map<String, LoraWeights> layers = c.getValue().layers();
            Map<String, Integer> ranks = new TreeMap<>();
            Map<String, Double> alphas = new TreeMap<>();
            layers.forEach((path, w) -> {
                ranks.put(path, w.rank());
                alphas.put(path, w.alpha());
            });
            int r = mostCommon(ranks);
            double alpha = mostCommon(alphas);
            out.put(p + "r", r);
            putNumber(out, p + "lora_alpha", alpha);
            ObjectNode rp = out.putObject(p + "rank_pattern");
            ranks.forEach((path, v) -> {
                if (v != r) {
                    rp.put(path, v);
                }
            });
            ObjectNode ap = out.putObject(p + "alpha_pattern");
            alphas.forEach((path, v) -> {
                if (v != alpha) {
                    putNumber(ap, path, v);
                }
            });
            new TreeSet<>(layers.keySet()).forEach(out.putArray(p + "target_modules")::add);
        }
        try {
            return JSON.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write LoRA metadata", e);
        }
    }

    /** Integral values as JSON ints (PEFT writes lora_alpha as an int). */
    private static void putNumber(ObjectNode o, String key, double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            o.put(key, (long) v);
        } else {
            o.put(key, v);
        }
    }

    /** The most frequent value (ties: the first in key order, as in Python's Counter.most_common). */
    private static <T> T mostCommon(Map<String, T> values) {
        Map<T, Long> counts = values.values().stream()
                .collect(Collectors.groupingBy(Function.identity(), LinkedHashMap::new, Collectors.counting()));
        T best = null;
        long n = -1;
        for (Map.Entry<T, Long> e : counts.entrySet()) {
            if (e.getValue() > n) {
                best = e.getKey();
                n = e.getValue();
            }
        }
        return best;
    }
}
