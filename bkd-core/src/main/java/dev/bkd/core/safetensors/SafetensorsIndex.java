package dev.bkd.core.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.bkd.core.config.ConfigReader;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sharded checkpoint: {@code *.safetensors.index.json} with {@code weight_map} (tensor name -> shard file
 * next to the index), as written by diffusers/transformers {@code save_pretrained}. {@link #open} opens and
 * validates every shard and checks that each listed tensor really is in its shard.
 */
public final class SafetensorsIndex implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SafetensorsIndex.class);
    private static final ObjectReader JSON = ConfigReader.MAPPER.reader()
            .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path path;
    private final Map<String, SafetensorsFile> byTensor;
    private final Map<Path, SafetensorsFile> shards;

    private SafetensorsIndex(Path path, Map<String, SafetensorsFile> byTensor, Map<Path, SafetensorsFile> shards) {
        this.path = path;
        this.byTensor = byTensor;
        this.shards = shards;
    }

    /** Reads {@code indexFile}, opens all its shards and cross-checks them. */
    public static SafetensorsIndex open(Path indexFile) {
        Map<String, String> weightMap = readWeightMap(indexFile);
        Path dir = indexFile.toAbsolutePath().getParent();
        Map<Path, SafetensorsFile> shards = new LinkedHashMap<>();
        try {
            Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
            for (Map.Entry<String, String> w : weightMap.entrySet()) {
                Path shard = shardPath(indexFile, dir, w.getKey(), w.getValue());
                SafetensorsFile f = shards.get(shard);
                if (f == null) {
                    f = SafetensorsFile.open(shard);
                    shards.put(shard, f);
                }
                if (!f.contains(w.getKey())) {
                    throw new SafetensorsException(indexFile, "weight_map puts tensor '" + w.getKey() + "' in "
                            + w.getValue() + ", but that shard has no such tensor");
                }
                byTensor.put(w.getKey(), f);
            }
            for (SafetensorsFile f : shards.values()) {
                long unlisted = f.names().stream().filter(n -> byTensor.get(n) != f).count();
                if (unlisted > 0) {
                    LOG.warn("{}: shard {} holds {} tensors that weight_map does not list; they are ignored",
                            indexFile, f.path().getFileName(), unlisted);
                }
            }
            return new SafetensorsIndex(indexFile, Collections.unmodifiableMap(byTensor),
                    Collections.unmodifiableMap(shards));
        } catch (RuntimeException e) {
            shards.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static Map<String, String> readWeightMap(Path indexFile) {
        String text;
        try {
            text = Files.readString(indexFile);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(indexFile, "index file not found");
        } catch (MalformedInputException e) {
            throw new SafetensorsException(indexFile, "index is not UTF-8 text");
        } catch (IOException e) {
            throw new SafetensorsException(indexFile, "cannot read index: " + e, e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(indexFile, "index is not valid JSON: " + SafetensorsHeader.jsonProblem(e), e);
        }
        JsonNode wm = root == null ? null : root.get("weight_map");
        if (wm == null || !wm.isObject()) {
            throw new SafetensorsException(indexFile, "index has no weight_map object (tensor name -> shard file)");
        }
        if (wm.isEmpty()) {
            throw new SafetensorsException(indexFile, "weight_map is empty");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getValue().isTextual()) {
                throw new SafetensorsException(indexFile, "weight_map entry '" + f.getKey()
                        + "' must name a shard file, found " + f.getValue());
            }
            out.put(f.getKey(), f.getValue().textValue());
        }
        return out;
    }

    /** Shards must be .safetensors files inside the index's folder. */
    private static Path shardPath(Path indexFile, Path dir, String tensor, String shard) {
        Path rel = Path.of(shard);
        Path resolved = dir.resolve(rel).normalize();
        if (rel.isAbsolute() || !resolved.startsWith(dir)) {
            throw new SafetensorsException(indexFile, "weight_map entry '" + tensor + "' names shard '" + shard
                    + "' outside the index's folder");
        }
        if (!shard.endsWith(".safetensors")) {
            throw new SafetensorsException(indexFile, "weight_map entry '" + tensor + "' names shard '" + shard
                    + "', which is not a .safetensors file");
        }
        if (!Files.isRegularFile(resolved)) {
            throw new SafetensorsException(indexFile, "weight_map entry '" + tensor + "' names shard '" + shard
                    + "', which does not exist in " + dir);
        }
        return resolved;
    }

    public Path path() {
        return path;
    }

    /** Tensor names in weight_map order. */
    public List<String> names() {
        return new ArrayList<>(byTensor.keySet());
    }

    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    /** The open shard holding {@code name}. */
    public SafetensorsFile shardOf(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new SafetensorsException(path, "weight_map has no tensor named '" + name + "'");
        }
        return f;
    }

    /** Shard files in order of first appearance in weight_map. */
    public List<Path> shards() {
        return new ArrayList<>(shards.keySet());
    }

    @Override
    public void close() {
        shards.values().forEach(SafetensorsFile::close);
    }
}
