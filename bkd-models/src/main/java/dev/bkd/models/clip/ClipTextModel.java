package dev.bkd.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.nn.Module;
import dev.bkd.core.weights.ComponentFolder;
import dev.bkd.core.weights.RenamedStateDict;
import dev.bkd.core.weights.StateDict;
import dev.bkd.core.weights.Weights;
import java.nio.file.Path;

/**
 * transformers {@code CLIPTextModel}, SD1.x's text encoder. Parameter names are the checkpoint's
 * ({@code text_model.encoder.layers.0.self_attn.q_proj.weight}, ...).
 */
public final class ClipTextModel extends Module {
    static final String PREFIX = "text_model.";
    /** A persistent buffer in transformers 4.x checkpoints; always 0..max_positions-1. */
    static final String POSITION_IDS = "embeddings.position_ids";
    /** transformers' weight file name. */
    public static final String WEIGHTS_NAME = "model.safetensors";

    private final ClipTextConfig config;
    private final ClipTextTransformer textModel;

    public ClipTextModel(ClipTextConfig config) {
        this.config = config;
        textModel = child("text_model", new ClipTextTransformer(config));
    }

    public ClipTextConfig config() {
        return config;
    }

    public ClipTextTransformer textModel() {
        return textModel;
    }

    /** Runs the encoder on {@code inputIds} (B, T) int32/int64 with causal attention and no padding mask, like SD. */
    public ClipTextOutput forward(NDArray inputIds) {
        return textModel.forward(inputIds);
    }

    /**
     * Builds the model and loads {@code weights} into it. Keys may carry the {@code text_model.} prefix
     * (transformers layout) or not; the int64 position_ids buffer is ignored; tensors of any float dtype are
     * cast to {@code options.dtype()}.
     */
    public static ClipTextModel fromStateDict(ClipTextConfig config, StateDict weights, NDManager manager,
            Weights.LoadOptions options) {
        return fromStateDict(config, weights, manager, options, "text encoder state dict");
    }

    /** As above; {@code source} names the weights in error messages (a file path). */
    public static ClipTextModel fromStateDict(ClipTextConfig config, StateDict weights, NDManager manager,
            Weights.LoadOptions options, String source) {
        ClipTextModel model = new ClipTextModel(config);
        boolean prefixed = weights.keys().stream().anyMatch(k -> k.startsWith(PREFIX));
        StateDict named = prefixed ? weights : RenamedStateDict.of(weights, k -> PREFIX + k, source);
        Weights.load(model, named, manager, options.ignoring(k -> k.equals(PREFIX + POSITION_IDS)), source);
        return model;
    }

    /** Loads a transformers text encoder folder ({@code config.json} + {@code model.safetensors}). */
    public static ClipTextModel fromPretrained(Path componentDir, NDManager manager, Weights.LoadOptions options) {
        return fromPretrained(componentDir, null, manager, options);
    }

    /** As above, preferring the weights variant {@code variant} (e.g. "fp16": {@code model.fp16.safetensors}). */
    public static ClipTextModel fromPretrained(Path componentDir, String variant, NDManager manager,
            Weights.LoadOptions options) {
        return ComponentFolder.load(componentDir, variant, ClipTextConfig::read,
                (config, weights, source) -> fromStateDict(config, weights, manager, options, source));
    }

    /** Writes {@code config.json} and {@code model.safetensors} (current dtype) that transformers loads. */
    public void save(Path componentDir) {
        ComponentFolder.save(componentDir, config::save, this, WEIGHTS_NAME);
    }
}
