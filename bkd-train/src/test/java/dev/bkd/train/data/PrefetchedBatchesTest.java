package dev.bkd.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading ahead changes nothing: the batches (items, captions, augmented pixels) and the saved positions are those
 * of plain {@link ImageBatches} with the same seed, across epochs and after a resume; a dataset that cannot be
 * read fails on the training thread with the loader's own exception.
 */
class PrefetchedBatchesTest {
    @TempDir
    Path root;
    CaptionedDataset data;
    // random flip on, so augmentation randomness is part of what must match
    final ImageTransform transform = new ImageTransform(8, false, true);

    @BeforeEach
    void sevenImages() throws IOException {
        data = TinyImages.captioned(root, 7);
    }

    private ImageBatches plain(DataPosition at) {
        return new ImageBatches(data, transform, new EpochSampler(data.size(), 5, true, at), 3, false);
    }

    record Seen(List<Integer> items, List<String> captions, float[] pixels, DataPosition after) {}

    interface Next {
        ImageBatches.Batch next(NDManager m);
    }

    private static List<Seen> take(Next b, java.util.function.Supplier<DataPosition> pos, int n) {
        List<Seen> out = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < n; i++) {
                ImageBatches.Batch batch = b.next(m);
                List<Integer> items = new ArrayList<>();
                for (int it : batch.items()) {
                    items.add(it);
                }
                out.add(new Seen(items, batch.captions(), batch.pixels().toFloatArray(), pos.get()));
            }
        }
        return out;
    }

    private static void assertSame(List<Seen> want, List<Seen> got) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            assertEquals(want.get(i).items(), got.get(i).items(), "batch " + i);
            assertEquals(want.get(i).captions(), got.get(i).captions(), "batch " + i);
            assertArrayEquals(want.get(i).pixels(), got.get(i).pixels(), "batch " + i);
            assertEquals(want.get(i).after(), got.get(i).after(), "position after batch " + i);
        }
    }

    @Test
    void sameBatchesAndPositionsAsWithoutPrefetchAcrossEpochsAndAfterAResume() {
        ImageBatches p = plain(DataPosition.start());
        List<Seen> want = take(p::next, p::position, 8); // 3 + 3 + 1 per epoch: spans three epochs
        try (PrefetchedBatches f = new PrefetchedBatches(plain(DataPosition.start()), 2)) {
            assertSame(want, take(f::next, f::position, 8));
        }
        DataPosition mid = want.get(3).after();
        try (PrefetchedBatches f = new PrefetchedBatches(plain(mid), 1)) {
            assertSame(want.subList(4, 8), take(f::next, f::position, 4));
        }
    }

    @Test
    void aDatasetThatCannotBeReadFailsOnTheTrainingThread() throws IOException {
        for (int i = 0; i < 7; i++) {
            Files.writeString(root.resolve("img" + i + ".png"), "not a png");
        }
        try (PrefetchedBatches f = new PrefetchedBatches(plain(DataPosition.start()), 2);
             NDManager m = NDManager.newBaseManager()) {
            DatasetException e = assertThrows(DatasetException.class, () -> f.next(m));
            assertTrue(e.getMessage().contains("no image decodes"), e.getMessage());
            assertThrows(DatasetException.class, () -> f.next(m), "later calls fail the same way, never hang");
        }
    }
}
