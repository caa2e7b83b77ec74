package dev.bkd.spark;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.train.cache.CacheBuilder;
import dev.bkd.train.cache.CacheShard;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.loop.FrozenEncoders;
import dev.bkd.train.loop.Sources;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The encoders and dataset of one executor JVM, loaded by its first task and kept for the JVM's life, so a job of
 * thousands of shards loads the VAE and text encoder once per executor, not once per task. Tasks of one executor
 * encode one at a time: libtorch already spreads one encode over the executor's cores, and DJL's no-grad switch is
 * per thread, so parallel tasks would gain nothing and share one model's buffers.
 */
final class ExecutorEncoders {
    private static final Map<CacheJobOptions, ExecutorEncoders> LOADED = new HashMap<>();

    private final NDManager root;
    private final CacheBuilder builder;

    private ExecutorEncoders(NDManager root, CacheBuilder builder) {
        this.root = root;
        this.builder = builder;
    }

    /** Encodes shard {@code shard} on this executor, loading the encoders first if no task here has. */
    static CacheShard encode(CacheJobOptions o, int shard, Device device) {
        synchronized (LOADED) {
            ExecutorEncoders e = LOADED.computeIfAbsent(o, k -> load(k, device));
            try (NDManager scope = e.root.newSubManager()) {
                return e.builder.encodeShard(Path.of(o.out()), shard, scope);
            }
        }
    }

    private static ExecutorEncoders load(CacheJobOptions o, Device device) {
        NDManager root = NDManager.newBaseManager(device);
        try {
            // float32 like `bkd cache build`, so a cluster build and a local one share their fingerprint
            FrozenEncoders enc = FrozenEncoders.load(Path.of(o.model()), root, DataType.FLOAT32);
            CaptionedDataset data = CaptionedDataset.open(Path.of(o.data()), o.dataOptions().dataset());
            return new ExecutorEncoders(root, Sources.cacheBuilder(data, o.dataOptions(), o.seed(), o.batch(), enc)
                    .shardSize(o.shardSize()));
        } catch (RuntimeException ex) {
            root.close();
            throw ex;
        }
    }
}
