package dev.bkd.train.loop;

import ai.djl.ndarray.NDManager;
import dev.bkd.core.random.Generator;
import dev.bkd.train.data.DataPosition;

/** Where clean micro-batches come from (images through the frozen encoders, or a latent cache). */
public interface BatchSource extends AutoCloseable {
    /** The next micro-batch in {@code manager}; any sampling (e.g. of the VAE posterior) draws from {@code rng}. */
    CleanBatch next(NDManager manager, Generator rng);

    /** Where the next batch comes from (saved with checkpoints). */
    DataPosition position();

    /** Continues from a saved position. */
    void seek(DataPosition position);

    /** Number of items per epoch. */
    int size();

    @Override
    default void close() {}
}
