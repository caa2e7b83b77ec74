package dev.bkd.train.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.random.Generator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Batches of transformed images and captions. A batch never spans two epochs (the last one may be short unless
 * {@code dropLast}); an image that fails to decode is skipped, counted in the dataset report, and replaced by
 * the next item (fatal when the dataset is strict).
 */
public final class ImageBatches {
    /** Pixels (B, 3, H, W) in [-1, 1], one caption per image, and the dataset indices of the images. */
    public record Batch(NDArray pixels, List<String> captions, int[] items) {
        /** Number of images. */
        public int size() {
            return items.length;
        }
    }

    private final CaptionedDataset data;
    private final ImageTransform transform;
    private final EpochSampler sampler;
    private final int batchSize;
    private final boolean dropLast;
    private final Set<Integer> broken = new HashSet<>();

    /** Batches of {@code batchSize} drawn in {@code sampler}'s order (it carries the seed and position). */
    public ImageBatches(CaptionedDataset data, ImageTransform transform, EpochSampler sampler, int batchSize,
                        boolean dropLast) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.data = data;
        this.transform = transform;
        this.sampler = sampler;
        this.batchSize = batchSize;
        this.dropLast = dropLast;
    }

    /**
     * A batch still in Java memory (no NDArray, so another thread may make it): pixels (B*3*n*n) in [-1, 1], and
     * the data position right after it.
     */
    public record HostBatch(float[] pixels, int resolution, List<String> captions, int[] items, DataPosition after) {
        /** The batch with its pixels created in {@code manager}. */
        public Batch toBatch(NDManager manager) {
            int n = resolution;
            NDArray x = manager.create(pixels, new Shape(items.length, 3, n, n));
            return new Batch(x, captions, items);
        }
    }

    /** The next batch, its pixels created in {@code manager}. */
    public Batch next(NDManager manager) {
        return nextHost().toBatch(manager);
    }

    /** The next batch loaded, decoded and transformed, before any NDArray exists (what a prefetch thread runs). */
    public HostBatch nextHost() {
        int n = transform.resolution();
        int failuresInARow = 0;
        while (true) {
            if (sampler.remainingInEpoch() == 0 || (dropLast && sampler.remainingInEpoch() < batchSize)) {
                sampler.nextEpoch();
            }
            long epoch = sampler.epoch();
            List<float[]> pixels = new ArrayList<>();
            List<String> captions = new ArrayList<>();
            List<Integer> items = new ArrayList<>();
            while (pixels.size() < batchSize && sampler.remainingInEpoch() > 0) {
                int i = sampler.next();
                Generator rng = EpochSampler.itemRandom(sampler.seed(), epoch, i);
                ImageTransform.Sample sample = load(i, rng);
                if (sample == null) {
                    if (++failuresInARow > data.size()) {
                        throw new DatasetException(data.root() + ": no image decodes; " + data.report().summary());
                    }
                    continue;
                }
                failuresInARow = 0;
                pixels.add(sample.pixels());
                captions.add(sample.caption());
                items.add(i);
            }
            if (pixels.isEmpty() || (dropLast && pixels.size() < batchSize)) {
                continue;
            }
            float[] flat = new float[pixels.size() * 3 * n * n];
            for (int b = 0; b < pixels.size(); b++) {
                System.arraycopy(pixels.get(b), 0, flat, b * 3 * n * n, 3 * n * n);
            }
            return new HostBatch(flat, n, List.copyOf(captions), items.stream().mapToInt(Integer::intValue).toArray(),
                    sampler.position());
        }
    }

    /** Item {@code i} transformed, or null after recording why it cannot be decoded. */
    private ImageTransform.Sample load(int i, Generator rng) {
        CaptionedImage item = data.get(i);
        if (broken.contains(i)) {
            return null;
        }
        try {
            return transform.load(item, rng);
        } catch (IOException e) {
            broken.add(i); // reported once, skipped silently in later epochs
            data.report().skip(SkipReason.UNREADABLE_IMAGE, item.origin(), "`" + item.relativePath() + "`: "
                    + e.getMessage());
            return null;
        }
    }

    /** The position to save with a checkpoint. */
    public DataPosition position() {
        return sampler.position();
    }
}
