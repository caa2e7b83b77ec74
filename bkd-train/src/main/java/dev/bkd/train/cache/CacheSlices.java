package dev.bkd.train.cache;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A latent cache built in slices by separate processes (a Slurm array, a Kubernetes indexed job) into one shared
 * folder. Slice I/N encodes its run of shards and records them in its own {@code cache-slice-I-of-N.json}, written
 * after every shard so a killed slice reruns alone and skips what it finished. {@link #merge} checks that the
 * slices agree and cover every shard exactly once, then writes cache.json: the folder is then byte for byte what
 * one {@link CacheBuilder#build} writes, because shard boundaries, encoder batches and file contents do not depend
 * on who encoded a shard.
 */
public final class CacheSlices {
    private static final Logger LOG = LoggerFactory.getLogger(CacheSlices.class);

    private CacheSlices() {}

    /** True when {@code dir} holds a slice progress file. */
    static boolean hasSlices(Path dir) {
        return !sliceFiles(dir).isEmpty();
    }

    /**
     * Encodes slice {@code slice} of {@code builder}'s cache into {@code dir} (or finishes it after a kill).
     * Refused when the folder holds slices of another N, another fingerprint or shard size, or other files.
     */
    public static void build(CacheBuilder builder, Path dir, CacheSlice slice, NDManager manager) {
        CacheFingerprint fp = builder.fingerprint();
        String own = slice.manifestName();
        int shards = builder.shardCount();
        int first = slice.firstShard(shards);
        int end = slice.endShard(shards);
        // only this slice's leftovers: another slice may be writing its own temp files right now
        CacheBuilder.deleteLeftovers(dir, t -> t.equals(own) || ownsShardFile(t, first, end));
        if (CacheManifest.exists(dir)) {
            CacheManifest done = CacheManifest.read(dir);
            LatentCache.checkFingerprint(dir, done.fingerprint, fp);
            if (done.complete) {
                LOG.info("cache {}: already complete, slice {} has nothing to do", dir, slice);
                return;
            }
            throw new CacheException(dir + ": holds an unfinished single-process build (" + CacheManifest.FILE
                    + " without slices); finish it without --shards, or choose another cache folder");
        }
        CacheManifest mine = null;
        for (Path f : sliceFiles(dir)) {
            CacheManifest other = CacheManifest.readFile(dir, f);
            agree(dir, f, other, fp, builder.shardSize(), slice);
            if (f.getFileName().toString().equals(own)) {
                mine = other;
            }
        }
        checkOnlyCacheFiles(dir);
        if (mine == null) {
            mine = new CacheManifest(fp, builder.shardSize(), List.of(), false, slice);
        } else {
            mine.shards.removeIf(sh -> !Files.isRegularFile(dir.resolve(sh.file())));
            LOG.info("cache {}: slice {} resuming, {} of its {} shard(s) already done", dir, slice, mine.shards.size(),
                    end - first);
        }
        for (int s = first; s < end; s++) {
            int index = s;
            if (mine.shards.stream().anyMatch(sh -> sh.index() == index)) {
                continue;
            }
            mine.shards.add(builder.encodeShard(dir, s, manager));
            mine.write(dir);
            LOG.info("cache {}: slice {} wrote shard {} ({} of {})", dir, slice, s, s - first + 1, end - first);
        }
        mine.complete = true;
        mine.write(dir);
    }

    /**
     * Writes cache.json from every slice's file in {@code dir} and removes the slice files. Refused, naming what is
     * wrong and what to run, when a slice is missing or unfinished, slices overlap or disagree on their settings.
     * Returns the shards merged.
     */
    public static List<CacheShard> merge(Path dir) {
        List<Path> files = sliceFiles(dir);
        if (files.isEmpty()) {
            if (CacheManifest.exists(dir) && CacheManifest.read(dir).complete) {
                LOG.info("cache {}: already merged", dir);
                return CacheManifest.read(dir).shards;
            }
            throw new CacheException(dir + ": no cache-slice-*.json here; build the slices first with"
                    + " `bkd cache build ... --out " + dir + " --shards I/N`");
        }
        CacheManifest first = CacheManifest.readFile(dir, files.get(0));
        Map<Integer, CacheManifest> bySlice = new TreeMap<>();
        for (Path f : files) {
            CacheManifest m = CacheManifest.readFile(dir, f);
            agree(dir, f, m, first.fingerprint, first.shardSize, first.slice);
            bySlice.put(m.slice.index(), m);
        }
        int n = first.slice.count();
        List<String> missing = new ArrayList<>();
        List<CacheShard> shards = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CacheManifest m = bySlice.get(i);
            if (m == null || !m.complete) {
                missing.add(i + "/" + n + (m == null ? " (never started)" : " (unfinished, " + m.shards.size()
                        + " shard(s) done)"));
            } else {
                shards.addAll(m.shards);
            }
        }
        if (!missing.isEmpty()) {
            throw new CacheException(dir + ": slice(s) " + String.join(", ", missing) + " not done; run `bkd cache"
                    + " build ... --shards I/N` for each of them (finished shards are kept), then merge again");
        }
        write(dir, first.fingerprint, first.shardSize, shards);
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                throw new CacheException(f + ": cannot remove after merging: " + e.getMessage(), e);
            }
        }
        LOG.info("cache {}: merged {} slice(s), {} shard(s)", dir, n, shards.size());
        return shards;
    }

    /**
     * Writes a complete cache.json for {@code shards} (any order), which must cover every shard of a cache with
     * fingerprint {@code fp} exactly once and exist in {@code dir}. A distributed build's driver calls this with
     * what its tasks returned.
     */
    public static void write(Path dir, CacheFingerprint fp, int shardSize, List<CacheShard> shards) {
        int count = CacheBuilder.shardCount(fp.items(), shardSize);
        CacheShard[] byIndex = new CacheShard[count];
        for (CacheShard s : shards) {
            if (s.index() < 0 || s.index() >= count) {
                throw new CacheException(dir + ": shard " + s.index() + " is outside the cache's " + count
                        + " shards (" + fp.items() + " items, " + shardSize + " per shard)");
            }
            if (byIndex[s.index()] != null && !byIndex[s.index()].equals(s)) {
                throw new CacheException(dir + ": shard " + s.index() + " was encoded twice with different items;"
                        + " slices overlap, delete the folder and rebuild with one N for every slice");
            }
            if (!Files.isRegularFile(dir.resolve(s.file()))) {
                throw new CacheException(dir + ": " + s.file() + " is recorded but missing; rerun the slice or"
                        + " task that wrote shard " + s.index());
            }
            byIndex[s.index()] = s;
        }
        List<Integer> absent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (byIndex[i] == null) {
                absent.add(i);
            }
        }
        if (!absent.isEmpty()) {
            throw new CacheException(dir + ": shard(s) " + absent + " of " + count + " are missing; encode them"
                    + " before writing " + CacheManifest.FILE);
        }
        new CacheManifest(fp, shardSize, List.of(byIndex), true).write(dir);
    }

    /**
     * Readies {@code dir} for a distributed build whose tasks encode shards with {@link CacheBuilder#encodeShard}
     * and whose driver then calls {@link #write}. Returns false when a complete cache with this fingerprint is
     * already there (nothing to do). Shard files of an earlier, failed run with the same settings may stay (the
     * tasks rewrite them with the same bytes); other files, slices or another fingerprint are refused.
     */
    public static boolean begin(Path dir, CacheFingerprint fp) {
        CacheBuilder.deleteLeftovers(dir, t -> true);
        if (CacheManifest.exists(dir)) {
            CacheManifest m = CacheManifest.read(dir);
            LatentCache.checkFingerprint(dir, m.fingerprint, fp);
            if (m.complete) {
                return false;
            }
            throw new CacheException(dir + ": holds an unfinished single-process build; finish it with `bkd cache"
                    + " build` or choose another cache folder");
        }
        if (hasSlices(dir)) {
            throw new CacheException(dir + ": holds slices of `bkd cache build --shards`; finish them with `bkd cache"
                    + " merge` or choose another cache folder");
        }
        checkOnlyCacheFiles(dir);
        return true;
    }

    /** Another slice's (or this one's earlier) file must match this run's N, fingerprint and shard size. */
    private static void agree(Path dir, Path file, CacheManifest other, CacheFingerprint fp, int shardSize,
                              CacheSlice slice) {
        if (other.slice == null) {
            throw new CacheException(file + ": has no slice field; it is not a slice file, remove it");
        }
        if (!file.getFileName().toString().equals(other.slice.manifestName())) {
            throw new CacheException(file + ": records slice " + other.slice + " under another name; remove it");
        }
        if (other.slice.count() != slice.count()) {
            throw new CacheException(dir + ": holds slice " + other.slice + " but this is slice " + slice
                    + "; slices of different N overlap. Use one N for every slice (or delete the folder)");
        }
        if (other.shardSize != shardSize) {
            throw new CacheException(file + ": slice " + other.slice + " used " + other.shardSize
                    + " items per shard, this one " + shardSize + "; use one shard size for every slice");
        }
        List<String> diff = other.fingerprint.differences(fp);
        if (!diff.isEmpty()) {
            throw new CacheException(file + ": slice " + other.slice + " was built for other settings ("
                    + String.join("; ", diff) + "); every slice needs the same model, data and options");
        }
    }

    private static boolean ownsShardFile(String name, int first, int end) {
        for (int s = first; s < end; s++) {
            if (name.equals(CacheShard.fileName(s))) {
                return true;
            }
        }
        return false;
    }

    private static void checkOnlyCacheFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> foreign = s.map(p -> p.getFileName().toString())
                    .filter(n -> !n.matches("shard-\\d{5,}\\.safetensors") && !n.startsWith(CacheManifest.SLICE_PREFIX)
                            && dev.bkd.core.io.Leftovers.ownerOf(Path.of(n)) == null)
                    .sorted().toList();
            if (!foreign.isEmpty()) {
                throw new CacheException(dir + ": holds files that are not part of a latent cache " + foreign
                        + "; choose an empty folder for the cache");
            }
        } catch (IOException e) {
            throw new CacheException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static List<Path> sliceFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(CacheManifest.SLICE_PREFIX) && n.endsWith(".json");
            }).sorted(Comparator.comparing(Path::toString)).toList();
        } catch (IOException e) {
            throw new CacheException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }
}
