package dev.bkd.train.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.safetensors.SafetensorsException;
import dev.bkd.core.safetensors.SafetensorsFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A finished latent/text-embedding cache, read item by item. Items are numbered 0..size-1 in dataset order
 * over the images that encoded (see {@link #datasetIndex}); each has the same named tensors.
 */
public final class LatentCache implements AutoCloseable {
    private final Path dir;
    private final CacheFingerprint fingerprint;
    private final SafetensorsFile[] shardFiles;
    private final int[] shardOf;
    private final int[] datasetIndex;
    private final String[] captions;
    private final Set<String> outputs;

    private LatentCache(Path dir, CacheFingerprint fp, SafetensorsFile[] files, int[] shardOf, int[] datasetIndex,
                        String[] captions, Set<String> outputs) {
        this.dir = dir;
        this.fingerprint = fp;
        this.shardFiles = files;
        this.shardOf = shardOf;
        this.datasetIndex = datasetIndex;
        this.captions = captions;
        this.outputs = outputs;
    }

    /** Opens the cache in {@code dir}; refused unless complete and built with {@code expected}'s settings. */
    public static LatentCache open(Path dir, CacheFingerprint expected) {
        if (!CacheManifest.exists(dir)) {
            throw new CacheException(dir + ": no " + CacheManifest.FILE + "; build the cache first"
                    + (CacheSlices.hasSlices(dir) ? " (it holds slices of a sharded build: run `bkd cache merge "
                    + dir + "` once every slice is done)" : ""));
        }
        CacheManifest m = CacheManifest.read(dir);
        checkFingerprint(dir, m.fingerprint, expected);
        if (!m.complete) {
            throw new CacheException(dir + ": the cache build was interrupted (" + m.shards.size()
                    + " shard(s) done); run the build again to finish it");
        }
        List<CacheShard> shards = new ArrayList<>(m.shards);
        shards.sort((a, b) -> Integer.compare(a.index(), b.index()));
        SafetensorsFile[] files = new SafetensorsFile[shards.size()];
        List<Integer> shardOf = new ArrayList<>();
        List<Integer> dataset = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        Set<String> outputs = null;
        try {
            for (int s = 0; s < files.length; s++) {
                CacheShard sh = shards.get(s);
                files[s] = SafetensorsFile.open(dir.resolve(sh.file()));
                String[] caps = captions(files[s], sh.items().length);
                for (int k = 0; k < sh.items().length; k++) {
                    Set<String> names = namesOf(files[s], sh.items()[k]);
                    if (outputs == null) {
                        outputs = names;
                    } else if (!outputs.equals(names)) {
                        throw new CacheException(files[s].path() + ": item " + sh.items()[k] + " has tensors " + names
                                + ", other items " + outputs + "; delete " + dir + " to rebuild");
                    }
                    shardOf.add(s);
                    dataset.add(sh.items()[k]);
                    captions.add(caps[k]);
                }
            }
        } catch (RuntimeException e) {
            for (SafetensorsFile f : files) {
                if (f != null) {
                    f.close();
                }
            }
            throw e;
        }
        return new LatentCache(dir, m.fingerprint, files, shardOf.stream().mapToInt(Integer::intValue).toArray(),
                dataset.stream().mapToInt(Integer::intValue).toArray(), captions.toArray(String[]::new),
                outputs == null ? Set.of() : outputs);
    }

    /** Refuses a cache whose fingerprint differs from {@code now}, naming each differing field. */
    static void checkFingerprint(Path dir, CacheFingerprint cached, CacheFingerprint now) {
        List<String> diff = cached.differences(now);
        if (!diff.isEmpty()) {
            throw new CacheException(dir + " was built for other settings (" + String.join("; ", diff)
                    + "); delete it or choose another cache folder");
        }
    }

    private static Set<String> namesOf(SafetensorsFile f, int item) {
        String prefix = item + ".";
        Set<String> out = new TreeSet<>();
        for (String n : f.names()) {
            if (n.startsWith(prefix)) {
                out.add(n.substring(prefix.length()));
            }
        }
        if (out.isEmpty()) {
            throw new CacheException(f.path() + ": no tensors for item " + item + "; the shard is damaged");
        }
        return out;
    }

    private static String[] captions(SafetensorsFile f, int n) {
        try {
            JsonNode arr = ConfigReader.MAPPER.readTree(f.metadata().getOrDefault("captions", "[]"));
            if (!arr.isArray() || arr.size() != n) {
                throw new CacheException(f.path() + ": captions metadata does not list " + n + " captions");
            }
            String[] out = new String[n];
            for (int i = 0; i < n; i++) {
                out[i] = arr.get(i).asText();
            }
            return out;
        } catch (JsonProcessingException e) {
            throw new CacheException(f.path() + ": captions metadata is not JSON", e);
        }
    }

    /** Number of cached items. */
    public int size() {
        return datasetIndex.length;
    }

    /** Names of the tensors every item has (the encoders' output names). */
    public Set<String> outputs() {
        return outputs;
    }

    /** The settings the cache was built with. */
    public CacheFingerprint fingerprint() {
        return fingerprint;
    }

    /** The dataset index cached item {@code i} came from. */
    public int datasetIndex(int i) {
        return datasetIndex[i];
    }

    /** The caption that was encoded for item {@code i}. */
    public String caption(int i) {
        return captions[i];
    }

    /** Item {@code i}'s tensors, created in {@code manager}. */
    public Map<String, NDArray> item(int i, NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String name : outputs) {
            out.put(name, load(i, name, manager));
        }
        return out;
    }

    /** The tensors of {@code items} stacked along a new first axis, created in {@code manager}. */
    public Map<String, NDArray> batch(int[] items, NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (NDManager tmp = manager.newSubManager()) {
            for (String name : outputs) {
                NDList rows = new NDList(items.length);
                for (int i : items) {
                    rows.add(load(i, name, tmp));
                }
                NDArray stacked = NDArrays.stack(rows);
                stacked.attach(manager);
                out.put(name, stacked);
            }
        }
        return out;
    }

    private NDArray load(int i, String name, NDManager manager) {
        if (i < 0 || i >= size()) {
            throw new IndexOutOfBoundsException("cache item " + i + " of " + size());
        }
        try {
            return shardFiles[shardOf[i]].load(datasetIndex[i] + "." + name, manager);
        } catch (SafetensorsException e) {
            throw new CacheException(dir + ": cannot read item " + i + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        for (SafetensorsFile f : shardFiles) {
            f.close();
        }
    }
}
