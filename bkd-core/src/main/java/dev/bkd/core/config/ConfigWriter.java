package dev.bkd.core.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Writes config JSON the way diffusers / transformers do: one object, keys sorted, trailing newline. */
public final class ConfigWriter {
    private ConfigWriter() {}

    /** Writes {@code node} (top-level keys sorted) to {@code file}, creating parent folders. */
    public static void write(Path file, ObjectNode node) {
        Map<String, JsonNode> sorted = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            sorted.put(e.getKey(), e.getValue());
        }
        String text;
        try {
            text = ConfigReader.MAPPER.writeValueAsString(sorted) + "\n";
        } catch (JsonProcessingException e) {
            throw new ConfigException(ConfigReader.label(file) + ": cannot serialise: " + e.getOriginalMessage(), e);
        }
        save(file, text);
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

    public static ArrayNode ints(List<Integer> values) {
        ArrayNode a = ConfigReader.MAPPER.createArrayNode();
        values.forEach(a::add);
        return a;
    }

    /** A JSON array of numbers. */
    public static ArrayNode doubles(List<Double> values) {
        ArrayNode a = ConfigReader.MAPPER.createArrayNode();
        values.forEach(a::add);
        return a;
    }

    /** A JSON array of booleans. */
    public static ArrayNode bools(List<Boolean> values) {
        ArrayNode a = ConfigReader.MAPPER.createArrayNode();
        values.forEach(a::add);
        return a;
    }

    /** A JSON array of strings. */
    public static ArrayNode strings(List<String> values) {
        ArrayNode a = ConfigReader.MAPPER.createArrayNode();
        values.forEach(a::add);
        return a;
    }
}
