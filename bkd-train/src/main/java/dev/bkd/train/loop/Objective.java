package dev.bkd.train.loop;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.config.ConfigException;
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

    /**
     * Switches gradient checkpointing of the trained UNet on or off (before the first {@link #loss}). Objectives
     * without a UNet refuse to switch it on.
     */
    default void gradientCheckpointing(boolean on) {
        if (on) {
            throw new ConfigException("--gradient-checkpointing applies to UNet training (distill, finetune, lora);"
                    + " `" + name() + "` has no UNet blocks to recompute");
        }
    }

    /**
     * Runs the trained model's forward under float16 autocast (--mixed-precision fp16: float32 master weights, each
     * op in the dtype of {@link dev.bkd.core.nn.AutocastPolicy}, the loss in float32), before the first
     * {@link #loss}. Returns whether this objective does; one that does not trains in float32 math, and the loop
     * says so (the loss scaling applies either way).
     */
    default boolean autocast(boolean on) {
        return false;
    }

    /** Writes the trained model into {@code outputDir} (called once, with EMA weights in place when EMA is on). */
    void save(Path outputDir);

    @Override
    default void close() {}
}
