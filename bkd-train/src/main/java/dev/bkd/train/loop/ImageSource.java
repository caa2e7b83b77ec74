package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.random.Generator;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.DataPosition;
import dev.bkd.train.data.EpochSampler;
import dev.bkd.train.data.ImageBatches;
import dev.bkd.train.data.ImageTransform;
import dev.bkd.train.data.PrefetchedBatches;
import java.util.Map;

/**
 * Micro-batches straight from the images: transform, then the frozen VAE and text encoder on every step. Loading,
 * decoding and augmenting run {@value #PREFETCH} batches ahead on a background thread ({@link PrefetchedBatches}).
 */
public final class ImageSource implements BatchSource {
    private final CaptionedDataset data;
    private final ImageTransform transform;
    private final long seed;
    private final int batchSize;
    private final FrozenEncoders encoders;
    private final PixelConditioning conditioning;
    /** Batches read ahead: one in the queue and one being made while the step runs. */
    static final int PREFETCH = 2;
    private PrefetchedBatches batches;

    /** Shuffled epochs drawn from {@code seed} (augmentation too), starting at the beginning. */
    public ImageSource(CaptionedDataset data, ImageTransform transform, long seed, int batchSize,
                       FrozenEncoders encoders) {
        this(data, transform, seed, batchSize, encoders, null);
    }

    /** As above, with extra UNet channels made from every batch's pixels (null: none). */
    public ImageSource(CaptionedDataset data, ImageTransform transform, long seed, int batchSize,
                       FrozenEncoders encoders, PixelConditioning conditioning) {
        this.conditioning = conditioning;
        this.data = data;
        this.transform = transform;
        this.seed = seed;
        this.batchSize = batchSize;
        this.encoders = encoders;
        seek(DataPosition.start());
    }

    @Override
    public CleanBatch next(NDManager manager, Generator rng) {
        ImageBatches.Batch b = batches.next(manager);
        Map<String, NDArray> posterior = encoders.encode(b.pixels(), manager);
        NDArray latents = encoders.sampleLatents(posterior.get(FrozenEncoders.LATENT_MEAN),
                posterior.get(FrozenEncoders.LATENT_STD), rng);
        NDArray text = encoders.encode(b.captions(), manager).get(FrozenEncoders.PROMPT_EMBEDS);
        NDArray extra = conditioning == null ? null : conditioning.condition(b.pixels(), rng, manager);
        return new CleanBatch(latents, text, b.captions(), extra);
    }

    @Override
    public DataPosition position() {
        return batches.position();
    }

    @Override
    public void seek(DataPosition position) {
        close();
        EpochSampler sampler = new EpochSampler(data.size(), seed, true, position);
        batches = new PrefetchedBatches(new ImageBatches(data, transform, sampler, batchSize, false), PREFETCH);
    }

    @Override
    public int size() {
        return data.size();
    }

    /** Stops the read-ahead thread. */
    @Override
    public void close() {
        if (batches != null) {
            batches.close();
        }
    }
}
