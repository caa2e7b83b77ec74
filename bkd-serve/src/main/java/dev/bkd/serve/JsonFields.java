package dev.bkd.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;

/**
 * Typed reads of one JSON field with the checks every API field needs: the JSON type, whole numbers for integers,
 * and a range. A missing field or {@code null} gives the default (A1111 clients send nulls for "not set"). Numbers
 * are checked as doubles before they are narrowed, so {@code 1e9} or {@code 1e300} is refused, never wrapped.
 */
final class JsonFields {
    private JsonFields() {}

    static boolean absent(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v == null || v.isNull();
    }

    static long integer(JsonNode body, String field, long dflt, long min, long max) {
        if (absent(body, field)) {
            return dflt;
        }
        JsonNode v = body.get(field);
        if (!v.isNumber()) {
            throw ApiException.invalid(field, "must be an integer, got " + typeName(v));
        }
        if (!v.canConvertToExactIntegral()) {
            throw ApiException.invalid(field, "must be a whole number, got " + v.asText());
        }
        double d = v.asDouble();
        if (d < min || d > max) {
            throw ApiException.invalid(field, "= " + v.asText() + " is out of range " + min + ".." + max);
        }
        return v.asLong();
    }

    static double number(JsonNode body, String field, double dflt, double min, double max) {
        if (absent(body, field)) {
            return dflt;
        }
        JsonNode v = body.get(field);
        if (!v.isNumber()) {
            throw ApiException.invalid(field, "must be a number, got " + typeName(v));
        }
        double d = v.asDouble();
        if (!Double.isFinite(d) || d < min || d > max) {
            throw ApiException.invalid(field, "= " + v.asText() + " is out of range " + min + ".." + max);
        }
        return d;
    }

    static String string(JsonNode body, String field, String dflt, int maxChars) {
        if (absent(body, field)) {
            return dflt;
        }
        JsonNode v = body.get(field);
        if (!v.isTextual()) {
            throw ApiException.invalid(field, "must be a string, got " + typeName(v));
        }
        if (v.textValue().length() > maxChars) {
            throw ApiException.invalid(field, "has " + v.textValue().length() + " characters; at most " + maxChars
                    + " are accepted");
        }
        return v.textValue();
    }

    static boolean bool(JsonNode body, String field, boolean dflt) {
        if (absent(body, field)) {
            return dflt;
        }
        JsonNode v = body.get(field);
        if (!v.isBoolean()) {
            throw ApiException.invalid(field, "must be true or false, got " + typeName(v));
        }
        return v.booleanValue();
    }

    static JsonNode object(JsonNode body, String field) {
        if (absent(body, field)) {
            return null;
        }
        JsonNode v = body.get(field);
        if (!v.isObject()) {
            throw ApiException.invalid(field, "must be a JSON object, got " + typeName(v));
        }
        return v;
    }

    static String typeName(JsonNode v) {
        JsonNodeType t = v.getNodeType();
        return switch (t) {
            case STRING -> "a string";
            case NUMBER -> "the number " + v.asText();
            case BOOLEAN -> v.asText();
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> t.name().toLowerCase(java.util.Locale.ROOT);
        };
    }
}
