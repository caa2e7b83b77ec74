package dev.bkd.spark;

import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.loop.DataOptions;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * What the Spark cache job builds: the same settings as {@code bkd cache build} (paths as strings, because the
 * options travel to the executors inside each task and {@link Path} is not serializable). The paths must name the
 * same files on the driver and every executor (a shared file system).
 */
public record CacheJobOptions(String model, String data, String out, int resolution, boolean centerCrop,
                              boolean randomFlip, String captionColumn, boolean strictData, long seed, int batch,
                              int shardSize) implements Serializable {
    public CacheJobOptions {
        if (batch <= 0 || shardSize <= 0) {
            throw new IllegalArgumentException("--batch and --shard-size must be positive");
        }
    }

    /** The data options of a training run with these settings reading the cache at {@link #out}. */
    public DataOptions dataOptions() {
        return new DataOptions(Path.of(data), new DatasetOptions(captionColumn, strictData), resolution, centerCrop,
                randomFlip, Path.of(out));
    }
}
