package dev.bkd.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A config record's {@link Field} rows bound to the record. Reading fills the canonical constructor: a row feeds
 * the component whose name is its key in camel case ({@code in_channels} → {@code inChannels}); writing reads the
 * accessors back. Matching by name instead of by position means a row cannot land in the wrong argument of a
 * 30-argument constructor. Rows without a component are read and checked only (fields bkd supports with one value);
 * components without a row (such as {@code extras}) are given by the caller under their snake-case name.
 */
final class FieldTable<C extends Record> {
    private final List<Field> rows;
    private final RecordComponent[] components;
    /** Each component's snake-case key, in constructor order. */
    private final String[] keys;
    private final Constructor<C> constructor;
    private final Map<String, Method> accessors = new LinkedHashMap<>();

    FieldTable(Class<C> type, Field... rows) {
        this.rows = List.of(rows);
        this.components = type.getRecordComponents();
        this.keys = new String[components.length];
        for (int i = 0; i < components.length; i++) {
            keys[i] = snake(components[i].getName());
            accessors.put(keys[i], components[i].getAccessor());
        }
        constructor = reflect(() -> type.getDeclaredConstructor(
                Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new)));
    }

    List<Field> rows() {
        return rows;
    }

    /**
     * Reads every row in order, by key. Each row is checked right after it is read, or, with {@code checksLast},
     * every check runs after every row is read (so a type error anywhere is reported before a range error).
     */
    Map<String, Object> read(ConfigReader r, boolean checksLast) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Field f : rows) {
            Object v = f.reader().read(r, f.key(), values);
            if (!checksLast && f.check() != null) {
                f.check().check(r, f.key(), v, values);
            }
            values.put(f.key(), v);
        }
        for (Field f : checksLast ? rows : List.<Field>of()) {
            if (f.check() != null) {
                f.check().check(r, f.key(), values.get(f.key()), values);
            }
        }
        return values;
    }

    /** The record holding {@code values} (by snake-case key; every component must have one). */
    C build(Map<String, Object> values) {
        Object[] args = new Object[components.length];
        for (int i = 0; i < args.length; i++) {
            if (!values.containsKey(keys[i])) {
                throw new IllegalStateException(constructor.getName() + ": no value for component " + keys[i]);
            }
            args[i] = values.get(keys[i]);
        }
        return reflect(() -> constructor.newInstance(args));
    }

    /** The value of the component for {@code key} (a row's key or a component's snake-case name). */
    Object get(C config, String key) {
        return reflect(() -> accessors.get(key).invoke(config));
    }

    private interface Reflective<T> {
        T call() throws ReflectiveOperationException;
    }

    /** Runs a reflective call on the record; what the constructor or accessor throws is rethrown as is. */
    private static <T> T reflect(Reflective<T> call) {
        try {
            return call.call();
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    boolean stored(String key) {
        return accessors.containsKey(key);
    }

    /** Every row written by its {@link Field#writer()}, in row order (a row without a component gets null). */
    Map<String, JsonNode> write(C config) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (Field f : rows) {
            out.put(f.key(), f.writer().apply(stored(f.key()) ? get(config, f.key()) : null));
        }
        return out;
    }

    /** {@code inChannels} → {@code in_channels}. */
    private static String snake(String camel) {
        return camel.replaceAll("([A-Z])", "_$1").toLowerCase();
    }
}
