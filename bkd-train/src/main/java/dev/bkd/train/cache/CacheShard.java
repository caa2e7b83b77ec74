package dev.bkd.train.cache;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One finished cache shard: its number, its file in the cache folder, and the dataset items it holds (images that
 * failed to decode are absent). Serializable because a distributed build (bkd-spark) returns it from a task to the
 * driver, which writes cache.json from what its tasks return.
 */
public record CacheShard(int index, String file, int[] items) implements Serializable {
    /** The file name of shard {@code index}: {@code shard-00007.safetensors}. */
    public static String fileName(int index) {
        return String.format("shard-%05d.safetensors", index);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CacheShard s && s.index == index && s.file.equals(file) && Arrays.equals(s.items, items);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * index + file.hashCode()) + Arrays.hashCode(items);
    }

    @Override
    public String toString() {
        return "CacheShard[" + index + ", " + file + ", " + items.length + " items]";
    }
}
