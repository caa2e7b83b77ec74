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

/**
 * cache.json: the fingerprint, the finished shards (file and the dataset items each holds), completeness. A slice
 * of a sharded build keeps the same record of its own shards in {@code cache-slice-I-of-N.json} (with a
 * {@code slice} field) until {@code bkd cache merge} writes cache.json from all of them.
 */
final class CacheManifest {
    static final String FILE = "cache.json";
    static final String SLICE_PREFIX = "cache-slice-";
    static final String FORMAT = "bkd-latent-cache";

    final CacheFingerprint fingerprint;
    final int shardSize;
    final List<CacheShard> shards;
    /** The slice this file records, or null for cache.json itself. */
    final CacheSlice slice;
    boolean complete;

    CacheManifest(CacheFingerprint fingerprint, int shardSize, List<CacheShard> shards, boolean complete) {
        this(fingerprint, shardSize, shards, complete, null);
    }

    CacheManifest(CacheFingerprint fingerprint, int shardSize, List<CacheShard> shards, boolean complete,
                  CacheSlice slice) {
        this.fingerprint = fingerprint;
        this.shardSize = shardSize;
        this.shards = new ArrayList<>(shards);
        this.complete = complete;
        this.slice = slice;
    }

    static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(FILE));
    }

    static CacheManifest read(Path dir) {
        return readFile(dir, dir.resolve(FILE));
    }

    /** Reads cache.json or a slice file {@code file} of the cache in {@code dir}. */
    static CacheManifest readFile(Path dir, Path file) {
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
            List<CacheShard> shards = new ArrayList<>();
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
                shards.add(new CacheShard(s.get("index").asInt(), s.get("file").asText(), items));
            }
            CacheSlice slice = null;
            JsonNode sl = cfg.raw("slice");
            if (sl != null) {
                if (!sl.path("index").canConvertToInt() || !sl.path("count").canConvertToInt()) {
                    throw cfg.error("slice", "must be {\"index\": I, \"count\": N}");
                }
                slice = new CacheSlice(sl.get("index").asInt(), sl.get("count").asInt());
            }
            return new CacheManifest(fingerprint, cfg.getInt("shard_size", 0), shards, cfg.getBool("complete", false),
                    slice);
        } catch (ConfigException e) {
            throw new CacheException(e.getMessage() + " (delete " + dir + " to rebuild the cache)", e);
        }
    }

    /** Writes cache.json, or this slice's file when {@link #slice} is set. */
    void write(Path dir) {
        ObjectNode n = ConfigReader.MAPPER.createObjectNode();
        n.put("format", FORMAT);
        n.put("version", 1);
        n.set("fingerprint", fingerprint.toJson());
        n.put("shard_size", shardSize);
        n.put("complete", complete);
        if (slice != null) {
            ObjectNode sl = n.putObject("slice");
            sl.put("index", slice.index());
            sl.put("count", slice.count());
        }
        ArrayNode arr = n.putArray("shards");
        for (CacheShard s : shards) {
            ObjectNode o = arr.addObject();
            o.put("index", s.index());
            o.put("file", s.file());
            ArrayNode items = o.putArray("items");
            for (int i : s.items()) {
                items.add(i);
            }
        }
        try {
            AtomicFiles.writeString(dir.resolve(slice == null ? FILE : slice.manifestName()), ConfigReader.MAPPER.writeValueAsString(n));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
