package dev.bkd.train.lora;

import ai.djl.Device;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.lora.LoraConfig;
import dev.bkd.train.loop.DataOptions;
import dev.bkd.train.loop.TrainConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * A LoRA run: the pipeline folder whose UNet gets adapters, the data, the loop's knobs, the output folder, rank,
 * alpha (the update is scaled by alpha / rank), the target layer names ({@link LoraConfig#UNET_ATTENTION} when
 * null), optional min-SNR gamma and validation prompts (drawn as fine-tuning draws them).
 *
 * @param trainTextEncoder text-encoder LoRA; not supported yet, refused with a {@link ConfigException}
 */
public record LoraOptions(Path model, DataOptions data, TrainConfig train, Device device, Path out, int rank,
                          double alpha, List<String> targets, Double snrGamma, List<String> validationPrompts,
                          int validationSteps, boolean trainTextEncoder) {
    public LoraOptions {
        if (model == null || out == null) {
            throw new ConfigException("LoRA training needs a model folder and an output folder");
        }
        if (rank <= 0) {
            throw new ConfigException("--rank must be a positive integer (4 to 128 is usual), got " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new ConfigException("--alpha must be a positive number (the update is scaled by alpha / rank;"
                    + " alpha = rank means 1), got " + alpha);
        }
        targets = targets == null || targets.isEmpty() ? LoraConfig.UNET_ATTENTION : List.copyOf(targets);
        for (String t : targets) {
            if (t == null || t.isBlank() || t.startsWith(".") || t.endsWith(".")) {
                throw new ConfigException("--targets: `" + t + "` is not a layer name (e.g. to_q, to_out.0, proj_in,"
                        + " ff.net.0.proj)");
            }
        }
        if (trainTextEncoder) {
            throw new ConfigException("--train-text-encoder is not supported yet: bkd lora trains UNet adapters only"
                    + " (text-encoder LoRA files made elsewhere do load with bkd generate --lora)");
        }
        validationPrompts = List.copyOf(validationPrompts);
        if (validationSteps <= 0) {
            throw new ConfigException("validation steps must be positive, got " + validationSteps);
        }
        device = device == null ? Device.cpu() : device;
    }

    /** The adapters' rank, alpha and targets. */
    public LoraConfig config() {
        return new LoraConfig(rank, alpha, targets);
    }
}
