package dev.bkd.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** Writes config JSON the way diffusers / transformers do: one object, pretty-printed, trailing newline. */
public final class ConfigWriter {
    private ConfigWriter() {}

    /** Writes {@code node} (top-level keys sorted) to {@code file}, creating parent folders. */
    public static void write(Path file, ObjectNode node) {
        save(file, text(sorted(node)));
    }

    /** {@code node} with its top-level keys sorted, as diffusers' {@code to_json_string} writes them. */
    static ObjectNode sorted(ObjectNode node) {
        Map<String, JsonNode> keys = new TreeMap<>();
        node.fields().forEachRemaining(e -> keys.put(e.getKey(), e.getValue()));
        ObjectNode out = ConfigReader.MAPPER.createObjectNode();
        keys.forEach(out::set);
        return out;
    }

    /** The file text for {@code node}: the pretty-printed object and a newline. */
    static String text(ObjectNode node) {
        try {
            return ConfigReader.MAPPER.writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    /**
     * The one save every config uses: creates the folder, then replaces {@code file} with {@code text} atomically
     * (write-then-rename), so a crash never leaves a half-written config.json that diffusers cannot parse.
     */
    public static void save(Path file, String text) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            AtomicFiles.replace(file, ch -> ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8))));
        } catch (IOException e) {
            throw new ConfigException(ConfigReader.label(file) + ": cannot write: " + AtomicFiles.describe(e), e);
        }
    }
}
