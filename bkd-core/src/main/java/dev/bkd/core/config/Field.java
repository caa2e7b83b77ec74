package dev.bkd.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One field of a config file, declared once: its JSON key, how it is read (type, default, the shorthand forms
 * diffusers accepts), what its value must satisfy and how it is written back. A config lists its fields in a
 * {@link FieldTable}; reading, validation and saving all go through that list, so adding a field is one row
 * instead of edits to a constructor call, a validator, a writer and a builder that must agree.
 *
 * @param key the JSON key, in diffusers' / transformers' spelling
 * @param reader reads the value; it sees the fields read before it (a per-block list needs the block count)
 * @param check validates the value once read (null: nothing to check); it sees the fields read before it
 * @param writer turns the value into the JSON written on save
 */
record Field(String key, Reader reader, Check check, Function<Object, JsonNode> writer) {

    /** Reads a field's value; errors go through {@link ConfigReader#error} so they name the file and field. */
    interface Reader {
        Object read(ConfigReader r, String key, Map<String, Object> before);
    }

    /** Validates a field's value (null when absent and nullable) against the fields read before it. */
    interface Check {
        void check(ConfigReader r, String key, Object value, Map<String, Object> before);
    }

    /** This field with {@code more} checked after its current checks. */
    Field must(Check more) {
        Check first = check;
        return new Field(key, reader, first == null ? more : (r, k, v, b) -> {
            first.check(r, k, v, b);
            more.check(r, k, v, b);
        }, writer);
    }

    /** This field, written by {@code w} instead of {@link #json}. */
    Field writes(Function<Object, JsonNode> w) {
        return new Field(key, reader, check, w);
    }

    static Field of(String key, Reader reader) {
        return new Field(key, reader, null, Field::json);
    }

    static Field integer(String key, int def) {
        return of(key, (r, k, b) -> r.getInt(k, def));
    }

    static Field real(String key, double def) {
        return of(key, (r, k, b) -> r.getDouble(k, def));
    }

    static Field bool(String key, boolean def) {
        return of(key, (r, k, b) -> r.getBool(k, def));
    }

    static Field string(String key, String def) {
        return of(key, (r, k, b) -> r.getString(k, def));
    }

    /** A string that must be one of {@code supported} (checked before its type, so the message lists them). */
    static Field oneOf(String key, String def, Object... supported) {
        return of(key, (r, k, b) -> {
            r.requireOneOf(k, supported);
            return r.getString(k, def);
        });
    }

    /**
     * A field bkd supports with one value, diffusers' default (any other would change the maths): rejected by
     * name when a file sets another value (or one not in {@code alsoAccepted}), read and written as {@code only}.
     */
    static Field fixed(String key, Object only, Object... alsoAccepted) {
        Object[] accepted = new Object[alsoAccepted.length + 1];
        accepted[0] = only;
        System.arraycopy(alsoAccepted, 0, accepted, 1, alsoAccepted.length);
        return of(key, (r, k, b) -> {
            r.requireOneOf(k, accepted);
            return only;
        }).writes(v -> json(only));
    }

    /** An integer that is null when absent (diffusers' {@code Optional[int]}). */
    static Field optionalInt(String key) {
        return of(key, (r, k, b) -> r.has(k) ? r.getInt(k, 0) : null);
    }

    /** A number that is null when absent. */
    static Field optionalReal(String key) {
        return of(key, (r, k, b) -> r.has(k) ? r.getDouble(k, 0) : null);
    }

    static Field ints(String key, List<Integer> def) {
        return of(key, (r, k, b) -> r.getIntList(k, def));
    }

    /** Fails with "{rule}, found {value}" when a non-null value is not {@code ok}. */
    @SuppressWarnings("unchecked")
    static <T> Check require(Predicate<T> ok, String rule) {
        return (r, k, v, b) -> {
            if (v != null && !ok.test((T) v)) {
                throw r.error(k, rule + ", found " + v);
            }
        };
    }

    /** {@code one} for every entry of a list value. */
    @SuppressWarnings("unchecked")
    static Check each(Check one) {
        return (r, k, v, b) -> ((List<Object>) v).forEach(x -> one.check(r, k, x, b));
    }

    /** Fails with "must be at least 1, found {value}" (transformers' and the VAE's sizes). */
    static final Check AT_LEAST_ONE = require((Integer v) -> v >= 1, "must be at least 1");

    /** GroupNorm's group count must divide every {@code block_out_channels} entry (read before it). */
    @SuppressWarnings("unchecked")
    static final Check DIVIDES_CHANNELS = (r, k, v, b) -> {
        for (int c : (List<Integer>) b.get("block_out_channels")) {
            if (c % (int) v != 0) {
                throw r.error(k, "= " + v + " does not divide block_out_channels entry " + c
                        + " (GroupNorm needs channels divisible by groups)");
            }
        }
    };

    /** A positive integer (channels, layers, sizes). */
    static Field size(String key, int def) {
        return integer(key, def).must(AT_LEAST_ONE);
    }

    /** A number that must be positive ("must be a positive number, found {value}"). */
    static Field positive(String key, double def) {
        return real(key, def).must(require((Double v) -> v > 0, "must be a positive number"));
    }

    /** Fails when a list value's length differs from that of the list read for {@code other}. */
    static Check sameLength(String other) {
        return (r, k, v, b) -> {
            int have = ((List<?>) v).size();
            int want = ((List<?>) b.get(other)).size();
            if (have != want) {
                throw r.error(k, "has " + have + " entries but `" + other + "` has " + want);
            }
        };
    }

    /** The JSON diffusers writes for a value: numbers keep their Java type (int 1 vs double 1.0), enums their name. */
    static JsonNode json(Object v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (v instanceof List<?> list) {
            ArrayNode a = f.arrayNode();
            list.forEach(x -> a.add(json(x)));
            return a;
        }
        return v == null ? f.nullNode()
                : v instanceof double[] a ? json(Arrays.stream(a).boxed().toList())
                : v instanceof Integer i ? f.numberNode(i)
                : v instanceof Double d ? f.numberNode(d)
                : v instanceof Boolean x ? f.booleanNode(x)
                : v instanceof Enum<?> e ? f.textNode(e.name())
                : f.textNode((String) v);
    }

    /** A list with one distinct value written as that value (what diffusers' own configs do), else the list. */
    static JsonNode collapsed(Object v) {
        List<?> list = (List<?>) v;
        return json(list.stream().distinct().count() == 1 ? list.get(0) : list);
    }

    /**
     * diffusers' {@code sample_size}: an int or [height, width] ("must be an {intWord} or [height, width]"),
     * written back in the same form.
     */
    static Field sampleSize(List<Integer> def, String intWord) {
        return of("sample_size", (r, k, b) -> {
            JsonNode v = r.raw(k);
            if (v == null || v.isNull()) {
                return def;
            }
            if (v.isIntegralNumber()) {
                return List.of(r.getInt(k, 0));
            }
            List<Integer> size = r.getIntList(k, null);
            if (size.size() != 2) {
                throw r.error(k, "must be an " + intWord + " or [height, width], found " + v);
            }
            return size;
        }).writes(v -> json(v instanceof List<?> list && list.size() == 1 ? list.get(0) : v));
    }
}
