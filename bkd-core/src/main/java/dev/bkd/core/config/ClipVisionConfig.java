package dev.bkd.core.config;

/**
 * transformers {@code CLIPVisionConfig} (the {@code vision_config} of a CLIPModel's config.json). Defaults are the
 * transformers class defaults (ViT-B/32): old files list only the fields that differ from them.
 */
public record ClipVisionConfig(int hiddenSize, int intermediateSize, int projectionDim, int numHiddenLayers,
        int numAttentionHeads, int numChannels, int imageSize, int patchSize, String hiddenAct, double layerNormEps) {

    public static final String MODEL_TYPE = "clip_vision_model";

    /** The fields in reading order, each checked as it is read (the shared ones as in {@link ClipTextConfig}). */
    private static final FieldTable<ClipVisionConfig> FIELDS = new FieldTable<>(ClipVisionConfig.class,
            Field.size("hidden_size", 768),
            Field.size("intermediate_size", 3072),
            Field.size("projection_dim", 512),
            Field.size("num_hidden_layers", 12),
            ClipTextConfig.heads(12),
            Field.size("num_channels", 3),
            Field.size("image_size", 224),
            Field.size("patch_size", 32).must((r, k, v, b) -> {
                if ((int) b.get("image_size") % (int) v != 0) {
                    throw r.error(k, "= " + v + " does not divide `image_size` = " + b.get("image_size"));
                }
            }),
            ClipTextConfig.activation(),
            Field.positive("layer_norm_eps", 1e-5));

    public static ClipVisionConfig defaults() {
        return from(new ConfigReader(MODEL_TYPE, ConfigReader.MAPPER.createObjectNode()));
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
        r.requireOneOf("model_type", MODEL_TYPE);
        return FIELDS.build(FIELDS.read(r, false));
    }
}
