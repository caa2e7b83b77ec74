package dev.bkd.models.clip;

import ai.djl.ndarray.NDArray;
import dev.bkd.core.nn.LayerNorm;
import dev.bkd.core.nn.Module;

/** transformers CLIPEncoderLayer: pre-norm attention and MLP, each with a residual. */
public final class ClipEncoderLayer extends Module {
    final ClipAttention selfAttn;
    final LayerNorm layerNorm1;
    final ClipMlp mlp;
    final LayerNorm layerNorm2;

    public ClipEncoderLayer(ClipLayerSpec spec) {
        float eps = (float) spec.layerNormEps();
        selfAttn = child("self_attn", new ClipAttention(spec));
        layerNorm1 = child("layer_norm1", new LayerNorm(spec.hiddenSize(), eps));
        mlp = child("mlp", new ClipMlp(spec));
        layerNorm2 = child("layer_norm2", new LayerNorm(spec.hiddenSize(), eps));
    }

    public NDArray forward(NDArray x) {
        NDArray h = x.add(selfAttn.forward(layerNorm1.forward(x)));
        return h.add(mlp.forward(layerNorm2.forward(h)));
    }
}
