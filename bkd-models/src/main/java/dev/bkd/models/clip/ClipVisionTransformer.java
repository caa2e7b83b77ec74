package dev.bkd.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import dev.bkd.core.BkdException;
import dev.bkd.core.modules.Scoped;
import dev.bkd.core.config.ClipVisionConfig;
import dev.bkd.core.nn.LayerNorm;
import dev.bkd.core.nn.Module;
import java.util.ArrayList;
import java.util.List;

/** transformers CLIPVisionTransformer: embeddings, pre_layrnorm (HF spelling), encoder, post_layernorm on CLS. */
public final class ClipVisionTransformer extends Module {
    private final ClipVisionConfig config;
    final ClipVisionEmbeddings embeddings;
    final LayerNorm preLayrnorm;
    final ClipEncoder encoder;
    final LayerNorm postLayernorm;

    public ClipVisionTransformer(ClipVisionConfig config) {
        this.config = config;
        float eps = (float) config.layerNormEps();
        embeddings = child("embeddings", new ClipVisionEmbeddings(config));
        preLayrnorm = child("pre_layrnorm", new LayerNorm(config.hiddenSize(), eps));
        encoder = child("encoder", new ClipEncoder(ClipLayerSpec.of(config), config.numHiddenLayers()));
        postLayernorm = child("post_layernorm", new LayerNorm(config.hiddenSize(), eps));
    }

    public ClipVisionConfig config() {
        return config;
    }

    /** {@code pixels} (B, channels, image_size, image_size), already normalised like CLIPImageProcessor does. */
    public ClipVisionOutput forward(NDArray pixels) {
        long[] s = pixels.getShape().getShape();
        if (s.length != 4 || s[1] != config.numChannels() || s[2] != config.imageSize() || s[3] != config.imageSize()) {
            throw new BkdException("CLIP vision input must have shape (batch, " + config.numChannels() + ", "
                    + config.imageSize() + ", " + config.imageSize() + "), got " + pixels.getShape()
                    + "; preprocess images with ClipImageProcessor first");
        }
        List<NDArray> hidden = new ArrayList<>();
        // each layer's temporaries (attention scores, MLP activations) are freed as soon as it returns
        NDArray h = Scoped.keep(() -> preLayrnorm.forward(embeddings.forward(pixels)));
        hidden.add(h);
        for (ClipEncoderLayer layer : encoder.layers()) {
            NDArray in = h;
            h = Scoped.keep(() -> layer.forward(in));
            hidden.add(h);
        }
        NDArray last = h;
        NDArray pooled = Scoped.keep(() -> postLayernorm.forward(last.get(new NDIndex(":, 0, :"))));
        return new ClipVisionOutput(hidden, pooled);
    }
}
