package dev.bkd.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A pipeline folder's {@code model_index.json}: the pipeline class and, per component folder, the
 * {@code [library, class]} that loads it. {@code [null, null]} marks a disabled component (e.g. the
 * safety checker). Other fields ({@code _diffusers_version}, {@code requires_safety_checker}) are kept.
 */
public record ModelIndex(String className, Map<String, Component> components, ObjectNode extras) {

    /** One component entry; both parts null when the component is disabled. */
    public record Component(String library, String className) {
        public boolean isDisabled() {
            return library == null && className == null;
        }
    }

    public ModelIndex {
        components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
        extras = extras == null ? ConfigReader.MAPPER.createObjectNode() : extras.deepCopy();
    }

    @Override
    public ObjectNode extras() {
        return extras.deepCopy();
    }

    /** The component {@code name} if present and not disabled. */
    public Optional<Component> component(String name) {
        Component c = components.get(name);
        return c == null || c.isDisabled() ? Optional.empty() : Optional.of(c);
    }

    public static ModelIndex read(Path file) {
        ConfigReader r = ConfigReader.read(file);
        ObjectNode all = r.extras(); // nothing asked yet: every field
        String cls = r.getString("_class_name", null);
        if (cls == null) {
            throw r.error("_class_name", "is missing: a model_index.json names its pipeline class");
        }
        Map<String, Component> comps = new LinkedHashMap<>();
        all.fields().forEachRemaining(e -> {
            if (!e.getKey().startsWith("_") && e.getValue().isArray()) {
                comps.put(e.getKey(), component(r, e.getKey(), r.raw(e.getKey())));
            }
        });
        return new ModelIndex(cls, comps, r.extras());
    }

    private static Component component(ConfigReader r, String name, JsonNode v) {
        if (v.size() != 2) {
            throw r.error(name, "must be [library, class] (two entries), found " + v);
        }
        JsonNode lib = v.get(0);
        JsonNode cls = v.get(1);
        boolean bothNull = lib.isNull() && cls.isNull();
        boolean bothText = lib.isTextual() && cls.isTextual();
        if (!bothNull && !bothText) {
            throw r.error(name, "must be [library, class] as two strings or [null, null], found " + v);
        }
        return bothNull ? new Component(null, null) : new Component(lib.asText(), cls.asText());
    }

    public void save(Path file) {
        ObjectNode out = extras.deepCopy();
        out.put("_class_name", className);
        // a disabled component's nulls are written as JSON nulls: [null, null]
        components.forEach((name, c) -> out.putArray(name).add(c.library()).add(c.className()));
        ConfigWriter.write(file, out);
    }
}
