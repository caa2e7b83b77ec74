package dev.bkd.train.loop;

import ai.djl.ndarray.NDManager;
import dev.bkd.train.cache.CacheBuilder;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.ImageTransform;

/** Opens a run's {@link BatchSource}: straight from the images, or from a latent cache built (or reused) first. */
public final class Sources {
    private Sources() {}

    public static BatchSource open(DataOptions d, TrainConfig t, FrozenEncoders enc, NDManager root) {
        CaptionedDataset dataset = CaptionedDataset.open(d.data(), d.dataset());
        ImageTransform transform = new ImageTransform(d.resolution(), d.centerCrop(), d.randomFlip());
        if (d.cacheDir() == null) {
            return new ImageSource(dataset, transform, t.seed(), t.batchSize(), enc);
        }
        CacheBuilder builder = new CacheBuilder(dataset, transform, t.seed(), enc.fingerprint(), enc, enc)
                .batchSize(t.batchSize());
        return new CachedSource(builder.build(d.cacheDir(), root), enc, t.seed(), t.batchSize());
    }
}
