package dev.bkd.models.clip;

import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;

/** transformers CLIPEncoder: the stack {@code layers.0 .. layers.N-1}; run by {@link ClipTextTransformer} and {@link ClipVisionTransformer}. */
public final class ClipEncoder extends Module {
    final ModuleList<ClipEncoderLayer> layers = child("layers", new ModuleList<>());

    public ClipEncoder(ClipLayerSpec spec, int numLayers) {
        for (int i = 0; i < numLayers; i++) {
            layers.add(new ClipEncoderLayer(spec));
        }
    }

    public ModuleList<ClipEncoderLayer> layers() {
        return layers;
    }
}
