package dev.bkd.train.data;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageBatchesTest {
    @TempDir
    Path root;
    CaptionedDataset data;
    final ImageTransform transform = new ImageTransform(8, false, true);

    @BeforeEach
    void sevenImages() throws IOException {
        data = TinyImages.captioned(root, 7);
    }

    private ImageBatches batches(long seed, DataPosition at, int batchSize, boolean dropLast) {
        return new ImageBatches(data, transform, new EpochSampler(data.size(), seed, true, at), batchSize, dropLast);
    }

    record Seen(List<Integer> items, List<String> captions, float[] pixels) {}

    private static List<Seen> take(ImageBatches b, int n, NDManager m) {
        List<Seen> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try (NDManager step = m.newSubManager()) {
                ImageBatches.Batch batch = b.next(step);
                List<Integer> items = new ArrayList<>();
                for (int it : batch.items()) {
                    items.add(it);
                }
                out.add(new Seen(items, batch.captions(), batch.pixels().toFloatArray()));
            }
        }
        return out;
    }

    @Test
    void everyEpochVisitsEachItemOnceInBatchesThatDoNotSpanEpochs() {
        try (NDManager m = NDManager.newBaseManager()) {
            ImageBatches b = batches(3, DataPosition.start(), 3, false);
            List<Seen> seen = take(b, 6, m); // 3 + 3 + 1 per epoch
            assertEquals(List.of(3, 3, 1, 3, 3, 1), seen.stream().map(s -> s.items().size()).toList());
            for (int epoch = 0; epoch < 2; epoch++) {
                Set<Integer> items = new HashSet<>();
                for (Seen s : seen.subList(3 * epoch, 3 * epoch + 3)) {
                    items.addAll(s.items());
                    for (int k = 0; k < s.items().size(); k++) {
                        assertEquals("caption " + s.items().get(k), s.captions().get(k));
                    }
                }
                assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6), items);
            }
            List<Integer> e0 = new ArrayList<>();
            List<Integer> e1 = new ArrayList<>();
            seen.subList(0, 3).forEach(s -> e0.addAll(s.items()));
            seen.subList(3, 6).forEach(s -> e1.addAll(s.items()));
            assertNotEquals(e0, e1, "epochs are reshuffled");
            assertEquals(new DataPosition(1, 7), b.position());
            try (NDManager step = m.newSubManager()) {
                ImageBatches.Batch batch = b.next(step);
                assertEquals(new Shape(3, 3, 8, 8), batch.pixels().getShape());
                float[] px = batch.pixels().toFloatArray();
                for (float v : px) {
                    assertTrue(v >= -1f && v <= 1f);
                }
            }
        }
    }

    @Test
    void resumingAtASavedPositionSeesTheSameBatches() {
        try (NDManager m = NDManager.newBaseManager()) {
            List<Seen> straight = take(batches(11, DataPosition.start(), 2, false), 9, m);
            ImageBatches first = batches(11, DataPosition.start(), 2, false);
            take(first, 5, m);
            DataPosition saved = first.position();
            List<Seen> resumed = take(batches(11, saved, 2, false), 4, m);
            for (int i = 0; i < 4; i++) {
                Seen a = straight.get(5 + i);
                Seen b = resumed.get(i);
                assertEquals(a.items(), b.items(), "batch " + (5 + i));
                assertArrayEquals(a.pixels(), b.pixels(), "augmentation is replayed too");
            }
            List<Seen> otherSeed = take(batches(12, DataPosition.start(), 2, false), 4, m);
            assertNotEquals(straight.get(0).items(), otherSeed.get(0).items());
        }
    }

    @Test
    void dropLastKeepsOnlyFullBatches() {
        try (NDManager m = NDManager.newBaseManager()) {
            List<Seen> seen = take(batches(5, DataPosition.start(), 3, true), 5, m);
            for (Seen s : seen) {
                assertEquals(3, s.items().size());
            }
        }
    }

    @Test
    void anImageThatFailsToDecodeIsSkippedCountedOnceAndReplaced() throws IOException {
        Path broken = root.resolve("img3.png");
        TinyImages.png(broken, 64, 64, 99);
        byte[] bytes = Files.readAllBytes(broken);
        data = CaptionedDataset.open(root, DatasetOptions.defaults());
        // the header still probes fine; the pixel data is cut short
        Files.write(broken, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        try (NDManager m = NDManager.newBaseManager()) {
            List<Seen> seen = take(batches(1, DataPosition.start(), 3, false), 6, m);
            assertEquals(3, seen.get(0).items().size());
            assertEquals(3, seen.get(1).items().size());
            Set<Integer> items = new HashSet<>();
            seen.subList(0, 2).forEach(s -> items.addAll(s.items()));
            assertEquals(Set.of(0, 1, 2, 4, 5, 6), items, "6 decodable images fill the first epoch's two batches");
            assertFalse(seen.stream().anyMatch(s -> s.items().contains(3)));
            assertEquals(1, data.report().counts().get(SkipReason.UNREADABLE_IMAGE), "reported once over 2 epochs");
            assertTrue(data.report().skips().get(0).origin().equals("img3.txt"), data.report().skips().get(0).origin());
        }
    }
}
