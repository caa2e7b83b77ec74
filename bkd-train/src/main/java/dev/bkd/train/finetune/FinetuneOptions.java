package dev.bkd.train.finetune;

import ai.djl.Device;
import dev.bkd.core.config.ConfigException;
import dev.bkd.train.loop.DataOptions;
import dev.bkd.train.loop.TrainConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * A fine-tuning run: the pipeline folder to start from, the data, the loop's knobs, the output folder, optional
 * min-SNR gamma, and validation prompts drawn every {@link TrainConfig#validateEvery} steps with fixed seeds.
 */
public record FinetuneOptions(Path model, DataOptions data, TrainConfig train, Device device, Path out,
                              Double snrGamma, List<String> validationPrompts, int validationSteps,
                              double validationGuidance, List<Long> validationSeeds) {
    public FinetuneOptions {
        if (model == null || out == null) {
            throw new ConfigException("fine-tuning needs a model folder and an output folder");
        }
        validationPrompts = List.copyOf(validationPrompts);
        validationSeeds = List.copyOf(validationSeeds);
        if (validationSteps <= 0) {
            throw new ConfigException("validation steps must be positive, got " + validationSteps);
        }
        if (!validationPrompts.isEmpty() && validationSeeds.isEmpty()) {
            throw new ConfigException("validation prompts need at least one seed");
        }
        device = device == null ? Device.cpu() : device;
    }
}
