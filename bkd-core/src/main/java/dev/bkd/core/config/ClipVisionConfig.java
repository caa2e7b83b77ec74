package dev.bkd.core.config;

/**
 * transformers {@code CLIPVisionConfig} (the {@code vision_config} of a CLIPModel's config.json). Defaults are the
 * transformers class defaults (ViT-B/32): old files list only the fields that differ from them.
 */
public record ClipVisionConfig(int hiddenSize, int intermediateSize, int projectionDim, int numHiddenLayers,
        int numAttentionHeads, int numChannels, int imageSize, int patchSize, String hiddenAct, double layerNormEps) {

    public static final String MODEL_TYPE = "clip_vision_model";

    public static ClipVisionConfig defaults() {
        return new ClipVisionConfig(768, 3072, 512, 12, 12, 3, 224, 32, "quick_gelu", 1e-5);
    }

    /** Patches per side squared plus the class token. */
    public int numPositions() {
        int side = imageSize / patchSize;
        return side * side + 1;
    }

    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    public static ClipVisionConfig from(ConfigReader r) {
        ClipVisionConfig d = defaults();
        r.requireOneOf("model_type", MODEL_TYPE);
        int hidden = ConfigChecks.positiveInt(r, "hidden_size", d.hiddenSize);
        int inter = ConfigChecks.positiveInt(r, "intermediate_size", d.intermediateSize);
        int proj = ConfigChecks.positiveInt(r, "projection_dim", d.projectionDim);
        int layers = ConfigChecks.positiveInt(r, "num_hidden_layers", d.numHiddenLayers);
        int heads = ConfigChecks.positiveInt(r, "num_attention_heads", d.numAttentionHeads);
        if (hidden % heads != 0) {
            throw r.error("num_attention_heads", "= " + heads + " does not divide `hidden_size` = " + hidden);
        }
        int channels = ConfigChecks.positiveInt(r, "num_channels", d.numChannels);
        int image = ConfigChecks.positiveInt(r, "image_size", d.imageSize);
        int patch = ConfigChecks.positiveInt(r, "patch_size", d.patchSize);
        if (image % patch != 0) {
            throw r.error("patch_size", "= " + patch + " does not divide `image_size` = " + image);
        }
        r.requireOneOf("hidden_act", "quick_gelu", "gelu");
        String act = r.getString("hidden_act", d.hiddenAct);
        double eps = r.getDouble("layer_norm_eps", d.layerNormEps);
        if (!(eps > 0)) {
            throw r.error("layer_norm_eps", "must be a positive number, found " + eps);
        }
        return new ClipVisionConfig(hidden, inter, proj, layers, heads, channels, image, patch, act, eps);
    }
}
