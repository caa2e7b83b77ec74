package dev.bkd.models.pipeline;

import dev.bkd.core.BkdException;
import java.nio.file.Path;
import java.util.List;

/**
 * How a single-file (LDM / A1111) checkpoint becomes a pipeline.
 *
 * @param config         a diffusers pipeline folder whose configs, tokenizer and scheduler to use; null infers
 *                       the architecture from the file (SD1.x / SD2.x standard sizes) and takes the configs of
 *                       the matching reference repository from the local Hugging Face cache, as diffusers does
 * @param predictionType "epsilon" or "v_prediction" to override the scheduler config's; null keeps it
 * @param ema            read the UNet's EMA copy ({@code model_ema.*}); false (diffusers' default) reads the
 *                       non-EMA weights
 */
public record SingleFileOptions(Path config, String predictionType, boolean ema) {
    /** The prediction types a Stable Diffusion UNet is trained for. */
    public static final List<String> PREDICTION_TYPES = List.of("epsilon", "v_prediction");

    public SingleFileOptions {
        if (predictionType != null && !PREDICTION_TYPES.contains(predictionType)) {
            throw new BkdException("prediction type \"" + predictionType + "\" is not one of " + PREDICTION_TYPES);
        }
    }

    /** Infer the architecture, keep the config's prediction type, non-EMA weights. */
    public static SingleFileOptions defaults() {
        return new SingleFileOptions(null, null, false);
    }

    public SingleFileOptions withConfig(Path dir) {
        return new SingleFileOptions(dir, predictionType, ema);
    }

    public SingleFileOptions withPredictionType(String type) {
        return new SingleFileOptions(config, type, ema);
    }

    public SingleFileOptions withEma(boolean useEma) {
        return new SingleFileOptions(config, predictionType, useEma);
    }
}
