package dev.bkd.models.clip;

import ai.djl.ndarray.NDManager;
import dev.bkd.core.BkdException;
import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.random.Generator;
import dev.bkd.core.weights.RandomInit;
import dev.bkd.core.weights.Weights;
import java.util.Map;

/**
 * transformers' CLIPPreTrainedModel._init_weights for the text tower, drawn from a {@link Generator}: embeddings
 * normal(0, 0.02 f); attention q/k/v normal(0, d^-0.5 (2L)^-0.5 f), out_proj normal(0, d^-0.5 f); MLP fc1
 * normal(0, (2d)^-0.5 f), fc2 normal(0, d^-0.5 (2L)^-0.5 f); Linear biases 0; LayerNorm 1 and 0. The small
 * embedding scale keeps each position's output close to its own token, which a frozen random encoder relies on.
 */
public final class ClipTextInit {
    private ClipTextInit() {}

    public static void apply(ClipTextModel model, Generator g, NDManager manager) {
        ClipTextConfig c = model.config();
        double f = c.initializerFactor();
        double d = c.hiddenSize();
        double inProj = Math.pow(d, -0.5) * Math.pow(2.0 * c.numHiddenLayers(), -0.5) * f;
        for (Map.Entry<String, Weights.Slot> e : Weights.slots(model).entrySet()) {
            String key = e.getKey();
            Weights.Slot s = e.getValue();
            String layer = key.substring(0, key.length() - s.local().length() - 1);
            if (s.local().equals("bias")) {
                RandomInit.constant(s.owner(), "bias", 0f, manager);
            } else if (layer.endsWith("layer_norm1") || layer.endsWith("layer_norm2") || layer.endsWith("final_layer_norm")) {
                RandomInit.constant(s.owner(), "weight", 1f, manager);
            } else if (layer.endsWith("_embedding")) {
                RandomInit.normal(s.owner(), "weight", 0.02 * f, g, manager);
            } else if (layer.endsWith("q_proj") || layer.endsWith("k_proj") || layer.endsWith("v_proj")
                    || layer.endsWith("fc2")) {
                RandomInit.normal(s.owner(), "weight", inProj, g, manager);
            } else if (layer.endsWith("out_proj")) {
                RandomInit.normal(s.owner(), "weight", Math.pow(d, -0.5) * f, g, manager);
            } else if (layer.endsWith("fc1")) {
                RandomInit.normal(s.owner(), "weight", Math.pow(2 * d, -0.5) * f, g, manager);
            } else {
                throw new BkdException("CLIP random init: no rule for `" + key + "`");
            }
        }
    }
}
