package dev.bkd.train.vae;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.bkd.core.random.Generator;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.DataPosition;
import dev.bkd.train.data.EpochSampler;
import dev.bkd.train.data.ImageBatches;
import dev.bkd.train.data.ImageTransform;
import dev.bkd.train.loop.BatchSource;
import dev.bkd.train.loop.CleanBatch;

/**
 * Micro-batches of pixels for training the autoencoder itself: the "latents" of the batch are the images
 * (B, 3, H, W) in [-1, 1]; there is no text conditioning (an empty (B, 0, 0) array stands in).
 */
public final class PixelSource implements BatchSource {
    private final CaptionedDataset data;
    private final ImageTransform transform;
    private final long seed;
    private final int batchSize;
    private ImageBatches batches;

    public PixelSource(CaptionedDataset data, ImageTransform transform, long seed, int batchSize) {
        this.data = data;
        this.transform = transform;
        this.seed = seed;
        this.batchSize = batchSize;
        seek(DataPosition.start());
    }

    @Override
    public CleanBatch next(NDManager manager, Generator rng) {
        ImageBatches.Batch b = batches.next(manager);
        return new CleanBatch(b.pixels(), manager.zeros(new Shape(b.size(), 0, 0)), b.captions());
    }

    @Override
    public DataPosition position() {
        return batches.position();
    }

    @Override
    public void seek(DataPosition position) {
        batches = new ImageBatches(data, transform, new EpochSampler(data.size(), seed, true, position), batchSize,
                false);
    }

    @Override
    public int size() {
        return data.size();
    }
}
