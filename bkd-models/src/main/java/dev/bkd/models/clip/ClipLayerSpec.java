package dev.bkd.models.clip;

import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.config.ClipVisionConfig;

/**
 * What one transformers CLIPEncoderLayer needs: the text and the vision tower share the layer and differ only in
 * their sizes and in the causal mask (text sees earlier tokens only, vision attends to every patch).
 *
 * @param configLabel names the config in activation errors (e.g. "text_encoder/config.json")
 */
public record ClipLayerSpec(int hiddenSize, int intermediateSize, int numHeads, String hiddenAct,
        double layerNormEps, boolean causal, String configLabel) {

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** The text tower of SD's text encoder or of a CLIPModel: causal. */
    public static ClipLayerSpec of(ClipTextConfig c) {
        return new ClipLayerSpec(c.hiddenSize(), c.intermediateSize(), c.numAttentionHeads(), c.hiddenAct(),
                c.layerNormEps(), true, "text_encoder/config.json");
    }

    /** The vision tower: every patch attends to every other. */
    public static ClipLayerSpec of(ClipVisionConfig c) {
        return new ClipLayerSpec(c.hiddenSize(), c.intermediateSize(), c.numAttentionHeads(), c.hiddenAct(),
                c.layerNormEps(), false, "vision_config");
    }
}
