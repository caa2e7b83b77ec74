package dev.bkd.spark;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.testing.RefData;
import dev.bkd.train.cache.CacheException;
import dev.bkd.train.cache.LatentCache;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.loop.FrozenEncoders;
import dev.bkd.train.loop.Sources;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.SparkConf;
import org.apache.spark.Success$;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark job in local mode against the single-process build on the tiny reference encoders. */
class CacheJobTest {
    @TempDir
    static Path tmp;
    static JavaSparkContext sc;
    static final AtomicInteger failedAttempts = new AtomicInteger();

    @BeforeAll
    static void sparkAndImages() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        for (int i = 0; i < 5; i++) {
            Random r = new Random(i);
            BufferedImage img = new BufferedImage(40 + i, 36, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    img.setRGB(x, y, r.nextInt(1 << 24));
                }
            }
            ImageIO.write(img, "png", images.resolve("img" + i + ".png").toFile());
            Files.writeString(images.resolve("img" + i + ".txt"), "a picture number " + i);
        }
        // local[2,2]: two task threads, a task may fail once and is retried (spark.task.maxFailures in local mode)
        SparkConf conf = new SparkConf().setMaster("local[2,2]").setAppName("bkd-cache-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1");
        sc = new JavaSparkContext(conf);
        sc.sc().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.reason() != Success$.MODULE$) {
                    failedAttempts.incrementAndGet();
                }
            }
        });
    }

    @AfterAll
    static void stop() {
        if (sc != null) {
            sc.close();
        }
    }

    static CacheJobOptions options(Path out) {
        return new CacheJobOptions(RefData.models().toString(), tmp.resolve("images").toString(), out.toString(), 32,
                true, true, "text", false, 3, 2, 2);
    }

    static Map<String, byte[]> files(Path dir) throws Exception {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                out.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    /** The same cache from one process, as `bkd cache build` and a training run's --cache-latents build it. */
    static Path singleProcess() {
        Path dir = tmp.resolve("single");
        CacheJobOptions o = options(dir);
        try (NDManager m = NDManager.newBaseManager();
             FrozenEncoders enc = FrozenEncoders.load(RefData.models(), m, DataType.FLOAT32)) {
            CaptionedDataset data = CaptionedDataset.open(tmp.resolve("images"), o.dataOptions().dataset());
            Sources.cacheBuilder(data, o.dataOptions(), o.seed(), o.batch(), enc).shardSize(2).build(dir, m).close();
        }
        return dir;
    }

    @Test
    void theJobWritesTheSingleProcessCacheByteForByteAlsoWhenATaskIsRetried() throws Exception {
        Path out = tmp.resolve("spark");
        sc.setLocalProperty(CacheJob.FAIL_ONCE_PROPERTY, "1");
        try {
            assertEquals(3, CacheJob.run(sc, options(out)).size(), "5 items, 2 per shard: 3 tasks");
        } finally {
            sc.setLocalProperty(CacheJob.FAIL_ONCE_PROPERTY, null);
        }
        assertTrue(failedAttempts.get() >= 1, "the first attempt of shard 1's task failed and was retried");
        Map<String, byte[]> want = files(singleProcess());
        Map<String, byte[]> got = files(out);
        assertEquals(List.of("cache.json", "shard-00000.safetensors", "shard-00001.safetensors",
                "shard-00002.safetensors"), List.copyOf(want.keySet()));
        assertEquals(want.keySet(), got.keySet());
        for (String k : want.keySet()) {
            assertArrayEquals(want.get(k), got.get(k), k + " differs");
        }
        assertTrue(CacheJob.run(sc, options(out)).isEmpty(), "a complete cache is left alone");
        try (NDManager m = NDManager.newBaseManager();
             FrozenEncoders enc = FrozenEncoders.load(RefData.models(), m, DataType.FLOAT32)) {
            CaptionedDataset data = CaptionedDataset.open(tmp.resolve("images"), options(out).dataOptions().dataset());
            try (LatentCache c = LatentCache.open(out, Sources.cacheBuilder(data, options(out).dataOptions(), 3, 2, enc)
                    .fingerprint())) {
                assertEquals(5, c.size(), "a training run with the same settings opens it");
            }
        }
    }

    @Test
    void webdatasetShardsGiveTheSameShardFilesAsTheImageFolder() throws Exception {
        // the same five samples as img2dataset would store them: 00000.tar holds 0-2, 00001.tar holds 3-4
        Path shards = Files.createDirectories(tmp.resolve("wds"));
        for (int s = 0; s < 2; s++) {
            List<String> cmd = new java.util.ArrayList<>(List.of("tar", "-cf",
                    shards.resolve(String.format("%05d.tar", s)).toString(), "-C", tmp.resolve("images").toString()));
            for (int i = s * 3; i < Math.min(5, s * 3 + 3); i++) {
                cmd.addAll(List.of("img" + i + ".png", "img" + i + ".txt"));
            }
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            } catch (java.io.IOException noTar) {
                org.junit.jupiter.api.Assumptions.abort("no tar command: " + noTar.getMessage());
                return;
            }
            String log = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), log);
        }
        Path out = tmp.resolve("spark-wds");
        CacheJobOptions folder = options(out);
        CacheJobOptions tars = new CacheJobOptions(folder.model(), shards.resolve("{00000..00001}.tar").toString(),
                out.toString(), 32, true, true, "text", false, 3, 2, 2);
        assertEquals(3, CacheJob.run(sc, tars).size());
        Path single = Files.exists(tmp.resolve("single/cache.json")) ? tmp.resolve("single") : singleProcess();
        for (int s = 0; s < 3; s++) {
            String f = String.format("shard-%05d.safetensors", s);
            assertArrayEquals(Files.readAllBytes(single.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
    }

    @Test
    void aFolderWithOtherFilesIsRefusedBeforeAnyTaskRuns() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("busy"));
        Files.writeString(out.resolve("notes.txt"), "mine");
        CacheException e = assertThrows(CacheException.class, () -> CacheJob.run(sc, options(out)));
        assertTrue(e.getMessage().contains("not part of a latent cache [notes.txt]"), e.getMessage());
    }

    @Test
    void argumentsParseLikeBkdCacheBuild() {
        CacheJobOptions o = CacheJobCli.parse("--model", "m", "--data", "d/{00000..00003}.tar", "--out", "c",
                "--resolution", "256", "--center-crop", "--seed", "7", "--batch", "4", "--shard-size", "64");
        assertTrue(o.data().endsWith("d/{00000..00003}.tar"), o.data());
        assertEquals(256, o.resolution());
        assertTrue(o.centerCrop() && !o.randomFlip());
        assertEquals(7, o.seed());
        assertEquals(64, o.shardSize());
        assertThrows(picocli.CommandLine.ParameterException.class, () -> CacheJobCli.parse("--model", "m"));
    }
}
