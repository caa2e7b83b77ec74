package dev.bkd.train.cache;

/**
 * Slice {@code index} of {@code count} of a cache build, 0-based like a Slurm array task id or a Kubernetes
 * indexed job's completion index. A slice owns a contiguous run of the cache's shards, so N slices together encode
 * every shard exactly once, each shard with the same items and encoder batches as a single-process build.
 */
public record CacheSlice(int index, int count) {
    public CacheSlice {
        if (count <= 0 || index < 0 || index >= count) {
            throw new CacheException("slice " + index + "/" + count + ": want I/N with N >= 1 and 0 <= I < N"
                    + " (slices are numbered from 0, like SLURM_ARRAY_TASK_ID)");
        }
    }

    /** Parses {@code I/N}, e.g. {@code 3/8}. */
    public static CacheSlice parse(String text) {
        String[] parts = text.strip().split("/", -1);
        if (parts.length != 2) {
            throw new CacheException("--shards " + text + ": want I/N, e.g. 0/4 for the first of four slices");
        }
        try {
            return new CacheSlice(Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip()));
        } catch (NumberFormatException e) {
            throw new CacheException("--shards " + text + ": want I/N with whole numbers, e.g. 0/4", e);
        }
    }

    /** First shard this slice encodes, of {@code shards} in the cache. */
    public int firstShard(int shards) {
        return (int) ((long) index * shards / count);
    }

    /** One past the last shard this slice encodes. */
    public int endShard(int shards) {
        return (int) ((long) (index + 1) * shards / count);
    }

    /** The slice's progress file in the cache folder: {@code cache-slice-00003-of-00008.json}. */
    public String manifestName() {
        return String.format("%s%05d-of-%05d.json", CacheManifest.SLICE_PREFIX, index, count);
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
