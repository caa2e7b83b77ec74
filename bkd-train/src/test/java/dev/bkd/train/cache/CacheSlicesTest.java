package dev.bkd.train.cache;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.data.ImageTransform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheSlicesTest {
    @TempDir
    static Path tmp;
    static CaptionedDataset data;
    static final AtomicInteger encoded = new AtomicInteger();

    @BeforeAll
    static void sevenImages() throws IOException {
        data = CaptionedDataset.open(LatentCacheTest.sevenImages(tmp.resolve("images")), DatasetOptions.defaults());
    }

    /** Fake VAE whose output depends on the pixels (per-channel mean, a crop of the image). */
    static ImageEncoder vae() {
        return (pixels, m) -> {
            encoded.addAndGet((int) pixels.getShape().get(0));
            NDArray mean = pixels.reshape(pixels.getShape().get(0), 3, -1).mean(new int[] {2});
            return Map.of("latent_mean", mean, "latent_std", pixels.get(":, :, :2, :2").duplicate());
        };
    }

    /** 7 items, 2 per shard: 4 shards. */
    static CacheBuilder builder(String encoderId, ImageEncoder vae) {
        return new CacheBuilder(data, new ImageTransform(8, false, true), 5, encoderId, vae,
                LatentCacheTest.fakeClip()).shardSize(2).batchSize(2);
    }

    static Map<String, String> contents(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                out.put(p.getFileName().toString(), java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    Path single(NDManager m) {
        Path dir = tmp.resolve("single");
        if (!Files.exists(dir.resolve("cache.json"))) {
            builder("vae@1", vae()).build(dir, m).close();
        }
        return dir;
    }

    @Test
    void slicesInAnyOrderMergeToTheSingleBuildByteForByte() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Path dir = tmp.resolve("three");
            for (int i : new int[] {2, 0, 1}) {
                CacheSlices.build(builder("vae@1", vae()), dir, new CacheSlice(i, 3), m);
            }
            assertEquals(4, CacheSlices.merge(dir).size());
            Map<String, String> want = contents(single(m));
            assertEquals(5, want.size(), "cache.json and four shards: " + want.keySet());
            assertEquals(want, contents(dir));
            try (LatentCache c = LatentCache.open(dir, builder("vae@1", vae()).fingerprint())) {
                assertEquals(7, c.size());
            }
        }
    }

    @Test
    void moreSlicesThanShardsStillCoverEveryShardOnce() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Path dir = tmp.resolve("six");
            for (int i = 0; i < 6; i++) {
                CacheSlices.build(builder("vae@1", vae()), dir, new CacheSlice(i, 6), m);
            }
            CacheSlices.merge(dir);
            assertEquals(contents(single(m)), contents(dir));
        }
    }

    @Test
    void aMissingOrUnfinishedSliceIsNamedAndTheCacheDoesNotOpen() {
        try (NDManager m = NDManager.newBaseManager()) {
            Path dir = tmp.resolve("gap");
            CacheSlices.build(builder("vae@1", vae()), dir, new CacheSlice(0, 3), m);
            CacheSlices.build(builder("vae@1", vae()), dir, new CacheSlice(2, 3), m);
            CacheException e = assertThrows(CacheException.class, () -> CacheSlices.merge(dir));
            assertTrue(e.getMessage().contains("slice(s) 1/3 (never started) not done"), e.getMessage());
            e = assertThrows(CacheException.class, () -> LatentCache.open(dir, builder("vae@1", vae()).fingerprint()));
            assertTrue(e.getMessage().contains("run `bkd cache merge"), e.getMessage());
            e = assertThrows(CacheException.class, () -> builder("vae@1", vae()).build(dir, m));
            assertTrue(e.getMessage().contains("holds slices of a sharded build"), e.getMessage());
        }
    }

    @Test
    void slicesOfAnotherNOrOtherSettingsAreRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            Path dir = tmp.resolve("mixed");
            CacheSlices.build(builder("vae@1", vae()), dir, new CacheSlice(0, 2), m);
            CacheException e = assertThrows(CacheException.class,
                    () -> CacheSlices.build(builder("vae@1", vae()), dir, new CacheSlice(1, 3), m));
            assertTrue(e.getMessage().contains("holds slice 0/2 but this is slice 1/3"), e.getMessage());
            e = assertThrows(CacheException.class,
                    () -> CacheSlices.build(builder("vae@2", vae()), dir, new CacheSlice(1, 2), m));
            assertTrue(e.getMessage().contains("encoder: cached vae@1, now vae@2"), e.getMessage());
            e = assertThrows(CacheException.class,
                    () -> CacheSlices.build(builder("vae@1", vae()).shardSize(3), dir, new CacheSlice(1, 2), m));
            assertTrue(e.getMessage().contains("used 2 items per shard, this one 3"), e.getMessage());
        }
    }

    @Test
    void aKilledSliceRerunsAloneAndKeepsItsFinishedShards() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Path dir = tmp.resolve("killed");
            CacheSlices.build(builder("vae@1", vae()), dir, new CacheSlice(0, 2), m);
            AtomicInteger calls = new AtomicInteger();
            ImageEncoder dying = (pixels, mm) -> {
                if (calls.incrementAndGet() == 2) {
                    throw new IllegalStateException("simulated kill in shard 3");
                }
                return vae().encode(pixels, mm);
            };
            assertThrows(IllegalStateException.class,
                    () -> CacheSlices.build(builder("vae@1", dying), dir, new CacheSlice(1, 2), m));
            // another slice's half-written temp file must survive this slice's cleanup; its own is removed
            Files.writeString(dir.resolve(".shard-00001.safetensors.tmp-77"), "slice 0 writing");
            Files.writeString(dir.resolve(".shard-00003.safetensors.tmp-78"), "half of ours");
            encoded.set(0);
            CacheSlices.build(builder("vae@1", vae()), dir, new CacheSlice(1, 2), m);
            assertEquals(1, encoded.get(), "only shard 3 (item 6) is encoded again");
            assertTrue(Files.exists(dir.resolve(".shard-00001.safetensors.tmp-77")));
            assertFalse(Files.exists(dir.resolve(".shard-00003.safetensors.tmp-78")));
            Files.delete(dir.resolve(".shard-00001.safetensors.tmp-77"));
            CacheSlices.merge(dir);
            assertEquals(contents(single(m)), contents(dir));
        }
    }

    @Test
    void writeRefusesShardsThatDoNotCoverTheCache() {
        try (NDManager m = NDManager.newBaseManager()) {
            Path dir = tmp.resolve("tasks");
            CacheBuilder b = builder("vae@1", vae());
            CacheShard s0 = b.encodeShard(dir, 0, m);
            CacheShard s2 = b.encodeShard(dir, 2, m);
            CacheException e = assertThrows(CacheException.class,
                    () -> CacheSlices.write(dir, b.fingerprint(), 2, java.util.List.of(s2, s0)));
            assertTrue(e.getMessage().contains("shard(s) [1, 3] of 4 are missing"), e.getMessage());
            CacheShard bogus = new CacheShard(0, s0.file(), new int[] {0});
            e = assertThrows(CacheException.class,
                    () -> CacheSlices.write(dir, b.fingerprint(), 2, java.util.List.of(s0, bogus)));
            assertTrue(e.getMessage().contains("shard 0 was encoded twice with different items"), e.getMessage());
        }
    }

    @Test
    void sliceSyntaxIsCheckedWithAHint() {
        assertEquals(new CacheSlice(3, 8), CacheSlice.parse("3/8"));
        for (String bad : new String[] {"8/8", "-1/4", "1", "a/4", "1/0"}) {
            CacheException e = assertThrows(CacheException.class, () -> CacheSlice.parse(bad), bad);
            assertTrue(e.getMessage().contains("I/N"), e.getMessage());
        }
    }
}
