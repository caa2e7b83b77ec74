package dev.bkd.train.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.io.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** cache.json: the fingerprint, the finished shards (file and the dataset items each holds), completeness. */
final class CacheManifest {
    static final String FILE = "cache.json";
    static final String FORMAT = "bkd-latent-cache";

    /** One finished shard. {@code items} are dataset indices (images that failed to decode are absent). */
    record Shard(int index, String file, int[] items) {}

    final CacheFingerprint fingerprint;
    final int shardSize;
    final List<Shard> shards;
    boolean complete;

    CacheManifest(CacheFingerprint fingerprint, int shardSize, List<Shard> shards, boolean complete) {
        this.fingerprint = fingerprint;
        this.shardSize = shardSize;
        this.shards = new ArrayList<>(shards);
        this.complete = complete;
    }

    static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE));
    }

    static CacheManifest read(Path dir) {
        Path file = dir.resolve(FILE);
        try {
            ConfigReader cfg = ConfigReader.read(file);
            if (!FORMAT.equals(cfg.getString("format", null))) {
                throw cfg.error("format", "must be \"" + FORMAT + "\": " + dir + " is not a bkd latent cache");
            }
            JsonNode fp = cfg.raw("fingerprint");
            if (!(fp instanceof ObjectNode o)) {
                throw cfg.error("fingerprint", "must be an object");
            }
            CacheFingerprint fingerprint = CacheFingerprint.fromJson(new ConfigReader(cfg.label() + " fingerprint", o));
            List<Shard> shards = new ArrayList<>();
            JsonNode arr = cfg.raw("shards");
            if (arr == null || !arr.isArray()) {
                throw cfg.error("shards", "must be a list");
            }
            for (JsonNode s : arr) {
                if (!s.isObject() || !s.path("file").isTextual() || !s.path("index").canConvertToInt()
                        || !s.path("items").isArray()) {
                    throw cfg.error("shards", "holds a malformed entry " + s);
                }
                int[] items = new int[s.get("items").size()];
                for (int i = 0; i < items.length; i++) {
                    items[i] = s.get("items").get(i).asInt();
                }
                shards.add(new Shard(s.get("index").asInt(), s.get("file").asText(), items));
            }
            return new CacheManifest(fingerprint, cfg.getInt("shard_size", 0), shards, cfg.getBool("complete", false));
        } catch (ConfigException e) {
            throw new CacheException(e.getMessage() + " (delete " + dir + " to rebuild the cache)", e);
        }
    }

    void write(Path dir) {
        ObjectNode n = ConfigReader.MAPPER.createObjectNode();
        n.put("format", FORMAT);
        n.put("version", 1);
        n.set("fingerprint", fingerprint.toJson());
        n.put("shard_size", shardSize);
        n.put("complete", complete);
        ArrayNode arr = n.putArray("shards");
        for (Shard s : shards) {
            ObjectNode o = arr.addObject();
            o.put("index", s.index());
            o.put("file", s.file());
            ArrayNode items = o.putArray("items");
            for (int i : s.items()) {
                items.add(i);
            }
        }
        try {
            AtomicFiles.writeString(dir.resolve(FILE), ConfigReader.MAPPER.writeValueAsString(n));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
