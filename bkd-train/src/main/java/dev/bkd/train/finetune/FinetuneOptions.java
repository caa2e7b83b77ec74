package dev.bkd.train.finetune;

import ai.djl.Device;
import dev.bkd.core.config.ConfigException;
import dev.bkd.train.loop.DataOptions;
import dev.bkd.train.loop.EmptyPrompts;
import dev.bkd.train.loop.TrainConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * A fine-tuning run: the pipeline folder to start from, the data, the loop's knobs, the output folder, optional
 * min-SNR gamma, the share of captions replaced by the empty prompt, and validation prompts drawn every {@link TrainConfig#validateEvery} steps as distillation draws
 * them (seed = run seed + prompt index).
 */
public record FinetuneOptions(Path model, DataOptions data, TrainConfig train, Device device, Path out,
                              Double snrGamma, double proportionEmptyPrompts, List<String> validationPrompts,
                              int validationSteps) {
    public FinetuneOptions {
        if (model == null || out == null) {
            throw new ConfigException("fine-tuning needs a model folder and an output folder");
        }
        EmptyPrompts.check(proportionEmptyPrompts);
        validationPrompts = List.copyOf(validationPrompts);
        if (validationSteps <= 0) {
            throw new ConfigException("validation steps must be positive, got " + validationSteps);
        }
        device = device == null ? Device.cpu() : device;
    }
}
