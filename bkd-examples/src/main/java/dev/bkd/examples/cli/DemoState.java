package dev.bkd.examples.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What earlier demo runs finished, as one key per stage in {@code demo-state.json}: a stage is reused when its key
 * (a digest of its inputs and settings) is unchanged and its output is still there.
 */
final class DemoState {
    static final String FILE = "demo-state.json";
    private final Path file;
    private final ObjectNode keys;

    private DemoState(Path file, ObjectNode keys) {
        this.file = file;
        this.keys = keys;
    }

    static DemoState load(Path out) {
        Path f = out.resolve(FILE);
        ObjectNode keys = ConfigReader.MAPPER.createObjectNode();
        if (Files.isRegularFile(f)) {
            try {
                if (ConfigReader.MAPPER.readTree(f.toFile()) instanceof ObjectNode o) {
                    keys = o;
                }
            } catch (IOException e) {
                // unreadable: start over
            }
        }
        return new DemoState(f, keys);
    }

    /** True when {@code stage} finished with {@code key} and {@code output} exists. */
    boolean done(String stage, String key, Path output) {
        return key.equals(keys.path(stage).asText(null)) && Files.exists(output);
    }

    /** The key {@code stage} last finished with, or null. */
    String keyOf(String stage) {
        return keys.path(stage).asText(null);
    }

    void finish(String stage, String key) {
        keys.put(stage, key);
        AtomicFiles.writeString(file, keys.toPrettyString() + "\n");
    }

    /** Forgets {@code stage} (its output is about to be rebuilt). */
    void forget(String stage) {
        if (keys.remove(stage) != null) {
            AtomicFiles.writeString(file, keys.toPrettyString() + "\n");
        }
    }
}
