package dev.bkd.spark;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.bkd.train.cache.CacheBuilder;
import dev.bkd.train.cache.CacheException;
import dev.bkd.train.cache.CacheShard;
import dev.bkd.train.cache.CacheSlices;
import dev.bkd.train.cache.CaptionEncoder;
import dev.bkd.train.cache.ImageEncoder;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.loop.FrozenEncoders;
import dev.bkd.train.loop.Sources;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.resource.ResourceInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds bkd's latent cache on a Spark cluster: the driver opens the dataset and fingerprints the encoders, one
 * task per cache shard encodes it on an executor ({@link ExecutorEncoders}) and returns what cache.json records of
 * it, and the driver writes cache.json from those results. A shard file is written atomically from the shard's
 * items alone, so a retried or speculative task rewrites the same bytes, and the result equals
 * {@code bkd cache build} (or {@code distill --cache-latents}) with the same settings byte for byte. A task given
 * a GPU by Spark's resource scheduling ({@code spark.task.resource.gpu.amount}) encodes on it.
 */
public final class CacheJob {
    private static final Logger LOG = LoggerFactory.getLogger(CacheJob.class);
    /**
     * Local property that makes the first attempt of the task for this shard fail after writing its file: lets a
     * test (or a cluster check) see a retried task rewrite a shard. Unset in normal runs.
     */
    public static final String FAIL_ONCE_PROPERTY = "bkd.cache.failFirstAttemptOfShard";

    private CacheJob() {}

    /** spark-submit entry point: {@code --model DIR --data DATA --out CACHE [options]} (see {@link CacheJobCli}). */
    public static void main(String[] args) {
        CacheJobOptions o = CacheJobCli.parse(args);
        if (o == null) {
            return; // --help printed
        }
        try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setAppName("bkd cache build"))) {
            List<CacheShard> shards = run(sc, o);
            System.out.printf("cache %s: %d shards, %d items%n", o.out(), shards.size(),
                    shards.stream().mapToInt(s -> s.items().length).sum());
        }
    }

    /** Runs the job on {@code sc}; returns the shards cache.json lists. */
    public static List<CacheShard> run(JavaSparkContext sc, CacheJobOptions o) {
        CaptionedDataset data = CaptionedDataset.open(Path.of(o.data()), o.dataOptions().dataset());
        String encoderId = FrozenEncoders.fingerprint(Path.of(o.model()), DataType.FLOAT32);
        ImageEncoder noImages = (px, m) -> {
            throw new IllegalStateException("the driver does not encode");
        };
        CaptionEncoder noCaptions = (c, m) -> {
            throw new IllegalStateException("the driver does not encode");
        };
        CacheBuilder plan = Sources.cacheBuilder(data, o.dataOptions(), o.seed(), o.batch(), encoderId, noImages,
                noCaptions).shardSize(o.shardSize());
        Path out = Path.of(o.out());
        if (!CacheSlices.begin(out, plan.fingerprint())) {
            LOG.info("cache {}: already complete", out);
            return List.of();
        }
        int shards = plan.shardCount();
        LOG.info("cache {}: {} items in {} shards, one task each", out, data.size(), shards);
        List<Integer> indices = IntStream.range(0, shards).boxed().toList();
        List<CacheShard> done = sc.parallelize(indices, Math.max(1, shards)).map(s -> encodeTask(o, s)).collect();
        CacheSlices.write(out, plan.fingerprint(), o.shardSize(), done);
        return done;
    }

    /** One task: the shard, on this executor's encoders and its GPU when Spark assigned one. */
    private static CacheShard encodeTask(CacheJobOptions o, int shard) {
        TaskContext task = TaskContext.get();
        CacheShard result = ExecutorEncoders.encode(o, shard, device(task));
        String failOnce = task == null ? null : task.getLocalProperty(FAIL_ONCE_PROPERTY);
        if (failOnce != null && Integer.parseInt(failOnce) == shard && task.attemptNumber() == 0) {
            throw new CacheException("injected failure after writing shard " + shard + " (" + FAIL_ONCE_PROPERTY
                    + "); the retry rewrites it");
        }
        return result;
    }

    private static Device device(TaskContext task) {
        if (task != null) {
            Map<String, ResourceInformation> res = task.resourcesJMap();
            ResourceInformation gpu = res.get("gpu");
            if (gpu != null && gpu.addresses().length > 0) {
                return Device.gpu(Integer.parseInt(gpu.addresses()[0]));
            }
        }
        return Device.cpu();
    }
}
