package dev.bkd.models.clip;

import dev.bkd.core.config.ClipTextConfig;
import dev.bkd.core.nn.Module;
import dev.bkd.core.nn.ModuleList;

/** transformers CLIPEncoder: the stack {@code layers.0 .. layers.N-1}; run by {@link ClipTextTransformer}. */
public final class ClipEncoder extends Module {
    final ModuleList<ClipEncoderLayer> layers = child("layers", new ModuleList<>());

    public ClipEncoder(ClipTextConfig config) {
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new ClipEncoderLayer(config));
        }
    }

    public ModuleList<ClipEncoderLayer> layers() {
        return layers;
    }
}
