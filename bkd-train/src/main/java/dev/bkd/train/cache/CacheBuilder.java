package dev.bkd.train.cache;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bkd.core.config.ConfigReader;
import dev.bkd.core.safetensors.SafetensorsWriter;
import dev.bkd.core.io.Leftovers;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.CaptionedImage;
import dev.bkd.train.data.EpochSampler;
import dev.bkd.train.data.ImageTransform;
import dev.bkd.train.data.SkipReason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encodes every dataset item once into safetensors shards ({@code shard-00000.safetensors}, tensors named
 * {@code <item>.<output>}) plus {@code cache.json}. Each shard is written atomically and recorded in cache.json
 * only afterwards, so an interrupted build resumes at the first unfinished shard. Augmentation is drawn as in
 * epoch 0 and frozen into the cache. A resumed build keeps the shard size it started with.
 */
public final class CacheBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(CacheBuilder.class);

    private final CaptionedDataset data;
    private final ImageTransform transform;
    private final long seed;
    private final String encoderId;
    private final ImageEncoder imageEncoder;
    private final CaptionEncoder captionEncoder;
    private int shardSize = 512;
    private int batchSize = 8;

    /** {@code encoderId} identifies the encoders' weights (e.g. a hash of the VAE and text encoder files). */
    public CacheBuilder(CaptionedDataset data, ImageTransform transform, long seed, String encoderId,
                        ImageEncoder imageEncoder, CaptionEncoder captionEncoder) {
        this.data = data;
        this.transform = transform;
        this.seed = seed;
        this.encoderId = encoderId;
        this.imageEncoder = imageEncoder;
        this.captionEncoder = captionEncoder;
    }

    /** Items per shard (default 512). */
    public CacheBuilder shardSize(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("shard size must be positive");
        }
        this.shardSize = n;
        return this;
    }

    /** Items per encoder call (default 8). */
    public CacheBuilder batchSize(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("batch size must be positive");
        }
        this.batchSize = n;
        return this;
    }

    /** Items per shard. */
    public int shardSize() {
        return shardSize;
    }

    /** Number of shards a cache of this dataset has: the dataset size over the shard size, rounded up. */
    public int shardCount() {
        return shardCount(data.size(), shardSize);
    }

    static int shardCount(int items, int shardSize) {
        return (items + shardSize - 1) / shardSize;
    }

    /** The fingerprint a cache of this dataset, transform and encoder must carry. */
    public CacheFingerprint fingerprint() {
        return new CacheFingerprint(encoderId, transform.resolution(), transform.centerCrop(), transform.randomFlip(),
                seed, data.listingHash(), data.size());
    }

    /**
     * Builds (or finishes) the cache in {@code dir} and opens it. A cache there with another fingerprint is
     * refused; finished shards of an interrupted build with the same fingerprint are kept.
     */
    public LatentCache build(Path dir, NDManager manager) {
        CacheFingerprint fp = fingerprint();
        CacheManifest manifest = prepare(dir, fp);
        int shards = shardCount(data.size(), manifest.shardSize);
        for (int s = 0; s < shards; s++) {
            if (done(manifest, s)) {
                continue;
            }
            manifest.shards.add(encodeShard(dir, s, manifest.shardSize, manager));
            manifest.write(dir);
            LOG.info("cache {}: shard {}/{} written", dir, s + 1, shards);
        }
        manifest.complete = true;
        manifest.write(dir);
        return LatentCache.open(dir, fp);
    }

    private CacheManifest prepare(Path dir, CacheFingerprint fp) {
        // a shard or cache.json being written when the last build died
        deleteLeftovers(dir, p -> true);
        if (CacheSlices.hasSlices(dir)) {
            throw new CacheException(dir + ": holds slices of a sharded build (cache-slice-*.json); finish them with"
                    + " `bkd cache build --shards I/N` and `bkd cache merge`, or choose another cache folder");
        }
        if (CacheManifest.exists(dir)) {
            CacheManifest m = CacheManifest.read(dir);
            LatentCache.checkFingerprint(dir, m.fingerprint, fp);
            m.shards.removeIf(sh -> !Files.isRegularFile(dir.resolve(sh.file())));
            if (!m.complete) {
                LOG.info("cache {}: resuming, {} shard(s) already done", dir, m.shards.size());
            }
            return m;
        }
        if (isNonEmpty(dir)) {
            throw new CacheException(dir + ": folder has files but no " + CacheManifest.FILE
                    + "; choose an empty folder for the cache");
        }
        CacheManifest m = new CacheManifest(fp, shardSize, List.of(), false);
        m.write(dir);
        return m;
    }

    /** Creates {@code dir} and deletes the temp files of interrupted writes whose target {@code mine} accepts. */
    static void deleteLeftovers(Path dir, java.util.function.Predicate<String> mine) {
        try {
            Files.createDirectories(dir);
            Leftovers.clean(dir, mine);
        } catch (IOException e) {
            throw new CacheException(dir + ": cannot prepare the cache folder: " + e.getMessage(), e);
        }
    }

    static boolean isNonEmpty(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isPresent();
        } catch (IOException e) {
            throw new CacheException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static boolean done(CacheManifest m, int shard) {
        return m.shards.stream().anyMatch(s -> s.index() == shard);
    }

    /**
     * Encodes shard {@code shard} into {@code dir} (atomically, so a retried or repeated call rewrites the same
     * bytes) and returns what cache.json records of it. For distributed builds; {@link #build} calls it in order.
     */
    public CacheShard encodeShard(Path dir, int shard, NDManager manager) {
        if (shard < 0 || shard >= shardCount()) {
            throw new IndexOutOfBoundsException("shard " + shard + " of " + shardCount());
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CacheException(dir + ": cannot create the cache folder: " + e.getMessage(), e);
        }
        return encodeShard(dir, shard, shardSize, manager);
    }

    private CacheShard encodeShard(Path dir, int shard, int size, NDManager manager) {
        int from = shard * size;
        int to = Math.min(data.size(), from + size);
        String file = CacheShard.fileName(shard);
        List<Integer> present = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        try (NDManager shardScope = manager.newSubManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (int start = from; start < to; start += batchSize) {
                encodeBatch(start, Math.min(to, start + batchSize), shardScope, tensors, present, captions);
            }
            Map<String, String> meta = new LinkedHashMap<>(SafetensorsWriter.DEFAULT_METADATA);
            meta.put("captions", json(captions));
            SafetensorsWriter.write(dir.resolve(file), tensors, meta);
        }
        return new CacheShard(shard, file, present.stream().mapToInt(Integer::intValue).toArray());
    }

    private void encodeBatch(int from, int to, NDManager scope, Map<String, NDArray> tensors, List<Integer> present,
                             List<String> captions) {
        int n = transform.resolution();
        List<Integer> items = new ArrayList<>();
        List<String> caps = new ArrayList<>();
        List<float[]> pixels = new ArrayList<>();
        for (int i = from; i < to; i++) {
            CaptionedImage item = data.get(i);
            try {
                ImageTransform.Sample s = transform.load(item, EpochSampler.itemRandom(seed, 0, i));
                items.add(i);
                caps.add(s.caption());
                pixels.add(s.pixels());
            } catch (IOException e) {
                data.report().skip(SkipReason.UNREADABLE_IMAGE, item.origin(), "`" + item.relativePath() + "`: "
                        + e.getMessage());
            }
        }
        if (items.isEmpty()) {
            return;
        }
        try (NDManager batch = scope.newSubManager()) {
            float[] flat = new float[items.size() * 3 * n * n];
            for (int b = 0; b < items.size(); b++) {
                System.arraycopy(pixels.get(b), 0, flat, b * 3 * n * n, 3 * n * n);
            }
            Map<String, NDArray> out = new LinkedHashMap<>();
            putChecked(out, imageEncoder.encode(batch.create(flat, new Shape(items.size(), 3, n, n)), batch),
                    "image", items.size());
            putChecked(out, captionEncoder.encode(List.copyOf(caps), batch), "caption", items.size());
            for (Map.Entry<String, NDArray> e : out.entrySet()) {
                for (int b = 0; b < items.size(); b++) {
                    NDArray row = e.getValue().get(b).duplicate();
                    row.attach(scope);
                    tensors.put(items.get(b) + "." + e.getKey(), row);
                }
            }
        }
        present.addAll(items);
        captions.addAll(caps);
    }

    private static void putChecked(Map<String, NDArray> into, Map<String, NDArray> outputs, String which, int batch) {
        for (Map.Entry<String, NDArray> e : outputs.entrySet()) {
            Shape s = e.getValue().getShape();
            if (s.dimension() == 0 || s.get(0) != batch) {
                throw new CacheException("the " + which + " encoder returned `" + e.getKey() + "` with shape " + s
                        + " for a batch of " + batch + "; every output must lead with the batch size");
            }
            if (into.put(e.getKey(), e.getValue()) != null) {
                throw new CacheException("the image and caption encoders both return `" + e.getKey()
                        + "`; output names must be distinct");
            }
        }
    }

    private static String json(List<String> captions) {
        try {
            return ConfigReader.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(captions);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
