package dev.bkd.train.loop;

import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.ConfigException;
import dev.bkd.train.cache.CacheBuilder;
import dev.bkd.train.cache.CaptionEncoder;
import dev.bkd.train.cache.ImageEncoder;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.ImageTransform;

/** Opens a run's {@link BatchSource}: straight from the images, or from a latent cache built (or reused) first. */
public final class Sources {
    private Sources() {}

    public static BatchSource open(DataOptions d, TrainConfig t, FrozenEncoders enc, NDManager root) {
        return open(d, t, enc, root, null);
    }

    /**
     * As above, with extra UNet channels made from the pixels of every batch (null: none); those need the images,
     * so they cannot come from a latent cache.
     */
    public static BatchSource open(DataOptions d, TrainConfig t, FrozenEncoders enc, NDManager root,
                                   PixelConditioning conditioning) {
        CaptionedDataset dataset = CaptionedDataset.open(d.data(), d.dataset());
        if (d.cacheDir() == null) {
            return new ImageSource(dataset, transform(d), t.seed(), t.batchSize(), enc, conditioning);
        }
        if (conditioning != null) {
            throw new ConfigException("--cache-latents " + d.cacheDir() + ": this model takes extra input channels"
                    + " (an inpainting UNet: mask and masked-image latents) made from the images at every step, so"
                    + " a latent cache cannot feed it; drop --cache-latents");
        }
        CacheBuilder builder = cacheBuilder(dataset, d, t.seed(), t.batchSize(), enc);
        return new CachedSource(builder.build(d.cacheDir(), root), enc, t.seed(), t.batchSize());
    }

    /**
     * The cache builder a training run with these data options, seed and micro-batch uses. {@code bkd cache build}
     * and the Spark job build through it too, so their caches are the one a run would write and reuse.
     */
    public static CacheBuilder cacheBuilder(CaptionedDataset dataset, DataOptions d, long seed, int batchSize,
                                            FrozenEncoders enc) {
        return cacheBuilder(dataset, d, seed, batchSize, enc.fingerprint(), enc, enc);
    }

    /** {@link #cacheBuilder} with the encoders given apart from their fingerprint (see {@link FrozenEncoders#fingerprint(java.nio.file.Path, ai.djl.ndarray.types.DataType)}). */
    public static CacheBuilder cacheBuilder(CaptionedDataset dataset, DataOptions d, long seed, int batchSize,
                                            String encoderId, ImageEncoder images, CaptionEncoder captions) {
        return new CacheBuilder(dataset, transform(d), seed, encoderId, images, captions).batchSize(batchSize);
    }

    private static ImageTransform transform(DataOptions d) {
        return new ImageTransform(d.resolution(), d.centerCrop(), d.randomFlip());
    }
}
