package dev.bkd.train.lora;

import ai.djl.Device;
import dev.bkd.core.config.ConfigException;
import dev.bkd.core.lora.LoraConfig;
import dev.bkd.train.loop.DataOptions;
import dev.bkd.train.loop.TrainConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * A LoRA run: the pipeline folder whose UNet (and optionally text encoder) gets adapters, the data, the loop's
 * knobs, the output folder, rank and alpha (the update is scaled by alpha / rank, the same for both components, as
 * in diffusers' scripts), the target layer names, optional min-SNR gamma and validation prompts (drawn as
 * fine-tuning draws them).
 *
 * @param targets            UNet layers; null or empty: {@link LoraConfig#UNET_ATTENTION}
 * @param trainTextEncoder   also train text-encoder adapters (captions are then encoded inside each step)
 * @param textEncoderTargets text-encoder layers; null or empty: {@link LoraConfig#TEXT_ENCODER_ATTENTION}
 */
public record LoraOptions(Path model, DataOptions data, TrainConfig train, Device device, Path out, int rank,
                          double alpha, List<String> targets, Double snrGamma, List<String> validationPrompts,
                          int validationSteps, boolean trainTextEncoder, List<String> textEncoderTargets) {
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
        targets = names("--targets", targets, LoraConfig.UNET_ATTENTION);
        textEncoderTargets = names("--text-encoder-targets", textEncoderTargets, LoraConfig.TEXT_ENCODER_ATTENTION);
        validationPrompts = List.copyOf(validationPrompts);
        if (validationSteps <= 0) {
            throw new ConfigException("validation steps must be positive, got " + validationSteps);
        }
        device = device == null ? Device.cpu() : device;
    }

    /** UNet LoRA only, the text encoder frozen. */
    public LoraOptions(Path model, DataOptions data, TrainConfig train, Device device, Path out, int rank,
                       double alpha, List<String> targets, Double snrGamma, List<String> validationPrompts,
                       int validationSteps) {
        this(model, data, train, device, out, rank, alpha, targets, snrGamma, validationPrompts, validationSteps,
                false, null);
    }

    private static List<String> names(String option, List<String> given, List<String> defaults) {
        if (given == null || given.isEmpty()) {
            return defaults;
        }
        for (String t : given) {
            if (t == null || t.isBlank() || t.startsWith(".") || t.endsWith(".")) {
                throw new ConfigException(option + ": `" + t + "` is not a layer name (e.g. to_q, to_out.0, proj_in,"
                        + " ff.net.0.proj; q_proj, out_proj for the text encoder)");
            }
        }
        return List.copyOf(given);
    }

    /** The UNet adapters' rank, alpha and targets. */
    public LoraConfig config() {
        return new LoraConfig(rank, alpha, targets);
    }

    /** The text-encoder adapters' rank, alpha and targets. */
    public LoraConfig textEncoderConfig() {
        return new LoraConfig(rank, alpha, textEncoderTargets);
    }
}
