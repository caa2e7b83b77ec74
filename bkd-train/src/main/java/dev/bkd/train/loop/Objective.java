package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a {@link TrainingLoop} trains: its parameters and its loss. Distillation (student vs frozen teacher),
 * fine-tuning and LoRA differ only here; data, noise, optimizer, EMA, checkpoints and logs are the loop's.
 */
public interface Objective extends AutoCloseable {
    /** A short name stored in checkpoints, so a run resumes only with the same kind of objective. */
    String name();

    /** The parameters the optimizer updates, by stable name (live arrays that record gradients). */
    Map<String, NDArray> trainable();

    /** Forward and loss for one micro-batch; called with gradients recorded. */
    LossTerms loss(DiffusionBatch batch);

    /** Writes the trained model into {@code outputDir} (called once, with EMA weights in place when EMA is on). */
    void save(Path outputDir);

    @Override
    default void close() {}
}
