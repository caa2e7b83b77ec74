package dev.bkd.train.loop;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.bkd.core.random.Generator;
import dev.bkd.train.data.CaptionedDataset;
import dev.bkd.train.data.DataPosition;
import dev.bkd.train.data.DatasetException;
import dev.bkd.train.data.DatasetOptions;
import dev.bkd.train.data.ImageTransform;
import java.nio.file.Path;

/**
 * The held-out images of the validation loss ({@code --eval-data}): at most {@code count} captioned images of a
 * folder the run does not train on, centre-cropped and never flipped, picked once from a fixed seed (so a resumed
 * run picks the same ones). The pipeline's VAE and text encoder are loaded only for the one draw and freed right
 * after it, so they take no memory while the run trains; {@link ValidationLoss} keeps the encoded batch.
 */
public final class HeldOutImages implements BatchSource {
    /** Fixed seed of the choice of images (independent of the run's seed, like the validation noise). */
    static final long SEED = ValidationLoss.SEED;

    private final Path pipeline;
    private final CaptionedDataset dataset;
    private final ImageTransform transform;
    private final int count;

    private HeldOutImages(Path pipeline, CaptionedDataset dataset, int resolution, int count) {
        this.pipeline = pipeline;
        this.dataset = dataset;
        this.transform = new ImageTransform(resolution, true, false);
        this.count = Math.min(count, dataset.size());
    }

    /**
     * Opens {@code folder} (the layouts of {@code --data}) now, so a missing folder or one without images fails
     * before training starts; {@code pipeline} supplies the encoders when the batch is drawn.
     *
     * @throws DatasetException naming {@code --eval-data} and the folder
     */
    public static HeldOutImages open(Path folder, DatasetOptions options, int resolution, int count, Path pipeline) {
        if (count <= 0) {
            throw new IllegalArgumentException("--eval-batch must be positive, got " + count);
        }
        CaptionedDataset d;
        try {
            d = CaptionedDataset.open(folder, options);
        } catch (DatasetException e) {
            throw new DatasetException("--eval-data " + e.getMessage(), e);
        }
        return new HeldOutImages(pipeline, d, resolution, count);
    }

    /**
     * The one held-out batch: {@link #size()} images, posterior samples drawn from {@code rng}. The encoders load
     * under {@code manager} (the training device, where the loss runs) and are freed on return.
     */
    @Override
    public CleanBatch next(NDManager manager, Generator rng) {
        try (FrozenEncoders enc = FrozenEncoders.load(pipeline, manager, DataType.FLOAT32)) {
            return new ImageSource(dataset, transform, SEED, count, enc).next(manager, rng);
        }
    }

    /** Always the start: the held-out batch is drawn whole, once. */
    @Override
    public DataPosition position() {
        return DataPosition.start();
    }

    @Override
    public void seek(DataPosition position) {
        // nothing to move: every draw is the same fixed choice of images
    }

    /** Number of held-out images used (at most {@code --eval-batch}). */
    @Override
    public int size() {
        return count;
    }
}
