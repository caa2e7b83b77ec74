package dev.bkd.train.cache;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.data.EpochSampler;
import dev.bkd.train.data.ImageTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatentCacheTest {
    @TempDir
    Path tmp;
    Path images;
    CaptionedDataset data;
    final ImageTransform transform = new ImageTransform(8, false, true);
    final AtomicInteger imagesEncoded = new AtomicInteger();

    @BeforeEach
    void sevenImages() throws IOException {
        images = sevenImages(tmp.resolve("images"));
        data = CaptionedDataset.open(images, DatasetOptions.defaults());
    }

    /** Seven small random PNGs of different widths with .txt captions "caption number i". */
    static Path sevenImages(Path images) throws IOException {
        Files.createDirectories(images);
        for (int i = 0; i < 7; i++) {
            Random r = new Random(i);
            BufferedImage img = new BufferedImage(9 + i, 8, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    img.setRGB(x, y, r.nextInt(1 << 24));
                }
            }
            ImageIO.write(img, "png", images.resolve("i" + i + ".png").toFile());
            Files.writeString(images.resolve("i" + i + ".txt"), "caption number " + i);
        }
        return images;
    }

    /** Fake VAE: per-channel means (B, 3) and a constant std (B, 2, 2). */
    ImageEncoder fakeVae() {
        return (pixels, m) -> {
            imagesEncoded.addAndGet((int) pixels.getShape().get(0));
            NDArray mean = pixels.reshape(pixels.getShape().get(0), 3, -1).mean(new int[] {2});
            return Map.of("latent_mean", mean, "latent_std", m.ones(new Shape(pixels.getShape().get(0), 2, 2)));
        };
    }

    /** Fake text encoder: (length, first char) per caption. */
    static CaptionEncoder fakeClip() {
        return (captions, m) -> {
            float[] out = new float[captions.size() * 2];
            for (int i = 0; i < captions.size(); i++) {
                out[2 * i] = captions.get(i).length();
                out[2 * i + 1] = captions.get(i).charAt(captions.get(i).length() - 1);
            }
            return Map.of("prompt_embeds", m.create(out, new Shape(captions.size(), 2)));
        };
    }

    CacheBuilder builder(String encoderId, ImageEncoder vae) {
        return new CacheBuilder(data, transform, 5, encoderId, vae, fakeClip()).shardSize(2).batchSize(2);
    }

    /** What item i must hold, computed in plain Java from the transform's output. */
    double[] expectedMeans(int i) throws IOException {
        float[] px = transform.load(data.get(i), EpochSampler.itemRandom(5, 0, i)).pixels();
        double[] mean = new double[3];
        for (int c = 0; c < 3; c++) {
            for (int k = 0; k < 64; k++) {
                mean[c] += px[c * 64 + k] / 64.0;
            }
        }
        return mean;
    }

    @Test
    void everyItemIsEncodedOnceAndReadBack() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); LatentCache cache = builder("vae@abc", fakeVae()).build(tmp.resolve("c"), m)) {
            assertEquals(7, imagesEncoded.get());
            assertEquals(7, cache.size());
            assertEquals(java.util.Set.of("latent_mean", "latent_std", "prompt_embeds"), cache.outputs());
            assertEquals(4, Files.list(tmp.resolve("c")).filter(p -> p.toString().endsWith(".safetensors")).count());
            for (int i = 0; i < 7; i++) {
                try (NDManager step = m.newSubManager()) {
                    Map<String, NDArray> item = cache.item(i, step);
                    double[] want = expectedMeans(i);
                    float[] got = item.get("latent_mean").toFloatArray();
                    for (int c = 0; c < 3; c++) {
                        assertEquals(want[c], got[c], 1e-5, "item " + i + " channel " + c);
                    }
                    String caption = "caption number " + i;
                    assertEquals(caption, cache.caption(i));
                    assertArrayEquals(new float[] {caption.length(), caption.charAt(caption.length() - 1)},
                            item.get("prompt_embeds").toFloatArray());
                }
            }
            try (NDManager step = m.newSubManager()) {
                Map<String, NDArray> b = cache.batch(new int[] {6, 0, 3}, step);
                assertEquals(new Shape(3, 2, 2), b.get("latent_std").getShape());
                assertEquals('6', (char) b.get("prompt_embeds").getFloat(0, 1));
                assertEquals('3', (char) b.get("prompt_embeds").getFloat(2, 1));
            }
        }
    }

    @Test
    void aCacheBuiltForOtherSettingsIsRefusedNamingTheDifference() {
        try (NDManager m = NDManager.newBaseManager()) {
            CacheBuilder b = builder("vae@abc", fakeVae());
            b.build(tmp.resolve("c"), m).close();
            CacheFingerprint other = new CacheFingerprint("vae@abc", 16, false, true, 5, data.listingHash(), 7);
            CacheException e = assertThrows(CacheException.class, () -> LatentCache.open(tmp.resolve("c"), other));
            assertTrue(e.getMessage().contains("resolution: cached 8, now 16"), e.getMessage());
            e = assertThrows(CacheException.class, () -> builder("vae@def", fakeVae()).build(tmp.resolve("c"), m));
            assertTrue(e.getMessage().contains("encoder: cached vae@abc, now vae@def"), e.getMessage());
            try (LatentCache again = LatentCache.open(tmp.resolve("c"), b.fingerprint())) {
                assertEquals(7, again.size());
            }
        }
    }

    @Test
    void anInterruptedBuildResumesWithoutRedoingFinishedShards() throws IOException {
        Path dir = tmp.resolve("c");
        AtomicInteger calls = new AtomicInteger();
        ImageEncoder dying = (pixels, m) -> {
            if (calls.incrementAndGet() == 3) {
                throw new IllegalStateException("simulated crash in shard 2");
            }
            return fakeVae().encode(pixels, m);
        };
        try (NDManager m = NDManager.newBaseManager()) {
            assertThrows(IllegalStateException.class, () -> builder("vae@abc", dying).build(dir, m));
            Files.writeString(dir.resolve(".shard-00002.safetensors.tmp-123"), "half a shard");
            CacheException e = assertThrows(CacheException.class,
                    () -> LatentCache.open(dir, builder("vae@abc", fakeVae()).fingerprint()));
            assertTrue(e.getMessage().contains("interrupted (2 shard(s) done)"), e.getMessage());

            imagesEncoded.set(0);
            try (LatentCache cache = builder("vae@abc", fakeVae()).build(dir, m)) {
                assertEquals(3, imagesEncoded.get(), "only shards 2 and 3 (items 4, 5, 6) are encoded again");
                assertEquals(7, cache.size());
                assertFalse(Files.exists(dir.resolve(".shard-00002.safetensors.tmp-123")));
                try (NDManager step = m.newSubManager()) {
                    assertEquals(expectedMeans(5)[1], cache.item(5, step).get("latent_mean").getFloat(1), 1e-5);
                }
            }
        }
    }

    @Test
    void imagesThatFailToDecodeAreLeftOutAndMapped() throws IOException {
        byte[] bytes = Files.readAllBytes(images.resolve("i2.png"));
        Files.write(images.resolve("i2.png"), java.util.Arrays.copyOf(bytes, 40)); // header only
        try (NDManager m = NDManager.newBaseManager(); LatentCache cache = builder("vae", fakeVae()).build(tmp.resolve("c"), m)) {
            assertEquals(6, cache.size());
            assertEquals(List.of(0, 1, 3, 4, 5, 6), java.util.stream.IntStream.range(0, 6).map(cache::datasetIndex).boxed().toList());
            assertEquals("caption number 3", cache.caption(2));
            assertEquals(1, data.report().skips().size());
        }
    }

    @Test
    void encoderOutputsMustLeadWithTheBatch() {
        ImageEncoder wrong = (pixels, m) -> Map.of("latent", m.zeros(new Shape(1, 4)));
        try (NDManager m = NDManager.newBaseManager()) {
            CacheException e = assertThrows(CacheException.class, () -> builder("x", wrong).build(tmp.resolve("c"), m));
            assertTrue(e.getMessage().contains("`latent` with shape (1, 4) for a batch of 2"), e.getMessage());
        }
    }
}
